/*
 * cast.h - JSON string escaping for asciicast recordings.  No Lua.
 */
#ifndef PTYSCRIPT_CAST_H
#define PTYSCRIPT_CAST_H

#include <stddef.h>

/* Bytes of output cast_escape may need for n bytes of input, at most. */
#define CAST_ESCAPED_MAX(n)	((n) * 6 + 8)

size_t cast_escape(const char *s, size_t n, int final, char *out,
    size_t *used);

#endif
