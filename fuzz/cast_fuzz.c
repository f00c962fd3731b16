/*
 * cast_fuzz.c - libFuzzer harness for the asciicast escaping (src/cast.c).
 *
 * From the input: a byte string and the points where it is cut into
 * chunks.  Escaping chunk by chunk, carrying the unconsumed rest over as
 * the recorder does, must give exactly what escaping the whole string
 * gives; the result must be valid JSON string contents (valid UTF-8, no
 * raw control character, quote or backslash, only known escapes); and
 * unescaping it must give the input back wherever the input was valid
 * UTF-8 (else U+FFFD for the bad bytes).  Any difference aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cast.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "cast_fuzz: %s\n", what);
	abort();
}

/* Valid UTF-8 (strict: no overlongs, surrogates, > U+10FFFF)? */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, need;
	unsigned long cp;

	while (i < n) {
		unsigned c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 2, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 3, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 4, cp = c & 0x07;
		else
			return 0;
		if (i + need > n)
			return 0;
		for (k = 1; k < need; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		i += need;
	}
	return 1;
}

/* Unescape JSON string contents; checks the escapes as it goes. */
static size_t
unescape(const char *s, size_t n, char *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c < 0x20 || c == 0x7F)
			fail("raw quote or control character in the output");
		if (c != '\\') {
			out[o++] = s[i++];
			continue;
		}
		if (i + 1 >= n)
			fail("dangling backslash");
		switch (s[i + 1]) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'u': {
			unsigned v = 0, k;

			if (i + 6 > n)
				fail("short \\u escape");
			for (k = 2; k < 6; k++) {
				char h = s[i + k];

				v <<= 4;
				if (h >= '0' && h <= '9')
					v |= (unsigned)(h - '0');
				else if (h >= 'a' && h <= 'f')
					v |= (unsigned)(h - 'a' + 10);
				else
					fail("bad hex digit");
			}
			if (v >= 0x80)
				fail("\\u escape for a non-ASCII character");
			out[o++] = (char)v;
			i += 4;
			break;
		}
		default:
			fail("unknown escape");
		}
		i += 2;
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t ncut, cuts[8], i, at, used, whole_len, chunk_len = 0, plain;
	char *whole, *chunked, *buf, *back;
	size_t carry_len = 0;
	char carry[8];

	if (size < 1)
		return 0;
	ncut = data[0] % 8;
	if (size < 1 + ncut)
		return 0;
	for (i = 0; i < ncut; i++)
		cuts[i] = data[1 + i];
	data += 1 + ncut;
	size -= 1 + ncut;

	whole = malloc(CAST_ESCAPED_MAX(size));
	chunked = malloc(CAST_ESCAPED_MAX(size) + 64);
	buf = malloc(size + sizeof carry);
	back = malloc(CAST_ESCAPED_MAX(size));
	if (!whole || !chunked || !buf || !back)
		abort();
	whole_len = cast_escape((const char *)data, size, 1, whole, &used);
	if (used != size)
		fail("final escape left bytes");

	/* chunk by chunk, with the carry */
	for (at = 0, i = 0; i <= ncut; i++) {
		size_t end = i < ncut ? at + cuts[i] : size;
		int final = i == ncut;

		if (end > size)
			end = size;
		if (end < at)
			end = at;
		memcpy(buf, carry, carry_len);
		memcpy(buf + carry_len, data + at, end - at);
		chunk_len += cast_escape(buf, carry_len + end - at, final,
		    chunked + chunk_len, &used);
		if (carry_len + end - at - used > sizeof carry - 1)
			fail("carry longer than a cut UTF-8 sequence");
		memcpy(carry, buf + used, carry_len + end - at - used);
		carry_len = carry_len + end - at - used;
		at = end;
	}
	if (carry_len != 0)
		fail("bytes left after the final chunk");
	if (chunk_len != whole_len || memcmp(chunked, whole, whole_len) != 0)
		fail("chunked escaping differs from whole escaping");
	if (!valid_utf8((const unsigned char *)whole, whole_len))
		fail("output is not valid UTF-8");
	plain = unescape(whole, whole_len, back);
	if (valid_utf8(data, size) &&
	    (plain != size || memcmp(back, data, size) != 0))
		fail("valid UTF-8 does not come back unchanged");
	free(whole);
	free(chunked);
	free(buf);
	free(back);
	return 0;
}
