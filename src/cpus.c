/*
 * cpus.c - whether this process has CPU time to spare for a spin.
 *
 * A waiting task that polls instead of sleeping (src/wait.c) only
 * helps when the program it waits for can run at the same time: on
 * another CPU, within the CPU time the process's cgroup allows (figures:
 * scripts/bench/README.md, "Why the wait is as it is").  No Lua.
 */
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpus.h"
#include "portable.h"

#ifndef PTYSCRIPT_NO_PROC

/* The first line of the file dir/name into buf, or NULL. */
static char *
read_line(const char *dir, const char *name, char *buf, int len)
{
	char path[PATH_MAX];
	FILE *f;
	char *r;

	if (snprintf(path, sizeof path, "%s/%s", dir, name) >=
	    (int)sizeof path || (f = fopen(path, "r")) == NULL)
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
 * cap on another parent cgroup is not seen.
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
#else
/* No /proc (PTYSCRIPT_NO_PROC): no cgroup, or none that can be read. */
static int
cpu_capped(void)
{
	return 0;
}
#endif

/* How many CPUs this process may run on. */
static long
cpus_usable(void)
{
#ifndef PTYSCRIPT_NO_AFFINITY
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof set, &set) == -1)
		return 1;
	return CPU_COUNT(&set);
#else
	return sysconf(_SC_NPROCESSORS_ONLN);
#endif
}

/*
 * Whether this process may run on more than one CPU (its affinity mask)
 * and its cgroup gives it at least one CPU's time: asked once.
 */
int
cpus_spin_ok(void)
{
	static int several = -1;

	if (several == -1)
		several = cpus_usable() > 1 && !cpu_capped();
	return several;
}
