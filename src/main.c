/*
 * main.c - the ptyscript command, shaped like lua.c.
 *
 * Parses the options, makes sure descriptors 0-2 exist (and that stdio
 * writes all of 1 and 2, non-blocking or not: out_wrap_std), raises the
 * open-file limit, builds `arg`, compiles the script (a compile error is
 * exit status 2) and hands it to the Lua side (ptyscript._main), which
 * runs it as task 1 on the event loop and returns the exit status.
 * Uncaught errors reach msghandler, which adds a traceback.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "alloc.h"
#include "embedded.h"
#include "out.h"
#include "spawn.h"

#ifndef PTYSCRIPT_VERSION
#define PTYSCRIPT_VERSION "0.1.0"
#endif
/* The installation prefix (the Makefile's PREFIX): --help names the manual there. */
#ifndef PTYSCRIPT_PREFIX
#define PTYSCRIPT_PREFIX "/usr/local"
#endif

static const char *progname = "ptyscript";

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: %s [options] script.lua [args...]\n"
	    "       %s [options] -e 'lua code' [args...]\n"
	    "       %s [options] - [args...]     (script from standard input)\n"
	    "options:\n"
	    "  --timeout SECONDS  default expect timeout (10)\n"
	    "  --show             copy every session's output to stdout\n"
	    "  --trace            print each expect/send decision to stderr\n"
	    "  --log FILE         append every session's output to FILE\n"
	    "  --record FILE.cast asciicast v2 recording of every session\n"
	    "  --record-input     also record what is typed during interact\n"
	    "  --version          print the version and exit\n"
	    "  --help             print this help and exit\n"
	    "The manual: " PTYSCRIPT_PREFIX "/share/doc/ptyscript/manual.md\n",
	    progname, progname, progname);
}

/* Print a usage error and return status 2. */
static int
bad_usage(const char *msg, const char *what)
{
	fprintf(stderr, "%s: %s%s\nTry '%s --help'.\n", progname, msg,
	    what, progname);
	return 2;
}

/* Open /dev/null on any of 0, 1, 2 that is closed. */
static void
ensure_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/*
 * Raise the open-file soft limit to the hard limit: many sessions.  The
 * children get the limit we started with back (spawn_keep_limit): a
 * program using select(2), or closing every descriptor up to the limit,
 * must not see ours.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
	    spawn_keep_limit(RLIMIT_NOFILE) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
** What luaL_newstate would set, for a state made with our allocator:
** a panic (an error outside any pcall) is reported before the abort, and
** warn() prints only after warn("@on"), as in the lua command.
*/
static int
panic(lua_State *L)
{
	const char *msg = lua_tostring(L, -1);

	fprintf(stderr, "%s: PANIC: unprotected error in call to Lua API (%s)\n",
	    progname, msg != NULL ? msg : "error object is not a string");
	return 0;
}

/*
** warn() as lauxlib's warning functions have it: off until "@on"; a
** one-piece message "@on" or "@off" switches; the pieces of a message
** are printed after "Lua warning: " and end with a newline.
**
** Except one: Lua reports an error in a __gc metamethod as the warning
** "error in __gc (msg)", which nobody would see, and the command would
** end 0 after a failure.  Such a message is kept instead (gc_errors):
** the command tells it and ends with status 1 (ptyscript._main asks at
** its end, main after lua_close).
*/
struct warn_state {
	int state;		/* 0 off, 1 on, 2 on and within a message */
	int keep;		/* within a message that started "error in ",
				 * kept in buf */
	char buf[1024];		/* that message, cut to fit */
	size_t len;
	int gc_errors;		/* errors in __gc, in all */
	int told;		/* ... of them told by the Lua side */
	char first[1024];	/* the first one not told yet */
};

static void
warnf(void *ud, const char *msg, int tocont)
{
	struct warn_state *w = ud;
	size_t n;

	if (!w->keep && w->state != 2 && !tocont && msg[0] == '@') {
		if (strcmp(msg + 1, "off") == 0)	/* control */
			w->state = 0;
		else if (strcmp(msg + 1, "on") == 0)
			w->state = 1;
		return;
	}
	if (!w->keep && w->state != 2 && tocont &&
	    strcmp(msg, "error in ") == 0) {
		w->keep = 1;
		w->len = 0;
	}
	if (w->keep) {
		n = strlen(msg);
		if (n > sizeof w->buf - 1 - w->len)
			n = sizeof w->buf - 1 - w->len;
		memcpy(w->buf + w->len, msg, n);
		w->len += n;
		w->buf[w->len] = '\0';
		if (tocont)
			return;
		w->keep = 0;
		if (strncmp(w->buf, "error in __gc", 13) == 0) {
			if (w->gc_errors++ == w->told)
				memcpy(w->first, w->buf, w->len + 1);
		} else if (w->state != 0) {
			fprintf(stderr, "Lua warning: %s\n", w->buf);
			fflush(stderr);
		}
		return;
	}
	if (w->state == 0)
		return;
	if (w->state == 1)
		fputs("Lua warning: ", stderr);
	fputs(msg, stderr);
	if (tocont) {
		w->state = 2;
	} else {
		fputs("\n", stderr);
		fflush(stderr);
		w->state = 1;
	}
}

