/*
 * l_await.c - expect's wait, searched and waited for in C.
 *
 * Everywhere else a wait is Lua's (lua/ptyscript/sched.lua): search,
 * arm, poll, dispatch, search again, four crossings of the boundary and
 * the scheduler's bookkeeping per read.  Two waits skip most of it:
 *
 * - core.await, the command's lone task: nothing else can run while it
 *   waits, so the round trip of a script such as "send, expect, send,
 *   expect" can stay here: search, and while nothing matched, run the
 *   loop and search again each time this process's output (and nothing
 *   else) arrived.  Anything else - the timer, another object, an exit, a
 *   caught signal - goes back to the scheduler unchanged, which then does
 *   what it always does.
 * - core.await_task, a task among others: search, and if nothing matched,
 *   arm the process for the task's waiter (kept in its user value) and
 *   return; the task suspends.  When output comes, core.poll reports the
 *   waiter itself (lcore_take_fired), not the process, and the scheduler
 *   queues its task with no lookup; the task searches again.
 */
#include "cpus.h"
#include "lcore.h"
#include "loop.h"
#include "proc.h"

/*
 * The arguments both awaits share: the process at 1, a timer or nil at
 * 4 (then its seconds at 5: *timer, *left), a table at 6; the stack is
 * cut to 6.  Upvalues 2 and 3: the process and timer metatables.
 */
static struct proc *
check_args(lua_State *L, void **timer, double *left)
{
	struct proc *p = lcore_testup(L, 1, 2);

	if (p == NULL)
		luaL_typeerror(L, 1, "process");
	*timer = NULL;
	*left = 0;
	if (!lua_isnil(L, 4)) {
		if ((*timer = lcore_testup(L, 4, 3)) == NULL)
			luaL_typeerror(L, 4, "timer");
		*left = luaL_checknumber(L, 5);
	}
	luaL_checktype(L, 6, LUA_TTABLE);
	lua_settop(L, 6);
	return p;
}

/*
 * Waiting without sleeping.  On the 2-core VM we measure on, a sleep in
 * epoll_wait and the wake-up after it cost 20-27 us (the host halts an
 * idle virtual CPU), more than output that is about to come takes to
 * come.  When it is about to come, the lone task's wait polls the loop
 * (ev_run without waiting: epoll_wait with a zero timeout, then
 * whatever fired, timers included) every SPIN_POLL_NS, pausing the CPU
 * in between, for a moment before the loop sleeps:
 *
 * - Output that streams (the last read brought at least STREAM_READ
 *   bytes: a terminal gives at most 4 KiB a read): for up to SPIN_NS.
 * - A reply to a send (bytes went out since output last came), while the
 *   process's last reply took less than SPIN_REPLY_NS: until SPIN_REPLY_NS
 *   after the send.  A program that answers slowly (a shell, a remote
 *   login) costs one spin at most; then the loop sleeps until a reply
 *   comes quickly again.  With echo on, the echo is the quick reply (the
 *   terminal echoes as the send writes), and the answer after it is
 *   waited for by the loop.  Not when the process may run on one CPU
 *   only, or its cgroup caps it below one CPU's time, where the spin
 *   would only hold up the program it waits for.
 *   A script that works for longer than that between its send and its
 *   expect finds the time up: the reply counts as slow, and the next
 *   round trip does not spin.
 *
 * Polling the loop, not the terminal: read(2) on a pty master over and
 * over, as a first version did, contends with the kernel's own work of
 * moving the child's output to the master (T2 went from 0.94x to 0.49x
 * the C reference's rate as the VM got busier, where polling every 8 us
 * gave 1.25x, median of 13 alternated runs).  More in
 * scripts/bench/README.md, "History".
 */
#define STREAM_READ	2048
#define SPIN_NS		20000ULL
#define SPIN_REPLY_NS	100000ULL
#define SPIN_POLL_NS	8000ULL

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield")
#else
#define cpu_relax()	((void)0)
#endif

