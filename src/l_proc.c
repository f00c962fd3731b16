/*
 * l_proc.c - the C side of a process object: spawn and non-blocking
 * operations on a running child.
 *
 * core.spawn only converts what spawnopts.lua prepared and checked: the
 * environment goes to env.c, the descriptors to plumb.c, the fork and
 * exec to spawn.c.
 *
 * Nothing here waits.  Calls that fail for reasons of the world return
 * nil, message, errno name (lcore_fail) and the Lua modules
 * (lua/ptyscript/) turn them into errors that name the script's line;
 * only misuse (wrong types) raises here.  Stream positions cross the
 * boundary as absolute offsets (bytes since the session started), so that
 * bytes dropped from the front by maxbuf never shift a caller's place.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "lcore.h"
#include "out.h"
#include "portable.h"
#include "plumb.h"
#include "proc.h"
#include "pty.h"
#include "spawn.h"

/* The box of a child's environment array (child_env). */
#define ENVIRON_MT	"ptyscript.Environ"

/* The process at index 1, the method's self; else raise.  [-0, +0, v] */
static struct proc *
check_proc(lua_State *L)
{
	return lcore_checkself(L, PROC_MT);
}

/* Integer field of the options table at idx, or def.  [-0, +0, v] */
static lua_Integer
opt_int(lua_State *L, int idx, const char *k, lua_Integer def)
{
	lua_Integer v;

	lua_getfield(L, idx, k);
	v = luaL_optinteger(L, -1, def);
	lua_pop(L, 1);
	return v;
}

/*
 * The string at idx as a C string, or NULL if it is not a string (or a
 * number); one holding a NUL byte raises, since C would cut it there.
 * [-0, +0, v]
 */
static const char *
c_string(lua_State *L, int idx, const char *what)
{
	size_t n;
	const char *s = lua_tolstring(L, idx, &n);

	if (s != NULL && strlen(s) != n)
		luaL_error(L, "spawn: %s contains a NUL byte", what);
	return s;
}

/* Array of the strings in table idx, NULL-terminated, GC-owned. */
static char **
string_array(lua_State *L, int idx)
{
	lua_Integer n = luaL_len(L, idx), i;
	char **v;

	v = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *v, 0);
	for (i = 1; i <= n; i++) {
		lua_rawgeti(L, idx, i);
		/* anchored by idx */
		v[i - 1] = (char *)c_string(L, -1, "an argument");
		lua_pop(L, 1);
		if (v[i - 1] == NULL)
			luaL_error(L, "spawn: element %d is not a string",
			    (int)i);
	}
	v[n] = NULL;
	return v;
}

/* __gc of a child environment's box: free the array.  [-0, +0, -] */
static int
environ__gc(lua_State *L)
{
	char ***box = lua_touserdata(L, 1);

	free(*box);
	*box = NULL;
	return 0;
}

/* qsort's order of the variables set: a stable environment. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The child's environment (env_build): ours, none with opts.clearenv;
 * the table at env (0: none) sets variables {NAME = value} and removes
 * them {NAME = false}; opts.term is TERM's value, false to remove it
 * (nil: as env or ours has it).  spawnopts.lua has checked env: anything else
 * raises.  The strings and the array (in a box, freed by its __gc) stay
 * anchored on the stack.  [-0, +4, e]
 */
static char **
child_env(lua_State *L, int env, int opts)
{
	char **set, ***box;
	size_t n = 0, nset = 0;
	const char *k, *v;
	int strs, inherit, term;

	lua_getfield(L, opts, "clearenv");
	inherit = !lua_toboolean(L, -1);
	lua_pop(L, 1);
	lua_getfield(L, opts, "term");
	term = lua_gettop(L);
	if (env != 0)
		for (lua_pushnil(L); lua_next(L, env) != 0; lua_pop(L, 1))
			n++;
	lua_createtable(L, (int)n + 1, 0);
	strs = lua_gettop(L);
	set = lua_newuserdatauv(L, (n + 1) * sizeof *set, 0);
	if (env != 0)
		for (lua_pushnil(L); lua_next(L, env) != 0; lua_pop(L, 1)) {
			if (lua_type(L, -2) != LUA_TSTRING)
				luaL_error(L, "spawn: env: a variable name is "
				    "not a string");
			k = lua_tostring(L, -2);
			if (!lua_isnil(L, term) && strcmp(k, "TERM") == 0)
				continue;	/* term's, below */
			if (lua_isboolean(L, -1) && !lua_toboolean(L, -1))
				lua_pushvalue(L, -2);	/* "NAME": removed */
			else if ((v = c_string(L, -1, "an env value")) != NULL)
				lua_pushfstring(L, "%s=%s", k, v);
			else
				luaL_error(L, "spawn: env: value of %s is not "
				    "a string", k);
			set[nset] = (char *)lua_tostring(L, -1);
			lua_rawseti(L, strs, (lua_Integer)++nset);
		}
	if (lua_isboolean(L, term) && !lua_toboolean(L, term))
		lua_pushliteral(L, "TERM");
	else if ((v = c_string(L, term, "term")) != NULL)
		lua_pushfstring(L, "TERM=%s", v);
	else if (!lua_isnil(L, term))
		luaL_error(L, "spawn: term must be a string or false");
	if (!lua_isnil(L, term)) {
		set[nset] = (char *)lua_tostring(L, -1);
		lua_rawseti(L, strs, (lua_Integer)++nset);
	}
	qsort(set, nset, sizeof *set, by_name);
	box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = NULL;
	luaL_setmetatable(L, ENVIRON_MT);
	if ((*box = env_build(inherit, set, nset)) == NULL)
		luaL_error(L, "not enough memory");
	return *box;
}

