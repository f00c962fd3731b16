/*
 * cast.c - escape terminal output as the contents of a JSON string, the
 * way an asciicast v2 recording (asciinema) stores it.
 *
 * JSON text must be valid Unicode, terminal output need not be: valid
 * UTF-8 passes through as it is, `"` `\` and control characters become
 * escapes, every byte that does not start a valid sequence becomes
 * U+FFFD (as a UTF-8 decoder with replacement would).  A sequence cut at
 * the end of a chunk is left unconsumed (unless final), so escaping a
 * stream chunk by chunk, carrying the rest over, gives what escaping it
 * whole gives.
 */
#include <string.h>

#include "cast.h"

/*
 * Length of the valid UTF-8 sequence at s[0..n), 0 if it is invalid, or
 * -1 if it is a valid beginning cut short by the end of the input.
 */
static int
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0], need, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < need; i++) {
		if (i >= n)
			return -1;
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
		/* overlong, surrogate or too large: reject at the second byte */
		if (i == 1 && ((need == 3 && cp < 0x20) ||
		    (need == 3 && cp >= 0x360 && cp <= 0x37F) ||
		    (need == 4 && (cp < 0x10 || cp > 0x10F))))
			return 0;
	}
	return (int)need;
}

/*
 * Escape s[0..n) into out (at least CAST_ESCAPED_MAX(n) bytes); returns
 * the bytes written, and in *used the input consumed (all of it when
 * final).
 */
size_t
cast_escape(const char *s, size_t n, int final, char *out, size_t *used)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;
	int len;

	while (i < n) {
		unsigned c = u[i];

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			out[o++] = '\\';
			switch (c) {
			case '\n': out[o++] = 'n'; break;
			case '\r': out[o++] = 'r'; break;
			case '\t': out[o++] = 't'; break;
			case '\b': out[o++] = 'b'; break;
			case '\f': out[o++] = 'f'; break;
			default:
				out[o++] = 'u';
				out[o++] = '0';
				out[o++] = '0';
				out[o++] = hex[c >> 4];
				out[o++] = hex[c & 15];
			}
			i++;
		} else if (c < 0x80) {
			out[o++] = (char)c;
			i++;
		} else if ((len = utf8_seq(u + i, n - i)) > 0) {
			memcpy(out + o, s + i, (size_t)len);
			o += (size_t)len;
			i += (size_t)len;
		} else if (len < 0 && !final) {
			break;		/* the rest comes with the next chunk */
		} else {
			memcpy(out + o, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			o += 3;
			i++;
		}
	}
	*used = i;
	return o;
}
