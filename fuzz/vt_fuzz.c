/*
 * vt_fuzz.c - libFuzzer harness for the screen emulator (src/vt*.c over
 * libvterm).
 *
 * From the input: a screen size (and one to resize to halfway, maybe),
 * the size of the reads the rest is cut into, and the bytes a child
 * writes.  Each read is fed to a screen with the fast path on (what
 * ptyscript does) and to one with it off (every byte through libvterm);
 * then every row's text, every cell, the cursor and the replies to
 * queries are read back.  Any crash or sanitizer report is a bug: the
 * bytes come from the child, which must never bring ptyscript down.
 *
 * With VT_FUZZ_DIFF=1 in the environment a third screen holds text back
 * as the fast path does but drops none (VT_FAST_HOLD), and the fast
 * path's screen must agree with it (row texts and cursor).  Not with the
 * screen without the fast path: libvterm 0.1.4's screen depends on where
 * its input is cut into writes (a title cut in two, the charset of text
 * split across calls, invalid UTF-8), and holding text back moves those
 * cuts; those quirks are not ours to fix, and they would hide the fast
 * path's own mistakes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int row)
{
	fprintf(stderr, "vt_fuzz: %s (row %d)\n", what, row);
	abort();
}

/* Read everything back, as the Lua side can; the text of row r in out. */
static void
read_all(struct vt *v, int cols, char *out, size_t cap, int r)
{
	struct vt_cell cell;
	int c, row, col, vis;
	size_t n;

	vt_flush(v);
	vt_row_text(v, r, out, cap, NULL);
	for (c = 0; c < cols; c++)
		if (!vt_cell(v, r, c, &cell))
			fail("cell in range refused", r);
	vt_cursor(v, &row, &col, &vis);
	(void)vt_title(v);
	(void)vt_alt(v);
	(void)vt_replies(v, &n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int diff = -1;
	struct vt *v[3];	/* fast path on, off, held (VT_FUZZ_DIFF) */
	char *a, *b;
	size_t cap, i, at, chunk, resize_at;
	int rows, cols, rows2, cols2, r, ra, ca, rb, cb, vis, k, nv;

	if (diff == -1)
		diff = getenv("VT_FUZZ_DIFF") != NULL &&
		    strcmp(getenv("VT_FUZZ_DIFF"), "1") == 0;
	if (size < 3)
		return 0;
	rows = 1 + (data[0] & 15) % 12;
	cols = 2 + (data[1] & 31);
	rows2 = 1 + (data[0] >> 4) % 12;	/* resized to, halfway through */
	cols2 = 2 + (data[1] >> 5) * 5;
	chunk = 1 + (data[2] & 63);
	data += 3;
	size -= 3;
	resize_at = data[-1] & 128 ? size / 2 : 0;
	nv = diff ? 3 : 2;
	for (k = 0; k < nv; k++)
		if ((v[k] = vt_new(rows, cols)) == NULL)
			abort();
	vt_set_fastpath(v[1], VT_FAST_OFF);
	if (diff)
		vt_set_fastpath(v[2], VT_FAST_HOLD);
	for (at = 0; at < size; at += chunk) {
		i = size - at < chunk ? size - at : chunk;
		for (k = 0; k < nv; k++) {
			vt_feed(v[k], (const char *)data + at, i);
			vt_replies_clear(v[k]);
			if (resize_at != 0 && at < resize_at &&
			    at + i >= resize_at)
				vt_resize(v[k], rows2, cols2);	/* (setwinsize) */
		}
	}
	vt_size(v[0], &rows, &cols);
	cap = (size_t)cols * 24 + 1;
	a = malloc(cap);
	b = malloc(cap);
	if (a == NULL || b == NULL)
		abort();
	for (r = 0; r < rows; r++) {
		memset(a, 0, cap);
		read_all(v[0], cols, a, cap, r);
		for (k = 1; k < nv; k++) {
			memset(b, 0, cap);
			read_all(v[k], cols, b, cap, r);
		}
		if (diff && strcmp(a, b) != 0)
			fail("the fast path's row differs", r);
	}
	vt_cursor(v[0], &ra, &ca, &vis);
	if (ra < 0 || ca < 0 || ra >= rows || ca > cols)
		fail("cursor out of the screen", ra);
	if (diff) {
		vt_cursor(v[2], &rb, &cb, &vis);
		if (ra != rb || ca != cb)
			fail("the fast path's cursor differs", ra);
	}
	free(a);
	free(b);
	for (k = 0; k < nv; k++)
		vt_free(v[k]);
	return 0;
}
