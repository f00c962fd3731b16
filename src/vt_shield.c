/*
 * vt_shield.c - the child's output and its owner's resizes, made safe
 * for libvterm 0.1.4.
 *
 * libvterm was not written for hostile input: fuzzing found a hang and
 * crashes in it (fuzz/README.md).  Every byte the child writes comes
 * through vt_feed, which first repairs the UTF-8 that libvterm would
 * decode wrongly or dangerously, then follows the result with the
 * tracker (vt_track.c) and guards libvterm at its word: text that is not
 * well-formed UTF-8, REP, a CSI with too many parameters, the end of a
 * string, a restored cursor.  What is safe goes on to the fast path
 * (vt_fast.c), which feeds libvterm.
 * vt_resize guards a resize the same way.  Each guard says at its place
 * which bug of libvterm's it keeps away.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "vt_int.h"

#define CSI_ARGS_SAFE	15	/* separators libvterm's CSI parser takes */

static const char fffd[] = "\xef\xbf\xbd";	/* U+FFFD */

#define NONE	((size_t)-1)

/* What guard() has followed and not passed on yet: s[from, i). */
struct chunk {
	const char *s;
	size_t from;
	size_t run;		/* where its trailing text starts, or NONE */
};

/* Pass the chunk on up to s[to]; the next starts at s[next]. */
static void
pass(struct vt *v, struct chunk *ch, size_t to, size_t next)
{
	size_t q = ch->run == NONE || ch->run > to ? to : ch->run;

	if (to > ch->from)
		vt_fast_feed(v, ch->s + ch->from, to - ch->from, q - ch->from);
	ch->from = next;
	ch->run = NONE;
}

/* Text at s[i] in the chunk. */
static void
text_at(struct chunk *ch, size_t i)
{
	if (ch->run == NONE)
		ch->run = i;
}

/* Pass bytes of the shield's own on, not text. */
static void
insert(struct vt *v, const char *s, size_t n)
{
	vt_fast_feed(v, s, n, n);
}

/*
 * Note the last graphic character of text s[0, n), for REP: printable
 * ASCII, or a UTF-8 sequence once all its bytes came (controls and DEL do
 * not count, nor bytes that are no part of a sequence).
 */
static void
note_text(struct vt_shield *sh, const unsigned char *s, size_t n)
{
	size_t i = n;

	while (i > 0 && (s[i - 1] < 0x20 || s[i - 1] >= 0x7f))
		i--;
	if (i > 0) {
		sh->repch[0] = (char)s[i - 1];
		sh->nrepch = 1;
		sh->wantrep = 0;
	}
	for (; i < n; i++) {
		if (s[i] >= 0xc2 && s[i] <= 0xf4) {
			sh->repch[0] = (char)s[i];
			sh->nrepch = 1;
			sh->wantrep = s[i] < 0xe0 ? 1 : s[i] < 0xf0 ? 2 : 3;
		} else if ((s[i] & 0xc0) == 0x80 && sh->wantrep > 0) {
			sh->repch[sh->nrepch++] = (char)s[i];
			sh->wantrep--;
		}
	}
}

/*
 * REP (CSI n b: repeat the last character n times) loops forever in
 * libvterm 0.1.4 when the last glyph has no width (none printed yet, or a
 * combining character with no base): a child's output would hang
 * ptyscript.  So REP never reaches libvterm: the CSI is ended with a
 * final libvterm ignores ('y') and the last graphic character is written
 * n times here (at most a screenful; nothing when there was none).
 */
static int
is_rep(const struct vt_track *t)
{
	return t->final == 'b' && !t->inter &&
	    (t->ncsi == 0 || t->csi[0] < 0x3c);
}

/* The REP that just ended: its count of the last graphic character. */
static void
repeat(struct vt *v)
{
	struct vt_track *t = &v->tk;
	struct vt_shield *sh = &v->sh;
	size_t k, j, max;

	for (k = 0, j = 0; j < t->ncsi && k < 100000 &&
	    t->csi[j] >= '0' && t->csi[j] <= '9'; j++)
		k = k * 10 + (size_t)(t->csi[j] - '0');
	max = (size_t)v->rows * (size_t)v->cols;
	k = k == 0 ? 1 : k > max ? max : k;
	while (sh->nrepch > 0 && sh->wantrep == 0 && k-- > 0)
		vt_fast_feed(v, sh->repch, sh->nrepch, 0);
}

/*
 * libvterm 0.1.4 does not move a saved cursor into a screen made smaller,
 * so restoring it (DECRC, SCORC, leaving the alternate screen) can leave
 * the cursor off the screen, where the next line feed, character or ESC #
 * reads and writes out of bounds (crashes).  So the cursor is put back on
 * the screen after every sequence that may restore it, however it is
 * spelt (ESC 8 after C0 or high bytes, CSI ?1049;1l) and wherever the
 * reads split it: any ESC sequence ending in '8' and any CSI ending in
 * 'u' or 'l'.
 */
static int
restores(const struct vt_track *t, int kind)
{
	return (kind == TK_ESC_END && t->final == '8') ||
	    (kind == TK_CSI_END && (t->final == 'u' || t->final == 'l'));
}

