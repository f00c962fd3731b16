/*
 * match.c - compile and run PCRE2 patterns for expect.
 *
 * Patterns are UTF-8 aware and tolerate invalid UTF-8 in the subject
 * (PCRE2_UTF|PCRE2_MATCH_INVALID_UTF): terminal output is often not valid
 * UTF-8, and a NUL or a stray byte must never stop matching.  Each pattern
 * owns one match_data block, so matching allocates nothing.  A pattern is
 * JIT-compiled (for complete and soft-partial matching) once it is used
 * again, or over a large subject: JIT compilation costs far more than a
 * short match, and scripts often build a pattern for a single use.
 * Literals (pty.exact) do not go through PCRE2 at all: match_literal.
 */
#include <stdio.h>
#include <string.h>

#include "match.h"

/*
 * Whether to use PCRE2's JIT at all.  Up to 10.42 (Debian 12's), the JIT
 * with PCRE2_MATCH_INVALID_UTF has bugs our fuzzer found: \S, \W, \D never
 * match a non-ASCII character (PCRE2 issue 224), \b at the end of invalid
 * UTF-8 reads a byte past the subject, a match never starts at a stray
 * continuation byte (PCRE2 issue 944).  A pattern would change meaning once it
 * is JIT-compiled, so older libraries interpret: for the patterns scripts
 * use, PCRE2's start-of-match optimisations keep that about as fast.
 * The answer depends only on the library, so it is cached.
 */
int
match_jit_usable(void)
{
	static int usable = -1;
	char v[64];
	int major = 0, minor = 0;

	if (usable == -1) {
		if (pcre2_config(PCRE2_CONFIG_VERSION, v) > 0 &&
		    sscanf(v, "%d.%d", &major, &minor) == 2)
			usable = major > 10 || (major == 10 && minor >= 43);
		else
			usable = 0;
	}
	return usable;
}

/*
 * Whether PCRE2 can begin a match at the one-byte subject c: an anchored
 * hard partial match finds out (it takes c, and then needs more, or
 * matches); -1 on an error.
 */
static int
probe_starts(struct match_re *re, unsigned char c)
{
	int rc = pcre2_match(re->code, &c, 1, 0,
	    PCRE2_ANCHORED | PCRE2_PARTIAL_HARD, re->md, NULL);

	if (rc >= 0 || rc == PCRE2_ERROR_PARTIAL)
		return 1;
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/*
 * The byte every match starts with, when PCRE2 knows one (a fixed first
 * code unit, as for "DONE[0-9]+" or "(?i)done") and it is ASCII.  For a
 * letter, PCRE2 does not say whether the pattern ignores its case there
 * ("(?i)d", "[Dd]"), so a probe asks PCRE2 itself: if a match can begin
 * at the letter alone but not at its other case alone, it can only begin
 * at the letter; otherwise either case counts.  The probe is sound only
 * for a pattern that looks at nothing before its start (no lookbehind,
 * \b, \B or \A: PCRE2_INFO_MAXLOOKBEHIND 0), since a probe's byte is
 * at the start of its subject; with one, either case counts.  (Where a caseless
 * letter also matches a character outside ASCII - k and the Kelvin sign,
 * s and the long s - PCRE2 reports no first code unit.)
 *
 * A pattern that can match the empty string ("(*ACCEPT)a", "x*") can
 * match anywhere, whatever PCRE2 says of its first code unit, so it gets
 * no first byte.
 *
 * match_exec skips the search of new output that holds no such byte:
 * with PCRE2_MATCH_INVALID_UTF and no JIT, PCRE2 itself walks the output
 * many times slower than memchr.  Not for a pattern whose meaning depends
 * on where a search starts (\G, anchored) or that turns PCRE2's own
 * skipping off ((*NO_START_OPT): verbs such as (*COMMIT) then see the
 * positions before the first byte).
 */
static void
first_byte(struct match_re *re, const char *pat, size_t len)
{
	uint32_t type = 0, unit = 0, opts = 0, lb = 1, empty = 1;
	int alt;

	re->first = re->first_alt = -1;
	if (memmem(pat, len, "\\G", 2) != NULL ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_ALLOPTIONS, &opts) != 0 ||
	    (opts & (PCRE2_ANCHORED | PCRE2_NO_START_OPTIMIZE)) != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_MATCHEMPTY, &empty) != 0 ||
	    empty != 0 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODETYPE, &type) != 0 ||
	    type != 1 ||
	    pcre2_pattern_info(re->code, PCRE2_INFO_FIRSTCODEUNIT, &unit) != 0 ||
	    unit >= 0x80)
		return;
	re->first = (int)unit;
	if (unit >= 'a' && unit <= 'z')
		alt = (int)(unit - 'a' + 'A');
	else if (unit >= 'A' && unit <= 'Z')
		alt = (int)(unit - 'A' + 'a');
	else
		return;
	re->first_alt = alt;	/* unless the probe shows it cannot begin */
	if (pcre2_pattern_info(re->code, PCRE2_INFO_MAXLOOKBEHIND, &lb) == 0 &&
	    lb == 0 && probe_starts(re, (unsigned char)unit) == 1 &&
	    probe_starts(re, (unsigned char)alt) == 0)
		re->first_alt = -1;
}

