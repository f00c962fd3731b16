/*
 * spawn.h - fork and exec a child on a prepared terminal (or pipes).
 *
 * No Lua and no libev.  Everything the child needs is prepared by the
 * caller before spawn_exec() forks; between fork and exec the child only
 * makes async-signal-safe calls.
 */
#ifndef PTYSCRIPT_SPAWN_H
#define PTYSCRIPT_SPAWN_H

#include <sys/types.h>

/* At most this many descriptors are placed in a child (0, 1, 2 included). */
#define SPAWN_MAXFDS	16

/* One descriptor to place in the child: parent's fd `from` becomes `to`. */
struct spawn_fd {
	int from;
	int to;
};

struct spawn_req {
	const char *path;	/* resolved program path, for execve */
	char *const *argv;
	char *const *envp;
	const char *cwd;	/* NULL: inherit */
	int tty;		/* slave to make the controlling tty, or -1 */
	struct spawn_fd *fds;	/* placed in order; must include 0, 1, 2 */
	int nfds;
	/* Privilege drop (setgroups, setgid, setuid) when set_ids is set. */
	int set_ids;
	uid_t uid;
	gid_t gid;
	const gid_t *groups;
	int ngroups;
};

/* What failed in the child, reported through the close-on-exec pipe. */
enum spawn_step {
	STEP_NONE, STEP_SETSID, STEP_CTTY, STEP_DUP, STEP_CHDIR,
	STEP_SETGROUPS, STEP_SETGID, STEP_SETUID, STEP_EXEC
};

struct spawn_result {
	pid_t pid;
	int pidfd;	/* close-on-exec pidfd, or -1 when unavailable */
	int step;	/* enum spawn_step that failed, STEP_NONE on success */
	int err;	/* errno of the failed step */
};

int spawn_exec(const struct spawn_req *req, struct spawn_result *res);
int spawn_keep_limit(int resource);
const char *spawn_step_name(int step);
int spawn_pipe(int fd[2]);
int spawn_find_program(const char *prog, const char *pathvar, char *out,
    size_t outlen);

#endif
