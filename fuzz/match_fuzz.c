/*
 * match_fuzz.c - libFuzzer harness for the matching engine.
 *
 * From the input it derives 1-3 patterns (PCRE2 regexes built by a small
 * grammar, raw regex text, or pty.exact literals; with the i, m, s, x
 * flags), an output byte string, a split of the output into chunks, and a
 * match window (maxbuf).  It then runs expect after expect exactly as
 * lua/ptyscript/expect.lua does: the output arrives chunk by chunk through
 * proc.c's own proc_take (which bounds the buffer to maxbuf), every pattern
 * resumes from the absolute offset its last MATCH_PARTIAL/MATCH_NONE
 * reported (clamped into the window as l_proc.c's lcore_offset() does),
 * `final` is set once EOF has been seen, the earliest complete match wins
 * with ties to list order, and it consumes the output through its end.
 *
 * Checked at every step, for every pattern:
 *
 *  1. Streaming equals matching at once: the result of the resumed search
 *     (kind, start, end, every group's offsets; for no complete match, the
 *     offset to resume from) is the result of searching the same window
 *     from its start with a second, independently compiled copy of the
 *     pattern (interpreted, or JIT-compiled from the start: so the lazy JIT
 *     of the streaming copy is also checked against the other engine; and
 *     without match.c's skip to the pattern's first byte).
 *     At the last step the window is the whole output with final set, so
 *     "no match" is also compared with matching the whole output at once.
 *     This is the property the resume offsets must keep: a resumed search
 *     never misses or changes a match that a full rescan would find.  It is
 *     deliberately not "the same as the first match of the whole output":
 *     patterns see the output received so far (doc/manual.md,
 *     "Expecting"), so `a+`, `a$` or `a(?!b)` legitimately match a prefix.
 *     For a single literal, where no such effect exists, the sequence of
 *     matches must also equal the leftmost occurrences in the whole output.
 *  2. Never out of bounds: every search runs on a copy of the window that
 *     ends (or, depending on the input, starts) at an inaccessible guard
 *     page, so an over-read by PCRE2 or its JIT code (neither is
 *     instrumented by ASan) faults; match.c and proc.c are instrumented.
 *  3. Memory: after every chunk the window holds at most maxbuf bytes, they
 *     are exactly the newest unconsumed bytes of the output (base + length
 *     = bytes received), and the buffer's allocation stays within
 *     max(256, 4 * maxbuf) (buf.c doubles up to twice what is needed).
 *
 * Known differences, which the harness does not report:
 *  - \G asserts the position where a search starts, which for a resumed
 *    search is the resume offset: streaming and a full rescan differ by
 *    construction.  Patterns containing \G are matched but not compared.
 *  - When maxbuf drops unconsumed bytes during an expect, the window's new
 *    first byte becomes a "start of subject" for ^, \A, \b, \B and
 *    lookbehinds, so a full rescan may find a match at a position the
 *    streaming search had already passed.  For patterns that can look
 *    before their match, results are not compared after such a drop.
 *  - In multiline mode ^ does not match after a newline that ends the
 *    subject, and PCRE2 reports no partial match there: a pattern that
 *    matches a newline and then ^ misses a match whose newline ended a
 *    read (doc/manual.md, "Limits").  Such patterns are not
 *    compared for the rest of an expect once a window ends in a newline.
 *  - Bugs of PCRE2 10.42 (Debian 12) with PCRE2_MATCH_INVALID_UTF, where
 *    the interpreter and the JIT disagree; ptyscript's lazy JIT (first
 *    scan interpreted, later ones JIT) makes the affected patterns change
 *    meaning with use.  A probe at start-up tests for each (see probes[]
 *    below) and, only where this PCRE2 has it, the harness says so on
 *    stderr and keeps the affected patterns off the faulty comparison
 *    (streaming is still compared with matching at once on one engine):
 *    JIT \S \W \D never match non-ASCII (PCRE2 issue 224); interpreter
 *    \z \Z match before an invalid byte (PCRE2 issue 343); JIT \b reads one
 *    byte past a subject ending in invalid UTF-8 and depends on it (an
 *    over-read: such patterns run interpreted only).
 *  - Where a zero-width match may start in a window that is not valid
 *    UTF-8 depends on PCRE2's engine and on the start offset (the JIT
 *    never starts at a stray continuation byte, PCRE2 issue 944; after
 *    trailing invalid bytes the end is tried only by a search that starts
 *    there, and `(?!\A)` on "\xff" finds [1, 1) from offset 1 but
 *    nothing from 0).  Patterns that can match the empty string are not
 *    compared on such windows; for expect they are degenerate anyway.
 *  - On a window that is not valid UTF-8 the interpreter reports partial
 *    matches the JIT does not, and where depends on the start offset:
 *    resume offsets are compared only on valid UTF-8 and one engine (a
 *    partial match there only makes the next search start earlier).
 *
 * A PCRE2 error (a match limit: patterns get (*LIMIT_MATCH=...)) ends the
 * input without a verdict.
 *
 * Input format (a byte reader; missing bytes read as 0):
 *   byte   config: bits 0-1 patterns-1 (3 reads as 1), bit 2 EOF comes as
 *          its own event after the last chunk, bit 3 guard page before
 *          the window instead of after, bits 4-5 maxbuf (0,1: 1 MiB, the
 *          default; 2: 1 + next byte % 64; 3: 1 + next byte), bit 6 raw
 *          output bytes (else mapped through an alphabet of ASCII, UTF-8,
 *          truncated UTF-8, invalid bytes and NUL), bit 7 reference
 *          copy JIT-compiled (else interpreted)
 *   per pattern: byte kind (bits 0-1: 0,1 grammar regex, 2 raw regex
 *          text, 3 literal; bits 2-5 flags i m s x), byte n, then n bytes
 *          (the grammar's choices, the regex text, or the literal's
 *          bytes, mapped like the output)
 *   byte, byte  output length (little endian, at most MAX_OUT input bytes)
 *   bytes  the output
 *   bytes  chunk sizes, one a byte: b < 128 gives b % 17 (0: a wake-up
 *          with no new bytes), else (b - 127) * 8; when they run out, the
 *          rest of the output comes in one chunk
 * fuzz/mkseeds.lua writes the seed corpus in this format.
 *
 * Environment: MATCH_FUZZ_TRACE=1 prints the derived patterns, output and
 * every search (to read a crash input); MATCH_FUZZ_STRICT=1 also compares
 * the known differences above that are not PCRE2 bugs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "match.h"
#include "proc.h"	/* the buffer's own code: proc_take, proc_consume */

