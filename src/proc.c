/*
 * proc.c - the life of one child on the loop.
 *
 * Exit and EOF are separate events (Twisted's processExited and
 * processEnded).  EOF is the master read returning EIO (Linux) or 0 once
 * every slave descriptor is closed; it is reported only after every byte
 * before it.  On exit we take the status through the pidfd (leaving the
 * zombie for proc_reap, see proc.h) and then read whatever the terminal
 * already holds, so `wait` sees all the child wrote even when a
 * grandchild keeps the terminal open and EOF never comes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "out.h"
#include "portable.h"
#include "proc.h"
#include "wait.h"
#include "redact.h"

#define READ_BUDGET	(1024 * 1024)	/* per callback, to stay fair */
#define EXIT_POLL	0.02		/* seconds: only if SIGCHLD cannot be
					 * watched (no pipe for it) */

/*
 * Room the input buffer may take beyond maxbuf: a full window moves
 * down once per `slack` bytes read, so the slack sets how often each
 * byte is moved.  max(maxbuf/4, min(maxbuf, 1 MiB)) - a default window
 * of 1 MiB moves each byte once - and never less than one read.
 */
static size_t
window_slack(size_t maxbuf)
{
	size_t mib = 1024 * 1024;
	size_t slack = maxbuf < mib ? maxbuf : mib;	/* min(maxbuf, 1 MiB) */

	if (slack < maxbuf / 4)
		slack = maxbuf / 4;
	return slack > LOOP_SCRATCH ? slack : LOOP_SCRATCH;
}

/*
 * Copy n bytes to stdout (a stderr stream: stderr) for show: all of them,
 * also to a non-blocking descriptor.  The first failure is said once on
 * stderr and ends every copy (core.show_failed tells the Lua side).
 * Returns 0, or -1 once copying has failed.
 */
static int
show_write(void *ctx, const char *s, size_t n)
{
	struct proc *p = ctx;
	char msg[160];
	int len;

	if (p->lp != NULL && p->lp->show_errno != 0)
		return -1;
	fflush(stdout);	/* keep order with the script's own print */
	if (out_write(p->showfd, s, n) == 0 || p->lp == NULL)
		return 0;
	p->lp->show_errno = errno;
	len = snprintf(msg, sizeof msg, "ptyscript: show: standard %s: write "
	    "failed: %s\n", p->showfd == STDERR_FILENO ? "error" : "output",
	    strerror(errno));
	if (len > 0)
		(void)out_write(STDERR_FILENO, msg, strlen(msg));
	return -1;
}

/*
 * Copy n bytes for show with the script's secrets as "***" (a CI log is
 * a transcript too), keeping back a tail that could still grow into a
 * secret (one echoed a key at a time) until the next bytes, or the end
 * (proc_show_flush), decide.
 */
static void
proc_show_bytes(struct proc *p, const char *s, size_t n)
{
	struct redact *r = p->lp != NULL ? p->lp->secrets : NULL;
	struct buf *held = &p->show_held;
	size_t used;

	if (p->lp != NULL && p->lp->show_errno != 0)
		return;
	if (r == NULL || (redact_count(r) == 0 && buf_len(held) == 0)) {
		(void)show_write(p, s, n);
		return;
	}
	if (buf_len(held) == 0) {
		if (redact_run(r, s, n, REDACT_STREAM, show_write, p, &used) ==
		    0 && used < n && buf_append(held, s + used, n - used) == -1)
			(void)redact_run(r, s + used, n - used, REDACT_FINAL,
			    show_write, p, &used);	/* (out of memory) */
		return;
	}
	if (buf_append(held, s, n) == -1) {
		proc_show_flush(p);
		(void)redact_run(r, s, n, REDACT_FINAL, show_write, p, &used);
		return;
	}
	if (redact_run(r, buf_head(held), buf_len(held), REDACT_STREAM,
	    show_write, p, &used) != 0)
		used = buf_len(held);
	buf_consume(held, used);
	if (buf_len(held) == 0)
		buf_free(held);
}

/*
 * The end of what show copies of p (EOF, hang-up, show turned off):
 * the tail kept back, as "***" if it is the start of a secret.
 */
void
proc_show_flush(struct proc *p)
{
	size_t used;

	if (buf_len(&p->show_held) == 0)
		return;
	if (p->lp != NULL && p->lp->secrets != NULL)
		(void)redact_run(p->lp->secrets, buf_head(&p->show_held),
		    buf_len(&p->show_held), REDACT_FINAL, show_write, p, &used);
	buf_free(&p->show_held);
}

/*
 * Keep n new bytes: copy them with show, append, bound to maxbuf.  (Also
 * the matching engine's fuzzer's way in: fuzz/match_fuzz.c.)
 */
