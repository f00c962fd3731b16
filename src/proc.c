/*
 * proc.c - the life of one child on the loop.
 *
 * Exit and EOF are separate events (Twisted's processExited and
 * processEnded).  EOF is the master read returning EIO (Linux) or 0 once
 * every slave descriptor is closed; it is reported only after every byte
 * before it.  On exit we reap through the pidfd and then read whatever the
 * terminal already holds, so `wait` sees all the child wrote even when a
 * grandchild keeps the terminal open and EOF never comes.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

#define READ_BUDGET	(1024 * 1024)	/* per callback, to stay fair */
#define EXIT_POLL	0.02		/* seconds, without a pidfd only */

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
 * Keep n new bytes: copy to stdout (a stderr stream: stderr) with --show,
 * append, bound to maxbuf.
 */
static void
proc_take(struct proc *p, const char *s, size_t n)
{
	size_t len, drop;
	ssize_t w;
	const char *q = s;
	size_t left = n;

	if (p->show) {
		fflush(stdout);	/* keep order with the script's own print */
		while (left > 0) {
			w = write(p->showfd, q, left);
			if (w == -1 && errno == EINTR)
				continue;
			if (w <= 0)
				break;	/* --show is best effort */
			q += w;
			left -= (size_t)w;
		}
	}
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
 * The signal is blocked around the write and one the write raised is
 * taken back before unblocking.  A terminal never raises it: the master
 * takes the plain path.
 */
static ssize_t
proc_write(struct proc *p, const char *s, size_t n)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	ssize_t w;
	int saved, was_pending;

	if (p->tty)
		return write(p->wfd, s, n);
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	(void)sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &pipe_set, &old);
	w = write(p->wfd, s, n);
	saved = errno;
	if (w == -1 && saved == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) == -1 &&
		    errno == EINTR)
			;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
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
		return;
	}
	p->obj.armed = PROC_EXIT;	/* the exit always reaches the Lua side */
	if (pidfd != -1) {
		ev_io_init(&p->xio, exit_cb, pidfd, EV_READ);
		p->xio.data = p;
		ev_io_start(lp->ev, &p->xio);
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

/* Record a wait status, stop watching the exit. */
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
		else
			ev_timer_stop(p->lp->ev, &p->xtm);
	}
	if (p->pidfd != -1) {
		close(p->pidfd);
		p->pidfd = -1;
	}
}

/* waitid on our child only; returns 1 when it was reaped now. */
static int
proc_waitid(struct proc *p, int flags)
{
	siginfo_t si;
	int rc;

	memset(&si, 0, sizeof si);
	do {
		if (p->pidfd != -1)
			rc = waitid(P_PIDFD, (id_t)p->pidfd, &si, WEXITED | flags);
		else
			rc = waitid(P_PID, (id_t)p->pid, &si, WEXITED | flags);
	} while (rc == -1 && errno == EINTR);
	if (rc == -1) {
		if (errno != ECHILD)
			return 0;
		si.si_code = CLD_KILLED;	/* somebody else reaped it */
		si.si_status = 0;
	} else if (si.si_pid == 0) {
		return 0;			/* still running */
	}
	proc_exited(p, &si);
	return 1;
}

/*
 * Reap the child if it has exited, then read what it left in the
 * terminal.  Returns 1 when the child has exited (now or before).
 */
int
proc_poll_exit(struct proc *p)
{
	unsigned bits = PROC_EXIT;

	struct proc *s;

	if (p->exited)
		return 1;
	if (!proc_waitid(p, WNOHANG))
		return 0;
	if (p->lp == NULL)
		return 1;
	if (!p->paused && (proc_drain(p) > 0 || p->eof))
		bits |= PROC_DATA;
	loop_fire(p->lp, &p->obj, bits);
	for (s = p->streams; s != NULL; s = s->sibling)
		if (!s->paused && s->fd != -1 && (proc_drain(s) > 0 || s->eof))
			loop_fire(s->lp, &s->obj, PROC_DATA);
	return 1;
}

/*
 * Whether the child's process group still has members.  After the child
 * itself is reaped its pid cannot be reused while the group it leads has
 * members, so signalling -pid reaches only what it left behind.
 */
static int
group_alive(const struct proc *p)
{
	return p->pid > 0 && kill(-p->pid, 0) == 0;
}

/* Signal the child's process group (it is a session leader). */
int
proc_signal_group(struct proc *p, int sig)
{
	if (p->exited || p->pid <= 0)
		return 0;
	return kill(-p->pid, sig);
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

	for (s = p->streams; s != NULL; s = s->sibling)
		proc_hangup(s);
	if (p->fd == -1 && p->wfd == -1)
		return;
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
	if (p->pid > 0 && (!p->exited || group_alive(p))) {
		(void)kill(-p->pid, SIGHUP);
		(void)kill(-p->pid, SIGCONT);
	}
}

/*
 * Kill the group and reap, blocking; for close's grace expiry and GC.
 * The exit is reported as one the loop saw (exit callbacks run).
 */
void
proc_reap(struct proc *p)
{
	if (p->exited || p->pid <= 0)
		return;
	(void)kill(-p->pid, SIGKILL);
	(void)kill(p->pid, SIGKILL);
	if (proc_waitid(p, 0) && p->lp != NULL)
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
	size_t n;
	double deadline = mono_now() + grace, left;
	int ms;

	for (n = 0, p = lp->procs; p != NULL; p = p->next) {
		proc_hangup(p);
		n++;
	}
	pfd = n > 0 ? calloc(n, sizeof *pfd) : NULL;
	while (pfd != NULL && (left = deadline - mono_now()) > 0) {
		size_t k = 0, running = 0;

		for (p = lp->procs; p != NULL; p = p->next) {
			if (!p->exited && !proc_waitid(p, WNOHANG)) {
				running++;
				if (p->pidfd != -1) {
					pfd[k].fd = p->pidfd;
					pfd[k++].events = POLLIN;
				}
			} else if (group_alive(p)) {
				running++;	/* only pollable by kill(2) */
			}
		}
		if (running == 0)
			break;
		ms = (int)(left * 1000) + 1;
		if (k < running && ms > 10)
			ms = 10;
		(void)poll(pfd, (nfds_t)k, ms);
	}
	free(pfd);
	for (p = lp->procs; p != NULL; p = p->next) {
		if (group_alive(p))
			(void)kill(-p->pid, SIGKILL);
		proc_reap(p);
	}
}

/*
 * proc_shutdown_all for a signal handler (see loop.c): kill every
 * child's group at once, with no grace and no reaping (the process dies
 * next; init reaps).  Only kill(2), which is async-signal-safe; the list
 * is read as the interrupted code left it.
 */
void
proc_kill_all_now(struct loop *lp)
{
	struct proc *p;

	for (p = lp->procs; p != NULL; p = p->next)
		if (group_alive(p))
			(void)kill(-p->pid, SIGKILL);
}
