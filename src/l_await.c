/*
 * l_await.c - expect's wait, searched and waited for in C.
 *
 * Everywhere else a wait is Lua's (lua/ptyscript/sched.lua): search,
 * arm, poll, dispatch, search again, four crossings of the boundary and
 * the scheduler's bookkeeping per read.  Two waits skip most of it:
 *
 * - core.await, the command's lone task: nothing else can run while it
 *   waits, so the round trip of a script such as "send, expect, send,
 *   expect" can stay here: search, and while nothing matched, run the
 *   loop and search again each time this process's output (and nothing
 *   else) arrived.  Anything else - the timer, another object, an exit, a
 *   caught signal - goes back to the scheduler unchanged, which then does
 *   what it always does.
 * - core.await_task, a task among others: search, and if nothing matched,
 *   arm the process for the task's waiter (kept in its user value) and
 *   return; the task suspends.  When output comes, core.poll reports the
 *   waiter itself (lcore_take_fired), not the process, and the scheduler
 *   queues its task with no lookup; the task searches again.
 */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lcore.h"
#include "loop.h"
#include "proc.h"

/*
 * The arguments both awaits share: the process at 1, a timer or nil at
 * 4 (then its seconds at 5: *timer, *left), a table at 6; the stack is
 * cut to 6.  Upvalues 2 and 3: the process and timer metatables.
 */
static struct proc *
check_args(lua_State *L, void **timer, double *left)
{
	struct proc *p = lcore_testup(L, 1, 2);

	if (p == NULL)
		luaL_typeerror(L, 1, "process");
	*timer = NULL;
	*left = 0;
	if (!lua_isnil(L, 4)) {
		if ((*timer = lcore_testup(L, 4, 3)) == NULL)
			luaL_typeerror(L, 4, "timer");
		*left = luaL_checknumber(L, 5);
	}
	luaL_checktype(L, 6, LUA_TTABLE);
	lua_settop(L, 6);
	return p;
}

/*
 * Waiting without sleeping.  On the 2-core VM we measure on, a sleep in
 * epoll_wait and the wake-up after it cost 20-27 us (the host halts an
 * idle virtual CPU), more than output that is about to come takes to
 * come.  When it is about to come, the lone task's wait polls the loop
 * (ev_run without waiting: epoll_wait with a zero timeout, then
 * whatever fired, timers included) every SPIN_POLL_NS, pausing the CPU in between,
 * for a moment before the loop sleeps:
 *
 * - Output that streams (the last read brought at least STREAM_READ
 *   bytes: a terminal gives at most 4 KiB a read): for up to SPIN_NS.
 * - A reply to a send (bytes went out since output last came), while the
 *   process's last reply took less than SPIN_REPLY_NS: until SPIN_REPLY_NS
 *   after the send.  A program that answers slowly (a shell, a remote
 *   login) costs one spin at most; then the loop sleeps until a reply
 *   comes quickly again.  With echo on, the echo is the quick reply (the
 *   terminal echoes as the send writes), and the answer after it is
 *   waited for by the loop.  Not when the process may run on one CPU
 *   only, or its cgroup caps it below one CPU's time, where the spin
 *   would only hold up the program it waits for.
 *   A script that works for longer than that between its send and its
 *   expect finds the time up: the reply counts as slow, and the next
 *   round trip does not spin.
 *
 * Polling the loop, not the terminal: read(2) on a pty master over and
 * over, as a first version did, contends with the kernel's own work of
 * moving the child's output to the master (T2 went from 0.94x to 0.49x
 * the C reference's rate as the VM got busier, where polling every 8 us
 * gave 1.25x, median of 13 alternated runs).  More in README.md,
 * "Performance".
 */
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

/* The first line of the file dir/name into buf, or NULL. */
static char *
read_line(const char *dir, const char *name, char *buf, int len)
{
	char path[PATH_MAX];
	FILE *f;
	char *r;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
	    (f = fopen(path, "r")) == NULL)
		return NULL;
	r = fgets(buf, len, f);
	fclose(f);
	return r;
}

/*
 * Whether the cgroup directory dir caps the CPU time below one CPU: 1 or
 * 0, or -1 when it has no such files.  v2: cpu.max ("50000 100000", or
 * "max 100000": no cap); v1: cpu.cfs_quota_us (-1: no cap) over
 * cpu.cfs_period_us.
 */
static int
quota_below_one(const char *dir, int v2)
{
	char a[64], b[64];
	long long quota, period;

	if (v2) {
		if (read_line(dir, "cpu.max", a, sizeof a) == NULL)
			return -1;
		if (sscanf(a, "%lld %lld", &quota, &period) != 2)
			return 0;
	} else {
		if (read_line(dir, "cpu.cfs_quota_us", a, sizeof a) == NULL ||
		    read_line(dir, "cpu.cfs_period_us", b, sizeof b) == NULL)
			return -1;
		if (sscanf(a, "%lld", &quota) != 1 ||
		    sscanf(b, "%lld", &period) != 1)
			return 0;
	}
	return quota > 0 && period > 0 && quota < period;
}

