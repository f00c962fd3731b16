/*
 * wait.h - the one wait for a process's (or stream's) output: search
 * its pattern(s) in C, and for the command's lone task wait in the loop
 * until they match.  No Lua.
 *
 * A wait is one struct wait: the process, its patterns (one or a list,
 * each with where a match may still begin), the winner once one matched.
 * wait_search tries every pattern on the unconsumed output, earliest
 * start wins and a tie goes to the earlier pattern; wait_step runs the
 * loop once (first polling it for a moment when output is about to come:
 * the reply spin) and says whether only this process's output came, so
 * that the caller may search again without leaving C.  Why a spin, and
 * when: scripts/bench/README.md, "Why the wait is as it is".
 */
#ifndef PTYSCRIPT_WAIT_H
#define PTYSCRIPT_WAIT_H

#include <stddef.h>

#include "match.h"

struct loop;
struct proc;

/* One pattern of a wait: a compiled regex, or a literal (re NULL). */
struct wait_pat {
	struct match_re *re;
	const char *lit;
	size_t len;
	unsigned long long from;	/* where a match may still begin
					 * (a stream offset) */
	int skip;		/* not searched (EOF, TIMEOUT) */
};

struct wait {
	struct loop *lp;
	struct proc *p;
	struct wait_pat *pat;
	int npat;
	int win;		/* the pattern that matched (0-based), or
				 * the one PCRE2 gave up on */
	size_t s, e;		/* its match, relative */
	int eof;		/* EOF had been seen at the last search (what
				 * came since is not searched yet) */
	int spin;		/* spin before the loop sleeps (the switch) */
};

enum {
	WAIT_MORE = 0,		/* no match yet */
	WAIT_MATCH = 1,		/* pattern win matched [s, e) */
	/* < 0: PCRE2's error code for pattern win */
};

enum {
	WAIT_OURS,		/* only p's output came: search again */
	WAIT_OTHER,		/* anything else: back to the scheduler */
};

int wait_search(struct wait *w);
int wait_step(struct wait *w);

#endif