/* A new inert process handle (no child yet) on the stack.  [-0, +1, m] */
static struct proc *
new_handle(lua_State *L)
{
	struct proc *p = lua_newuserdatauv(L, sizeof *p, 0);

	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->fd = p->wfd = p->pidfd = -1;
	p->exited = 1;		/* inert until proc_start */
	p->reaped = 1;
	luaL_setmetatable(L, PROC_MT);
	return p;
}

/*
 * A new inert handle for the stream of the child's descriptor to, kept
 * in streams[to] (the table at st).  [-0, +0, m]
 */
static struct proc *
new_stream(lua_State *L, int st, int to)
{
	struct proc *s = new_handle(L);

	lua_rawseti(L, st, to);
	return s;
}

/*
 * The extra descriptors: the array at idx of {to = n, mode = "r" | "w" |
 * "fd", fd = integer or Lua file}, as spawnopts.lua's check_fds made it, into
 * ex; a pipe's stream handle into hs (else NULL), a passed Lua file's
 * buffer flushed.  Anything else is misuse of core.spawn, and raises.
 * Returns the number of entries.  [-0, +0, v]
 */
static int
to_extra(lua_State *L, int idx, int st, struct plumb_extra *ex,
    struct proc **hs)
{
	lua_Integer n = luaL_len(L, idx), i, to, v;
	const char *mode;
	luaL_Stream *f;

	if (n > PLUMB_MAXEXTRA)
		luaL_error(L, "spawn: fds: at most %d extra descriptors",
		    PLUMB_MAXEXTRA);
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, idx, i + 1);
		luaL_checktype(L, -1, LUA_TTABLE);
		to = opt_int(L, -1, "to", -1);
		lua_getfield(L, -1, "mode");
		mode = lua_tostring(L, -1);
		lua_getfield(L, -2, "fd");
		if (to < 3 || to > PLUMB_MAXFD || mode == NULL)
			luaL_error(L, "spawn: fds: bad entry for %I", to);
		ex[i].to = (int)to;
		ex[i].fd = -1;
		hs[i] = NULL;
		if (strcmp(mode, "r") == 0 || strcmp(mode, "w") == 0) {
			ex[i].mode = mode[0] == 'r' ? PLUMB_READ : PLUMB_WRITE;
			hs[i] = new_stream(L, st, ex[i].to);
		} else if (lua_isinteger(L, -1)) {
			v = lua_tointeger(L, -1);
			ex[i].mode = PLUMB_PASS;
			ex[i].fd = v >= 0 && v <= INT_MAX ? (int)v : -1;
		} else if ((f = luaL_testudata(L, -1, LUA_FILEHANDLE)) != NULL &&
		    f->closef != NULL) {
			(void)fflush(f->f);	/* its buffer first */
			ex[i].mode = PLUMB_PASS;
			ex[i].fd = out_fileno(f->f);
		} else {
			luaL_error(L, "spawn: fds[%I]: not \"r\", \"w\", an open "
			    "Lua file or a descriptor number", to);
		}
		lua_pop(L, 3);
	}
	return (int)n;
}

/*
 * Why the descriptors of the spawn could not be opened: nil, message,
 * errname.  fds is the index of the extra descriptors' array.
 * [-0, +3, m]
 */
