/*
 * l_loop.c - bindings for the loop: poll, timers, time, signals, exit.
 *
 * The Lua scheduler (lua/ptyscript/sched.lua) calls core.poll to run one
 * loop iteration and learn which armed objects fired.
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lcore.h"
#include "loop.h"
#include "proc.h"
#include "wait.h"

#define TIMER_FIRED 1

struct ltimer {
	struct loop_obj obj;	/* first */
	struct loop *lp;
	ev_timer t;
};

/*
 * core.poll(block, out) -> n, alive  [-0, +2, m]
 * Run the loop once (waiting for an event if block), then store the
 * objects that fired in out[1], out[3], ... with their bits in out[2],
 * out[4], ...; n is the number of objects.  alive is false when no
 * watcher is left that could ever wake the loop.  Tasks whose parked
 * waits woke (wait.h) are resumed here when nothing else fired; else
 * they come last in out, each as its coroutine and true, for the
 * scheduler to resume.  A resumed task that did not park again comes as
 * its coroutine and what coroutine.resume would have returned, packed
 * (lcore_resume_parks).
 */
static int
l_poll(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	int block = lua_toboolean(L, 1);
	int alive;
	lua_Integer k = 0;

	luaL_checktype(L, 2, LUA_TTABLE);
	/*
	 * Something fired outside the loop (an exit seen by p:alive() or
	 * p:wait's status poll, say): report it now, do not sleep first.
	 */
	if (lp->nfired > 0 || lp->woken != NULL)
		block = 0;
	alive = ev_run(lp->ev, block ? EVRUN_ONCE : EVRUN_NOWAIT);
	wait_sort(lp);
	if (lp->woken != NULL && lp->nfired == 0 && lp->signalled == 0) {
		k = lcore_resume_parks(L, lp, 2, 0);
		alive = 1;	/* (a task ran: the scheduler looks again) */
	}
	lua_pushinteger(L, lcore_take_fired(L, lp, 2, k));
	lua_pushboolean(L, alive);
	return 2;
}

/*
 * Store the objects that fired in the table at out as core.poll does,
 * after the k entries (pairs) there, then the woken parks (their
 * coroutines and true); empty both lists and return how many pairs the
 * table holds.
 *
 * No call in the loop runs a collection step (lua_rawgetp, lua_rawseti,
 * lua_pushinteger; a table that grows may only
 * trigger an emergency collection, which runs no finalizer), so no __gc
 * can close an object and add to the list while it is being emptied.
 */
lua_Integer
lcore_take_fired(lua_State *L, struct loop *lp, int out, lua_Integer k)
{
	struct park *pk;
	size_t i, n;

	wait_sort(lp);
	n = lp->nfired;
	k *= 2;
	for (i = 0; i < n; i++) {
		struct loop_obj *o = lp->fired[i];

		lcore_pushobj(L, o);
		if (lua_isnil(L, -1) || o->pending == 0) {
			lua_pop(L, 1);	/* (collected meanwhile) */
			o->pending = 0;
			continue;
		}
		lua_rawseti(L, out, ++k);
		lua_pushinteger(L, o->pending);
		lua_rawseti(L, out, ++k);
		o->lua_armed &= ~o->pending;
		o->pending = 0;
	}
	lp->nfired = 0;
	while ((pk = wait_next_woken(lp)) != NULL) {
		lua_State *co = pk->co;

		lua_pushthread(co);
		lua_xmove(co, L, 1);
		lua_rawseti(L, out, ++k);
		lua_pushboolean(L, 1);
		lua_rawseti(L, out, ++k);
	}
	return k / 2;
}

/*
 * core.now() -> seconds on the monotonic clock, as a float  [-0, +1, -]
 * Every deadline is computed from it, and libev's timers run on the same
 * clock: a step of the wall clock (NTP, a VM resumed) moves neither.
 */
static int
l_now(lua_State *L)
{
	lua_pushnumber(L, (double)proc_clock_ns() / 1e9);
	return 1;
}

static void
timer_cb(struct ev_loop *ev, ev_timer *w, int revents)
{
	struct ltimer *t = w->data;

	(void)revents;
	ev_timer_stop(ev, w);		/* one shot: repeat only serves again */
	loop_fire(t->lp, &t->obj, TIMER_FIRED);
}

/* core.timer() -> a stopped timer  [-0, +1, m] */
static int
l_timer(lua_State *L)
{
	struct ltimer *t = lua_newuserdatauv(L, sizeof *t, 0);

	memset(t, 0, sizeof *t);
	t->lp = lcore_loop(L);
	ev_init(&t->t, timer_cb);
	t->t.data = t;
	luaL_setmetatable(L, TIMER_MT);
	lcore_track(L, t, -1);
	return 1;
}

/* (Re)start t to fire once after s seconds, armed. */
static void
start_timer(struct ltimer *t, double s)
{
	if (t->lp->ev == NULL)
		return;
	loop_forget(t->lp, &t->obj);
	/* From now, not from the loop's cached time: a deadline is computed
	 * from core.now() (fresh), and a timer counted from a stale time
	 * would fire before it. */
	ev_now_update(t->lp->ev);
	/* ev_timer_again moves a running timer within the heap in place:
	 * cheaper than stop and start, for the wait after wait of a task. */
	t->t.repeat = s > 0 ? s : 1e-9;
	ev_timer_again(t->lp->ev, &t->t);
	t->obj.armed = TIMER_FIRED;
}

