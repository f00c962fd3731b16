/* T3 reference: S x (spawn sh -c 'echo ready', find "ready", EOF, wait -> 0). */
#include "common.h"

int
main(int argc, char **argv)
{
	char buf[4096];
	size_t have;
	ssize_t n;
	int m, i, s, found;
	pid_t pid;
	char *av[] = { "sh", "-c", "echo ready", NULL };

	if (argc != 2 || (s = atoi(argv[1])) <= 0)
		die("usage: t3 S");
	for (i = 0; i < s; i++) {
		m = pty_spawn(av, 1, 0, &pid);
		have = 0;
		found = 0;
		while ((n = read_some(m, buf + have, sizeof buf - have)) > 0) {
			have += (size_t)n;
			if (!found && memmem(buf, have, "ready", 5) != NULL)
				found = 1;
			if (have == sizeof buf)
				die("too much output");
		}
		if (!found)
			die("spawn %d: no \"ready\" before EOF", i);
		wait_ok(pid, "sh");
		close(m);
	}
	printf("BENCH hwm_kb=%ld\n", hwm_kb());
	return 0;
}
