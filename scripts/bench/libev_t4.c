/*
 * libev_t4 - T4's C reference loop on libev (epoll) instead of poll():
 * not a tool of the table, but the floor of any program built on an
 * event loop as ptyscript is.  Same sessions, same lines, same checks as
 * ref/t4.c; each session's reply is read and the next line written in
 * its io watcher's callback.  Prints the same BENCH fields.
 *
 *	build/bench/libev_t4 C ROUNDS
 */
#include <ev.h>

#include "ref/common.h"

struct sess {
	ev_io io;		/* first: the callback's watcher is the session */
	pid_t pid;
	int round;		/* round trips completed */
	size_t have;
	char buf[48];
};

static int rounds, left;

static size_t
line_for(char *out, size_t n, int i, int reply)
{
	return (size_t)snprintf(out, n, reply ? "line %d\r\n" : "line %d\r", i);
}

static void
on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sess *s = (struct sess *)w;
	char want[64], tmp[64];
	size_t wlen;
	ssize_t n;

	(void)revents;
	n = read(w->fd, s->buf + s->have, sizeof s->buf - s->have);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		die("session pid %d: EOF or error", (int)s->pid);
	s->have += (size_t)n;
	wlen = line_for(want, sizeof want, s->round + 1, 1);
	if (s->have < wlen)
		return;
	if (s->have != wlen || memcmp(s->buf, want, wlen) != 0)
		die("session pid %d: unexpected reply", (int)s->pid);
	s->have = 0;
	if (++s->round == rounds) {
		ev_io_stop(loop, w);
		if (--left == 0)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	write_all(w->fd, tmp, line_for(tmp, sizeof tmp, s->round + 1, 0));
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop;
	struct sess *ss;
	char tmp[64];
	char *av[] = { "cat", NULL };
	double t0, t1, t2, c1, c2;
	int c, i, fd;

	if (argc != 3 || (c = atoi(argv[1])) <= 0 || (rounds = atoi(argv[2])) <= 0)
		die("usage: libev_t4 C ROUNDS");
	if ((loop = ev_default_loop(EVBACKEND_EPOLL)) == NULL)
		die("libev: no epoll");
	raise_nofile();
	if ((ss = calloc((size_t)c, sizeof *ss)) == NULL)
		die("out of memory");
	t0 = now();
	for (i = 0; i < c; i++) {
		fd = pty_spawn(av, 0, 1, &ss[i].pid);
		ev_io_init(&ss[i].io, on_readable, fd, EV_READ);
		ev_io_start(loop, &ss[i].io);
	}
	t1 = now();
	c1 = cpu_self();
	for (i = 0; i < c; i++)
		write_all(ss[i].io.fd, tmp, line_for(tmp, sizeof tmp, 1, 0));
	left = c;
	ev_run(loop, 0);
	t2 = now();
	c2 = cpu_self();
	for (i = 0; i < c; i++)
		close(ss[i].io.fd);
	for (i = 0; i < c; i++)
		waitpid(ss[i].pid, NULL, 0);
	printf("BENCH spawn_s=%.6f rt_s=%.6f rt_cpu_s=%.6f hwm_kb=%ld\n", t1 - t0, t2 - t1,
	    c2 - c1, hwm_kb());
	return 0;
}
