/*
 * scan.h - walk a source and extract every file, on several threads,
 * delivering results in tree order.
 *
 * The walk runs on the caller's thread (libgit2 objects are not shared);
 * files are copied into a bounded ring of slots, worker threads each with
 * their own extractor fill in the candidates, and the caller's callback
 * sees (file, result) pairs in the order of the tree.  Memory is bounded
 * by the ring: at most 2 * threads + 2 files are held at once.
 */
#ifndef TRW_SCAN_H
#define TRW_SCAN_H

#include "extractor/extract.h"
#include "extractor/source.h"

typedef struct trw_scan_options {
	unsigned int version;
	unsigned int threads;		/* 0 = number of online CPUs */
	trw_extract_options extract;
} trw_scan_options;

#define TRW_SCAN_OPTIONS_VERSION 1
#define TRW_SCAN_OPTIONS_INIT { TRW_SCAN_OPTIONS_VERSION, 0, TRW_EXTRACT_OPTIONS_INIT }

/*
 * Called once per tree entry, in tree order, on the caller's thread.
 * `result` is NULL for a skipped file.  A file whose parse did not finish
 * in time arrives with file->skipped == TRW_SKIP_PARSE_ERROR.  Both are
 * borrowed for the call.  Return non-zero to stop the scan.
 */
typedef int (*trw_scan_cb)(const trw_file *file,
    const trw_extract_result *result, void *payload);

/*
 * Scan `src` at its current revision.  Returns 0, the callback's non-zero
 * value, or an error (a query that does not load, out of memory, an error
 * of the walk).
 */
int trw_scan(trw_source *src, const trw_scan_options *opts,
    trw_scan_cb cb, void *payload);

#endif