static int
plumb_failed(lua_State *L, const struct plumbing *pl,
    const struct plumb_req *req, int fds, int err)
{
	switch (pl->step) {
	case PLUMB_PASSED:
		lua_rawgeti(L, fds, pl->bad + 1);
		lua_getfield(L, -1, "fd");
		return lcore_failf(L, err, "fds[%d]: descriptor %I is not open "
		    "in ptyscript", req->extra[pl->bad].to,
		    lua_tointeger(L, -1));
	case PLUMB_OPENPTY:
		if (err != ENOSPC)
			return lcore_fail(L, "openpty", err);
#ifdef __linux__
		return lcore_failf(L, err, "no pseudo-terminal left (openpty: "
		    "%s; the system's limit is /proc/sys/kernel/pty/max)",
		    strerror(err));
#else
		return lcore_failf(L, err, "no pseudo-terminal left (openpty: "
		    "%s)", strerror(err));
#endif
	case PLUMB_CHOWN:
		return lcore_fail(L, "giving the terminal to the uid (fchown)",
		    err);
	default:
		return lcore_fail(L, "pipe", err);
	}
}

/*
 * Why the child did not start: nil, message, errname.  [-0, +3, m]
 */
static int
spawn_failed(lua_State *L, const struct spawn_result *res, const char *cwd)
{
	if (res->step == STEP_EXEC)
		return lcore_fail(L, NULL, res->err);
	if (res->step == STEP_CHDIR)
		return lcore_failf(L, res->err, "cannot change directory to "
		    "%s: %s", cwd, strerror(res->err));
	return lcore_fail(L, spawn_step_name(res->step), res->err);
}

/*
 * core.spawn(argv, env, opts) -> proc [, streams] | nil, msg, errname
 * [-0, +1|2|3, m]
 * argv is an array of strings, env nil or a table of the variables to
 * set or remove (child_env), both checked by spawnopts.lua.  opts has
 * clearenv, term (child_env), cwd, rows, cols, echo, maxbuf,
 * uid/gid/groups, pipes (no terminal: stdin, stdout and stderr are pipes)
 * and fds (extra descriptors, see to_extra).  The program is searched in
 * the child's PATH.  streams maps child fds to the stream
 * handles made for pipes (2 in pipes mode, "r"/"w" fds).  Every userdata
 * is made first (inert), so that no allocation can fail between fork and
 * the moment the child is owned by them; the descriptors are plumb.c's.
 */
