/*
 * alloc.h - the command's Lua allocator: malloc, with a cache of small
 * freed blocks per size class.
 *
 * Lua allocates and frees small objects (strings, tables, closures) at a
 * high rate: a round trip of "send, expect" makes about six.  glibc's
 * malloc spends a few hundred instructions on each once its own
 * per-thread cache overflows, which the collector's runs of frees make it
 * do.  Here a freed block of up to ALLOC_SMALL_MAX bytes goes to a list
 * per 16-byte size class, and the next allocation of that class takes it
 * back, as long as the lists hold no more than ALLOC_CACHE_BYTES in all;
 * the rest goes to free().  Every block is a malloc block, so memory
 * freed in one class is there for any other.  Lua tells the allocator
 * every block's size when it frees or resizes it, so the class needs no
 * header.  No Lua.
 */
#ifndef PTYSCRIPT_ALLOC_H
#define PTYSCRIPT_ALLOC_H

#include <stddef.h>

#define ALLOC_SMALL_MAX		512
#define ALLOC_CLASSES		(ALLOC_SMALL_MAX / 16)
#define ALLOC_CACHE_BYTES	(8 * 1024 * 1024)

struct alloc {
	void *free[ALLOC_CLASSES];	/* per class: a list through the blocks */
	size_t cached;			/* bytes in all the lists */
	int plain;			/* no cache (sanitizers, valgrind) */
};

/* Set a up; without the cache under ASan or valgrind. */
void alloc_init(struct alloc *a);
/* A lua_Alloc; ud is the struct alloc. */
void *alloc_lua(void *ud, void *ptr, size_t osize, size_t nsize);
/* Free the cached blocks (after lua_close). */
void alloc_release(struct alloc *a);

#endif
