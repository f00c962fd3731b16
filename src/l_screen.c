/*
 * l_screen.c - the C side of a screen: a vt.h emulator as Lua userdata,
 * joined to a process as its output sink.
 *
 * The Lua/C boundary: core.screen(rows, cols) makes a screen (fed by
 * s:feed, for recordings and the specs); core.screen_attach(proc, s)
 * makes a process feed it every byte it reads from now on, answer the
 * child's terminal queries from it, and resize it with setwinsize.
 * Nothing here waits: lua/ptyscript/screen.lua waits for output and
 * renders pictures.  Rows and columns cross the boundary 1-based.
 *
 * Ownership: the emulator (struct screen) is shared by the userdata and
 * the process it is attached to, with a count of references; whichever
 * goes last frees it.  So a screen stays readable after its process is
 * closed and collected, and a process never feeds a freed screen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcore.h"
#include "proc.h"
#include "vt.h"

#define SCREEN_MT	"ptyscript.Screen"
/* The emulator's limits (memory; a wide character needs 2 columns,
 * VT_MIN_COLS): a process's setwinsize refuses sizes beyond them
 * (sink_fits), s:resize clamps. */
#define MAX_ROWS	1000
#define MAX_COLS	1000

/*
 * Answers to the child's queries queued and not yet written, at most: a
 * child that asks (ESC[6n ...) and never reads would make them queue
 * without bound.  Beyond it answers are dropped.
 */
#define ANSWERS_MAX	(64 * 1024)

struct screen {
	struct vt *vt;
	struct proc *proc;	/* feeding us, or NULL */
	int refs;
	size_t queued;		/* answer bytes queued since the queue was
				 * last empty */
	unsigned long long dropped;	/* answer bytes dropped */
	char *trace;		/* --trace line for the first drop, or NULL */
};

static void
screen_unref(struct screen *sc)
{
	if (--sc->refs > 0)
		return;
	vt_free(sc->vt);
	free(sc->trace);
	free(sc);
}

/*
 * The process's sink: feed, then send what the emulator answered, unless
 * ANSWERS_MAX bytes of answers wait in the queue (the count starts again
 * whenever the queue has been written out: the child reads).
 */
static void
sink_feed(void *ctx, const char *s, size_t n)
{
	struct screen *sc = ctx;
	struct proc *p = sc->proc;
	const char *r;
	size_t rn, before;

	vt_feed(sc->vt, s, n);
	r = vt_replies(sc->vt, &rn);
	if (rn == 0)
		return;
	if (p != NULL && buf_len(&p->out) == 0)
		sc->queued = 0;
	if (p != NULL && sc->queued + rn > ANSWERS_MAX) {
		if (sc->dropped == 0 && sc->trace != NULL) {
			fprintf(stderr, "%s\n", sc->trace);
			fflush(stderr);
		}
		sc->dropped += rn;
	} else if (p != NULL) {
		/* proc_send only writes or queues: it never reads, so no
		 * feed can happen inside this one */
		before = buf_len(&p->out);
		(void)proc_send(p, r, rn);
		if (buf_len(&p->out) > before)
			sc->queued += buf_len(&p->out) - before;
	}
	vt_replies_clear(sc->vt);
}

static int
clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Whether the screen can be rows x cols: the emulator's limits. */
static int
sink_fits(void *ctx, int rows, int cols)
{
	(void)ctx;
	return rows >= 1 && rows <= MAX_ROWS && cols >= VT_MIN_COLS &&
	    cols <= MAX_COLS;
}

static void
sink_resize(void *ctx, int rows, int cols)
{
	struct screen *sc = ctx;

	vt_resize(sc->vt, clamp(rows, 1, MAX_ROWS),
	    clamp(cols, VT_MIN_COLS, MAX_COLS));
}

static void
sink_free(void *ctx)
{
	struct screen *sc = ctx;

	sc->proc = NULL;
	screen_unref(sc);
}