/*
 * Poll the loop for p's output while it is about to come (above): whether
 * anything fired, or a signal came, before the time was up.
 */
static int
spin_wait(struct loop *lp, struct proc *p)
{
	unsigned long long now, until, next;
	int i;

	if (p->eof || p->fd == -1 || p->paused || p->held)
		return 0;
	if (!cpus_spin_ok())
		return 0;
	now = proc_clock_ns();
	if (p->sent && p->reply_ns < SPIN_REPLY_NS)
		until = p->sent_ns + SPIN_REPLY_NS;
	else if (p->last_read >= STREAM_READ)
		until = now + SPIN_NS;
	else
		return 0;
	while (now < until) {
		ev_run(lp->ev, EVRUN_NOWAIT);
		if (lp->nfired > 0 || lp->signalled != 0)
			return 1;
		next = now + SPIN_POLL_NS;
		do
			for (i = 0; i < 32; i++)
				cpu_relax();
		while ((now = proc_clock_ns()) < next && now < until);
	}
	if (p->sent)	/* no reply that quickly: spin no more till one is */
		p->reply_ns = now - p->sent_ns;
	return 0;
}

/*
 * No match: false, the absolute offset to resume from and whether EOF
 * had been seen, both as of the last search (output and EOF may have
 * come since: the caller searches again), and the number of objects
 * that fired, stored in the table at 6.
 */
static int
unmatched(lua_State *L, struct loop *lp, lua_Integer from, int eof)
{
	lua_pushboolean(L, 0);
	lua_pushinteger(L, from);
	lua_pushboolean(L, eof);
	lua_pushinteger(L, lcore_take_fired(L, lp, 6));
	return 4;
}

/*
 * core.await(proc, regex|text, from, timer|nil, seconds, out)
 *     -> start, end, m | nil, PCRE2's message | false, next, eof, n
 * [-0, +4, m]
 * proc:match(pattern, from, true) (a string pattern is a literal), then
 * until a match or EOF: arm proc for its output, start the timer for
 * seconds (once), run the loop once, and search again if only proc's
 * output arrived.  Otherwise - anything else fired, a signal was caught,
 * nothing is left that could wake the loop, proc is closed - return the
 * objects that fired, stored in out as core.poll stores them, n of them.
 * Upvalues: loop, process and timer metatables.
 */
static int
l_await(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	void *timer;
	double left;
	struct proc *p = check_args(L, &timer, &left);
	lua_Integer from = luaL_checkinteger(L, 3);
	size_t s, e;
	int rc, started = 0, alive, eof;

	if (lp->signalled != 0)		/* the scheduler reports it first */
		return unmatched(L, lp, from, 0);
	for (;;) {
		rc = lcore_search(L, p, 2, lcore_offset(p, from), &s, &e);
		if (rc < 0)
			return lcore_search_failed(L, rc);
		if (rc == MATCH_FULL)
			return lcore_search_result(L, p, 1, s, e, 1);
		from = (lua_Integer)(p->base + s);
		eof = p->eof;
		if (eof || p->lp == NULL)
			break;
		p->obj.armed |= PROC_DATA;
		if (p->obj.on_arm != NULL)
			p->obj.on_arm(&p->obj);
		if (!started && timer != NULL)
			lcore_timer_start(timer, left);
		started = 1;
		if (lp->nfired == 0 && spin_wait(lp, p))
			alive = 1;	/* (if the loop died as p hit EOF, the
					 * search below sees the EOF) */
		else
			alive = ev_run(lp->ev,
			    lp->nfired > 0 ? EVRUN_NOWAIT : EVRUN_ONCE);
		if (lp->signalled != 0 || !alive)
			break;
		if (lp->nfired == 1 && lp->fired[0] == &p->obj &&
		    p->obj.pending == PROC_DATA && p->obj.cpending == 0) {
			p->obj.pending = 0;	/* ours alone: search again */
			lp->nfired = 0;
		} else if (lp->nfired > 0)
			break;	/* first the scheduler: callbacks see output
				 * before expect returns it */
	}
	return unmatched(L, lp, from, eof);
}