static int
l_spawn(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	struct proc *p, *errh = NULL, *hs[PLUMB_MAXEXTRA];
	struct plumb_extra extra[PLUMB_MAXEXTRA];
	struct plumb_req preq;
	struct plumbing pl;
	struct spawn_req req;
	struct spawn_result res;
	char path[PATH_MAX], **argv, **envp;
	gid_t *groups = NULL;
	const char *pathvar, *cwd, *prog;
	lua_Integer maxbuf;
	int rc, i, st, fds, err, ngroups = 0, nstreams = 0;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (!lua_isnil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TTABLE);
	argv = string_array(L, 1);
	if (argv[0] == NULL)
		return luaL_error(L, "spawn: no program given");
	prog = argv[0];
	envp = child_env(L, lua_isnil(L, 2) ? 0 : 2, 3);
	pathvar = env_get(envp, "PATH");	/* the child's, for the search */
	memset(&preq, 0, sizeof preq);
	lua_getfield(L, 3, "cwd");
	cwd = c_string(L, -1, "cwd");
	lua_getfield(L, 3, "echo");
	preq.echo = lua_isnil(L, -1) || lua_toboolean(L, -1);
	lua_getfield(L, 3, "pipes");
	preq.pipes = lua_toboolean(L, -1);
	lua_pop(L, 2);		/* cwd stays anchored on the stack */
	preq.rows = (int)opt_int(L, 3, "rows", 24);
	preq.cols = (int)opt_int(L, 3, "cols", 80);
	maxbuf = opt_int(L, 3, "maxbuf", 1024 * 1024);

	/* privileges: made before the process object, which is returned */
	lua_getfield(L, 3, "uid");
	lua_getfield(L, 3, "gid");
	if (!lua_isnil(L, -2) || !lua_isnil(L, -1)) {
		lua_Integer n, k;

		preq.chown = 1;
		preq.uid = lua_isnil(L, -2) ? getuid() :
		    (uid_t)lcore_checkid(L, -2, "spawn: uid");
		preq.gid = lua_isnil(L, -1) ? getgid() :
		    (gid_t)lcore_checkid(L, -1, "spawn: gid");
		lua_getfield(L, 3, "groups");
		n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
		if (n > 1024)
			n = 1024;
		groups = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *groups, 0);
		for (k = 1; k <= n; k++) {
			lua_rawgeti(L, -2, k);
			groups[k - 1] = (gid_t)lcore_checkid(L, -1, "spawn: groups: gid");
			lua_pop(L, 1);
		}
		ngroups = (int)n;
	}
	lua_getfield(L, 3, "fds");
	fds = lua_gettop(L);
	lua_newtable(L);
	st = lua_gettop(L);
	p = new_handle(L);

	if (spawn_find_program(prog, pathvar, path, sizeof path) == -1) {
		err = errno;
		if (err == ENOENT && strchr(prog, '/') == NULL)
			return lcore_failf(L, err, "%s (not found in PATH)",
			    strerror(err));
		return lcore_fail(L, NULL, err);
	}
	/* every handle first: nothing may raise once descriptors are open */
	if (preq.pipes)
		errh = new_stream(L, st, 2);
	preq.extra = extra;
	if (lua_istable(L, fds))
		preq.nextra = to_extra(L, fds, st, extra, hs);
	if (plumb_open(&pl, &preq) == -1)
		return plumb_failed(L, &pl, &preq, fds, errno);

	memset(&req, 0, sizeof req);
	req.path = path;
	req.argv = argv;
	req.envp = envp;
	req.cwd = cwd;
	req.tty = pl.tty;
	req.fds = pl.fds;
	req.nfds = pl.nfds;
	req.set_ids = preq.chown;
	req.uid = preq.uid;
	req.gid = preq.gid;
	req.groups = groups;
	req.ngroups = ngroups;
	rc = spawn_exec(&req, &res);
	plumb_close(&pl, rc != 0);
	if (rc == -1)
		return lcore_fail(L, "fork", errno);
	if (rc == 1)
		return spawn_failed(L, &res, cwd);

	proc_start(p, lp, res.pid, res.pidfd, pl.rfd, pl.wfd, (size_t)maxbuf);
	lcore_track(L, p, -1);
	if (errh != NULL) {
		proc_start(errh, lp, 0, -1, pl.errfd, -1, (size_t)maxbuf);
		proc_add_stream(p, errh);
		nstreams++;
	}
	for (i = 0; i < preq.nextra; i++) {
		if (hs[i] == NULL)
			continue;
		proc_start(hs[i], lp, 0, -1,
		    extra[i].mode == PLUMB_READ ? extra[i].fd : -1,
		    extra[i].mode == PLUMB_WRITE ? extra[i].fd : -1,
		    (size_t)maxbuf);
		proc_add_stream(p, hs[i]);
		nstreams++;
	}
	if (nstreams == 0)
		return 1;
	/* track each stream: the loop finds its userdata by pointer */
	lua_pushnil(L);
	while (lua_next(L, st) != 0) {
		lcore_track(L, lua_touserdata(L, -1), -1);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, st);
	return 2;
}

/* proc:pid() -> integer  [-0, +1, -] */
static int
lproc_pid(lua_State *L)
{
	lua_pushinteger(L, check_proc(L)->pid);
	return 1;
}

/* proc:send(s) -> queued bytes | nil, msg, errname  [-0, +1|3, m] */
static int
lproc_send(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	if (p->lp == NULL || p->wfd == -1 || p->closing)
		return lcore_fail(L, "send", EBADF);
	if (proc_send(p, s, n) == -1)
		return lcore_fail(L, "send", errno);
	lua_pushinteger(L, (lua_Integer)buf_len(&p->out));
	return 1;
}

/*
 * proc:queued() -> bytes still to be written [, why queued bytes were
 * dropped, errname]  [-0, +1|3, m]
 */
static int
lproc_queued(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushinteger(L, (lua_Integer)buf_len(&p->out));
	if (p->write_errno == 0)
		return 1;
	lua_pushstring(L, strerror(p->write_errno));
	lcore_pusherrname(L, p->write_errno);
	return 3;
}

/* Translate an absolute offset into the buffer, clamped. */
size_t
lcore_offset(struct proc *p, lua_Integer abs)
{
	unsigned long long a = abs < 0 ? 0 : (unsigned long long)abs;

	if (a <= p->base)
		return 0;
	if (a - p->base > buf_len(&p->in))
		return buf_len(&p->in);
	return (size_t)(a - p->base);
}

/*
 * Search p's unconsumed output from offset `from` (relative) for the
 * pattern at idx: a compiled regex, or a string taken literally.  On a
 * complete match [*s, *e) push m (m[0] and the groups) and return
 * MATCH_FULL; else return MATCH_NONE or MATCH_PARTIAL with *s where a
 * match may still begin, or PCRE2's negative error code (e.g. its match
 * limit).
 */
