/*
 * plumb.c - open the descriptors of one spawn and say where each goes.
 *
 * The child gets the terminal's slave on 0, 1 and 2, or a pipe for each
 * (pipes mode), and each extra descriptor it asked for: a pipe, or one of
 * ours passed as it is.  Of every pipe, the child's end is closed in the
 * parent once the child has it, and ours is non-blocking, for the loop.
 * Everything is opened before the fork (spawn.c) and closed again on
 * every way out, so that a failed spawn leaks nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "plumb.h"
#include "pty.h"

/* Place our descriptor from on the child's to. */
static void
place(struct plumbing *pl, int from, int to)
{
	pl->fds[pl->nfds].from = from;
	pl->fds[pl->nfds++].to = to;
}

/*
 * A pipe for the child's descriptor to: the child reads it when
 * child_reads (its stdin, a PLUMB_WRITE extra), else writes it.
 * Returns our end, or -1 with errno.
 */
static int
pipe_for(struct plumbing *pl, int to, int child_reads)
{
	int fd[2], ours, theirs;

	if (spawn_pipe(fd) == -1)
		return -1;
	ours = child_reads ? fd[1] : fd[0];
	theirs = child_reads ? fd[0] : fd[1];
	(void)fcntl(ours, F_SETFL, O_NONBLOCK);
	pl->child_end[pl->nchild++] = theirs;
	pl->parent_end[pl->nparent++] = ours;
	place(pl, theirs, to);
	return ours;
}

/*
 * Open what req asks for.  Returns 0, or -1 with errno and pl->step
 * saying what failed, and nothing left open.  A passed descriptor that
 * is not open is found before anything is opened.  Giving the terminal
 * to another uid may fail with EPERM when we are not root: then the
 * privilege drop itself fails, and says so (setgroups).
 */
int
plumb_open(struct plumbing *pl, struct plumb_req *req)
{
	struct pty_pair pp;
	struct plumb_extra *ex;
	int i, saved;

	memset(pl, 0, sizeof *pl);
	pl->tty = pl->rfd = pl->wfd = pl->errfd = -1;
	for (i = 0; i < req->nextra; i++) {
		ex = &req->extra[i];
		if (ex->mode == PLUMB_PASS &&
		    (ex->fd < 0 || fcntl(ex->fd, F_GETFD) == -1)) {
			pl->step = PLUMB_PASSED;
			pl->bad = i;
			errno = EBADF;
			return -1;
		}
	}
	if (!req->pipes) {
		if (pty_open(&pp, req->rows, req->cols, req->echo) == -1) {
			pl->step = PLUMB_OPENPTY;
			return -1;
		}
		if (req->chown && pty_setowner(pp.slave, req->uid, req->gid) ==
		    -1 && errno != EPERM) {
			saved = errno;
			pty_close_pair(&pp);
			pl->step = PLUMB_CHOWN;
			errno = saved;
			return -1;
		}
		for (i = 0; i < 3; i++)
			place(pl, pp.slave, i);
		pl->child_end[pl->nchild++] = pp.slave;
		pl->parent_end[pl->nparent++] = pp.master;
		pl->tty = pp.slave;
		pl->rfd = pl->wfd = pp.master;
	} else if ((pl->wfd = pipe_for(pl, 0, 1)) == -1 ||
	    (pl->rfd = pipe_for(pl, 1, 0)) == -1 ||
	    (pl->errfd = pipe_for(pl, 2, 0)) == -1)
		goto fail;
	for (i = 0; i < req->nextra; i++) {
		ex = &req->extra[i];
		if (ex->mode == PLUMB_PASS)
			place(pl, ex->fd, ex->to);
		else if ((ex->fd = pipe_for(pl, ex->to,
		    ex->mode == PLUMB_WRITE)) == -1)
			goto fail;
	}
	return 0;
fail:
	saved = errno;
	plumb_close(pl, 1);
	pl->step = PLUMB_PIPE;
	errno = saved;
	return -1;
}

/* Close the child's ends, and ours too when ours_too (a failed spawn). */
void
plumb_close(struct plumbing *pl, int ours_too)
{
	int i;

	for (i = 0; i < pl->nchild; i++)
		close(pl->child_end[i]);
	pl->nchild = 0;
	for (i = 0; ours_too && i < pl->nparent; i++)
		close(pl->parent_end[i]);
	if (ours_too)
		pl->nparent = 0;
}
