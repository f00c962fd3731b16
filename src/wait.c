/*
 * wait.c - the one wait for output: search in C, and step the loop for
 * the command's lone task.  See wait.h; the binding is l_wait.c.  No Lua.
 */
#include "wait.h"

#include "cpus.h"
#include "loop.h"
#include "proc.h"

/*
 * Search every pattern from where a match may still begin.  Among
 * complete matches the earliest start wins, a tie the earlier pattern;
 * a pattern that did not match moves its `from` to where one may still
 * begin, so no byte is scanned twice.  WAIT_MATCH (win, s, e set),
 * WAIT_MORE, or PCRE2's error code (win set).
 */
int
wait_search(struct wait *w)
{
	struct proc *p = w->p;
	const char *subj = buf_head(&p->in);
	size_t len = buf_len(&p->in), from, s, e, wfrom = 0;
	int i, rc, again = 0;

	w->win = -1;
	w->eof = p->eof;
	for (i = 0; i < w->npat; i++) {
		struct wait_pat *pt = &w->pat[i];

		if (pt->skip)
			continue;
		if (pt->from <= p->base)
			from = 0;
		else if (pt->from - p->base > len)
			from = len;
		else
			from = (size_t)(pt->from - p->base);
		if (pt->re != NULL)
			rc = match_exec(pt->re, subj, len, from, p->eof, &s, &e);
		else
			rc = match_literal(pt->lit, pt->len, subj, len, from,
			    &s, &e);
		if (rc < 0) {
			w->win = i;
			return rc;
		}
		if (rc == MATCH_FULL && (w->win < 0 || s < w->s)) {
			w->win = i;
			w->s = s;
			w->e = e;
			wfrom = from;
			again = 0;
			continue;
		}
		if (rc != MATCH_FULL)
			pt->from = p->base + s;
		if (w->win >= 0 && pt->re != NULL && pt->re == w->pat[w->win].re)
			again = 1;	/* the winner's groups were overwritten */
	}
	if (w->win < 0)
		return WAIT_MORE;
	if (again)	/* from where its own search began: \G sees that */
		(void)match_exec(w->pat[w->win].re, subj, len, wfrom, p->eof,
		    &s, &e);
	return WAIT_MATCH;
}

/* The reply spin's numbers (scripts/bench/README.md says why). */
#define STREAM_READ	2048
#define SPIN_NS		20000ULL
#define SPIN_REPLY_NS	100000ULL
#define SPIN_POLL_NS	8000ULL

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax()	__builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax()	__asm__ __volatile__("yield")
#else
#define cpu_relax()	((void)0)
#endif

/*
 * Poll the loop while p's output is about to come: a reply to a send,
 * while the last one came quickly, until SPIN_REPLY_NS after the send;
 * streaming output (the last read was large) for SPIN_NS.  Whether
 * anything fired, or a signal came, before the time was up.
 */
static int
spin(struct loop *lp, struct proc *p)
{
	unsigned long long now, until, next;
	int i;

	if (p->eof || p->fd == -1 || p->paused || p->held)
		return 0;
	if (!cpus_spin_ok())	/* the program we wait for needs the CPU */
		return 0;
	now = proc_clock_ns();
	if (p->sent && p->reply_ns < SPIN_REPLY_NS)
		until = p->sent_ns + SPIN_REPLY_NS;
	else if (p->last_read >= STREAM_READ)
		until = now + SPIN_NS;
	else
		return 0;
	while (now < until) {
		ev_run(lp->ev, EVRUN_NOWAIT);
		if (lp->nfired > 0 || lp->signalled != 0)
			return 1;
		next = now + SPIN_POLL_NS;
		do
			for (i = 0; i < 32; i++)
				cpu_relax();
		while ((now = proc_clock_ns()) < next && now < until);
	}
	if (p->sent)	/* no reply that quickly: spin no more till one is */
		p->reply_ns = now - p->sent_ns;
	return 0;
}

/*
 * No match yet: arm p for its output and run the loop once (after the
 * spin, if any).  WAIT_OURS when p's output alone came, which is then
 * taken off the loop's list; WAIT_OTHER when anything else fired, a
 * signal was caught or nothing is left that could wake the loop.
 */
int
wait_step(struct wait *w)
{
	struct loop *lp = w->lp;
	struct proc *p = w->p;
	int alive;

	p->obj.armed |= PROC_DATA;
	if (p->obj.on_arm != NULL)
		p->obj.on_arm(&p->obj);
	if (w->spin && lp->nfired == 0 && spin(lp, p))
		alive = 1;	/* (if the loop died as p hit EOF, the next
				 * search sees the EOF) */
	else
		alive = ev_run(lp->ev,
		    lp->nfired > 0 ? EVRUN_NOWAIT : EVRUN_ONCE);
	if (lp->signalled != 0 || !alive)
		return WAIT_OTHER;
	if (lp->nfired == 1 && lp->fired[0] == &p->obj &&
	    p->obj.pending == PROC_DATA) {
		p->obj.pending = 0;
		lp->nfired = 0;
		return WAIT_OURS;
	}
	return lp->nfired > 0 ? WAIT_OTHER : WAIT_OURS;
}

