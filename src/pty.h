/*
 * pty.h - pseudo-terminal pairs, window sizes and terminal modes.
 *
 * Plain POSIX/Linux calls only: no Lua, no libev.  Every function returns
 * 0 (or a descriptor) on success and -1 with errno set on failure.
 */
#ifndef PTYSCRIPT_PTY_H
#define PTYSCRIPT_PTY_H

#include <sys/types.h>

struct pty_pair {
	int master;	/* O_RDWR|O_NOCTTY|O_CLOEXEC|O_NONBLOCK */
	int slave;	/* O_RDWR|O_NOCTTY|O_CLOEXEC */
};

int pty_open(struct pty_pair *pp, int rows, int cols, int echo);
int pty_setowner(int slave, uid_t uid, gid_t gid);
void pty_close_pair(struct pty_pair *pp);
int pty_setwinsize(int fd, int rows, int cols);
int pty_getwinsize(int fd, int *rows, int *cols);
int pty_eof_char(int fd);
int pty_echo(int fd, int *canonical);
int pty_setecho(int fd, int on);

#endif
