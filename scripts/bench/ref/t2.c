/* T2 reference: cat, echo off; K x (write "line i\r", read to "line i\r\n"). */
#include "common.h"

int
main(int argc, char **argv)
{
	char buf[4096], line[64], want[64];
	size_t have, llen, wlen;
	ssize_t n;
	int m, i, k;
	pid_t pid;
	char *av[] = { "cat", NULL };

	if (argc != 2 || (k = atoi(argv[1])) <= 0)
		die("usage: t2 K");
	m = pty_spawn(av, 0, 0, &pid);
	for (i = 1; i <= k; i++) {
		llen = (size_t)snprintf(line, sizeof line, "line %d\r", i);
		wlen = (size_t)snprintf(want, sizeof want, "line %d\r\n", i);
		write_all(m, line, llen);
		have = 0;
		for (;;) {
			n = read_some(m, buf + have, sizeof buf - have);
			if (n == 0)
				die("EOF at round trip %d", i);
			have += (size_t)n;
			if (have >= wlen && memmem(buf, have, want, wlen) != NULL)
				break;
			if (have == sizeof buf)
				die("no match at round trip %d", i);
		}
		if (have != wlen)	/* nothing else may come back */
			die("unexpected output at round trip %d", i);
	}
	close(m);	/* hang up: cat gets EOF/SIGHUP */
	waitpid(pid, NULL, 0);
	printf("BENCH hwm_kb=%ld\n", hwm_kb());
	return 0;
}