#define MAX_PAT		3
#define MAX_OUT		1024	/* input bytes of output; mapped: x4 */
#define MAX_OUTBYTES	(4 * MAX_OUT)
#define MAX_EXPECTS	32
#define MAX_PATTEXT	512
#define LIMIT		"(*LIMIT_MATCH=20000)"

/* ---- input reader ---- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned
get(struct rd *r)
{
	if (r->n == 0)
		return 0;
	r->n--;
	return *r->p++;
}

/* ---- alphabet for outputs and literals ---- */

static const char *const alpha[16] = {
	"a", "b", "c", "x", " ", "\n", "\r", "1",
	"\xc3\xa9",		/* é */
	"\xe2\x82\xac",		/* € */
	"\xc3",			/* a truncated sequence */
	"\xff",			/* never valid UTF-8 */
	"\0",
	"A", "_",
	"\xf0\x9f\x98\x80"	/* a 4-byte character */
};
static const unsigned alpha_len[16] = {
	1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 1, 1, 1, 1, 1, 4
};

/* Append the bytes for input byte b to out[*len], within cap. */
static void
put_mapped(char *out, size_t *len, size_t cap, unsigned b, int raw)
{
	if (raw) {
		if (*len < cap)
			out[(*len)++] = (char)b;
		return;
	}
	b &= 15;
	if (*len + alpha_len[b] <= cap) {
		memcpy(out + *len, alpha[b], alpha_len[b]);
		*len += alpha_len[b];
	}
}

/* ---- the regex grammar ---- */

struct gen {
	struct rd r;
	char *s;
	size_t len, cap;
	int ngroups, depth;
};

