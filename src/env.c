/*
 * env.c - the environment a child starts with: ours, or none, with
 * variables set and removed.
 *
 * The array points into environ and into the caller's strings instead of
 * copying them, and is counted and filled with no other allocation in
 * between: the caller must keep its strings alive, and may not let
 * anything call setenv while it builds (setenv may move environ; glibc
 * never frees a value it made, so the strings stay valid after it).
 */
#include <stdlib.h>
#include <string.h>

#include "env.h"

extern char **environ;

/* The length of the name of entry e ("NAME=value", or "NAME"). */
static size_t
name_len(const char *e)
{
	return strcspn(e, "=");
}

/* Whether set names the variable whose name is e's first len bytes. */
static int
is_set(const char *e, size_t len, char *const *set, size_t nset)
{
	size_t i;

	for (i = 0; i < nset; i++)
		if (name_len(set[i]) == len && memcmp(set[i], e, len) == 0)
			return 1;
	return 0;
}

/*
 * The environment of a child: with inherit, environ's "NAME=value"
 * entries (one without '=' is no variable, and left out) whose name set
 * does not give; then set's "NAME=value" entries ("NAME" alone removes
 * the variable).  NULL-terminated and malloc'd, for the caller to free;
 * NULL when out of memory.  environ may be NULL (after clearenv(3)).
 */
char **
env_build(int inherit, char *const *set, size_t nset)
{
	size_t n = 0, k = 0, i, len;
	char **v;

	while (inherit && environ != NULL && environ[n] != NULL)
		n++;
	if ((v = malloc((n + nset + 1) * sizeof *v)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		len = name_len(environ[i]);
		if (environ[i][len] == '=' &&
		    !is_set(environ[i], len, set, nset))
			v[k++] = environ[i];
	}
	for (i = 0; i < nset; i++)
		if (set[i][name_len(set[i])] == '=')
			v[k++] = set[i];
	v[k] = NULL;
	return v;
}

/* The value of variable name in envp, or NULL. */
const char *
env_get(char *const *envp, const char *name)
{
	size_t len = strlen(name);

	for (; *envp != NULL; envp++)
		if (strncmp(*envp, name, len) == 0 && (*envp)[len] == '=')
			return *envp + len + 1;
	return NULL;
}
