/*
 * out.h - opening and writing the files ptyscript writes (transcripts,
 * recordings, pictures) and its own standard output and error.  No Lua.
 */
#ifndef PTYSCRIPT_OUT_H
#define PTYSCRIPT_OUT_H

#include <stddef.h>
#include <sys/types.h>

/* out_open's modes. */
enum { OUT_APPEND, OUT_TRUNCATE };

#define OUT_SYMLINK	(-2)	/* out_open: the path is a symbolic link */

int out_open(const char *path, int mode);
ssize_t out_write_nosig(int fd, const char *s, size_t n);
int out_write(int fd, const char *s, size_t n);

#endif
