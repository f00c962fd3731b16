/*
 * account.c - look up users and groups: what spawn's uid and gid options
 * name, and the groups a user is in.
 *
 * A lookup that finds nothing is told apart from one that failed: libc
 * returns NULL for both, and sets errno only for a failure (a file it
 * could not read, say), so errno is cleared first.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "account.h"

/*
 * The entry of user name, or of uid when name is NULL.  Returns 0, 1 when
 * there is no such user, or -1 with errno.
 */
int
account_user(const char *name, uid_t uid, struct account *a)
{
	struct passwd *pw;

	errno = 0;
	pw = name != NULL ? getpwnam(name) : getpwuid(uid);
	if (pw == NULL)
		return errno != 0 ? -1 : 1;
	a->name = pw->pw_name;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	a->dir = pw->pw_dir;
	a->shell = pw->pw_shell;
	return 0;
}

/*
 * The gid of group name, or gid itself if that group exists when name is
 * NULL, into *out.  Returns 0, 1 when there is no such group, or -1 with
 * errno.
 */
int
account_group(const char *name, gid_t gid, gid_t *out)
{
	struct group *gr;

	errno = 0;
	gr = name != NULL ? getgrnam(name) : getgrgid(gid);
	if (gr == NULL)
		return errno != 0 ? -1 : 1;
	*out = gr->gr_gid;
	return 0;
}

/*
 * The groups of user, gid among them, into list (ACCOUNT_MAXGROUPS
 * long); returns how many.  A user in more groups keeps the first that
 * fit.
 */
int
account_groups(const char *user, gid_t gid, gid_t *list)
{
	int n = ACCOUNT_MAXGROUPS;

#ifdef __APPLE__
	/* macOS declares int groups; gid_t has the same size there */
	if (getgrouplist(user, (int)gid, (int *)list, &n) == -1)
#else
	if (getgrouplist(user, gid, list, &n) == -1)
#endif
		n = ACCOUNT_MAXGROUPS;
	return n;
}
