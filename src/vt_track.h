/*
 * vt_track.h - where the child's bytes are in the terminal's grammar
 * (see vt_track.c).
 */
#ifndef PTYSCRIPT_VT_TRACK_H
#define PTYSCRIPT_VT_TRACK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TK_CSI_MAX	32	/* parameter bytes kept of one CSI */

/* The states of libvterm 0.1.4's parser, as far as anyone here asks. */
enum {
	TK_GROUND,		/* text */
	TK_ESC,			/* after ESC */
	TK_ESC_INT,		/* after ESC and intermediate bytes */
	TK_CSI,			/* in a CSI */
	TK_STR,			/* in a string (OSC, DCS) */
	TK_STR_ESC		/* in a string, after ESC: maybe its end */
};

/* What one byte is (vt_track_step). */
enum {
	TK_TEXT,		/* text, or a control that moves the cursor
				   over it (see vt_track.c), between
				   sequences; whole UTF-8 characters */
	TK_SEQ,			/* anything else libvterm reads */
	TK_ESC_END,		/* the final byte of an ESC sequence */
	TK_CSI_END,		/* the final byte of a CSI */
	TK_HASH,		/* ESC #: line attributes or DECALN follow */
	TK_DROP			/* a byte of a dropped CSI (vt_track_drop) */
};

struct vt_track {
	int g;			/* TK_GROUND... */
	int drop;		/* the CSI is not for libvterm */
	/* the sequence being read, or the one that just ended */
	unsigned char final;	/* its final byte */
	int inter;		/* it has intermediate bytes */
	char csi[TK_CSI_MAX + 1];	/* a CSI's leader and parameters */
	size_t ncsi;
	unsigned nsep;		/* its ';' and ':' */
	int csi_args;		/* a digit, ';' or ':' was seen */
};

int	vt_track_step(struct vt_track *, unsigned char);
size_t	vt_track_text(const struct vt_track *, const unsigned char *, size_t);
void	vt_track_drop(struct vt_track *);
int	vt_track_between(const struct vt_track *);

/*
 * How many of s[0, n) are printable ASCII or DEL from the start, give or
 * take the last 7: whole words of 8 bytes at a time, for the loops over
 * long runs of text (no byte has the top bit set or is below 0x20).
 */
static inline size_t
vt_ascii(const unsigned char *s, size_t n)
{
	const uint64_t hi = 0x8080808080808080u, sp = 0x2020202020202020u;
	uint64_t w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if ((w & hi) != 0 || ((w - sp) & ~w & hi) != 0)
			break;
	}
	return i;
}

/* How many bytes a UTF-8 sequence led by c has (libvterm's view), or 0. */
static inline int
vt_u8len(unsigned char c)
{
	return c < 0xc0 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : c < 0xf8 ? 4 :
	    c < 0xfc ? 5 : c < 0xfe ? 6 : 0;
}

#endif
