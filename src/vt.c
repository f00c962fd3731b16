/*
 * vt.c - the screen emulator: libvterm behind a small interface.
 *
 * Why libvterm: it is the terminal emulator neovim and vim's :terminal
 * are built on, a plain C library that Debian ships and keeps (0.1.4 in
 * bookworm), with no I/O of its own.  It answers the queries a program
 * sends its terminal (DSR 5n and 6n, DA c and >c) through its output
 * callback, which we collect in `reply` for the owner to send.
 *
 * The fast path.  libvterm moves the whole screen in memory for every
 * line that scrolls (75% of its time on `seq`-like output), so a flood
 * of plain lines costs ~0.1 us a byte.  Yet plain text that is followed
 * by 2 x rows more line feeds of plain text cannot show on the final
 * screen: everything on the screen before it, and everything it draws,
 * scrolls off.  So a trailing run of plain bytes (printable, UTF-8, CR,
 * LF, TAB, BS, BEL, NUL, DEL: nothing that changes the emulator's modes,
 * pen, charset or margins) is cut at a CR after which at least 2 x rows
 * LFs follow and a printable byte comes next, and before which rows - 1
 * LFs went: the bytes before the cut are dropped and the cursor is put
 * where they would have left it, on the last row, column 0, with no wrap
 * pending.  On the last row: libvterm keeps a pending wrap over a line
 * feed that scrolls and drops it over one that moves down, so where the
 * rest lands depends on its row.  This holds only without scroll
 * margins (DECSTBM, DECSLRM), so a small tracker of the escape-sequence
 * grammar follows the stream to know where sequences end and whether a
 * margin may be set; when in doubt it does not skip.  What it does not
 * model exactly turns the cut off until RIS (ESC c) resets the terminal
 * (v->unsure): any ESC # (double-width and double-height lines change
 * where text lands), and a DECSTBM or mode set/reset whose parameters are
 * cut short at CSI_MAX, have a ':' or a number of more than 6 digits
 * (libvterm reads 1:3 as 1;3 and keeps 31 bits of 2147483651).  Nor
 * does it cut where the dropped bytes are not whole UTF-8 sequences:
 * libvterm's decoder waits for a continuation byte across lines of ASCII
 * (u8check).  Plain bytes are held back (up to PEND_MAX) until more
 * come or the screen is read, so that the cut works across reads; text
 * that wraps without line ends is cut in whole lines (wrapcut).  Each
 * byte held back is looked at a bounded number of times however small
 * the reads (cutlow, tail).  vt_set_fastpath(v, VT_FAST_OFF) turns it
 * off (the specs compare both ways).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vterm.h>

#include "vt.h"

enum { G_GROUND, G_ESC, G_ESC_INT, G_CSI, G_STR, G_STR_ESC };

#define CSI_MAX	32		/* parameter bytes kept of one CSI */
#define CSI_ARGS_SAFE	15	/* separators libvterm's CSI parser takes */
#define END_ESC	0x100		/* seq_step(): an ESC sequence ended, */
#define END_CSI	0x200		/* or a CSI; | its final byte, */
#define END_INTER	0x400	/* | with intermediate bytes */

/* Where a byte stream is in libvterm 0.1.4's grammar (seq_step). */
struct seq {
	int g;				/* G_* */
	char csi[CSI_MAX + 1];		/* a CSI's leader and parameters */
	size_t ncsi;
	unsigned nsep;			/* its ';' and ':' */
	int csi_args;			/* a digit, ';' or ':' was seen */
	int inter;			/* an intermediate byte was seen */
};

struct vt {
	VTerm *term;
	VTermScreen *screen;
	VTermState *state;
	int rows, cols;
	/* the child's bytes as they come (see vt_feed) */
	struct seq in;
	int cancelled;			/* the rest of a CSI is dropped */
	int esc_held;			/* a string's ESC not fed yet */
	char repch[4];			/* the last graphic character, UTF-8 */
	size_t nrepch, wantrep;		/* its length; bytes still to come */
	char *title;
	int alt, cursor_visible;
	unsigned long long changes;
	struct timespec last;		/* of the last change */
	char *reply;			/* the emulator's answers, to send */
	size_t nreply, capreply;
	/* the fast path's view of the stream */
	int fast;			/* VT_FAST_* */
	struct seq fed;			/* the bytes fed to libvterm */
	int margins;			/* 1 full (default), 2 full given
					   explicitly, 0 maybe not full */
	int lr_margins;			/* DECLRMM was turned on: unknown */
	int nowrap;			/* DECAWM was turned off */
	int unsure;			/* the tracker met what it does not
					   model: no cut until RIS */
	unsigned long long skipped;
	char *pend;			/* plain bytes not fed yet */
	size_t npend, cappend;
	int pend_cut;			/* a cut: the cursor goes to the last
					   row first */
	int u8need;			/* continuation bytes libvterm's UTF-8
					   decoder waits for (a model) */
	int pend_u8;			/* u8need where pend starts */
	size_t u8scan;			/* pend[0, u8scan) checked (u8check) */
	size_t u8bad;			/* the first byte in pend not in a
					   whole UTF-8 sequence, or NONE */
	size_t cutlow;			/* no cut below: looked at (cut) */
	size_t tail;			/* printable ASCII bytes ending pend */
	char carry[8];			/* a UTF-8 sequence not whole yet */
	size_t ncarry;
	int want_rows, want_cols;	/* a resize waiting for the end of a
					   sequence (vt_resize), or 0 */
};

