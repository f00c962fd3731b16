/*
 * redact.c - secrets as "***" in every text ptyscript writes out
 * (transcripts, recordings, --trace, messages, pictures).
 *
 * A secret is a list of elements: a byte; a control byte, which also
 * matches its ECHOCTL form "^X"; a run of k \r/\n, which matches a run
 * of 1 to 4k of them (a terminal turns "\n" into "\r\n", a program may
 * add its own).  Leading and trailing \r/\n are not part of a secret:
 * they are how it was sent, not what it is.
 *
 * The secrets are kept in two graphs over elements, so that no scan
 * looks at them one by one and the cost does not grow with their number:
 *
 *   - a trie of the secrets: a secret is held once (its last state is
 *     marked), and the secrets that start at a position of the text are
 *     found by one walk down from the root;
 *   - a suffix automaton of every secret less its first element, for
 *     the one place a secret does not start at its start: a message that
 *     begins inside one.
 *
 * A state's edges on bytes are found through a hash of (state, byte);
 * its edges on runs of \r/\n are a list, longest run first, as a run in
 * the text goes down every edge whose run may echo as it.  With a control
 * byte's two forms, a walk may so be in several states at once: it goes
 * through the text in order, with the states it is in at the next
 * positions, each held once.  It is in one state at a time unless
 * secrets differ only in the length of a run of \r/\n, or in a control
 * byte against "^X" written out, at the same place.
 *
 * redact_run scans the text once, left to right: at each position the
 * longest secret that matches there becomes "***", stretched over every
 * secret that overlaps it, and the scan goes on after them.  Text that
 * runs out in the middle of a secret (its prefix is the end of the text)
 * is, by mode: kept back for the next chunk of a stream (it is at most
 * the longest secret's size), "***" at the end of a stream, and in a
 * message "***" when 3 bytes or more.  A message may also begin inside a
 * secret (a match consumed its start): a suffix of 3 bytes or more
 * there, or all of a message inside one, is "***" too.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

#define PIECE_MIN	3	/* bytes of a cut secret a message hides */
#define NL_FACTOR	4	/* a run of k \r/\n matches up to 4k of them */
#define NL_KEY		256u	/* the key of a run of k \r/\n: NL_KEY + k */
#define K_MAX		((UINT32_MAX - NL_KEY) / NL_FACTOR)
#define NONE		UINT32_MAX	/* no state, no edge */
#define ROOT		0u

#define F_END		0x01	/* a string ends here: a secret (trie), a
				 * suffix of one (automaton) */
#define F_CTRL		0x02	/* an edge on a control byte leaves */

struct state {
	uint32_t edges;		/* its edges on a byte, a list */
	uint32_t nl;		/* on a run of \r/\n, the longest first */
	uint32_t len;		/* automaton: its longest string's elements */
	uint32_t link;		/* automaton: the suffix link */
	uint32_t mark[2];	/* the walk's: in the set of a position */
	unsigned char flags;
};

struct edge {
	uint32_t from, key, to;
	uint32_t next;		/* in from's list */
};

struct graph {
	struct state *st;
	uint32_t nst, capst;
	struct edge *ed;	/* (the keys are the secrets' bytes) */
	uint32_t ned, caped;
	uint32_t *slots;	/* hash of (from, key): edge + 1, or 0 */
	size_t nslots;
};

/* The states a walk is in at one position of the text. */
struct set {
	uint32_t *v;
	size_t n, cap;
	size_t pos;
	uint32_t tag;
};

