/*
 * out.c - the one way ptyscript creates and writes its output files.
 *
 * Opening: never through a symbolic link (O_NOFOLLOW: in a shared sticky
 * directory such as /tmp, a link planted by another user would make a
 * root run truncate the link's target), created 0600 whatever the umask
 * (a transcript holds what the session showed), an existing file keeping
 * its mode; close-on-exec, so no child inherits it.  In a directory
 * others can write to, what another user may have planted there is
 * refused too: a file (or FIFO) of theirs, which would hand them the
 * transcript (or block the open), a hard link, which "w" would empty
 * wherever it points, and a symbolic link of theirs among the
 * directories of the path.  The names of our own standard descriptors
 * (/dev/stdout, /dev/fd/2, ...) are links by nature and taken as the
 * descriptor itself.
 *
 * Writing: everything or an error, never a silent loss: EINTR is retried,
 * EAGAIN (a non-blocking descriptor, say a standard output shared with a
 * program that set O_NONBLOCK) waits in poll(2) for room, and a reader
 * that has gone away is the error EPIPE, never the signal SIGPIPE.
 *
 * The command's standard output and error (the script's print and
 * io.write) go through the same kind of writer (out_wrap_std): stdio
 * would lose what a non-blocking descriptor does not take at once, and
 * say nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
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
 * Directories are opened only to look up names in them: O_PATH on Linux
 * (a directory we may search but not read, a 0711 home say, still
 * opens), O_SEARCH where POSIX has it, else O_RDONLY.
 */
#if defined(O_PATH)
#define DIR_FLAGS	(O_PATH | O_DIRECTORY | O_CLOEXEC)
#elif defined(O_SEARCH)
#define DIR_FLAGS	(O_SEARCH | O_DIRECTORY | O_CLOEXEC)
#else
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_CLOEXEC)
#endif

/*
 * Whether another user may add names to the directory: one with group
 * or other write permission (/tmp, a shared project directory), or one
 * owned by somebody else than us and root (/tmp/build-42 made by
 * another user before us).  There that user can plant a file, a FIFO, a
 * hard link or a symbolic link under the name we are about to open.
 */
static int
shared_dir(const struct stat *dir)
{
	return (dir->st_mode & (S_IWGRP | S_IWOTH)) != 0 ||
	    (dir->st_uid != geteuid() && dir->st_uid != 0);
}

/*
 * Whether an entry owned by uid in such a directory may be used: ours,
 * or root's (whom nothing here protects against), as the kernel's
 * protected_regular, protected_fifos and protected_symlinks have it for
 * /tmp.
 */
