/*
 * loop.h - the libev loop and the list of events waiting for Lua.
 *
 * Watcher callbacks never call Lua.  They record "object X fired bits B"
 * here, if some Lua code armed X for B; after ev_run returns, the binding
 * (l_loop.c) hands the list to the Lua scheduler, which resumes the tasks
 * waiting on those objects.  No Lua in this file.
 */
#ifndef PTYSCRIPT_LOOP_H
#define PTYSCRIPT_LOOP_H

#include <ev.h>
#include <stddef.h>
#include <sys/types.h>
#include <termios.h>

struct redact;
struct park;

#define LOOP_SCRATCH	(64 * 1024)	/* one read(2) at most */

/*
 * The part of every waitable object (process, timer) the loop knows: a
 * wait (core.wait, l_wait.c) arms it for the bits it waits for, and what
 * fired is reported to the scheduler (sched.lua), or taken back by the
 * lone task's wait in C when it is its own process's output.
 */
struct loop_obj {
	unsigned armed;		/* bits some wait waits for */
	unsigned pending;	/* bits fired, not yet reported */
	unsigned lua_armed;	/* of armed, those the scheduler armed */
	struct park *park;	/* a task's wait parked in C on it (wait.h) */
	void (*on_arm)(struct loop_obj *);	/* start watching, or NULL */
};

struct pid_seen;

struct loop {
	struct ev_loop *ev;
	struct loop_obj **fired;
	size_t nfired, capfired;
	char *scratch;		/* shared read buffer, LOOP_SCRATCH bytes */
	struct proc *procs;	/* every live process, for shutdown */
	ev_async wake;		/* a caught signal breaks the loop */
	int catching;
	volatile int signalled;	/* the INT/TERM/HUP/QUIT caught, or 0 */
	/* kill every child at once, from a signal handler (SIGALRM's) */
	void (*kill_all_now)(struct loop *);
	struct termios tty_saved;	/* the user's terminal before raw mode */
	int show_errno;		/* why copying output (show) failed, or 0 */
	struct redact *secrets;	/* the script's secrets, which show keeps
				 * out of what it copies (l_redact.c), or
				 * NULL */
	int secrets_own;	/* secrets are the loop's to free: their
				 * set was collected first (lua_close) */
	int tty_fd;		/* where to restore it, or -1 */
	struct loop *next_live;	/* the list of live loops (l_core.c) */
	ev_io chld;		/* SIGCHLD, for children without a pidfd
				 * (proc.c, proc_watch_exits) */
	int chld_on;
	pid_t owner;		/* the process whose children these are */
	struct park *woken, *woken_tail;	/* parked waits to resume
						 * (wait.c), in order */
	struct pid_seen *seen;	/* the session of each process last seen
				 * in /proc (proc.c, groups_alive) */
	size_t seen_cap;
};

int loop_init(struct loop *lp);
void loop_free(struct loop *lp);
void loop_fire(struct loop *lp, struct loop_obj *o, unsigned bits);
void loop_forget(struct loop *lp, struct loop_obj *o);
int loop_catch_signals(struct loop *lp);
void loop_default_sigchld(void);
void loop_signal_taken(struct loop *lp);
void loop_tty_restore(struct loop *lp);

#endif
