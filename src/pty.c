/*
 * pty.c - allocate a pseudo-terminal pair and set it up before a spawn.
 *
 * The master is opened close-on-exec and non-blocking: it belongs to the
 * event loop and must never leak into a child.  The slave is opened with
 * O_NOCTTY so that ptyscript itself never acquires it as a controlling
 * terminal; the child makes it its controlling terminal after setsid()
 * (see spawn.c).  The slave keeps the kernel's default permissions
 * (ours, 0620), unless a child of another uid gets it (pty_setowner).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "portable.h"
#include "pty.h"

/*
 * Open a close-on-exec master; the slave's name into name.  Linux:
 * posix_openpt takes O_CLOEXEC, and ptsname_r.  POSIX leaves any flag
 * but O_RDWR|O_NOCTTY unspecified (PTYSCRIPT_POSIX_PTY): FD_CLOEXEC
 * afterwards, and ptsname, whose static buffer is copied at once.
 */
static int
open_master(char *name, size_t len)
{
	int fd, saved;
#ifdef PTYSCRIPT_POSIX_PTY
	const char *s;

	if ((fd = posix_openpt(O_RDWR | O_NOCTTY)) == -1)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	if (grantpt(fd) == -1 || unlockpt(fd) == -1)
		goto fail;
	if ((s = ptsname(fd)) == NULL)
		goto fail;
	if (strlen(s) >= len) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	memcpy(name, s, strlen(s) + 1);
#else
	if ((fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (grantpt(fd) == -1 || unlockpt(fd) == -1)
		goto fail;
	if ((saved = ptsname_r(fd, name, len)) != 0) {
		errno = saved;
		goto fail;
	}
#endif
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* Open a master/slave pair with the given window size and echo mode. */
int
pty_open(struct pty_pair *pp, int rows, int cols, int echo)
{
	char name[128];
	int saved;

	pp->master = pp->slave = -1;
	pp->master = open_master(name, sizeof name);
	if (pp->master == -1)
		return -1;
	pp->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (pp->slave == -1)
		goto fail;
	if (fcntl(pp->master, F_SETFL, O_NONBLOCK) == -1)
		goto fail;
	if (pty_setwinsize(pp->master, rows, cols) == -1)
		goto fail;
	if (!echo && pty_setecho(pp->slave, 0) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	pty_close_pair(pp);
	errno = saved;
	return -1;
}

/*
 * Give the slave to a child that runs as uid, as login(1) does: group
 * tty, mode 0620 (the group may write to it: write(1), wall); without a
 * tty group, the child's gid and 0600.  Else the child could not open
 * its own terminal by name (/dev/tty works, /dev/pts/N does not), which
 * gpg's pinentry, tmux and script(1) do.  Returns 0 or -1 with errno.
 */
int
pty_setowner(int slave, uid_t uid, gid_t gid)
{
	struct group *gr = getgrnam("tty");

	if (fchown(slave, uid, gr != NULL ? gr->gr_gid : gid) == -1)
		return -1;
	return fchmod(slave, gr != NULL ? 0620 : 0600);
}

/* Close whichever ends of the pair are open. */
void
pty_close_pair(struct pty_pair *pp)
{
	if (pp->master != -1)
		close(pp->master);
	if (pp->slave != -1)
		close(pp->slave);
	pp->master = pp->slave = -1;
}

/* Set the window size; the kernel sends SIGWINCH to the foreground group. */
int
pty_setwinsize(int fd, int rows, int cols)
{
	struct winsize ws = { 0 };

	ws.ws_row = (unsigned short)rows;
	ws.ws_col = (unsigned short)cols;
	return ioctl(fd, TIOCSWINSZ, &ws);
}

int
pty_getwinsize(int fd, int *rows, int *cols)
{
	struct winsize ws;

	if (ioctl(fd, TIOCGWINSZ, &ws) == -1)
		return -1;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return 0;
}

/*
 * The terminal's current end-of-file character (VEOF, normally ^D).
 * On Linux tcgetattr() on the master reports the slave's settings.
 */
int
pty_eof_char(int fd)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) == -1)
		return -1;
	return tio.c_cc[VEOF];
}

/*
 * Whether the terminal echoes what is typed (ECHO): 1 or 0, -1 with
 * errno; and in *canonical whether it reads whole lines (ICANON).  On
 * the master, the slave's modes: a password prompt has echo off and
 * lines on (getpass(3), sudo, ssh).
 */
int
pty_echo(int fd, int *canonical)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) == -1)
		return -1;
	*canonical = (tio.c_lflag & ICANON) != 0;
	return (tio.c_lflag & ECHO) != 0;
}

/*
 * Turn the terminal's echo on or off, at once (TCSANOW): off clears
 * ECHO with ECHOE, ECHOK and ECHONL (which echoes a newline even
 * without ECHO), as spawn's echo = false has it; on sets ECHO, ECHOE
 * and ECHOK, as a new terminal has them, so off then on gives back the
 * kernel's modes.  On Linux tcsetattr() on the master sets the slave's
 * modes.  Input that reaches the terminal after the call is echoed, or
 * not, as it says; what arrived before was echoed already.
 */
int
pty_setecho(int fd, int on)
{
	struct termios tio;
	const tcflag_t off_flags = ECHO | ECHOE | ECHOK | ECHONL;
	const tcflag_t on_flags = ECHO | ECHOE | ECHOK;

	if (tcgetattr(fd, &tio) == -1)
		return -1;
	if (on)
		tio.c_lflag |= on_flags;
	else
		tio.c_lflag &= ~off_flags;
	return tcsetattr(fd, TCSANOW, &tio);
}
