/*
 * l_core.c - luaopen_ptyscript_core: the C half of the library.
 *
 * Creates this Lua state's loop (a full userdata whose __gc hangs up every
 * child and destroys the loop at lua_close) and fills the module table
 * from the binding files.  Objects that the loop reports back (processes,
 * timers) are found again through a weak table keyed by their address.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lcore.h"
#include "loop.h"
#include "portable.h"
#include "proc.h"

static const char objs_key = 'o';	/* registry key: weak address->object */

/*
 * Every live loop, for the clean-up at exit: os.exit(code) in plain Lua
 * ends the process without closing the Lua state, so no __gc runs.  (Not
 * thread-safe: one thread runs Lua states that load this module.)
 */
static struct loop *live_loops;
static int atexit_done;

/*
 * The clean-up at exit(3): what the loop's __gc does, for the loops
 * still alive - hang up every child, give them up to 1 s, KILL their
 * groups, reap; and put the user's terminal back.  A forked copy of the
 * process skips it: the children are its parent's.
 */
static void
shutdown_at_exit(void)
{
	struct loop *lp;

	for (lp = live_loops; lp != NULL; lp = lp->next_live) {
		if (lp->owner != getpid())
			continue;
		loop_tty_restore(lp);
		proc_shutdown_all(lp, 1.0);
	}
}

static void
live_add(struct loop *lp)
{
	lp->owner = getpid();
	lp->next_live = live_loops;
	live_loops = lp;
	if (!atexit_done)
		atexit_done = atexit(shutdown_at_exit) == 0;
}

static void
live_remove(struct loop *lp)
{
	struct loop **pp;

	for (pp = &live_loops; *pp != NULL; pp = &(*pp)->next_live)
		if (*pp == lp) {
			*pp = lp->next_live;
			break;
		}
}

/* Remember the userdata at idx under its C address.  [-0, +0, m] */
void
lcore_track(lua_State *L, void *ptr, int idx)
{
	idx = lua_absindex(L, idx);
	lua_rawgetp(L, LUA_REGISTRYINDEX, &objs_key);
	lua_pushvalue(L, idx);
	lua_rawsetp(L, -2, ptr);
	lua_pop(L, 1);
}

/*
 * The userdata at idx if its metatable is the one at upvalue up of the
 * running C function (cheaper than luaL_testudata's registry lookup), or
 * NULL.  [-0, +0, -]
 */
void *
lcore_testup(lua_State *L, int idx, int up)
{
	void *p = lua_touserdata(L, idx);

	if (p == NULL || !lua_getmetatable(L, idx))
		return NULL;
	if (!lua_rawequal(L, -1, lua_upvalueindex(up)))
		p = NULL;
	lua_pop(L, 1);
	return p;
}

/* Push the userdata tracked under ptr, or nil.  [-0, +1, -] */
void
lcore_pushobj(lua_State *L, void *ptr)
{
	lua_rawgetp(L, LUA_REGISTRYINDEX, &objs_key);
	lua_rawgetp(L, -1, ptr);
	lua_remove(L, -2);
}

/*
 * Create metatable `name` with methods in __index and the metamethods;
 * every function gets the loop (at the stack top) as upvalue 1 and the
 * metatable itself as upvalue 2, for lcore_checkself.  Leaves the stack
 * as it found it.
 */
void
lcore_newmeta(lua_State *L, const char *name, const luaL_Reg *meth,
    const luaL_Reg *metameth)
{
	int loop = lua_absindex(L, -1);

	luaL_newmetatable(L, name);
	lua_pushvalue(L, loop);
	lua_pushvalue(L, -2);
	luaL_setfuncs(L, metameth, 2);
	lua_newtable(L);
	lua_pushvalue(L, loop);
	lua_pushvalue(L, -3);
	luaL_setfuncs(L, meth, 2);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
}

/*
 * The userdata at index 1 if its metatable is upvalue 2 (the method's
 * own type), else raise.  luaL_checkudata by name would look the name up
 * in the registry on every call, on the hot path.  [-0, +0, v]
 */
void *
lcore_checkself(lua_State *L, const char *tname)
{
	void *p = lua_touserdata(L, 1);

	if (p == NULL || !lua_getmetatable(L, 1) ||
	    !lua_rawequal(L, -1, lua_upvalueindex(2)))
		luaL_typeerror(L, 1, tname);
	lua_pop(L, 1);
	return p;
}

/*
 * The errno names a failure may carry to Lua: those of the calls made
 * here, and the common rest.  Where two share a number (EAGAIN and
 * EWOULDBLOCK, ENOTSUP and EOPNOTSUPP on Linux), the first one listed
 * names it.
 */
