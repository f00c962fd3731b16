/*
 * vt_fast.c - the screen's fast path: text that cannot show, not fed.
 *
 * libvterm moves the whole screen in memory for every line that scrolls,
 * so a flood of plain lines through it costs several times what the rest
 * of ptyscript does (figures: scripts/bench/README.md, T8).  Yet text
 * that is followed by 2 x rows more line feeds of text cannot show on
 * the final screen: everything on the screen before it, and everything
 * it draws, scrolls off.  Everything
 * libvterm reads comes through here (vt_fast_feed), told where the text
 * it ends with starts: printable, UTF-8, CR, LF, TAB, BS, BEL, NUL, DEL
 * between sequences, nothing that changes the emulator's modes, pen,
 * charset or margins (the tracker, vt_track.c, says which bytes are).
 * That text is held back (up to PEND_MAX) until more comes or the
 * screen is read, so that the cut works across reads, and cut at a CR
 * after which at least 2 x rows LFs follow and a printable byte comes
 * next, and before which rows - 1 LFs went: the bytes before the cut are
 * dropped and the cursor is put where they would have left it, on the
 * last row, column 0, with no wrap pending.  On the last row: libvterm
 * keeps a pending wrap over a line feed that scrolls and drops it over
 * one that moves down, so where the rest lands depends on its row.  Text
 * that wraps without line ends is cut in whole lines (wrapcut).  Each
 * byte held back is looked at a bounded number of times however small
 * the reads (cutlow, tail).
 *
 * This holds only without scroll margins (DECSTBM, DECSLRM) and with the
 * modes it follows from the tracker's sequences (vt_fast_end); when in
 * doubt it does not skip.  What it does not model exactly turns the cut
 * off until RIS (ESC c) resets the terminal (unsure): any ESC # (double-
 * width and double-height lines change where text lands), and a DECSTBM
 * or mode set/reset whose parameters are cut short at TK_CSI_MAX, have a
 * ':' or a number of more than 6 digits (libvterm reads 1:3 as 1;3 and
 * keeps 31 bits of 2147483651).  Its text is well-formed UTF-8 (the
 * shield sees to it), so the dropped bytes leave libvterm's UTF-8
 * decoders as they found them: not waiting (vt_track_text).
 * vt_set_fastpath(v, VT_FAST_OFF) turns it off (the specs compare both
 * ways).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt_int.h"

#define PEND_MAX	(64 * 1024)	/* fed at once past this */

/* A new screen's fast path: on, no margins. */
void
vt_fast_init(struct vt *v)
{
	v->fp.mode = VT_FAST_ON;
	v->fp.margins = 1;
}

/* Free the text held back (the screen goes). */
void
vt_fast_free(struct vt *v)
{
	free(v->fp.pend);
}

/*
 * Whether a CSI's parameters are beyond the model: cut short at
 * TK_CSI_MAX, with a sub-parameter (libvterm reads 1:3 much as 1;3), or
 * with a number so long that libvterm's may differ from strtol's
 * (libvterm keeps the low 31 bits: 2147483651 is 3).
 */
static int
odd_params(const struct vt_track *t)
{
	size_t i, digits = 0;

	if (t->ncsi >= TK_CSI_MAX)
		return 1;
	for (i = 0; i < t->ncsi; i++) {
		if (t->csi[i] == ':')
			return 1;
		digits = t->csi[i] >= '0' && t->csi[i] <= '9' ? digits + 1 : 0;
		if (digits > 6)
			return 1;
	}
	return 0;
}