/*
** gc_errors() -> n, first: the errors in __gc metamethods since the last
** call, and the first of them ("error in __gc (msg)"); they count as
** told.  [-0, +1|2, -]
*/
static int
gc_errors(lua_State *L)
{
	struct warn_state *w = lua_touserdata(L, lua_upvalueindex(1));
	int n = w->gc_errors - w->told;

	w->told = w->gc_errors;
	lua_pushinteger(L, n);
	if (n == 0)
		return 1;
	lua_pushstring(L, w->first);
	return 2;
}

static int stdout_told;	/* stdout_error said why already */

/*
** stdout_error() -> why the script's standard output (print, io.write)
** could not be written, or nil; flushes it first.  Told once: the caller
** says it.  [-0, +0|1, -]
*/
static int
stdout_error(lua_State *L)
{
	int err;

	fflush(stdout);
	if ((err = out_std_error(STDOUT_FILENO)) == 0 || stdout_told)
		return 0;
	stdout_told = 1;
	lua_pushstring(L, strerror(err));
	return 1;
}

/* Message handler: add a traceback to whatever was raised (lua.c). */
static int
msghandler(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (msg == NULL) {
		if (luaL_callmeta(L, 1, "__tostring") &&
		    lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)",
		    luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

struct cmd {
	const char *script;	/* file name, "-" or NULL with -e */
	const char *code;	/* -e */
	double timeout;
	const char *log;	/* --log FILE, or NULL */
	const char *record;	/* --record FILE.cast, or NULL */
	int show, trace;
	int record_input;	/* --record-input */
	int first_arg;		/* argv index of the script's first arg */
	int script_idx;		/* argv index of script or code */
};

/* arg table as in lua(1): arg[0] the script, negatives before it. */
static void
create_arg(lua_State *L, int argc, char **argv, int script_idx)
{
	int i;

	lua_createtable(L, argc - script_idx, script_idx + 1);
	for (i = 0; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - script_idx);
	}
	lua_setglobal(L, "arg");
}

/* The checks of parse that span options; -1 to go on, else a status. */
static int
parse_done(const struct cmd *c)
{
	if (c->record_input && c->record == NULL)
		return bad_usage("--record-input needs --record FILE.cast", "");
	return -1;
}

/* Parse options; returns -1 to go on, else an exit status. */
static int
parse(struct cmd *c, int argc, char **argv)
{
	int i;
	char *end;

	memset(c, 0, sizeof *c);
	c->timeout = -1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0) {
			printf("ptyscript %s (%s)\n", PTYSCRIPT_VERSION,
			    LUA_RELEASE);
			return 0;
		} else if (strcmp(a, "--show") == 0) {
			c->show = 1;
		} else if (strcmp(a, "--trace") == 0) {
			c->trace = 1;
		} else if (strcmp(a, "--timeout") == 0 ||
		    strncmp(a, "--timeout=", 10) == 0) {
			const char *v = a[9] == '=' ? a + 10 : argv[++i];

			if (v == NULL)
				return bad_usage("--timeout needs a number of seconds", "");
			errno = 0;
			c->timeout = strtod(v, &end);
			if (*v == '\0' || *end != '\0' || errno != 0 ||
			    !(c->timeout >= 0))
				return bad_usage("--timeout needs a number of "
				    "seconds >= 0, not ", v);
		} else if (strcmp(a, "--log") == 0 ||
		    strncmp(a, "--log=", 6) == 0) {
			c->log = a[5] == '=' ? a + 6 : argv[++i];
			if (c->log == NULL || *c->log == '\0')
				return bad_usage("--log needs a file name", "");
		} else if (strcmp(a, "--record") == 0 ||
		    strncmp(a, "--record=", 9) == 0) {
			c->record = a[8] == '=' ? a + 9 : argv[++i];
			if (c->record == NULL || *c->record == '\0')
				return bad_usage("--record needs a file name", "");
		} else if (strcmp(a, "--record-input") == 0) {
			c->record_input = 1;
		} else if (strcmp(a, "-e") == 0) {
			if (i + 1 >= argc)
				return bad_usage("-e needs Lua code", "");
			c->code = argv[++i];
			c->script_idx = i;
			c->first_arg = i + 1;
			return parse_done(c);
		} else if (strcmp(a, "--") == 0) {
			if (i + 1 >= argc)
				return bad_usage("no script given", "");
			c->script = argv[++i];
			c->script_idx = i;
			c->first_arg = i + 1;
			return parse_done(c);
		} else if (a[0] == '-' && a[1] != '\0') {
			return bad_usage("unknown option ", a);
		} else {
			c->script = a;
			c->script_idx = i;
			c->first_arg = i + 1;
			return parse_done(c);
		}
	}
	return bad_usage("no script given", "");
}