struct redact {
	struct graph trie;	/* the secrets */
	struct graph sfx;	/* their ends: each less its first element */
	unsigned char start[256];	/* bytes a secret may start with */
	size_t count;		/* secrets held */
	struct set set[3];	/* a walk's positions p, p + 1, p + 2 */
	uint32_t tag;
	unsigned long long work;	/* states and edges tried, in all */
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

/*
 * The element at s[*i] as an edge key (a byte, or NL_KEY + the length
 * of a run of \r/\n); *i moves past it.
 */
static uint32_t
elem_next(const unsigned char *s, size_t n, size_t *i)
{
	size_t run;

	if (!is_nl(s[*i]))
		return s[(*i)++];
	for (run = 0; *i < n && is_nl(s[*i]); (*i)++)
		run++;
	return NL_KEY + (uint32_t)(run > K_MAX ? K_MAX : run);
}

/* A new state with no edges, or NONE when out of memory. */
static uint32_t
state_new(struct graph *g)
{
	struct state *v;
	uint32_t cap;

	if (g->nst == g->capst) {
		if (g->capst >= NONE / 2)
			return NONE;
		cap = g->capst ? g->capst * 2 : 16;
		if ((v = realloc(g->st, cap * sizeof *v)) == NULL)
			return NONE;
		g->st = v;
		g->capst = cap;
	}
	memset(&g->st[g->nst], 0, sizeof g->st[0]);
	g->st[g->nst].edges = g->st[g->nst].nl = NONE;
	g->st[g->nst].link = NONE;
	return g->nst++;
}

static size_t
slot_of(uint32_t from, uint32_t key, size_t nslots)
{
	uint64_t h = ((uint64_t)from << 32 | key) * 0x9E3779B97F4A7C15ull;

	return (size_t)(h >> 32) & (nslots - 1);
}

/* The edge from `from` on key, or NONE. */
static uint32_t
edge_find(const struct graph *g, uint32_t from, uint32_t key)
{
	size_t i;
	const struct edge *e;

	if (g->nslots == 0)
		return NONE;
	for (i = slot_of(from, key, g->nslots); g->slots[i] != 0;
	    i = (i + 1) & (g->nslots - 1)) {
		e = &g->ed[g->slots[i] - 1];
		if (e->from == from && e->key == key)
			return g->slots[i] - 1;
	}
	return NONE;
}

/* The state the edge from `from` on key goes to, or NONE. */
static uint32_t
target(const struct graph *g, uint32_t from, uint32_t key)
{
	uint32_t e = edge_find(g, from, key);

	return e == NONE ? NONE : g->ed[e].to;
}

static void
slot_put(struct graph *g, uint32_t e)
{
	size_t i = slot_of(g->ed[e].from, g->ed[e].key, g->nslots);

	while (g->slots[i] != 0)
		i = (i + 1) & (g->nslots - 1);
	g->slots[i] = e + 1;
}

/*
 * Room for one more edge.  The old array is cleared before it is freed:
 * the keys are the secrets' bytes.
 */
static int
edge_room(struct graph *g)
{
	struct edge *v;
	uint32_t *slots, cap, e;
	size_t n;

	if (g->ned == g->caped) {
		if (g->caped >= NONE / 2)
			return -1;
		cap = g->caped ? g->caped * 2 : 16;
		if ((v = malloc(cap * sizeof *v)) == NULL)
			return -1;
		if (g->ned > 0)
			memcpy(v, g->ed, g->ned * sizeof *v);
		if (g->ed != NULL)
			explicit_bzero(g->ed, g->caped * sizeof *v);
		free(g->ed);
		g->ed = v;
		g->caped = cap;
	}
	if ((size_t)(g->ned + 1) * 2 > g->nslots) {
		n = g->nslots ? g->nslots * 2 : 32;
		if ((slots = calloc(n, sizeof *slots)) == NULL)
			return -1;
		free(g->slots);
		g->slots = slots;
		g->nslots = n;
		for (e = 0; e < g->ned; e++)
			slot_put(g, e);
	}
	return 0;
}

/* Add an edge from `from` on key to `to`; -1 when out of memory. */
static int
edge_add(struct graph *g, uint32_t from, uint32_t key, uint32_t to)
{
	struct state *f;
	struct edge *e;
	uint32_t *at;

	if (edge_room(g) == -1)
		return -1;
	e = &g->ed[g->ned];
	e->from = from;
	e->key = key;
	e->to = to;
	f = &g->st[from];
	if (key < NL_KEY) {
		e->next = f->edges;
		f->edges = g->ned;
		if (is_ctrl((unsigned char)key))
			f->flags |= F_CTRL;
	} else {
		for (at = &f->nl; *at != NONE && g->ed[*at].key > key;
		    at = &g->ed[*at].next)
			;
		e->next = *at;
		*at = g->ned;
	}
	slot_put(g, g->ned);
	g->ned++;
	return 0;
}

/* Free g's memory, the secrets' bytes cleared. */
static void
graph_free(struct graph *g)
{
	if (g->ed != NULL)
		explicit_bzero(g->ed, g->caped * sizeof *g->ed);
	free(g->ed);
	free(g->st);
	free(g->slots);
}

/* Make a new redactor with no secrets; NULL when out of memory. */
struct redact *
redact_new(void)
{
	struct redact *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	if (state_new(&r->trie) != ROOT || state_new(&r->sfx) != ROOT) {
		redact_free(r);
		return NULL;
	}
	return r;
}

/* Free r and every secret it holds, clearing the bytes first. */
void
redact_free(struct redact *r)
{
	int i;

	if (r == NULL)
		return;
	graph_free(&r->trie);
	graph_free(&r->sfx);
	for (i = 0; i < 3; i++)
		free(r->set[i].v);
	free(r);
}

/* Secrets held (each once). */
size_t
redact_count(const struct redact *r)
{
	return r->count;
}

/* States and edges tried since r was made: the cost of every run. */
unsigned long long
redact_work(const struct redact *r)
{
	return r->work;
}

/*
 * Put s[0..n) in the trie.  Returns 1 when it is new, 0 when it was
 * there, -1 when out of memory.
 */
static int
trie_add(struct redact *r, const unsigned char *s, size_t n)
{
	struct graph *g = &r->trie;
	uint32_t x = ROOT, y, key;
	size_t i = 0;

	while (i < n) {
		key = elem_next(s, n, &i);
		if ((y = target(g, x, key)) == NONE) {
			if ((y = state_new(g)) == NONE ||
			    edge_add(g, x, key, y) == -1)
				return -1;
			if (x == ROOT && key < NL_KEY) {
				r->start[key] = 1;
				if (is_ctrl((unsigned char)key))
					r->start['^'] = 1;
			}
		}
		x = y;
	}
	if (g->st[x].flags & F_END)
		return 0;
	g->st[x].flags |= F_END;
	r->count++;
	return 1;
}

/*
 * The automaton's state q has strings longer than len(p) + 1: a clone of
 * q takes the shorter ones, and p and its suffixes that went to q on key
 * go to the clone.  Returns the clone, or NONE when out of memory.
 */
static uint32_t
sfx_split(struct graph *g, uint32_t p, uint32_t key, uint32_t q)
{
	uint32_t clone, e;

	if ((clone = state_new(g)) == NONE)
		return NONE;
	for (e = g->st[q].edges; e != NONE; e = g->ed[e].next)
		if (edge_add(g, clone, g->ed[e].key, g->ed[e].to) == -1)
			return NONE;
	for (e = g->st[q].nl; e != NONE; e = g->ed[e].next)
		if (edge_add(g, clone, g->ed[e].key, g->ed[e].to) == -1)
			return NONE;
	g->st[clone].len = g->st[p].len + 1;
	g->st[clone].link = g->st[q].link;
	g->st[clone].flags = g->st[q].flags;
	for (; p != NONE && (e = edge_find(g, p, key)) != NONE &&
	    g->ed[e].to == q; p = g->st[p].link)
		g->ed[e].to = clone;
	g->st[q].link = clone;
	return clone;
}

/*
 * Extend the automaton by key after state last (the string so far):
 * returns the state of the string with key, or NONE when out of memory.
 * (Several strings: a transition may already be there.)
 */
static uint32_t
sfx_extend(struct graph *g, uint32_t last, uint32_t key)
{
	uint32_t cur, p, q;

	if ((q = target(g, last, key)) != NONE) {
		if (g->st[q].len == g->st[last].len + 1)
			return q;
		return sfx_split(g, last, key, q);
	}
	if ((cur = state_new(g)) == NONE)
		return NONE;
	g->st[cur].len = g->st[last].len + 1;
	g->st[cur].link = ROOT;
	for (p = last; p != NONE && (q = target(g, p, key)) == NONE;
	    p = g->st[p].link)
		if (edge_add(g, p, key, cur) == -1)
			return NONE;
	if (p == NONE)
		return cur;
	if (g->st[q].len == g->st[p].len + 1) {
		g->st[cur].link = q;
		return cur;
	}
	if ((q = sfx_split(g, p, key, q)) == NONE)
		return NONE;
	g->st[cur].link = q;
	return cur;
}

/* Put s[0..n) less its first element in the automaton. */
static int
sfx_add(struct graph *g, const unsigned char *s, size_t n)
{
	uint32_t x = ROOT;
	size_t i = 0;

	(void)elem_next(s, n, &i);
	while (i < n)
		if ((x = sfx_extend(g, x, elem_next(s, n, &i))) == NONE)
			return -1;
	/* its suffixes; a state marked has its own suffixes marked */
	for (; x != ROOT && x != NONE && !(g->st[x].flags & F_END);
	    x = g->st[x].link)
		g->st[x].flags |= F_END;
	return 0;
}

/*
 * Add the secret s[0..n), without the \r/\n around it.  Returns 1 when
 * it is new, 0 when it is empty or known already, -1 when out of memory
 * (errno ENOMEM).
 */
int
redact_add(struct redact *r, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	int rc;

	while (n > 0 && is_nl(s[0])) {
		s++;
		n--;
	}
	while (n > 0 && is_nl(s[n - 1]))
		n--;
	if (n == 0)
		return 0;
	/*
	 * XXX: out of memory in the automaton leaves the secret held, but
	 * a message that begins inside it may show the rest.
	 */
	if ((rc = trie_add(r, s, n)) == 1 && sfx_add(&r->sfx, s, n) == -1)
		rc = -1;
	if (rc == -1)
		errno = ENOMEM;
	return rc;
}

/* Begin the set of the states of a walk at position pos. */
static void
set_begin(struct redact *r, struct set *x, size_t pos)
{
	uint32_t i;

	if (++r->tag == 0) {	/* (every 4G sets: the marks start again) */
		for (i = 0; i < r->trie.nst; i++)
			r->trie.st[i].mark[0] = r->trie.st[i].mark[1] = 0;
		for (i = 0; i < r->sfx.nst; i++)
			r->sfx.st[i].mark[0] = r->sfx.st[i].mark[1] = 0;
		r->tag = 1;
	}
	x->n = 0;
	x->pos = pos;
	x->tag = r->tag;
}

/* Put state q of g in set x, once; -1 when out of memory. */
static int
set_put(struct graph *g, struct set *x, uint32_t q)
{
	uint32_t *mark = &g->st[q].mark[x->pos & 1];
	uint32_t *v;
	size_t cap;

	if (*mark == x->tag)
		return 0;
	if (x->n == x->cap) {
		cap = x->cap ? x->cap * 2 : 16;
		if ((v = realloc(x->v, cap * sizeof *v)) == NULL)
			return -1;
		x->v = v;
		x->cap = cap;
	}
	*mark = x->tag;
	x->v[x->n++] = q;
	return 0;
}

/*
 * Walk g from its root over s[p0..n): *full is the most text read to a
 * state marked F_END (at least min bytes, else 0), *cut whether the text
 * ends while a string could still go on (a state with edges, "^" of a
 * control byte's "^X", a run of \r/\n).  Out of memory, all of it is
 * taken for a secret that goes on.
 */
static void
walk(struct redact *r, struct graph *g, const unsigned char *s, size_t n,
    size_t p0, size_t min, size_t *full, int *cut)
{
	struct set *a = &r->set[0], *b = &r->set[1], *c = &r->set[2], *t;
	const struct state *x;
	size_t p = p0, k, run;
	uint32_t e, y;

	*full = 0;
	*cut = 0;
	set_begin(r, a, p);
	set_begin(r, b, p + 1);
	set_begin(r, c, p + 2);
	if (set_put(g, a, ROOT) == -1)
		goto oom;
	while (a->n > 0 || b->n > 0 || c->n > 0) {
		for (k = 0; k < a->n; k++)
			if ((g->st[a->v[k]].flags & F_END) && p - p0 >= min)
				*full = p - p0;
		if (a->n > 0 && p == n) {	/* (nothing goes past n) */
			for (k = 0; k < a->n; k++) {
				r->work++;
				x = &g->st[a->v[k]];
				if (x->edges != NONE || x->nl != NONE)
					*cut = 1;
			}
			break;
		}
		if (a->n > 0 && is_nl(s[p])) {
			/* every state goes down the same run (b, c are empty) */
			for (run = 0; p + run < n && is_nl(s[p + run]); run++)
				;
			set_begin(r, b, p + run);
			for (k = 0; k < a->n; k++) {
				r->work++;
				for (e = g->st[a->v[k]].nl; e != NONE;
				    e = g->ed[e].next) {
					r->work++;
					if ((size_t)(g->ed[e].key - NL_KEY) *
					    NL_FACTOR < run)
						break;
					if (p + run == n)
						*cut = 1;	/* more, or not */
					else if (set_put(g, b, g->ed[e].to) == -1)
						goto oom;
				}
			}
			t = a;
			a = b;
			b = t;
			p += run;
			set_begin(r, b, p + 1);
			set_begin(r, c, p + 2);
			continue;
		}
		for (k = 0; k < a->n; k++) {
			r->work++;
			x = &g->st[a->v[k]];
			if ((y = target(g, a->v[k], s[p])) != NONE &&
			    set_put(g, b, y) == -1)
				goto oom;
			if (s[p] != '^' || !(x->flags & F_CTRL))
				continue;
			if (p + 1 == n)
				*cut = 1;	/* "^X" cut in two */
			else if (is_ctrl(s[p + 1] ^ 0x40) &&
			    (y = target(g, a->v[k], s[p + 1] ^ 0x40)) != NONE &&
			    set_put(g, c, y) == -1)
				goto oom;
		}
		t = a;
		a = b;
		b = c;
		c = t;
		p++;
		set_begin(r, c, p + 2);
	}
	return;
oom:
	*full = n - p0 >= min ? n - p0 : 0;
	*cut = 1;
}

/*
 * At s[i..n): the longest secret that matches there (*full, 0 if none)
 * and whether the text ends inside one (*cut).
 */
static void
look_at(struct redact *r, const unsigned char *s, size_t n, size_t i,
    size_t *full, int *cut)
{
	walk(r, &r->trie, s, n, i, 1, full, cut);
}

/*
 * The bytes of a message's start that are the end (or the inside) of a
 * secret, at least PIECE_MIN of them; 0 if none.
 */
static size_t
leading_piece(struct redact *r, const unsigned char *s, size_t n)
{
	size_t full;
	int cut;

	walk(r, &r->sfx, s, n, 0, PIECE_MIN, &full, &cut);
	if (cut && n >= PIECE_MIN)
		return n;	/* all of it is inside one */
	return full;
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
		if (!r->start[s[j]])
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
		if (!r->start[s[i]]) {
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