static void
emit(struct gen *g, const char *t)
{
	size_t n = strlen(t);

	if (g->len + n < g->cap) {
		memcpy(g->s + g->len, t, n);
		g->len += n;
		g->s[g->len] = '\0';
	}
}

/* One character of the alphabet, as regex syntax. */
static void
gen_char(struct gen *g)
{
	static const char *const lit[16] = {
		"a", "b", "c", "x", " ", "\\n", "\\r", "1",
		"\xc3\xa9", "\xe2\x82\xac", "\\xc3", "\\xff", "\\x00",
		"A", "_", "\xf0\x9f\x98\x80"
	};

	emit(g, lit[get(&g->r) & 15]);
}

static void gen_re(struct gen *g);

/* A short fixed-length piece, for lookbehinds. */
static void
gen_fixed(struct gen *g)
{
	static const char *const fx[8] = {
		"a", "b", "\\n", "\\w", "[ab]", "\\d", ".", "\\xc3"
	};
	unsigned n = 1 + get(&g->r) % 2, i;

	for (i = 0; i < n; i++)
		emit(g, fx[get(&g->r) & 7]);
}

static void
gen_re(struct gen *g)
{
	static const char *const cls[] = {
		".", "[ab]", "[^a\\n]", "\\d", "\\w", "\\s", "\\W", "\\R", "\\X",
		"\\p{L}", "\\N", "[a-c\xc3\xa9]", "\\S", "[[:alpha:]]", "\\h",
		"\\C"
	};
	static const char *const quant[] = {
		"*", "+", "?", "{0,2}", "{1,3}", "{2}", "*?", "+?", "??",
		"*+", "++", "?+", "{2,}"
	};
	static const char *const anchor[] = {
		"^", "$", "\\b", "\\B", "\\A", "\\z", "\\Z", "\\G"
	};
	unsigned op;

	if (g->r.n == 0 || g->depth > 5 || g->len > MAX_PATTEXT - 64) {
		gen_char(g);
		return;
	}
	g->depth++;
	op = get(&g->r) % 20;
	switch (op) {
	case 0: case 1: case 2: case 3:
		gen_char(g);
		break;
	case 4:
		emit(g, cls[get(&g->r) % (sizeof cls / sizeof cls[0])]);
		break;
	case 5: case 6: case 7:		/* concatenation */
		gen_re(g);
		gen_re(g);
		if (op == 7)
			gen_re(g);
		break;
	case 8:
		gen_re(g);
		emit(g, "|");
		gen_re(g);
		break;
	case 9:
		g->ngroups++;
		if (get(&g->r) & 1) {
			char name[16];

			snprintf(name, sizeof name, "(?<n%d>", g->ngroups);
			emit(g, name);
		} else {
			emit(g, "(");
		}
		gen_re(g);
		emit(g, ")");
		break;
	case 10:
		emit(g, get(&g->r) & 1 ? "(?:" : "(?>");
		gen_re(g);
		emit(g, ")");
		break;
	case 11: case 12:
		emit(g, "(?:");
		gen_re(g);
		emit(g, ")");
		emit(g, quant[get(&g->r) % (sizeof quant / sizeof quant[0])]);
		break;
	case 13:
		emit(g, anchor[get(&g->r) % (sizeof anchor / sizeof anchor[0])]);
		break;
	case 14:
		emit(g, get(&g->r) & 1 ? "(?=" : "(?!");
		gen_re(g);
		emit(g, ")");
		break;
	case 15:
		emit(g, get(&g->r) & 1 ? "(?<=" : "(?<!");
		gen_fixed(g);
		emit(g, ")");
		break;
	case 16:
		if (g->ngroups > 0) {
			char ref[8];

			snprintf(ref, sizeof ref, "\\%d",
			    1 + (int)(get(&g->r) % (unsigned)g->ngroups));
			emit(g, ref);
		} else {
			gen_char(g);
		}
		break;
	case 17:
		emit(g, "\\K");
		break;
	case 18:
		gen_char(g);
		gen_char(g);
		gen_char(g);
		break;
	default:			/* a character class with a range */
		emit(g, get(&g->r) & 1 ? "[" : "[^");
		gen_char(g);
		emit(g, "-");
		gen_char(g);
		emit(g, "]");
		break;
	}
	g->depth--;
}