#define PEND_MAX	(64 * 1024)	/* fed at once past this */
#define NONE	((size_t)-1)

/* Bytes that change nothing but the text and the cursor (see above). */
static unsigned char plain[256];

static void
init_plain(void)
{
	int c;

	if (plain['a'])
		return;
	for (c = 0x20; c < 256; c++)
		plain[c] = 1;
	plain[0] = plain['\a'] = plain['\b'] = plain['\t'] = 1;
	plain['\n'] = plain['\r'] = 1;
}

static void
touch(struct vt *v)
{
	v->changes++;
}

static int
cb_damage(VTermRect rect, void *user)
{
	(void)rect;
	touch(user);
	return 1;
}

static int
cb_moverect(VTermRect dest, VTermRect src, void *user)
{
	(void)dest;
	(void)src;
	touch(user);
	return 1;
}

static int
cb_movecursor(VTermPos pos, VTermPos oldpos, int visible, void *user)
{
	(void)pos;
	(void)oldpos;
	(void)visible;
	touch(user);
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
	touch(v);
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
	init_plain();
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
	v->fast = VT_FAST_ON;
	v->margins = 1;
	v->u8bad = NONE;
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
	free(v->pend);
	free(v->title);
	free(v->reply);
	free(v);
}

/*
 * Whether a CSI's parameters are beyond the tracker: cut short at
 * CSI_MAX, with a sub-parameter (libvterm reads 1:3 much as 1;3), or with
 * a number so long that libvterm's may differ from strtol's (libvterm
 * keeps the low 31 bits: 2147483651 is 3).
 */
static int
odd_params(const struct vt *v)
{
	size_t i, digits = 0;

	if (v->fed.ncsi >= CSI_MAX)
		return 1;
	for (i = 0; i < v->fed.ncsi; i++) {
		if (v->fed.csi[i] == ':')
			return 1;
		digits = v->fed.csi[i] >= '0' && v->fed.csi[i] <= '9' ? digits + 1 : 0;
		if (digits > 6)
			return 1;
	}
	return 0;
}

/* The fast path's tracker: a CSI sequence ended (seq_step's `end`). */
static void
csi_done(struct vt *v, int end)
{
	int final = end & 0xff;
	long top = -1, bottom = -1, n;
	const char *p = v->fed.csi, *lim = v->fed.csi + v->fed.ncsi;
	int leader = v->fed.ncsi > 0 &&
	    (v->fed.csi[0] < '0' || v->fed.csi[0] > ';');

	if (end & END_INTER)
		return;		/* e.g. DECSTR (CSI ! p): margins left as known */
	v->fed.csi[v->fed.ncsi] = '\0';	/* for strtol */
	if ((final == 'r' || final == 'h' || final == 'l') && odd_params(v)) {
		v->unsure = 1;
		return;
	}
	if (final == 'r' && !leader) {			/* DECSTBM */
		if (p < lim && *p != ';')
			top = strtol(p, NULL, 10);
		p = memchr(p, ';', (size_t)(lim - p));
		if (p != NULL && p + 1 < lim && p[1] >= '0' && p[1] <= '9')
			bottom = strtol(p + 1, NULL, 10);
		if (top <= 1 && bottom == -1)
			v->margins = 1;
		else if (top <= 1 && bottom >= v->rows)
			v->margins = 2;
		else
			v->margins = 0;
		if (v->fed.ncsi >= CSI_MAX)
			v->margins = 0;	/* cut short: unknown */
		return;
	}
	if ((final == 'h' || final == 'l') && leader && v->fed.csi[0] == '?') {
		char *q = v->fed.csi + 1;

		while (q < lim) {
			n = strtol(q, &q, 10);
			if (n == 69 && final == 'h')
				v->lr_margins = 1;	/* DECLRMM */
			if (n == 7)
				v->nowrap = final == 'l';	/* DECAWM */
			if (q >= lim || *q != ';')
				break;
			q++;
		}
	}
}

