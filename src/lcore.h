/*
 * lcore.h - what the binding files (l_*.c) share.
 *
 * The `ptyscript.core` module is the whole Lua/C boundary: a small set of
 * non-blocking primitives.  Retries and policy live in Lua
 * (lua/ptyscript/).  Every wait goes through one function, core.wait
 * (l_wait.c, wait.c): it arms an object for the scheduler (sched.lua),
 * or searches a process's output for expect's pattern(s) in C; for the
 * command's lone task, which nothing else could interrupt, it also
 * waits in C until its process's output matches or anything else fires,
 * and a task among others parks its wait in C (core.poll resumes it).
 * Each C function gets the module's loop as upvalue 1 (luv's ctx, not a
 * global).
 *
 * Names.  A C function Lua calls is named after what Lua calls it:
 *
 *   l_<name>            core.<name>               l_spawn, l_poll
 *   <type>_<method>     a method of a userdata    timer_start, screen_text
 *   <type>__<event>     its metamethod            regex__gc
 *
 * <type> is the userdata's, from its metatable (TIMER_MT: timer).  Where
 * a pure-C module has that name (proc.c, loop.c), it takes an l: the
 * binding lproc_send calls proc.c's proc_send, and no binding can share a
 * name with the layer below it.  One function per Lua name, except that
 * __close is __gc's; a method close and __gc share a static helper.  Each
 * binding's comment gives its stack effect, [-o, +p, x] as in the Lua
 * manual.  What binding files share is lcore_*, declared here; anything
 * else in a binding file is a static helper (check_proc, start_timer).
 *
 * Errors.  Misuse (a wrong type or value) raises.  A failure of
 * the world returns nil, a message, and the errno's name ("EPIPE"), made
 * by lcore_fail or lcore_failf: the Lua side decides on the name, never
 * on the message, whose strerror text varies between systems.
 */
#ifndef PTYSCRIPT_LCORE_H
#define PTYSCRIPT_LCORE_H

#include <lauxlib.h>
#include <lua.h>

#include "match.h"

#define LOOP_MT		"ptyscript.Loop"
#define PROC_MT		"ptyscript.Proc"
#define TIMER_MT	"ptyscript.Timer"
#define REGEX_MT	"ptyscript.Regex"
#define READER_MT	"ptyscript.Reader"
#define WINCH_MT	"ptyscript.Winch"

struct loop;
struct proc;

/* The loop of this module instance (upvalue 1 of every core function). */
#define lcore_loop(L)	((struct loop *)lua_touserdata((L), lua_upvalueindex(1)))

int lcore_fail(lua_State *L, const char *what, int err);
int lcore_failf(lua_State *L, int err, const char *fmt, ...);
void lcore_pusherrname(lua_State *L, int err);
void lcore_track(lua_State *L, void *ptr, int idx);
void lcore_pushobj(lua_State *L, void *ptr);
void *lcore_testup(lua_State *L, int idx, int up);
void *lcore_checkself(lua_State *L, const char *tname);
void lcore_newmeta(lua_State *L, const char *name, const luaL_Reg *meth,
    const luaL_Reg *metameth);

void lcore_open_loop(lua_State *L);
void lcore_open_proc(lua_State *L);
void lcore_open_regex(lua_State *L);
void lcore_open_tty(lua_State *L);
void lcore_open_cast(lua_State *L);
void lcore_open_screen(lua_State *L);
void lcore_open_redact(lua_State *L);
void lcore_open_out(lua_State *L);
void lcore_open_account(lua_State *L);

lua_Integer lcore_checkid(lua_State *L, int idx, const char *what);
lua_Integer lcore_take_fired(lua_State *L, struct loop *lp, int out,
    lua_Integer k);
lua_Integer lcore_resume_parks(lua_State *L, struct loop *lp, int out,
    lua_Integer k);
void lcore_timer_start(void *timer, double s);
void lcore_timer_due(void *timer, double s);

size_t lcore_offset(struct proc *p, lua_Integer abs);
int lcore_search(lua_State *L, struct proc *p, int idx, size_t from,
    size_t *s, size_t *e);
int lcore_search_result(lua_State *L, struct proc *p, int full, size_t s, size_t e,
    int take);
int lcore_search_failed(lua_State *L, int rc);
void lcore_open_wait(lua_State *L);

struct match_re *lcore_checkregex(lua_State *L, int idx);
void lcore_pushmatch(lua_State *L, struct match_re *re, const char *subj);

int luaopen_ptyscript_core(lua_State *L);

#endif
