/*
 * audit.h - one audit, the whole pipe in one library call:
 * source -> extract -> probe (through the cache) -> features -> classify
 * -> verdict, producing the audit-result record.
 *
 * `trawic audit` calls it in-process; trawicd calls it, unchanged, from
 * its worker threads.  The record is a JSON document (jansson) whose
 * schema is defined once, in docs/audit-result.md (format
 * "trawic-audit-result", version TRW_AUDIT_RESULT_VERSION); every report
 * format (report/report.h) is a rendering of it, and the daemon stores it
 * as is.
 *
 * A failed query is never a miss: a file with a failed query gets no
 * probability, the audit is "incomplete", and an incomplete audit has no
 * verdict.  An audit that could not start (bad spec, bad revision, a
 * model that cannot be reached, a classifier that does not load) still
 * yields a record, status "failed", with its errors: the caller can
 * always write a report.
 */
#ifndef TRW_AUDIT_H
#define TRW_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/config.h"
#include "model/engine.h"

#define TRW_AUDIT_RESULT_FORMAT "trawic-audit-result"
#define TRW_AUDIT_RESULT_VERSION 1

/* What may turn the exit code to 1. */
typedef enum trw_fail_on {
	TRW_FAIL_ON_INCLUDED = 0,	/* only an "included" verdict (default) */
	TRW_FAIL_ON_INCONCLUSIVE,	/* "included" or "inconclusive" */
	TRW_FAIL_ON_NEVER		/* exit 0 whatever the verdict (errors still 2) */
} trw_fail_on;

/* "included", "inconclusive", "never" <-> enum; -1 / NULL when unknown. */
int trw_fail_on_parse(const char *s);
const char *trw_fail_on_name(trw_fail_on f);

typedef struct trw_audit_progress {
	const char *phase;		/* "opening", "probing", "classifying", "done" */
	uint64_t files_done, files_total;	/* files_total 0 = unknown yet */
	uint64_t queries_done, queries_failed;
	uint64_t cache_hits, model_calls;
	double seconds;			/* since the audit started */
} trw_audit_progress;

/*
 * Called on the auditing thread: after opening, after each batch of
 * queries, and once at the end.  A non-zero return cancels the audit
 * (status "cancelled", trw_audit_run returns TRW_ECANCEL).
 */
typedef int (*trw_audit_progress_cb)(const trw_audit_progress *p, void *payload);

typedef struct trw_audit_options {
	unsigned int version;
	const char *spec;		/* repository: path, URL, plain directory */
	const char *rev;		/* NULL = HEAD */
	/*
	 * The model: a spec or a [model "NAME"] name.  NULL = audit.model
	 * from the configuration, else the embedded reference model
	 * (trw_audit_default_model).
	 */
	const char *model;
	/* The classifier file.  NULL = audit.classifier, else the embedded
	 * default classifier (trw_audit_default_classifier). */
	const char *classifier;
	/* NULL-terminated globs restricting the audited paths; NULL = all */
	const char *const *paths;
	/* Negative = from the configuration ([audit]) or the classifier. */
	double threshold;		/* repository tau */
	double file_threshold;		/* a member file: P >= this */
	int semantic_threshold;		/* 0..100 */
	unsigned kinds;			/* 0 = audit.kinds, else all */
	uint64_t max_file_size;		/* 0 = audit.max-file-size, else 1 MiB */
	unsigned threads;		/* extraction threads; 0 = CPUs */
	trw_fail_on fail_on;		/* recorded in the result */
	int fail_on_set;		/* fail_on given (else audit.fail-on) */
	/*
	 * The configuration (borrowed): model names, [audit] defaults.  NULL
	 * = the default files (system, user) plus the repository's own
	 * (.trawic, [trawic] of its git config) when `spec` is local.
	 */
	const trw_config *config;
	/* Engine options (cache, concurrency, retries, timeouts). */
	trw_engine_options engine;
	/* Evidence kept per file in the record (reproduced elements);
	 * 0 = 100.  The counts stay exact. */
	size_t max_evidence;
	trw_audit_progress_cb progress;
	void *progress_payload;
	/* Where URLs are cloned; NULL = $XDG_CACHE_HOME/trawic/repos (the
	 * daemon gives each user a directory of their own). */
	const char *clone_dir;
} trw_audit_options;

#define TRW_AUDIT_OPTIONS_VERSION 1
#define TRW_AUDIT_OPTIONS_INIT { TRW_AUDIT_OPTIONS_VERSION, NULL, NULL, NULL, NULL, NULL, \
	-1, -1, -1, 0, 0, 0, TRW_FAIL_ON_INCLUDED, 0, NULL, TRW_ENGINE_OPTIONS_INIT, \
	0, NULL, NULL, NULL }

/*
 * Run one audit.  *out always receives a record (unless TRW_ENOMEM or
 * TRW_EINVALID for bad options), whatever the return:
 *   0            status "complete": every query answered; a verdict
 *   TRW_EMODEL   status "incomplete": some queries failed; no verdict
 *   TRW_ECANCEL  status "cancelled": the progress callback said stop
 *   other < 0    status "failed": the audit could not run (the record's
 *                errors[] say why; so does the thread's last error)
 */
int trw_audit_run(json_t **out, const trw_audit_options *opts);

/*
 * The exit code an audit record asks for under `fail_on`: 2 unless the
 * status is "complete"; else 1 for "included" (and "inconclusive" under
 * TRW_FAIL_ON_INCONCLUSIVE), 0 otherwise; TRW_FAIL_ON_NEVER gives 0 for
 * every complete audit.  A record that is not an audit result gives 2.
 */
int trw_audit_exit_code(const json_t *result, trw_fail_on fail_on);

/*
 * The embedded defaults.  The reference model: $TRAWIC_DEFAULT_MODEL if
 * set, else $XDG_CACHE_HOME/trawic/models/default-order4.ref (where `make
 * default-model` puts it), else PKGDATADIR/default-order4.ref (`make
 * install`).  TRW_ENOTFOUND with a message saying how to build it.
 * *out is malloc'ed.
 */
int trw_audit_default_model(char **out);

/* The default classifier: $TRAWIC_DEFAULT_CLASSIFIER if set, else the
 * copy compiled into trawic (classifier/default.json); *data borrowed
 * or malloc'ed per *owned. */
int trw_audit_default_classifier(const char **data, size_t *len, const char **name);

/*
 * The configuration an audit of `spec` reads when opts.config is NULL:
 * system, user, then the repository's `.trawic` (at the root of the
 * audited revision's work tree, or the plain directory) and the
 * `[trawic]` section of its git config, then `extra` (--config).
 */
int trw_audit_config_open(trw_config **out, const char *spec, const char *extra);

#endif
