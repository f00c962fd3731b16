/*
 * plumb.h - the descriptors of one spawn: what goes where in the child,
 * and which of ours to keep or close.
 *
 * No Lua and no libev.  A terminal puts its slave on the child's 0, 1
 * and 2; pipes mode makes a pipe for each; every extra descriptor is a
 * pipe or one of ours passed as it is.  The caller hands pl.fds to
 * spawn_exec, then calls plumb_close: the child's ends go in any case,
 * ours too if the spawn failed.
 */
#ifndef PTYSCRIPT_PLUMB_H
#define PTYSCRIPT_PLUMB_H

#include <sys/types.h>

#include "spawn.h"

/* Extra descriptors a child may get besides 0, 1 and 2, and their top. */
#define PLUMB_MAXEXTRA	(SPAWN_MAXFDS - 3)
#define PLUMB_MAXFD	255

enum plumb_mode {
	PLUMB_READ,	/* a pipe we read: the child writes it */
	PLUMB_WRITE,	/* a pipe we write: the child reads it */
	PLUMB_PASS	/* our descriptor fd, passed as it is */
};

struct plumb_extra {
	int to;		/* the child's descriptor, 3 to PLUMB_MAXFD */
	int mode;	/* enum plumb_mode */
	int fd;		/* PLUMB_PASS: ours; else our end, set by plumb_open */
};

struct plumb_req {
	int pipes;		/* 0: a terminal on 0, 1, 2; 1: a pipe each */
	int rows, cols, echo;	/* the terminal's */
	int chown;		/* give the terminal to uid and gid */
	uid_t uid;
	gid_t gid;
	struct plumb_extra *extra;
	int nextra;		/* at most PLUMB_MAXEXTRA */
};

/* What plumb_open failed at. */
enum plumb_step {
	PLUMB_OK, PLUMB_PASSED, PLUMB_OPENPTY, PLUMB_CHOWN, PLUMB_PIPE
};

struct plumbing {
	struct spawn_fd fds[SPAWN_MAXFDS];	/* for spawn_req */
	int nfds;
	int tty;	/* the slave to make the controlling tty, or -1 */
	int rfd;	/* ours: the child's output (1, and 2 on a terminal) */
	int wfd;	/* ours: the child's input (0) */
	int errfd;	/* ours: the child's 2 in pipes mode, else -1 */
	int child_end[SPAWN_MAXFDS];	/* closed after the fork */
	int nchild;
	int parent_end[SPAWN_MAXFDS];	/* closed if the spawn fails */
	int nparent;
	int step;	/* enum plumb_step: what failed */
	int bad;	/* PLUMB_PASSED: the index in extra of the closed fd */
};

int plumb_open(struct plumbing *pl, struct plumb_req *req);
void plumb_close(struct plumbing *pl, int ours_too);

#endif