/* ---- guarded subject memory ---- */

static char *guard_lo;		/* first byte after the front guard page */
static char *guard_hi;		/* the back guard page */

static void
guard_init(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t data = ((MAX_OUTBYTES + (size_t)pg - 1) / (size_t)pg + 1) *
	    (size_t)pg;
	char *m;

	m = mmap(NULL, data + 2 * (size_t)pg, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		abort();
	if (mprotect(m, (size_t)pg, PROT_NONE) == -1 ||
	    mprotect(m + (size_t)pg + data, (size_t)pg, PROT_NONE) == -1)
		abort();
	guard_lo = m + pg;
	guard_hi = m + pg + data;
}

/* A copy of the window right after the front guard or right before the back. */
static const char *
guarded(const char *s, size_t n, int front)
{
	char *d = front ? guard_lo : guard_hi - n;

	if (n > 0)
		memcpy(d, s, n);
	return d;
}

/* ---- probes for known PCRE2 engine bugs ---- */

/*
 * Each probe is a pattern and a subject that show a bug of this PCRE2:
 * DISAGREE, the interpreter and the JIT give different results; OVERREAD,
 * the JIT's result depends on the byte after the subject's end (it reads
 * past it: with the guard page, a crash).  Patterns that contain one of
 * the probe's escapes then run both copies on one engine (DISAGREE) or
 * interpreted only (OVERREAD), and the harness says so once on stderr.
 */
enum { DISAGREE, OVERREAD };
static const struct probe {
	int kind;
	const char *pat, *subj, *esc[3], *what;
} probes[] = {
	{ DISAGREE, "\\S", "\xc3\xa9", { "\\S", "\\W", "\\D" },
	  "JIT: \\S, \\W, \\D never match a non-ASCII character "
	  "(PCRE2 issue 224)" },
	{ DISAGREE, "a\\z", "a\xff" "b", { "\\z", "\\Z", NULL },
	  "interpreter: \\z and \\Z match before an invalid UTF-8 byte "
	  "(PCRE2 issue 343)" },
	{ OVERREAD, "\\b", "\xff", { "\\b", "\\B", NULL },
	  "JIT: \\b reads the byte after a subject that ends in invalid "
	  "UTF-8, and its result depends on it" },
};
#define NPROBES (sizeof probes / sizeof probes[0])
static int probe_bug[NPROBES];
static int probed;

/*
 * One engine's verdict on a probe's subject followed (outside the
 * subject) by the byte after: 1 for MATCH_FULL, 0 if not, -1 without JIT.
 */
static int
probe_run(const struct probe *pb, int jit, char after)
{
	struct match_re re;
	char err[128], subj[16];
	size_t erroff, s, e, n = strlen(pb->subj);
	int rc;

	if (match_compile(&re, pb->pat, strlen(pb->pat), 0, err, sizeof err,
	    &erroff) == -1 || n + 1 > sizeof subj)
		abort();
	if (jit) {
		if (pcre2_jit_compile(re.code, PCRE2_JIT_COMPLETE |
		    PCRE2_JIT_PARTIAL_SOFT) != 0) {
			match_free(&re);
			return -1;
		}
		re.jit = 1;
	} else {
		re.jit_failed = 1;
	}
	memcpy(subj, pb->subj, n);
	subj[n] = after;
	rc = match_exec(&re, subj, n, 0, 1, &s, &e);
	match_free(&re);
	return rc == MATCH_FULL;
}

static void
probe_all(void)
{
	const struct probe *pb;
	unsigned i;
	int j;

	for (i = 0; i < NPROBES; i++) {
		pb = &probes[i];
		j = probe_run(pb, 1, ' ');
		if (j == -1)
			continue;	/* no JIT here */
		if (pb->kind == DISAGREE)
			probe_bug[i] = j != probe_run(pb, 0, ' ');
		else
			probe_bug[i] = j != probe_run(pb, 1, 'a');
		if (probe_bug[i])
			fprintf(stderr, "match_fuzz: known PCRE2 bug present, "
			    "%s: patterns %s\n",
			    pb->what, pb->kind == DISAGREE ?
			    "with these escapes run both copies on one engine" :
			    "with these escapes run interpreted only");
	}
	probed = 1;
}

/* ---- patterns ---- */

struct pat {
	int lit;		/* pty.exact */
	char text[MAX_PATTEXT + sizeof LIMIT];
	size_t tlen;
	int context;		/* may look before its match: ^ \A \b \B (?< */
	int compare;		/* results are compared (cleared per expect) */
	int has_g;		/* \G: never compared */
	int nl_caret;		/* may match a newline, then a multiline ^ */
	int empty;		/* can match the empty string */
	struct match_re st;	/* the streaming copy (lazy JIT) */
	struct match_re ref;	/* the reference copy */
};

static int
contains(const char *s, size_t n, const char *t)
{
	return memmem(s, n, t, strlen(t)) != NULL;
}

/*
 * What the known engine bugs (probes) require of this pattern: 0 nothing,
 * 1 both copies on one engine, 2 interpreted only.
 */
static int
one_engine(const struct pat *pt)
{
	unsigned i, j;
	int need = 0;

	for (i = 0; i < NPROBES; i++)
		for (j = 0; j < 3 && probe_bug[i]; j++)
			if (probes[i].esc[j] != NULL &&
			    contains(pt->text, pt->tlen, probes[i].esc[j]) &&
			    need < (probes[i].kind == OVERREAD ? 2 : 1))
				need = probes[i].kind == OVERREAD ? 2 : 1;
	return need;
}

#define FAIL(...) do {							\
	fprintf(stderr, "match_fuzz: " __VA_ARGS__);			\
	fputc('\n', stderr);						\
	dump_state(pats, npat, out, outlen, maxbuf);			\
	abort();							\
} while (0)

