/*
 * alloc.c - the command's Lua allocator (see alloc.h).
 *
 * Under AddressSanitizer every block goes to malloc, so that a C pointer
 * into a collected Lua string still shows up as a use after free.
 */
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define CHUNK_SIZE	(64 * 1024)

#if defined(__SANITIZE_ADDRESS__)	/* (gcc) */
#define ALLOC_PLAIN
#elif defined(__has_feature)		/* (clang) */
#if __has_feature(address_sanitizer)
#define ALLOC_PLAIN
#endif
#endif

#ifdef ALLOC_PLAIN
#define POOLED(n)	0
#else
#define POOLED(n)	((n) <= ALLOC_SMALL_MAX)
#endif

/* Size class of a small block of n > 0 bytes: n rounded up to 16. */
#define CLASS(n)	(((n) - 1) / 16)

/* A small block of class c, or NULL when memory is out. */
static void *
small_get(struct alloc *a, size_t c)
{
	size_t size = (c + 1) * 16;
	void *p = a->free[c];
	char *chunk;

	if (p != NULL) {
		memcpy(&a->free[c], p, sizeof(void *));
		return p;
	}
	if ((size_t)(a->end - a->next) < size) {
		/* (the old chunk's tail, under 512 bytes, stays unused) */
		if ((chunk = malloc(CHUNK_SIZE)) == NULL)
			return NULL;
		memcpy(chunk, &a->chunks, sizeof(void *));
		a->chunks = chunk;
		a->next = chunk + 16;	/* (the link, kept 16-aligned) */
		a->end = chunk + CHUNK_SIZE;
	}
	p = a->next;
	a->next += size;
	return p;
}

static void
small_put(struct alloc *a, void *p, size_t c)
{
	memcpy(p, &a->free[c], sizeof(void *));
	a->free[c] = p;
}

/*
** lua_Alloc: ptr == NULL allocates nsize bytes (osize is then a type tag,
** not a size); nsize == 0 frees ptr, of osize bytes; otherwise ptr's block
** is resized from osize to nsize.  Lua requires a shrink never to fail:
** when no smaller block can be had the old one is kept, which is safe,
** since it is large enough for any later use of its class or size.
*/
void *
alloc_lua(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct alloc *a = ud;
	void *np;

	if (ptr == NULL)
		osize = 0;
	if (nsize == 0) {
		if (ptr != NULL) {
			if (POOLED(osize))
				small_put(a, ptr, CLASS(osize));
			else
				free(ptr);
		}
		return NULL;
	}
	if (POOLED(nsize)) {
		if (osize > 0 && POOLED(osize) && CLASS(osize) == CLASS(nsize))
			return ptr;	/* the same class: nothing to do */
		np = small_get(a, CLASS(nsize));
	} else if (osize == 0 || !POOLED(osize)) {
		return realloc(ptr, nsize);	/* large to large */
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
	void *c, *next;

	for (c = a->chunks; c != NULL; c = next) {
		memcpy(&next, c, sizeof next);
		free(c);
	}
	memset(a, 0, sizeof *a);
}