int
lcore_search(lua_State *L, struct proc *p, int idx, size_t from, size_t *s,
    size_t *e)
{
	struct match_re *re;
	const char *lit;
	size_t m;
	int rc;

	if (lua_type(L, idx) == LUA_TSTRING) {
		lit = lua_tolstring(L, idx, &m);
		rc = match_literal(lit, m, buf_head(&p->in), buf_len(&p->in),
		    from, s, e);
		if (rc == MATCH_FULL) {
			lua_createtable(L, 0, 3);	/* [0], before, index */
			lua_pushvalue(L, idx);
			lua_rawseti(L, -2, 0);
		}
		return rc;
	}
	re = lcore_checkregex(L, idx);
	rc = match_exec(re, buf_head(&p->in), buf_len(&p->in), from, p->eof,
	    s, e);
	if (rc == MATCH_FULL)
		lcore_pushmatch(L, re, buf_head(&p->in));
	return rc;
}

/*
 * The results of a search: for a complete match [s, e) the absolute start
 * and end and m, which the caller has built at the top of the stack (with
 * take: also m.before, the output before the match, and m.index = 1, and
 * the output is consumed through the match); else false, the absolute
 * offset to resume from, and whether EOF was seen (the search was final).
 */
int
lcore_search_result(lua_State *L, struct proc *p, int full, size_t s, size_t e,
    int take)
{
	if (!full) {
		lua_pushboolean(L, 0);
		lua_pushinteger(L, (lua_Integer)(p->base + s));
		lua_pushboolean(L, p->eof);
		return 3;
	}
	lua_pushinteger(L, (lua_Integer)(p->base + s));
	lua_pushinteger(L, (lua_Integer)(p->base + e));
	lua_rotate(L, -3, 2);		/* s, e, m */
	if (take) {
		lua_pushlstring(L, buf_head(&p->in), s);
		lua_setfield(L, -2, "before");
		lua_pushinteger(L, 1);
		lua_setfield(L, -2, "index");
		proc_consume(p, e);
	}
	return 3;
}

/* PCRE2 gave up on a search: nil, its message.  [-0, +2, m] */
int
lcore_search_failed(lua_State *L, int rc)
{
	PCRE2_UCHAR msg[128];

	pcre2_get_error_message(rc, msg, sizeof msg);
	luaL_pushfail(L);
	lua_pushstring(L, (char *)msg);
	return 2;
}

/*
 * proc:match(regex, from [, take]) -> start, end, m | false, next, eof
 *     | nil, PCRE2's message (matching failed, e.g. its match limit)
 * [-0, +3, m]
 * Search the unconsumed output from absolute offset `from` (see
 * lcore_search_result); m holds m[0] and the groups.
 */
static int
lproc_match(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t s, e;
	int rc, take = lua_toboolean(L, 4);

	lcore_checkregex(L, 2);
	lua_settop(L, 3);	/* m goes on top */
	rc = lcore_search(L, p, 2, lcore_offset(p, luaL_checkinteger(L, 3)), &s,
	    &e);
	if (rc < 0)
		return lcore_search_failed(L, rc);
	return lcore_search_result(L, p, rc == MATCH_FULL, s, e, take);
}

/*
 * proc:match_exact(text, from [, take]) -> as proc:match
 * [-0, +3, m]
 * For a literal; m[0] is the text.
 */
static int
lproc_match_exact(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t s, e;
	int rc, take = lua_toboolean(L, 4);

	luaL_checktype(L, 2, LUA_TSTRING);
	lua_settop(L, 3);	/* m goes on top */
	rc = lcore_search(L, p, 2, lcore_offset(p, luaL_checkinteger(L, 3)), &s,
	    &e);
	return lcore_search_result(L, p, rc == MATCH_FULL, s, e, take);
}

/*
 * proc:find(byte, from) -> abs | false, next  [-0, +2, -]
 * Where the byte next occurs at or after absolute offset from.
 */
static int
lproc_find(lua_State *L)
{
	struct proc *p = check_proc(L);
	const char *c = luaL_checkstring(L, 2);
	size_t from = lcore_offset(p, luaL_checkinteger(L, 3));
	const char *hit;

	hit = memchr(buf_head(&p->in) + from, c[0], buf_len(&p->in) - from);
	if (hit == NULL) {
		lua_pushboolean(L, 0);
		lua_pushinteger(L, (lua_Integer)(p->base + buf_len(&p->in)));
		return 2;
	}
	lua_pushinteger(L, (lua_Integer)(p->base +
	    (size_t)(hit - buf_head(&p->in))));
	return 1;
}

