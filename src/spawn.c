/*
 * spawn.c - start a child process the way Twisted's PTYProcess does.
 *
 * Parent, before fork: the caller has resolved the program path, built
 * argv/envp and opened the terminal; we block every signal so that no
 * handler of ours runs in the child between fork and the reset below, and
 * create a close-on-exec error pipe.  The fork is a vfork (start_child).
 *
 * Child: reset every signal disposition to SIG_DFL (an ignored SIGPIPE or
 * SIGINT would otherwise survive exec), start a new session, make the slave
 * its controlling terminal, place the requested descriptors, close all
 * others, give back the resource limits ptyscript changed for itself
 * (spawn_keep_limit), drop privileges, chdir, clear the signal mask and
 * execve.  Only
 * async-signal-safe calls: no malloc, no stdio, no Lua.  Any failure writes
 * a fixed {step, errno} record to the pipe and _exit(127)s.
 *
 * Parent, after fork: restore the mask; read the pipe: EOF means exec
 * succeeded; a record means it failed, and the child is reaped at once so
 * the caller can raise the OS's reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "portable.h"
#include "spawn.h"


/*
 * Resource limits ptyscript changed for itself, as they were before:
 * the open-file limit the command raises, the core size it sets to 0
 * while it holds secrets.  Children get these back, so that what a
 * program runs with does not depend on ptyscript's own needs, nor on
 * whether a secret was sent before it started.
 */
#define KEPT_MAX	4

static struct {
	int resource;
	struct rlimit rl;
} kept[KEPT_MAX];
static int nkept;

/* The limits a child gets, worked out in the parent before the fork. */
struct child_limits {
	int n;
	int resource[KEPT_MAX];
	struct rlimit rl[KEPT_MAX];
};

/*
 * Remember resource's limit now as the one children get: call it before
 * changing ptyscript's own.  Only the first call per resource counts.
 * Returns 0, or -1 with errno.
 */
int
spawn_keep_limit(int resource)
{
	int i;

	for (i = 0; i < nkept; i++)
		if (kept[i].resource == resource)
			return 0;
	if (nkept == KEPT_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (getrlimit(resource, &kept[nkept].rl) == -1)
		return -1;
	kept[nkept++].resource = resource;
	return 0;
}

/*
 * The kept limits, each within the hard limit in force now (which only
 * root could raise again): the soft limit as it was, the hard as it is.
 */
static void
child_limits(struct child_limits *cl)
{
	struct rlimit now;
	int i;

	cl->n = 0;
	for (i = 0; i < nkept; i++) {
		if (getrlimit(kept[i].resource, &now) == -1)
			continue;
		cl->resource[cl->n] = kept[i].resource;
		cl->rl[cl->n].rlim_max = now.rlim_max;
		cl->rl[cl->n].rlim_cur = kept[i].rl.rlim_cur;
		if (now.rlim_max != RLIM_INFINITY &&
		    (kept[i].rl.rlim_cur == RLIM_INFINITY ||
		    kept[i].rl.rlim_cur > now.rlim_max))
			cl->rl[cl->n].rlim_cur = now.rlim_max;
		cl->n++;
	}
}

static const char *const step_names[] = {
	"ok", "setsid", "TIOCSCTTY", "dup2", "chdir",
	"setgroups", "setgid", "setuid", "exec"
};

const char *
spawn_step_name(int step)
{
	if (step < 0 || step > STEP_EXEC)
		return "?";
	return step_names[step];
}

/*
 * Find prog the way execvp would, but in the parent so the child only
 * calls execve.  A name with a slash is used as it is.  Returns 0 or -1
 * with errno (ENOENT when not found, EACCES when only non-executable
 * candidates were found).
 */
int
spawn_find_program(const char *prog, const char *pathvar, char *out,
    size_t outlen)
{
	const char *p, *end;
	struct stat st;
	int seen_eacces = 0;
	size_t dlen, plen = strlen(prog);

	if (plen == 0) {
		errno = ENOENT;
		return -1;
	}
	if (strchr(prog, '/') != NULL) {
		if (plen + 1 > outlen) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(out, prog, plen + 1);
		return 0;
	}
	if (pathvar == NULL)
		pathvar = "/usr/local/bin:/usr/bin:/bin";
	for (p = pathvar;; p = end + 1) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		dlen = (size_t)(end - p);
		if (dlen == 0) {	/* empty entry: current directory */
			p = ".";
			dlen = 1;
		}
		if (dlen + 1 + plen + 1 <= outlen) {
			memcpy(out, p, dlen);
			out[dlen] = '/';
			memcpy(out + dlen + 1, prog, plen + 1);
			if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
				if (access(out, X_OK) == 0)
					return 0;
				seen_eacces = 1;
			}
		}
		if (*end == '\0')
			break;
	}
	errno = seen_eacces ? EACCES : ENOENT;
	return -1;
}

