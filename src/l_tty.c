/*
 * l_tty.c - the user's own terminal, for interact and getpass: raw (or
 * no-echo) mode and its restoration, window size, and a reader for
 * standard input.
 *
 * The saved modes live in the loop (loop_tty_restore), so every way out
 * puts the terminal back: interact's own cleanup, core.shutdown at the
 * script's end or on a signal, and the loop's __gc at lua_close.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "lcore.h"
#include "loop.h"
#include "proc.h"

#define READER_DATA	1	/* same bit as PROC_DATA: readable or EOF */

struct reader {
	struct loop_obj obj;	/* first, as for processes */
	struct loop *lp;
	ev_io io;
	int fd;
};

/* core.isatty(fd) -> boolean  [-0, +1, -] */
static int
l_isatty(lua_State *L)
{
	lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
	return 1;
}

/*
 * core.tty_raw(fd [, "noecho"]) -> true | nil, msg, errname
 * [-0, +1|3, m]
 * Save fd's terminal modes and switch it to raw mode (no echo, no line
 * editing, no signals from ^C, bytes through unchanged); with "noecho",
 * only stop the echo (lines and ^C as usual: a password prompt).
 */
static int
l_tty_raw(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	int fd = (int)luaL_checkinteger(L, 1);
	struct termios t;

	if (lp->tty_fd != -1)
		return lcore_failf(L, EBUSY, "the terminal is in use (by "
		    "interact or getpass) already");
	if (tcgetattr(fd, &lp->tty_saved) == -1)
		return lcore_fail(L, "tcgetattr", errno);
	t = lp->tty_saved;
	if (lua_isnoneornil(L, 2))
		cfmakeraw(&t);
	else if (strcmp(luaL_checkstring(L, 2), "noecho") == 0)
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	else
		return luaL_argerror(L, 2, "expected \"noecho\" or nothing");
	if (tcsetattr(fd, TCSADRAIN, &t) == -1)
		return lcore_fail(L, "tcsetattr", errno);
	lp->tty_fd = fd;
	lua_pushboolean(L, 1);
	return 1;
}

/* core.tty_restore(): undo tty_raw, if it is in effect.  [-0, +0, -] */
static int
l_tty_restore(lua_State *L)
{
	loop_tty_restore(lcore_loop(L));
	return 0;
}

/* core.winsize(fd) -> rows, cols | nil  [-0, +1|2, -] */
static int
l_winsize(lua_State *L)
{
	struct winsize ws;

	if (ioctl((int)luaL_checkinteger(L, 1), TIOCGWINSZ, &ws) == -1 ||
	    ws.ws_row == 0 || ws.ws_col == 0)
		return 0;
	lua_pushinteger(L, ws.ws_row);
	lua_pushinteger(L, ws.ws_col);
	return 2;
}

/*
 * The reader watches its descriptor only while armed: the descriptor is
 * not ours (standard input), so it stays blocking and nothing is read
 * that nobody asked for.
 */
static void
reader_cb(struct ev_loop *ev, ev_io *w, int revents)
{
	struct reader *r = w->data;

	(void)revents;
	ev_io_stop(ev, w);
	loop_fire(r->lp, &r->obj, READER_DATA);
}

static void
reader_on_arm(struct loop_obj *o)
{
	struct reader *r = (struct reader *)o;

	if (r->lp->ev != NULL && r->fd != -1)
		ev_io_start(r->lp->ev, &r->io);
}

/* core.reader(fd) -> reader  [-0, +1, m] */
static int
l_reader(lua_State *L)
{
	int fd = (int)luaL_checkinteger(L, 1);
	struct reader *r = lua_newuserdatauv(L, sizeof *r, 0);

	memset(r, 0, sizeof *r);
	r->lp = lcore_loop(L);
	r->fd = fd;
	r->obj.on_arm = reader_on_arm;
	ev_io_init(&r->io, reader_cb, fd, EV_READ);
	r->io.data = r;
	luaL_setmetatable(L, READER_MT);
	lcore_track(L, r, -1);
	return 1;
}

/*
 * reader:read() -> bytes | nil, "eof" | false (nothing yet)  [-0, +1|2, m]
 * One read(2) of what is there; never blocks (poll first).
 */
