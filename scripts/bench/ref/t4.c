/*
 * T4 reference: C concurrent cat sessions (echo off), R round trips each,
 * all interleaved: one poll() loop; each session sends its next line as
 * soon as its previous reply is complete.
 */
#include "common.h"

struct sess {
	pid_t pid;
	int round;		/* round trips completed */
	size_t have;
	char buf[48];
};

static size_t
line_for(char *out, size_t n, int i, int reply)
{
	return (size_t)snprintf(out, n, reply ? "line %d\r\n" : "line %d\r", i);
}

int
main(int argc, char **argv)
{
	struct sess *ss;
	struct pollfd *pf;
	char tmp[64], want[64];
	size_t wlen;
	ssize_t n;
	int c, r, i, left, rc;
	double t0, t1, t2, c1, c2;
	char *av[] = { "cat", NULL };

	if (argc != 3 || (c = atoi(argv[1])) < 0 || (r = atoi(argv[2])) <= 0)
		die("usage: t4 C ROUNDS");
	raise_nofile();
	ss = calloc((size_t)c + 1, sizeof *ss);
	pf = calloc((size_t)c + 1, sizeof *pf);
	t0 = now();
	for (i = 0; i < c; i++) {
		pf[i].fd = pty_spawn(av, 0, 1, &ss[i].pid);
		pf[i].events = POLLIN;
	}
	t1 = now();
	c1 = cpu_self();
	for (i = 0; i < c; i++)
		write_all(pf[i].fd, tmp, line_for(tmp, sizeof tmp, 1, 0));
	left = c;
	while (left > 0) {
		rc = poll(pf, (nfds_t)c, 30000);
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			die("poll: %s", rc == 0 ? "timeout" : strerror(errno));
		for (i = 0; i < c && rc > 0; i++) {
			struct sess *s = &ss[i];

			if (pf[i].revents == 0)
				continue;
			rc--;
			n = read(pf[i].fd, s->buf + s->have, sizeof s->buf - s->have);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n <= 0)
				die("session %d: EOF or error", i);
			s->have += (size_t)n;
			wlen = line_for(want, sizeof want, s->round + 1, 1);
			if (s->have < wlen)
				continue;
			if (s->have != wlen || memcmp(s->buf, want, wlen) != 0)
				die("session %d: unexpected reply", i);
			s->have = 0;
			if (++s->round == r) {
				pf[i].events = 0;	/* done: poll no more */
				left--;
				continue;
			}
			write_all(pf[i].fd, tmp, line_for(tmp, sizeof tmp, s->round + 1, 0));
		}
	}
	t2 = now();
	c2 = cpu_self();
	for (i = 0; i < c; i++)
		close(pf[i].fd);
	for (i = 0; i < c; i++)
		waitpid(ss[i].pid, NULL, 0);
	printf("BENCH spawn_s=%.6f rt_s=%.6f rt_cpu_s=%.6f hwm_kb=%ld\n", t1 - t0, t2 - t1,
	    c2 - c1, hwm_kb());
	return 0;
}
