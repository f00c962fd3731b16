# Helpers shared by the Tcl Expect benchmark scripts (sourced).
log_user 0

proc fail {msg} {
    puts stderr "FAIL: $msg"
    exit 1
}

# Peak resident set of this process (VmHWM), in KiB.
proc hwm_kb {} {
    set f [open /proc/self/status]
    set s [read $f]
    close $f
    if {[regexp {VmHWM:\s*(\d+)} $s -> kb]} { return $kb }
    return -1
}

proc report {args} {
    puts "BENCH [join [concat $args [list hwm_kb=[hwm_kb]]] { }]"
}

# wait for the current spawn id; fail unless it exited 0.
proc wait_ok {what} {
    upvar spawn_id spawn_id
    set r [wait -i $spawn_id]
    if {[lindex $r 2] != 0 || [lindex $r 3] != 0} { fail "$what: wait -> $r" }
}
