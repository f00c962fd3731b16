/*
 * T5 reference: the child writes L bytes (no newline, no match) and then
 * "DONE42"; find /DONE[0-9]+/ (memmem for "DONE", then the digits), then EOF.
 */
#include "common.h"

int
main(int argc, char **argv)
{
	static char buf[(64 << 10) + 16];
	size_t keep = 0, len;
	ssize_t n;
	char *d = NULL;
	int m;
	pid_t pid;

	if (argc != 3)
		die("usage: t5 EMIT L");
	char *av[] = { argv[1], "fill", argv[2], NULL };
	double t0 = now();

	m = pty_spawn(av, 1, 0, &pid);
	for (;;) {
		n = read_some(m, buf + keep, sizeof buf - 16 - keep);
		if (n == 0)
			die("EOF before DONE");
		len = keep + (size_t)n;
		/* a match needs "DONE" and one digit after it */
		d = memmem(buf, len, "DONE", 4);
		if (d != NULL && d + 4 < buf + len && d[4] >= '0' && d[4] <= '9')
			break;
		if (d != NULL) {	/* "DONE" at the very end: keep it */
			keep = (size_t)(buf + len - d);
			memmove(buf, d, keep);
		} else {
			keep = len < 4 ? len : 4;
			memmove(buf, buf + len - keep, keep);
		}
	}
	if (strncmp(d, "DONE4", 5) != 0)
		die("bad match");
	while (read_some(m, buf, sizeof buf - 16) > 0)
		;
	wait_ok(pid, "emit");
	close(m);
	printf("BENCH phase_s=%.6f hwm_kb=%ld\n", now() - t0, hwm_kb());
	return 0;
}
