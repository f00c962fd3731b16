/*
 * loop.c - one private libev loop per Lua state.
 *
 * We use ev_loop_new, never the default loop: libev's default loop installs
 * a SIGCHLD handler that reaps every child of the process, which would
 * steal the status of io.popen and os.execute children.  Process exits are
 * watched through pidfds instead (proc.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "redact.h"
#include "wait.h"

/*
 * The one C global: the loop a signal handler must wake.  Only the
 * command catches signals, and it has a single loop.
 */
static struct loop *volatile signal_loop;

int
loop_init(struct loop *lp)
{
	memset(lp, 0, sizeof *lp);
	lp->scratch = malloc(LOOP_SCRATCH);
	if (lp->scratch == NULL)
		return -1;
	lp->ev = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOENV);
	if (lp->ev == NULL) {
		free(lp->scratch);
		lp->scratch = NULL;
		errno = ENOMEM;
		return -1;
	}
	ev_set_userdata(lp->ev, lp);
	lp->tty_fd = -1;
	return 0;
}

/* Put the user's terminal back as it was before raw mode (l_tty.c). */
void
loop_tty_restore(struct loop *lp)
{
	if (lp->tty_fd == -1)
		return;
	(void)tcsetattr(lp->tty_fd, TCSADRAIN, &lp->tty_saved);
	lp->tty_fd = -1;
}

void
loop_free(struct loop *lp)
{
	loop_tty_restore(lp);
	if (lp->ev != NULL) {
		if (lp->catching) {
			signal_loop = NULL;
			ev_ref(lp->ev);	/* balance the ev_unref at start */
			ev_async_stop(lp->ev, &lp->wake);
		}
		if (lp->chld_on) {
			ev_ref(lp->ev);	/* balance the ev_unref at start */
			ev_io_stop(lp->ev, &lp->chld);
		}
		ev_loop_destroy(lp->ev);
	}
	while (wait_next_woken(lp) != NULL)
		;	/* (their tasks are never resumed) */
	if (lp->secrets_own)
		redact_free(lp->secrets);
	free(lp->fired);
	free(lp->scratch);
	free(lp->seen);
	memset(lp, 0, sizeof *lp);
}

/*
 * Record that o fired the given bits, for whichever waiter armed it for
 * any of them.  Firing disarms: a waiter re-arms before it waits again.
 * Allocation failure only delays the wake-up to the next event, it cannot
 * lose data.
 */
void
loop_fire(struct loop *lp, struct loop_obj *o, unsigned bits)
{
	struct loop_obj **nf;
	size_t cap;
	unsigned lb = bits & o->armed;

	if (lb == 0)
		return;
	if (o->pending == 0) {
		if (lp->nfired == lp->capfired) {
			cap = lp->capfired ? lp->capfired * 2 : 64;
			nf = realloc(lp->fired, cap * sizeof *nf);
			if (nf == NULL)
				return;
			lp->fired = nf;
			lp->capfired = cap;
		}
		lp->fired[lp->nfired++] = o;
	}
	o->armed &= ~lb;
	o->pending |= lb;
}

/* Drop o from the fired list (it is being destroyed, or restarted). */
void
loop_forget(struct loop *lp, struct loop_obj *o)
{
	size_t i;

	if (o->pending == 0)
		return;
	for (i = 0; i < lp->nfired; i++)
		if (lp->fired[i] == o) {
			lp->fired[i] = lp->fired[--lp->nfired];
			break;
		}
	o->pending = 0;
}

/* Put the terminal back and die of sig (from a signal handler). */
static void
die_of(struct loop *lp, int sig)
{
	struct sigaction sa;

	if (lp != NULL && lp->tty_fd != -1)
		(void)tcsetattr(lp->tty_fd, TCSANOW, &lp->tty_saved);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	raise(sig);
}

#define ALARM_GRACE	2	/* seconds a computing script gets after a signal */

/*
 * First INT/TERM/HUP/QUIT: note it and wake the loop (ev_async_send is
 * async-signal-safe); the scheduler then cleans up and dies of the same
 * signal.  A script that computes without waiting would only see it at
 * its next wait, so an alarm goes off in ALARM_GRACE seconds unless the
 * scheduler has taken the signal by then (loop_signal_taken): then every
 * child's group is killed at once, the children reaped, and ptyscript
 * dies of the signal.
 * A second signal takes that way at once.
 */
static void
signal_handler(int sig)
{
	struct loop *lp = signal_loop;

	if (sig == SIGPIPE && lp != NULL && lp->signalled != 0)
		return;		/* every later write to the pipe says it again */
	if (lp == NULL || lp->signalled != 0) {
		if (lp != NULL && lp->kill_all_now != NULL)
			lp->kill_all_now(lp);
		die_of(lp, sig);
		return;
	}
	lp->signalled = sig;
	alarm(ALARM_GRACE);
	ev_async_send(lp->ev, &lp->wake);
}

/* The script did not reach a wait within ALARM_GRACE of the signal. */
static void
alarm_handler(int unused)
{
	struct loop *lp = signal_loop;

	(void)unused;
	if (lp == NULL || lp->signalled == 0)
		return;
	if (lp->kill_all_now != NULL)
		lp->kill_all_now(lp);
	die_of(lp, lp->signalled);
}

/* The scheduler has seen the signal and cleans up itself: no alarm. */
void
loop_signal_taken(struct loop *lp)
{
	if (lp->catching)
		alarm(0);
}

static void
wake_cb(struct ev_loop *ev, ev_async *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(ev, EVBREAK_ALL);
}

/*
 * Catch SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE (the command only: a
 * library must not take its host's signals).  SIGPIPE comes from a write
 * to a closed standard output (print, --show): like the others it ends
 * the script with every child cleaned up, and ptyscript then dies of it.
 * A signal ignored when we started stays ignored (nohup, or `&` in a
 * shell without job control, which ignores INT and QUIT).
 */
int
loop_catch_signals(struct loop *lp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE };
	struct sigaction sa, old;
	sigset_t set;
	size_t i;

	ev_async_init(&lp->wake, wake_cb);
	ev_async_start(lp->ev, &lp->wake);
	ev_unref(lp->ev);	/* the watcher alone keeps no loop alive */
	lp->catching = 1;
	signal_loop = lp;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = signal_handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		if (sigaction(sigs[i], &sa, NULL) == -1)
			return -1;
	}
	sa.sa_handler = alarm_handler;
	if (sigaction(SIGALRM, &sa, NULL) == -1)
		return -1;
	/* the alarm is ours: a mask inherited with it blocked would keep
	 * a computing script alive after the signal */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/*
 * SIGCHLD ignored, or SA_NOCLDWAIT, makes the kernel reap every child
 * as it exits (some CI runners and daemons start programs so): no exit
 * status could ever be known, ours or os.execute's.  Put the default
 * back; a handler of the host's stays, without the flag.
 */
void
loop_default_sigchld(void)
{
	struct sigaction sa;

	if (sigaction(SIGCHLD, NULL, &sa) == -1)
		return;
	if (sa.sa_handler != SIG_IGN && !(sa.sa_flags & SA_NOCLDWAIT))
		return;
	if (sa.sa_handler == SIG_IGN) {
		sa.sa_handler = SIG_DFL;
		sa.sa_flags &= ~SA_SIGINFO;
	}
	sa.sa_flags &= ~SA_NOCLDWAIT;
	(void)sigaction(SIGCHLD, &sa, NULL);
}