/*
 * proc:take(to [, skip]) -> string  [-0, +1, m]
 * Consume the output up to absolute offset `to` and return it, without
 * its last `skip` bytes (those are consumed too).
 */
static int
lproc_take(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t n = lcore_offset(p, luaL_checkinteger(L, 2));
	size_t skip = (size_t)luaL_optinteger(L, 3, 0);

	lua_pushlstring(L, buf_head(&p->in), skip < n ? n - skip : 0);
	proc_consume(p, n);
	return 1;
}

/* proc:peek([from]) -> the unconsumed output from abs offset  [-0,+1,m] */
static int
lproc_peek(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t from = lcore_offset(p, luaL_optinteger(L, 2, 0));

	lua_pushlstring(L, buf_head(&p->in) + from, buf_len(&p->in) - from);
	return 1;
}

/*
 * proc:state() -> base, length, eof, received  [-0, +4, -]
 * Absolute offset of the first unconsumed byte, unconsumed length, EOF
 * seen, all bytes ever received.
 */
static int
lproc_state(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushinteger(L, (lua_Integer)p->base);
	lua_pushinteger(L, (lua_Integer)buf_len(&p->in));
	lua_pushboolean(L, p->eof);
	lua_pushinteger(L, (lua_Integer)p->received);
	return 4;
}

/*
 * proc:status([record]) -> nil (running)
 *     | "exit", code, recorded | "signal", signo, recorded
 * Polls the child without blocking; an exit is seen, not reaped (the
 * zombie stays until proc:reap).  Without record, nothing is read and
 * the exit is not recorded (the loop does both: proc_peek), so asking
 * reads nothing; with record (a wait), an exit is recorded and what the
 * child left is read first, as the loop would (proc_poll_exit).
 * recorded: whether the exit is recorded (what the child left was read
 * first); false for one only peeked at, whose output may still come.
 * [-0, +0|3, -]
 */
static int
lproc_status(lua_State *L)
{
	struct proc *p = check_proc(L);
	int code, sig;

	if (p->pid == -1)
		return 0;
	if (lua_toboolean(L, 2)) {
		if (!proc_poll_exit(p))
			return 0;
		code = p->exitcode;
		sig = p->termsig;
	} else if (!proc_exit_status(p, &code, &sig)) {
		return 0;
	}
	if (sig) {
		lua_pushliteral(L, "signal");
		lua_pushinteger(L, sig);
	} else {
		lua_pushliteral(L, "exit");
		lua_pushinteger(L, code);
	}
	lua_pushboolean(L, p->exited);
	return 3;
}

/*
 * proc:kill(signo, group) -> true | false (it has exited)
 *     | nil, msg, errname
 * [-0, +1|3, m]
 */
static int
lproc_kill(lua_State *L)
{
	struct proc *p = check_proc(L);
	int sig = (int)luaL_checkinteger(L, 2);
	int rc = proc_signal(p, sig, lua_toboolean(L, 3));

	if (rc == -1)
		return lcore_fail(L, "kill", errno);
	lua_pushboolean(L, rc);
	return 1;
}

/*
 * proc:group_alive() -> whether anything of the child's process group
 * runs (the child, or what it left behind)  [-0, +1, -]
 */
static int
lproc_group_alive(lua_State *L)
{
	lua_pushboolean(L, proc_group_alive(check_proc(L)));
	return 1;
}

/* proc:hangup(): close the master, SIGHUP+SIGCONT the group. [-0,+0,-] */
static int
lproc_hangup(lua_State *L)
{
	proc_hangup(check_proc(L));
	return 0;
}

/* proc:reap(): SIGKILL what is left of the group, reap, blocking. [-0,+0,-] */
static int
lproc_reap(lua_State *L)
{
	proc_reap(check_proc(L));
	return 0;
}

/*
 * proc:setwinsize(rows, cols) -> true | nil, msg, errname  [-0, +1|3, v]
 * A size the attached screen cannot follow raises, and nothing changes.
 */
static int
lproc_setwinsize(lua_State *L)
{
	struct proc *p = check_proc(L);
	lua_Integer r = luaL_checkinteger(L, 2), c = luaL_checkinteger(L, 3);

	luaL_argcheck(L, r > 0 && r <= 65535, 2, "rows must be 1..65535");
	luaL_argcheck(L, c > 0 && c <= 65535, 3, "cols must be 1..65535");
	if (p->fd == -1)
		return lcore_fail(L, "setwinsize", EBADF);
	if (p->sink.fits != NULL && !p->sink.fits(p->sink.ctx, (int)r, (int)c))
		return luaL_error(L, "setwinsize: %d rows, %d cols are beyond "
		    "the limits of the process's screen", (int)r, (int)c);
	if (pty_setwinsize(p->fd, (int)r, (int)c) == -1)
		return lcore_fail(L, "setwinsize", errno);
	if (p->sink.resize != NULL)	/* the screen follows the terminal */
		p->sink.resize(p->sink.ctx, (int)r, (int)c);
	lua_pushboolean(L, 1);
	return 1;
}

