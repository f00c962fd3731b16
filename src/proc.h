/*
 * proc.h - a running child: its terminal, its output buffer, its exit.
 *
 * The loop reads the master whenever it is readable (unless paused) into
 * `in`, bounded by maxbuf; writes queued in `out` go out as the master
 * accepts them, while reading goes on.  The exit is seen through a pidfd,
 * so only our own children are reaped.  No Lua in this file.
 *
 * An exited child is left a zombie until close, GC or the exit clean-up
 * reaps it (proc_reap): while the zombie exists its pid, and so the
 * group id -pid, cannot be given to another process, so signalling them
 * reaches only what we started.  Once reaped, they are never signalled
 * again.
 *
 * With pipes instead of a terminal, a process reads the child's stdout on
 * `fd` and writes its stdin on `wfd`; each further pipe (stderr, extra
 * descriptors) is a stream: a struct proc without a process (pid 0), owned
 * by the process, drained when it exits and hung up with it.
 */
#ifndef PTYSCRIPT_PROC_H
#define PTYSCRIPT_PROC_H

#include <signal.h>
#include <sys/types.h>

#include "buf.h"
#include "loop.h"

/* Event bits a Lua task can wait for. */
enum {
	PROC_DATA = 1,	/* new bytes in `in`, or EOF */
	PROC_EXIT = 2,	/* the child has exited (its status is known) */
	PROC_DRAIN = 4,	/* the write queue fell below PROC_LOW_WATER */
	PROC_TAP = 8	/* new bytes in `tap` */
};

#define PROC_LOW_WATER	(16 * 1024)

/*
 * Somebody else's view of the output (the screen emulator, l_screen.c):
 * feed gets every byte read, in order, as it arrives; fits says whether
 * a window size is one the sink can follow (setwinsize refuses others,
 * so that the child and the sink agree); resize follows setwinsize; free
 * is called once, when the process is destroyed.
 */
struct proc_sink {
	void (*feed)(void *ctx, const char *s, size_t n);
	int (*fits)(void *ctx, int rows, int cols);
	void (*resize)(void *ctx, int rows, int cols);
	void (*free)(void *ctx);
	void *ctx;
};

struct proc {
	struct loop_obj obj;	/* first: the loop's view of us */
	struct loop *lp;	/* NULL once shut down with the loop */
	struct proc *next, *prev;
	pid_t pid;
	int pidfd;		/* -1 when the kernel has no pidfds; open until
				 * the reap */
	int fd;			/* master or read pipe; -1 once hung up or none */
	int wfd;		/* where sends go: fd (a pty), a pipe, or -1 */
	struct proc *owner;	/* a stream's process, or NULL */
	struct proc *streams;	/* a process's streams, through `sibling` */
	struct proc *sibling;
	ev_io rio, wio, xio;
	ev_timer xtm;		/* exit polling when there is no pidfd */
	struct buf in, out;
	struct buf tap;		/* a copy of every byte read, while tapped */
	size_t maxbuf;
	unsigned long long base;	/* stream offset of in's first byte */
	unsigned long long received;	/* bytes read in all */
	int exitcode;		/* valid when exited and !termsig */
	int termsig;
	int read_errno;		/* a read error other than EIO, or 0 */
	size_t last_read;	/* bytes the last read(2) returned; 0 when
				 * the last drain got none */
	unsigned long long sent_ns;	/* when the first bytes went out since
					 * output last came (monotonic ns),
					 * while `sent` */
	unsigned long long reply_ns;	/* how long output took to come after
					 * a send, last time; at least that
					 * long when a wait gave up on it */
	int showfd;		/* where `show` copies output: 1, or 2 (stderr) */
	struct buf show_held;	/* what show keeps back: it could still grow
				 * into a secret */
	int write_errno;	/* why queued output could not be written */
	struct proc_sink sink;	/* feed == NULL: none */
	unsigned exited:1, eof:1, paused:1, show:1, tapped:1;
	unsigned held:1;	/* not read while its data callbacks are behind */
	unsigned chld_ref:1;	/* holds the loop alive till its exit is
				 * seen through SIGCHLD (no pidfd) */
	unsigned closing:1;	/* close wfd once `out` is written */
	unsigned tty:1;		/* fd == wfd is a pty master, not pipes */
	unsigned sent:1;	/* bytes went out since output last came */
	/*
	 * Set before the child is reaped (or once somebody else has reaped
	 * it, or for a handle without a child): its pid may belong to
	 * another process now, and is never signalled.  Read by a signal
	 * handler (proc_kill_all_now).
	 */
	volatile sig_atomic_t reaped;
};

void proc_start(struct proc *p, struct loop *lp, pid_t pid, int pidfd,
    int fd, int wfd, size_t maxbuf);
void proc_add_stream(struct proc *p, struct proc *s);
int proc_close_write(struct proc *p);
unsigned long long proc_clock_ns(void);
int proc_send(struct proc *p, const char *s, size_t n);
void proc_take(struct proc *p, const char *s, size_t n);
void proc_consume(struct proc *p, size_t n);
int proc_poll_exit(struct proc *p);
int proc_exit_status(struct proc *p, int *exitcode, int *termsig);
void proc_pause(struct proc *p, int pause);
void proc_show_flush(struct proc *p);
void proc_hold(struct proc *p, int hold);
void proc_hangup(struct proc *p);
void proc_hangup_all(struct loop *lp);
int proc_signal(struct proc *p, int sig, int group);
int proc_group_alive(struct proc *p);
void proc_reap(struct proc *p);
void proc_destroy(struct proc *p);
void proc_shutdown_all(struct loop *lp, double grace);
int proc_watch_exits(struct loop *lp);
void proc_kill_all_now(struct loop *lp);

#endif
