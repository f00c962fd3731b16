/*
 * vt.h - a terminal screen kept in sync with a child's output (libvterm).
 *
 * A thin wrapper around libvterm 0.1.x: feed it the bytes a program
 * writes to its terminal and read back the screen (text, cells, cursor,
 * title, alternate screen).  What the program asks its terminal (cursor
 * position report, device status, device attributes) is answered by the
 * emulator into a reply queue that the owner sends to the child.  No Lua,
 * no process: l_screen.c joins it to a process.
 */
#ifndef PTYSCRIPT_VT_H
#define PTYSCRIPT_VT_H

#include <stddef.h>
#include <stdint.h>

struct vt;

/* Fewer columns than this are made this many: a wide character needs 2. */
#define VT_MIN_COLS	2

/*
 * vt_feed may hold plain text back (the fast path, vt_fast.c): the
 * functions that read the screen see what was fed up to the last
 * vt_flush, so call it before reading.  vt_changes and vt_idle count the
 * held-back text already.  The bytes of a UTF-8 character split between
 * two feeds wait for the second (vt_shield.c, vt_feed).
 */

/*
 * vt_set_fastpath's modes.  VT_FAST_HOLD holds text back as the fast path
 * does but drops none: libvterm 0.1.4's screen depends on where its input
 * is cut into writes, so the fuzzer checks the fast path against a screen
 * that gets the same writes, less what the fast path drops.
 */
#define VT_FAST_OFF	0	/* every byte to libvterm as it comes */
#define VT_FAST_ON	1
#define VT_FAST_HOLD	2

/* One cell, as s:cell() shows it. */
struct vt_cell {
	char text[32];		/* UTF-8, NUL-terminated; "" for a blank */
	int width;		/* 1, 2 (wide), 0 (right half of a wide one) */
	unsigned bold:1, italic:1, blink:1, reverse:1, strike:1;
	unsigned underline:2;	/* 0 none, 1 single, 2 double, 3 curly */
	int fg_index, bg_index;	/* palette index, -1 for RGB or default */
	int fg_default, bg_default;
	uint32_t fg_rgb, bg_rgb;	/* 0xRRGGBB, resolved */
};

struct vt *vt_new(int rows, int cols);
void vt_free(struct vt *v);
void vt_feed(struct vt *v, const char *s, size_t n);
void vt_flush(struct vt *v);
void vt_resize(struct vt *v, int rows, int cols);
void vt_size(const struct vt *v, int *rows, int *cols);
size_t vt_row_text(const struct vt *v, int row, char *out, size_t cap,
    int *colof);
int vt_cell(const struct vt *v, int row, int col, struct vt_cell *c);
void vt_cursor(const struct vt *v, int *row, int *col, int *visible);
const char *vt_title(const struct vt *v);
int vt_alt(const struct vt *v);
unsigned long long vt_changes(const struct vt *v);
double vt_idle(const struct vt *v);
const char *vt_replies(const struct vt *v, size_t *n);
void vt_replies_clear(struct vt *v);
void vt_set_fastpath(struct vt *v, int mode);
unsigned long long vt_skipped(const struct vt *v);

#endif
