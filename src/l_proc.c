/*
 * l_proc.c - the C side of a process object: spawn and non-blocking
 * operations on a running child.
 *
 * Nothing here waits.  Calls that fail for reasons of the world return
 * nil, message, errno (luaL_fileresult style) and the Lua wrapper in
 * lua/ptyscript/proc.lua turns them into errors that name the script's
 * line; only misuse (wrong types) raises here.  Stream positions cross the
 * boundary as absolute offsets (bytes since the session started), so that
 * bytes dropped from the front by maxbuf never shift a caller's place.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lcore.h"
#include "out.h"
#include "portable.h"
#include "proc.h"
#include "pty.h"
#include "spawn.h"

static struct proc *
check_proc(lua_State *L)
{
	return lcore_checkself(L, PROC_MT);
}

/* Push nil, "what: strerror(err)", err.  [-0, +3, m] */
static int
fail(lua_State *L, const char *what, int err)
{
	luaL_pushfail(L);
	lua_pushfstring(L, "%s: %s", what, strerror(err));
	lua_pushinteger(L, err);
	return 3;
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

/* The largest uid or gid: uid_t's top value, -1, means "no change". */
#define ID_MAX	((lua_Integer)(uid_t)-1 - 1)
_Static_assert(sizeof(uid_t) == sizeof(gid_t), "uid_t and gid_t differ");
_Static_assert(sizeof(uid_t) < sizeof(lua_Integer), "uid_t as wide as lua_Integer");

/*
 * A uid or gid at idx: an integer from 0 to ID_MAX; anything else raises
 * naming `what` ("spawn: uid"), never a silent cast.  [-0, +0, v]
 */
static lua_Integer
check_id(lua_State *L, int idx, const char *what)
{
	lua_Integer v;

	if (!lua_isinteger(L, idx))
		luaL_error(L, "%s must be an integer, got %s", what,
		    lua_type(L, idx) == LUA_TNUMBER ? lua_tostring(L, idx) :
		    luaL_typename(L, idx));
	v = lua_tointeger(L, idx);
	if (v < 0 || v > ID_MAX)
		luaL_error(L, "%s %I is out of range (0 to %I)", what, v,
		    ID_MAX);
	return v;
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
		v[i - 1] = (char *)c_string(L, -1, "an argument or variable");
		lua_pop(L, 1);
		if (v[i - 1] == NULL)
			luaL_error(L, "spawn: element %d is not a string",
			    (int)i);
	}
	v[n] = NULL;
	return v;
}

/*
 * This process's environment for a child (lcore_environ), with TERM=xterm
 * added when it has no TERM.  GC-owned.
 */
static char **
inherited_env(lua_State *L)
{
	static char term[] = "TERM=xterm";

	return lcore_environ(L, getenv("TERM") == NULL ? term : NULL);
}

/*
 * The descriptors of one spawn: what goes where in the child, and which
 * of ours to close on every way out.  A pty puts its slave on 0, 1, 2; pipes
 * mode and extra descriptors make a pipe each, whose child end is closed
 * in the parent after the fork and whose parent end becomes a stream.
 */
struct plumbing {
	struct spawn_fd fds[SPAWN_MAXFDS];
	int nfds;
	int child_end[SPAWN_MAXFDS];	/* closed in the parent after fork */
	int nchild;
	int parent_end[SPAWN_MAXFDS + 1];	/* closed on failure only */
	int nparent;
	int rfd, wfd;			/* the process's own read/write fds */
	struct {
		struct proc *s;
		int rfd, wfd;
	} stream[SPAWN_MAXFDS];
	int nstreams;
};

static void
plumbing_close(struct plumbing *pl, int parent_too)
{
	int i;

	for (i = 0; i < pl->nchild; i++)
		close(pl->child_end[i]);
	pl->nchild = 0;
	for (i = 0; parent_too && i < pl->nparent; i++)
		close(pl->parent_end[i]);
}

/*
 * A pipe for child fd `to`: the child reads it when child_reads (its
 * stdin, a "w" descriptor), else writes it.  Our end is non-blocking.
 * Returns our end, or -1 with errno.
 */
