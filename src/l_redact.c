/*
 * l_redact.c - the binding of redact.c: a process's secrets as a Lua
 * object, and the redacting streams of its transcripts and recordings.
 *
 *   core.secrets() -> set           core.protect_secrets()
 *   set:add(s) -> new?              set:redact(s) -> s'   (a message)
 *   set:count(), set:work()         set:stream() -> st
 *   st:feed(chunk) -> s'            st:flush() -> s'      (the end)
 *   set:show()     (the loop's show, proc.c, copies output with set's
 *                   secrets as "***")
 *
 * A stream keeps back the end of what it was fed while that end could
 * still grow into a secret; the next feed or flush decides.  It holds
 * its set (user value 1), so secrets added later apply to it as well.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include "buf.h"
#include "lcore.h"
#include "loop.h"
#include "redact.h"
#include "spawn.h"

#define SECRETS_MT	"ptyscript.Secrets"
#define RSTREAM_MT	"ptyscript.RedactStream"

struct secrets {
	struct redact *r;
	struct loop *lp;	/* the loop whose show uses r, or NULL */
};

struct rstream {
	struct buf held;	/* the tail kept back */
};

/*
 * core.protect_secrets(): no core dump and no ptrace by the same user
 * from now on (the process holds secrets): PR_SET_DUMPABLE 0 and a soft
 * RLIMIT_CORE of 0.  Children started later get the core limit as it
 * was (spawn_keep_limit): theirs is the user's choice, and must not
 * depend on when the first secret was sent.  Only the first call does
 * anything.  [-0, +0, -]
 */
static int
l_protect_secrets(lua_State *L)
{
	static int done;
	struct rlimit rl;

	(void)L;
	if (done)
		return 0;
	done = 1;
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	(void)spawn_keep_limit(RLIMIT_CORE);
	if (getrlimit(RLIMIT_CORE, &rl) == 0) {
		rl.rlim_cur = 0;
		(void)setrlimit(RLIMIT_CORE, &rl);
	}
	return 0;
}

/* emit for redact_run: append to the luaL_Buffer in ctx. */
static int
to_buffer(void *ctx, const char *s, size_t n)
{
	luaL_addlstring(ctx, s, n);
	return 0;
}

/*
 * Run set r over s[0..n) in mode; push the text to write.  Returns the
 * bytes consumed.  [-0, +1, m]
 */
static size_t
push_run(lua_State *L, struct redact *r, const char *s, size_t n,
    enum redact_mode mode)
{
	luaL_Buffer b;
	size_t used;

	luaL_buffinit(L, &b);
	(void)redact_run(r, s, n, mode, to_buffer, &b, &used);
	luaL_pushresult(&b);
	return used;
}

/* core.secrets() -> an empty set of secrets  [-0, +1, m] */
static int
l_secrets(lua_State *L)
{
	struct secrets *sc = lua_newuserdatauv(L, sizeof *sc, 0);

	sc->r = NULL;
	sc->lp = NULL;
	luaL_setmetatable(L, SECRETS_MT);
	if ((sc->r = redact_new()) == NULL)
		return luaL_error(L, "not enough memory");
	return 1;
}

/* The set at index 1, or raise.  [-0, +0, v] */
static struct secrets *
check_secrets(lua_State *L)
{
	return lcore_checkself(L, SECRETS_MT);
}

/*
 * set:add(s) -> true if s is new, false if known (or only \r/\n), and
 * the process is protected (core.protect_secrets).  [-0, +1, m]
 */
static int
secrets_add(lua_State *L)
{
	struct secrets *sc = check_secrets(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);
	int rc;

	l_protect_secrets(L);
	if ((rc = redact_add(sc->r, s, n)) == -1)
		return luaL_error(L, "not enough memory");
	lua_pushboolean(L, rc);
	return 1;
}

/*
 * set:redact(s) -> s with every secret, and a piece of one (3 bytes or
 * more) cut at either end, as "***": for messages.  [-0, +1, m]
 */
static int
secrets_redact(lua_State *L)
{
	struct secrets *sc = check_secrets(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	if (redact_count(sc->r) == 0) {
		lua_settop(L, 2);
		return 1;
	}
	push_run(L, sc->r, s, n, REDACT_STATIC);
	return 1;
}

/* set:count() -> the secrets held, each once  [-0, +1, -] */
static int
secrets_count(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)redact_count(check_secrets(L)->r));
	return 1;
}

/* set:work() -> the matcher's steps in every run so far  [-0, +1, -] */
static int
secrets_work(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)redact_work(check_secrets(L)->r));
	return 1;
}

/* set:stream() -> a redacting stream over set  [-0, +1, m] */
static int
secrets_stream(lua_State *L)
{
	struct rstream *st;

	check_secrets(L);
	st = lua_newuserdatauv(L, sizeof *st, 1);
	buf_init(&st->held);
	luaL_setmetatable(L, RSTREAM_MT);
	lua_pushvalue(L, 1);
	lua_setiuservalue(L, -2, 1);
	return 1;
}