void
proc_take(struct proc *p, const char *s, size_t n)
{
	size_t len, drop;

	if (p->show)
		proc_show_bytes(p, s, n);
	p->received += n;
	if (p->sink.feed != NULL)
		p->sink.feed(p->sink.ctx, s, n);
	if (p->tapped && buf_append(&p->tap, s, n) == 0) {
		p->obj.armed |= PROC_TAP;	/* always reported */
		loop_fire(p->lp, &p->obj, PROC_TAP);
	}
	if (n >= p->maxbuf) {	/* only the newest maxbuf bytes matter */
		drop = buf_len(&p->in) + (n - p->maxbuf);
		buf_consume(&p->in, buf_len(&p->in));
		s += n - p->maxbuf;
		n = p->maxbuf;
		p->base += drop;
	}
	len = buf_len(&p->in);
	if (len + n > p->maxbuf) {
		drop = len + n - p->maxbuf;
		buf_consume(&p->in, drop);
		p->base += drop;
	}
	if (buf_append_capped(&p->in, s, n, p->maxbuf + window_slack(p->maxbuf)) ==
	    -1) {
		/* XXX: out of memory; the bytes are counted but not kept. */
		p->base += n;
	}
}

/*
 * The terminal is gone (EOF): queued output can never be written (the
 * master keeps answering EAGAIN, not an error), so drop it, remember why,
 * and wake a send waiting for the queue to drain.
 */
static void
proc_fail_writes(struct proc *p)
{
	if (!p->tty || buf_len(&p->out) == 0)
		return;		/* a pipe to stdin outlives stdout's EOF */
	if (p->write_errno == 0)
		p->write_errno = EIO;
	buf_consume(&p->out, buf_len(&p->out));
	buf_shrink(&p->out);
	ev_io_stop(p->lp->ev, &p->wio);
	loop_fire(p->lp, &p->obj, PROC_DRAIN);
}

/*
 * write(2) that never raises SIGPIPE: a child that closed its end of a
 * pipe must give EPIPE, not end the script (or kill the library's host).
 * A terminal never raises it: the master takes the plain path.
 */
static ssize_t
proc_write(struct proc *p, const char *s, size_t n)
{
	if (p->tty)
		return write(p->wfd, s, n);
	return out_write_nosig(p->wfd, s, n);
}

/* Close the write side (a pipe; the master is closed by hangup only). */
static void
proc_close_wfd(struct proc *p)
{
	if (p->tty || p->wfd == -1)
		return;
	if (p->lp != NULL)
		ev_io_stop(p->lp->ev, &p->wio);
	close(p->wfd);
	p->wfd = -1;
	p->closing = 0;
	buf_free(&p->out);
}

/* The monotonic clock in nanoseconds. */
unsigned long long
proc_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	    (unsigned long long)ts.tv_nsec;
}

/* Bytes went out to p: a reply may be on its way (see proc.h, sent). */
static void
note_sent(struct proc *p)
{
	if (!p->sent) {
		p->sent = 1;
		p->sent_ns = proc_clock_ns();
	}
}

/*
 * Read until EAGAIN, EOF or the budget; returns bytes read.  Output (or
 * EOF) after a send notes how long the reply took.
 */
static size_t
proc_drain(struct proc *p)
{
	size_t total = 0;
	ssize_t n;

	p->last_read = 0;
	while (!p->eof && p->fd != -1 && total < READ_BUDGET) {
		n = read(p->fd, p->lp->scratch, LOOP_SCRATCH);
		if (n > 0) {
			proc_take(p, p->lp->scratch, (size_t)n);
			total += (size_t)n;
			p->last_read = (size_t)n;
			if ((size_t)n < LOOP_SCRATCH / 2 && !p->exited)
				break;	/* likely drained; the loop is level-triggered */
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n == -1 && errno != EIO)
			p->read_errno = errno;
		p->eof = 1;
		ev_io_stop(p->lp->ev, &p->rio);
		proc_fail_writes(p);
	}
	if (p->eof)
		proc_show_flush(p);
	if (p->sent && (total > 0 || p->eof)) {
		p->reply_ns = proc_clock_ns() - p->sent_ns;
		p->sent = 0;
	}
	return total;
}

static void
read_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct proc *p = w->data;

	(void)ev;
	(void)revents;
	if (proc_drain(p) > 0 || p->eof)
		loop_fire(p->lp, &p->obj, PROC_DATA);
}

static void
write_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct proc *p = w->data;
	ssize_t n;

	(void)revents;
	while (buf_len(&p->out) > 0) {
		n = proc_write(p, buf_head(&p->out), buf_len(&p->out));
		if (n > 0) {
			note_sent(p);
			buf_consume(&p->out, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		/* The terminal is gone: what is left can never be written. */
		p->write_errno = n == -1 ? errno : EIO;
		buf_consume(&p->out, buf_len(&p->out));
	}
	if (buf_len(&p->out) == 0) {
		ev_io_stop(ev, w);
		buf_shrink(&p->out);
		if (p->closing)
			proc_close_wfd(p);
	}
	if (buf_len(&p->out) <= PROC_LOW_WATER)
		loop_fire(p->lp, &p->obj, PROC_DRAIN);
}

static void
exit_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	(void)ev;
	(void)revents;
	proc_poll_exit(w->data);
}