/*
 * Park pk's wait: its process (and timer) point to it, and the process
 * is armed for its output.  The caller checked that neither has a park.
 */
void
wait_park(struct park *pk)
{
	struct proc *p = pk->w.p;

	pk->state = PARK_PARKED;
	pk->why = 0;
	pk->hit = 0;
	p->obj.park = pk;
	if (pk->timer != NULL)
		pk->timer->park = pk;
	p->obj.armed |= PROC_DATA;
	if (p->obj.on_arm != NULL)
		p->obj.on_arm(&p->obj);
}

/*
 * Take pk off its objects and off the loop's list of woken parks.  The
 * process stays armed and the timer running: harmless, as the
 * scheduler's own waits leave them.
 */
void
wait_unpark(struct park *pk)
{
	struct loop *lp = pk->w.lp;
	struct park **pp, *prev = NULL;

	/* Only a parked wait's objects point to it; once woken or idle,
	 * w.p and timer may be objects long since freed (the process of
	 * an earlier wait): not to be looked at. */
	if (pk->state == PARK_PARKED) {
		if (pk->w.p != NULL && pk->w.p->obj.park == pk)
			pk->w.p->obj.park = NULL;
		if (pk->timer != NULL && pk->timer->park == pk)
			pk->timer->park = NULL;
	}
	if (pk->state == PARK_WOKEN && lp != NULL)
		for (pp = &lp->woken; *pp != NULL; prev = *pp, pp = &(*pp)->next)
			if (*pp == pk) {
				*pp = pk->next;
				if (lp->woken_tail == pk)
					lp->woken_tail = prev;
				break;
			}
	pk->next = NULL;
	pk->state = PARK_IDLE;
}

/* Wake pk for why: off its objects, onto the loop's list, in order. */
void
wait_wake(struct loop *lp, struct park *pk, int why)
{
	if (pk->state != PARK_PARKED)
		return;
	wait_unpark(pk);
	pk->why = why;
	pk->state = PARK_WOKEN;
	pk->w.lp = lp;
	pk->next = NULL;
	if (lp->woken_tail != NULL)
		lp->woken_tail->next = pk;
	else
		lp->woken = pk;
	lp->woken_tail = pk;
}

/* The first woken park, taken off the list (PARK_IDLE), or NULL. */
struct park *
wait_next_woken(struct loop *lp)
{
	struct park *pk = lp->woken;

	if (pk == NULL)
		return NULL;
	lp->woken = pk->next;
	if (lp->woken == NULL)
		lp->woken_tail = NULL;
	pk->next = NULL;
	pk->state = PARK_IDLE;
	return pk;
}

/*
 * Before the loop's report goes to the scheduler: what fired for a
 * parked wait is its own.  A process's output is searched now; no match
 * re-arms it, and the output reaches nobody else unless the scheduler
 * armed it too.  A match, EOF, an error to raise, or the deadline's
 * timer wakes the park.  Objects left with nothing to report leave the
 * list.
 */
void
wait_sort(struct loop *lp)
{
	size_t i, n = 0;

	for (i = 0; i < lp->nfired; i++) {
		struct loop_obj *o = lp->fired[i];
		struct park *pk = o->park;
		unsigned mine;

		if (pk != NULL && pk->state == PARK_PARKED) {
			if (o == &pk->w.p->obj) {
				mine = o->pending & PROC_DATA;
				if (mine != 0) {
					struct proc *p = pk->w.p;

					int rc = wait_search(&pk->w);

					pk->hit = rc == WAIT_MATCH;
					pk->hit_base = p->base;
					pk->hit_len = buf_len(&p->in);
					if (rc != WAIT_MORE || pk->w.eof ||
					    p->lp == NULL)
						wait_wake(lp, pk, PARK_DATA);
					else {
						p->obj.armed |= PROC_DATA;
						if (p->obj.on_arm != NULL)
							p->obj.on_arm(&p->obj);
					}
					o->pending &= ~(mine & ~o->lua_armed);
				}
			} else if (o == pk->timer) {
				wait_wake(lp, pk, PARK_TIMEOUT);
				o->pending = 0;
			}
		}
		if (o->pending != 0)
			lp->fired[n++] = o;
	}
	lp->nfired = n;
}