static int
reader_read(lua_State *L)
{
	struct reader *r = lcore_checkself(L, READER_MT);
	struct pollfd pfd;
	char buf[4096];
	ssize_t n;

	pfd.fd = r->fd;
	pfd.events = POLLIN;
	if (r->fd == -1 || poll(&pfd, 1, 0) == 0) {
		lua_pushboolean(L, 0);
		return 1;
	}
	do
		n = read(r->fd, buf, sizeof buf);
	while (n == -1 && errno == EINTR);
	if (n > 0) {
		lua_pushlstring(L, buf, (size_t)n);
		return 1;
	}
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		lua_pushboolean(L, 0);
		return 1;
	}
	luaL_pushfail(L);
	lua_pushliteral(L, "eof");
	return 2;
}

/* Stop watching (the descriptor stays open); idempotent. */
static void
close_reader(struct reader *r)
{
	if (r->lp->ev != NULL && r->fd != -1) {
		ev_io_stop(r->lp->ev, &r->io);
		loop_forget(r->lp, &r->obj);
	}
	r->fd = -1;
}

/* reader:close(): see close_reader.  [-0, +0, -] */
static int
reader_close(lua_State *L)
{
	close_reader(lcore_checkself(L, READER_MT));
	return 0;
}

/* __gc: see close_reader.  [-0, +0, -] */
static int
reader__gc(lua_State *L)
{
	close_reader(lcore_checkself(L, READER_MT));
	return 0;
}

/*
 * A window-size watcher: fires bit 1 on every SIGWINCH while it exists
 * (libev's signal watcher: the handler only wakes the loop).  Made by
 * interact, closed when it returns; SIGWINCH's default is to ignore it,
 * which ev_signal_stop puts back.
 */
struct winch {
	struct loop_obj obj;
	struct loop *lp;
	ev_signal sig;
	int on;
};

static void
winch_cb(struct ev_loop *ev, ev_signal *w, int revents)
{
	struct winch *wc = w->data;

	(void)ev;
	(void)revents;
	wc->obj.armed |= 1;	/* always reported: a change is never lost */
	loop_fire(wc->lp, &wc->obj, 1);
}

/* core.winch() -> watcher of SIGWINCH  [-0, +1, m] */
static int
l_winch(lua_State *L)
{
	struct winch *wc = lua_newuserdatauv(L, sizeof *wc, 0);

	memset(wc, 0, sizeof *wc);
	wc->lp = lcore_loop(L);
	ev_signal_init(&wc->sig, winch_cb, SIGWINCH);
	wc->sig.data = wc;
	luaL_setmetatable(L, WINCH_MT);
	lcore_track(L, wc, -1);
	if (wc->lp->ev != NULL) {
		ev_signal_start(wc->lp->ev, &wc->sig);
		ev_unref(wc->lp->ev);	/* it alone keeps no loop alive */
		wc->on = 1;
	}
	return 1;
}

/* Stop watching; idempotent. */
static void
close_winch(struct winch *wc)
{
	if (wc->on && wc->lp->ev != NULL) {
		ev_ref(wc->lp->ev);
		ev_signal_stop(wc->lp->ev, &wc->sig);
		loop_forget(wc->lp, &wc->obj);
	}
	wc->on = 0;
}

/* winch:close(): see close_winch.  [-0, +0, -] */
static int
winch_close(lua_State *L)
{
	close_winch(lcore_checkself(L, WINCH_MT));
	return 0;
}

/* __gc: see close_winch.  [-0, +0, -] */
static int
winch__gc(lua_State *L)
{
	close_winch(lcore_checkself(L, WINCH_MT));
	return 0;
}

static const luaL_Reg winch_meth[] = {
	{ "close", winch_close },
	{ NULL, NULL }
};

static const luaL_Reg winch_metameth[] = {
	{ "__gc", winch__gc },
	{ NULL, NULL }
};

static const luaL_Reg reader_meth[] = {
	{ "read", reader_read },
	{ "close", reader_close },
	{ NULL, NULL }
};

static const luaL_Reg reader_metameth[] = {
	{ "__gc", reader__gc },
	{ NULL, NULL }
};

static const luaL_Reg funcs[] = {
	{ "isatty", l_isatty },
	{ "tty_raw", l_tty_raw },
	{ "tty_restore", l_tty_restore },
	{ "winsize", l_winsize },
	{ "reader", l_reader },
	{ "winch", l_winch },
	{ NULL, NULL }
};

/* Add the terminal functions; stack: module, loop (kept). */
void
lcore_open_tty(lua_State *L)
{
	lcore_newmeta(L, READER_MT, reader_meth, reader_metameth);
	lcore_newmeta(L, WINCH_MT, winch_meth, winch_metameth);
	lua_pushvalue(L, -2);
	lua_pushvalue(L, -2);
	luaL_setfuncs(L, funcs, 1);
	lua_pop(L, 1);
}