static int
plumb_pipe(struct plumbing *pl, int to, int child_reads)
{
	int fd[2], ours, theirs;

	if (spawn_pipe(fd) == -1)
		return -1;
	ours = child_reads ? fd[1] : fd[0];
	theirs = child_reads ? fd[0] : fd[1];
	(void)fcntl(ours, F_SETFL, O_NONBLOCK);
	pl->child_end[pl->nchild++] = theirs;
	pl->parent_end[pl->nparent++] = ours;
	pl->fds[pl->nfds].from = theirs;
	pl->fds[pl->nfds++].to = to;
	return ours;
}

/* A new inert process handle (no child yet) on the stack.  [-0, +1, m] */
static struct proc *
new_handle(lua_State *L)
{
	/* user value 1: the waiter of a task waiting in C (l_await.c) */
	struct proc *p = lua_newuserdatauv(L, sizeof *p, 1);

	memset(p, 0, sizeof *p);
	p->pid = -1;
	p->fd = p->wfd = p->pidfd = -1;
	p->exited = 1;		/* inert until proc_start */
	p->reaped = 1;
	luaL_setmetatable(L, PROC_MT);
	return p;
}

/*
 * Make the stream handle for child fd `to` (stored in streams[to], the
 * table at index st); its descriptors come later.  May raise (memory):
 * called before any descriptor of the spawn is open.  [-0, +0, m]
 */
static int
new_stream(lua_State *L, struct plumbing *pl, int st, int to, int rfd,
    int wfd)
{
	int k = pl->nstreams++;

	pl->stream[k].s = new_handle(L);
	lua_rawseti(L, st, to);
	pl->stream[k].rfd = rfd;
	pl->stream[k].wfd = wfd;
	return k;
}

/* What plumb_check found in one entry of fds, for plumb_extra. */
struct extra {
	int to;
	int mode;	/* 'r', 'w', or 'f': a descriptor passed as it is */
	int fd;		/* 'f': ours; 'r'/'w': -1 */
	int k;		/* 'r'/'w': its index in pl->stream */
};

/*
 * The extra descriptors, first pass: array at idx of {to = n, mode =
 * "r"|"w"|"fd", fd = integer or Lua file} (the Lua side has checked it).
 * Makes the stream handles and finds the passed descriptors, before any
 * pipe exists.  Returns the number of entries, or -1 with a message
 * pushed.  [-0, +0|1, m]
 */
static int
plumb_check(lua_State *L, struct plumbing *pl, int idx, int st,
    struct extra *ex, int max)
{
	lua_Integer n = luaL_len(L, idx), i, v;
	const char *mode;
	luaL_Stream *f;
	int to;

