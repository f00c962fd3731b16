/*
 * out.h - opening and writing the files ptyscript writes (transcripts,
 * recordings, pictures) and its own standard output and error.  No Lua.
 */
#ifndef PTYSCRIPT_OUT_H
#define PTYSCRIPT_OUT_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* out_open's modes. */
enum { OUT_APPEND, OUT_TRUNCATE };

/* out_open's refusals (out_refusal says why). */
#define OUT_SYMLINK	(-2)	/* the path is a symbolic link */
#define OUT_DIRLINK	(-3)	/* a directory on the way is another user's
				 * symbolic link in a shared directory */
#define OUT_FOREIGN	(-4)	/* another user's file in a shared directory */
#define OUT_LINKED	(-5)	/* a file with other hard links there */

int out_open(const char *path, int mode);
const char *out_refusal(int rc);
ssize_t out_write_nosig(int fd, const char *s, size_t n);
int out_write(int fd, const char *s, size_t n);
void out_wrap_std(void);
int out_fileno(FILE *f);
int out_std_error(int fd);

#endif