static void
exit_timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	(void)ev;
	(void)revents;
	proc_poll_exit(w->data);
}

/*
 * Exits without pidfds (a kernel or system without them, or the
 * PORTABLE build): SIGCHLD, and a waitid per child of ours - never
 * waitpid(-1), which would take the statuses of io.popen's and
 * os.execute's children.  The handler only writes a byte to a pipe
 * (the one C global a signal handler needs); the loop watches the
 * pipe, and at each wake-up asks every child of ours without a pidfd
 * (WNOWAIT: it stays a zombie until proc_reap).  The pipe's watcher
 * does not keep the loop alive by itself: each running child holds a
 * reference instead, so a wait for an exit keeps the loop alive exactly
 * as a pidfd's watcher does.
 */
static int chld_pipe[2] = { -1, -1 };

static void
chld_handler(int sig)
{
	int saved = errno;

	(void)sig;
	(void)write(chld_pipe[1], "", 1);	/* full: a wake-up is pending */
	errno = saved;
}

/* Empty the pipe: one scan answers every SIGCHLD so far. */
static void
chld_drain(void)
{
	char buf[64];

	while (read(chld_pipe[0], buf, sizeof buf) > 0)
		;
}

static void
chld_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct loop *lp = w->data;
	struct proc *p;

	(void)ev;
	(void)revents;
	chld_drain();
	for (p = lp->procs; p != NULL; p = p->next)
		if (p->pid > 0 && !p->exited && p->pidfd == -1)
			(void)proc_poll_exit(p);
}

/*
 * Watch SIGCHLD on lp (once per process for the handler, once per loop
 * for the watcher): at the first child without a pidfd, or, in a build
 * without pidfds, when the loop is made (l_core.c), so that the pipe is
 * there before any session, not one of its leftovers.  An inherited
 * SIG_IGN was reset when the module loaded (loop_default_sigchld); a
 * host's own handler is replaced, and the signal unblocked.
 * Returns 0, or -1 when no pipe could be made.
 */
int
proc_watch_exits(struct loop *lp)
{
	struct sigaction sa;
	sigset_t set;
	int i;

	if (chld_pipe[0] == -1) {
		if (pipe(chld_pipe) == -1)
			return -1;
		for (i = 0; i < 2; i++) {
			(void)fcntl(chld_pipe[i], F_SETFD, FD_CLOEXEC);
			(void)fcntl(chld_pipe[i], F_SETFL, O_NONBLOCK);
		}
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = chld_handler;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGCHLD, &sa, NULL) == -1) {
			close(chld_pipe[0]);
			close(chld_pipe[1]);
			chld_pipe[0] = chld_pipe[1] = -1;
			return -1;
		}
		/* a mask inherited with it blocked would hide every exit */
		sigemptyset(&set);
		sigaddset(&set, SIGCHLD);
		(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	}
	if (!lp->chld_on) {
		ev_io_init(&lp->chld, chld_cb, chld_pipe[0], EV_READ);
		lp->chld.data = lp;
		ev_io_start(lp->ev, &lp->chld);
		ev_unref(lp->ev);	/* the running children keep it alive */
		lp->chld_on = 1;
	}
	return 0;
}

/*
 * Take over a freshly spawned child: start reading and watching it.  fd is
 * read, wfd written (the same master for a pty; pipes, either maybe -1,
 * otherwise).  A stream has pid 0: there is no exit to watch.
 */
void
proc_start(struct proc *p, struct loop *lp, pid_t pid, int pidfd, int fd,
    int wfd, size_t maxbuf)
{
	memset(p, 0, sizeof *p);
	p->lp = lp;
	p->pid = pid;
	p->pidfd = pidfd;
	p->fd = fd;
	p->wfd = wfd;
	p->tty = fd == wfd;
	p->showfd = STDOUT_FILENO;
	p->maxbuf = maxbuf > 0 ? maxbuf : 1;
	buf_init(&p->in);
	buf_init(&p->out);
	buf_init(&p->tap);
	buf_init(&p->show_held);
	ev_io_init(&p->rio, read_cb, fd, EV_READ);
	ev_io_init(&p->wio, write_cb, wfd, EV_WRITE);
	p->rio.data = p->wio.data = p;
	if (fd != -1)
		ev_io_start(lp->ev, &p->rio);
	else
		p->eof = 1;	/* nothing to read: a write-only stream */
	p->next = lp->procs;
	if (lp->procs != NULL)
		lp->procs->prev = p;
	lp->procs = p;
	if (pid <= 0) {
		p->exited = 1;
		p->reaped = 1;	/* no child of its own: nothing to signal */
		return;
	}
	p->obj.armed = PROC_EXIT;	/* the exit always reaches the Lua side */
	if (pidfd != -1) {
		ev_io_init(&p->xio, exit_cb, pidfd, EV_READ);
		p->xio.data = p;
		ev_io_start(lp->ev, &p->xio);
	} else if (proc_watch_exits(lp) == 0) {
		ev_ref(lp->ev);		/* released at the exit (proc_exited) */
		p->chld_ref = 1;
		/* it may be gone before the first SIGCHLD could be watched:
		 * the loop's next scan looks (a poll here would read its
		 * output before the script could attach a transcript) */
		(void)write(chld_pipe[1], "", 1);
	} else {
		ev_timer_init(&p->xtm, exit_timer_cb, EXIT_POLL, EXIT_POLL);
		p->xtm.data = p;
		ev_timer_start(lp->ev, &p->xtm);
	}
}

