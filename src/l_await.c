/*
 * l_await.c - core.await: the lone task's expect, searched and waited for
 * in one call.
 *
 * Everywhere else a wait is Lua's (lua/ptyscript/sched.lua): search,
 * arm, poll, dispatch, search again, four crossings of the boundary and
 * the scheduler's bookkeeping per read.  When the command runs a single
 * task nothing else can run while it waits, so the round trip of a
 * script such as "send, expect, send, expect" can stay here: search,
 * and while nothing matched, run the loop and search again each time
 * this process's output (and nothing else) arrived.  Anything else -
 * the timer, another object, an exit, a caught signal - goes back to
 * the scheduler unchanged, which then does what it always does.
 */
#include "lcore.h"
#include "loop.h"
#include "proc.h"

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
	struct proc *p = lua_touserdata(L, 1);
	void *timer = NULL;
	lua_Integer from = luaL_checkinteger(L, 3);
	double left = 0;
	size_t s, e;
	int rc, started = 0, alive, eof;

	if (p == NULL || !lua_getmetatable(L, 1) ||
	    !lua_rawequal(L, -1, lua_upvalueindex(2)))
		luaL_typeerror(L, 1, "process");
	lua_pop(L, 1);
	if (!lua_isnil(L, 4)) {
		timer = lua_touserdata(L, 4);
		if (timer == NULL || !lua_getmetatable(L, 4) ||
		    !lua_rawequal(L, -1, lua_upvalueindex(3)))
			luaL_typeerror(L, 4, "timer");
		lua_pop(L, 1);
		left = luaL_checknumber(L, 5);
	}
	luaL_checktype(L, 6, LUA_TTABLE);
	lua_settop(L, 6);
	if (lp->signalled != 0)		/* the scheduler reports it first */
		return unmatched(L, lp, from, 0);
	for (;;) {
		rc = lproc_search(L, p, 2, lproc_rel(p, from), &s, &e);
		if (rc < 0)
			return lproc_search_failed(L, rc);
		if (rc == MATCH_FULL)
			return lproc_result(L, p, 1, s, e, 1);
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
		alive = ev_run(lp->ev, lp->nfired > 0 ? EVRUN_NOWAIT : EVRUN_ONCE);
		if (lp->signalled != 0 || !alive)
			break;
		if (lp->nfired == 1 && lp->fired[0] == &p->obj &&
		    p->obj.pending == PROC_DATA) {
			p->obj.pending = 0;	/* ours alone: search again */
			lp->nfired = 0;
		} else if (lp->nfired > 0)
			break;	/* first the scheduler: callbacks see output
				 * before expect returns it */
	}
	return unmatched(L, lp, from, eof);
}

/* Add core.await; stack: module, loop (kept); the metatables exist. */
void
lcore_open_await(lua_State *L)
{
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	lua_pushcclosure(L, l_await, 3);
	lua_setfield(L, -3, "await");
}