/* The screen at index 1, as last fed (maybe with text held back). */
static struct screen *
check_raw(lua_State *L)
{
	struct screen **box = lcore_checkself(L, SCREEN_MT);

	return *box;
}

/* The screen at index 1, up to date: for every method that reads it. */
static struct screen *
check_screen(lua_State *L)
{
	struct screen *sc = check_raw(L);

	vt_flush(sc->vt);	/* feed what the fast path held back */
	return sc;
}

/* A size argument: an integral number in 1..hi.  [-0, +0, v] */
static int
check_size(lua_State *L, int idx, const char *what, int hi)
{
	lua_Integer v;

	if (!lua_isinteger(L, idx) && lua_type(L, idx) == LUA_TNUMBER) {
		lua_Number f = lua_tonumber(L, idx);

		if (f != (lua_Number)(lua_Integer)f)
			luaL_argerror(L, idx, lua_pushfstring(L,
			    "%s must be an integer", what));
	}
	v = luaL_checkinteger(L, idx);
	if (v < 1 || v > hi)
		luaL_argerror(L, idx, lua_pushfstring(L,
		    "%s must be from 1 to %d", what, hi));
	return (int)v;
}

/*
 * core.screen(rows, cols) -> screen  [-0, +1, m]
 * The box is made first, so that a failed allocation leaves nothing.
 */
static int
l_screen(lua_State *L)
{
	int rows = check_size(L, 1, "rows", MAX_ROWS);
	int cols = check_size(L, 2, "cols", MAX_COLS);
	struct screen **box, *sc;

	cols = clamp(cols, VT_MIN_COLS, MAX_COLS);	/* a wide character needs 2 */
	box = lua_newuserdatauv(L, sizeof *box, 0);
	*box = NULL;
	sc = calloc(1, sizeof *sc);
	if (sc == NULL || (sc->vt = vt_new(rows, cols)) == NULL) {
		free(sc);
		return luaL_error(L, "screen: out of memory");
	}
	sc->refs = 1;
	*box = sc;
	luaL_setmetatable(L, SCREEN_MT);
	return 1;
}

/*
 * core.screen_attach(proc, screen [, trace]) -> true | nil, msg
 * [-0, +1|2, m]
 * The process feeds the screen from its next byte on.  trace: the line
 * written to stderr when answers are first dropped (--trace), or nil.
 */
static int
l_screen_attach(lua_State *L)
{
	struct proc *p = luaL_checkudata(L, 1, PROC_MT);
	struct screen **box = luaL_checkudata(L, 2, SCREEN_MT);
	struct screen *sc = *box;
	const char *trace = luaL_optstring(L, 3, NULL);
	char *copy = NULL;

	if (p->sink.feed != NULL || sc->proc != NULL) {
		luaL_pushfail(L);
		lua_pushliteral(L, "already attached");
		return 2;
	}
	if (p->pid == -1 || p->lp == NULL) {
		luaL_pushfail(L);
		lua_pushliteral(L, "the process was closed");
		return 2;
	}
	if (trace != NULL && (copy = strdup(trace)) == NULL)
		return luaL_error(L, "screen: out of memory");
	free(sc->trace);
	sc->trace = copy;
	sc->proc = p;
	sc->refs++;
	p->sink.feed = sink_feed;
	p->sink.fits = sink_fits;
	p->sink.resize = sink_resize;
	p->sink.free = sink_free;
	p->sink.ctx = sc;
	lua_pushboolean(L, 1);
	return 1;
}

/* __gc: let go of the emulator (see Ownership above).  [-0, +0, -] */
static int
screen__gc(lua_State *L)
{
	struct screen **box = lcore_checkself(L, SCREEN_MT);

	if (*box != NULL)
		screen_unref(*box);
	*box = NULL;
	return 0;
}

