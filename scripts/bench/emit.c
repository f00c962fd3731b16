/*
 * emit - the child program of T5 and T7, identical for every tool.
 *   emit fill L      L bytes of text with no newline and no "DONE", then
 *                    "DONE42" in a write of its own; exit 0
 *   emit records N   N records "%015d|" (16 bytes each) in one write; exit 0
 *   emit lines L     L bytes of numbered 80-byte text lines (T8), in 64 KiB
 *                    writes, then "DONE42" in a write of its own; exit 0
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
put(const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(1, s, n);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		s += w;
		n -= (size_t)w;
	}
}

int
main(int argc, char **argv)
{
	static char chunk[64 << 10];
	static const char text[] = "the quick brown fox jumps over a lazy dog 0123456789 ";
	size_t i, n, len;
	char *buf, rec[32];

	if (argc != 3)
		return 2;
	n = strtoul(argv[2], NULL, 10);
	if (strcmp(argv[1], "fill") == 0) {
		for (i = 0; i < sizeof chunk; i++)
			chunk[i] = text[i % (sizeof text - 1)];
		while (n > 0) {
			len = n < sizeof chunk ? n : sizeof chunk;
			put(chunk, len);
			n -= len;
		}
		put("DONE42", 6);
		return 0;
	}
	if (strcmp(argv[1], "lines") == 0) {
		size_t line = 0;

		while (n > 0) {
			len = 0;
			while (len + 80 <= sizeof chunk) {
				snprintf(chunk + len, 81, "%010zu %-68.68s\n",
				    line++, text);
				len += 80;
			}
			if (len > n)
				len = n;
			put(chunk, len);
			n -= len;
		}
		put("DONE42", 6);
		return 0;
	}
	if (strcmp(argv[1], "records") == 0) {
		buf = malloc(n * 16 + 1);
		if (buf == NULL)
			return 2;
		for (i = 0; i < n; i++) {
			snprintf(rec, sizeof rec, "%015zu|", i % 1000000000000000);
			memcpy(buf + 16 * i, rec, 16);
		}
		put(buf, n * 16);
		_exit(0);	/* at once */
	}
	return 2;
}
