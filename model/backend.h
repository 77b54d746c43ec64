/*
 * backend.h - what the query engine needs from one model family: open a
 * model named by a spec, turn a query into an HTTP request body, turn a
 * response body into a completion (or, for the in-process reference
 * model, answer directly), count tokens.
 *
 * Internal to model/: the engine is the only caller.  One file per
 * family (backend_llamacpp.c, backend_openai.c, backend_ollama.c,
 * backend_ref.c); what they share is in backend_common.c.  A backend
 * never retries and never sleeps: the engine decides both.
 */
#ifndef TRW_BACKEND_H
#define TRW_BACKEND_H

#include <stddef.h>

#include <jansson.h>

#include "common/util.h"
#include "model/engine.h"
#include "model/fim.h"
#include "model/http.h"
#include "model/template.h"

/* A parsed spec: "family:URL?key=value&..." or "ref:PATH". */
typedef struct trw_spec {
	const char *text;	/* the whole spec as given, for messages; borrowed */
	char *family;		/* "llamacpp", "openai", "ollama", "ref" */
	char *url;		/* base URL without query or trailing '/'; ref: the path */
	char *model;		/* ?model= */
	char *tmpl;		/* ?template= */
	unsigned num_ctx;	/* ?num_ctx= (ollama) */
} trw_spec;

typedef struct trw_backend trw_backend;

typedef struct trw_backend_ops {
	const char *family;
	const char *params;	/* spec parameters it accepts, space-separated */
	int http;		/* 1: requests go through trw_http; 0: infill() */

	/* Connect, wait out loading, read identity/context/slots. */
	int (*open)(trw_backend **out, const trw_spec *spec, trw_http *http,
	    const trw_engine_options *opts);
	void (*free)(trw_backend *b);

	/* HTTP families: the request for `q`.  `*path` is static, appended
	 * to the base URL; `*body` is a malloc'ed JSON text.  TRW_EINVALID
	 * when the query cannot be sent (e.g. not UTF-8): not retried. */
	int (*request)(trw_backend *b, const trw_fim_query *q, const char **path,
	    char **body, size_t *body_len);
	/* HTTP families: a 200 response body into `out`.  TRW_EMODEL for a
	 * body that is not the expected JSON (the engine retries it). */
	int (*parse)(trw_backend *b, const char *body, size_t len, trw_completion *out);

	/* In-process families. */
	int (*infill)(trw_backend *b, const trw_fim_query *q, trw_completion *out);

	int (*count_tokens)(trw_backend *b, const char *text, size_t len, size_t *out);
} trw_backend_ops;

/* The part every backend has; each family's struct starts with it. */
struct trw_backend {
	const trw_backend_ops *ops;
	char *url;			/* base URL (NULL for ref) */
	char *identity;			/* "llamacpp:<model>@<url>", ... */
	const trw_template *tpl;	/* the template whose stops (openai: also
					 * prompt) are used; NULL if none */
	unsigned n_ctx;			/* per-slot context, 0 = unknown */
	unsigned slots;			/* server's parallel slots, 0 = unknown */
	trw_http *http;			/* borrowed from the engine */
	unsigned timeout_ms;		/* for synchronous calls */
};

extern const trw_backend_ops trw_backend_llamacpp;
extern const trw_backend_ops trw_backend_openai;
extern const trw_backend_ops trw_backend_ollama;
extern const trw_backend_ops trw_backend_ref;

/* The ops of a family by name, NULL if none. */
const trw_backend_ops *trw_backend__find(const char *family);

/* Parse `text`; TRW_EINVALID with a message naming the spec. */
int trw_spec__parse(trw_spec *out, const char *text);
void trw_spec__dispose(trw_spec *s);

/* Free the common part (families call it from their free()). */
void trw_backend__dispose(trw_backend *b);

/* The template name that goes into cache keys: tpl->name, or "-". */
const char *trw_backend__template_name(const trw_backend *b);

/* Synchronous GET (body NULL) or POST to base URL + path, retrying 503
 * ("loading") until `wait_ms` has passed.  Transport failures and other
 * statuses are returned in `res` for the caller to word; a negative code
 * only when no request could be made. */
int trw_backend__call(trw_backend *b, const char *path, const char *body,
    unsigned wait_ms, trw_http_result *res);

/* One line naming the server and quoting its words, for a non-200
 * response or a transport failure, into `out` (replaced).  Understands
 * {"error":{"message","type"}} (llama.cpp, vLLM), {"error":"..."} (Ollama,
 * TGI), {"object":"error","message"} (older vLLM), else quotes the start
 * of the body. */
void trw_backend__describe(const trw_backend *b, const trw_http_result *res,
    char *out, size_t outsz);

/* A JSON number that prints as an integer when it is one (0, not 0.0). */
json_t *trw_backend__number(double v);

/* The server-side stop strings of `q`: the stop rule's (newline, the
 * delimiter; none for identifiers) first, then `tpl`'s, without
 * duplicates.  A new array. */
json_t *trw_backend__stops(const trw_fim_query *q, const trw_template *tpl);

/* A JSON string of `len` bytes; NULL (with TRW_EINVALID set, naming
 * `what`) when they are not UTF-8. */
json_t *trw_backend__string(const char *s, size_t len, const char *what);

/* Serialize `root` (stolen) compactly into a malloc'ed text. */
int trw_backend__dump(json_t *root, char **body, size_t *body_len);

/* Fill `out` from a completion text and an optional array of objects
 * that carry a "logprob" number (llama.cpp, Ollama), or of numbers. */
int trw_backend__completion(trw_completion *out, const char *text, size_t len,
    json_t *logprobs);

/* Load a response body; NULL (TRW_EMODEL set, naming the server) when it
 * is not a JSON object. */
json_t *trw_backend__load(const trw_backend *b, const char *body, size_t len);

/* The template the spec names with &template=; TRW_EINVALID listing the
 * known names when there is no such row. */
int trw_backend__template(const trw_template **out, const trw_spec *spec);

/* "name1, name2, ..." of the template table, into `out` (appended). */
int trw_backend__template_names(trw_buf *out);

/* count_tokens for backends without a tokenizer: the conservative
 * estimate of model/fim.h. */
int trw_backend__count_estimate(trw_backend *b, const char *text, size_t len, size_t *out);

/* The last path component of `path` (borrowed pointer into it). */
const char *trw_backend__basename(const char *path);

/* Identity "family:<model>@<url>" into b->identity. */
int trw_backend__set_identity(trw_backend *b, const char *family, const char *model);

#endif