/* Where in s[0, n) the first of re's first bytes is; NULL: nowhere. */
static const char *
find_first(const struct match_re *re, const char *s, size_t n)
{
	const char *a = memchr(s, re->first, n);

	if (re->first_alt >= 0) {
		const char *b = memchr(s, re->first_alt,
		    a != NULL ? (size_t)(a - s) : n);

		if (b != NULL)
			return b;
	}
	return a;
}

/* Compile; on failure fill err/erroff with PCRE2's message and offset. */
int
match_compile(struct match_re *re, const char *pat, size_t len,
    uint32_t options, char *err, size_t errlen, size_t *erroff)
{
	int code;
	PCRE2_SIZE off = 0;
	uint32_t lb = 0, ncap = 0;

	memset(re, 0, sizeof *re);
	options |= PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
	re->code = pcre2_compile((PCRE2_SPTR)pat, len, options, &code, &off,
	    NULL);
	if (re->code == NULL) {
		pcre2_get_error_message(code, (PCRE2_UCHAR *)err, errlen);
		*erroff = off;
		return -1;
	}
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &ncap);
	pcre2_pattern_info(re->code, PCRE2_INFO_MAXLOOKBEHIND, &lb);
	re->ncap = ncap;
	re->lookbehind = lb;
	re->jit_failed = !match_jit_usable();	/* never try, on a buggy JIT */
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	if (re->md == NULL) {
		pcre2_code_free(re->code);
		re->code = NULL;
		strncpy(err, "out of memory", errlen);
		*erroff = 0;
		return -1;
	}
	first_byte(re, pat, len);
	return 0;
}

void
match_free(struct match_re *re)
{
	if (re->md != NULL)
		pcre2_match_data_free(re->md);
	if (re->code != NULL)
		pcre2_code_free(re->code);
	re->md = NULL;
	re->code = NULL;
}

/*
 * The length of subj without a trailing, still incomplete UTF-8 sequence
 * (a lead byte followed by fewer continuation bytes than it announces).
 * PCRE2 treats a truncated character as invalid and then reports no
 * partial match, so such bytes are held back until the rest arrives.
 */
static size_t
utf8_complete_len(const char *subj, size_t len)
{
	const unsigned char *s = (const unsigned char *)subj;
	size_t i, back;
	unsigned need;

	for (back = 1; back <= 3 && back <= len; back++) {
		i = len - back;
		if ((s[i] & 0xC0) == 0x80)
			continue;	/* continuation byte: look further back */
		if (s[i] >= 0xC2 && s[i] <= 0xDF)
			need = 2;
		else if (s[i] >= 0xE0 && s[i] <= 0xEF)
			need = 3;
		else if (s[i] >= 0xF0 && s[i] <= 0xF4)
			need = 4;
		else
			return len;
		return back < need ? i : len;
	}
	return len;
}

