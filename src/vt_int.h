/*
 * vt_int.h - the screen's parts, shared by vt.c (libvterm and the
 * readers), vt_shield.c (input made safe) and vt_fast.c (text that
 * cannot show, skipped).  Each part of struct vt is written by its file.
 */
#ifndef PTYSCRIPT_VT_INT_H
#define PTYSCRIPT_VT_INT_H

#include <time.h>

#include <vterm.h>

#include "vt.h"
#include "vt_track.h"

/* The shield's state (vt_shield.c). */
struct vt_shield {
	int esc_held;			/* a string's ESC not fed yet */
	char repch[4];			/* the last graphic character, UTF-8 */
	size_t nrepch, wantrep;		/* its length; bytes still to come */
	char carry[8];			/* a UTF-8 sequence not whole yet */
	size_t ncarry;
	int want_rows, want_cols;	/* a resize waiting for the end of a
					   sequence (vt_resize), or 0 */
};

/* The fast path's state (vt_fast.c). */
struct vt_fast {
	int mode;			/* VT_FAST_* */
	int margins;			/* 1 full (default), 2 full given
					   explicitly, 0 maybe not full */
	int lr_margins;			/* DECLRMM was turned on: unknown */
	int nowrap;			/* DECAWM was turned off */
	int unsure;			/* a sequence it does not model came:
					   no cut until RIS */
	unsigned long long skipped;
	char *pend;			/* text not fed yet */
	size_t npend, cappend;
	int pend_cut;			/* a cut: the cursor goes to the last
					   row first */
	size_t cutlow;			/* no cut below: looked at (cut) */
	size_t tail;			/* printable ASCII bytes ending pend */
};

struct vt {
	VTerm *term;
	VTermScreen *screen;
	VTermState *state;
	int rows, cols;
	struct vt_track tk;		/* the bytes passed to libvterm */
	struct vt_shield sh;
	struct vt_fast fp;
	char *title;
	int alt, cursor_visible;
	unsigned long long changes;
	struct timespec last;		/* of the last change */
	char *reply;			/* the emulator's answers, to send */
	size_t nreply, capreply;
};

/* Something was drawn (vt_changes). */
static inline void
vt_touch(struct vt *v)
{
	v->changes++;
}

void	vt_fast_feed(struct vt *, const char *, size_t, size_t);
void	vt_fast_end(struct vt *, int);
void	vt_fast_init(struct vt *);
void	vt_fast_free(struct vt *);
int	vt_fast_margins(const struct vt *);
void	vt_fast_resized(struct vt *, int);

#endif