#ifdef __linux__
/*
 * The kernel's struct sigaction for rt_sigaction(2) on Linux.  glibc's
 * sigaction() refuses the two signals it reserves for itself (32, 33),
 * but system() and posix_spawn() leave them ignored in what they start,
 * and an ignored disposition survives exec: the raw system call resets
 * them.  A raw syscall is async-signal-safe.  (Not a Linux call with a
 * fallback: elsewhere sigaction() refuses no signal but KILL and STOP.)
 */
struct kernel_sigaction {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask[1];
};
#endif

/* Set every signal's disposition to SIG_DFL; async-signal-safe. */
static void
reset_signals(void)
{
	struct sigaction sa;
	int sig;
#ifdef __linux__
	struct kernel_sigaction ksa;

	memset(&ksa, 0, sizeof ksa);
	ksa.handler = SIG_DFL;
#endif
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
#ifdef __linux__
		if (sigaction(sig, &sa, NULL) == -1)
			(void)syscall(SYS_rt_sigaction, sig, &ksa, NULL,
			    sizeof ksa.mask);
#else
		(void)sigaction(sig, &sa, NULL);
#endif
	}
}

/* Report a failed step to the parent and leave; async-signal-safe. */
static void
child_fail(int errfd, int step)
{
	int rec[2];
	ssize_t n;

	rec[0] = step;
	rec[1] = errno;
	do
		n = write(errfd, rec, sizeof rec);
	while (n == -1 && errno == EINTR);
	_exit(127);
}

/*
 * Close every descriptor from lo up, except keep; async-signal-safe.
 * Without close_range (an older kernel, or PTYSCRIPT_NO_CLOSE_RANGE):
 * one close() per number up to the descriptor limit.  (poll() could
 * tell the open numbers many at a time, but Linux reports POLLNVAL for
 * an open O_PATH descriptor, and macOS's poll() does not support
 * devices.)
 */
static void
close_from(int lo, int keep)
{
	long max;
	int fd;

#ifndef PTYSCRIPT_NO_CLOSE_RANGE
	if (keep >= lo) {
		if (keep > lo && syscall(SYS_close_range, (unsigned)lo,
		    (unsigned)keep - 1, 0) == -1)
			goto slow;
		if (syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0) == -1)
			goto slow;
		return;
	}
	if (syscall(SYS_close_range, (unsigned)lo, ~0U, 0) == 0)
		return;
slow:
#endif
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > INT_MAX)
		max = 65536;
	for (fd = lo; fd < (int)max; fd++)
		if (fd != keep)
			close(fd);
}

/*
 * The child side.  Every descriptor the request names, and the error
 * pipe, is first moved above the highest target, so that placing one
 * onto 0..2 can never overwrite another still to be placed (the parent
 * may itself run with 0..2 closed, so a master or pipe can sit on any
 * low number).  Just above: a low open-file limit must still do.
 */