/* A 1-based row argument, checked against the size.  [-0, +0, v] */
static int
check_row(lua_State *L, struct screen *sc, int idx)
{
	int rows, cols;
	lua_Integer r = luaL_checkinteger(L, idx);

	vt_size(sc->vt, &rows, &cols);
	if (r < 1 || r > rows)
		luaL_argerror(L, idx, lua_pushfstring(L,
		    "row %I out of range 1..%d", (LUAI_UACINT)r, rows));
	return (int)r;
}

/* s:size() -> rows, cols  [-0, +2, -] */
static int
screen_size(lua_State *L)
{
	int rows, cols;

	vt_size(check_screen(L)->vt, &rows, &cols);
	lua_pushinteger(L, rows);
	lua_pushinteger(L, cols);
	return 2;
}

/* Push row r (1-based) of sc's text.  [-0, +1, m] */
static void
push_row(lua_State *L, struct screen *sc, int r)
{
	int rows, cols;
	luaL_Buffer b;
	size_t cap, n;
	char *p;

	vt_size(sc->vt, &rows, &cols);
	cap = (size_t)cols * 24;
	p = luaL_buffinitsize(L, &b, cap);
	n = vt_row_text(sc->vt, r - 1, p, cap, NULL);
	luaL_pushresultsize(&b, n);
}

/* s:row(n) -> the text of row n, trailing blanks trimmed  [-0, +1, v] */
static int
screen_row(lua_State *L)
{
	struct screen *sc = check_screen(L);

	push_row(L, sc, check_row(L, sc, 2));
	return 1;
}

/* s:text() -> every row, trimmed, joined by "\n"  [-0, +1, m] */
static int
screen_text(lua_State *L)
{
	struct screen *sc = check_screen(L);
	int rows, cols, r;
	luaL_Buffer b;
	size_t cap = 0, n;
	char *p;

	vt_size(sc->vt, &rows, &cols);
	cap = (size_t)cols * 24;
	luaL_buffinit(L, &b);
	for (r = 0; r < rows; r++) {
		if (r > 0)
			luaL_addchar(&b, '\n');
		p = luaL_prepbuffsize(&b, cap);
		n = vt_row_text(sc->vt, r, p, cap, NULL);
		luaL_addsize(&b, n);
	}
	luaL_pushresult(&b);
	return 1;
}

/* s:cursor() -> row, col (1-based), visible  [-0, +3, -] */
static int
screen_cursor(lua_State *L)
{
	int r, c, vis;

	vt_cursor(check_screen(L)->vt, &r, &c, &vis);
	lua_pushinteger(L, r + 1);
	lua_pushinteger(L, c + 1);
	lua_pushboolean(L, vis);
	return 3;
}

static void
push_color(lua_State *L, int index, int dflt, uint32_t rgb)
{
	if (dflt)
		lua_pushnil(L);
	else if (index >= 0)
		lua_pushinteger(L, index);
	else {
		char hex[8];

		snprintf(hex, sizeof hex, "#%06x", (unsigned)(rgb & 0xffffff));
		lua_pushstring(L, hex);
	}
}

static void
set_bool(lua_State *L, const char *k, int v)
{
	lua_pushboolean(L, v);
	lua_setfield(L, -2, k);
}

/*
 * s:cell(row, col) -> char, attrs  [-0, +2, v]
 * attrs: bold, italic, underline, blink, reverse, strike (booleans),
 * width (1, 2, or 0 for the right half of a wide character), fg and bg
 * (nil: the default colour; 0-255: a palette index; "#rrggbb": direct
 * colour), fg_rgb and bg_rgb ("#rrggbb", resolved).
 */