/*
 * Follow one byte of escape-sequence grammar as libvterm 0.1.4's parser
 * reads it (checked against the library, byte by byte): C0 controls
 * inside a sequence are executed and NUL and DEL ignored; ESC starts a
 * new sequence, or inside a string may begin its ST; CAN and SUB cancel.
 * After ESC and any intermediates, '[' opens a CSI and ']' or 'P' a
 * string (OSC, DCS; ESC X, ^ and _ are C1 controls to it, not strings).
 * A CSI is a leader (< = > ?), then digits, ';' and ':', then
 * intermediates: any other byte ends it unfinished.  Returns END_ESC
 * or END_CSI with the final byte (and END_INTER) when a sequence ends,
 * else 0.  One function for both views of the stream: the child's bytes
 * (vt_feed) and what is fed to libvterm (track).
 */
static int
seq_step(struct seq *q, unsigned char c)
{
	if (c == 0x18 || c == 0x1a) {
		q->g = G_GROUND;
		return 0;
	}
	if (c == 0x1b) {
		q->g = q->g == G_STR ? G_STR_ESC : G_ESC;
		q->inter = 0;
		return 0;
	}
	if (c < 0x20 || c == 0x7f) {
		if (c == 0x07 && q->g == G_STR)
			q->g = G_GROUND;	/* BEL ends a string */
		return 0;
	}
	switch (q->g) {
	case G_GROUND:
	case G_STR:
		break;
	case G_STR_ESC:
		if (c == '\\') {
			q->g = G_GROUND;	/* ST */
			break;
		}
		q->g = G_ESC;
		/* FALLTHROUGH */
	case G_ESC:
	case G_ESC_INT:
		if (c == '[') {
			q->g = G_CSI;
			q->ncsi = 0;
			q->nsep = 0;
			q->csi_args = 0;
			q->inter = 0;
		} else if (c == ']' || c == 'P') {
			q->g = G_STR;
		} else if (c >= 0x20 && c <= 0x2f) {
			q->g = G_ESC_INT;
			q->inter = 1;
		} else if (c < 0x7f) {
			q->g = G_GROUND;
			return END_ESC | c | (q->inter ? END_INTER : 0);
		}		/* high bytes: still in ESC */
		break;
	case G_CSI:
		if (c >= 0x40 && c <= 0x7e) {
			q->g = G_GROUND;
			return END_CSI | c | (q->inter ? END_INTER : 0);
		}
		if (c >= 0x20 && c <= 0x2f) {
			q->inter = 1;
		} else if (c >= 0x30 && c <= 0x3f && !q->inter &&
		    (c <= 0x3b || !q->csi_args)) {
			if (c <= 0x3b)
				q->csi_args = 1;
			if (c == ';' || c == ':')
				q->nsep++;
			if (q->ncsi < CSI_MAX)
				q->csi[q->ncsi++] = (char)c;
		} else {
			q->g = G_GROUND;	/* not a CSI after all */
		}
		break;
	}
	return 0;
}

/*
 * The fast path's tracker: follow one byte fed to libvterm, and the
 * modes and margins it sets (csi_done).  Returns as seq_step.
 */
static int
track(struct vt *v, unsigned char c)
{
	int end = seq_step(&v->fed, c);

	if (c == '#' && v->fed.g == G_ESC_INT)
		v->unsure = 1;		/* DECDHL, DECDWL, DECALN */
	if (end == (END_ESC | 'c')) {	/* RIS */
		v->margins = 1;
		v->lr_margins = 0;
		v->nowrap = 0;
		v->unsure = 0;
	} else if (end & END_CSI) {
		csi_done(v, end);
	}
	return end;
}

/*
 * How many of s[0, n) are printable ASCII from the start, give or take
 * the last 7: whole words of 8 bytes at a time, for the loops over long
 * runs of text (no byte has the top bit set or is below 0x20).
 */
static size_t
ascii_words(const unsigned char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080u, sp = 0x2020202020202020u;
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if ((w & hi) != 0 || ((w - sp) & ~w & hi) != 0)
			break;
	}
	return i;
}

/* How many bytes a UTF-8 sequence led by c has (libvterm's view), or 0. */
static int
seqlen(unsigned char c)
{
	return c < 0xc0 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 :
	    c < 0xfc ? 5 : c < 0xfe ? 6 : 0;
}

