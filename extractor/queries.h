/*
 * queries.h - the query files compiled into the binary (generated from
 * the query files under extractor/queries/ by build-aux/embed-queries.awk).
 */
#ifndef TRW_QUERIES_H
#define TRW_QUERIES_H

#include <stddef.h>

typedef struct trw_query_source {
	const char *name;	/* "python.scm" */
	const char *text;
	size_t len;
} trw_query_source;

/* Terminated by a row whose name is NULL. */
extern const trw_query_source trw_query_sources[];

#endif
