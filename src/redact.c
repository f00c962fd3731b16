/*
 * redact.c - secrets as "***" in every text ptyscript writes out
 * (transcripts, recordings, --trace, messages, pictures).
 *
 * A secret is compiled to a list of elements: a byte; a control byte,
 * which also matches its ECHOCTL form "^X"; a run of \r/\n, which matches
 * a run of 1 to 4 times as many \r/\n (a terminal turns "\n" into "\r\n",
 * a program may add its own).  Leading and trailing \r/\n are not part of
 * a secret: they are how it was sent, not what it is.  The set keeps one
 * copy of each secret (a hash of the bytes), and for each byte value the
 * secrets whose first element accepts it, so a position of the text costs
 * only the secrets that could start there.
 *
 * redact_run scans the text once, left to right: at each position the
 * longest secret that matches there becomes "***", stretched over every
 * secret that overlaps it, and the scan goes on after them.  Text that runs out in the middle of a secret (its prefix is
 * the end of the text) is, by mode: kept back for the next chunk of a
 * stream (it is at most the longest secret's size), "***" at the end of
 * a stream, and in a message "***" when 3 bytes or more.  A message may
 * also begin inside a secret (a match consumed its start): a suffix of 3
 * bytes or more there is "***" too, found through a second index by byte
 * of every element but the first.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define PIECE_MIN	3	/* bytes of a cut secret a message hides */
#define NL_FACTOR	4	/* a run of k \r/\n matches up to 4k of them */

enum { EL_BYTE, EL_CTRL, EL_NL };
enum { M_NONE, M_FULL, M_CUT };

struct elem {
	unsigned char kind;
	unsigned char c;	/* EL_BYTE, EL_CTRL: the byte */
	uint32_t max;		/* EL_NL: the longest run it matches */
};

struct secret {
	char *raw;		/* the bytes, for the set */
	size_t len;
	struct elem *el;
	size_t nel;
	uint32_t hash;
};

/* A list of secret numbers (or secret, element pairs) for one byte. */
struct ref {
	uint32_t s, e;
};

struct refs {
	struct ref *v;
	size_t n, cap;
};

struct redact {
	struct secret *v;
	size_t n, cap;
	uint32_t *slots;	/* hash set: secret number + 1, or 0 */
	size_t nslots;
	struct refs first[256];	/* secrets by the bytes their start takes */
	struct refs piece[256];	/* (secret, element > 0) by the same */
	unsigned long long work;	/* elements compared, in all */
};

static int
is_nl(unsigned char c)
{
	return c == '\r' || c == '\n';
}

static int
is_ctrl(unsigned char c)
{
	return (c < 0x20 || c == 0x7F) && c != '\t' && !is_nl(c);
}

/* FNV-1a: the set only needs to tell secrets apart. */
static uint32_t
hash_bytes(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* Make a new redactor with no secrets; NULL when out of memory. */
struct redact *
redact_new(void)
{
	return calloc(1, sizeof(struct redact));
}

/* Free r and every secret it holds, clearing the bytes first. */
void
redact_free(struct redact *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n; i++) {
		explicit_bzero(r->v[i].raw, r->v[i].len);
		free(r->v[i].raw);
		free(r->v[i].el);
	}
	for (i = 0; i < 256; i++) {
		free(r->first[i].v);
		free(r->piece[i].v);
	}
	free(r->v);
	free(r->slots);
	free(r);
}

/* Secrets held (each once). */
size_t
redact_count(const struct redact *r)
{
	return r->n;
}

/* Elements compared since r was made: the cost of every run, counted. */
unsigned long long
redact_work(const struct redact *r)
{
	return r->work;
}

static int
refs_add(struct refs *x, uint32_t s, uint32_t e)
{
	struct ref *v;
	size_t cap;

	if (x->n > 0 && x->v[x->n - 1].s == s && x->v[x->n - 1].e == e)
		return 0;	/* (a control byte's two forms, one byte) */
	if (x->n == x->cap) {
		cap = x->cap ? x->cap * 2 : 4;
		if ((v = realloc(x->v, cap * sizeof *v)) == NULL)
			return -1;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n].s = s;
	x->v[x->n].e = e;
	x->n++;
	return 0;
}

/* Index element e of secret s under every byte it may start with. */
static int
index_elem(struct refs *tab, uint32_t s, uint32_t e, const struct elem *el)
{
	switch (el->kind) {
	case EL_BYTE:
		return refs_add(&tab[el->c], s, e);
	case EL_CTRL:
		if (refs_add(&tab[el->c], s, e) == -1)
			return -1;
		return refs_add(&tab['^'], s, e);
	default:
		if (refs_add(&tab['\r'], s, e) == -1)
			return -1;
		return refs_add(&tab['\n'], s, e);
	}
}

