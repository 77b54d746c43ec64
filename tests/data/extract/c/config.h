/* config.h - macros and prototypes (a .h file is C). */
#ifndef CONFIG_H
#define CONFIG_H             /* a guard without a value: not a candidate */

#define VERSION "1.4.2"      /* the whole value is one literal: a string */
#define MAX_CLIENTS 64 // the macro body swallows this comment; still found
#define MIN(a, b) ((a) < (b) ? (a) : (b))   /* function-like: a function */
#define GREETING L"hi" " there"               /* two literals: no string */

/** Called for every event. */
typedef void (*event_cb)(int fd, void *arg);
typedef unsigned long size_t;

/// Options of a server.
struct options {
	int port;         ///< member doc: a docstring
	char *hosts[8];   /**< an array of pointers: hosts is a variable */
	union { int i; float f; } u;   /* anonymous union: fields i, f, u */
};

int (max)(int a, int b);                /* parenthesized name: function */
void (*on_signal(int sig, event_cb cb))(int);   /* returns a function pointer */
extern const char *const *search_path(void);

#endif /* CONFIG_H */