/* proc:getwinsize() -> rows, cols | nil, msg, errname  [-0, +2|3, m] */
static int
lproc_getwinsize(lua_State *L)
{
	struct proc *p = check_proc(L);
	int r, c;

	if (p->fd == -1)
		return lcore_fail(L, "getwinsize", EBADF);
	if (pty_getwinsize(p->fd, &r, &c) == -1)
		return lcore_fail(L, "getwinsize", errno);
	lua_pushinteger(L, r);
	lua_pushinteger(L, c);
	return 2;
}

/*
 * proc:eofchar() -> the terminal's VEOF byte as a string, or nil
 * [-0, +0|1, m]
 */
static int
lproc_eofchar(lua_State *L)
{
	struct proc *p = check_proc(L);
	char c;
	int v;

	if (p->fd == -1 || (v = pty_eof_char(p->fd)) < 0)
		return 0;
	c = (char)v;
	lua_pushlstring(L, &c, 1);
	return 1;
}

/*
 * proc:echo() -> echo, canonical: whether the child's terminal echoes
 * what it reads (ECHO) and reads it by lines (ICANON), from its modes
 * read on the master; nothing without a terminal (pipes, or closed);
 * nil, msg, errname if the modes cannot be read  [-0, +2|0|3, m]
 */
static int
lproc_echo(lua_State *L)
{
	struct proc *p = check_proc(L);
	int on, canon;

	if (!p->tty || p->fd == -1)
		return 0;
	if ((on = pty_echo(p->fd, &canon)) == -1)
		return lcore_fail(L, NULL, errno);
	lua_pushboolean(L, on);
	lua_pushboolean(L, canon);
	return 2;
}

/*
 * proc:setecho(on) -> true | nil, msg, errname  [-0, +1|3, m]
 * Turn the echo of the child's terminal on or off (pty_setecho); ENOTTY
 * on pipes, EBADF once closed.  The Lua side has checked `on`.
 */
static int
lproc_setecho(lua_State *L)
{
	struct proc *p = check_proc(L);

	if (!p->tty)
		return lcore_fail(L, NULL, ENOTTY);
	if (p->fd == -1)
		return lcore_fail(L, NULL, EBADF);
	if (pty_setecho(p->fd, lua_toboolean(L, 2)) == -1)
		return lcore_fail(L, NULL, errno);
	lua_pushboolean(L, 1);
	return 1;
}

/*
 * proc:close_write() -> true | nil, msg, errname  [-0, +1|3, m]
 * Close the pipe to the child (its stdin, or a "w" descriptor) once the
 * queued bytes are written: the child reads EOF.
 */
static int
lproc_close_write(lua_State *L)
{
	struct proc *p = check_proc(L);

	if (p->wfd == -1)
		return lcore_fail(L, "close", EBADF);
	if (proc_close_write(p) == -1)
		return lcore_fail(L, "close", errno);
	lua_pushboolean(L, 1);
	return 1;
}

/* proc:pause(on): stop or restart reading the child  [-0, +0, -] */
static int
lproc_pause(lua_State *L)
{
	proc_pause(check_proc(L), lua_toboolean(L, 2));
	return 0;
}

/*
 * proc:hold(on): stop or restart reading the child while its data
 * callbacks are behind; independent of pause.  [-0, +0, -]
 */
static int
lproc_hold(lua_State *L)
{
	proc_hold(check_proc(L), lua_toboolean(L, 2));
	return 0;
}

/*
 * proc:show(on [, fd]): copy output as it arrives to our stdout (fd 1,
 * the default) or stderr (2), with the script's secrets as "***"
 * (proc_show_bytes).  [-0, +0, -]
 */
static int
lproc_show(lua_State *L)
{
	struct proc *p = check_proc(L);
	lua_Integer fd = luaL_optinteger(L, 3, STDOUT_FILENO);

	luaL_argcheck(L, fd == STDOUT_FILENO || fd == STDERR_FILENO, 3,
	    "1 or 2");
	if (!lua_toboolean(L, 2))
		proc_show_flush(p);	/* (before interact copies for itself) */
	p->show = lua_toboolean(L, 2) != 0;
	p->showfd = (int)fd;
	return 0;
}