static void
dump_bytes(const char *what, const char *s, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu): \"", what, n);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "\"\n");
}

static void
dump_state(struct pat *pats, int npat, const char *out, size_t outlen,
    size_t maxbuf)
{
	int i;

	for (i = 0; i < npat; i++)
		dump_bytes(pats[i].lit ? "literal" : "regex", pats[i].text,
		    pats[i].tlen);
	dump_bytes("output", out, outlen);
	fprintf(stderr, "  maxbuf %zu\n", maxbuf);
}

/*
 * The window's first byte.  Not buf_head(): with nothing ever buffered its
 * data pointer is NULL, and NULL + 0 is undefined behaviour (UBSan reports
 * it; the harness must not trip over it itself).
 */
static const char *
window(const struct proc *p)
{
	return p->in.data != NULL ? p->in.data + p->in.start : "";
}

/* Whether s[0, n) is valid UTF-8 (as PCRE2 checks it: no overlongs, no
 * surrogates, nothing above U+10FFFF, nothing truncated). */
static int
utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, k, need;
	unsigned long c;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			need = 1, c = s[i] & 0x1f;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			need = 2, c = s[i] & 0x0f;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			need = 3, c = s[i] & 0x07;
		else
			return 0;
		if (i + need >= n)
			return 0;	/* truncated */
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
		    || (need == 3 && (c < 0x10000 || c > 0x10ffff)))
			return 0;
		i += need + 1;
	}
	return 1;
}

/* l_proc.c's lcore_offset(): an absolute offset into the window, clamped. */
static size_t
rel(const struct proc *p, unsigned long long a)
{
	if (a <= p->base)
		return 0;
	if (a - p->base > buf_len(&p->in))
		return buf_len(&p->in);
	return (size_t)(a - p->base);
}

