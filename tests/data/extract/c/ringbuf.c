/*
 * ringbuf.c - a fixed-size ring buffer of bytes.
 * Expected: this block is a comment (not a doc: one star), the text
 * starts at "ringbuf.c".
 */
#include <stdio.h>
#include "ringbuf.h"

/** The one global: a doc comment, and `count` below is a variable. */
static unsigned long count = 0, *countp = &count;

struct ring {                 /* struct with a body: a class name */
	unsigned char *data;      /* fields: variables data, cap, head, tail */
	size_t cap, head, tail;
	void (*on_full)(struct ring *r);   /* function pointer field: variable */
};

enum ring_state { RING_EMPTY, RING_PARTIAL = 1, RING_FULL };

typedef struct ring Ring, *RingPtr;   /* two typedef names, one line */

struct ring *lookup(const char *name);   /* a use of struct ring: no class */

/* A multi-line signature returning a pointer: the name is a function. */
static unsigned char *
ring_alloc(size_t cap,
	   int zero)
{
	unsigned char *buf = calloc(cap, 1), tmp[4];   /* buf and tmp */
	int (*cmp)(const void *, const void *) = NULL;  /* cmp, not the params */

	count += cap;                  /* assignment target: variable */
	buf[0] = tmp[0];               /* not a plain name: nothing */
	return zero ? buf : NULL;
}

int ring_push(Ring *r, unsigned char c)
{
	if (r->head == r->tail) {
		fprintf(stderr, "ring \"%s\" is full\n", "struct ring");  // two strings
		return -1;
	}
	r->data[r->head++] = c;   // class ring in a comment is just a comment
	return L'x' == c;         /* a char literal is not a string */
}

///  Doxygen line doc; //// four slashes would be a plain comment.
//// plain comment
//! another doc line
const char *greeting = "hello, " "world";   /* two literals */
/**/
/***************/