/* Whether the comma-separated list [s, e) holds the word w. */
static int
has_word(const char *s, const char *e, const char *w)
{
	size_t n = strlen(w);
	const char *c;

	while (s < e) {
		c = memchr(s, ',', (size_t)(e - s));
		if (c == NULL)
			c = e;
		if ((size_t)(c - s) == n && memcmp(s, w, n) == 0)
			return 1;
		s = c + 1;
	}
	return 0;
}

/*
 * Whether the CPU time of this process's cgroup is capped below one CPU
 * (docker --cpus=0.5).  /proc/self/cgroup names the cgroup ("N:cpu,...:
 * /path" for v1's cpu controller, "0::/path" for v2, listed last); its
 * directory is that path under the mount, or, when that has no quota
 * files, the mount itself (where a container sees its own cgroup).  A
 * cap on another parent cgroup is not seen.  On the VM, 20,000 T2 round
 * trips under a v1 quota of one CPU took 0.64 s with the spin against
 * 0.97 s without; under half a CPU, 1.40 s against 1.15 s.
 */
static int
cpu_capped(void)
{
	char *line = NULL, *c1, *c2, dir[PATH_MAX];
	const char *rel = NULL, *mnt = NULL;
	size_t cap = 0;
	FILE *f = fopen("/proc/self/cgroup", "r");
	int capped = 0, v2 = 0;

	if (f == NULL)
		return 0;
	while (rel == NULL && getline(&line, &cap, f) != -1) {
		line[strcspn(line, "\n")] = '\0';
		if ((c1 = strchr(line, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			continue;
		if (c2 == c1 + 1 && c1 - line == 1 && line[0] == '0') {
			rel = c2 + 1;
			mnt = "/sys/fs/cgroup";
			v2 = 1;
		} else if (has_word(c1 + 1, c2, "cpu")) {
			rel = c2 + 1;
			mnt = "/sys/fs/cgroup/cpu";
		}
	}
	fclose(f);
	if (rel != NULL) {
		capped = -1;
		if (snprintf(dir, sizeof dir, "%s%s", mnt, rel) < (int)sizeof dir)
			capped = quota_below_one(dir, v2);
		if (capped == -1)
			capped = quota_below_one(mnt, v2);
	}
	free(line);
	return capped == 1;
}

/*
 * Whether this process may run on more than one CPU (its affinity mask)
 * and its cgroup gives it at least one CPU's time: asked once.
 */
static int
several_cpus(void)
{
	static int several = -1;
	cpu_set_t set;

	if (several == -1) {
		CPU_ZERO(&set);
		several = sched_getaffinity(0, sizeof set, &set) == 0 &&
		    CPU_COUNT(&set) > 1 && !cpu_capped();
	}
	return several;
}

/*
 * Poll the loop for p's output while it is about to come (above): whether
 * anything fired, or a signal came, before the time was up.
 */
static int
spin_wait(struct loop *lp, struct proc *p)
{
	unsigned long long now, until, next;
	int i;

	if (p->eof || p->fd == -1 || p->paused)
		return 0;
	if (!several_cpus())
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
 * No match: false, the absolute offset to resume from and whether EOF
 * had been seen, both as of the last search (output and EOF may have
 * come since: the caller searches again), and the number of objects
 * that fired, stored in the table at 6.
 */
static int
unmatched(lua_State *L, struct loop *lp, lua_Integer from, int eof)
{
	lua_pushboolean(L, 0);
	lua_pushinteger(L, from);
	lua_pushboolean(L, eof);
	lua_pushinteger(L, lcore_take_fired(L, lp, 6));
	return 4;
}

/*
 * core.await(proc, regex|text, from, timer|nil, seconds, out)
 *     -> start, end, m | nil, PCRE2's message | false, next, eof, n
 * [-0, +4, m]
 * proc:match(pattern, from, true) (a string pattern is a literal), then
 * until a match or EOF: arm proc for its output, start the timer for
 * seconds (once), run the loop once, and search again if only proc's
 * output arrived.  Otherwise - anything else fired, a signal was caught,
 * nothing is left that could wake the loop, proc is closed - return the
 * objects that fired, stored in out as core.poll stores them, n of them.
 * Upvalues: loop, process and timer metatables.
 */
static int
l_await(lua_State *L)
{
	struct loop *lp = lcore_loop(L);
	void *timer;
	double left;
	struct proc *p = check_args(L, &timer, &left);
	lua_Integer from = luaL_checkinteger(L, 3);
	size_t s, e;
	int rc, started = 0, alive, eof;

	if (lp->signalled != 0)		/* the scheduler reports it first */
		return unmatched(L, lp, from, 0);
	for (;;) {
		rc = lproc_search(L, p, 2, lproc_rel(p, from), &s, &e);
		if (rc < 0)
			return lproc_search_failed(L, rc);
		if (rc == MATCH_FULL)
			return lproc_result(L, p, 1, s, e, 1);
		from = (lua_Integer)(p->base + s);
		eof = p->eof;
		if (eof || p->lp == NULL)
			break;
		p->obj.armed |= PROC_DATA;
		if (p->obj.on_arm != NULL)
			p->obj.on_arm(&p->obj);
		if (!started && timer != NULL)
			lcore_timer_start(timer, left);
		started = 1;
		if (lp->nfired == 0 && spin_wait(lp, p))
			alive = 1;	/* (if the loop died as p hit EOF, the
					 * search below sees the EOF) */
		else
			alive = ev_run(lp->ev,
			    lp->nfired > 0 ? EVRUN_NOWAIT : EVRUN_ONCE);
		if (lp->signalled != 0 || !alive)
			break;
		if (lp->nfired == 1 && lp->fired[0] == &p->obj &&
		    p->obj.pending == PROC_DATA && p->obj.cpending == 0) {
			p->obj.pending = 0;	/* ours alone: search again */
			lp->nfired = 0;
		} else if (lp->nfired > 0)
			break;	/* first the scheduler: callbacks see output
				 * before expect returns it */
	}
	return unmatched(L, lp, from, eof);
}

/*
 * If the waiter at w waits on p in C (the process at stack index 1), it
 * waits no more: disarm, drop what it fired, let go of it.
 */
static void
unwait(lua_State *L, struct proc *p, int w)
{
	int ours;

	if (p->obj.cwait == 0 && p->obj.cpending == 0)
		return;
	lua_getiuservalue(L, 1, 1);
	ours = lua_rawequal(L, -1, w);
	lua_pop(L, 1);
	if (!ours)
		return;
	if (p->lp != NULL)
		loop_unwait(p->lp, &p->obj);
	lua_pushnil(L);
	lua_setiuservalue(L, 1, 1);
}

/*
 * core.await_task(proc, regex|text, from, timer|nil, seconds, waiter)
 *     -> start, end, m | nil, PCRE2's message | false, next, eof, waiting
 * [-0, +4, m]
 * proc:match(pattern, from, true) (a string pattern is a literal); when
 * nothing matched and more output may come, arm proc for the waiter (a
 * task's, which then suspends until core.poll reports the waiter with
 * bits 0) and start the timer for seconds: waiting is true.  waiting is
 * false when the wait could not be armed here: EOF (eof is true), proc
 * closed, or another task already waits on proc in C; the caller then
 * waits through the scheduler.  Upvalues: loop, process and timer
 * metatables.
 */
static int
l_await_task(lua_State *L)
{
	void *timer;
	double left;
	struct proc *p = check_args(L, &timer, &left);
	lua_Integer from = luaL_checkinteger(L, 3);
	size_t s, e;
	int rc, busy;

	rc = lproc_search(L, p, 2, lproc_rel(p, from), &s, &e);
	if (rc < 0)
		return lproc_search_failed(L, rc);
	if (rc == MATCH_FULL) {
		unwait(L, p, 6);
		return lproc_result(L, p, 1, s, e, 1);
	}
	lua_pushboolean(L, 0);
	lua_pushinteger(L, (lua_Integer)(p->base + s));
	lua_pushboolean(L, p->eof);
	if (p->eof || p->lp == NULL) {
		unwait(L, p, 6);
		lua_pushboolean(L, 0);
		return 4;
	}
	lua_getiuservalue(L, 1, 1);
	busy = !lua_isnil(L, -1) && !lua_rawequal(L, -1, 6) &&
	    (p->obj.cwait != 0 || p->obj.cpending != 0);
	lua_pop(L, 1);
	if (busy) {		/* another task waits here: not ours to take */
		lua_pushboolean(L, 0);
		return 4;
	}
	lua_pushvalue(L, 6);
	lua_setiuservalue(L, 1, 1);
	loop_unwait(p->lp, &p->obj);	/* (from an earlier wait, unreported) */
	p->obj.cwait = PROC_DATA;
	if (p->obj.on_arm != NULL)
		p->obj.on_arm(&p->obj);
	if (timer != NULL)
		lcore_timer_start(timer, left);
	lua_pushboolean(L, 1);
	return 4;
}

/* core.unwait(proc, waiter): waiter waits on proc in C no more. */
static int
l_unwait(lua_State *L)
{
	struct proc *p = lcore_testup(L, 1, 2);

	if (p == NULL)
		luaL_typeerror(L, 1, "process");
	luaL_checktype(L, 2, LUA_TTABLE);
	unwait(L, p, 2);
	return 0;
}

/* Add core.await and its kin; stack: module, loop (kept); the metatables
 * exist. */
void
lcore_open_await(lua_State *L)
{
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	lua_pushcclosure(L, l_await, 3);
	lua_setfield(L, -3, "await");
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	luaL_getmetatable(L, TIMER_MT);
	lua_pushcclosure(L, l_await_task, 3);
	lua_setfield(L, -3, "await_task");
	lua_pushvalue(L, -1);
	luaL_getmetatable(L, PROC_MT);
	lua_pushcclosure(L, l_unwait, 2);
	lua_setfield(L, -3, "unwait");
}
