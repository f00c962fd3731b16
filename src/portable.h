/*
 * portable.h - which Linux-only calls this build makes.
 *
 * Each PTYSCRIPT_NO_* / PTYSCRIPT_POSIX_* switch replaces one Linux call
 * by a POSIX fallback.  Outside Linux they are all on.  On Linux, `make
 * PORTABLE=1` turns them on too (and `make check-asan` always does), so
 * that the fallbacks run the whole spec suite here:
 *
 *   PTYSCRIPT_NO_CLOSE_RANGE  a close() per number up to the descriptor
 *                             limit instead of close_range(2)  (spawn.c)
 *   PTYSCRIPT_NO_PIDFD        no pidfd_open(2): exits are found without
 *                             a pidfd  (spawn.c, proc.c)
 *   PTYSCRIPT_POSIX_PTY       posix_openpt without O_CLOEXEC, then fcntl;
 *                             ptsname instead of ptsname_r  (pty.c)
 *   PTYSCRIPT_NO_PIPE2        pipe() and fcntl instead of pipe2(2)
 *                             (spawn.c)
 *   PTYSCRIPT_NO_PROC         no /proc/self/cgroup: no CPU quota is seen
 *                             (cpus.c)
 *   PTYSCRIPT_NO_AFFINITY     the online CPUs instead of the affinity
 *                             mask of sched_getaffinity(2)  (cpus.c)
 *
 * Setting a descriptor close-on-exec after the call that made it leaves a
 * window in which a fork elsewhere would inherit it; ptyscript forks only
 * from its own thread, between calls.
 */
#ifndef PTYSCRIPT_PORTABLE_H
#define PTYSCRIPT_PORTABLE_H

#ifndef __linux__
#define PTYSCRIPT_NO_CLOSE_RANGE 1
#define PTYSCRIPT_NO_PIDFD 1
#define PTYSCRIPT_POSIX_PTY 1
#define PTYSCRIPT_NO_PIPE2 1
#define PTYSCRIPT_NO_PROC 1
#define PTYSCRIPT_NO_AFFINITY 1
#else
#include <sys/syscall.h>
/* Kernel headers older than the call (close_range 5.9, pidfd_open 5.3). */
#if !defined(SYS_close_range) && !defined(PTYSCRIPT_NO_CLOSE_RANGE)
#define PTYSCRIPT_NO_CLOSE_RANGE 1
#endif
#if !defined(SYS_pidfd_open) && !defined(PTYSCRIPT_NO_PIDFD)
#define PTYSCRIPT_NO_PIDFD 1
#endif
#endif

#endif