/* Compile s[0..n) (no leading or trailing \r/\n) into sc->el. */
static int
compile(struct secret *sc, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k, run;

	if ((sc->el = calloc(n, sizeof *sc->el)) == NULL)
		return -1;
	for (k = 0; i < n; k++) {
		if (is_nl(u[i])) {
			for (run = 0; i < n && is_nl(u[i]); i++)
				run++;
			sc->el[k].kind = EL_NL;
			sc->el[k].max = run > UINT32_MAX / NL_FACTOR ?
			    UINT32_MAX : (uint32_t)(run * NL_FACTOR);
		} else {
			sc->el[k].kind = is_ctrl(u[i]) ? EL_CTRL : EL_BYTE;
			sc->el[k].c = u[i++];
		}
	}
	sc->nel = k;
	return 0;
}

/* The slot of the secret s[0..n) with hash h, or of the hole for it. */
static size_t
find_slot(const struct redact *r, const char *s, size_t n, uint32_t h)
{
	size_t i = h & (r->nslots - 1);
	const struct secret *sc;

	while (r->slots[i] != 0) {
		sc = &r->v[r->slots[i] - 1];
		if (sc->hash == h && sc->len == n && memcmp(sc->raw, s, n) == 0)
			break;
		i = (i + 1) & (r->nslots - 1);
	}
	return i;
}

/* Keep the hash set at most half full. */
static int
grow_slots(struct redact *r)
{
	size_t i, n = r->nslots ? r->nslots * 2 : 16;
	uint32_t *old = r->slots, *slots;
	size_t oldn = r->nslots;

	if ((slots = calloc(n, sizeof *slots)) == NULL)
		return -1;
	r->slots = slots;
	r->nslots = n;
	for (i = 0; i < oldn; i++)
		if (old[i] != 0) {
			const struct secret *sc = &r->v[old[i] - 1];

			r->slots[find_slot(r, sc->raw, sc->len, sc->hash)] =
			    old[i];
		}
	free(old);
	return 0;
}

/*
 * Add the secret s[0..n), without the \r/\n around it.  Returns 1 when
 * it is new, 0 when it is empty or known already, -1 when out of memory
 * (errno ENOMEM).
 */
