/*
 * protocol.h - trawicd's wire protocol: newline-delimited JSON over a Unix
 * socket, every message carrying "v": TRW_PROTOCOL_VERSION.  The protocol
 * is described in docs/protocol.md; this header and protocol.c are its only
 * implementation, shared by the daemon and the client.
 *
 * Parsing is a pure function over bytes (no I/O, no global state), so it
 * can be fuzzed (tests/fuzz/fuzz_protocol.c).
 */
#ifndef TRW_PROTOCOL_H
#define TRW_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "common/util.h"

#define TRW_PROTOCOL_VERSION 1
/* Default limit on one request line (config daemon.max-request). */
#define TRW_PROTOCOL_MAX_REQUEST (1024 * 1024)
/* The most daemon.max-request may be raised to; the parser's own bound. */
#define TRW_PROTOCOL_HARD_MAX_REQUEST (16 * 1024 * 1024)
/* Limits inside a request; docs/protocol.md "Limits". */
#define TRW_PROTOCOL_MAX_ID 128		/* bytes of a string request id */
#define TRW_PROTOCOL_MAX_STRING 4096	/* spec, rev, model, classifier, path globs */
#define TRW_PROTOCOL_MAX_PATHS 256
#define TRW_PROTOCOL_MAX_REPORTS 8

typedef enum trw_op {
	TRW_OP_PING = 0,
	TRW_OP_VERSION,
	TRW_OP_SUBMIT,
	TRW_OP_STATUS,
	TRW_OP_WATCH,
	TRW_OP_RESULT,
	TRW_OP_CANCEL,
	TRW_OP_LIST,
	TRW_OP_STATS,
	TRW_OP_SHUTDOWN,
	TRW_OP__COUNT
} trw_op;

/* "ping" ... <-> enum; -1 / NULL when unknown. */
int trw_op_parse(const char *name);
const char *trw_op_name(trw_op op);

/* The wire error codes. */
typedef enum trw_proto_error {
	TRW_PERR_INVALID = 0,
	TRW_PERR_TOO_LARGE,
	TRW_PERR_BUSY,
	TRW_PERR_NOT_FOUND,
	TRW_PERR_FORBIDDEN,
	TRW_PERR_UNSUPPORTED_VERSION,
	TRW_PERR_INTERNAL,
	TRW_PERR__COUNT
} trw_proto_errcode;

const char *trw_proto_error_name(trw_proto_errcode e);
int trw_proto_error_parse(const char *name);

/* Job states, in the store and on the wire. */
typedef enum trw_job_state {
	TRW_JOB_QUEUED = 0,
	TRW_JOB_RUNNING,
	TRW_JOB_DONE,		/* the audit completed: a verdict */
	TRW_JOB_FAILED,		/* the audit failed or was incomplete: a record, exit 2 */
	TRW_JOB_CANCELLED,
	TRW_JOB__COUNT
} trw_job_state;

const char *trw_job_state_name(trw_job_state s);
int trw_job_state_parse(const char *name);
#define TRW_JOB_ENDED(s) ((s) >= TRW_JOB_DONE)

/* What a submit asks for; every string owned by the struct. */
typedef struct trw_submit_params {
	char *spec;		/* required */
	char *rev;		/* NULL = HEAD */
	char *model;		/* NULL = the daemon's default */
	char *classifier;	/* NULL = the embedded default */
	char **paths;		/* NULL-terminated, or NULL */
	size_t npaths;
	char **formats;		/* report formats the client will ask for (informative) */
	size_t nformats;
	double threshold;	/* < 0 = default */
	char *fail_on;		/* NULL = default; "included" | "inconclusive" | "never" */
	int priority;		/* -100..100, higher first; default 0 */
} trw_submit_params;

typedef struct trw_request {
	trw_op op;
	json_t *id;		/* the request id as sent (string or integer), or NULL */
	char *job;		/* status, watch, result, cancel */
	char *format;		/* result: NULL = the record */
	int state;		/* list: filter, -1 = all */
	unsigned limit;		/* list: at most this many (0 = default 100) */
	trw_submit_params submit;
} trw_request;

/*
 * Parse one request line (without its newline).  On success *out is a new
 * request (free with trw_request_free).  On failure *out is NULL, the
 * return is negative, *perr is the wire error code to answer with, and
 * *id (when not NULL) receives a new reference to the request's id if one
 * could be read (NULL otherwise), so the error can still be matched:
 *   TRW_PERR_INVALID              not JSON, not an object, bad or missing
 *                                 field, unknown op (message names it)
 *   TRW_PERR_UNSUPPORTED_VERSION  "v" is not TRW_PROTOCOL_VERSION
 *   TRW_PERR_TOO_LARGE            a field over its limit
 * The message is in trw_error_last().
 */
int trw_request_parse(trw_request **out, trw_proto_errcode *perr, json_t **id,
    const char *bytes, size_t len);
void trw_request_free(trw_request *r);
void trw_submit_params_dispose(trw_submit_params *p);

/* The submit parameters as a JSON object (stored with the job) and back. */
json_t *trw_submit_params_to_json(const trw_submit_params *p);
int trw_submit_params_from_json(trw_submit_params *out, const json_t *obj);

/*
 * Serialisers: one message, newline-terminated, appended to `out`.
 * `id` may be NULL (sent as null).  `body` (may be NULL) is an object
 * whose fields are added to the message; it is borrowed.
 */
int trw_proto_ok(trw_buf *out, const json_t *id, const json_t *body);
int trw_proto_error(trw_buf *out, const json_t *id, trw_proto_errcode code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same with `extra` (borrowed, may be NULL) fields added to the error
 * object, e.g. "queue_depth" for busy. */
int trw_proto_error_extra(trw_buf *out, const json_t *id, trw_proto_errcode code,
    const json_t *extra, const char *message);
/* An event of a watch: "event": name plus body's fields. */
int trw_proto_event(trw_buf *out, const json_t *id, const char *event, const json_t *body);

/* A request as a client sends it: {"v":1,"id":id,"op":op} plus body. */
int trw_proto_request(trw_buf *out, const json_t *id, trw_op op, const json_t *body);

/*
 * Check a response line as a client reads it: JSON object with the right
 * "v".  *out is a new reference.  TRW_EINVALID otherwise.
 */
int trw_proto_parse_response(json_t **out, const char *bytes, size_t len);

#endif
