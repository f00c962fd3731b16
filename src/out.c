/*
 * out.c - the one way ptyscript creates and writes its output files.
 *
 * Opening: never through a symbolic link (O_NOFOLLOW: in a shared sticky
 * directory such as /tmp, a link planted by another user would make a
 * root run truncate the link's target), created 0600 whatever the umask
 * (a transcript holds what the session showed), an existing file keeping
 * its mode; close-on-exec, so no child inherits it.  The names of our own
 * standard descriptors (/dev/stdout, /dev/fd/2, ...) are links by nature
 * and taken as the descriptor itself.
 *
 * Writing: everything or an error, never a silent loss: EINTR is retried,
 * EAGAIN (a non-blocking descriptor, say a standard output shared with a
 * program that set O_NONBLOCK) waits in poll(2) for room, and a reader
 * that has gone away is the error EPIPE, never the signal SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "out.h"

/*
 * The descriptor a path names when it is one of our own standard
 * descriptors' names (/dev/stdout, /dev/stderr, /dev/fd/N,
 * /proc/self/fd/N); -1 otherwise.
 */
static int
std_name(const char *path)
{
	const char *num = NULL;
	char *end;
	long fd;

	if (strcmp(path, "/dev/stdout") == 0)
		return 1;
	if (strcmp(path, "/dev/stderr") == 0)
		return 2;
	if (strncmp(path, "/dev/fd/", 8) == 0)
		num = path + 8;
	else if (strncmp(path, "/proc/self/fd/", 14) == 0)
		num = path + 14;
	if (num == NULL || *num < '0' || *num > '9')
		return -1;
	errno = 0;
	fd = strtol(num, &end, 10);
	if (*end != '\0' || errno != 0 || fd > INT_MAX)
		return -1;
	return (int)fd;
}

/*
 * Open path for writing, appending (OUT_APPEND) or emptied first
 * (OUT_TRUNCATE).  Returns the descriptor, -1 with errno, or OUT_SYMLINK
 * when path is a symbolic link (refused).
 */
int
out_open(const char *path, int mode)
{
	struct stat sb;
	int fd, flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	int err;

	if ((fd = std_name(path)) != -1)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	flags |= mode == OUT_APPEND ? O_APPEND : O_TRUNC;
	do
		fd = open(path, flags, 0600);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 && errno == ELOOP) {
		err = errno;
		if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
			return OUT_SYMLINK;
		errno = err;
	}
	return fd;
}

/*
 * One write(2) that never raises SIGPIPE: the signal is blocked around
 * it, and one the write raised is taken back before unblocking (one that
 * was pending before stays pending).
 */
ssize_t
out_write_nosig(int fd, const char *s, size_t n)
{
	static const struct timespec zero = { 0, 0 };
	sigset_t pipe_set, old, pending;
	ssize_t w;
	int saved, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigemptyset(&pending);
	(void)sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	(void)sigprocmask(SIG_BLOCK, &pipe_set, &old);
	w = write(fd, s, n);
	saved = errno;
	if (w == -1 && saved == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) == -1 &&
		    errno == EINTR)
			;
	(void)sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w;
}

/*
 * Write all of s[0..n) to fd, waiting for room when fd is non-blocking.
 * Returns 0, or -1 with errno (EPIPE when the reader has gone).
 */
int
out_write(int fd, const char *s, size_t n)
{
	struct pollfd pfd;
	ssize_t w;

	while (n > 0) {
		w = out_write_nosig(fd, s, n);
		if (w > 0) {
			s += w;
			n -= (size_t)w;
		} else if (w == 0) {
			errno = EIO;	/* (write(2) gives 0 only for n == 0) */
			return -1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			(void)poll(&pfd, 1, -1);	/* EINTR: try again */
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return 0;
}
