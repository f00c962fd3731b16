/*
 * vt.c - the screen emulator: libvterm behind a small interface.
 *
 * Why libvterm: it is the terminal emulator neovim and vim's :terminal
 * are built on, a plain C library that Debian ships and keeps (0.1.4 in
 * bookworm), with no I/O of its own.  It answers the queries a program
 * sends its terminal (DSR 5n and 6n, DA c and >c) through its output
 * callback, which we collect in `reply` for the owner to send.
 *
 * This file makes the screen and reads it back.  The child's bytes reach
 * libvterm through two others: vt_shield.c, which keeps libvterm 0.1.4
 * from its bugs (vt_feed, vt_resize), and vt_fast.c, which skips text
 * that cannot show (vt_flush); both act on the one reader of the
 * escape-sequence grammar, vt_track.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vt_int.h"

static int
cb_damage(VTermRect rect, void *user)
{
	(void)rect;
	vt_touch(user);
	return 1;
}

static int
cb_moverect(VTermRect dest, VTermRect src, void *user)
{
	(void)dest;
	(void)src;
	vt_touch(user);
	return 1;
}

static int
cb_movecursor(VTermPos pos, VTermPos oldpos, int visible, void *user)
{
	(void)pos;
	(void)oldpos;
	(void)visible;
	vt_touch(user);
	return 1;
}

static int
cb_settermprop(VTermProp prop, VTermValue *val, void *user)
{
	struct vt *v = user;
	char *t;

	switch (prop) {
	case VTERM_PROP_TITLE:
		/* 0.1.x gives the whole title, NUL-terminated */
		if (val->string != NULL && (t = strdup(val->string)) != NULL) {
			free(v->title);
			v->title = t;
		}
		break;
	case VTERM_PROP_ALTSCREEN:
		v->alt = val->boolean != 0;
		break;
	case VTERM_PROP_CURSORVISIBLE:
		v->cursor_visible = val->boolean != 0;
		break;
	default:
		break;
	}
	vt_touch(v);
	return 1;
}

static const VTermScreenCallbacks callbacks = {
	.damage = cb_damage,
	.moverect = cb_moverect,
	.movecursor = cb_movecursor,
	.settermprop = cb_settermprop,
};

/* libvterm's answer to a query: queue it (never sent from here). */
static void
cb_output(const char *s, size_t n, void *user)
{
	struct vt *v = user;
	size_t cap;
	char *r;

	if (v->nreply + n > v->capreply) {
		cap = v->capreply ? v->capreply : 64;
		while (cap < v->nreply + n)
			cap *= 2;
		if (cap > 64 * 1024 || (r = realloc(v->reply, cap)) == NULL)
			return;		/* a flood of queries: answer what fits */
		v->reply = r;
		v->capreply = cap;
	}
	memcpy(v->reply + v->nreply, s, n);
	v->nreply += n;
}

/* A new screen of rows x cols, or NULL (out of memory). */
struct vt *
vt_new(int rows, int cols)
{
	struct vt *v = calloc(1, sizeof *v);

	if (v == NULL)
		return NULL;
	rows = rows < 1 ? 1 : rows;
	cols = cols < VT_MIN_COLS ? VT_MIN_COLS : cols;
	v->term = vterm_new(rows, cols);
	if (v->term == NULL) {
		free(v);
		return NULL;
	}
	v->rows = rows;
	v->cols = cols;
	v->cursor_visible = 1;
	vt_fast_init(v);
	vterm_set_utf8(v->term, 1);
	vterm_output_set_callback(v->term, cb_output, v);
	v->state = vterm_obtain_state(v->term);
	v->screen = vterm_obtain_screen(v->term);
	vterm_screen_set_callbacks(v->screen, &callbacks, v);
	vterm_screen_enable_altscreen(v->screen, 1);
	/* one damage report per feed, not one per cell */
	vterm_screen_set_damage_merge(v->screen, VTERM_DAMAGE_SCROLL);
	vterm_screen_reset(v->screen, 1);
	clock_gettime(CLOCK_MONOTONIC, &v->last);
	return v;
}

void
vt_free(struct vt *v)
{
	if (v == NULL)
		return;
	vterm_free(v->term);
	vt_fast_free(v);
	free(v->title);
	free(v->reply);
	free(v);
}

void
vt_size(const struct vt *v, int *rows, int *cols)
{
	*rows = v->rows;
	*cols = v->cols;
}

/* Append code point c as UTF-8; returns bytes written (<= 4). */
static size_t
utf8(char *out, uint32_t c)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		c = 0xfffd;
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/*
 * The text of row (0-based) as UTF-8, trailing blanks trimmed; blank
 * cells are spaces, a wide character is written once.  out needs
 * cols * 24 bytes; colof, if not NULL, gets the 0-based column of the
 * cell each byte comes from.  Returns the length.
 */
