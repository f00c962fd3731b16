/*
 * redact.h - a set of secrets, and text with every secret in it written
 * as "***".  No Lua.
 *
 * A secret matches what a terminal makes of it on the way back: a run of
 * \r and \n in the secret matches a run of them in the text (echo writes
 * "\n" as "\r\n"), and a control byte also matches its echoed form "^X"
 * (ECHOCTL).  One pass over the text finds, at each position, the longest
 * secret starting there, in one walk down a trie of the secrets: the
 * cost is linear in the text (times at most the longest secret), does
 * not grow with the number of secrets, and the output ("***") is never
 * scanned again.
 */
#ifndef PTYSCRIPT_REDACT_H
#define PTYSCRIPT_REDACT_H

#include <stddef.h>

struct redact;

/* How redact_run treats the end of the text. */
enum redact_mode {
	REDACT_STATIC,	/* a message: also a piece (3 bytes or more) of a
			 * secret cut at either end */
	REDACT_STREAM,	/* a chunk of a stream: hold back a tail that could
			 * still become a secret */
	REDACT_FINAL	/* the end of a stream: a tail that starts a secret
			 * is "***" */
};

typedef int (*redact_emit)(void *ctx, const char *s, size_t n);

struct redact *redact_new(void);
void redact_free(struct redact *r);
int redact_add(struct redact *r, const char *s, size_t n);
size_t redact_count(const struct redact *r);
unsigned long long redact_work(const struct redact *r);
int redact_run(struct redact *r, const char *s, size_t n,
    enum redact_mode mode, redact_emit emit, void *ctx, size_t *used);

#endif
