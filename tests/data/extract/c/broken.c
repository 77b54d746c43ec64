/* broken.c - does not compile: what tree-sitter recovers is still found. */
int total = 0;

int add(int a, int b {      /* missing ')' */
	int sum = a + b;
	return sum;
}

struct point { int x; int y }   /* missing ';' after y and after the '}' */

static const char *label = "still a string";

void after(void) { total = 1; }