/* Put libvterm's cursor back on the screen if it is off (see restores). */
static void
cursor_onscreen(struct vt *v)
{
	VTermPos pos;
	char cup[32];
	int k;

	vt_flush(v);
	vterm_state_get_cursorpos(v->state, &pos);
	if (!vt_track_between(&v->tk) || (pos.row >= 0 && pos.row < v->rows &&
	    pos.col >= 0 && pos.col < v->cols))
		return;
	pos.row = pos.row < 0 ? 0 : pos.row >= v->rows ? v->rows - 1 : pos.row;
	pos.col = pos.col < 0 ? 0 : pos.col >= v->cols ? v->cols - 1 : pos.col;
	k = snprintf(cup, sizeof cup, "\033[%d;%dH", pos.row + 1, pos.col + 1);
	vterm_input_write(v->term, cup, (size_t)k);
}

/*
 * Text that is not well-formed UTF-8 (the tracker's text stops there)
 * shows as U+FFFD, as on a terminal: libvterm 0.1.4's decoders would wait
 * for a continuation byte across lines and sequences (vt_track_text),
 * which makes what later text shows depend on where writes split it, and
 * the fast path drops text only where they do not wait.  How many bytes
 * of s[0, n), s[0] >= 0x80, one U+FFFD takes the place of: a lead byte
 * and the continuation bytes after it, or one byte.
 */
static size_t
malformed(const unsigned char *s, size_t n)
{
	size_t k = 1, len = (size_t)vt_u8len(s[0]);

	while (k < len && k < n && (s[k] & 0xc0) == 0x80)
		k++;
	return k;
}

/*
 * Follow s[0, n) with the tracker and pass it on, guarded: in one piece
 * but where a guard acts, and with where the text it ends with starts,
 * which the fast path may hold back.
 *
 * A CSI's parameters go into a fixed array without a bound in libvterm
 * 0.1.4: more than 16 corrupt its memory.  The sequence is cancelled
 * (CAN) at its 15th separator and the rest of it dropped (its C0
 * controls still run, as they would inside it).
 *
 * libvterm takes the length of a string (OSC, DCS) ended by ESC \ as
 * from the last of its bytes it saw to the ESC, less one: -1 when a C0
 * control, NUL or DEL comes between the ESC and the '\', or when ESC and
 * '\' come in different writes after part of the string was saved (at a
 * NUL, DEL or C0 control); it then reads past the buffer (strncpy in
 * vterm_input_write).  So such a control is dropped, and a string's ESC
 * is fed in the same write as the byte after it: where a read ends with
 * it, or a dropped byte follows it, it is held back (esc_held).
 * (libvterm 0.1.4 loses a string cut between writes anyway.)
 */
static void
guard(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	struct vt_track *t = &v->tk;
	struct vt_shield *sh = &v->sh;
	struct chunk ch = { s, 0, NONE };
	size_t i = 0, k;
	unsigned char c;
	int kind, rep;

	while (i < n) {
		if ((k = vt_track_text(t, u + i, n - i)) > 0) {
			text_at(&ch, i);
			note_text(sh, u + i, k);
			i += k;
			continue;
		}
		c = u[i];
		if (c >= 0x80 && t->g == TK_GROUND) {
			k = malformed(u + i, n - i);
			pass(v, &ch, i, i + k);
			guard(v, fffd, 3);
			i += k;
			continue;
		}
		if (t->g == TK_STR_ESC && (c < 0x20 || c == 0x7f) &&
		    c != 0x1b && c != 0x18 && c != 0x1a) {
			/* dropped; the ESC (at i - 1, or held) waits */
			pass(v, &ch, !sh->esc_held && i > ch.from ? i - 1 : i,
			    i + 1);
			sh->esc_held = 1;
			i++;
			continue;
		}
		if (sh->esc_held) {
			/* the ESC goes with this byte, in one write */
			insert(v, "\033\\", c == '\\' ? 2 : 1);
			if (c == '\\')
				ch.from = i + 1;
			sh->esc_held = 0;
		}
		kind = vt_track_step(t, c);
		rep = 0;
		switch (kind) {
		case TK_TEXT:		/* a control, in a dropped CSI */
			text_at(&ch, i);
			break;
		case TK_DROP:
			pass(v, &ch, i, i + 1);
			break;
		case TK_SEQ:
			ch.run = NONE;
			if (t->g == TK_CSI && !t->drop &&
			    t->nsep >= CSI_ARGS_SAFE) {
				pass(v, &ch, i, i + 1);
				insert(v, "\x18", 1);
				vt_track_drop(t);
			}
			break;
		case TK_CSI_END:
			if ((rep = is_rep(t))) {
				pass(v, &ch, i, i + 1);
				insert(v, "y", 1);
				break;
			}
			/* FALLTHROUGH */
		default:		/* TK_ESC_END, TK_HASH */
			vt_fast_end(v, kind);
			break;
		}
		i++;
		if (sh->want_rows > 0 && vt_track_between(t)) {
			pass(v, &ch, i, i);
			vt_resize(v, sh->want_rows, sh->want_cols);
		}
		if (restores(t, kind)) {
			pass(v, &ch, i, i);
			cursor_onscreen(v);
		}
		if (rep)
			repeat(v);
	}
	if (t->g == TK_STR_ESC && !sh->esc_held && n > ch.from) {
		pass(v, &ch, n - 1, n);		/* the ESC waits */
		sh->esc_held = 1;
	} else {
		pass(v, &ch, n, n);
	}
}

