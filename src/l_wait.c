/*
 * l_wait.c - core.wait, the binding of the one wait (wait.c).
 *
 * Every wait of the library comes here, from sched.lua (a process, a
 * reader, a timer: armed for the bits waited for) or from expect.lua (a
 * process's or stream's output: searched in C for one pattern or a
 * list).  Only the command's lone task passes `out`: nothing else can
 * run while it waits, so it stays in C, stepping the loop and searching
 * again, for as long as nothing but its own process's output arrives.
 * Anything else goes back to the scheduler, which waits as for any other
 * event.  With PTYSCRIPT_FAST_WAIT=0 (core.FAST_WAIT false) Lua does the
 * searching and never passes `out`: the same loop, without the shortcut.
 */
#include <stdlib.h>
#include <string.h>

#include "lcore.h"
#include "loop.h"
#include "proc.h"
#include "wait.h"

#define NPAT_STACK	8

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
		o->armed |= (unsigned)luaL_checkinteger(L, 3);
		if (o->on_arm != NULL)
			o->on_arm(o);
	}
	if (t != NULL)
		lcore_timer_start(t, luaL_checknumber(L, 5));
	return 0;
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
 * whether EOF was seen, and n.  With out (the command's lone task) the
 * wait goes on in C until a match, EOF, or anything besides proc's output
 * fired: n objects, stored in out as core.poll stores them (0 after a
 * signal, or when nothing is left to wake the loop).  Without out, n is
 * nil: the caller waits through the scheduler.  A caught signal comes
 * first: false, from, false, 0 before any search.  Upvalues: loop,
 * process, timer and reader metatables.
 */
static int
l_wait(lua_State *L)
{
	struct wait_pat stackpat[NPAT_STACK];
	struct wait w;
	void *timer = NULL;
	double left = 0;
	int list, i, rc, out, started = 0;

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
	out = lua_istable(L, 6) && fast_wait;
	w.spin = fast_wait;
	list = lua_istable(L, 2);
	if (w.lp->signalled != 0) {	/* the scheduler reports it first */
		lua_pushboolean(L, 0);
		lua_pushvalue(L, 3);
		lua_pushboolean(L, 0);
		lua_pushinteger(L, 0);
		return 4;
	}
	if (list) {
		luaL_checktype(L, 3, LUA_TTABLE);
		w.npat = (int)luaL_len(L, 2);
		w.pat = w.npat <= NPAT_STACK ? stackpat :
		    lua_newuserdatauv(L, (size_t)w.npat * sizeof *w.pat, 0);
		for (i = 0; i < w.npat; i++) {
			lua_rawgeti(L, 2, i + 1);
			lua_rawgeti(L, 3, i + 1);
			check_pat(L, -2, &w.pat[i], lua_tointeger(L, -1));
			lua_pop(L, 2);	/* (the list keeps a string alive) */
		}
	} else {
		w.npat = 1;
		w.pat = stackpat;
		check_pat(L, 2, &w.pat[0], luaL_checkinteger(L, 3));
	}
	for (;;) {
		rc = wait_search(&w);
		if (rc < 0) {
			lcore_search_failed(L, rc);
			lua_pushinteger(L, w.win + 1);
			return 3;
		}
		if (rc == WAIT_MATCH) {
			if (list)
				lua_rawgeti(L, 2, w.win + 1);
			else
				lua_pushvalue(L, 2);
			push_match(L, &w, lua_gettop(L));
			lua_remove(L, -2);
			lcore_search_result(L, w.p, 1, w.s, w.e, 1);
			lua_pushinteger(L, w.win + 1);
			lua_setfield(L, -2, "index");
			return 3;
		}
		if (!out || w.eof || w.p->lp == NULL)
			break;
		if (!started && timer != NULL)
			lcore_timer_start(timer, left);
		started = 1;
		if (wait_step(&w) != WAIT_OURS)
			break;
	}
	lua_pushboolean(L, 0);
	if (list) {
		for (i = 0; i < w.npat; i++) {
			lua_pushinteger(L, (lua_Integer)w.pat[i].from);
			lua_rawseti(L, 3, i + 1);
		}
		lua_pushvalue(L, 3);
	} else {
		lua_pushinteger(L, (lua_Integer)w.pat[0].from);
	}
	lua_pushboolean(L, w.eof);
	if (!out || !started)
		return 3;
	lua_pushinteger(L, lcore_take_fired(L, w.lp, 6));
	return 4;
}

/*
 * Add core.wait and core.FAST_WAIT; stack: module, loop (kept); the
 * metatables exist.
 */
void
lcore_open_wait(lua_State *L)
{
	const char *env = getenv("PTYSCRIPT_FAST_WAIT");

	fast_wait = !(env != NULL && strcmp(env, "0") == 0);
	lua_pushboolean(L, fast_wait);
	lua_setfield(L, -3, "FAST_WAIT");
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	luaL_getmetatable(L, READER_MT);
	lua_pushcclosure(L, l_wait, 4);
	lua_setfield(L, -3, "wait");
}