/*
 * If the waiter at w waits on p in C (the process at stack index 1), it
 * waits no more: disarm, drop what it fired, let go of it.
 */
static void
unwait(lua_State *L, struct proc *p, int w)
{
	int ours;

	if (p->obj.cwait == 0 && p->obj.cpending == 0)
		return;
	lua_getiuservalue(L, 1, 1);
	ours = lua_rawequal(L, -1, w);
	lua_pop(L, 1);
	if (!ours)
		return;
	if (p->lp != NULL)
		loop_unwait(p->lp, &p->obj);
	lua_pushnil(L);
	lua_setiuservalue(L, 1, 1);
}

/*
 * core.await_task(proc, regex|text, from, timer|nil, seconds, waiter)
 *     -> start, end, m | nil, PCRE2's message | false, next, eof, waiting
 * [-0, +4, m]
 * proc:match(pattern, from, true) (a string pattern is a literal); when
 * nothing matched and more output may come, arm proc for the waiter (a
 * task's, which then suspends until core.poll reports the waiter with
 * bits 0) and start the timer for seconds: waiting is true.  waiting is
 * false when the wait could not be armed here: EOF (eof is true), proc
 * closed, or another task already waits on proc in C; the caller then
 * waits through the scheduler.  Upvalues: loop, process and timer
 * metatables.
 */
static int
l_await_task(lua_State *L)
{
	void *timer;
	double left;
	struct proc *p = check_args(L, &timer, &left);
	lua_Integer from = luaL_checkinteger(L, 3);
	size_t s, e;
	int rc, busy;

	rc = lcore_search(L, p, 2, lcore_offset(p, from), &s, &e);
	if (rc < 0)
		return lcore_search_failed(L, rc);
	if (rc == MATCH_FULL) {
		unwait(L, p, 6);
		return lcore_search_result(L, p, 1, s, e, 1);
	}
	lua_pushboolean(L, 0);
	lua_pushinteger(L, (lua_Integer)(p->base + s));
	lua_pushboolean(L, p->eof);
	if (p->eof || p->lp == NULL) {
		unwait(L, p, 6);
		lua_pushboolean(L, 0);
		return 4;
	}
	lua_getiuservalue(L, 1, 1);
	busy = !lua_isnil(L, -1) && !lua_rawequal(L, -1, 6) &&
	    (p->obj.cwait != 0 || p->obj.cpending != 0);
	lua_pop(L, 1);
	if (busy) {		/* another task waits here: not ours to take */
		lua_pushboolean(L, 0);
		return 4;
	}
	lua_pushvalue(L, 6);
	lua_setiuservalue(L, 1, 1);
	loop_unwait(p->lp, &p->obj);	/* (from an earlier wait, unreported) */
	p->obj.cwait = PROC_DATA;
	if (p->obj.on_arm != NULL)
		p->obj.on_arm(&p->obj);
	if (timer != NULL)
		lcore_timer_start(timer, left);
	lua_pushboolean(L, 1);
	return 4;
}

/* core.unwait(proc, waiter): waiter waits on proc in C no more.  [-0, +0, v] */
static int
l_unwait(lua_State *L)
{
	struct proc *p = lcore_testup(L, 1, 2);

	if (p == NULL)
		luaL_typeerror(L, 1, "process");
	luaL_checktype(L, 2, LUA_TTABLE);
	unwait(L, p, 2);
	return 0;
}

/* Add core.await and its kin; stack: module, loop (kept); the metatables
 * exist. */
void
lcore_open_await(lua_State *L)
{
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	lua_pushcclosure(L, l_await, 3);
	lua_setfield(L, -3, "await");
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	lua_pushcclosure(L, l_await_task, 3);
	lua_setfield(L, -3, "await_task");
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	lua_pushcclosure(L, l_unwait, 2);
	lua_setfield(L, -3, "unwait");
}
