/*
 * account.h - user and group entries, for a child spawned as another
 * user.
 *
 * No Lua.  What the password and group files (or NSS) say.
 */
#ifndef PTYSCRIPT_ACCOUNT_H
#define PTYSCRIPT_ACCOUNT_H

#include <sys/types.h>

/* At most this many groups are taken for one user. */
#define ACCOUNT_MAXGROUPS	256

/* A user's entry; the strings are libc's, valid until the next lookup. */
struct account {
	const char *name;
	uid_t uid;
	gid_t gid;
	const char *dir;
	const char *shell;
};

int account_user(const char *name, uid_t uid, struct account *a);
int account_group(const char *name, gid_t gid, gid_t *out);
int account_groups(const char *user, gid_t gid, gid_t *list);

#endif