static int
screen_cell(lua_State *L)
{
	struct screen *sc = check_screen(L);
	int r = check_row(L, sc, 2), rows, cols;
	lua_Integer c = luaL_checkinteger(L, 3);
	struct vt_cell cell;

	vt_size(sc->vt, &rows, &cols);
	if (c < 1 || c > cols)
		return luaL_argerror(L, 3, lua_pushfstring(L,
		    "column %I out of range 1..%d", (LUAI_UACINT)c, cols));
	vt_cell(sc->vt, r - 1, (int)c - 1, &cell);
	lua_pushstring(L, cell.text[0] ? cell.text : (cell.width ? " " : ""));
	lua_createtable(L, 0, 12);
	set_bool(L, "bold", cell.bold);
	set_bool(L, "italic", cell.italic);
	set_bool(L, "underline", cell.underline != 0);
	set_bool(L, "blink", cell.blink);
	set_bool(L, "reverse", cell.reverse);
	set_bool(L, "strike", cell.strike);
	lua_pushinteger(L, cell.width);
	lua_setfield(L, -2, "width");
	push_color(L, cell.fg_index, cell.fg_default, cell.fg_rgb);
	lua_setfield(L, -2, "fg");
	push_color(L, cell.bg_index, cell.bg_default, cell.bg_rgb);
	lua_setfield(L, -2, "bg");
	push_color(L, -1, 0, cell.fg_rgb);
	lua_setfield(L, -2, "fg_rgb");
	push_color(L, -1, 0, cell.bg_rgb);
	lua_setfield(L, -2, "bg_rgb");
	return 2;
}

/* s:title() -> the window title the program set ("" if none)  [-0, +1, m] */
static int
screen_title(lua_State *L)
{
	lua_pushstring(L, vt_title(check_screen(L)->vt));
	return 1;
}

/* s:alt() -> whether the alternate screen is active  [-0, +1, -] */
static int
screen_alt(lua_State *L)
{
	lua_pushboolean(L, vt_alt(check_screen(L)->vt));
	return 1;
}

/*
 * s:_find(regex | literal) -> row, col, text | nil  [-0, +3, m]
 * The first match on the screen's text (rows trimmed, joined by "\n");
 * row and col (1-based) are those of the cell where it starts.
 */
static int
screen_find(lua_State *L)
{
	struct screen *sc = check_screen(L);
	struct match_re *re = NULL;
	const char *lit = NULL, *hit, *text, *nl;
	size_t litlen = 0, len, s = 0, e = 0, start = 0, n, cap;
	int rows, cols, row = 0, rc, *colof;
	char *line;

	if (lua_type(L, 2) == LUA_TSTRING)
		lit = lua_tolstring(L, 2, &litlen);
	else
		re = lcore_checkregex(L, 2);
	vt_size(sc->vt, &rows, &cols);
	screen_text(L);		/* the subject, at the top of the stack */
	text = lua_tolstring(L, -1, &len);
	if (lit != NULL) {
		hit = litlen == 0 ? text : memmem(text, len, lit, litlen);
		if (hit == NULL)
			return 0;
		s = (size_t)(hit - text);
		e = s + litlen;
	} else {
		rc = match_exec(re, text, len, 0, 1, &s, &e);
		if (rc < 0) {
			PCRE2_UCHAR msg[128];

			pcre2_get_error_message(rc, msg, sizeof msg);
			return luaL_error(L, "find: matching failed: %s",
			    (char *)msg);
		}
		if (rc != MATCH_FULL)
			return 0;
	}
	/* the row: newlines before s; the column: that row's cells again */
	while ((nl = memchr(text + start, '\n', s - start)) != NULL) {
		start = (size_t)(nl - text) + 1;
		row++;
	}
	cap = (size_t)cols * 24;
	line = lua_newuserdatauv(L, cap, 0);
	colof = lua_newuserdatauv(L, cap * sizeof *colof, 0);
	n = vt_row_text(sc->vt, row, line, cap, colof);
	lua_pushinteger(L, row + 1);
	if (s - start < n)
		lua_pushinteger(L, colof[s - start] + 1);
	else		/* at the end of the row (a newline, or nothing) */
		lua_pushinteger(L, n > 0 ? colof[n - 1] + 2 : 1);
	lua_pushlstring(L, text + s, e - s);
	return 3;
}

