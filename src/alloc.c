/*
 * alloc.c - the command's Lua allocator (see alloc.h).
 *
 * Under AddressSanitizer and valgrind there is no cache: every block goes
 * back to free() at once, so that a C pointer into a collected Lua string
 * still shows up as a use after free.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#if defined(__SANITIZE_ADDRESS__)	/* (gcc) */
#define ALLOC_ASAN 1
#elif defined(__has_feature)		/* (clang) */
#if __has_feature(address_sanitizer)
#define ALLOC_ASAN 1
#endif
#endif

/* (Build with -DALLOC_IGNORE_VALGRIND to profile the cache with callgrind.) */
#if defined(__has_include) && !defined(ALLOC_IGNORE_VALGRIND)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* Size class of a small block of n > 0 bytes, and the bytes it holds. */
#define CLASS(n)	(((n) - 1) / 16)
#define CLASS_SIZE(c)	(((c) + 1) * 16)
#define SMALL(n)	((n) > 0 && (n) <= ALLOC_SMALL_MAX)

void
alloc_init(struct alloc *a)
{
	memset(a, 0, sizeof *a);
#ifdef ALLOC_ASAN
	a->plain = 1;
#endif
	if (RUNNING_ON_VALGRIND)
		a->plain = 1;
}

/* A block of class c: a cached one, or a new malloc block of its size. */
static void *
small_get(struct alloc *a, size_t c)
{
	void *p = a->free[c];

	if (p == NULL)
		return malloc(CLASS_SIZE(c));
	memcpy(&a->free[c], p, sizeof(void *));
	a->cached -= CLASS_SIZE(c);
	return p;
}

/* Cache block p (a malloc block of at least class c's size), or free it. */
static void
small_put(struct alloc *a, void *p, size_t c)
{
	if (a->plain || a->cached + CLASS_SIZE(c) > ALLOC_CACHE_BYTES) {
		free(p);
		return;
	}
	memcpy(p, &a->free[c], sizeof(void *));
	a->free[c] = p;
	a->cached += CLASS_SIZE(c);
}

/*
** lua_Alloc: ptr == NULL allocates nsize bytes (osize is then a type tag,
** not a size); nsize == 0 frees ptr, of osize bytes; otherwise ptr's block
** is resized from osize to nsize.  A small block is made with its whole
** class's size, so a resize within the class keeps it.  Lua requires a
** shrink never to fail: when no new block can be had the old one is kept,
** which is safe, since every block is a malloc block at least as large as
** the size Lua now has for it.
*/
void *
alloc_lua(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct alloc *a = ud;
	void *np;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		if (SMALL(osize))
			small_put(a, ptr, CLASS(osize));
		else
			free(ptr);
		return NULL;
	}
	if (a->plain)
		return realloc(ptr, nsize);
	if (SMALL(nsize)) {
		if (SMALL(osize) && CLASS(osize) == CLASS(nsize))
			return ptr;	/* the same class: nothing to do */
		np = small_get(a, CLASS(nsize));
	} else if (!SMALL(osize)) {
		return realloc(ptr, nsize);	/* large to large, or new */
	} else {
		np = malloc(nsize);
	}
	if (np == NULL)
		return nsize <= osize ? ptr : NULL;
	if (ptr != NULL) {
		memcpy(np, ptr, osize < nsize ? osize : nsize);
		alloc_lua(a, ptr, osize, 0);
	}
	return np;
}

void
alloc_release(struct alloc *a)
{
	size_t c;

	for (c = 0; c < ALLOC_CLASSES; c++)
		while (a->free[c] != NULL)
			free(small_get(a, c));
}