/*
 * libvterm's UTF-8 decoder after byte c of text, in a model: *need is
 * how many continuation bytes it waits for.  It keeps waiting across
 * controls, escape sequences and some ASCII, and FE and FF leave it be.
 * The model never says 0 where libvterm waits (libvterm also stops
 * waiting at some ASCII, which the model does not follow).
 */
static void
u8step(int *need, unsigned char c)
{
	if (c < 0xc0) {
		if (*need > 0)
			(*need)--;
	} else if (c < 0xfe) {
		*need = seqlen(c) - 1;
	}
}

/*
 * Follow s[0, n) with the tracker; return where the trailing run of
 * plain bytes read in the ground state starts, or n if there is none,
 * and in *run_u8 the decoder model (u8need) where it starts.
 */
static size_t
scan(struct vt *v, const unsigned char *s, size_t n, int *run_u8)
{
	size_t i = 0, run = n;

	while (i < n) {
		if (v->fed.g == G_GROUND && plain[s[i]]) {
			run = i;
			*run_u8 = v->u8need;
			i += ascii_words(s + i, n - i);
			for (; i < n && plain[s[i]]; i++)
				if (s[i] >= 0x80)
					u8step(&v->u8need, s[i]);
			continue;
		}
		run = n;
		track(v, s[i++]);
	}
	return run;
}

/*
 * Find the first byte of pend that a cut may not drop (v->u8bad), from
 * where the last look stopped.  The bytes before a cut must be whole
 * UTF-8 sequences (no stray continuation byte, no lead byte without all
 * of its continuation bytes); and only ASCII if libvterm's decoder was
 * already waiting where pend starts (pend_u8), for a dropped sequence
 * would end that wait without the fast path and not with it.  So the
 * dropped bytes leave the decoder as they found it, as skipping does.
 */
static void
u8check(struct vt *v)
{
	const unsigned char *s = (const unsigned char *)v->pend;
	size_t i = v->u8scan, n = v->npend, len, k;

	while (i < n && v->u8bad == NONE) {
		if (s[i] < 0x80) {
			i++;
			i += ascii_words(s + i, n - i);
			continue;
		}
		len = (size_t)seqlen(s[i]);
		if (v->pend_u8 != 0 || len == 0) {
			v->u8bad = i;
			break;
		}
		if (n - i < len)
			break;		/* not whole yet: look again later */
		for (k = 1; k < len && (s[i + k] & 0xc0) == 0x80; k++)
			;
		if (k < len) {
			v->u8bad = i;
			break;
		}
		i += len;
	}
	v->u8scan = i;
}

/* pend lost bytes [at, at + k): move a position in it to match. */
static size_t
shift(size_t pos, size_t at, size_t k)
{
	if (pos == NONE || pos <= at)
		return pos;
	return pos >= at + k ? pos - k : at;
}

/*
 * Where the fast path may resume in pend: at a printable ASCII byte just
 * after a CR or a CR LF, followed by at least 2 x rows LFs, after rows - 1
 * LFs (on the last row), and not past u8bad; or 0 when it may not skip.
 * The places below v->cutlow were looked at before and found wanting:
 * whether one will do depends only on the bytes before and around it and
 * on enough LFs after it, which more bytes do not undo; so each byte is
 * looked at once, however small the reads.
 */
static size_t
cut(struct vt *v)
{
	const unsigned char *s = (const unsigned char *)v->pend, *p;
	size_t n = v->npend, i = n, lf = 0, need = 2 * (size_t)v->rows, thr;
	size_t low = v->cutlow, k = 0;

	if (v->fast != VT_FAST_ON || v->margins == 0 || v->lr_margins ||
	    v->unsure || n < need * 2)
		return 0;
	while (lf < need && (p = memrchr(s, '\n', i)) != NULL) {
		i = (size_t)(p - s);
		lf++;
	}
	if (lf < need)
		return 0;
	thr = i;
	if (v->u8bad != NONE && v->u8bad < i)
		i = v->u8bad;
	/* nor before the first rows - 1 LFs */
	for (lf = 1; lf < (size_t)v->rows; lf++) {
		if ((p = memchr(s + k, '\n', i - k)) == NULL) {
			v->cutlow = thr;
			return 0;
		}
		k = (size_t)(p - s) + 1;
	}
	if (k > 0 && k - 1 > low)
		low = k - 1;
	/* i + 1 must start a line: after "\r" or "\r\n" (column 0) */
	while (i > low) {
		i--;
		if (s[i + 1] >= 0x20 && s[i + 1] < 0x7f &&
		    (s[i] == '\r' || (s[i] == '\n' && i > 0 && s[i - 1] == '\r')))
			return i + 1;
	}
	v->cutlow = thr;
	return 0;
}

