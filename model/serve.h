/*
 * serve.h - `trawic serve` as a library: a model served over HTTP with
 * the llama.cpp, OpenAI-compatible (vLLM flavour) and Ollama routes, the
 * field names, status codes and error bodies of the real servers
 * (docs/serve.md lists them), a fixed capacity and injected faults.
 *
 * It exists so that the HTTP backends and the query engine are tested,
 * and benchmarked, against a real process on a loopback port: at most
 * `slots` requests are computed at once (the others wait), each takes at
 * least `latency_ms`, and a seeded fraction `fail_rate` fails the way real
 * servers fail (503, 500, reset connection, stall).  A fault is always
 * visible as an error: it never yields a wrong completion.
 */
#ifndef TRW_SERVE_H
#define TRW_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct trw_server trw_server;

/* The ways an injected fault shows itself (bit mask). */
enum {
	TRW_FAULT_UNAVAILABLE = 1u << 0,	/* 503 with the family's unavailable body */
	TRW_FAULT_ERROR = 1u << 1,		/* 500 with the family's error body */
	TRW_FAULT_RESET = 1u << 2,		/* connection reset (RST), no response */
	TRW_FAULT_STALL = 1u << 3,		/* no answer for stall_ms, then the right answer */
	TRW_FAULT_ALL = 0xfu
};

/* "503", "500", "reset", "stall" for one bit; NULL otherwise. */
const char *trw_fault_name(unsigned fault);

/* Parse "503,reset,..." (or "all") into a mask; TRW_EINVALID naming the
 * unknown word. */
int trw_fault_parse(unsigned *out, const char *list);

typedef struct trw_server_options {
	unsigned int version;
	const char *listen;		/* "HOST:PORT", HOST an IPv4 literal or
					 * "localhost"; PORT 0 picks a free port.
					 * NULL = "127.0.0.1:8080" */
	unsigned slots;			/* requests computed at once; 0 = 1 */
	unsigned latency_ms;		/* each computed request takes at least this */
	double fail_rate;		/* probability that a model request fails, 0..1 */
	unsigned faults;		/* TRW_FAULT_* kinds to draw from; 0 = all */
	uint64_t seed;			/* seeds the fault sequence (deterministic per process) */
	unsigned stall_ms;		/* length of a stall; 0 = 30000 */
	unsigned loading_ms;		/* 503 "Loading model" for this long after start */
	const char *template_name;	/* splits /completion and /v1/completions prompts;
					 * NULL = "starcoder2" */
	const char *alias;		/* the model's name in every API; NULL = the model path */
	unsigned n_ctx;			/* per-slot context in tokens; 0 = the model's */
	size_t max_body;		/* request body limit in bytes; 0 = 8 MiB */
	unsigned max_connections;	/* open connections (one thread each); 0 = 512 */
	FILE *log;			/* one line per request, NULL = none; not closed */
} trw_server_options;

#define TRW_SERVER_OPTIONS_VERSION 1
#define TRW_SERVER_OPTIONS_INIT { TRW_SERVER_OPTIONS_VERSION, NULL, 1, 0, 0.0, \
	TRW_FAULT_ALL, 1, 30000, 0, NULL, NULL, 0, 0, 0, NULL }

/*
 * Open the model named by `model_spec` (only "ref:PATH", the reference
 * model, can be served), bind the listening address and start answering.
 * The "loading" window starts now.  Errors: TRW_EINVALID (bad spec or
 * option), TRW_ENOTFOUND / TRW_EINVALID from opening the model, TRW_EIO
 * (cannot listen, e.g. the port is in use; the message says why).
 */
int trw_server_new(trw_server **out, const char *model_spec,
    const trw_server_options *opts);

/* The bound port and "127.0.0.1:PORT"; borrowed until trw_server_free. */
unsigned trw_server_port(const trw_server *s);
const char *trw_server_address(const trw_server *s);

typedef struct trw_server_stats {
	uint64_t requests;		/* every request answered or dropped */
	uint64_t completions;		/* successful model computations */
	uint64_t faults[4];		/* injected, by kind: 503, 500, reset, stall */
	unsigned max_busy;		/* most slots in use at once */
} trw_server_stats;

void trw_server_get_stats(const trw_server *s, trw_server_stats *out);

/*
 * Stop gracefully: stop accepting, wake requests waiting for a slot (503)
 * and stalls (closed), let computations finish, close every connection,
 * free everything.  NULL is a no-op.
 */
void trw_server_free(trw_server *s);

#endif