static int
trusted_owner(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/*
 * Open the directory path[0..len) names (".", or "/" for len 0 of an
 * absolute path), refusing a symbolic link on the way that another user
 * planted in a shared directory.  Returns the descriptor, -1 with errno,
 * or OUT_DIRLINK.
 */
static int
open_dir(const char *path, size_t len)
{
	struct stat dsb, lsb;
	char *copy, *comp, *next;
	int dfd, nfd, rc = -1, err;

	if ((copy = malloc(len + 1)) == NULL)
		return -1;
	memcpy(copy, path, len);
	copy[len] = '\0';
	dfd = open(path[0] == '/' ? "/" : ".", DIR_FLAGS);
	for (comp = copy; dfd >= 0 && comp != NULL; comp = next) {
		while (*comp == '/')
			comp++;
		if ((next = strchr(comp, '/')) != NULL)
			*next++ = '\0';
		if (*comp == '\0')
			continue;
		/*
		 * Not following first: what is checked is what is opened (a
		 * directory checked, then swapped for a link, is not
		 * followed).  A link is followed only once it is trusted.
		 */
		do
			nfd = openat(dfd, comp, DIR_FLAGS | O_NOFOLLOW);
		while (nfd == -1 && errno == EINTR);
		if (nfd == -1 && (errno == ENOTDIR || errno == ELOOP ||
		    errno == EMLINK) && fstatat(dfd, comp, &lsb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lsb.st_mode)) {
			if (fstat(dfd, &dsb) == 0 && shared_dir(&dsb) &&
			    !trusted_owner(lsb.st_uid)) {
				rc = OUT_DIRLINK;
				break;
			}
			do
				nfd = openat(dfd, comp, DIR_FLAGS);
			while (nfd == -1 && errno == EINTR);
		}
		err = errno;
		close(dfd);
		dfd = nfd;
		errno = err;
	}
	err = errno;
	if (rc == OUT_DIRLINK && dfd >= 0)
		close(dfd);
	else
		rc = dfd;
	free(copy);
	errno = err;
	return rc;
}

/*
 * Check what fd (just opened as name in the directory dfd) is: in a
 * shared directory, a file of another user, or a file with other hard
 * links (to a file elsewhere, which "w" would empty), is refused.
 * Returns 0 or an OUT_* refusal.
 */
static int
check_opened(int fd, int dfd)
{
	struct stat sb, dsb;

	if (fstat(fd, &sb) == -1 || fstat(dfd, &dsb) == -1)
		return -1;
	if (!shared_dir(&dsb))
		return 0;
	if (!trusted_owner(sb.st_uid))
		return OUT_FOREIGN;
	if (S_ISREG(sb.st_mode) && sb.st_nlink > 1)
		return OUT_LINKED;
	return 0;
}

/*
 * Open path for writing, appending (OUT_APPEND) or emptied first
 * (OUT_TRUNCATE).  Returns the descriptor, -1 with errno, or a refusal:
 * OUT_SYMLINK when path is a symbolic link; OUT_DIRLINK, OUT_FOREIGN or
 * OUT_LINKED for a symbolic link, a file or a hard link another user
 * may have planted in a shared directory (see out_refusal).
 *
 * The name is opened without O_TRUNC and O_NONBLOCK, so that a file
 * refused is left as it was and a FIFO with no reader does not block
 * the open; a file is emptied only once it has passed the checks.
 */
int
out_open(const char *path, int mode)
{
	struct stat sb;
	const char *base, *slash;
	int dfd, fd, err, rc;
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;

	if ((fd = std_name(path)) != -1)
		return fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (*path == '\0') {
		errno = ENOENT;
		return -1;
	}
	if (mode == OUT_APPEND)
		flags |= O_APPEND;
	slash = strrchr(path, '/');
	base = slash != NULL ? slash + 1 : path;
	if (*base == '\0')
		base = ".";	/* "dir/": EISDIR from open */
	if ((dfd = open_dir(path, slash != NULL ? (size_t)(slash - path) : 0))
	    < 0)
		return dfd;
	do
		fd = openat(dfd, base, flags | O_NONBLOCK, 0600);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 && errno == ENXIO && fstatat(dfd, base, &sb,
	    AT_SYMLINK_NOFOLLOW) == 0 && S_ISFIFO(sb.st_mode)) {
		/* a FIFO with no reader yet: wait for one, if it is trusted */
		struct stat dsb;

		if (fstat(dfd, &dsb) == 0 && shared_dir(&dsb) &&
		    !trusted_owner(sb.st_uid)) {
			close(dfd);
			return OUT_FOREIGN;
		}
		do
			fd = openat(dfd, base, flags, 0600);
		while (fd == -1 && errno == EINTR);
	}
	if (fd == -1) {
		err = errno;
		/* a symbolic link: ELOOP (Linux), EMLINK (FreeBSD) */
		rc = (err == ELOOP || err == EMLINK) && fstatat(dfd, base, &sb,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode) ?
		    OUT_SYMLINK : -1;
		close(dfd);
		errno = err;
		return rc;
	}
	rc = check_opened(fd, dfd);
	err = errno;
	close(dfd);
	if (rc == 0 && (flags = fcntl(fd, F_GETFL)) != -1)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	if (rc == 0 && mode == OUT_TRUNCATE && fstat(fd, &sb) == 0 &&
	    S_ISREG(sb.st_mode) && ftruncate(fd, 0) == -1)
		rc = -1, err = errno;
	if (rc != 0) {
		close(fd);
		errno = err;
		return rc;
	}
	return fd;
}