/*
 * Feed the plain bytes held back (vt_feed), so the screen is up to date.
 * They were counted as a change when they came.
 */
void
vt_flush(struct vt *v)
{
	unsigned long long changes = v->changes;
	char cup[32];
	int k;

	if (v->npend == 0)
		return;
	if (v->pend_cut) {
		k = snprintf(cup, sizeof cup, "\033[%d;1H", v->rows);
		vterm_input_write(v->term, cup, (size_t)k);
	}
	vterm_input_write(v->term, v->pend, v->npend);
	vterm_screen_flush_damage(v->screen);
	v->npend = 0;
	v->pend_cut = 0;
	v->u8scan = 0;
	v->u8bad = NONE;
	v->cutlow = 0;
	v->tail = 0;
	v->changes = changes;
}

/*
 * Text with no line ends at all wraps instead: in a trailing run of
 * printable ASCII (v->tail bytes, one column each), whole lines' worth
 * (cols bytes) may go from its front as long as 2 x rows lines' worth
 * stay, for every byte after them lands in the same column as before,
 * and on the final screen only lines the rest wrote wholly show.  Needs
 * autowrap on.
 * Returns how many bytes to drop at *at.
 */
static size_t
wrapcut(const struct vt *v, size_t n, size_t *at)
{
	size_t t = n - v->tail, keep = 2 * (size_t)v->rows * (size_t)v->cols;
	size_t k;

	if (v->fast != VT_FAST_ON || v->margins == 0 || v->lr_margins ||
	    v->nowrap || v->unsure || n < keep * 2 || v->tail > n)
		return 0;
	if (n - t < keep + (size_t)v->cols)
		return 0;
	k = (n - t - keep) / (size_t)v->cols;
	*at = t;
	return k * (size_t)v->cols;
}

/*
 * Whether plain bytes draw or move the cursor: all but NUL, BEL and DEL
 * do (libvterm ignores NUL and DEL, and has no bell to ring), so a
 * program that only beeps, or pads with NULs, lets the screen settle.
 */
static int
draws(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != '\0' && s[i] != '\a' && s[i] != 0x7f)
			return 1;
	return 0;
}

/* Hold plain bytes back, cut what cannot show; 0, or -1 (no memory). */
static int
pend_add(struct vt *v, const char *s, size_t n)
{
	size_t cap, p, at = 0, k;
	char *np;

	if (v->npend + n > v->cappend) {
		cap = v->cappend ? v->cappend : 4096;
		while (cap < v->npend + n)
			cap *= 2;
		if ((np = realloc(v->pend, cap)) == NULL)
			return -1;
		v->pend = np;
		v->cappend = cap;
	}
	memcpy(v->pend + v->npend, s, n);
	v->npend += n;
	for (k = n; k > 0 && s[k - 1] >= 0x20 && s[k - 1] < 0x7f; k--)
		;
	v->tail = k == 0 ? v->tail + n : n - k;
	u8check(v);
	/* no new LF, no new place to cut at */
	if (memchr(s, '\n', n) != NULL && (p = cut(v)) > 0) {
		memmove(v->pend, v->pend + p, v->npend - p);
		v->npend -= p;
		v->pend_cut = 1;
		v->skipped += p;
		v->u8scan = shift(v->u8scan, 0, p);
		v->u8bad = shift(v->u8bad, 0, p);
		v->cutlow = 0;
		if (v->tail > v->npend)
			v->tail = v->npend;
	}
	if ((p = wrapcut(v, v->npend, &at)) > 0) {
		memmove(v->pend + at, v->pend + at + p, v->npend - at - p);
		v->npend -= p;
		v->skipped += p;
		v->u8scan = shift(v->u8scan, at, p);
		v->u8bad = shift(v->u8bad, at, p);
		v->tail -= p;
	}
	if (draws(s, n))
		touch(v);
	if (v->npend > PEND_MAX)
		vt_flush(v);
	return 0;
}

/*
 * Feed bytes to the emulator (replies queue up).  A trailing run of
 * plain bytes is held back, to be cut when enough lines follow (see the
 * top of the file); reading the screen feeds it (vt_flush).
 */