	if (n > max) {
		lua_pushfstring(L, "fds: at most %d descriptors in all",
		    SPAWN_MAXFDS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		lua_rawgeti(L, idx, i + 1);
		to = (int)opt_int(L, -1, "to", -1);
		lua_getfield(L, -1, "mode");
		mode = lua_tostring(L, -1);
		lua_getfield(L, -2, "fd");
		ex[i].to = to;
		ex[i].fd = -1;
		if (to < 3 || to > 255 || mode == NULL) {
			lua_pushfstring(L, "fds: bad entry for %d", to);
			return -1;
		}
		if (strcmp(mode, "r") == 0 || strcmp(mode, "w") == 0) {
			ex[i].mode = mode[0];
			ex[i].k = new_stream(L, pl, st, to, -1, -1);
		} else if (lua_isinteger(L, -1)) {
			v = lua_tointeger(L, -1);
			ex[i].mode = 'f';
			ex[i].fd = v >= 0 && v <= INT_MAX ? (int)v : -1;
		} else if ((f = luaL_testudata(L, -1, LUA_FILEHANDLE)) != NULL &&
		    f->closef != NULL) {
			(void)fflush(f->f);	/* its buffer first */
			ex[i].mode = 'f';
			ex[i].fd = out_fileno(f->f);
		} else {
			lua_pushfstring(L, "fds[%d]: not \"r\", \"w\", an open "
			    "Lua file or a descriptor number", to);
			return -1;
		}
		if (ex[i].mode == 'f' &&
		    (ex[i].fd < 0 || fcntl(ex[i].fd, F_GETFD) == -1)) {
			lua_pushfstring(L, "fds[%d]: descriptor %I is not open "
			    "in ptyscript", to, lua_tointeger(L, -1));
			return -1;
		}
		lua_pop(L, 3);
	}
	return (int)n;
}

/*
 * The extra descriptors, second pass: make the pipes.  Nothing here
 * raises.  Returns 0, or -1 with errno.
 */
static int
plumb_extra(struct plumbing *pl, const struct extra *ex, int n)
{
	int i, fd;

	for (i = 0; i < n; i++) {
		if (ex[i].mode == 'f') {
			pl->fds[pl->nfds].from = ex[i].fd;
			pl->fds[pl->nfds++].to = ex[i].to;
			continue;
		}
		fd = plumb_pipe(pl, ex[i].to, ex[i].mode == 'w');
		if (fd == -1)
			return -1;
		if (ex[i].mode == 'r')
			pl->stream[ex[i].k].rfd = fd;
		else
			pl->stream[ex[i].k].wfd = fd;
	}
	return 0;
}

/*
 * core.spawn(argv, envp, opts) -> proc [, streams] | nil, msg, errno
 * [-0, +1|2|3, m]
 * argv and envp are arrays of strings prepared by the Lua side; envp nil
 * is this process's environment, with TERM=xterm if it has no TERM (the
 * common case, without a table of it).  opts has path (PATH for the
 * program search; with envp nil, this process's PATH), cwd, rows, cols,
 * echo, maxbuf, uid/gid/groups, pipes (no terminal: stdin, stdout and stderr are pipes)
 * and fds (extra descriptors, see plumb_extra).  streams maps child fds
 * to the stream handles made for pipes (2 in pipes mode, "r"/"w" fds).
 * Every userdata is made first (inert), so that no allocation can fail
 * between fork and the moment the child is owned by them.
 */
static int
l_spawn(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	struct proc *p;
	struct pty_pair pp;
	struct spawn_req req;
	struct spawn_result res;
	struct plumbing pl;
	char path[PATH_MAX], **argv, **envp;
	gid_t *groups = NULL, gid = 0;
	uid_t uid = 0;
	int set_ids = 0, ngroups = 0;
	const char *pathvar, *cwd, *prog;
	lua_Integer rows, cols, maxbuf;
	struct extra extra[SPAWN_MAXFDS];
	int echo, pipes, rc, i, st, err, err_k, nextra;
	struct stat sb;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (!lua_isnil(L, 2))
		luaL_checktype(L, 2, LUA_TTABLE);
	luaL_checktype(L, 3, LUA_TTABLE);
	argv = string_array(L, 1);
	envp = lua_isnil(L, 2) ? inherited_env(L) : string_array(L, 2);
	if (argv[0] == NULL)
		return luaL_error(L, "spawn: no program given");
	prog = argv[0];
	lua_getfield(L, 3, "path");
	pathvar = c_string(L, -1, "PATH");
	if (pathvar == NULL && lua_isnil(L, 2))
		pathvar = getenv("PATH");
	lua_getfield(L, 3, "cwd");
	cwd = c_string(L, -1, "cwd");
	lua_getfield(L, 3, "echo");
	echo = lua_isnil(L, -1) || lua_toboolean(L, -1);
	lua_getfield(L, 3, "pipes");
	pipes = lua_toboolean(L, -1);
	lua_pop(L, 2);		/* path and cwd stay anchored on the stack */
	rows = opt_int(L, 3, "rows", 24);
	cols = opt_int(L, 3, "cols", 80);
	maxbuf = opt_int(L, 3, "maxbuf", 1024 * 1024);

	/* privileges: made before the process object, which is returned */
	lua_getfield(L, 3, "uid");
	lua_getfield(L, 3, "gid");
	if (!lua_isnil(L, -2) || !lua_isnil(L, -1)) {
		lua_Integer n, k;

		set_ids = 1;
		uid = lua_isnil(L, -2) ? getuid() :
		    (uid_t)check_id(L, -2, "spawn: uid");
		gid = lua_isnil(L, -1) ? getgid() :
		    (gid_t)check_id(L, -1, "spawn: gid");
		lua_getfield(L, 3, "groups");
		n = lua_istable(L, -1) ? luaL_len(L, -1) : 0;
		if (n > 1024)
			n = 1024;
		groups = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *groups, 0);
		for (k = 1; k <= n; k++) {
			lua_rawgeti(L, -2, k);
			groups[k - 1] = (gid_t)check_id(L, -1, "spawn: groups: gid");
			lua_pop(L, 1);
		}
		ngroups = (int)n;
	}
	lua_getfield(L, 3, "fds");
	lua_newtable(L);
	st = lua_gettop(L);
	p = new_handle(L);

