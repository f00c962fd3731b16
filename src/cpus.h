/*
 * cpus.h - whether this process has CPU time to spare for a spin.  No Lua.
 */
#ifndef PTYSCRIPT_CPUS_H
#define PTYSCRIPT_CPUS_H

/*
 * Whether the process may run on more than one CPU and its cgroup gives
 * it at least one CPU's time (asked once, then remembered).
 */
int cpus_spin_ok(void);

#endif