static int
run_one(struct pat *pt, int ref, const char *subj, size_t len, size_t from,
    int final, size_t *s, size_t *e)
{
	if (pt->lit)
		return match_literal(pt->text, pt->tlen, subj, len, from, s, e);
	return match_exec(ref ? &pt->ref : &pt->st, subj, len, from, final,
	    s, e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int tracing = -1;	/* MATCH_FUZZ_TRACE=1: show each step */
static int strict = -1;		/* MATCH_FUZZ_STRICT=1: compare \G and
				 * after maxbuf drops too (to see them) */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pat pats[MAX_PAT];
	static char out[MAX_OUTBYTES];
	struct rd r = { data, size };
	struct proc P;
	unsigned cfg, mb, i;
	int npat, eof_apart, front, raw, refjit, eof = 0, nexp, k;
	int trimmed = 0;	/* maxbuf has dropped unconsumed bytes */
	int k_engine;
	size_t maxbuf = 1024 * 1024, outlen = 0, n, fed = 0, cap;
	size_t litpos = 0;	/* single literal: next leftmost occurrence */
	int verdict = 1;

	memset(&P, 0, sizeof P);	/* buf_init: freed at done */
	if (guard_lo == NULL)
		guard_init();
	if (tracing == -1)
		tracing = getenv("MATCH_FUZZ_TRACE") != NULL;
	if (!probed)
		probe_all();
	if (strict == -1)
		strict = getenv("MATCH_FUZZ_STRICT") != NULL;
	cfg = get(&r);
	npat = 1 + (int)(cfg & 3) % 3;
	eof_apart = (cfg >> 2) & 1;
	front = (cfg >> 3) & 1;
	mb = (cfg >> 4) & 3;
	if (mb == 2)
		maxbuf = 1 + get(&r) % 64;
	else if (mb == 3)
		maxbuf = 1 + get(&r);
	raw = (cfg >> 6) & 1;
	refjit = (cfg >> 7) & 1;

	/* The patterns. */
	for (k = 0; k < npat; k++) {
		struct pat *pt = &pats[k];
		unsigned kind = get(&r), len = get(&r);
		uint32_t opts = 0;
		char err[256];
		size_t erroff;
		struct rd sub;

		memset(pt, 0, sizeof *pt);
		pt->compare = 1;
		if (len > r.n)
			len = (unsigned)r.n;
		sub.p = r.p;
		sub.n = len;
		r.p += len;
		r.n -= len;
		if ((kind & 3) == 3) {
			pt->lit = 1;
			while (sub.n > 0)
				put_mapped(pt->text, &pt->tlen, MAX_PATTEXT,
				    get(&sub), raw);
			continue;
		}
		memcpy(pt->text, LIMIT, strlen(LIMIT));
		pt->tlen = strlen(LIMIT);
		if ((kind & 3) == 2) {
			memcpy(pt->text + pt->tlen, sub.p, sub.n);
			pt->tlen += sub.n;
		} else {
			struct gen g;

			memset(&g, 0, sizeof g);
			g.r = sub;
			g.s = pt->text + pt->tlen;
			g.cap = MAX_PATTEXT;
			do
				gen_re(&g);
			while (g.r.n > 0 && g.len < MAX_PATTEXT - 64);
			pt->tlen += g.len;
		}
		if (kind & 4)
			opts |= PCRE2_CASELESS;
		if (kind & 8)
			opts |= PCRE2_MULTILINE;
		if (kind & 16)
			opts |= PCRE2_DOTALL;
		if (kind & 32)
			opts |= PCRE2_EXTENDED;
		if (match_compile(&pt->st, pt->text, pt->tlen, opts, err,
		    sizeof err, &erroff) == -1) {
			npat = k;	/* an invalid regex raises in expect */
			goto done;
		}
		if (match_compile(&pt->ref, pt->text, pt->tlen, opts, err,
		    sizeof err, &erroff) == -1)
			abort();	/* compiled once: must compile again */
		/* The reference searches with PCRE2 alone, so that the
		 * streaming copy's skip to its first byte is checked too. */
		pt->ref.first = pt->ref.first_alt = -1;
		/* (pcre2_match runs the JIT code whenever there is some:
		 * jit_failed only keeps match_exec from compiling it) */
		k_engine = one_engine(pt);
		if (refjit && k_engine < 2) {
			if (pcre2_jit_compile(pt->ref.code, PCRE2_JIT_COMPLETE |
			    PCRE2_JIT_PARTIAL_SOFT) == 0)
				pt->ref.jit = 1;
			else
				pt->ref.jit_failed = 1;
		} else {
			pt->ref.jit_failed = 1;	/* interpret */
		}
		if (k_engine == 2) {
			pt->st.jit_failed = 1;
		} else if (k_engine == 1) {
			/* the streaming copy on the reference's engine */
			if (pt->ref.jit && pcre2_jit_compile(pt->st.code,
			    PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_SOFT) == 0)
				pt->st.jit = 1;
			else
				pt->st.jit_failed = 1;
			if (pt->st.jit != pt->ref.jit)
				abort();
		}
		pt->has_g = contains(pt->text, pt->tlen, "\\G");
		pt->nl_caret = 0;
		if ((opts & PCRE2_MULTILINE) || contains(pt->text, pt->tlen,
		    "(?")) {
			size_t c;

			for (c = 1; c < pt->tlen; c++)
				if (pt->text[c] == '^' && pt->text[c - 1] != '[')
					pt->nl_caret = 1;
		}
		{
			uint32_t minlen = 1;

			pcre2_pattern_info(pt->st.code, PCRE2_INFO_MINLENGTH,
			    &minlen);
			pt->empty = minlen == 0;
		}
		pt->context = pt->has_g || pt->ref.lookbehind > 0 ||
		    memchr(pt->text, '^', pt->tlen) != NULL ||
		    contains(pt->text, pt->tlen, "\\A") ||
		    contains(pt->text, pt->tlen, "\\b") ||
		    contains(pt->text, pt->tlen, "\\B") ||
		    contains(pt->text, pt->tlen, "(?<");
	}

	/* The output. */
	n = get(&r);
	n |= (size_t)get(&r) << 8;
	if (n > MAX_OUT)
		n = MAX_OUT;
	while (n-- > 0 && r.n > 0)
		put_mapped(out, &outlen, sizeof out, get(&r), raw);

	if (tracing) {
		dump_state(pats, npat, out, outlen, maxbuf);
		fprintf(stderr, "  eof apart %d, guard %s, reference %s\n",
		    eof_apart, front ? "before" : "after",
		    refjit ? "JIT" : "interpreted");
	}
	memset(&P, 0, sizeof P);
	P.fd = P.pidfd = -1;
	P.maxbuf = maxbuf;
	buf_init(&P.in);
	buf_init(&P.out);

	for (nexp = 0; nexp < MAX_EXPECTS; nexp++) {
		unsigned long long from[MAX_PAT] = { 0 };

		for (k = 0; k < npat; k++)
			pats[k].compare = !pats[k].has_g || strict;
		for (;;) {		/* one expect: search, else wait */
			size_t len = buf_len(&P.in), bs = 0, be = 0;
			const char *subj = guarded(window(&P), len, front);
			int best = -1;

			for (k = 0; k < npat; k++) {
				struct pat *pt = &pats[k];
				size_t f = rel(&P, from[k]), s, e, rs, re_;
				int rc, rrc;

				rc = run_one(pt, 0, subj, len, f, eof, &s, &e);
				if (rc < 0) {
					verdict = 0;	/* match limit */
					goto done;
				}
				if (s > len || e > len || s > e ||
				    (rc == MATCH_FULL && s < f) ||
				    (rc != MATCH_FULL && s < f))
					FAIL("pattern %d: offsets out of range: "
					    "rc %d from %zu start %zu end %zu "
					    "len %zu", k, rc, f, s, e, len);
				/* PCRE2: a multiline ^ never matches after a
				 * newline that ends the subject, and that is
				 * no partial match either (doc/manual.md) */
				if (pt->nl_caret && !eof && !strict &&
				    rc != MATCH_FULL && len > 0 &&
				    (subj[len - 1] == '\n' ||
				    subj[len - 1] == '\r'))
					pt->compare = 0;
				if (pt->compare && !(pt->empty && !strict &&
				    !utf8_valid(subj, len))) {
					rrc = run_one(pt, 1, subj, len, 0, eof,
					    &rs, &re_);
					if (rrc < 0) {
						verdict = 0;
						goto done;
					}
					/* Resume offsets are compared only
					 * on valid UTF-8 and between the same
					 * engines: on a window that ends in
					 * invalid UTF-8 the interpreter
					 * reports a partial match where the
					 * JIT reports none, and where it does
					 * depends on where it started
					 * (harmless: it resumes earlier). */
					if ((rc == MATCH_FULL) !=
					    (rrc == MATCH_FULL) ||
					    (rc == MATCH_FULL && (rs != s ||
					    re_ != e)) || (rc != MATCH_FULL &&
					    rs != s && (pt->lit ||
					    (pt->st.jit == pt->ref.jit &&
					    utf8_valid(subj, len)))))
						FAIL("pattern %d: streaming (from "
						    "%zu) gives rc %d [%zu, %zu), "
						    "at once rc %d [%zu, %zu); "
						    "window %zu bytes, final %d, "
						    "expect %d",
						    k, f, rc, s, e, rrc, rs, re_,
						    len, eof, nexp);
					if (rc == MATCH_FULL && !pt->lit) {
						const PCRE2_SIZE *a =
						    match_ovector(&pt->st);
						const PCRE2_SIZE *b =
						    match_ovector(&pt->ref);

						for (i = 0; i <= pt->st.ncap; i++)
							if (a[2 * i] != b[2 * i] ||
							    a[2 * i + 1] !=
							    b[2 * i + 1])
								FAIL("pattern %d: "
								    "group %u differs",
								    k, i);
					}
				}
				if (tracing)
					fprintf(stderr, "  expect %d pattern %d: "
					    "window [%llu, +%zu) final %d from %zu:"
					    " rc %d [%zu, %zu)%s\n", nexp, k,
					    P.base, len, eof, f, rc, s, e,
					    pt->compare ? "" : " (not compared)");
				if (rc == MATCH_FULL) {
					if (best == -1 || s < bs) {
						best = k;
						bs = s;
						be = e;
					}
				} else {
					from[k] = P.base + s;
				}
			}
			if (best != -1) {
				if (npat == 1 && pats[0].lit && !trimmed) {
					/* the leftmost occurrence in the
					 * whole output */
					const char *h = memmem(out + litpos,
					    outlen - litpos, pats[0].text,
					    pats[0].tlen);

					if (pats[0].tlen > 0 && (h == NULL ||
					    (size_t)(h - out) != P.base + bs))
						FAIL("literal: streaming match "
						    "at %llu, whole output at %zd",
						    P.base + bs, h ? h - out :
						    (ssize_t)-1);
					litpos = (size_t)(P.base + be);
				}
				proc_consume(&P, be);
				break;	/* the next expect */
			}
			if (eof)
				goto done;	/* the expect ends with EOF */
			/* Wait: the next chunk arrives (or EOF alone). */
			if (fed == outlen) {
				eof = 1;
				continue;
			}
			if (r.n > 0) {
				unsigned b = get(&r);

				n = b < 128 ? b % 17 : (size_t)(b - 127) * 8;
			} else {
				n = outlen - fed;
			}
			if (n > outlen - fed)
				n = outlen - fed;
			{
				unsigned long long before = P.base;

				proc_take(&P, out + fed, n);
				fed += n;
				if (P.base != before) {
					/* maxbuf dropped unconsumed bytes */
					trimmed = 1;
					for (k = 0; k < npat && !strict; k++)
						if (pats[k].context)
							pats[k].compare = 0;
				}
			}
			if (fed == outlen && !eof_apart)
				eof = 1;
			/* The window: bounded, and exactly the newest bytes. */
			n = buf_len(&P.in);
			cap = P.in.cap;
			if (n > maxbuf)
				FAIL("window of %zu bytes > maxbuf", n);
			if (P.base + n != P.received || P.received != fed)
				FAIL("base %llu + len %zu != received %llu",
				    P.base, n, P.received);
			if (n > 0 && memcmp(window(&P),
			    out + (fed - n), n) != 0)
				FAIL("window does not hold the newest bytes");
			if (cap > (4 * maxbuf > 256 ? 4 * maxbuf : 256))
				FAIL("buffer allocation %zu for maxbuf %zu",
				    cap, maxbuf);
		}
	}
done:
	(void)verdict;
	for (k = 0; k < npat; k++) {
		match_free(&pats[k].st);
		match_free(&pats[k].ref);
	}
	buf_free(&P.in);
	buf_free(&P.out);
	return 0;
}
