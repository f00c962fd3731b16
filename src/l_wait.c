/*
 * l_wait.c - core.wait, the binding of the one wait (wait.c).
 *
 * Every wait of the library comes here, from sched.lua (a process, a
 * reader, a timer: armed for the bits waited for) or from expect.lua (a
 * process's or stream's output: searched in C for one pattern or a
 * list).  Only the command's lone task passes `out`: nothing else can
 * run while it waits, so it stays in C, stepping the loop and searching
 * again, for as long as nothing but its own process's output arrives.
 * A task among others passes its park (core.park()) as `out`: its wait
 * is parked in C (wait.h), the task suspends, and core.poll resumes it
 * when its output matches, at EOF or at the deadline: output that does
 * not match costs no Lua at all.  Anything else goes back to the
 * scheduler, which waits as for any other event.  With
 * PTYSCRIPT_FAST_WAIT=0 (core.FAST_WAIT false) Lua does the searching
 * and never passes `out`: the same loop, without the shortcuts.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lcore.h"
#include "loop.h"
#include "proc.h"
#include "wait.h"

#define NPAT_STACK	8
#define PARK_MT		"ptyscript.Park"

/* The userdata of a park: the park, and room for a short list inline. */
struct lpark {
	struct park pk;
	struct wait_pat inl[NPAT_STACK];
};

static int fast_wait = 1;	/* PTYSCRIPT_FAST_WAIT */

/*
 * Fill pt from the pattern at idx (a regex, a string taken literally, or
 * false: not searched) starting at absolute offset from.
 */
static void
check_pat(lua_State *L, int idx, struct wait_pat *pt, lua_Integer from)
{
	memset(pt, 0, sizeof *pt);
	pt->from = from < 0 ? 0 : (unsigned long long)from;
	switch (lua_type(L, idx)) {
	case LUA_TSTRING:
		pt->lit = lua_tolstring(L, idx, &pt->len);
		break;
	case LUA_TBOOLEAN:
		pt->skip = 1;
		break;
	default:
		pt->re = lcore_checkregex(L, idx);
		break;
	}
}

/*
 * Push m for pattern win's match [s, e) (relative), the pattern at idx:
 * the groups of a regex, the text of a literal.
 */
static void
push_match(lua_State *L, struct wait *w, int idx)
{
	struct wait_pat *pt = &w->pat[w->win];

	if (pt->re != NULL) {
		lcore_pushmatch(L, pt->re, buf_head(&w->p->in));
		return;
	}
	lua_createtable(L, 0, 3);	/* [0], before, index */
	lua_pushvalue(L, idx);
	lua_rawseti(L, -2, 0);
}

/*
 * Arm obj (a process, a reader, or nil) for bits and start the timer:
 * what a wait of the scheduler does before it suspends.  Upvalues 2-4.
 */
static int
arm(lua_State *L)
{
	struct loop_obj *o = NULL;
	void *t = NULL;

	if (!lua_isnil(L, 1) && (o = lcore_testup(L, 1, 2)) == NULL &&
	    (o = lcore_testup(L, 1, 4)) == NULL)
		luaL_typeerror(L, 1, "process or reader");
	if (!lua_isnil(L, 4) && (t = lcore_testup(L, 4, 3)) == NULL)
		luaL_typeerror(L, 4, "timer");
	if (o != NULL) {
		unsigned bits = (unsigned)luaL_checkinteger(L, 3);

		o->armed |= bits;
		o->lua_armed |= bits;
		if (o->on_arm != NULL)
			o->on_arm(o);
	}
	if (t != NULL)
		lcore_timer_start(t, luaL_checknumber(L, 5));
	return 0;
}

/*
 * Fill w's patterns from the arguments: one regex or string (at 2, its
 * offset at 3), or a list of them with a list of offsets; into pat, or
 * a userdata for a list longer than NPAT_STACK.
 */
static void
load_pats(lua_State *L, struct wait *w, int list, struct wait_pat *pat)
{
	int i;

	if (list) {
		luaL_checktype(L, 3, LUA_TTABLE);
		w->npat = (int)luaL_len(L, 2);
		w->pat = w->npat <= NPAT_STACK ? pat :
		    lua_newuserdatauv(L, (size_t)w->npat * sizeof *w->pat, 0);
		for (i = 0; i < w->npat; i++) {
			lua_rawgeti(L, 2, i + 1);
			lua_rawgeti(L, 3, i + 1);
			check_pat(L, -2, &w->pat[i], lua_tointeger(L, -1));
			lua_pop(L, 2);	/* (the list keeps a string alive) */
		}
	} else {
		w->npat = 1;
		w->pat = pat;
		check_pat(L, 2, &w->pat[0], luaL_checkinteger(L, 3));
	}
}