/* A CSI reached libvterm: the margins and modes it may set. */
static void
csi_done(struct vt *v, struct vt_track *t)
{
	struct vt_fast *f = &v->fp;
	int final = t->final;
	long top = -1, bottom = -1, n;
	const char *p = t->csi, *lim = t->csi + t->ncsi;
	int leader = t->ncsi > 0 && (t->csi[0] < '0' || t->csi[0] > ';');
	char *q;

	if (t->inter)
		return;		/* e.g. DECSTR (CSI ! p): margins left as known */
	if ((final == 'r' || final == 'h' || final == 'l') && odd_params(t)) {
		f->unsure = 1;
		return;
	}
	if (final == 'r' && !leader) {			/* DECSTBM */
		if (p < lim && *p != ';')
			top = strtol(p, NULL, 10);
		p = memchr(p, ';', (size_t)(lim - p));
		if (p != NULL && p + 1 < lim && p[1] >= '0' && p[1] <= '9')
			bottom = strtol(p + 1, NULL, 10);
		if (top <= 1 && bottom == -1)
			f->margins = 1;
		else if (top <= 1 && bottom >= v->rows)
			f->margins = 2;
		else
			f->margins = 0;
		return;
	}
	if ((final == 'h' || final == 'l') && leader && t->csi[0] == '?') {
		q = t->csi + 1;
		while (q < lim) {
			n = strtol(q, &q, 10);
			if (n == 69 && final == 'h')
				f->lr_margins = 1;	/* DECLRMM */
			if (n == 7)
				f->nowrap = final == 'l';	/* DECAWM */
			if (q >= lim || *q != ';')
				break;
			q++;
		}
	}
}

/*
 * A sequence reached libvterm (the tracker's TK_ESC_END, TK_CSI_END or
 * TK_HASH): follow the modes the cut depends on.
 */
void
vt_fast_end(struct vt *v, int kind)
{
	struct vt_track *t = &v->tk;

	if (kind == TK_CSI_END) {
		csi_done(v, t);
		return;
	}
	if (kind == TK_HASH) {
		v->fp.unsure = 1;	/* DECDHL, DECDWL, DECALN */
		return;
	}
	if (t->final == 'c' && !t->inter) {	/* RIS */
		v->fp.margins = 1;
		v->fp.lr_margins = 0;
		v->fp.nowrap = 0;
		v->fp.unsure = 0;
	}
}

/* Whether scroll margins may be set (vt_resize). */
int
vt_fast_margins(const struct vt *v)
{
	return v->fp.margins != 1 || v->fp.unsure;
}

/*
 * The screen was resized; reset: its margins were reset before.  An
 * explicit bottom margin may no longer be the last row.
 */
void
vt_fast_resized(struct vt *v, int reset)
{
	if (reset)
		v->fp.margins = 1;
	if (v->fp.margins == 2)
		v->fp.margins = 0;
}

/*
 * Where the fast path may resume in pend: at a printable ASCII byte just
 * after a CR or a CR LF, followed by at least 2 x rows LFs, and after
 * rows - 1 LFs (on the last row); or 0 when it may not skip.
 * The places below cutlow were looked at before and found wanting:
 * whether one will do depends only on the bytes before and around it and
 * on enough LFs after it, which more bytes do not undo; so each byte is
 * looked at once, however small the reads.
 */
