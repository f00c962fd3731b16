"""Helpers shared by the pexpect benchmark scripts."""
import sys


def hwm_kb():
    """Peak resident set of this process (VmHWM), in KiB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def report(*fields):
    print("BENCH " + " ".join(list(fields) + ["hwm_kb=%d" % hwm_kb()]), flush=True)


def fail(msg):
    sys.stderr.write("FAIL: %s\n" % msg)
    sys.exit(1)


def wait_ok(p, what):
    """Wait for the child; fail unless it exited 0.  Then close without
    ptyprocess's unconditional 0.1 s sleep (delayafterclose)."""
    p.wait()
    if p.exitstatus != 0 or p.signalstatus is not None:
        fail("%s: exit status %s, signal %s" % (what, p.exitstatus, p.signalstatus))
    p.ptyproc.delayafterclose = 0
    p.close()
