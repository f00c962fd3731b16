/* T1 reference: `seq 1 N` through a pty; find "\nN\r\n", then EOF. */
#include "common.h"

int
main(int argc, char **argv)
{
	static char buf[(64 << 10) + 64];
	char pat[64], nbuf[32];
	size_t plen, keep = 0, total = 0;
	ssize_t n;
	int m, found = 0;
	pid_t pid;

	if (argc != 2)
		die("usage: t1 N");
	snprintf(nbuf, sizeof nbuf, "%s", argv[1]);
	plen = (size_t)snprintf(pat, sizeof pat, "\n%s\r\n", argv[1]);
	char *av[] = { "seq", "1", nbuf, NULL };
	m = pty_spawn(av, 1, 0, &pid);
	while (!found) {
		n = read_some(m, buf + keep, sizeof buf - 64);
		if (n == 0)
			die("EOF before the final line");
		total += (size_t)n;
		if (memmem(buf, keep + (size_t)n, pat, plen) != NULL) {
			found = 1;
			break;
		}
		/* keep the last plen-1 bytes: a match may span two reads */
		keep += (size_t)n;
		if (keep >= plen) {
			memmove(buf, buf + keep - (plen - 1), plen - 1);
			keep = plen - 1;
		}
	}
	while ((n = read_some(m, buf, sizeof buf - 64)) > 0)
		total += (size_t)n;
	wait_ok(pid, "seq");
	close(m);
	printf("BENCH bytes=%zu hwm_kb=%ld\n", total, hwm_kb());
	return 0;
}