/*
 * Guard s[0, n) with its C2 bytes made safe.  libvterm 0.1.4 decodes
 * C2 80..C2 9F as the C1 characters U+0080..U+009F and gives them width
 * -1: the cursor goes to negative columns, and the next erase or insert
 * crashes inside libvterm.  Its decoder also waits for the continuation
 * byte across controls and escape sequences ("C2 CR 85" is U+0085 too).
 * So a C2 reaches it only right before its continuation byte A0..BF; any
 * other C2 (with the 80..9F after it, if there is one) becomes U+FFFD.
 * Other forms of U+0080..U+009F are overlong: libvterm makes them U+FFFD.
 */
static void
c1safe(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u;
	size_t i = 0, from = 0;

	while (i < n && (u = memchr(s + i, 0xc2, n - i)) != NULL) {
		i = (size_t)(u - (const unsigned char *)s);
		if (i + 1 < n && u[1] >= 0xa0 && u[1] <= 0xbf) {
			i += 2;		/* U+00A0..U+00BF */
			continue;
		}
		guard(v, s + from, i - from);
		guard(v, fffd, 3);
		i += i + 1 < n && u[1] >= 0x80 && u[1] <= 0x9f ? 2 : 1;
		from = i;
	}
	guard(v, s + from, n - from);
}

/*
 * Feed the child's bytes.  A UTF-8 sequence that a read cut in two waits
 * for the rest (carry): libvterm 0.1.4 decodes one split across two
 * writes wrongly when the second starts a run of text ("ab\xc3" then
 * "\xa9" shows "ab\uFFFD"), and a C2 must be seen with its next byte (see
 * c1safe).  A sequence the next read does not complete is fed as U+FFFD,
 * so that libvterm's decoder is never left waiting by it.  Replies to
 * queries queue up (vt_replies); text may be held back (vt_flush).
 */
void
vt_feed(struct vt *v, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	struct vt_shield *sh = &v->sh;
	unsigned long long before = v->changes;
	size_t i = 0, t, j;
	int len;

	if (n == 0)
		return;
	if (sh->ncarry > 0) {
		len = vt_u8len((unsigned char)sh->carry[0]);
		while (i < n && sh->ncarry < (size_t)len &&
		    (u[i] & 0xc0) == 0x80)
			sh->carry[sh->ncarry++] = (char)u[i++];
		if (sh->ncarry < (size_t)len && i == n)
			return;		/* still not whole */
		if (sh->ncarry == (size_t)len)
			c1safe(v, sh->carry, sh->ncarry);
		else
			guard(v, fffd, 3);
		sh->ncarry = 0;
	}
	/* a sequence not whole at the end waits */
	t = n;
	for (j = n; j > i && n - j < 6; j--) {
		if ((u[j - 1] & 0xc0) == 0x80)
			continue;
		len = vt_u8len(u[j - 1]);
		if (len > 0 && n - (j - 1) < (size_t)len) {
			t = j - 1;
			memcpy(sh->carry, s + t, n - t);
			sh->ncarry = n - t;
		}
		break;
	}
	c1safe(v, s + i, t - i);
	vterm_screen_flush_damage(v->screen);
	if (v->changes != before)
		clock_gettime(CLOCK_MONOTONIC, &v->last);
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
}

/*
 * Resize the screen (feeding what is held back first).  When libvterm
 * 0.1.4 keeps the text at the bottom in view, it moves the cursor up with
 * it, to a negative row if the cursor's line goes off the top, and the
 * next character crashed it: the cursor goes to the top row then.  These
 * repairs are written between sequences only, so a resize to fewer rows
 * that comes in the middle of one waits for its end (want_rows, see
 * guard); the screen keeps its size until then.
 */
void
vt_resize(struct vt *v, int rows, int cols)
{
	VTermPos pos;
	char cup[32];
	int n, reset = 0;

	rows = rows < 1 ? 1 : rows;
	cols = cols < VT_MIN_COLS ? VT_MIN_COLS : cols;
	v->sh.want_rows = 0;
	if (rows == v->rows && cols == v->cols)
		return;
	if (rows < v->rows && !vt_track_between(&v->tk)) {
		v->sh.want_rows = rows;
		v->sh.want_cols = cols;
		return;
	}
	vt_flush(v);
	if (rows < v->rows && vt_fast_margins(v)) {
		unset_margins(v);
		reset = 1;
	}
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
	vt_fast_resized(v, reset);
	vt_touch(v);
	clock_gettime(CLOCK_MONOTONIC, &v->last);
}
