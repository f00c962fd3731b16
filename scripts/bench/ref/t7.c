/*
 * T7 reference: R x (spawn a child that writes a known 64 KiB and exits at
 * once; read to EOF; compare).  Prints how many runs received fewer bytes.
 */
#include "common.h"

#define RECS 4096

int
main(int argc, char **argv)
{
	static char want[RECS * 16 + 1], got[RECS * 16 + 4096];
	size_t have;
	ssize_t n;
	int m, i, r, lost = 0;
	char shorts[256] = "-";
	size_t sl = 0;
	pid_t pid;

	if (argc != 3 || (r = atoi(argv[2])) <= 0)
		die("usage: t7 EMIT RUNS");
	for (i = 0; i < RECS; i++) {
		char rec[32];

		snprintf(rec, sizeof rec, "%015d|", i);
		memcpy(want + 16 * i, rec, 16);
	}
	char *av[] = { argv[1], "records", "4096", NULL };
	for (i = 0; i < r; i++) {
		m = pty_spawn(av, 1, 0, &pid);
		have = 0;
		while ((n = read_some(m, got + have, sizeof got - have)) > 0)
			have += (size_t)n;
		wait_ok(pid, "emit");
		close(m);
		if (memcmp(got, want, have < RECS * 16 ? have : RECS * 16) != 0 ||
		    have > RECS * 16)
			die("run %d: corrupted output (%zu bytes)", i, have);
		if (have < RECS * 16) {
			lost++;
			if (sl < sizeof shorts - 24)
				sl += (size_t)snprintf(shorts + sl, sizeof shorts - sl,
				    "%s%zu", sl ? "," : "", have);
		}
	}
	printf("BENCH lost=%d runs=%d short=%s hwm_kb=%ld\n", lost, r, shorts, hwm_kb());
	return 0;
}