static size_t
cut(struct vt *v)
{
	struct vt_fast *f = &v->fp;
	const unsigned char *s = (const unsigned char *)f->pend, *p;
	size_t n = f->npend, i = n, lf = 0, need = 2 * (size_t)v->rows, thr;
	size_t low = f->cutlow, k = 0;

	if (f->mode != VT_FAST_ON || f->margins == 0 || f->lr_margins ||
	    f->unsure || n < need * 2)
		return 0;
	while (lf < need && (p = memrchr(s, '\n', i)) != NULL) {
		i = (size_t)(p - s);
		lf++;
	}
	if (lf < need)
		return 0;
	thr = i;
	/* nor before the first rows - 1 LFs */
	for (lf = 1; lf < (size_t)v->rows; lf++) {
		if ((p = memchr(s + k, '\n', i - k)) == NULL) {
			f->cutlow = thr;
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
	f->cutlow = thr;
	return 0;
}

/*
 * Feed the text held back, so the screen is up to date.  It was counted
 * as a change when it came.
 */
void
vt_flush(struct vt *v)
{
	struct vt_fast *f = &v->fp;
	unsigned long long changes;
	char cup[32];
	int k;

	if (f->npend == 0)
		return;
	vterm_screen_flush_damage(v->screen);	/* what came before counts */
	changes = v->changes;
	if (f->pend_cut) {
		k = snprintf(cup, sizeof cup, "\033[%d;1H", v->rows);
		vterm_input_write(v->term, cup, (size_t)k);
	}
	vterm_input_write(v->term, f->pend, f->npend);
	vterm_screen_flush_damage(v->screen);
	f->npend = 0;
	f->pend_cut = 0;
	f->cutlow = 0;
	f->tail = 0;
	v->changes = changes;
}

/*
 * Text with no line ends at all wraps instead: in a trailing run of
 * printable ASCII (tail bytes, one column each), whole lines' worth (cols
 * bytes) may go from its front as long as 2 x rows lines' worth stay,
 * for every byte after them lands in the same column as before, and on
 * the final screen only lines the rest wrote wholly show.  Needs autowrap
 * on.  Returns how many bytes to drop at *at.
 */
static size_t
wrapcut(const struct vt *v, size_t n, size_t *at)
{
	const struct vt_fast *f = &v->fp;
	size_t t = n - f->tail, keep = 2 * (size_t)v->rows * (size_t)v->cols;
	size_t k;

	if (f->mode != VT_FAST_ON || f->margins == 0 || f->lr_margins ||
	    f->nowrap || f->unsure || n < keep * 2 || f->tail > n)
		return 0;
	if (n - t < keep + (size_t)v->cols)
		return 0;
	k = (n - t - keep) / (size_t)v->cols;
	*at = t;
	return k * (size_t)v->cols;
}

/*
 * Whether text draws or moves the cursor: all but NUL, BEL and DEL do
 * (libvterm ignores NUL and DEL, and has no bell to ring), so a program
 * that only beeps, or pads with NULs, lets the screen settle.
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

/* Hold text back, cut what cannot show; 0, or -1 (no memory). */
static int
pend_add(struct vt *v, const char *s, size_t n)
{
	struct vt_fast *f = &v->fp;
	size_t cap, p, at = 0, k;
	char *np;

	if (f->npend + n > f->cappend) {
		cap = f->cappend ? f->cappend : 4096;
		while (cap < f->npend + n)
			cap *= 2;
		if ((np = realloc(f->pend, cap)) == NULL)
			return -1;
		f->pend = np;
		f->cappend = cap;
	}
	memcpy(f->pend + f->npend, s, n);
	f->npend += n;
	for (k = n; k > 0 && s[k - 1] >= 0x20 && s[k - 1] < 0x7f; k--)
		;
	f->tail = k == 0 ? f->tail + n : n - k;
	/* no new LF, no new place to cut at */
	if (memchr(s, '\n', n) != NULL && (p = cut(v)) > 0) {
		memmove(f->pend, f->pend + p, f->npend - p);
		f->npend -= p;
		f->pend_cut = 1;
		f->skipped += p;
		f->cutlow = 0;
		if (f->tail > f->npend)
			f->tail = f->npend;
	}
	if ((p = wrapcut(v, f->npend, &at)) > 0) {
		memmove(f->pend + at, f->pend + at + p, f->npend - at - p);
		f->npend -= p;
		f->skipped += p;
		f->tail -= p;
	}
	if (draws(s, n))
		vt_touch(v);
	if (f->npend > PEND_MAX)
		vt_flush(v);
	return 0;
}

/*
 * Feed s[0, n): s[0, q) at once, after the text held back, and s[q, n),
 * text to the tracker, held back to be cut when enough lines follow
 * (fed at once too with the fast path off).
 */
void
vt_fast_feed(struct vt *v, const char *s, size_t n, size_t q)
{
	struct vt_fast *f = &v->fp;

	if (f->mode == VT_FAST_OFF)
		q = n;
	if (q > 0) {
		vt_flush(v);	/* what came first goes first */
		vterm_input_write(v->term, s, q);
	}
	if (q < n && pend_add(v, s + q, n - q) == -1) {
		vt_flush(v);
		vterm_input_write(v->term, s + q, n - q);
	}
}

/* VT_FAST_OFF, VT_FAST_ON or VT_FAST_HOLD (vt.h). */
void
vt_set_fastpath(struct vt *v, int mode)
{
	vt_flush(v);
	v->fp.mode = mode;
}

/* Bytes the fast path has not needed to feed, in all. */
unsigned long long
vt_skipped(const struct vt *v)
{
	return v->fp.skipped;
}
