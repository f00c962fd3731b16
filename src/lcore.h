/*
 * lcore.h - what the binding files (l_*.c) share.
 *
 * The `ptyscript.core` module is the whole Lua/C boundary: a small set of
 * non-blocking primitives.  Every wait, retry and policy lives in Lua
 * (lua/ptyscript/), with one exception made for speed: expect's wait
 * (l_await.c).  core.await, the command's lone task's, waits in C while
 * nothing but its own process's output arrives; core.await_task, a task's
 * among others, arms the process for the task's waiter, which core.poll
 * then reports in place of the process.  Each C function gets the
 * module's loop as upvalue 1 (luv's ctx, not a global).
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
#define ENVIRON_MT	"ptyscript.Environ"

struct loop;
struct proc;

/* The loop of this module instance (upvalue 1 of every core function). */
#define lcore_loop(L)	((struct loop *)lua_touserdata((L), lua_upvalueindex(1)))

void lcore_track(lua_State *L, void *ptr, int idx);
void lcore_pushobj(lua_State *L, void *ptr);
void *lcore_testup(lua_State *L, int idx, int up);
void *lcore_checkself(lua_State *L, const char *tname);
void lcore_newmeta(lua_State *L, const char *name, const luaL_Reg *meth,
    const luaL_Reg *metameth);

void lcore_open_loop(lua_State *L);
void lcore_open_proc(lua_State *L);
void lcore_open_regex(lua_State *L);
void lcore_open_arm(lua_State *L);
void lcore_open_tty(lua_State *L);
void lcore_open_cast(lua_State *L);
void lcore_open_screen(lua_State *L);
void lcore_open_redact(lua_State *L);
void lcore_open_out(lua_State *L);

lua_Integer lcore_take_fired(lua_State *L, struct loop *lp, int out);
void lcore_timer_start(void *timer, double s);
char **lcore_environ(lua_State *L, char *extra);

size_t lproc_rel(struct proc *p, lua_Integer abs);
int lproc_search(lua_State *L, struct proc *p, int idx, size_t from,
    size_t *s, size_t *e);
int lproc_result(lua_State *L, struct proc *p, int full, size_t s, size_t e,
    int take);
int lproc_search_failed(lua_State *L, int rc);
void lcore_open_await(lua_State *L);

struct match_re *lregex_check(lua_State *L, int idx);
void lregex_push_match(lua_State *L, struct match_re *re, const char *subj);

int luaopen_ptyscript_core(lua_State *L);

#endif
