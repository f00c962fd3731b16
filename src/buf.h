/*
 * buf.h - a growable byte queue: append at the end, consume at the front.
 *
 * Bytes live in data[start, end).  Consuming only moves start; the hole in
 * front is reclaimed by moving the live bytes down once it is larger than
 * the live part, so every byte is moved O(1) times on average.  No Lua.
 */
#ifndef PTYSCRIPT_BUF_H
#define PTYSCRIPT_BUF_H

#include <stddef.h>

struct buf {
	char *data;
	size_t start, end, cap;
};

#define buf_len(b)	((b)->end - (b)->start)
/* (An empty, never-filled queue has no data: "" keeps NULL + 0 and a
 * NULL argument to memchr/memmem away.) */
#define buf_head(b)	((b)->data != NULL ? (b)->data + (b)->start : (char *)"")

void buf_init(struct buf *b);
void buf_free(struct buf *b);
int buf_append(struct buf *b, const void *p, size_t n);
int buf_append_capped(struct buf *b, const void *p, size_t n, size_t limit);
void buf_consume(struct buf *b, size_t n);
void buf_shrink(struct buf *b);

#endif