/* Load the script; returns 0 or prints why and returns 2. */
static int
load_script(lua_State *L, const struct cmd *c)
{
	int rc;

	if (c->code != NULL)
		rc = luaL_loadbuffer(L, c->code, strlen(c->code),
		    "=(command line)");
	else if (strcmp(c->script, "-") == 0)
		rc = luaL_loadfile(L, NULL);
	else
		rc = luaL_loadfile(L, c->script);
	if (rc == LUA_OK)
		return 0;
	fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
	return 2;
}

/*
 * Run everything inside a protected call so that no Lua error (even out
 * of memory while setting up) escapes as a panic.
 */
static int
pmain(lua_State *L)
{
	int argc = (int)lua_tointeger(L, 1);
	char **argv = lua_touserdata(L, 2);
	const struct cmd *c = lua_touserdata(L, 3);
	struct warn_state *w = lua_touserdata(L, 4);
	int i, status;

	luaL_openlibs(L);
	ptyscript_preload(L);
	create_arg(L, argc, argv, c->script_idx);
	status = load_script(L, c);
	if (status != 0) {
		lua_pushinteger(L, status);
		return 1;
	}
	lua_getglobal(L, "require");
	lua_pushliteral(L, "ptyscript");
	lua_call(L, 1, 1);
	lua_getfield(L, -1, "_main");
	lua_remove(L, -2);
	lua_insert(L, -2);		/* _main, chunk */
	lua_createtable(L, 0, 3);
	if (c->timeout >= 0) {
		lua_pushnumber(L, c->timeout);
		lua_setfield(L, -2, "timeout");
	}
	lua_pushboolean(L, c->show);
	lua_setfield(L, -2, "show");
	lua_pushboolean(L, c->trace);
	lua_setfield(L, -2, "trace");
	if (c->log != NULL) {
		lua_pushstring(L, c->log);
		lua_setfield(L, -2, "log");
	}
	if (c->record != NULL) {
		lua_pushstring(L, c->record);
		lua_setfield(L, -2, "record");
	}
	lua_pushboolean(L, c->record_input);
	lua_setfield(L, -2, "record_input");
	lua_pushlightuserdata(L, w);
	lua_pushcclosure(L, gc_errors, 1);
	lua_setfield(L, -2, "gc_errors");
	lua_pushcfunction(L, stdout_error);
	lua_setfield(L, -2, "stdout_error");
	for (i = c->first_arg; i < argc; i++)
		lua_pushstring(L, argv[i]);
	lua_call(L, 2 + argc - c->first_arg, 1);
	return 1;
}

int
main(int argc, char **argv)
{
	static struct alloc pool;
	static struct warn_state warn_state;
	struct cmd c;
	lua_State *L;
	int status;

	if (argv[0] != NULL && argv[0][0] != '\0')
		progname = "ptyscript";
	status = parse(&c, argc, argv);
	if (status >= 0)
		return status;
	ensure_std_fds();
	out_wrap_std();
	raise_nofile();
	alloc_init(&pool);
	L = lua_newstate(alloc_lua, &pool);
	if (L == NULL) {
		fprintf(stderr, "%s: cannot create Lua state\n", progname);
		return 1;
	}
	lua_atpanic(L, panic);
	lua_setwarnf(L, warnf, &warn_state);
	lua_pushcfunction(L, msghandler);
	lua_pushcfunction(L, pmain);
	lua_pushinteger(L, argc);
	lua_pushlightuserdata(L, argv);
	lua_pushlightuserdata(L, &c);
	lua_pushlightuserdata(L, &warn_state);
	if (lua_pcall(L, 4, 1, 1) != LUA_OK) {
		fprintf(stderr, "%s: %s\n", progname, lua_tostring(L, -1));
		status = 1;
	} else {
		status = (int)lua_tointeger(L, -1);
	}
	fflush(stdout);
	lua_close(L);
	if (warn_state.gc_errors > warn_state.told) {	/* at lua_close */
		fprintf(stderr, "%s: %s\n", progname, warn_state.first);
		if (status == 0)
			status = 1;
	}
	fflush(stdout);
	if (out_std_error(STDOUT_FILENO) != 0 && !stdout_told) {
		fprintf(stderr, "%s: standard output: write failed: %s\n",
		    progname, strerror(out_std_error(STDOUT_FILENO)));
		if (status == 0)
			status = 1;
	}
	alloc_release(&pool);
	return status;
}