/* Why out_open refused a path (one of its OUT_* results). */
const char *
out_refusal(int rc)
{
	switch (rc) {
	case OUT_SYMLINK:
		return "refusing to write through a symbolic link";
	case OUT_DIRLINK:
		return "refusing to follow a symbolic link another user owns "
		    "in a directory others can write to";
	case OUT_FOREIGN:
		return "refusing to write to a file another user owns in a "
		    "directory others can write to (remove it or choose "
		    "another name)";
	case OUT_LINKED:
		return "refusing to write to a file with other hard links in "
		    "a directory others can write to";
	default:
		return "refused";
	}
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

/*
 * The command's standard output and error, as stdio writes them: FILEs
 * whose writes wait for room (EAGAIN), and remember their first error.
 * Unlike out_write they leave SIGPIPE alone: a script's print to a
 * reader that has gone ends it as SIGPIPE does, as documented.
 */
struct std_out {
	FILE *f;		/* the FILE made for it, or NULL */
	int fd;
	int err;		/* the first error, or 0 */
};

static struct std_out std_outs[2] = { { NULL, 1, 0 }, { NULL, 2, 0 } };

#if defined(__GLIBC__) || defined(__FreeBSD__) || defined(__APPLE__) || \
    defined(__NetBSD__) || defined(__OpenBSD__)
static ssize_t
std_write(void *cookie, const char *s, size_t n)
{
	struct std_out *o = cookie;
	struct pollfd pfd;
	size_t done = 0;
	ssize_t w;

	while (done < n) {
		w = write(o->fd, s + done, n - done);
		if (w > 0) {
			done += (size_t)w;
		} else if (w == -1 && errno == EINTR) {
			continue;
		} else if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pfd.fd = o->fd;
			pfd.events = POLLOUT;
			pfd.revents = 0;
			(void)poll(&pfd, 1, -1);
		} else {
			if (w == 0)
				errno = EIO;
			if (o->err == 0)
				o->err = errno;
			return -1;
		}
	}
	return (ssize_t)done;
}

#if defined(__GLIBC__)
static int
std_seek(void *cookie, off64_t *pos, int whence)
{
	off_t at = lseek(((struct std_out *)cookie)->fd, (off_t)*pos, whence);

	if (at == -1)
		return -1;
	*pos = at;
	return 0;
}

static FILE *
std_open(struct std_out *o)
{
	cookie_io_functions_t fns = { NULL, std_write, std_seek, NULL };

	return fopencookie(o, "w", fns);
}
#else
static int
std_bsd_write(void *cookie, const char *s, int n)
{
	return (int)std_write(cookie, s, (size_t)n);
}

static fpos_t
std_bsd_seek(void *cookie, fpos_t pos, int whence)
{
	return (fpos_t)lseek(((struct std_out *)cookie)->fd, (off_t)pos,
	    whence);
}

static FILE *
std_open(struct std_out *o)
{
	return funopen(o, NULL, std_bsd_write, std_bsd_seek, NULL);
}
#endif

/*
 * Make stdout and stderr such FILEs (before Lua's io library takes them):
 * stdout line-buffered on a terminal, else fully; stderr unbuffered.
 */
void
out_wrap_std(void)
{
	FILE *f;
	int i;

	for (i = 0; i < 2; i++) {
		fflush(i == 0 ? stdout : stderr);
		if ((f = std_open(&std_outs[i])) == NULL)
			continue;
		if (i == 1)
			setvbuf(f, NULL, _IONBF, 0);
		else
			setvbuf(f, NULL, isatty(1) ? _IOLBF : _IOFBF, BUFSIZ);
		std_outs[i].f = f;
		if (i == 0)
			stdout = f;
		else
			stderr = f;
	}
}
#else
void
out_wrap_std(void)
{
}
#endif

/* fileno(f), also for the FILEs of out_wrap_std (stdio has none for them). */
int
out_fileno(FILE *f)
{
	int i;

	for (i = 0; i < 2; i++)
		if (f != NULL && f == std_outs[i].f)
			return std_outs[i].fd;
	return fileno(f);
}

/* Why writing to the command's standard output failed (errno), or 0. */
int
out_std_error(int fd)
{
	return fd == 1 || fd == 2 ? std_outs[fd - 1].err : 0;
}
