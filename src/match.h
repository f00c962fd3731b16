/*
 * match.h - PCRE2 patterns compiled once and matched across reads.
 *
 * A pattern is matched against the unconsumed output with partial
 * matching (PCRE2_PARTIAL_SOFT): a complete match anywhere wins; else a
 * partial match at the end tells where a match may still begin, so the
 * caller resumes from there next time and never rescans earlier bytes.
 * No Lua.
 */
#ifndef PTYSCRIPT_MATCH_H
#define PTYSCRIPT_MATCH_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

enum { MATCH_NONE = 0, MATCH_FULL = 1, MATCH_PARTIAL = 2 };

struct match_re {
	pcre2_code *code;
	pcre2_match_data *md;
	unsigned ncap;		/* capture groups, not counting group 0 */
	unsigned lookbehind;	/* PCRE2_INFO_MAXLOOKBEHIND (the fuzz harness) */
	int jit;		/* JIT-compiled for complete and partial */
	int jit_failed;		/* JIT unavailable: interpret */
	unsigned uses;		/* scans of new bytes so far, until JIT */
	int first, first_alt;	/* every match starts with one of these
				 * bytes (ASCII; -1: none known): see
				 * match_compile */
};

#define JIT_AFTER_USES	2		/* JIT on the second scan of new bytes */
#define JIT_AFTER_BYTES	(16 * 1024)	/* or at once on a large subject */

int match_compile(struct match_re *re, const char *pat, size_t len,
    uint32_t options, char *err, size_t errlen, size_t *erroff);
void match_free(struct match_re *re);
int match_exec(struct match_re *re, const char *subj, size_t len,
    size_t from, int final, size_t *start, size_t *end);
int match_literal(const char *lit, size_t m, const char *subj, size_t len,
    size_t from, size_t *start, size_t *end);
int match_jit_usable(void);
const PCRE2_SIZE *match_ovector(const struct match_re *re);

#endif
