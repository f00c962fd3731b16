/*
 * l_out.c - the binding of out.c: how the Lua side opens the files it
 * writes (transcripts, recordings, pictures) and writes them and its
 * own standard output and error.
 *
 *   core.open_file(path, "a"|"w") -> file | nil, msg, errname
 *   core.write(fd | file, data) -> true | nil, msg, errname
 *   core.show_failed() -> msg, errname | nil
 *
 * The files are ordinary Lua files (io.type says "file"), so a script
 * may hold and close them as any other; core.write flushes what the
 * script may have buffered in one before writing to its descriptor.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lcore.h"
#include "loop.h"
#include "out.h"

/*
 * closef of the files made here (liolib's io_fclose).  A script holds
 * these as Lua files, so f:close() keeps io's result (errno a number).
 * [-0, +1|3, m]
 */
static int
file_close(lua_State *L)
{
	luaL_Stream *st = luaL_checkudata(L, 1, LUA_FILEHANDLE);
	int rc = fclose(st->f);

	return luaL_fileresult(L, rc == 0, NULL);
}

/*
 * core.open_file(path, mode) -> file | nil, msg, errname  [-0, +1|3, m]
 * Open path to write, through out_open: mode "a" appends, "w" empties
 * it first.  A symbolic link is refused ("path: refusing to write
 * through a symbolic link"), and so is what another user may have
 * planted in a directory others can write to; msg always begins with
 * the path.
 */
static int
l_open_file(lua_State *L)
{
	const char *path = luaL_checkstring(L, 1);
	const char *mode = luaL_checkstring(L, 2);
	luaL_Stream *st;
	int fd, err;

	luaL_argcheck(L, strcmp(mode, "a") == 0 || strcmp(mode, "w") == 0, 2,
	    "\"a\" or \"w\"");
	/* the handle first, closed, so no allocation fails once fd is open */
	st = lua_newuserdatauv(L, sizeof *st, 0);
	st->closef = NULL;
	st->f = NULL;
	luaL_setmetatable(L, LUA_FILEHANDLE);
	fd = out_open(path, mode[0] == 'a' ? OUT_APPEND : OUT_TRUNCATE);
	if (fd < -1) {		/* refused: see out_open */
		return lcore_failf(L, fd == OUT_SYMLINK || fd == OUT_DIRLINK ?
		    ELOOP : EPERM, "%s: %s", path, out_refusal(fd));
	}
	if (fd == -1 || (st->f = fdopen(fd, mode[0] == 'a' ? "ab" : "wb")) ==
	    NULL) {
		err = errno;
		if (fd != -1)
			close(fd);
		return lcore_fail(L, path, err);
	}
	st->closef = file_close;
	return 1;
}

/*
 * core.write(fd | file, data) -> true | nil, msg, errname  [-0, +1|3, m]
 * All of data, through out_write (EINTR, EAGAIN, EPIPE without SIGPIPE);
 * a Lua file's own buffer is flushed first.  A closed file raises.
 */
static int
l_write(lua_State *L)
{
	size_t n;
	const char *s = luaL_checklstring(L, 2, &n);
	luaL_Stream *st;
	int fd;

	if (lua_type(L, 1) == LUA_TNUMBER) {
		fd = (int)luaL_checkinteger(L, 1);
	} else {
		st = luaL_checkudata(L, 1, LUA_FILEHANDLE);
		if (st->closef == NULL)
			return luaL_error(L, "attempt to use a closed file");
		if (fflush(st->f) != 0)
			return lcore_fail(L, NULL, errno);
		fd = out_fileno(st->f);
	}
	if (out_write(fd, s, n) == -1)
		return lcore_fail(L, NULL, errno);
	lua_pushboolean(L, 1);
	return 1;
}

/*
 * core.show_failed() -> why copying output to stdout (show, --show)
 * failed and its errname, or nil  [-0, +0|2, m]
 */
static int
l_show_failed(lua_State *L)
{
	struct loop *lp = lcore_loop(L);

	if (lp->show_errno == 0)
		return 0;
	lua_pushstring(L, strerror(lp->show_errno));
	lcore_pusherrname(L, lp->show_errno);
	return 2;
}

/* Add open_file, write, show_failed; stack: module, loop (kept). */
void
lcore_open_out(lua_State *L)
{
	lua_pushcfunction(L, l_open_file);
	lua_setfield(L, -3, "open_file");
	lua_pushcfunction(L, l_write);
	lua_setfield(L, -3, "write");
	lua_pushvalue(L, -1);
	lua_pushcclosure(L, l_show_failed, 1);
	lua_setfield(L, -3, "show_failed");
}