/* Make s (started with pid 0) a stream of process p. */
void
proc_add_stream(struct proc *p, struct proc *s)
{
	s->owner = p;
	s->sibling = p->streams;
	p->streams = s;
}

/*
 * Close the pipe to the child once what is queued is written: EOF on its
 * stdin (or extra descriptor).  Returns 0, or -1 with EINVAL for a pty.
 */
int
proc_close_write(struct proc *p)
{
	if (p->tty) {
		errno = EINVAL;
		return -1;
	}
	if (buf_len(&p->out) == 0)
		proc_close_wfd(p);
	else
		p->closing = 1;
	return 0;
}

/*
 * Queue n bytes for the child; write at once what the terminal takes.
 * Returns 0, or -1 with errno (EIO: the terminal is gone; EBADF: hung up).
 */
int
proc_send(struct proc *p, const char *s, size_t n)
{
	ssize_t w;

	if (p->wfd == -1 || p->closing) {
		errno = EBADF;
		return -1;
	}
	if (p->write_errno) {
		errno = p->write_errno;
		return -1;
	}
	if (p->eof && p->tty) {	/* no one can read the terminal any more */
		errno = EIO;
		return -1;
	}
	while (buf_len(&p->out) == 0 && n > 0) {
		w = proc_write(p, s, n);
		if (w > 0) {
			note_sent(p);
			s += w;
			n -= (size_t)w;
			continue;
		}
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (w == 0)
			errno = EIO;
		p->write_errno = errno;
		return -1;
	}
	if (n == 0)
		return 0;
	if (buf_append(&p->out, s, n) == -1)
		return -1;
	ev_io_start(p->lp->ev, &p->wio);
	return 0;
}

/* Drop n bytes from the front of the input (they were matched or read). */
void
proc_consume(struct proc *p, size_t n)
{
	if (n > buf_len(&p->in))
		n = buf_len(&p->in);
	buf_consume(&p->in, n);
	p->base += n;
}

/* Read the child unless paused or held. */
static void
proc_set_reading(struct proc *p)
{
	if (p->fd == -1 || p->eof || p->lp == NULL)
		return;
	if (p->paused || p->held)
		ev_io_stop(p->lp->ev, &p->rio);
	else
		ev_io_start(p->lp->ev, &p->rio);
}

/* Stop or restart reading the child; its writes then block in the kernel. */
void
proc_pause(struct proc *p, int pause)
{
	p->paused = pause != 0;
	proc_set_reading(p);
}

/*
 * The same for the data callbacks' queue, apart from the script's own
 * pause: neither lifts the other.  A hold, unlike a pause, still lets the
 * exit read what the terminal holds (one bounded read), so that the
 * callbacks get the last output before the exit is told.
 */
void
proc_hold(struct proc *p, int hold)
{
	p->held = hold != 0;
	proc_set_reading(p);
}

/*
 * Record a wait status and stop watching the exit.  The pidfd stays open
 * (it is readable from now on, so its watcher must stop) until the reap.
 */
static void
proc_exited(struct proc *p, const siginfo_t *si)
{
	p->exited = 1;
	if (si->si_code == CLD_EXITED) {
		p->exitcode = si->si_status;
		p->termsig = 0;
	} else {
		p->exitcode = -1;
		p->termsig = si->si_status;
	}
	if (p->lp != NULL) {
		if (p->pidfd != -1)
			ev_io_stop(p->lp->ev, &p->xio);
		else if (p->chld_ref)
			ev_unref(p->lp->ev);
		else
			ev_timer_stop(p->lp->ev, &p->xtm);
	}
	p->chld_ref = 0;
}