static void
feed_one(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long long before = v->changes;
	size_t q, j;
	int run_u8 = 0, rows, cols;
	struct seq t;

	if (n == 0)
		return;
	if (v->want_rows > 0) {
		/* feed up to the end of the sequence, then resize */
		t = v->fed;
		for (j = 0; j < n && t.g != G_GROUND; j++)
			seq_step(&t, u[j]);
		if (t.g == G_GROUND) {
			rows = v->want_rows;
			cols = v->want_cols;
			v->want_rows = 0;
			feed_one(v, s, j);
			vt_resize(v, rows, cols);
			feed_one(v, s + j, n - j);
			return;
		}
	}
	q = scan(v, u, n, &run_u8);	/* always: the tracker must keep up */
	if (!v->fast)
		q = n;
	if (q > 0) {
		vt_flush(v);	/* what came first goes first */
		vterm_input_write(v->term, s, q);
	}
	if (v->npend == 0)
		v->pend_u8 = run_u8;
	if (q < n && pend_add(v, s + q, n - q) == -1) {
		vt_flush(v);
		vterm_input_write(v->term, s + q, n - q);
	}
	vterm_screen_flush_damage(v->screen);
	if (v->changes != before)
		clock_gettime(CLOCK_MONOTONIC, &v->last);
}

static const char fffd[] = "\xef\xbf\xbd";	/* U+FFFD */