static void
child(const struct spawn_req *req, int errfd, const sigset_t *empty,
    const struct child_limits *cl)
{
	int i, fd, top = -1;
	int n = req->nfds < SPAWN_MAXFDS ? req->nfds : SPAWN_MAXFDS;
	int moved[SPAWN_MAXFDS];

	reset_signals();

	for (i = 0; i < n; i++)
		if (req->fds[i].to > top)
			top = req->fds[i].to;
	if (errfd <= top) {
		fd = fcntl(errfd, F_DUPFD_CLOEXEC, top + 1);
		if (fd == -1)
			child_fail(errfd, STEP_DUP);
		errfd = fd;
	}
	if (setsid() == -1)
		child_fail(errfd, STEP_SETSID);
	if (req->tty != -1 && ioctl(req->tty, TIOCSCTTY, 0) == -1)
		child_fail(errfd, STEP_CTTY);
	for (i = 0; i < n; i++) {
		moved[i] = fcntl(req->fds[i].from, F_DUPFD, top + 1);
		if (moved[i] == -1)
			child_fail(errfd, STEP_DUP);
	}
	for (i = 0; i < n; i++) {
		if (dup2(moved[i], req->fds[i].to) == -1)
			child_fail(errfd, STEP_DUP);
	}
	/*
	 * dup2 clears FD_CLOEXEC on the targets; everything else goes: all
	 * above the highest target, and below it what is not a target (a
	 * script's open file on 5 must not reach a child given fds = {[10]}).
	 */
	close_from(top + 1, errfd);
	for (fd = 0; fd < top; fd++) {
		for (i = 0; i < n && req->fds[i].to != fd; i++)
			;
		if (i == n)
			close(fd);
	}
	/* (after the closing: it may lower the open-file limit) */
	for (i = 0; i < cl->n; i++)
		(void)setrlimit(cl->resource[i], &cl->rl[i]);

	if (req->set_ids) {
		if (setgroups((size_t)req->ngroups, req->groups) == -1)
			child_fail(errfd, STEP_SETGROUPS);
		if (setgid(req->gid) == -1)
			child_fail(errfd, STEP_SETGID);
		if (setuid(req->uid) == -1)
			child_fail(errfd, STEP_SETUID);
	}
	if (req->cwd != NULL && chdir(req->cwd) == -1)
		child_fail(errfd, STEP_CHDIR);
	sigprocmask(SIG_SETMASK, empty, NULL);
	execve(req->path, req->argv, req->envp);
	child_fail(errfd, STEP_EXEC);
}

/*
 * Start the child with vfork: no copy of our page tables (the cost of
 * fork grows with the parent's memory and open descriptors, and a
 * script may run thousands of sessions).  The child runs on our memory
 * until execve, which is why child() only makes system calls, writes
 * nothing but its own stack, and never returns; all signals are blocked
 * across it so no handler of ours can run in the child.  Kept apart from
 * spawn_exec so that no variable of the parent is live across vfork.
 */
static pid_t
start_child(const struct spawn_req *req, int errfd, int rfd,
    const sigset_t *empty, const struct child_limits *cl)
{
	pid_t pid = vfork();

	if (pid == 0) {
		close(rfd);
		child(req, errfd, empty, cl);
	}
	return pid;
}

/*
 * Fork and exec.  Returns 0 when the program is running (res->pid,
 * res->pidfd set), 1 when the child reported a failed step (res->step,
 * res->err set; the child is already reaped), -1 with errno when fork or
 * the pipe failed.  execve says EACCES for a directory: res->err is then
 * EISDIR, the reason a user can act on.
 */
int
spawn_exec(const struct spawn_req *req, struct spawn_result *res)
{
	sigset_t all, old, empty;
	struct stat st;
	struct child_limits cl;
	int pfd[2], rec[2], status, saved;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	res->pid = -1;
	res->pidfd = -1;
	res->step = STEP_NONE;
	res->err = 0;
	if (spawn_pipe(pfd) == -1)
		return -1;
	child_limits(&cl);
	sigfillset(&all);
	sigemptyset(&empty);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = start_child(req, pfd[1], pfd[0], &empty, &cl);
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(pfd[1]);
	if (pid == -1) {
		close(pfd[0]);
		errno = saved;
		return -1;
	}
	while (got < sizeof rec) {
		n = read(pfd[0], (char *)rec + got, sizeof rec - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(pfd[0]);
	if (got == sizeof rec) {
		while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
			;
		res->step = rec[0];
		res->err = rec[1];
		if (res->step == STEP_EXEC && res->err == EACCES &&
		    stat(req->path, &st) == 0 && S_ISDIR(st.st_mode))
			res->err = EISDIR;
		return 1;
	}
	res->pid = pid;
#ifndef PTYSCRIPT_NO_PIDFD
	res->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (res->pidfd != -1)
		(void)fcntl(res->pidfd, F_SETFD, FD_CLOEXEC);
#endif
	return 0;
}

/*
 * A pipe with both ends close-on-exec: pipe2, or pipe and fcntl
 * (PTYSCRIPT_NO_PIPE2).  Returns 0, or -1 with errno.
 */
int
spawn_pipe(int fd[2])
{
#ifndef PTYSCRIPT_NO_PIPE2
	return pipe2(fd, O_CLOEXEC);
#else
	int saved;

	if (pipe(fd) == -1)
		return -1;
	if (fcntl(fd[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(fd[1], F_SETFD, FD_CLOEXEC) == -1) {
		saved = errno;
		close(fd[0]);
		close(fd[1]);
		errno = saved;
		return -1;
	}
	return 0;
#endif
}
