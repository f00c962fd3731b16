/*
 * buf.c - the byte queue behind a session's input and output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

#define BUF_MIN 256

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->start = b->end = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

/*
 * Make room for n more bytes at the end.  The live bytes are moved down
 * only when the hole in front is at least as large as they are, else the
 * buffer grows to twice what is needed: each byte is moved O(1) times on
 * average, however the queue is used.  Returns 0 or -1 (ENOMEM).
 */
static int
buf_room(struct buf *b, size_t n, size_t limit)
{
	size_t len = buf_len(b), cap;
	char *p;

	if (b->cap - b->end >= n)
		return 0;
	if ((b->start >= len || b->cap >= limit) && b->cap - len >= n) {
		memmove(b->data, b->data + b->start, len);
		b->start = 0;
		b->end = len;
		return 0;
	}
	if (len + n < len || len + n > (size_t)-1 / 4) {
		errno = ENOMEM;
		return -1;
	}
	for (cap = b->cap ? b->cap : BUF_MIN; cap < 2 * (len + n); cap *= 2)
		;
	if (cap > limit && limit >= len + n)
		cap = limit;
	/* Live bytes to the front, then realloc: a large block grows in
	 * place (mremap), never held twice at the peak. */
	if (b->start > 0) {
		memmove(b->data, b->data + b->start, len);
		b->start = 0;
		b->end = len;
	}
	p = realloc(b->data, cap);
	if (p == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	return buf_append_capped(b, p, n, (size_t)-1);
}

/*
 * Append, keeping the allocation within limit bytes when the live bytes
 * fit: past it the bytes are moved down instead of the buffer growing
 * (for the input window, which is bounded by maxbuf anyway).
 */
int
buf_append_capped(struct buf *b, const void *p, size_t n, size_t limit)
{
	if (n == 0)
		return 0;
	if (buf_room(b, n, limit) == -1)
		return -1;
	memcpy(b->data + b->end, p, n);
	b->end += n;
	return 0;
}

void
buf_consume(struct buf *b, size_t n)
{
	if (n >= buf_len(b)) {
		b->start = b->end = 0;
		return;
	}
	b->start += n;
}

/* Give memory back when the queue is empty and had grown large. */
void
buf_shrink(struct buf *b)
{
	if (buf_len(b) == 0 && b->cap > 64 * 1024)
		buf_free(b);
}
