/*
 * env.h - the environment a child starts with.
 *
 * No Lua.  Ours (or none) with variables set and removed, built before
 * the fork so that the child only calls execve.
 */
#ifndef PTYSCRIPT_ENV_H
#define PTYSCRIPT_ENV_H

#include <stddef.h>

char **env_build(int inherit, char *const *set, size_t nset);
const char *env_get(char *const *envp, const char *name);

#endif
