/*
 * vt_track.c - where the child's bytes are in the terminal's grammar.
 *
 * One tracker follows the child's output through the escape-sequence
 * grammar as libvterm 0.1.4's parser reads it, and says what each byte
 * is: text, part of a sequence, the end of one.  It is the screen's only
 * reader of the grammar.  The shield (vt_shield.c) guards libvterm on its
 * word, and the fast path (vt_fast.c) learns from it which bytes are text
 * it may hold back and which sequences set the modes it follows; neither
 * reads a byte of grammar itself.  So they cannot disagree about where a
 * sequence ends: two readers a byte apart would let a guard miss a
 * sequence, or the fast path drop text that shows.  It reads what the
 * shield passes on (after vt_feed's UTF-8 repairs), and a CSI the shield
 * cancels (vt_track_drop) is followed to its end while libvterm, given
 * CAN, is back between sequences: what the tracker says is what libvterm
 * reads.  Text, as it says, is well-formed UTF-8 (vt_track_text): the
 * shield puts U+FFFD in place of the rest.
 *
 * The grammar, checked against the library byte by byte: C0 controls
 * inside a sequence are executed and NUL and DEL ignored; ESC starts a
 * new sequence, or inside a string may begin its ST; CAN and SUB cancel.
 * After ESC and any intermediates, '[' opens a CSI and ']' or 'P' a
 * string (OSC, DCS; ESC X, ^ and _ are C1 controls to it, not strings),
 * and a high byte changes nothing.  A CSI is a leader (< = > ?), then
 * digits, ';' and ':', then intermediates: any other byte ends it
 * unfinished.  A string ends at BEL or ESC \.
 */
#include "vt_track.h"

/*
 * Text as the fast path may hold it back: printable, UTF-8 and DEL, and
 * the controls that only move the cursor over text, with no effect on
 * modes, pen, charset or margins: NUL, BEL, BS, TAB, LF, CR.
 */
#define PLAIN_C0	(1u << 0 | 1u << 7 | 1u << 8 | 1u << 9 | 1u << 10 | \
			    1u << 13)
#define PLAIN(c)	((c) >= 0x20 || (PLAIN_C0 >> (c) & 1))

/* Whether libvterm reads between sequences, where text is text. */
int
vt_track_between(const struct vt_track *t)
{
	return t->g == TK_GROUND || (t->g == TK_CSI && t->drop);
}

/*
 * Follow the text s[0, n) starts with (none inside a sequence); how many
 * bytes it is.  A byte that is not part of a whole UTF-8 character (a
 * stray continuation byte, FE, FF, a lead byte without all of its
 * continuation bytes right after it) ends it.  libvterm 0.1.4's decoders
 * (one for text that starts with a high byte, one for text that starts
 * with ASCII) wait for a continuation byte across controls, escape
 * sequences and each other's text, so malformed UTF-8 would change how
 * later text reads, and whether text the fast path drops would have
 * ended such a wait; whole characters leave them as they found them.
 */
size_t
vt_track_text(const struct vt_track *t, const unsigned char *s, size_t n)
{
	size_t i = 0, len, k;

	if (t->g != TK_GROUND)
		return 0;
	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x80) {
			i += 1 + vt_ascii(s + i + 1, n - i - 1);
		} else if (s[i] >= 0x80) {
			len = (size_t)vt_u8len(s[i]);
			if (len == 0 || len > n - i)
				break;
			for (k = 1; k < len && (s[i + k] & 0xc0) == 0x80; k++)
				;
			if (k < len)
				break;
			i += len;
		} else if (PLAIN(s[i])) {
			i++;
		} else {
			break;
		}
	}
	return i;
}

/*
 * The rest of this CSI does not reach libvterm (the shield has sent CAN
 * instead): follow it to its end, calling its bytes TK_DROP, and its C0
 * controls, which still reach libvterm, what they are between sequences.
 */
void
vt_track_drop(struct vt_track *t)
{
	t->drop = 1;
}

/* A byte inside a CSI. */
static int
csi_step(struct vt_track *t, unsigned char c)
{
	int kind = t->drop ? TK_DROP : TK_SEQ;

	if (c >= 0x40 && c <= 0x7e) {
		t->g = TK_GROUND;
		t->final = c;
		t->csi[t->ncsi] = '\0';
		kind = t->drop ? TK_DROP : TK_CSI_END;
		t->drop = 0;
	} else if (c <= 0x2f) {
		t->inter = 1;
	} else if (c <= 0x3f && !t->inter && (c <= 0x3b || !t->csi_args)) {
		if (c <= 0x3b)
			t->csi_args = 1;
		if (c == ';' || c == ':')
			t->nsep++;
		if (t->ncsi < TK_CSI_MAX)
			t->csi[t->ncsi++] = (char)c;
	} else {
		t->g = TK_GROUND;	/* not a CSI after all */
		t->drop = 0;
	}
	return kind;
}

/* Follow byte c; what it is (TK_TEXT...). */
int
vt_track_step(struct vt_track *t, unsigned char c)
{
	if (c == 0x18 || c == 0x1a) {
		t->g = TK_GROUND;
		t->drop = 0;
		return TK_SEQ;
	}
	if (c == 0x1b) {
		t->g = t->g == TK_STR ? TK_STR_ESC : TK_ESC;
		t->drop = 0;
		t->inter = 0;
		return TK_SEQ;
	}
	if (c < 0x20) {
		if (c == 0x07 && t->g == TK_STR) {
			t->g = TK_GROUND;	/* BEL ends a string */
			return TK_SEQ;
		}
		return vt_track_between(t) && PLAIN(c) ? TK_TEXT : TK_SEQ;
	}
	if (c == 0x7f)
		return t->g == TK_GROUND ? TK_TEXT : t->drop ? TK_DROP : TK_SEQ;
	switch (t->g) {
	case TK_GROUND:
		return TK_TEXT;
	case TK_STR:
		break;
	case TK_STR_ESC:
		if (c == '\\') {
			t->g = TK_GROUND;	/* ST */
			break;
		}
		t->g = TK_ESC;
		/* FALLTHROUGH */
	case TK_ESC:
	case TK_ESC_INT:
		if (c == '[') {
			t->g = TK_CSI;
			t->ncsi = 0;
			t->nsep = 0;
			t->csi_args = 0;
			t->inter = 0;
		} else if (c == ']' || c == 'P') {
			t->g = TK_STR;
		} else if (c <= 0x2f) {
			t->g = TK_ESC_INT;
			t->inter = 1;
			if (c == '#')
				return TK_HASH;
		} else if (c < 0x7f) {
			t->g = TK_GROUND;
			t->final = c;
			return TK_ESC_END;
		}
		break;
	case TK_CSI:
		return csi_step(t, c);
	}
	return TK_SEQ;
}