/* Start t (a core.timer's userdata, checked) to fire once after s: for
 * core.wait (l_wait.c). */
void
lcore_timer_start(void *t, double s)
{
	start_timer(t, s);
}

/*
 * Make t fire at the latest s seconds from now, for a parked wait
 * (l_wait.c), which checks its own deadline when t fires: a timer that
 * runs and is due by then is left as it is (no restart per wait).
 */
void
lcore_timer_due(void *timer, double s)
{
	struct ltimer *t = timer;

	if (t->lp->ev != NULL && ev_is_active(&t->t) &&
	    t->obj.armed == TIMER_FIRED &&
	    ev_timer_remaining(t->lp->ev, &t->t) <= s)
		return;
	start_timer(t, s);
}

/* timer:start(seconds): fire once after seconds, armed.  [-0, +0, v] */
static int
timer_start(lua_State *L)
{
	start_timer(lcore_checkself(L, TIMER_MT), luaL_checknumber(L, 2));
	return 0;
}

/* Stop t and forget that it fired. */
static void
stop_timer(struct ltimer *t)
{
	if (t->obj.park != NULL) {	/* a parked wait loses its deadline */
		t->obj.park->timer = NULL;
		t->obj.park = NULL;
	}
	if (t->lp->ev == NULL)
		return;
	ev_timer_stop(t->lp->ev, &t->t);
	loop_forget(t->lp, &t->obj);
	t->obj.armed = 0;
}

/* timer:stop()  [-0, +0, -] */
static int
timer_stop(lua_State *L)
{
	stop_timer(lcore_checkself(L, TIMER_MT));
	return 0;
}

/* __gc: see stop_timer.  [-0, +0, -] */
static int
timer__gc(lua_State *L)
{
	stop_timer(lcore_checkself(L, TIMER_MT));
	return 0;
}

/*
 * core.catch_signals(): INT, TERM, HUP, QUIT, PIPE end the loop (the
 * command).  [-0, +0, -]
 */
static int
l_catch_signals(lua_State *L)
{
	struct loop *lp = lcore_loop(L);

	lp->kill_all_now = proc_kill_all_now;
	loop_catch_signals(lp);
	return 0;
}

/* core.signalled() -> the caught signal's number, or nil  [-0, +1, -] */
static int
l_signalled(lua_State *L)
{
	struct loop *lp = lcore_loop(L);

	if (lp->signalled == 0)
		return 0;
	loop_signal_taken(lp);	/* the scheduler cleans up: no alarm */
	lua_pushinteger(L, lp->signalled);
	return 1;
}

/*
 * core.shutdown([grace]): hang up, wait, kill and reap every child.
 * [-0, +0, v]
 */
static int
l_shutdown(lua_State *L)
{
	double grace = luaL_optnumber(L, 1, 1.0);

	if (!(grace >= 0))
		grace = 0;
	loop_tty_restore(lcore_loop(L));
	proc_shutdown_all(lcore_loop(L), grace);
	return 0;
}

/*
 * core.reraise(sig): die of sig with its default action (after
 * cleanup).  [-0, +0, v]
 */
static int
l_reraise(lua_State *L)
{
	int sig = (int)luaL_checkinteger(L, 1);
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	return 0;
}

/* The signals scripts may name, as in kill(1). */
static const struct {
	const char *name;
	int num;
} signals[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT },
	{ "ILL", SIGILL }, { "TRAP", SIGTRAP }, { "ABRT", SIGABRT },
	{ "BUS", SIGBUS }, { "FPE", SIGFPE }, { "KILL", SIGKILL },
	{ "USR1", SIGUSR1 }, { "SEGV", SIGSEGV }, { "USR2", SIGUSR2 },
	{ "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
	{ "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF }, { "WINCH", SIGWINCH },
	{ "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static const luaL_Reg timer_meth[] = {
	{ "start", timer_start },
	{ "stop", timer_stop },
	{ NULL, NULL }
};

static const luaL_Reg timer_metameth[] = {
	{ "__gc", timer__gc },
	{ NULL, NULL }
};

static const luaL_Reg funcs[] = {
	{ "poll", l_poll },
	{ "now", l_now },
	{ "timer", l_timer },
	{ "catch_signals", l_catch_signals },
	{ "signalled", l_signalled },
	{ "shutdown", l_shutdown },
	{ "reraise", l_reraise },
	{ NULL, NULL }
};

/* Add the loop functions to the module; stack: module, loop (kept). */
void
lcore_open_loop(lua_State *L)
{
	size_t i;

	lcore_newmeta(L, TIMER_MT, timer_meth, timer_metameth);
	lua_pushvalue(L, -2);		/* module */
	lua_pushvalue(L, -2);		/* loop, as upvalue */
	luaL_setfuncs(L, funcs, 1);
	lua_pop(L, 1);
	lua_newtable(L);
	for (i = 0; i < sizeof signals / sizeof signals[0]; i++) {
		lua_pushinteger(L, signals[i].num);
		lua_setfield(L, -2, signals[i].name);
	}
	lua_setfield(L, -3, "signals");
}