/*
 * After w's search (rc, wait_search's): a match (consumed) or PCRE2's
 * failure pushes core.wait's three results and returns 3; no match yet
 * returns 0.  search_push searches first.
 */
static int
push_found(lua_State *L, struct wait *w, int list, int rc)
{
	if (rc < 0) {
		lcore_search_failed(L, rc);
		lua_pushinteger(L, w->win + 1);
		return 3;
	}
	if (rc != WAIT_MATCH)
		return 0;
	if (list)
		lua_rawgeti(L, 2, w->win + 1);
	else
		lua_pushvalue(L, 2);
	push_match(L, w, lua_gettop(L));
	lua_remove(L, -2);
	lcore_search_result(L, w->p, 1, w->s, w->e, 1);
	lua_pushinteger(L, w->win + 1);
	lua_setfield(L, -2, "index");
	return 3;
}

static int
search_push(lua_State *L, struct wait *w, int list)
{
	return push_found(L, w, list, wait_search(w));
}

/* No match: push false, where to search from next, whether EOF was seen. */
static void
push_more(lua_State *L, struct wait *w, int list)
{
	int i;

	lua_pushboolean(L, 0);
	if (list) {
		for (i = 0; i < w->npat; i++) {
			lua_pushinteger(L, (lua_Integer)w->pat[i].from);
			lua_rawseti(L, 3, i + 1);
		}
		lua_pushvalue(L, 3);
	} else {
		lua_pushinteger(L, (lua_Integer)w->pat[0].from);
	}
	lua_pushboolean(L, w->eof);
}

/*
 * A parked wait resumed (by core.poll, the scheduler, or anything else):
 * search again; a match returns as core.wait's, else false, from, eof
 * and -2 when the deadline passed, -1 otherwise (EOF, or woken for
 * nothing: the caller searches and parks again).
 */
static int
park_k(lua_State *L, int status, lua_KContext ctx)
{
	struct park *pk = lua_touserdata(L, 6);
	struct proc *p;
	int n, why;

	(void)status;
	(void)ctx;
	lua_settop(L, 7);	/* (7: a long list's patterns) */
	why = pk->state == PARK_IDLE ? pk->why : 0;
	wait_unpark(pk);
	p = pk->w.p;
	/* a literal's match, found when it woke, still holds if nothing
	 * was read or taken since, nor EOF seen (a regex's groups may have been
	 * overwritten by another search with it: search again) */
	if (why == PARK_DATA && pk->hit && p->base == pk->hit_base &&
	    buf_len(&p->in) == pk->hit_len && pk->w.eof == p->eof &&
	    pk->w.pat[pk->w.win].re == NULL)
		n = push_found(L, &pk->w, lua_istable(L, 2), WAIT_MATCH);
	else
		n = search_push(L, &pk->w, lua_istable(L, 2));
	if (n != 0)
		return n;
	push_more(L, &pk->w, lua_istable(L, 2));
	lua_pushinteger(L, why == PARK_TIMEOUT ? -2 : -1);
	return 4;
}

/* A parked wait's timer, restarted (wait_sort): its deadline is later. */
static void
park_timer_start(struct loop_obj *timer, double s)
{
	lcore_timer_start(timer, s);
}

/*
 * The deadline left seconds from now on proc_clock_ns's clock; a timeout
 * too long for the integer (1e12 s: a cast would wrap it to about now)
 * is no deadline at all.
 */
static unsigned long long
deadline_ns(double left)
{
	unsigned long long now = proc_clock_ns(), ns;

	if (!(left > 0))
		return now;
	if (left >= 1e9)	/* 31 years: never */
		return ULLONG_MAX;
	ns = (unsigned long long)(left * 1e9);
	return ns > ULLONG_MAX - now ? ULLONG_MAX : now + ns;
}

/*
 * The wait of a task among others (out is its park): search, and
 * unless it matched, park the wait and suspend the task (yielding the
 * scheduler's SUSPEND value, upvalue 5) till park_k.  (lcore_testup:
 * upvalue 6 is the park metatable.)  Where it cannot
 * park - EOF, the process or timer has a park already, no yield
 * possible - false, from, eof: the scheduler waits.
 */