/*
 * proc:tap(on): keep a copy of every byte read from now on, for
 * proc:tapped() (data callbacks, transcripts).  [-0, +0, -]
 */
static int
lproc_tap(lua_State *L)
{
	struct proc *p = check_proc(L);

	p->tapped = lua_toboolean(L, 2) != 0;
	if (!p->tapped)
		buf_free(&p->tap);
	return 0;
}

/*
 * proc:tapped() -> the bytes read since the last call (maybe "")
 * [-0, +1, m]
 */
static int
lproc_tapped(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushlstring(L, buf_head(&p->tap), buf_len(&p->tap));
	buf_consume(&p->tap, buf_len(&p->tap));
	buf_shrink(&p->tap);
	return 1;
}

/* Hang up, kill, reap, free; idempotent. */
static void
close_proc(struct proc *p)
{
	if (p->pid != -1)
		proc_destroy(p);
	p->pid = -1;
}

/* proc:close(): see close_proc.  [-0, +0, -] */
static int
lproc_close(lua_State *L)
{
	close_proc(check_proc(L));
	return 0;
}

/* __gc and __close: see close_proc.  [-0, +0, -] */
static int
lproc__gc(lua_State *L)
{
	close_proc(check_proc(L));
	return 0;
}

static const luaL_Reg proc_meth[] = {
	{ "pid", lproc_pid },
	{ "send", lproc_send },
	{ "queued", lproc_queued },
	{ "match", lproc_match },
	{ "match_exact", lproc_match_exact },
	{ "find", lproc_find },
	{ "take", lproc_take },
	{ "peek", lproc_peek },
	{ "state", lproc_state },
	{ "status", lproc_status },
	{ "kill", lproc_kill },
	{ "group_alive", lproc_group_alive },
	{ "hangup", lproc_hangup },
	{ "reap", lproc_reap },
	{ "setwinsize", lproc_setwinsize },
	{ "getwinsize", lproc_getwinsize },
	{ "eofchar", lproc_eofchar },
	{ "echo", lproc_echo },
	{ "setecho", lproc_setecho },
	{ "pause", lproc_pause },
	{ "hold", lproc_hold },
	{ "close_write", lproc_close_write },
	{ "show", lproc_show },
	{ "tap", lproc_tap },
	{ "tapped", lproc_tapped },
	{ "close", lproc_close },
	{ NULL, NULL }
};

static const luaL_Reg proc_metameth[] = {
	{ "__gc", lproc__gc },
	{ "__close", lproc__gc },
	{ NULL, NULL }
};

/*
 * core.hangup_all(): hang up every child, reading first what each wrote
 * and nobody read (the end of the script, before its outputs end).
 * [-0, +0, -]
 */
static int
l_hangup_all(lua_State *L)
{
	proc_hangup_all(lcore_loop(L));
	return 0;
}

/* Add core.spawn and the event bits; stack: module, loop (kept). */
void
lcore_open_proc(lua_State *L)
{
	lcore_newmeta(L, PROC_MT, proc_meth, proc_metameth);
	luaL_newmetatable(L, ENVIRON_MT);
	lua_pushcfunction(L, environ__gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, l_spawn, 1);
	lua_setfield(L, -3, "spawn");
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, l_hangup_all, 1);
	lua_setfield(L, -3, "hangup_all");
	lua_pushinteger(L, PROC_DATA);
	lua_setfield(L, -3, "DATA");
	lua_pushinteger(L, PROC_EXIT);
	lua_setfield(L, -3, "EXIT");
	lua_pushinteger(L, PROC_DRAIN);
	lua_setfield(L, -3, "DRAIN");
	lua_pushinteger(L, PROC_TAP);
	lua_setfield(L, -3, "TAP");
	/* the limits of spawn's fds, which spawnopts.lua checks (plumb.h) */
	lua_pushinteger(L, PLUMB_MAXEXTRA);
	lua_setfield(L, -3, "MAX_EXTRA_FDS");
	lua_pushinteger(L, PLUMB_MAXFD);
	lua_setfield(L, -3, "MAX_CHILD_FD");
	/* which Linux calls this build uses (the specs of what needs them) */
	lua_createtable(L, 0, 3);
#ifdef PTYSCRIPT_NO_PIDFD
	lua_pushboolean(L, 0);
#else
	lua_pushboolean(L, 1);
#endif
	lua_setfield(L, -2, "pidfd");
#ifdef PTYSCRIPT_NO_PROC
	lua_pushboolean(L, 0);
#else
	lua_pushboolean(L, 1);
#endif
	lua_setfield(L, -2, "proc");
	lua_setfield(L, -3, "build");
}