/*
 * Search subj[from, len) (bytes before from stay visible to lookbehinds
 * and \b).  MATCH_FULL: [*start, *end) is the match.  MATCH_PARTIAL: a
 * match may still begin at *start once more bytes arrive.  MATCH_NONE: no
 * match can begin before len.  Unless final (no more bytes will come),
 * an incomplete UTF-8 character at the end is left for the next call.
 * A negative value is a PCRE2 error code
 * (e.g. a match limit), which the caller reports.
 */
int
match_exec(struct match_re *re, const char *subj, size_t len, size_t from,
    int final, size_t *start, size_t *end)
{
	PCRE2_SIZE *ov;
	int rc;

	if (!final)
		len = utf8_complete_len(subj, len);
	if (from > len)
		from = len;
	if (!re->jit && !re->jit_failed && len > from &&
	    (++re->uses >= JIT_AFTER_USES || len - from >= JIT_AFTER_BYTES)) {
		if (pcre2_jit_compile(re->code,
		    PCRE2_JIT_COMPLETE | PCRE2_JIT_PARTIAL_SOFT) == 0)
			re->jit = 1;
		else
			re->jit_failed = 1;	/* no JIT here: interpret */
	}
	if (re->first >= 0 && len > from) {
		/* No match (not even a partial one) can begin before the
		 * first such byte: start there, or report none.  (An ASCII
		 * byte always starts a character; the bytes before it stay
		 * visible to lookbehinds and \b.) */
		const char *hit = find_first(re, subj + from, len - from);

		if (hit == NULL) {
			*start = *end = len;
			return MATCH_NONE;
		}
		from = (size_t)(hit - subj);
	}
	rc = pcre2_match(re->code, (PCRE2_SPTR)(subj ? subj : ""), len, from,
	    PCRE2_PARTIAL_SOFT, re->md, NULL);
	ov = pcre2_get_ovector_pointer(re->md);
	if (rc >= 0) {
		*start = ov[0];
		*end = ov[1];
		if (*end < *start)	/* \K in a lookahead: report empty */
			*end = *start;
		return MATCH_FULL;
	}
	if (rc == PCRE2_ERROR_PARTIAL) {
		*start = ov[0];
		*end = len;
		return MATCH_PARTIAL;
	}
	if (rc == PCRE2_ERROR_NOMATCH) {
		*start = *end = len;
		return MATCH_NONE;
	}
	return rc;
}

/*
 * Find the literal lit[0, m) in subj[from, len), with the same results as
 * match_exec: a partial match is the earliest suffix of the subject that
 * is a prefix of lit.
 */
int
match_literal(const char *lit, size_t m, const char *subj, size_t len,
    size_t from, size_t *start, size_t *end)
{
	const char *hit;
	size_t p;

	if (from > len)
		from = len;
	if (m == 0) {
		*start = *end = from;
		return MATCH_FULL;
	}
	hit = memmem(subj + from, len - from, lit, m);
	if (hit != NULL) {
		*start = (size_t)(hit - subj);
		*end = *start + m;
		return MATCH_FULL;
	}
	p = len >= m ? len - m + 1 : 0;
	if (p < from)
		p = from;
	for (; p < len; p++) {
		hit = memchr(subj + p, lit[0], len - p);
		if (hit == NULL)
			break;
		p = (size_t)(hit - subj);
		if (memcmp(subj + p, lit, len - p) == 0) {
			*start = p;
			*end = len;
			return MATCH_PARTIAL;
		}
	}
	*start = *end = len;
	return MATCH_NONE;
}

const PCRE2_SIZE *
match_ovector(const struct match_re *re)
{
	return pcre2_get_ovector_pointer(re->md);
}