static int
wait_parked(lua_State *L, struct loop *lp, struct proc *p, void *timer,
    double left)
{
	struct lpark *lk = lcore_testup(L, 6, 6);
	struct park *pk;

	struct loop_obj *to = timer;	/* (a timer starts with its obj) */
	int list = lua_istable(L, 2), n;

	if (lk == NULL)
		luaL_typeerror(L, 6, "park or table");
	pk = &lk->pk;
	wait_unpark(pk);
	memset(&pk->w, 0, sizeof pk->w);
	pk->w.lp = lp;
	pk->w.p = p;
	load_pats(L, &pk->w, list, lk->inl);
	lua_settop(L, 7);	/* (7: a long list's patterns, kept) */
	if ((n = search_push(L, &pk->w, list)) != 0)
		return n;
	if (pk->w.eof || p->lp == NULL || p->obj.park != NULL ||
	    (to != NULL && to->park != NULL) || !lua_isyieldable(L)) {
		push_more(L, &pk->w, list);
		return 3;
	}
	pk->timer = to;
	pk->co = L;
	wait_park(pk);
	if (timer != NULL) {
		pk->deadline_ns = deadline_ns(left);
		pk->timer_start = park_timer_start;
		lcore_timer_due(timer, left);
	}
	lua_pushvalue(L, lua_upvalueindex(5));
	return lua_yieldk(L, 1, 0, park_k);
}

/*
 * core.wait(obj, nil, bits, timer|nil, seconds)  [-0, +0, v]
 * core.wait(proc, pats, from, timer|nil, seconds, out|nil)
 *     -> start, end, m | nil, PCRE2's message, index
 *      | false, next, eof, n
 * [-0, +4, m]
 * Without patterns: arm obj (a process, a reader or nil) for bits and
 * start the timer for seconds; the caller then suspends (sched.lua).
 *
 * With patterns - a regex or a string (taken literally) with from its
 * absolute offset, or a list of them (false for an entry not searched)
 * with from a list of offsets - search proc's unconsumed output (see
 * wait_search).  A match is consumed: m has its groups, m.before the
 * output before it and m.index the pattern's place.  Else false, where
 * to search from next time (the offset, or the list updated in place),
 * whether EOF was seen, and n.  With out a table (the command's lone
 * task) the wait goes on in C until a match, EOF, or anything besides
 * proc's output fired: n objects, stored in out as core.poll stores them
 * (0 after a signal, or when nothing is left to wake the loop).  With
 * out a park (a task among others) the task suspends until a match,
 * EOF or the deadline (park_k: n is -1 or -2).  Without out, or where
 * the wait could not stay in C, n is nil: the caller waits through the
 * scheduler.  A caught signal comes first: false, from, false, 0 before
 * any search.  Upvalues: loop, process, timer and reader metatables, the
 * scheduler's SUSPEND value, the park metatable.
 */
static int
l_wait(lua_State *L)
{
	struct wait_pat stackpat[NPAT_STACK];
	struct wait w;
	void *timer = NULL;
	double left = 0;
	int list, rc, out, started = 0;

	if (lua_isnoneornil(L, 2))
		return arm(L);
	lua_settop(L, 6);
	memset(&w, 0, sizeof w);
	w.lp = lcore_loop(L);
	if ((w.p = lcore_testup(L, 1, 2)) == NULL)
		luaL_typeerror(L, 1, "process");
	if (!lua_isnil(L, 4)) {
		if ((timer = lcore_testup(L, 4, 3)) == NULL)
			luaL_typeerror(L, 4, "timer");
		left = luaL_checknumber(L, 5);
	}
	list = lua_istable(L, 2);
	if (w.lp->signalled != 0) {	/* the scheduler reports it first */
		lua_pushboolean(L, 0);
		lua_pushvalue(L, 3);
		lua_pushboolean(L, 0);
		lua_pushinteger(L, 0);
		return 4;
	}
	if (lua_type(L, 6) == LUA_TUSERDATA && fast_wait)
		return wait_parked(L, w.lp, w.p, timer, left);
	out = lua_istable(L, 6) && fast_wait;
	w.spin = fast_wait;
	load_pats(L, &w, list, stackpat);
	for (;;) {
		if ((rc = search_push(L, &w, list)) != 0)
			return rc;
		if (!out || w.eof || w.p->lp == NULL)
			break;
		if (!started && timer != NULL)
			lcore_timer_start(timer, left);
		started = 1;
		if (wait_step(&w) != WAIT_OURS)
			break;
	}
	push_more(L, &w, list);
	if (!out || !started)
		return 3;
	lua_pushinteger(L, lcore_take_fired(L, w.lp, 6, 0));
	return 4;
}