/* Let go of the pidfd, once the child is reaped (by us or not). */
static void
close_pidfd(struct proc *p)
{
	if (p->pidfd != -1) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

/* waitid(2) on our child only: through its pidfd, or its pid. */
static int
child_waitid(const struct proc *p, siginfo_t *si, int flags)
{
	int rc;

	memset(si, 0, sizeof *si);
	do {
#ifndef PTYSCRIPT_NO_PIDFD
		if (p->pidfd != -1)
			rc = waitid(P_PIDFD, (id_t)p->pidfd, si, WEXITED | flags);
		else
#endif
			rc = waitid(P_PID, (id_t)p->pid, si, WEXITED | flags);
	} while (rc == -1 && errno == EINTR);
	return rc;
}

/*
 * Somebody else has reaped our child (ECHILD: a host's wait(-1), say):
 * its status is lost, and its pid may be another process's already.
 */
static void
proc_lost(struct proc *p)
{
	siginfo_t si;

	p->reaped = 1;
	if (!p->exited) {
		memset(&si, 0, sizeof si);
		si.si_code = CLD_KILLED;	/* reported as exit -1 */
		proc_exited(p, &si);
	}
	close_pidfd(p);
}

/*
 * Whether the child has exited, seen now (1) or not yet (0).  WNOWAIT
 * leaves it a zombie: only proc_reap reaps.
 */
static int
proc_observe(struct proc *p)
{
	siginfo_t si;

	if (p->exited || p->reaped)
		return 0;
	if (child_waitid(p, &si, WNOHANG | WNOWAIT) == -1) {
		if (errno != ECHILD)
			return 0;
		proc_lost(p);
		return 1;
	}
	if (si.si_pid == 0)
		return 0;			/* still running */
	proc_exited(p, &si);
	return 1;
}

/*
 * Record the exit if the child has exited, then read what it left in
 * the terminal and in its streams, and only then tell the exit: what it
 * wrote anywhere before the exit is reported first.  Returns 1 when the
 * child has exited (now or before).
 */
int
proc_poll_exit(struct proc *p)
{
	unsigned bits = PROC_EXIT;

	struct proc *s;

	if (p->exited)
		return 1;
	if (!proc_observe(p))
		return 0;
	if (p->lp == NULL)
		return 1;
	for (s = p->streams; s != NULL; s = s->sibling)
		if (!s->paused && s->fd != -1 && (proc_drain(s) > 0 || s->eof))
			loop_fire(s->lp, &s->obj, PROC_DATA);
	if (!p->paused && (proc_drain(p) > 0 || p->eof))
		bits |= PROC_DATA;
	loop_fire(p->lp, &p->obj, bits);
	return 1;
}

/*
 * The child's state asked now, without recording an exit: 0 running,
 * 1 exited (*si its status; an unreaped zombie of ours), -1 no longer
 * ours (reaped by us, or by somebody else: noticed here).  Called from
 * outside the loop (the script's status, signals, hangup): only the loop
 * records an exit (proc_poll_exit), reading first what the child left,
 * so that output is read only while the script waits and a transcript
 * attached after spawn misses nothing.
 */
static int
proc_peek(struct proc *p, siginfo_t *si)
{
	if (p->pid <= 0 || p->reaped)
		return -1;
	if (child_waitid(p, si, WNOHANG | WNOWAIT) == -1) {
		if (errno != ECHILD)
			return p->exited;
		if (p->exited)
			proc_lost(p);
		else
			(void)proc_poll_exit(p);	/* lost: told at once */
		return -1;
	}
	if (p->exited)
		return 1;
	return si->si_pid != 0;
}

/*
 * Whether p's pid, and the group id -pid, are still its child's: the
 * child is running or an unreaped zombie of ours (asked again, so that a
 * reap by somebody else is noticed).  Only then may they be signalled.
 */
static int
proc_held(struct proc *p)
{
	siginfo_t si;

	return proc_peek(p, &si) >= 0;
}

/*
 * Whether the child has exited, with its status: as the loop recorded
 * it, or asked now without recording it (see proc_peek).  1 or 0.  A
 * child somebody else reaped is recorded by the asking (exit -1), and
 * told at once.
 */
int
proc_exit_status(struct proc *p, int *exitcode, int *termsig)
{
	siginfo_t si;
	int seen;

	seen = p->exited ? 1 : proc_peek(p, &si);
	if (p->exited) {	/* recorded, maybe just now: lost (-1) */
		*exitcode = p->exitcode;
		*termsig = p->termsig;
		return 1;
	}
	if (seen != 1)
		return 0;
	if (si.si_code == CLD_EXITED) {
		*exitcode = si.si_status;
		*termsig = 0;
	} else {
		*exitcode = -1;
		*termsig = si.si_status;
	}
	return 1;
}

/*
 * Send sig to the running child, or to its process group (it is a
 * session leader).  Returns 1, 0 when the child has exited (nothing is
 * sent), or -1 with errno.
 */
int
proc_signal(struct proc *p, int sig, int group)
{
	siginfo_t si;

	if (proc_peek(p, &si) != 0)
		return 0;
	if (kill(group ? -p->pid : p->pid, sig) == -1)
		return -1;
	return 1;
}

static int
pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * How many of the n process groups pgid[] (sorted) have a live member:
 * a process that is not a zombie.  From /proc/N/stat (state, pgrp and
 * session follow the command name in parentheses); 0 when /proc cannot
 * be read.  kill(-pgid, 0) cannot tell: the unreaped leader is a member.
 *
 * close asks this for every child, and reading the stat of every process
 * on the machine each time made closing many sessions quadratic.  But
 * each pgid[] is the leader of its own session (spawn's setsid), and a
 * group's members are all in its session; a process never enters a
 * session it was not forked into (setsid makes a new one).  So a process
 * once seen in another session can never be a member: the loop keeps,
 * from one scan to the next, each process's session with the inode
 * number of its /proc directory (a new process with a recycled pid has a
 * new inode), and reads again only the processes it has not seen and
 * those of the sessions asked about.
 */
#ifndef PTYSCRIPT_NO_PROC
struct pid_seen {
	pid_t pid;		/* 0: a free slot */
	pid_t sid;
	unsigned long long ino;
};

static size_t
seen_slot(size_t cap, pid_t pid)
{
	return ((size_t)pid * 2654435761u) & (cap - 1);
}

/* The session of pid as last seen with this inode, or -1 (not seen,
 * or another process since). */
static pid_t
seen_sid(const struct loop *lp, pid_t pid, unsigned long long ino)
{
	const struct pid_seen *t = lp != NULL ? lp->seen : NULL;
	size_t i;

	if (t == NULL)
		return -1;
	for (i = seen_slot(lp->seen_cap, pid); t[i].pid != 0;
	    i = (i + 1) & (lp->seen_cap - 1))
		if (t[i].pid == pid)
			return t[i].ino == ino ? t[i].sid : -1;
	return -1;
}

/* Make the n entries of v (distinct pids) the loop's table (none
 * without a loop); frees v. */
static void
seen_keep(struct loop *lp, struct pid_seen *v, size_t n)
{
	struct pid_seen *t;
	size_t cap = 64, i, k;

	if (lp == NULL) {
		free(v);
		return;
	}
	while (cap < 2 * n)
		cap *= 2;
	free(lp->seen);
	lp->seen = NULL;
	lp->seen_cap = 0;
	if ((t = calloc(cap, sizeof *t)) != NULL) {
		for (k = 0; k < n; k++) {
			for (i = seen_slot(cap, v[k].pid); t[i].pid != 0;
			    i = (i + 1) & (cap - 1))
				;
			t[i] = v[k];
		}
		lp->seen = t;
		lp->seen_cap = cap;
	}
	free(v);
}

static size_t
groups_alive(struct loop *lp, const pid_t *pgid, size_t n)
{
	_Alignas(struct dirent64) char dents[8192];
	char path[32], buf[512], *q, state;
	unsigned char few[64], *live = few;
	struct pid_seen *v = NULL, *nv;
	size_t nv_len = 0, nv_cap = 0;
	struct dirent64 *e;
	const pid_t *hit;
	size_t count = 0;
	ssize_t got, off, len;
	long pg, sid;
	pid_t key, pid, was;
	int dfd, fd;

	if (n == 0)
		return 0;
	if (n > sizeof few && (live = calloc(n, 1)) == NULL)
		return 0;
	if (n <= sizeof few)
		memset(few, 0, n);
	if ((dfd = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		goto out;
	while ((got = getdents64(dfd, dents, sizeof dents)) > 0) {
		for (off = 0; off < got; off += e->d_reclen) {
			e = (struct dirent64 *)(void *)(dents + off);
			if (e->d_name[0] < '1' || e->d_name[0] > '9')
				continue;
			pid = (pid_t)strtol(e->d_name, NULL, 10);
			was = seen_sid(lp, pid, e->d_ino);
			if (was >= 0 && bsearch(&was, pgid, n, sizeof *pgid,
			    pid_cmp) == NULL) {
				sid = was;	/* never a member: not read */
				goto keep;
			}
			snprintf(path, sizeof path, "%.16s/stat", e->d_name);
			if ((fd = openat(dfd, path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			len = read(fd, buf, sizeof buf - 1);
			close(fd);
			if (len <= 0)
				continue;
			buf[len] = '\0';
			if ((q = strrchr(buf, ')')) == NULL ||
			    sscanf(q + 1, " %c %*d %ld %ld", &state, &pg,
			    &sid) != 3)
				continue;
			if (state != 'Z' && state != 'X') {
				key = (pid_t)pg;
				hit = bsearch(&key, pgid, n, sizeof *pgid,
				    pid_cmp);
				if (hit != NULL && !live[hit - pgid]) {
					live[hit - pgid] = 1;
					count++;
				}
			}
keep:
			if (sid < 0)
				continue;
			if (nv_len == nv_cap) {
				nv_cap = nv_cap ? 2 * nv_cap : 256;
				if ((nv = realloc(v, nv_cap * sizeof *v)) == NULL) {
					free(v);
					v = NULL;
					nv_len = nv_cap = 0;
					continue;
				}
				v = nv;
			}
			v[nv_len].pid = pid;
			v[nv_len].sid = (pid_t)sid;
			v[nv_len++].ino = e->d_ino;
		}
	}
	close(dfd);
	seen_keep(lp, v, nv_len);
out:
	if (live != few)
		free(live);
	return count;
}
#else
/* Without /proc no live member can be told from the leader's zombie:
 * none is waited for (what is left is still killed by proc_reap). */
static size_t
groups_alive(struct loop *lp, const pid_t *pgid, size_t n)
{
	(void)lp;
	(void)pgid;
	(void)n;
	return 0;
}
#endif

/*
 * Whether anything of the child's process group still runs: the child,
 * or what it left behind (background jobs) once it has exited.
 */
int
proc_group_alive(struct proc *p)
{
	if (!proc_held(p))
		return 0;
	if (!p->exited)
		return 1;
	return groups_alive(p->lp, &p->pid, 1) > 0;
}

/*
 * Hang up: close the master (the kernel sends SIGHUP to the foreground
 * group), and send SIGHUP and SIGCONT to the child's group ourselves in
 * case it left the terminal's foreground.  Unread output is discarded.
 * The output has ended for us: a task waiting for more (another task
 * closed the process) is woken, and sees EOF; one waiting for queued
 * output to drain is woken, and raises.
 */
void
proc_hangup(struct proc *p)
{
	struct proc *s;
	size_t n, total;

	for (s = p->streams; s != NULL; s = s->sibling)
		proc_hangup(s);
	if (p->fd == -1 && p->wfd == -1) {
		proc_show_flush(p);
		return;
	}
	/* what the child wrote before the hang-up is kept, not lost with
	 * the terminal (a budget: a child still writing could go on) */
	for (total = 0; p->lp != NULL && !p->eof &&
	    total < READ_BUDGET && (n = proc_drain(p)) > 0; total += n)
		;
	proc_show_flush(p);
	if (p->lp != NULL) {
		ev_io_stop(p->lp->ev, &p->rio);
		ev_io_stop(p->lp->ev, &p->wio);
	}
	if (p->fd != -1)
		close(p->fd);
	if (p->wfd != -1 && p->wfd != p->fd)
		close(p->wfd);
	p->fd = p->wfd = -1;
	p->eof = 1;
	p->closing = 0;
	if (buf_len(&p->out) > 0 && p->write_errno == 0)
		p->write_errno = EBADF;	/* a send waiting for the queue raises */
	buf_free(&p->out);
	if (p->lp != NULL)
		loop_fire(p->lp, &p->obj, PROC_DATA | PROC_DRAIN);
	if (proc_held(p)) {	/* its zombie still holds the group id */
		(void)kill(-p->pid, SIGHUP);
		(void)kill(-p->pid, SIGCONT);
	}
}

/*
 * Hang up every child of lp (proc_hangup: what each wrote and nobody
 * read yet is read first): the end of a script, before its transcripts,
 * recordings and pictures end, so that they keep that output as close
 * would have.
 */
void
proc_hangup_all(struct loop *lp)
{
	struct proc *p;

	for (p = lp->procs; p != NULL; p = p->next)
		proc_hangup(p);
}

/*
 * Kill what is left of the child's group and reap the child, blocking;
 * for close after its grace, GC and the exit clean-up.  The zombie holds
 * the group id until this reap, so the KILL reaches nobody else.  An
 * exit seen only now is reported as one the loop saw (exit callbacks
 * run).  After this, the pid is never signalled again.
 */
void
proc_reap(struct proc *p)
{
	siginfo_t si;
	int seen = 0;

	if (!proc_held(p))
		return;
	(void)kill(-p->pid, SIGKILL);
	if (!p->exited)
		(void)kill(p->pid, SIGKILL);
	p->reaped = 1;		/* before the pid can be freed */
	if (child_waitid(p, &si, 0) == 0) {
		if (!p->exited) {
			proc_exited(p, &si);
			seen = 1;
		}
	} else if (!p->exited) {	/* ECHILD: reaped behind our back */
		proc_lost(p);
		seen = 1;
	}
	close_pidfd(p);
	if (seen && p->lp != NULL)
		loop_fire(p->lp, &p->obj, PROC_EXIT);
}

/* Free everything; the child is hung up, killed and reaped if needed. */
void
proc_destroy(struct proc *p)
{
	struct loop *lp = p->lp;

	struct proc **sp, *s;

	proc_hangup(p);
	proc_reap(p);
	close_pidfd(p);
	if (p->owner != NULL) {		/* a stream leaves its process */
		for (sp = &p->owner->streams; *sp != NULL; sp = &(*sp)->sibling)
			if (*sp == p) {
				*sp = p->sibling;
				break;
			}
		p->owner = NULL;
	}
	while ((s = p->streams) != NULL) {	/* a process leaves its streams */
		p->streams = s->sibling;
		s->owner = NULL;
		s->sibling = NULL;
	}
	if (p->obj.park != NULL) {	/* a task's parked wait: woken, to
					 * see the end */
		if (lp != NULL)
			wait_wake(lp, p->obj.park, PARK_DATA);
		else
			wait_unpark(p->obj.park);
	}
	if (lp != NULL) {
		loop_forget(lp, &p->obj);
		if (p->prev != NULL)
			p->prev->next = p->next;
		else
			lp->procs = p->next;
		if (p->next != NULL)
			p->next->prev = p->prev;
		p->lp = NULL;
	}
	p->next = p->prev = NULL;
	if (p->sink.free != NULL)
		p->sink.free(p->sink.ctx);
	memset(&p->sink, 0, sizeof p->sink);
	buf_free(&p->in);
	buf_free(&p->out);
	buf_free(&p->tap);
	buf_free(&p->show_held);
}

static double
mono_now(void)
{
	return (double)proc_clock_ns() / 1e9;
}

/*
 * At exit: hang up every child, give them `grace` seconds to go (ended as
 * soon as the last has exited: we poll their pidfds, we do not sleep),
 * then SIGKILL the groups that remain and reap everything.  A group whose
 * leader has exited still counts while members (background jobs) remain:
 * no orphans are left behind.
 */
void
proc_shutdown_all(struct loop *lp, double grace)
{
	struct proc *p;
	struct pollfd *pfd;
	pid_t *zombies;
	size_t n, k, nz, running, groups;
	double deadline = mono_now() + grace, left;
	int ms, chld;

	for (n = 0, p = lp->procs; p != NULL; p = p->next) {
		proc_hangup(p);
		n++;
	}
	pfd = n > 0 ? calloc(n + 1, sizeof *pfd) : NULL;
	zombies = n > 0 ? calloc(n, sizeof *zombies) : NULL;
	while (pfd != NULL && zombies != NULL &&
	    (left = deadline - mono_now()) > 0) {
		k = nz = running = 0;
		chld = 0;
		if (chld_pipe[0] != -1)
			chld_drain();	/* the scan below answers them */
		for (p = lp->procs; p != NULL; p = p->next) {
			if (p->pid <= 0 || p->reaped)
				continue;
			if (!p->exited && !proc_observe(p)) {
				running++;
				if (p->pidfd != -1) {
					pfd[k].fd = p->pidfd;
					pfd[k++].events = POLLIN;
				} else {
					chld = 1;
				}
			} else if (!p->reaped) {
				zombies[nz++] = p->pid;
			}
		}
		groups = 0;
		if (nz > 0) {	/* their groups: only pollable through /proc */
			qsort(zombies, nz, sizeof *zombies, pid_cmp);
			groups = groups_alive(lp, zombies, nz);
			running += groups;
		}
		if (running == 0)
			break;
		if (chld && chld_pipe[0] != -1) {	/* SIGCHLD wakes us */
			pfd[k].fd = chld_pipe[0];
			pfd[k++].events = POLLIN;
		}
		ms = (int)(left * 1000) + 1;
		if ((groups > 0 || (chld && chld_pipe[0] == -1)) && ms > 10)
			ms = 10;
		(void)poll(pfd, (nfds_t)k, ms);
	}
	free(pfd);
	free(zombies);
	for (p = lp->procs; p != NULL; p = p->next)
		proc_reap(p);
}

/*
 * proc_shutdown_all for a signal handler (see loop.c): kill every
 * child's group at once, with no grace, and reap the children (the
 * process dies next: none is left to init), for at most KILL_REAP_MS.
 * Only kill(2), waitpid(2) and poll(2), which are async-signal-safe; the
 * list is read as the interrupted code left it, and not changed.  A
 * child being reaped is marked first (proc_reap): it is left alone.
 */
#define KILL_REAP_MS	1000

void
proc_kill_all_now(struct loop *lp)
{
	struct proc *p;
	int ms, left, st;

	for (p = lp->procs; p != NULL; p = p->next)
		if (p->pid > 0 && !p->reaped)
			(void)kill(-p->pid, SIGKILL);
	for (ms = 0; ms < KILL_REAP_MS; ms += 10) {
		left = 0;
		for (p = lp->procs; p != NULL; p = p->next)
			if (p->pid > 0 && !p->reaped &&
			    waitpid(p->pid, &st, WNOHANG) == 0)
				left++;		/* (-1: reaped before, or not ours) */
		if (left == 0)
			break;
		(void)poll(NULL, 0, 10);
	}
}
