/*
 * common.h - the few helpers every C reference program shares.
 *
 * The reference programs are the "physical limit" of the benchmark: the
 * least work a program can do for each task with raw system calls
 * (posix_openpt, fork, poll, read, write, memmem).  No libraries, no
 * buffering layers, no generality beyond what the task needs.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fputs("FAIL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + system) this process has used so far, in seconds. */
static double
cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Peak resident set of this process (VmHWM), in KiB. */
static long
hwm_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Start argv on a new pty; return the master (close-on-exec, blocking
 * unless nonblock).  echo = 0 turns the terminal's echo off.
 */
static int
pty_spawn(char *const argv[], int echo, int nonblock, pid_t *pidp)
{
	char name[64];
	struct termios tio;
	int m, s;
	pid_t pid;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m == -1)
		die("posix_openpt: %s", strerror(errno));
	if (grantpt(m) == -1 || unlockpt(m) == -1 ||
	    ptsname_r(m, name, sizeof name) != 0)
		die("pty setup: %s", strerror(errno));
	s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s == -1)
		die("open %s: %s", name, strerror(errno));
	if (!echo) {
		tcgetattr(s, &tio);
		tio.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
		tcsetattr(s, TCSANOW, &tio);
	}
	pid = fork();
	if (pid == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		ioctl(s, TIOCSCTTY, 0);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(s);
	if (nonblock)
		fcntl(m, F_SETFL, O_NONBLOCK);
	*pidp = pid;
	return m;
}

/* Read (blocking fd) once; 0 at EOF (EIO on Linux once the slave is gone). */
static ssize_t
read_some(int fd, char *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == EIO)
		return 0;
	if (r == -1)
		die("read: %s", strerror(errno));
	return r;
}

static void
write_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		s += w;
		n -= (size_t)w;
	}
}

/* Wait for pid; die unless it exited 0. */
static void
wait_ok(pid_t pid, const char *what)
{
	int st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			die("waitpid %s: %s", what, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s: wait status %#x", what, st);
}

#endif