int
redact_add(struct redact *r, const char *s, size_t n)
{
	struct secret sc, *v;
	size_t slot, cap, i;
	uint32_t num;

	while (n > 0 && is_nl((unsigned char)s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_nl((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	if (r->n >= UINT32_MAX - 1) {
		errno = ENOMEM;
		return -1;
	}
	if ((r->n + 1) * 2 > r->nslots && grow_slots(r) == -1)
		return -1;
	memset(&sc, 0, sizeof sc);
	sc.hash = hash_bytes(s, n);
	slot = find_slot(r, s, n, sc.hash);
	if (r->slots[slot] != 0)
		return 0;
	if (r->n == r->cap) {
		cap = r->cap ? r->cap * 2 : 4;
		if ((v = realloc(r->v, cap * sizeof *v)) == NULL)
			return -1;
		r->v = v;
		r->cap = cap;
	}
	if ((sc.raw = malloc(n)) == NULL || compile(&sc, s, n) == -1) {
		free(sc.raw);
		return -1;
	}
	memcpy(sc.raw, s, n);
	sc.len = n;
	num = (uint32_t)r->n;
	/*
	 * XXX: out of memory while indexing leaves a partial index: the
	 * secret is then found from fewer bytes.  It is kept, and its own
	 * first byte is indexed first.
	 */
	r->v[r->n++] = sc;
	r->slots[slot] = num + 1;
	if (index_elem(r->first, num, 0, &sc.el[0]) == -1)
		return -1;
	for (i = 1; i < sc.nel; i++)
		if (index_elem(r->piece, num, (uint32_t)i, &sc.el[i]) == -1)
			return -1;
	return 1;
}

/*
 * Match the secret's elements from e on against s[0..n): M_FULL with the
 * bytes in *len, M_CUT when s ends while it still matches, or M_NONE.
 */
static int
match_from(struct redact *r, const struct secret *sc, size_t e,
    const unsigned char *s, size_t n, size_t *len)
{
	size_t i = 0, k;

	for (; e < sc->nel; e++) {
		const struct elem *el = &sc->el[e];

		r->work++;
		if (i == n)
			return M_CUT;
		switch (el->kind) {
		case EL_BYTE:
			if (s[i] != el->c)
				return M_NONE;
			i++;
			break;
		case EL_CTRL:
			if (s[i] == el->c) {
				i++;
				break;
			}
			if (s[i] != '^')
				return M_NONE;
			if (i + 1 == n)
				return M_CUT;
			if (s[i + 1] != (el->c ^ 0x40))
				return M_NONE;
			i += 2;
			break;
		default:
			for (k = 0; i < n && k < el->max && is_nl(s[i]); k++)
				i++;
			if (k == 0)
				return M_NONE;
			if (i == n)
				return M_CUT;	/* more of the run, or not */
			if (is_nl(s[i]))
				return M_NONE;	/* a longer run than echo makes */
			break;
		}
	}
	*len = i;
	return M_FULL;
}

/*
 * At s[i..n): the longest secret that matches there (*full, 0 if none)
 * and whether the text ends inside one (*cut).
 */
static void
look_at(struct redact *r, const unsigned char *s, size_t n, size_t i,
    size_t *full, int *cut)
{
	const struct refs *x = &r->first[s[i]];
	size_t k, len;

	*full = 0;
	*cut = 0;
	for (k = 0; k < x->n; k++) {
		switch (match_from(r, &r->v[x->v[k].s], 0, s + i, n - i, &len)) {
		case M_FULL:
			if (len > *full)
				*full = len;
			break;
		case M_CUT:
			*cut = 1;
			break;
		}
	}
}

/*
 * The bytes of a message's start that are the end (or the inside) of a
 * secret, at least PIECE_MIN of them; 0 if none.
 */
static size_t
leading_piece(struct redact *r, const unsigned char *s, size_t n)
{
	const struct refs *x = &r->piece[s[0]];
	size_t k, len, best = 0;

	for (k = 0; k < x->n; k++) {
		switch (match_from(r, &r->v[x->v[k].s], x->v[k].e, s, n, &len)) {
		case M_FULL:
			if (len >= PIECE_MIN && len > best)
				best = len;
			break;
		case M_CUT:
			if (n >= PIECE_MIN)
				return n;	/* all of it is inside one */
			break;
		}
	}
	return best;
}

/*
 * A secret matched s[i..end): where the "***" for it must end so that
 * no secret overlapping it shows a piece of itself after it (with
 * secrets "key-abc" and "abc123", "key-abc123" is all "***", not
 * "***123").  Each position inside is looked at once, so the cost stays
 * linear.  0 in a stream when one of them runs into the end of the text:
 * then the next chunk decides, from i.
 */
static size_t
cover(struct redact *r, const unsigned char *s, size_t n, size_t i,
    size_t end, enum redact_mode mode)
{
	size_t j, full;
	int cut;

	for (j = i + 1; j < end; j++) {
		if (r->first[s[j]].n == 0)
			continue;
		look_at(r, s, n, j, &full, &cut);
		if (cut && mode == REDACT_STREAM)
			return 0;
		if (cut && (mode == REDACT_FINAL || n - j >= PIECE_MIN))
			return n;
		if (j + full > end)
			end = j + full;
	}
	return end;
}

/*
 * Write s[0..n) through emit with every secret as "***" (see the top of
 * the file for the modes).  *used is the bytes consumed: all of them
 * except a tail kept back in REDACT_STREAM mode, which the caller puts
 * before the next chunk.  Returns 0, or what a failing emit returned.
 */
int
redact_run(struct redact *r, const char *text, size_t n,
    enum redact_mode mode, redact_emit emit, void *ctx, size_t *used)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, lit = 0, full, piece, end;
	int cut, rc;

#define FLUSH_TO(j) do {						\
	if ((j) > lit && (rc = emit(ctx, text + lit, (j) - lit)) != 0)	\
		return rc;						\
} while (0)
#define STARS() do {							\
	if ((rc = emit(ctx, "***", 3)) != 0)				\
		return rc;						\
} while (0)

	*used = 0;
	if (mode == REDACT_STATIC && n > 0 &&
	    (piece = leading_piece(r, s, n)) > 0) {
		look_at(r, s, n, 0, &full, &cut);
		if (piece >= full) {
			STARS();
			i = lit = piece;
		}
	}
	while (i < n) {
		if (r->first[s[i]].n == 0) {
			i++;
			continue;
		}
		look_at(r, s, n, i, &full, &cut);
		if (cut && mode == REDACT_STREAM)
			break;		/* the next chunk decides */
		if (cut && (mode == REDACT_FINAL || n - i >= PIECE_MIN)) {
			FLUSH_TO(i);
			STARS();
			lit = i = n;
			break;
		}
		if (full > 0) {
			if ((end = cover(r, s, n, i, i + full, mode)) == 0)
				break;	/* (stream) one inside goes on later */
			FLUSH_TO(i);
			STARS();
			i = lit = end;
			continue;
		}
		i++;
	}
	FLUSH_TO(i);
	*used = i;
	return 0;
#undef FLUSH_TO
#undef STARS
}