size_t
vt_row_text(const struct vt *v, int row, char *out, size_t cap, int *colof)
{
	VTermScreenCell cell;
	VTermPos pos;
	size_t n = 0, keep = 0, k, i;
	int j;
	char tmp[VTERM_MAX_CHARS_PER_CELL * 4];

	if (row < 0 || row >= v->rows)
		return 0;
	pos.row = row;
	for (pos.col = 0; pos.col < v->cols; pos.col++) {
		if (!vterm_screen_get_cell(v->screen, pos, &cell))
			break;
		if (cell.chars[0] == (uint32_t)-1)
			continue;	/* the right half of a wide character */
		k = 0;
		if (cell.chars[0] == 0)
			tmp[k++] = ' ';
		for (j = 0; j < VTERM_MAX_CHARS_PER_CELL && cell.chars[j]; j++)
			k += utf8(tmp + k, cell.chars[j]);
		if (n + k > cap)
			break;
		memcpy(out + n, tmp, k);
		if (colof != NULL)
			for (i = 0; i < k; i++)
				colof[n + i] = pos.col;
		n += k;
		if (cell.chars[0] != 0 && cell.chars[0] != ' ')
			keep = n;
	}
	return keep;
}

static uint32_t
rgb_of(const struct vt *v, VTermColor col)
{
	vterm_screen_convert_color_to_rgb(v->screen, &col);
	return ((uint32_t)col.rgb.red << 16) | ((uint32_t)col.rgb.green << 8) |
	    col.rgb.blue;
}

/* The cell at row, col (0-based); 0 if out of range. */
int
vt_cell(const struct vt *v, int row, int col, struct vt_cell *c)
{
	VTermScreenCell cell;
	VTermPos pos;
	size_t k = 0;
	int j;

	memset(c, 0, sizeof *c);
	if (row < 0 || row >= v->rows || col < 0 || col >= v->cols)
		return 0;
	pos.row = row;
	pos.col = col;
	if (!vterm_screen_get_cell(v->screen, pos, &cell))
		return 0;
	if (cell.chars[0] == (uint32_t)-1) {
		c->width = 0;
	} else {
		c->width = cell.width;
		for (j = 0; j < VTERM_MAX_CHARS_PER_CELL && cell.chars[j] &&
		    k + 4 < sizeof c->text; j++)
			k += utf8(c->text + k, cell.chars[j]);
	}
	c->text[k] = '\0';
	c->bold = cell.attrs.bold;
	c->italic = cell.attrs.italic;
	c->blink = cell.attrs.blink;
	c->reverse = cell.attrs.reverse;
	c->strike = cell.attrs.strike;
	c->underline = cell.attrs.underline;
	c->fg_default = VTERM_COLOR_IS_DEFAULT_FG(&cell.fg);
	c->bg_default = VTERM_COLOR_IS_DEFAULT_BG(&cell.bg);
	c->fg_index = VTERM_COLOR_IS_INDEXED(&cell.fg) && !c->fg_default ?
	    cell.fg.indexed.idx : -1;
	c->bg_index = VTERM_COLOR_IS_INDEXED(&cell.bg) && !c->bg_default ?
	    cell.bg.indexed.idx : -1;
	c->fg_rgb = rgb_of(v, cell.fg);
	c->bg_rgb = rgb_of(v, cell.bg);
	return 1;
}

/* The cursor, 0-based, and whether the program shows it. */
void
vt_cursor(const struct vt *v, int *row, int *col, int *visible)
{
	VTermPos pos;

	vterm_state_get_cursorpos(v->state, &pos);
	*row = pos.row;
	*col = pos.col;
	*visible = v->cursor_visible;
}

const char *
vt_title(const struct vt *v)
{
	return v->title != NULL ? v->title : "";
}

int
vt_alt(const struct vt *v)
{
	return v->alt;
}

/* A count that moves whenever anything is drawn (text, cursor, modes). */
unsigned long long
vt_changes(const struct vt *v)
{
	return v->changes;
}

/* Seconds since anything was last drawn (or since the screen was made). */
double
vt_idle(const struct vt *v)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - v->last.tv_sec) +
	    (double)(now.tv_nsec - v->last.tv_nsec) / 1e9;
}

/* The queued answers to the program's queries (not NUL-terminated). */
const char *
vt_replies(const struct vt *v, size_t *n)
{
	*n = v->nreply;
	return v->reply;
}

void
vt_replies_clear(struct vt *v)
{
	v->nreply = 0;
}