/*
 * s:feed(bytes) -> the terminal's replies (maybe "")  [-0, +1, v]
 * Only for a screen no process feeds.
 */
static int
screen_feed(lua_State *L)
{
	struct screen *sc = check_raw(L);
	size_t n, rn;
	const char *s = luaL_checklstring(L, 2, &n), *r;

	if (sc->proc != NULL)
		return luaL_error(L, "feed: this screen is fed by its process");
	vt_feed(sc->vt, s, n);
	r = vt_replies(sc->vt, &rn);
	lua_pushlstring(L, r != NULL ? r : "", rn);
	vt_replies_clear(sc->vt);
	return 1;
}

/* s:resize(rows, cols): only for a screen no process feeds  [-0, +0, v] */
static int
screen_resize(lua_State *L)
{
	struct screen *sc = check_screen(L);
	int rows = check_size(L, 2, "rows", 65535);
	int cols = check_size(L, 3, "cols", 65535);

	if (sc->proc != NULL)
		return luaL_error(L, "resize: use the process's setwinsize");
	vt_resize(sc->vt, clamp(rows, 1, MAX_ROWS),
	    clamp(cols, VT_MIN_COLS, MAX_COLS));
	return 0;
}

/* s:changes() -> a count that moves whenever something is drawn  [-0, +1, -] */
static int
screen_changes(lua_State *L)
{
	lua_pushinteger(L, (lua_Integer)vt_changes(check_raw(L)->vt));
	return 1;
}

/* s:idle() -> seconds since something was last drawn  [-0, +1, -] */
static int
screen_idle(lua_State *L)
{
	lua_pushnumber(L, vt_idle(check_raw(L)->vt));
	return 1;
}

/*
 * s:attached() -> whether a process feeds it (and can: no EOF yet)
 * [-0, +1, -]
 */
static int
screen_attached(lua_State *L)
{
	struct proc *p = check_raw(L)->proc;

	lua_pushboolean(L, p != NULL && !p->eof);
	return 1;
}

/*
 * s:_fastpath([on]) -> bytes the fast path skipped  [-0, +1, -]
 * For the specs and the benchmark (see vt_fast.c).
 */
static int
screen_fastpath(lua_State *L)
{
	struct screen *sc = check_raw(L);

	if (!lua_isnoneornil(L, 2))
		vt_set_fastpath(sc->vt, lua_toboolean(L, 2) ? VT_FAST_ON :
		    VT_FAST_OFF);
	lua_pushinteger(L, (lua_Integer)vt_skipped(sc->vt));
	return 1;
}

static const luaL_Reg screen_meth[] = {
	{ "size", screen_size },
	{ "text", screen_text },
	{ "row", screen_row },
	{ "cursor", screen_cursor },
	{ "cell", screen_cell },
	{ "title", screen_title },
	{ "alt", screen_alt },
	{ "_find", screen_find },
	{ "feed", screen_feed },
	{ "resize", screen_resize },
	{ "changes", screen_changes },
	{ "idle", screen_idle },
	{ "attached", screen_attached },
	{ "_fastpath", screen_fastpath },
	{ NULL, NULL }
};

static const luaL_Reg screen_metameth[] = {
	{ "__gc", screen__gc },
	{ NULL, NULL }
};

/*
 * Add core.screen, core.screen_attach and core.Screen (the methods
 * table, which lua/ptyscript/screen.lua extends); stack: module, loop.
 */
void
lcore_open_screen(lua_State *L)
{
	lcore_newmeta(L, SCREEN_MT, screen_meth, screen_metameth);
	lua_pushcfunction(L, l_screen);
	lua_setfield(L, -3, "screen");
	lua_pushcfunction(L, l_screen_attach);
	lua_setfield(L, -3, "screen_attach");
	luaL_getmetatable(L, SCREEN_MT);
	lua_getfield(L, -1, "__index");
	lua_setfield(L, -4, "Screen");
	lua_pop(L, 1);
}