static const struct {
	int err;
	const char *name;
} errnames[] = {
#define E(x)	{ x, #x }
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV), E(ENOTDIR),
	E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY), E(ETXTBSY),
	E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK), E(EPIPE),
	E(EDOM), E(ERANGE), E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK),
	E(ENOSYS), E(ENOTEMPTY), E(ELOOP), E(EWOULDBLOCK), E(ENOTSUP),
	E(EOPNOTSUPP), E(EOVERFLOW), E(ECANCELED), E(EILSEQ), E(ETIMEDOUT),
	E(ENOBUFS), E(ECONNRESET), E(ECONNREFUSED), E(EADDRINUSE),
	E(ENOTCONN), E(EMSGSIZE), E(EPROTO),
#ifdef EDQUOT
	E(EDQUOT),
#endif
#undef E
};

/* The name of errno value err ("EPIPE"), or NULL if it has none here. */
static const char *
errname(int err)
{
	size_t i;

	for (i = 0; i < sizeof errnames / sizeof errnames[0]; i++)
		if (errnames[i].err == err)
			return errnames[i].name;
	return NULL;
}

/*
 * Push err's name ("EPIPE"), or "errno N" for a number without one
 * here: the stable code a Lua caller branches on (as luv's err_name),
 * where strerror's text differs between systems and locales.
 * [-0, +1, m]
 */
void
lcore_pusherrname(lua_State *L, int err)
{
	const char *name = errname(err);

	if (name != NULL)
		lua_pushstring(L, name);
	else
		lua_pushfstring(L, "errno %d", err);
}

/*
 * A failure of the world, as every binding returns one: nil, "what:
 * strerror(err)" (strerror alone when what is NULL), err's name.
 * [-0, +3, m]
 */
int
lcore_fail(lua_State *L, const char *what, int err)
{
	luaL_pushfail(L);
	if (what != NULL)
		lua_pushfstring(L, "%s: %s", what, strerror(err));
	else
		lua_pushstring(L, strerror(err));
	lcore_pusherrname(L, err);
	return 3;
}

/*
 * The same with a message of its own: nil, the message (a
 * lua_pushfstring format), err's name.  [-0, +3, m]
 */
int
lcore_failf(lua_State *L, int err, const char *fmt, ...)
{
	va_list ap;

	luaL_pushfail(L);
	va_start(ap, fmt);
	lua_pushvfstring(L, fmt, ap);
	va_end(ap);
	lcore_pusherrname(L, err);
	return 3;
}

/*
 * __gc of the loop: hang up and reap every child, then free the loop.
 * [-0, +0, -]
 */
static int
lloop__gc(lua_State *L)
{
	struct loop *lp = luaL_checkudata(L, 1, LOOP_MT);
	struct proc *p;

	if (lp->ev == NULL)
		return 0;
	live_remove(lp);
	proc_shutdown_all(lp, 1.0);
	while ((p = lp->procs) != NULL)
		proc_destroy(p);	/* unlinks p; its userdata stays inert */
	loop_free(lp);
	return 0;
}

/* require "ptyscript.core" -> the module  [-0, +1, e] */
int
luaopen_ptyscript_core(lua_State *L)
{
	struct loop *lp;

	loop_default_sigchld();		/* or no exit status is ever known */
	lua_newtable(L);			/* objs */
	lua_newtable(L);
	lua_pushliteral(L, "v");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_rawsetp(L, LUA_REGISTRYINDEX, &objs_key);

	lua_newtable(L);			/* the module */
	lp = lua_newuserdatauv(L, sizeof *lp, 0);
	if (loop_init(lp) == -1)
		return luaL_error(L, "ptyscript: cannot create the event loop");
	luaL_newmetatable(L, LOOP_MT);
	lua_pushcfunction(L, lloop__gc);
	lua_setfield(L, -2, "__gc");
	lua_setmetatable(L, -2);
	live_add(lp);
#ifdef PTYSCRIPT_NO_PIDFD
	(void)proc_watch_exits(lp);	/* (else at the first child: proc.c) */
#endif
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, "_loop");		/* keep it alive */
	lcore_open_loop(L);
	lcore_open_regex(L);
	lcore_open_proc(L);
	lcore_open_account(L);
	lcore_open_tty(L);
	lcore_open_cast(L);
	lcore_open_screen(L);
	lcore_open_redact(L);
	lcore_open_out(L);
	lcore_open_wait(L);
	lua_pop(L, 1);				/* the loop */
	return 1;
}