	if (spawn_find_program(prog, pathvar, path, sizeof path) == -1) {
		err = errno;
		luaL_pushfail(L);
		if (err == ENOENT && strchr(prog, '/') == NULL)
			lua_pushfstring(L, "%s (not found in PATH)", strerror(err));
		else
			lua_pushstring(L, strerror(err));
		lua_pushinteger(L, err);
		return 3;
	}
	/* every handle first: nothing may raise once descriptors are open */
	memset(&pl, 0, sizeof pl);
	err_k = pipes ? new_stream(L, &pl, st, 2, -1, -1) : -1;
	nextra = 0;
	if (lua_istable(L, st - 1) && (nextra = plumb_check(L, &pl, st - 1, st,
	    extra, SPAWN_MAXFDS - 3)) == -1) {
		luaL_pushfail(L);
		lua_insert(L, -2);
		lua_pushinteger(L, EINVAL);
		return 3;
	}
	if (!pipes) {
		if (pty_open(&pp, (int)rows, (int)cols, echo) == -1) {
			if (errno != ENOSPC)
				return fail(L, "openpty", errno);
			luaL_pushfail(L);
#ifdef __linux__
			lua_pushfstring(L, "no pseudo-terminal left (openpty: "
			    "%s; the system's limit is /proc/sys/kernel/pty/max)",
			    strerror(ENOSPC));
#else
			lua_pushfstring(L, "no pseudo-terminal left (openpty: "
			    "%s)", strerror(ENOSPC));
#endif
			lua_pushinteger(L, ENOSPC);
			return 3;
		}
		/* EPERM: not root, and then the privilege drop itself
		 * fails and says so (setgroups) */
		if (set_ids && pty_setowner(pp.slave, uid, gid) == -1 &&
		    errno != EPERM) {
			err = errno;
			pty_close_pair(&pp);
			return fail(L, "giving the terminal to the uid (fchown)",
			    err);
		}
		for (i = 0; i < 3; i++) {
			pl.fds[i].from = pp.slave;
			pl.fds[i].to = i;
		}
		pl.nfds = 3;
		pl.child_end[pl.nchild++] = pp.slave;
		pl.parent_end[pl.nparent++] = pp.master;
		pl.rfd = pl.wfd = pp.master;
	} else if ((pl.wfd = plumb_pipe(&pl, 0, 1)) == -1 ||
	    (pl.rfd = plumb_pipe(&pl, 1, 0)) == -1 ||
	    (pl.stream[err_k].rfd = plumb_pipe(&pl, 2, 0)) == -1) {
		err = errno;
		plumbing_close(&pl, 1);
		return fail(L, "pipe", err);
	}
	if (plumb_extra(&pl, extra, nextra) == -1) {
		err = errno;
		plumbing_close(&pl, 1);
		return fail(L, "pipe", err);
	}
	memset(&req, 0, sizeof req);
	req.path = path;
	req.argv = argv;
	req.envp = envp;
	req.cwd = cwd;
	req.tty = pipes ? -1 : pp.slave;
	req.fds = pl.fds;
	req.nfds = pl.nfds;
	req.set_ids = set_ids;
	req.uid = uid;
	req.gid = gid;
	req.groups = groups;
	req.ngroups = ngroups;
	rc = spawn_exec(&req, &res);
	plumbing_close(&pl, rc != 0);
	if (rc != 0) {
		err = rc == -1 ? errno : res.err;
		if (rc == -1)
			return fail(L, "fork", err);
		luaL_pushfail(L);
		if (res.step == STEP_EXEC && err == EACCES &&
		    stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			lua_pushstring(L, strerror(EISDIR));
		else if (res.step == STEP_EXEC)
			lua_pushfstring(L, "%s", strerror(err));
		else if (res.step == STEP_CHDIR)
			lua_pushfstring(L, "cannot change directory to %s: %s",
			    cwd, strerror(err));
		else
			lua_pushfstring(L, "%s: %s", spawn_step_name(res.step),
			    strerror(err));
		lua_pushinteger(L, err);
		return 3;
	}
	proc_start(p, lp, res.pid, res.pidfd, pl.rfd, pl.wfd, (size_t)maxbuf);
	lcore_track(L, p, -1);
	for (i = 0; i < pl.nstreams; i++) {
		proc_start(pl.stream[i].s, lp, 0, -1, pl.stream[i].rfd,
		    pl.stream[i].wfd, (size_t)maxbuf);
		proc_add_stream(p, pl.stream[i].s);
	}
	if (pl.nstreams == 0)
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

/*
 * core.getpw(name|uid) -> {name, uid, gid, dir, shell} | nil, msg
 * [-0, +1|2, m]  The password-file entry of a user.
 */
static int
l_getpw(lua_State *L)
{
	struct passwd *pw;

	errno = 0;
	if (lua_type(L, 1) == LUA_TNUMBER)
		pw = getpwuid((uid_t)check_id(L, 1, "getpw: uid"));
	else
		pw = getpwnam(luaL_checkstring(L, 1));
	if (pw == NULL) {
		luaL_pushfail(L);
		lua_pushstring(L, errno ? strerror(errno) : "no such user");
		return 2;
	}
	lua_createtable(L, 0, 5);
	lua_pushstring(L, pw->pw_name);
	lua_setfield(L, -2, "name");
	lua_pushinteger(L, pw->pw_uid);
	lua_setfield(L, -2, "uid");
	lua_pushinteger(L, pw->pw_gid);
	lua_setfield(L, -2, "gid");
	lua_pushstring(L, pw->pw_dir);
	lua_setfield(L, -2, "dir");
	lua_pushstring(L, pw->pw_shell);
	lua_setfield(L, -2, "shell");
	return 1;
}

/* core.getgr(name|gid) -> gid | nil, msg  [-0, +1|2, m] */
static int
l_getgr(lua_State *L)
{
	struct group *gr;

	errno = 0;
	if (lua_type(L, 1) == LUA_TNUMBER)
		gr = getgrgid((gid_t)check_id(L, 1, "getgr: gid"));
	else
		gr = getgrnam(luaL_checkstring(L, 1));
	if (gr == NULL) {
		luaL_pushfail(L);
		lua_pushstring(L, errno ? strerror(errno) : "no such group");
		return 2;
	}
	lua_pushinteger(L, gr->gr_gid);
	return 1;
}

/* core.grouplist(user, gid) -> {gid, ...}: the user's groups  [-0,+1,m] */
static int
l_grouplist(lua_State *L)
{
	const char *user = luaL_checkstring(L, 1);
	gid_t gid = (gid_t)check_id(L, 2, "grouplist: gid"), list[256];
	int n = 256, i;

#ifdef __APPLE__
	/* macOS declares int groups; gid_t has the same size there */
	if (getgrouplist(user, (int)gid, (int *)list, &n) == -1)
#else
	if (getgrouplist(user, gid, list, &n) == -1)
#endif
		n = 256;	/* more than fit: keep what did */
	lua_createtable(L, n, 0);
	for (i = 0; i < n; i++) {
		lua_pushinteger(L, list[i]);
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

/* proc:pid() -> integer  [-0, +1, -] */
static int
proc_pid(lua_State *L)
{
	lua_pushinteger(L, check_proc(L)->pid);
	return 1;
}

/* proc:send(s) -> queued bytes | nil, msg, errno  [-0, +1|3, m] */
static int
proc_lsend(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);

	if (p->lp == NULL || p->wfd == -1 || p->closing)
		return fail(L, "send", EBADF);
	if (proc_send(p, s, n) == -1)
		return fail(L, "send", errno);
	lua_pushinteger(L, (lua_Integer)buf_len(&p->out));
	return 1;
}

/*
 * proc:queued() -> bytes still to be written [, why queued bytes were
 * dropped]  [-0, +1|2, -]
 */
static int
proc_queued(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushinteger(L, (lua_Integer)buf_len(&p->out));
	if (p->write_errno == 0)
		return 1;
	lua_pushstring(L, strerror(p->write_errno));
	return 2;
}

/* Translate an absolute offset into the buffer, clamped. */
size_t
lproc_rel(struct proc *p, lua_Integer abs)
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
lproc_search(lua_State *L, struct proc *p, int idx, size_t from, size_t *s,
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
	re = lregex_check(L, idx);
	rc = match_exec(re, buf_head(&p->in), buf_len(&p->in), from, p->eof,
	    s, e);
	if (rc == MATCH_FULL)
		lregex_push_match(L, re, buf_head(&p->in));
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
lproc_result(lua_State *L, struct proc *p, int full, size_t s, size_t e,
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
lproc_search_failed(lua_State *L, int rc)
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
 * lproc_result); m holds m[0] and the groups.
 */
static int
proc_match(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t s, e;
	int rc, take = lua_toboolean(L, 4);

	lregex_check(L, 2);
	lua_settop(L, 3);	/* m goes on top */
	rc = lproc_search(L, p, 2, lproc_rel(p, luaL_checkinteger(L, 3)), &s,
	    &e);
	if (rc < 0)
		return lproc_search_failed(L, rc);
	return lproc_result(L, p, rc == MATCH_FULL, s, e, take);
}

/*
 * proc:match_exact(text, from [, take]) -> as proc:match
 * [-0, +3, m]
 * For a literal; m[0] is the text.
 */
static int
proc_match_exact(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t s, e;
	int rc, take = lua_toboolean(L, 4);

	luaL_checktype(L, 2, LUA_TSTRING);
	lua_settop(L, 3);	/* m goes on top */
	rc = lproc_search(L, p, 2, lproc_rel(p, luaL_checkinteger(L, 3)), &s,
	    &e);
	return lproc_result(L, p, rc == MATCH_FULL, s, e, take);
}

/*
 * proc:find(byte, from) -> abs | false, next  [-0, +2, -]
 * Where the byte next occurs at or after absolute offset from.
 */
static int
proc_find(lua_State *L)
{
	struct proc *p = check_proc(L);
	const char *c = luaL_checkstring(L, 2);
	size_t from = lproc_rel(p, luaL_checkinteger(L, 3));
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
proc_take(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t n = lproc_rel(p, luaL_checkinteger(L, 2));
	size_t skip = (size_t)luaL_optinteger(L, 3, 0);

	lua_pushlstring(L, buf_head(&p->in), skip < n ? n - skip : 0);
	proc_consume(p, n);
	return 1;
}

/* proc:peek([from]) -> the unconsumed output from abs offset  [-0,+1,m] */
static int
proc_peek(lua_State *L)
{
	struct proc *p = check_proc(L);
	size_t from = lproc_rel(p, luaL_optinteger(L, 2, 0));

	lua_pushlstring(L, buf_head(&p->in) + from, buf_len(&p->in) - from);
	return 1;
}

/*
 * proc:state() -> base, length, eof, received  [-0, +4, -]
 * Absolute offset of the first unconsumed byte, unconsumed length, EOF
 * seen, all bytes ever received.
 */
static int
proc_state(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushinteger(L, (lua_Integer)p->base);
	lua_pushinteger(L, (lua_Integer)buf_len(&p->in));
	lua_pushboolean(L, p->eof);
	lua_pushinteger(L, (lua_Integer)p->received);
	return 4;
}

/*
 * proc:status() -> nil (running) | "exit", code | "signal", signo
 * Polls the child without blocking; an exit is seen, not reaped (the
 * zombie stays until proc:reap).
 * [-0, +0|2, -]
 */
static int
proc_status(lua_State *L)
{
	struct proc *p = check_proc(L);

	if (p->pid == -1 || !proc_poll_exit(p))
		return 0;
	if (p->termsig) {
		lua_pushliteral(L, "signal");
		lua_pushinteger(L, p->termsig);
	} else {
		lua_pushliteral(L, "exit");
		lua_pushinteger(L, p->exitcode);
	}
	return 2;
}

/*
 * proc:kill(signo, group) -> true | false (it has exited) | nil, msg, errno
 * [-0, +1|3, m]
 */
static int
proc_kill(lua_State *L)
{
	struct proc *p = check_proc(L);
	int sig = (int)luaL_checkinteger(L, 2);
	int rc = proc_signal(p, sig, lua_toboolean(L, 3));

	if (rc == -1)
		return fail(L, "kill", errno);
	lua_pushboolean(L, rc);
	return 1;
}

/*
 * proc:group_alive() -> whether anything of the child's process group
 * runs (the child, or what it left behind)  [-0, +1, -]
 */
static int
proc_lgroup_alive(lua_State *L)
{
	lua_pushboolean(L, proc_group_alive(check_proc(L)));
	return 1;
}

/* proc:hangup(): close the master, SIGHUP+SIGCONT the group. [-0,+0,-] */
static int
proc_lhangup(lua_State *L)
{
	proc_hangup(check_proc(L));
	return 0;
}

/* proc:reap(): SIGKILL what is left of the group, reap, blocking. [-0,+0,-] */
static int
proc_lreap(lua_State *L)
{
	proc_reap(check_proc(L));
	return 0;
}

/*
 * proc:setwinsize(rows, cols) -> true | nil, msg, errno  [-0, +1|3, v]
 * A size the attached screen cannot follow raises, and nothing changes.
 */
static int
proc_setwinsize(lua_State *L)
{
	struct proc *p = check_proc(L);
	lua_Integer r = luaL_checkinteger(L, 2), c = luaL_checkinteger(L, 3);

	luaL_argcheck(L, r > 0 && r <= 65535, 2, "rows must be 1..65535");
	luaL_argcheck(L, c > 0 && c <= 65535, 3, "cols must be 1..65535");
	if (p->fd == -1)
		return fail(L, "setwinsize", EBADF);
	if (p->sink.fits != NULL && !p->sink.fits(p->sink.ctx, (int)r, (int)c))
		return luaL_error(L, "setwinsize: %d rows, %d cols are beyond "
		    "the limits of the process's screen", (int)r, (int)c);
	if (pty_setwinsize(p->fd, (int)r, (int)c) == -1)
		return fail(L, "setwinsize", errno);
	if (p->sink.resize != NULL)	/* the screen follows the terminal */
		p->sink.resize(p->sink.ctx, (int)r, (int)c);
	lua_pushboolean(L, 1);
	return 1;
}

/* proc:getwinsize() -> rows, cols | nil, msg, errno */
static int
proc_getwinsize(lua_State *L)
{
	struct proc *p = check_proc(L);
	int r, c;

	if (p->fd == -1)
		return fail(L, "getwinsize", EBADF);
	if (pty_getwinsize(p->fd, &r, &c) == -1)
		return fail(L, "getwinsize", errno);
	lua_pushinteger(L, r);
	lua_pushinteger(L, c);
	return 2;
}

/* proc:eofchar() -> the terminal's VEOF byte as a string, or nil */
static int
proc_eofchar(lua_State *L)
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
 * read on the master; nothing without a terminal  [-0, +2|0, -]
 */
static int
proc_echo(lua_State *L)
{
	struct proc *p = check_proc(L);
	int on, canon;

	if (!p->tty || p->fd == -1 || (on = pty_echo(p->fd, &canon)) == -1)
		return 0;
	lua_pushboolean(L, on);
	lua_pushboolean(L, canon);
	return 2;
}

/*
 * proc:close_write() -> true | nil, msg, errno  [-0, +1|3, m]
 * Close the pipe to the child (its stdin, or a "w" descriptor) once the
 * queued bytes are written: the child reads EOF.
 */
static int
proc_close_write_l(lua_State *L)
{
	struct proc *p = check_proc(L);

	if (p->wfd == -1)
		return fail(L, "close", EBADF);
	if (proc_close_write(p) == -1)
		return fail(L, "close", errno);
	lua_pushboolean(L, 1);
	return 1;
}

/* proc:pause(on): stop or restart reading the child  [-0, +0, -] */
static int
proc_lpause(lua_State *L)
{
	proc_pause(check_proc(L), lua_toboolean(L, 2));
	return 0;
}

/*
 * proc:hold(on): stop or restart reading the child while its data
 * callbacks are behind; independent of pause.  [-0, +0, -]
 */
static int
proc_lhold(lua_State *L)
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
proc_show(lua_State *L)
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
proc_ltap(lua_State *L)
{
	struct proc *p = check_proc(L);

	p->tapped = lua_toboolean(L, 2) != 0;
	if (!p->tapped)
		buf_free(&p->tap);
	return 0;
}

/* proc:tapped() -> the bytes read since the last call (maybe "")  */
static int
proc_ltapped(lua_State *L)
{
	struct proc *p = check_proc(L);

	lua_pushlstring(L, buf_head(&p->tap), buf_len(&p->tap));
	buf_consume(&p->tap, buf_len(&p->tap));
	buf_shrink(&p->tap);
	return 1;
}

/* proc:close(): hang up, kill, reap, free; idempotent (also __gc). */
static int
proc__gc(lua_State *L)
{
	struct proc *p = check_proc(L);

	if (p->pid != -1)
		proc_destroy(p);
	p->pid = -1;
	return 0;
}

static const luaL_Reg proc_meth[] = {
	{ "pid", proc_pid },
	{ "send", proc_lsend },
	{ "queued", proc_queued },
	{ "match", proc_match },
	{ "match_exact", proc_match_exact },
	{ "find", proc_find },
	{ "take", proc_take },
	{ "peek", proc_peek },
	{ "state", proc_state },
	{ "status", proc_status },
	{ "kill", proc_kill },
	{ "group_alive", proc_lgroup_alive },
	{ "hangup", proc_lhangup },
	{ "reap", proc_lreap },
	{ "setwinsize", proc_setwinsize },
	{ "getwinsize", proc_getwinsize },
	{ "eofchar", proc_eofchar },
	{ "echo", proc_echo },
	{ "pause", proc_lpause },
	{ "hold", proc_lhold },
	{ "close_write", proc_close_write_l },
	{ "show", proc_show },
	{ "tap", proc_ltap },
	{ "tapped", proc_ltapped },
	{ "close", proc__gc },
	{ NULL, NULL }
};

static const luaL_Reg proc_metameth[] = {
	{ "__gc", proc__gc },
	{ "__close", proc__gc },
	{ NULL, NULL }
};

/* Add core.spawn and the event bits; stack: module, loop (kept). */
void
lcore_open_proc(lua_State *L)
{
	lcore_newmeta(L, PROC_MT, proc_meth, proc_metameth);
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, l_spawn, 1);
	lua_setfield(L, -3, "spawn");
	lua_pushcfunction(L, l_getpw);
	lua_setfield(L, -3, "getpw");
	lua_pushcfunction(L, l_getgr);
	lua_setfield(L, -3, "getgr");
	lua_pushcfunction(L, l_grouplist);
	lua_setfield(L, -3, "grouplist");
	lua_pushinteger(L, PROC_DATA);
	lua_setfield(L, -3, "DATA");
	lua_pushinteger(L, PROC_EXIT);
	lua_setfield(L, -3, "EXIT");
	lua_pushinteger(L, PROC_DRAIN);
	lua_setfield(L, -3, "DRAIN");
	lua_pushinteger(L, PROC_TAP);
	lua_setfield(L, -3, "TAP");
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
