/*
 * http.h - a thin layer over libcurl for the model backends: one multi
 * handle that keeps many POSTs in flight, plus one-shot synchronous
 * calls for the few requests made when a model is opened.
 *
 * It knows nothing of JSON or of model servers: a transfer is a URL, an
 * optional body, a timeout and a caller's tag; a result is a transport
 * outcome, an HTTP status and a bounded body.
 */
#ifndef TRW_HTTP_H
#define TRW_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

typedef struct trw_http trw_http;

/* Largest response body kept; a longer one fails the transfer. */
#define TRW_HTTP_MAX_BODY (32u << 20)

typedef struct trw_http_result {
	int transport;			/* 0, or the CURLcode of a transport failure */
	char transport_msg[256];	/* curl's words for it */
	long status;			/* HTTP status; 0 when no response came */
	trw_buf body;			/* the response body, owned */
	long retry_after_s;		/* a Retry-After header, 0 if none */
	double ms;			/* wall time of the transfer */
} trw_http_result;

void trw_http_result_dispose(trw_http_result *r);

/* Is a transport failure worth retrying (refused, reset, timed out, cut
 * short)?  1 or 0. */
int trw_http_transient(int transport);

/* Was the connection refused (nothing listening)?  1 or 0. */
int trw_http_refused(int transport);

/* Did the transport fail by timing out?  1 or 0. */
int trw_http_timed_out(int transport);

int trw_http_new(trw_http **out);
void trw_http_free(trw_http *h);

/*
 * One synchronous request: GET when `body` is NULL, else POST of JSON.
 * Returns 0 whenever the exchange was attempted (the outcome, transport
 * failure included, is in `res`, which the caller disposes); a negative
 * code only when it could not be attempted at all.
 */
int trw_http_call(trw_http *h, const char *url, const char *body, size_t body_len,
    unsigned timeout_ms, trw_http_result *res);

/* Start a POST of `body` (taken: freed by the layer) tagged `tag`. */
int trw_http_start(trw_http *h, const char *url, char *body, size_t body_len,
    unsigned timeout_ms, uint64_t tag);

/* Transfers started and not yet collected with trw_http_next. */
size_t trw_http_inflight(const trw_http *h);

/* Drive the transfers; wait at most `max_wait_ms` for something to happen. */
int trw_http_poll(trw_http *h, unsigned max_wait_ms);

/* Collect one finished transfer: 1 with `*tag` and `res` filled (the
 * caller disposes `res`), 0 when none is finished. */
int trw_http_next(trw_http *h, uint64_t *tag, trw_http_result *res);

/* Drop every transfer, running or finished and not collected. */
void trw_http_abort(trw_http *h);

#endif
