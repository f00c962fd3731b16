/*
 * vt_fuzz.c - libFuzzer harness for the screen emulator (src/vt.c over
 * libvterm).
 *
 * From the input: a screen size (and one to resize to halfway, maybe),
 * the size of the reads the rest is cut into, and the bytes a child
 * writes.  Each read is fed to a screen with
 * the fast path on (what ptyscript does) and to one with it off (every
 * byte through libvterm); then every row's text, every cell, the cursor
 * and the replies to queries are read back.  Any crash or sanitizer
 * report is a bug: the bytes come from the child, which must never bring
 * ptyscript down.  With VT_FUZZ_DIFF=1 in the environment the two
 * screens must also agree (row texts and cursor); off by default, for
 * libvterm 0.1.4's own quirks that depend on where reads split (a title
 * cut in two, the charset of text split across calls) are not ours to
 * fix.
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
read_all(struct vt *v, int rows, int cols, char *out, size_t cap, int r)
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
	(void)rows;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int diff = -1;
	struct vt *fast, *slow;
	char *a, *b;
	size_t cap, i, at, chunk, resize_at;
	int rows, cols, rows2, cols2, r, ra, ca, rb, cb, vis;

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
	fast = vt_new(rows, cols);
	slow = vt_new(rows, cols);
	if (fast == NULL || slow == NULL)
		abort();
	vt_set_fastpath(slow, 0);
	for (at = 0; at < size; at += chunk) {
		i = size - at < chunk ? size - at : chunk;
		vt_feed(fast, (const char *)data + at, i);
		vt_feed(slow, (const char *)data + at, i);
		vt_replies_clear(fast);
		vt_replies_clear(slow);
		if (resize_at != 0 && at < resize_at && at + i >= resize_at) {
			vt_resize(fast, rows2, cols2);	/* (setwinsize) */
			vt_resize(slow, rows2, cols2);
		}
	}
	vt_size(fast, &rows, &cols);
	cap = (size_t)cols * 24 + 1;
	a = malloc(cap);
	b = malloc(cap);
	if (a == NULL || b == NULL)
		abort();
	for (r = 0; r < rows; r++) {
		memset(a, 0, cap);
		memset(b, 0, cap);
		read_all(fast, rows, cols, a, cap, r);
		read_all(slow, rows, cols, b, cap, r);
		if (diff && strcmp(a, b) != 0)
			fail("the fast path's row differs", r);
	}
	vt_cursor(fast, &ra, &ca, &vis);
	vt_cursor(slow, &rb, &cb, &vis);
	if (ra < 0 || ca < 0 || ra >= rows || ca > cols)
		fail("cursor out of the screen", ra);
	if (diff && (ra != rb || ca != cb))
		fail("the fast path's cursor differs", ra);
	free(a);
	free(b);
	vt_free(fast);
	vt_free(slow);
	return 0;
}