/*
 * set:show(): the loop's show (--show, spawn's show) redacts with set
 * from now on.  [-0, +0, -]
 */
static int
secrets_show(lua_State *L)
{
	struct secrets *sc = check_secrets(L);
	struct loop *lp = lcore_loop(L);

	if (lp->secrets_own && lp->secrets != sc->r) {
		redact_free(lp->secrets);	/* a collected set's (__gc) */
		lp->secrets_own = 0;
	}
	sc->lp = lp;
	lp->secrets = sc->r;
	return 0;
}

/*
 * __gc: free the secrets, their bytes cleared - unless the loop's show
 * still uses them: at lua_close, a set finalized before the loop (or a
 * process) would leave the hang-ups there, which read and show what the
 * children left, with nothing to redact it.  The loop then keeps them
 * and frees them with itself (loop_free, which clears lp: a set
 * finalized after the loop frees its own).  The loop's memory lasts
 * until every finalizer has run.  [-0, +0, -]
 */
static int
secrets__gc(lua_State *L)
{
	struct secrets *sc = check_secrets(L);

	if (sc->lp != NULL && sc->lp->secrets == sc->r)
		sc->lp->secrets_own = 1;
	else
		redact_free(sc->r);
	sc->lp = NULL;
	sc->r = NULL;
	return 0;
}

/* The stream at index 1 and its set's redactor, or raise.  [-0, +0, v] */
static struct rstream *
check_stream(lua_State *L, struct redact **r)
{
	struct rstream *st = lcore_checkself(L, RSTREAM_MT);
	struct secrets *sc;

	lua_getiuservalue(L, 1, 1);
	sc = lua_touserdata(L, -1);
	lua_pop(L, 1);		/* (the stream keeps it alive) */
	*r = sc->r;
	return st;
}

/*
 * st:feed(chunk) -> what can be written now: the held tail and chunk,
 * redacted, less a new tail that could still be a secret's start.
 * [-0, +1, m]
 */
static int
rstream_feed(lua_State *L)
{
	struct redact *r;
	struct rstream *st = check_stream(L, &r);
	size_t n, used;
	const char *s = luaL_checklstring(L, 2, &n);

	if (buf_len(&st->held) == 0 && redact_count(r) == 0) {
		lua_settop(L, 2);	/* no secret yet: as it is */
		return 1;
	}
	if (buf_len(&st->held) == 0) {
		used = push_run(L, r, s, n, REDACT_STREAM);
		if (used < n && buf_append(&st->held, s + used, n - used) == -1)
			return luaL_error(L, "not enough memory");
		return 1;
	}
	if (buf_append(&st->held, s, n) == -1)
		return luaL_error(L, "not enough memory");
	used = push_run(L, r, buf_head(&st->held), buf_len(&st->held),
	    REDACT_STREAM);
	buf_consume(&st->held, used);
	if (buf_len(&st->held) == 0)
		buf_free(&st->held);
	return 1;
}

/*
 * st:flush() -> the held tail, as "***" if it starts a secret: the end
 * of the stream.  [-0, +1, m]
 */
static int
rstream_flush(lua_State *L)
{
	struct redact *r;
	struct rstream *st = check_stream(L, &r);

	push_run(L, r, buf_head(&st->held), buf_len(&st->held), REDACT_FINAL);
	buf_free(&st->held);
	return 1;
}

/* __gc: free the tail kept back.  [-0, +0, -] */
static int
rstream__gc(lua_State *L)
{
	struct rstream *st = lcore_checkself(L, RSTREAM_MT);

	buf_free(&st->held);
	return 0;
}

static const luaL_Reg secrets_meth[] = {
	{ "add", secrets_add },
	{ "redact", secrets_redact },
	{ "count", secrets_count },
	{ "work", secrets_work },
	{ "stream", secrets_stream },
	{ "show", secrets_show },
	{ NULL, NULL }
};

static const luaL_Reg secrets_metameth[] = {
	{ "__gc", secrets__gc },
	{ NULL, NULL }
};

static const luaL_Reg rstream_meth[] = {
	{ "feed", rstream_feed },
	{ "flush", rstream_flush },
	{ NULL, NULL }
};

static const luaL_Reg rstream_metameth[] = {
	{ "__gc", rstream__gc },
	{ NULL, NULL }
};

/* Add core.secrets and core.protect_secrets; stack: module, loop (kept). */
void
lcore_open_redact(lua_State *L)
{
	lcore_newmeta(L, SECRETS_MT, secrets_meth, secrets_metameth);
	lcore_newmeta(L, RSTREAM_MT, rstream_meth, rstream_metameth);
	lua_pushcfunction(L, l_secrets);
	lua_setfield(L, -3, "secrets");
	lua_pushcfunction(L, l_protect_secrets);
	lua_setfield(L, -3, "protect_secrets");
}