/*
 * Resume the tasks whose parked waits woke (wait_sort), in order, each
 * until it yields again, for as long as each parks its wait again.  The
 * first that does anything else - ends, fails, waits otherwise - is
 * stored in the table at out (after k pairs) as its coroutine and a
 * table {ok, values..., n = } as coroutine.resume's, and the resumes
 * stop there: the scheduler must take note of it (a task's end, a
 * callback queue's task gone idle) before any other task runs, as after
 * its own resumes.  The parks still woken are then its to resume
 * (lcore_take_fired).  Returns the new number of pairs.  core.poll calls
 * it only when nothing else is to be reported: no task runs ahead of the
 * callbacks of what fired with its output.
 *
 * (A resumed task may run the loop itself - a wait where it cannot
 * yield, in a gsub callback - and that core.poll fills the same table:
 * nothing is stored in it before the last resume has returned.  A task
 * found not suspended is stored as woken, for the scheduler, and ends
 * the resumes too.)
 */
lua_Integer
lcore_resume_parks(lua_State *L, struct loop *lp, int out, lua_Integer k)
{
	struct park *pk;
	lua_State *co;
	int st, nres, i;

	out = lua_absindex(L, out);
	k *= 2;
	while ((pk = wait_next_woken(lp)) != NULL) {
		co = pk->co;
		if (co == L || lua_status(co) != LUA_YIELD) {
			lua_pushthread(co);	/* (not suspended: the
						 * scheduler's to resume) */
			lua_xmove(co, L, 1);
			lua_rawseti(L, out, ++k);
			lua_pushboolean(L, 1);
			lua_rawseti(L, out, ++k);
			break;
		}
		st = lua_resume(co, L, 0, &nres);
		if (st == LUA_YIELD && pk->state == PARK_PARKED && pk->co == co) {
			lua_pop(co, nres);	/* parked again */
			continue;
		}
		if (st != LUA_OK && st != LUA_YIELD)
			nres = 1;	/* the error */
		luaL_checkstack(L, nres + 4, "resuming tasks");
		lua_pushthread(co);
		lua_xmove(co, L, 1);
		lua_rawseti(L, out, ++k);
		lua_createtable(L, nres + 1, 1);
		lua_pushboolean(L, st == LUA_OK || st == LUA_YIELD);
		lua_rawseti(L, -2, 1);
		lua_xmove(co, L, nres);
		for (i = nres; i >= 1; i--)
			lua_rawseti(L, -1 - i, i + 1);
		lua_pushinteger(L, nres + 1);
		lua_setfield(L, -2, "n");
		lua_rawseti(L, out, ++k);
		break;
	}
	return k / 2;
}

/* core.park() -> a task's park, for core.wait's out  [-0, +1, m] */
static int
l_park(lua_State *L)
{
	struct lpark *lk = lua_newuserdatauv(L, sizeof *lk, 0);

	memset(lk, 0, sizeof *lk);
	lk->pk.w.lp = lcore_loop(L);
	luaL_setmetatable(L, PARK_MT);
	return 1;
}

/* __gc: off its objects and the loop's list.  [-0, +0, -] */
static int
park__gc(lua_State *L)
{
	struct lpark *lk = luaL_checkudata(L, 1, PARK_MT);

	wait_unpark(&lk->pk);
	return 0;
}

/*
 * Add core.wait, core.park, core.SUSPEND and core.FAST_WAIT; stack:
 * module, loop (kept); the metatables exist.
 */
void
lcore_open_wait(lua_State *L)
{
	const char *env = getenv("PTYSCRIPT_FAST_WAIT");

	fast_wait = !(env != NULL && strcmp(env, "0") == 0);
	lua_pushboolean(L, fast_wait);
	lua_setfield(L, -3, "FAST_WAIT");
	luaL_newmetatable(L, PARK_MT);
	lua_pushcfunction(L, park__gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, l_park, 1);
	lua_setfield(L, -3, "park");
	lua_newtable(L);		/* SUSPEND */
	lua_pushvalue(L, -1);
	lua_setfield(L, -4, "SUSPEND");
	lua_pushvalue(L, -2);		/* loop */
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	luaL_getmetatable(L, READER_MT);
	lua_pushvalue(L, -5);		/* SUSPEND */
	luaL_getmetatable(L, PARK_MT);
	lua_pushcclosure(L, l_wait, 6);
	lua_remove(L, -2);		/* SUSPEND */
	lua_setfield(L, -3, "wait");
}
