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
 *
 * A task among others parks its wait here instead (struct park): the
 * process and the timer point to it, and when either fires the loop's
 * report is sorted first (wait_sort): the process's output is searched
 * at once, and only a match, EOF, the deadline or the end of the
 * process wakes the task, which l_wait.c then resumes; output that does
 * not match re-arms the process and reaches nobody.
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

/* A task's wait parked in C. */
enum { PARK_IDLE, PARK_PARKED, PARK_WOKEN };
enum { PARK_DATA = 1, PARK_TIMEOUT = 2 };	/* why it woke */

struct park {
	struct wait w;		/* w.p: the process waited on */
	struct loop_obj *timer;	/* the deadline's timer, or NULL */
	unsigned long long deadline_ns;	/* its deadline (proc_clock_ns) */
	/* start the timer to fire after s seconds (l_loop.c's) */
	void (*timer_start)(struct loop_obj *timer, double s);
	void *co;		/* the suspended coroutine (a lua_State) */
	int state;		/* PARK_* */
	int why;		/* PARK_DATA or PARK_TIMEOUT, once woken */
	struct park *next;	/* the loop's list of woken parks */
	int hit;		/* wait_sort's search found w.win's match at
				 * [w.s, w.e) of this output: */
	unsigned long long hit_base;	/* p->base, */
	size_t hit_len;		/* and the unconsumed length, then */
	struct wait_pat *pat;	/* w.pat's storage: npat_cap entries */
	int npat_cap;
};

int wait_search(struct wait *w);
int wait_step(struct wait *w);
void wait_park(struct park *pk);
void wait_unpark(struct park *pk);
void wait_wake(struct loop *lp, struct park *pk, int why);
void wait_sort(struct loop *lp);
struct park *wait_next_woken(struct loop *lp);

#endif
