/*
 * alloc.h - the command's Lua allocator: small blocks from free lists.
 *
 * Lua allocates and frees small objects (strings, tables, closures) at a
 * high rate: a round trip of "send, expect" makes about six.  glibc's
 * malloc spends a few hundred instructions on each once its per-thread
 * cache overflows, which the collector's bursts of frees make it do.
 * Here a block of up to ALLOC_SMALL_MAX bytes comes from a free list per
 * 16-byte size class, refilled from 64 KiB chunks that live as long as
 * the state; larger blocks go to malloc.  Lua tells the allocator every
 * block's size when it frees or resizes it, so blocks carry no header.
 * No Lua.
 */
#ifndef PTYSCRIPT_ALLOC_H
#define PTYSCRIPT_ALLOC_H

#include <stddef.h>

#define ALLOC_SMALL_MAX	512
#define ALLOC_CLASSES	(ALLOC_SMALL_MAX / 16)

struct alloc {
	void *free[ALLOC_CLASSES];	/* per class: a list through the blocks */
	char *next, *end;		/* the unused rest of the newest chunk */
	void *chunks;			/* every chunk, linked through its head */
};

/* A lua_Alloc; ud is a struct alloc, zeroed before the first call. */
void *alloc_lua(void *ud, void *ptr, size_t osize, size_t nsize);
/* Give every chunk back (after lua_close). */
void alloc_release(struct alloc *a);

#endif