/* Put libvterm's cursor back on the screen if it is off (see below). */
static void
cursor_onscreen(struct vt *v)
{
	VTermPos pos;
	char cup[32];
	int k;

	vt_flush(v);
	vterm_state_get_cursorpos(v->state, &pos);
	if (v->fed.g != G_GROUND || (pos.row >= 0 && pos.row < v->rows &&
	    pos.col >= 0 && pos.col < v->cols))
		return;
	pos.row = pos.row < 0 ? 0 : pos.row >= v->rows ? v->rows - 1 : pos.row;
	pos.col = pos.col < 0 ? 0 : pos.col >= v->cols ? v->cols - 1 : pos.col;
	k = snprintf(cup, sizeof cup, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	vterm_input_write(v->term, cup, (size_t)k);
}

/*
 * libvterm 0.1.4 does not move a saved cursor into a screen made smaller,
 * so restoring it (DECRC, SCORC, leaving the alternate screen) can leave
 * the cursor off the screen, where the next line feed, character or ESC #
 * reads and writes out of bounds (crashes).  So the cursor is put back on
 * the screen after every sequence that may restore it, however it is
 * spelt (ESC 8 after C0 or high bytes, CSI ?1049;1l) and wherever the
 * feeds split it: the tracker finds them, as any ESC sequence ending in
 * '8' and any CSI ending in 'u' or 'l'.
 */
static int
restores(int end)
{
	end &= ~END_INTER;
	return end == (END_ESC | '8') || end == (END_CSI | 'u') ||
	    end == (END_CSI | 'l');
}

/* Feed s[0, n) with the cursor checked after the sequences above. */
static void
feed_guarded(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, from = 0;
	const unsigned char *e;
	struct seq t = v->fed;

	while (i < n) {
		if (t.g == G_GROUND) {
			/* text: to the next ESC in one step */
			e = memchr(u + i, 0x1b, n - i);
			if (e == NULL)
				break;
			i = (size_t)(e - u);
		}
		if (restores(seq_step(&t, u[i++]))) {
			feed_one(v, s + from, i - from);
			cursor_onscreen(v);
			from = i;
		}
	}
	feed_one(v, s + from, n - from);
}

/*
 * Feed s[0, n) with its C2 bytes made safe.  libvterm 0.1.4 decodes
 * C2 80..C2 9F as the C1 characters U+0080..U+009F and gives them width
 * -1: the cursor goes to negative columns, and the next erase or insert
 * crashes inside libvterm.  Its decoder also waits for the continuation
 * byte across controls and escape sequences ("C2 CR 85" is U+0085 too).
 * So a C2 reaches it only right before its continuation byte A0..BF; any
 * other C2 (with the 80..9F after it, if there is one) becomes U+FFFD.
 * Other forms of U+0080..U+009F are overlong: libvterm makes them U+FFFD.
 */
static void
feed_c1safe(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u;
	size_t i = 0, from = 0;

	while (i < n && (u = memchr(s + i, 0xc2, n - i)) != NULL) {
		i = (size_t)(u - (const unsigned char *)s);
		if (i + 1 < n && u[1] >= 0xa0 && u[1] <= 0xbf) {
			i += 2;		/* U+00A0..U+00BF */
			continue;
		}
		feed_guarded(v, s + from, i - from);
		feed_one(v, fffd, 3);
		i += i + 1 < n && u[1] >= 0x80 && u[1] <= 0x9f ? 2 : 1;
		from = i;
	}
	feed_guarded(v, s + from, n - from);
}

/*
 * Feed the child's bytes.  A UTF-8 sequence that a read cut in two
 * waits for the rest (v->carry): libvterm 0.1.4 decodes one split across
 * two writes wrongly when the second starts a run of text ("ab\xc3" then
 * "\xa9" shows "ab\uFFFD"), and a C2 must be seen with its next byte (see
 * feed_c1safe).  A sequence the next read does not complete is fed as
 * U+FFFD, so that libvterm's decoder is never left waiting by it.
 */
static void
feed_text(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, t, j;
	int len;

	if (n == 0)
		return;
	if (v->ncarry > 0) {
		len = seqlen(v->carry[0]);
		while (i < n && v->ncarry < (size_t)len && (u[i] & 0xc0) == 0x80)
			v->carry[v->ncarry++] = (char)u[i++];
		if (v->ncarry < (size_t)len && i == n)
			return;		/* still not whole */
		if (v->ncarry == (size_t)len)
			feed_c1safe(v, v->carry, v->ncarry);
		else
			feed_one(v, fffd, 3);
		v->ncarry = 0;
	}
	/* a sequence not whole at the end waits */
	t = n;
	for (j = n; j > i && n - j < 6; j--) {
		if ((u[j - 1] & 0xc0) == 0x80)
			continue;
		len = seqlen(u[j - 1]);
		if (len > 0 && n - (j - 1) < (size_t)len) {
			t = j - 1;
			memcpy(v->carry, s + t, n - t);
			v->ncarry = n - t;
		}
		break;
	}
	feed_c1safe(v, s + i, t - i);
}

/*
 * libvterm 0.1.4 keeps the scroll margins when the screen gets fewer
 * rows: a top margin below the new last row crashes it (a negative
 * memmove) at the next scroll.  So before such a resize, margins that may
 * be set are reset (DECSTBM with no parameters, as xterm resets them on
 * any resize) and the cursor, which that homes, is put back.  Only
 * between sequences (see vt_resize): in the middle of one, it would end it.
 */
static void
unset_margins(struct vt *v)
{
	VTermPos pos;
	char cup[32];
	int n;

	vterm_state_get_cursorpos(v->state, &pos);
	vterm_input_write(v->term, "\033[r", 3);
	n = snprintf(cup, sizeof cup, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	vterm_input_write(v->term, cup, (size_t)n);
	v->margins = 1;
}

/*
 * Resize the screen (flushing what is held back first).  When libvterm
 * 0.1.4 keeps the text at the bottom in view, it moves the cursor up with
 * it, to a negative row if the cursor's line goes off the top, and the
 * next character crashed it: the cursor goes to the top row then.  These
 * repairs are written between sequences only, so a resize to fewer rows
 * that comes in the middle of one waits for its end (v->want_rows, see
 * feed_one); the screen keeps its size until then.
 */
void
vt_resize(struct vt *v, int rows, int cols)
{
	VTermPos pos;
	char cup[32];
	int n;

	rows = rows < 1 ? 1 : rows;
	cols = cols < VT_MIN_COLS ? VT_MIN_COLS : cols;
	v->want_rows = 0;
	if (rows == v->rows && cols == v->cols)
		return;
	if (rows < v->rows && v->fed.g != G_GROUND) {
		v->want_rows = rows;
		v->want_cols = cols;
		return;
	}
	vt_flush(v);
	if (rows < v->rows && (v->margins != 1 || v->unsure))
		unset_margins(v);
	vterm_set_size(v->term, rows, cols);
	vterm_state_get_cursorpos(v->state, &pos);
	if (pos.row < 0) {
		/* libvterm 0.1.4 moved it up with the text, off the top */
		n = snprintf(cup, sizeof cup, "\033[1;%dH", pos.col + 1);
		vterm_input_write(v->term, cup, (size_t)n);
	}
	vterm_screen_flush_damage(v->screen);
	v->rows = rows;
	v->cols = cols;
	if (v->margins == 2)
		v->margins = 0;	/* an explicit bottom may no longer be the last row */
	touch(v);
	clock_gettime(CLOCK_MONOTONIC, &v->last);
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

/* VT_FAST_OFF, VT_FAST_ON or VT_FAST_HOLD (vt.h). */
void
vt_set_fastpath(struct vt *v, int mode)
{
	vt_flush(v);
	v->fast = mode;
}

/* Bytes the fast path has not needed to feed, in all. */
unsigned long long
vt_skipped(const struct vt *v)
{
	return v->skipped;
}

/*
 * Feed the child's bytes.  A tracker of their grammar (v->in, the same
 * seq_step as the fast path's) keeps libvterm 0.1.4 from three of its
 * bugs, across reads:
 *
 * REP (CSI n b: repeat the last character n times) loops forever when
 * the last glyph has no width (none printed yet, or a combining
 * character with no base): a child's output would hang ptyscript.  So
 * REP never reaches libvterm: the CSI is ended with a final libvterm
 * ignores ('y') and the last graphic character is written n times here
 * (at most a screenful; nothing when there was none).
 *
 * A CSI's parameters go into a fixed array without a bound: more than
 * 16 corrupt its memory.  The sequence is cancelled (CAN) at its 15th
 * separator and the rest of it dropped (its C0 controls still run, as
 * inside a CSI).
 *
 * libvterm takes the length of a string (OSC, DCS) ended by ESC \ as
 * from the last of its bytes it saw to the ESC, less one: -1 when a C0
 * control, NUL or DEL comes between the ESC and the '\', or when ESC
 * and '\' come in different writes after part of the string was saved
 * (at a NUL, DEL or C0 control); it then reads past the buffer (strncpy
 * in vterm_input_write).  So such a control is dropped, and a string's
 * ESC is fed in the same write as the byte after it: where a read ends
 * with it, or a dropped byte follows it, it is held back (esc_held).
 * (libvterm 0.1.4 loses a string cut between writes anyway.)
 */
void
vt_feed(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, from = 0, k, max, j;
	int end, ground;

	for (i = 0; i < n; i++) {
		unsigned char c = u[i];

		if (v->in.g == G_GROUND && c >= 0x20 && c < 0x7f) {
			/* printable ASCII (and DEL): only the last one counts */
			k = i + 1 + ascii_words(u + i + 1, n - i - 1);
			while (k < n && u[k] >= 0x20 && u[k] <= 0x7f)
				k++;
			for (j = k - 1; u[j] == 0x7f; j--)
				;
			v->repch[0] = (char)u[j];
			v->nrepch = 1;
			v->wantrep = 0;
			i = k - 1;
			continue;
		}
		if (v->in.g == G_STR_ESC) {
			if ((c < 0x20 || c == 0x7f) && c != 0x1b &&
			    c != 0x18 && c != 0x1a) {
				/* dropped; the ESC (at i - 1) held back */
				if (!v->esc_held && i > from)
					feed_text(v, s + from, i - 1 - from);
				v->esc_held = 1;
				from = i + 1;
				continue;
			}
			if (v->esc_held) {
				/* the ESC goes with this byte, in one write */
				feed_text(v, "\033\\", c == '\\' ? 2 : 1);
				from = c == '\\' ? i + 1 : i;
				v->esc_held = 0;
			}
		}
		ground = v->in.g == G_GROUND;
		end = seq_step(&v->in, c);
		if (v->cancelled) {
			if (c >= 0x20) {
				feed_text(v, s + from, i - from);
				from = i + 1;
			}
			if (v->in.g != G_CSI)
				v->cancelled = 0;
			continue;
		}
		if (ground && v->in.g == G_GROUND && c >= 0x20 && c != 0x7f) {
			/* text: the last graphic character, for REP */
			if (c < 0x7f) {
				v->repch[0] = (char)c;
				v->nrepch = 1;
				v->wantrep = 0;
			} else if (c >= 0xc2 && c <= 0xf4) {
				v->repch[0] = (char)c;
				v->nrepch = 1;
				v->wantrep = c < 0xe0 ? 1 : c < 0xf0 ? 2 : 3;
			} else if ((c & 0xc0) == 0x80 && v->wantrep > 0) {
				v->repch[v->nrepch++] = (char)c;
				v->wantrep--;
			}
		} else if (v->in.g == G_CSI && v->in.nsep >= CSI_ARGS_SAFE) {
			feed_text(v, s + from, i - from);
			feed_text(v, "\x18", 1);
			from = i + 1;
			v->cancelled = 1;
		} else if (end == (END_CSI | 'b') && (v->in.ncsi == 0 ||
		    v->in.csi[0] < 0x3c)) {
			feed_text(v, s + from, i - from);
			feed_text(v, "y", 1);
			from = i + 1;
			for (k = 0, j = 0; j < v->in.ncsi && k < 100000 &&
			    v->in.csi[j] >= '0' && v->in.csi[j] <= '9'; j++)
				k = k * 10 + (size_t)(v->in.csi[j] - '0');
			max = (size_t)v->rows * (size_t)v->cols;
			k = k == 0 ? 1 : k > max ? max : k;
			while (v->nrepch > 0 && v->wantrep == 0 && k-- > 0)
				feed_text(v, v->repch, v->nrepch);
		}
	}
	if (v->in.g == G_STR_ESC && !v->esc_held && n > from) {
		feed_text(v, s + from, n - 1 - from);	/* the ESC waits */
		v->esc_held = 1;
	} else {
		feed_text(v, s + from, n - from);
	}
}
