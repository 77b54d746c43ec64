/*
 * serve.c - `trawic serve`: the reference model behind the routes of
 * llama.cpp's llama-server, an OpenAI-compatible server (vLLM's flavour
 * of /v1/completions) and Ollama, on a loopback port.
 *
 * It is a test instrument, not a production server.  What it reproduces
 * is what a client can observe: routes, field names, status codes, error
 * bodies (docs/serve.md lists them, from the protocol reference), a
 * capacity of S requests computed at once with a minimum latency, a
 * "loading" window, and faults drawn from a seeded generator.  HTTP is
 * libmicrohttpd's, one thread per connection, so that requests waiting
 * for a slot, latency and stalls simply block their own thread.
 *
 * It deliberately does not: stream llama.cpp/OpenAI responses (501),
 * sample several choices, report prompt log-probabilities (echo), or
 * serve any model but `ref:PATH`.
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <jansson.h>
#include <microhttpd.h>

#include "common/error.h"
#include "common/util.h"
#include "model/fim.h"
#include "model/ref.h"
#include "model/serve.h"
#include "model/template.h"

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_BODY (8u << 20)
#define DEFAULT_STALL_MS 30000u
#define DEFAULT_CONNECTIONS 512u
#define MAX_STOPS 16		/* stop strings honoured per request */
#define MAX_STOP_LEN 256
#define UNBOUNDED_PREDICT 512	/* budget for n_predict -1 ("until the end") */
#define MAX_PREDICT 4096	/* the reference model's own cap on a budget */
#define MAX_LOGPROBS 20		/* vLLM's --max-logprobs, Ollama's top_logprobs cap */
#define STACK_SIZE (1u << 20)

/* ---- the server ----------------------------------------------------------- */

enum family { FAM_LLAMA, FAM_OPENAI, FAM_OLLAMA };

struct trw_server {
	struct MHD_Daemon *daemon;
	int listen_fd;
	unsigned port;
	char address[64];

	trw_refmodel *model;
	const trw_template *tpl;
	char *model_path;
	char *alias;
	unsigned n_ctx;

	unsigned slots, latency_ms, stall_ms, faults;
	double fail_rate;
	size_t max_body;
	FILE *log;

	uint64_t started_ns, loaded_ns;	/* monotonic */
	time_t started_wall;

	/* slots (a FIFO counting semaphore), shutdown, the fault generator */
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* CLOCK_MONOTONIC */
	uint64_t next_ticket, admitted;
	unsigned busy;
	int stopping;
	uint64_t rng;

	/* statistics (atomics) */
	uint64_t n_requests, n_completions, n_faults[4], n_prompt_tokens, n_predicted;
	unsigned max_busy;
	unsigned pending, max_pending;	/* completions computing or waiting for a slot */
	uint64_t n_ids;
	struct tokstate *tok;
};

/* ---- small helpers ------------------------------------------------------- */

/* splitmix64: tiny, seedable, and the same sequence on every platform. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double ms_between(uint64_t a, uint64_t b)
{
	return b > a ? (double)(b - a) / 1e6 : 0.0;
}

static void abs_deadline(struct timespec *ts, uint64_t deadline_ns)
{
	ts->tv_sec = (time_t)(deadline_ns / 1000000000u);
	ts->tv_nsec = (long)(deadline_ns % 1000000000u);
}

/*
 * Sleep until `deadline_ns` (monotonic) unless the server stops first;
 * -1 when it does, so that a shutdown never waits for a stall.
 */
static int sleep_until(trw_server *s, uint64_t deadline_ns)
{
	struct timespec ts;
	int stopped;

	abs_deadline(&ts, deadline_ns);
	pthread_mutex_lock(&s->lock);
	while (!s->stopping && trw_now_ns() < deadline_ns)
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	stopped = s->stopping;
	pthread_mutex_unlock(&s->lock);
	return stopped ? -1 : 0;
}

/* Wait in line for a slot; FIFO by ticket.  -1 if the server stops. */
static int slot_acquire(trw_server *s)
{
	uint64_t ticket;
	unsigned busy;

	pthread_mutex_lock(&s->lock);
	ticket = s->next_ticket++;
	while (!s->stopping && ticket >= s->admitted)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	/* written under the lock, read lock-free by the statistics */
	busy = __atomic_add_fetch(&s->busy, 1, __ATOMIC_RELAXED);
	if (busy > __atomic_load_n(&s->max_busy, __ATOMIC_RELAXED))
		__atomic_store_n(&s->max_busy, busy, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

static void slot_release(trw_server *s)
{
	pthread_mutex_lock(&s->lock);
	__atomic_sub_fetch(&s->busy, 1, __ATOMIC_RELAXED);
	s->admitted++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int is_loading(const trw_server *s)
{
	return trw_now_ns() < s->loaded_ns;
}

/* A JSON string from bytes that may not be valid UTF-8 (a completion cut
 * by a budget): invalid bytes become U+FFFD, as llama.cpp does. */
static json_t *jstrn(const char *p, size_t n)
{
	trw_buf b = TRW_BUF_INIT(0);
	json_t *j;
	size_t i = 0;

	if (trw_utf8_valid(p, n))
		return json_stringn_nocheck(p, n);
	while (i < n) {
		size_t k = 1;
		unsigned char c = (unsigned char)p[i];

		if (c >= 0xc2 && c <= 0xf4) {
			size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

			if (i + want <= n && trw_utf8_valid(p + i, want))
				k = want;
		}
		if (k == 1 && c >= 0x80) {
			if (trw_buf_puts(&b, "\xef\xbf\xbd") < 0)
				break;
		} else if (trw_buf_put(&b, p + i, k) < 0) {
			break;
		}
		i += k;
	}
	j = json_stringn_nocheck(b.ptr ? b.ptr : "", b.size);
	trw_buf_dispose(&b);
	return j;
}

static json_t *jstr(const char *s)
{
	return jstrn(s, strlen(s));
}

/* jansson refuses infinities; llama.cpp sends -FLT_MAX, vLLM -9999.0. */
static json_t *jlogprob(double lp, enum family fam)
{
	if (isnan(lp))
		lp = 0.0;
	if (!isfinite(lp) || lp < -FLT_MAX)
		lp = fam == FAM_LLAMA ? -FLT_MAX : -9999.0;
	if (fam != FAM_LLAMA && lp < -9999.0)
		lp = -9999.0;
	return json_real(lp);
}

static json_t *jbytes(const char *p, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_integer((unsigned char)p[i]));
	return a;
}

/* ---- the model's tokens -------------------------------------------------- */

/*
 * Tokens as the wire shows them: an id and a byte span.  The template's
 * sentinels are special tokens with ids above the model's vocabulary.
 */
typedef struct tok {
	uint32_t id;
	size_t start, end;
} tok;

typedef struct tokvec {
	tok *v;
	size_t n, alloc;
} tokvec;

static void tokvec_dispose(tokvec *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->alloc = 0;
}

static int tokvec_push(tokvec *t, uint32_t id, size_t start, size_t end)
{
	if (t->n == t->alloc) {
		size_t want = t->alloc ? 2 * t->alloc : 64;
		tok *v = realloc(t->v, want * sizeof(*v));

		if (!v)
			return trw_error_oom();
		t->v = v;
		t->alloc = want;
	}
	t->v[t->n].id = id;
	t->v[t->n].start = start;
	t->v[t->n].end = end;
	t->n++;
	return 0;
}

/*
 * Token ids.  The reference model's tokenizer splits text (tokens cover it
 * exactly: decoding is concatenation) but does not expose vocabulary ids,
 * so the wire ids are derived from the token's bytes: a 31-bit FNV-1a
 * hash above the specials, the same in every process.  The template's
 * sentinels (and its stop tokens) are the specials, ids 1..n; 0 is
 * "<|endoftext|>".  /detokenize maps back the ids this process has
 * handed out, kept in a bounded table.
 */
#define SPECIAL_BASE 256u
#define MAX_SPECIALS 24
#define INTERN_SLOTS (1u << 20)		/* a power of two */
#define INTERN_MAX_BYTES (64u << 20)

typedef struct intern_slot {
	uint32_t id;			/* 0 = empty (0 is never an ordinary id) */
	uint32_t len;
	size_t off;
} intern_slot;

struct tokstate {
	const char *special[MAX_SPECIALS];
	size_t special_len[MAX_SPECIALS];
	size_t nspecial;
	pthread_mutex_t lock;
	intern_slot *slots;
	size_t nslots_used;
	trw_buf arena;
};

static uint32_t piece_id(const char *p, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return SPECIAL_BASE + h % (0x7fffffffu - SPECIAL_BASE);
}

static void add_special(struct tokstate *ts, const char *text)
{
	if (!text || !*text || ts->nspecial == MAX_SPECIALS)
		return;
	for (size_t i = 0; i < ts->nspecial; i++)
		if (strcmp(ts->special[i], text) == 0)
			return;
	ts->special[ts->nspecial] = text;
	ts->special_len[ts->nspecial] = strlen(text);
	ts->nspecial++;
}

static int tok_init(trw_server *s)
{
	struct tokstate *ts = calloc(1, sizeof(*ts));

	if (!ts || (ts->slots = calloc(INTERN_SLOTS, sizeof(*ts->slots))) == NULL) {
		free(ts);
		return trw_error_oom();
	}
	pthread_mutex_init(&ts->lock, NULL);
	ts->arena.max = INTERN_MAX_BYTES;
	add_special(ts, "<|endoftext|>");
	add_special(ts, s->tpl->bos);
	add_special(ts, s->tpl->pre);
	add_special(ts, s->tpl->suf);
	add_special(ts, s->tpl->mid);
	for (size_t i = 0; s->tpl->stops && s->tpl->stops[i]; i++)
		add_special(ts, s->tpl->stops[i]);
	s->tok = ts;
	return 0;
}

static void tok_dispose(trw_server *s)
{
	struct tokstate *ts = s->tok;

	if (!ts)
		return;
	pthread_mutex_destroy(&ts->lock);
	free(ts->slots);
	trw_buf_dispose(&ts->arena);
	free(ts);
	s->tok = NULL;
}

/* Remember id -> bytes for /detokenize; silently full past the bounds. */
static void intern(struct tokstate *ts, uint32_t id, const char *p, size_t n)
{
	size_t i = id & (INTERN_SLOTS - 1);

	pthread_mutex_lock(&ts->lock);
	while (ts->slots[i].id && ts->slots[i].id != id)
		i = (i + 1) & (INTERN_SLOTS - 1);
	if (!ts->slots[i].id && ts->nslots_used < INTERN_SLOTS / 2 && n <= UINT32_MAX &&
	    trw_buf_put(&ts->arena, p, n) == 0) {
		ts->slots[i].id = id;
		ts->slots[i].len = (uint32_t)n;
		ts->slots[i].off = ts->arena.size - n;
		ts->nslots_used++;
	}
	pthread_mutex_unlock(&ts->lock);
}

/* Append the bytes of `id` to `out`; TRW_ENOTFOUND for an id never seen. */
static int id_text(const trw_server *s, uint32_t id, trw_buf *out)
{
	struct tokstate *ts = s->tok;
	size_t i = id & (INTERN_SLOTS - 1);
	int error = TRW_ENOTFOUND;

	if (id < SPECIAL_BASE) {
		if (id >= ts->nspecial)
			return trw_error_set(TRW_ENOTFOUND, "unknown token id %u", id);
		return trw_buf_put(out, ts->special[id], ts->special_len[id]);
	}
	pthread_mutex_lock(&ts->lock);
	while (ts->slots[i].id && ts->slots[i].id != id)
		i = (i + 1) & (INTERN_SLOTS - 1);
	if (ts->slots[i].id == id)
		error = trw_buf_put(out, ts->arena.ptr + ts->slots[i].off, ts->slots[i].len);
	pthread_mutex_unlock(&ts->lock);
	if (error == TRW_ENOTFOUND)
		trw_error_set(error, "unknown token id %u (ids come from /tokenize)", id);
	return error;
}

/* Plain text (no specials) into tokens, spans offset by `base`. */
static int tokenize_plain(const trw_server *s, const char *text, size_t len, size_t base,
    tokvec *out)
{
	size_t i = 0;
	int error;

	while (i < len) {
		size_t n = trw_refmodel__token_len(text + i, len - i);
		uint32_t id;

		if (n == 0 || n > len - i)
			n = 1;
		id = piece_id(text + i, n);
		intern(s->tok, id, text + i, n);
		if ((error = tokvec_push(out, id, base + i, base + i + n)) < 0)
			return error;
		i += n;
	}
	return 0;
}

/* Text into tokens; with `parse_special`, sentinel text becomes the
 * special token (llama.cpp's default for /tokenize). */
static int tokenize(const trw_server *s, const char *text, size_t len, int parse_special,
    tokvec *out)
{
	const struct tokstate *ts = s->tok;
	size_t i = 0;
	int error;

	out->n = 0;
	if (!parse_special)
		return tokenize_plain(s, text, len, 0, out);
	while (i < len) {
		size_t next = len, which = 0, wlen = 0;

		/* the nearest special ahead; the longest at equal position */
		for (size_t k = 0; k < ts->nspecial; k++) {
			const char *hit = memmem(text + i, len - i, ts->special[k],
			    ts->special_len[k]);
			size_t at = hit ? (size_t)(hit - text) : len;

			if (hit && (at < next || (at == next && ts->special_len[k] > wlen))) {
				next = at;
				which = k;
				wlen = ts->special_len[k];
			}
		}
		if ((error = tokenize_plain(s, text + i, next - i, i, out)) < 0)
			return error;
		if (next == len)
			break;
		if ((error = tokvec_push(out, (uint32_t)which, next, next + wlen)) < 0)
			return error;
		i = next + wlen;
	}
	return 0;
}

/*
 * The tokens of a completion, in step with its log-probabilities (one per
 * generated token).  Re-splitting the text usually gives the generated
 * tokens back; when it does not (two generated tokens that the tokenizer
 * would have read as one, e.g. "+" then "="), the boundaries are found by
 * generating again with budgets 1, 2, ...: decoding is deterministic and
 * a shorter budget gives a prefix of the same completion.
 */
static int completion_tokens(const trw_server *s, const trw_fim_query *q,
    const trw_completion *c, tokvec *out)
{
	size_t prev = 0;
	int error;

	out->n = 0;
	if (!c->text || c->len == 0)
		return 0;
	if ((error = tokenize_plain(s, c->text, c->len, 0, out)) < 0)
		return error;
	if (out->n == c->nlogprobs)
		return 0;
	out->n = 0;
	for (size_t k = 1; k <= c->nlogprobs; k++) {
		trw_fim_query qk = *q;
		trw_completion ck = { 0 };
		size_t end;
		uint32_t id;

		qk.decoding.max_tokens = (unsigned)k;
		qk.want_logprobs = 0;
		if ((error = trw_refmodel_infill(s->model, &qk, &ck)) < 0)
			return error;
		end = ck.len;
		trw_completion_dispose(&ck);
		if (end <= prev || end > c->len)
			return trw_error_set(TRW_EMODEL,
			    "the reference model is not prefix-consistent at token %zu", k);
		id = piece_id(c->text + prev, end - prev);
		intern(s->tok, id, c->text + prev, end - prev);
		if ((error = tokvec_push(out, id, prev, end)) < 0)
			return error;
		prev = end;
	}
	return 0;
}

/* A JSON array of ids (or strings, the llama.cpp "mixed" form) to text. */
static int detokenize_json(const trw_server *s, json_t *ids, trw_buf *out)
{
	size_t i;
	json_t *e;
	int error;

	json_array_foreach(ids, i, e) {
		if (json_is_string(e))
			error = trw_buf_put(out, json_string_value(e), json_string_length(e));
		else if (json_is_integer(e) && json_integer_value(e) >= 0 &&
		    json_integer_value(e) <= 0x7fffffff)
			error = id_text(s, (uint32_t)json_integer_value(e), out);
		else
			error = trw_error_set(TRW_EINVALID, "token %zu is not a token id", i);
		if (error < 0)
			return error;
	}
	if (!out->ptr)
		return trw_buf_puts(out, "");
	return 0;
}

/* ---- replies --------------------------------------------------------------- */

typedef struct reply {
	unsigned status;
	json_t *json;		/* the body, or */
	char *text;		/* a text body (owned, malloc) */
	size_t text_len;
	const char *ctype;
	const char *allow;	/* Allow: header of a 405 */
	int reset;		/* close the connection with an RST, no response */
	int fault;		/* index of the injected fault, -1 if none */
} reply;

static void reply_json(reply *r, unsigned status, json_t *body)
{
	r->status = status;
	r->json = body;
}

static void reply_text(reply *r, unsigned status, const char *ctype, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void reply_text(reply *r, unsigned status, const char *ctype, const char *fmt, ...)
{
	va_list ap;
	int n;

	r->status = status;
	r->ctype = ctype;
	va_start(ap, fmt);
	n = vasprintf(&r->text, fmt, ap);
	va_end(ap);
	if (n < 0) {
		r->text = NULL;
		n = 0;
	}
	r->text_len = (size_t)n;
}

static const char *llama_type(unsigned status)
{
	switch (status) {
	case 401: return "authentication_error";
	case 403: return "permission_error";
	case 404: return "not_found_error";
	case 500: return "server_error";
	case 501: return "not_supported_error";
	case 503: return "unavailable_error";
	default: return "invalid_request_error";
	}
}

static const char *openai_type(unsigned status)
{
	switch (status) {
	case 404: return "NotFoundError";
	case 500: return "InternalServerError";
	case 501: return "NotImplementedError";
	case 503: return "ServiceUnavailableError";
	default: return "BadRequestError";
	}
}

/*
 * The family's error body:
 *   llama.cpp {"error":{"code":N,"message":"…","type":"…"}}
 *   vLLM      {"error":{"message":"…","type":"…","param":null,"code":N}}
 *   Ollama    {"error":"…"}
 * `type` NULL = the family's type for the status.
 */
static void reply_error(reply *r, enum family fam, unsigned status, const char *type,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void reply_error(reply *r, enum family fam, unsigned status, const char *type,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	json_t *body = NULL;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	switch (fam) {
	case FAM_LLAMA:
		body = json_pack("{s:{s:I,s:o,s:s}}", "error", "code", (json_int_t)status,
		    "message", jstr(msg), "type", type ? type : llama_type(status));
		break;
	case FAM_OPENAI:
		body = json_pack("{s:{s:o,s:s,s:n,s:I}}", "error", "message", jstr(msg),
		    "type", type ? type : openai_type(status), "param", "code",
		    (json_int_t)status);
		break;
	case FAM_OLLAMA:
		body = json_pack("{s:o}", "error", jstr(msg));
		break;
	}
	if (r->json)
		json_decref(r->json);
	reply_json(r, status, body);
}

/* The 503 each family answers while it cannot serve. */
static void reply_unavailable(reply *r, enum family fam)
{
	switch (fam) {
	case FAM_LLAMA:
		reply_error(r, fam, 503, "unavailable_error", "Loading model");
		break;
	case FAM_OPENAI:
		reply_error(r, fam, 503, NULL, "The server is not ready to serve requests");
		break;
	case FAM_OLLAMA:
		reply_error(r, fam, 503, NULL,
		    "server busy, please try again.  maximum pending requests exceeded");
		break;
	}
}

static void reply_oom(reply *r, enum family fam)
{
	reply_error(r, fam, 500, NULL, "out of memory");
}

/* ---- request state and routes --------------------------------------------- */

struct req;
typedef void (*handler_fn)(trw_server *s, struct req *rq, json_t *body, reply *out);

enum {
	M_GET = 1, M_POST = 2,
	R_JSON = 1 << 0,	/* the body is a JSON object */
	R_MODEL = 1 << 1,	/* uses the model: may fault */
	R_LOADING = 1 << 2,	/* 503 while loading */
	R_WAIT_LOAD = 1 << 3	/* waits for the model to load (Ollama) */
};

typedef struct route {
	const char *path;
	unsigned methods;
	enum family fam;
	unsigned flags;
	handler_fn fn;
	const char *allow;
} route;

typedef struct req {
	const route *route;
	trw_buf body;
	int too_big;
	uint64_t t0;
} req;

/* ---- generation: the one path to the model -------------------------------- */

typedef struct gen {
	const char *prefix, *suffix;
	size_t prefix_len, suffix_len;
	long n_predict;			/* < 0: until the model stops (capped) */
	double temperature;
	uint64_t seed;
	const char *stops[MAX_STOPS];
	size_t stop_lens[MAX_STOPS];
	size_t nstops;
	int want_logprobs;
} gen;

enum stop_type { STOP_EOS, STOP_LIMIT, STOP_WORD };

typedef struct genres {
	char *text;			/* owned; after the stop word cut */
	size_t len;
	tokvec toks;			/* the kept generated tokens, spans in text */
	double *logprobs;		/* one per kept token; NULL when not asked */
	size_t n_predicted;		/* tokens generated, stop word included */
	size_t n_prompt;		/* tokens evaluated */
	enum stop_type stop;
	const char *stopping_word;	/* borrowed from the gen */
	double prompt_ms, predicted_ms;
} genres;

static void genres_dispose(genres *g)
{
	free(g->text);
	free(g->logprobs);
	tokvec_dispose(&g->toks);
	memset(g, 0, sizeof(*g));
}

static size_t prompt_tokens(const trw_server *s, const gen *g)
{
	/* the three sentinels of a PSM/SPM prompt count too */
	return trw_refmodel_count_tokens(s->model, g->prefix, g->prefix_len) +
	    trw_refmodel_count_tokens(s->model, g->suffix, g->suffix_len) + 3;
}

/*
 * Compute one completion under the capacity rules: wait for a slot, ask
 * the model, apply the request's stop strings (as real servers do, the
 * stop word is excluded), and hold the slot until `latency_ms` has
 * passed.  TRW_ECANCEL when the server stops while waiting.
 */
static int generate(trw_server *s, const gen *g, genres *out)
{
	trw_fim_query q;
	trw_completion c = { 0 };
	unsigned budget;
	uint64_t t0, t1;
	size_t cut, nkeep;
	int error = 0;

	memset(out, 0, sizeof(*out));
	budget = g->n_predict < 0 ? UNBOUNDED_PREDICT :
	    g->n_predict > MAX_PREDICT ? MAX_PREDICT : (unsigned)g->n_predict;
	out->n_prompt = prompt_tokens(s, g);

	{
		unsigned n = __atomic_add_fetch(&s->pending, 1, __ATOMIC_RELAXED);
		unsigned m = __atomic_load_n(&s->max_pending, __ATOMIC_RELAXED);

		while (n > m && !__atomic_compare_exchange_n(&s->max_pending, &m, n, 0,
		    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	if (slot_acquire(s) < 0) {
		__atomic_sub_fetch(&s->pending, 1, __ATOMIC_RELAXED);
		return trw_error_set(TRW_ECANCEL, "the server is shutting down");
	}
	t0 = trw_now_ns();
	memset(&q, 0, sizeof(q));
	q.prefix = g->prefix;
	q.prefix_len = g->prefix_len;
	q.suffix = g->suffix;
	q.suffix_len = g->suffix_len;
	q.kind = TRW_KIND_STRING;	/* the server does not know the kind */
	q.stop.mode = TRW_STOP_NONE;
	q.decoding.temperature = g->temperature;
	q.decoding.top_p = 1.0;
	q.decoding.seed = g->seed;
	q.decoding.max_tokens = budget;
	q.want_logprobs = 1;
	if (budget > 0 && (error = trw_refmodel_infill(s->model, &q, &c)) < 0)
		goto done;
	t1 = trw_now_ns();
	out->prompt_ms = 0.0;
	out->predicted_ms = ms_between(t0, t1);

	if ((error = completion_tokens(s, &q, &c, &out->toks)) < 0)
		goto done;
	out->n_predicted = out->toks.n;
	out->stop = out->n_predicted >= budget ? STOP_LIMIT : STOP_EOS;

	/* the earliest stop string wins; tokens that start past it go */
	cut = c.len;
	for (size_t i = 0; i < g->nstops; i++) {
		const char *hit;

		if (g->stop_lens[i] == 0 || g->stop_lens[i] > c.len)
			continue;
		hit = memmem(c.text, c.len, g->stops[i], g->stop_lens[i]);
		if (hit && (size_t)(hit - c.text) < cut) {
			cut = (size_t)(hit - c.text);
			out->stop = STOP_WORD;
			out->stopping_word = g->stops[i];
		}
	}
	nkeep = 0;
	while (nkeep < out->toks.n && out->toks.v[nkeep].start < cut)
		nkeep++;
	if (nkeep > 0 && out->toks.v[nkeep - 1].end > cut) {
		/* a token cut by the stop string: what is left is its piece */
		tok *t = &out->toks.v[nkeep - 1];

		t->end = cut;
		t->id = piece_id(c.text + t->start, cut - t->start);
		intern(s->tok, t->id, c.text + t->start, cut - t->start);
	}
	out->toks.n = nkeep;
	if (g->want_logprobs) {
		if ((out->logprobs = calloc(nkeep ? nkeep : 1, sizeof(double))) == NULL) {
			error = trw_error_oom();
			goto done;
		}
		for (size_t i = 0; i < nkeep; i++)
			out->logprobs[i] = c.logprobs && i < c.nlogprobs ? c.logprobs[i] : 0.0;
	}
	if ((out->text = malloc(cut + 1)) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	if (cut)
		memcpy(out->text, c.text, cut);
	out->text[cut] = '\0';
	out->len = cut;
	__atomic_fetch_add(&s->n_completions, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->n_prompt_tokens, out->n_prompt, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->n_predicted, out->n_predicted, __ATOMIC_RELAXED);

	/* the minimum latency; a shutdown cuts it short, the answer stands */
	(void)sleep_until(s, t0 + (uint64_t)s->latency_ms * 1000000u);
done:
	slot_release(s);
	__atomic_sub_fetch(&s->pending, 1, __ATOMIC_RELAXED);
	trw_completion_dispose(&c);
	if (error < 0)
		genres_dispose(out);
	return error;
}

/* ---- request fields -------------------------------------------------------- */

/* A numeric field, or `def` when absent or null.  Returns -1 when present
 * with another type. */
static int get_number(json_t *body, const char *key, double def, double *out)
{
	json_t *v = json_object_get(body, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return 0;
}

static int get_long(json_t *body, const char *key, long def, long *out)
{
	double d;

	if (get_number(body, key, (double)def, &d) < 0)
		return -1;
	if (d > 1e15)
		d = 1e15;
	if (d < -1e15)
		d = -1e15;
	*out = (long)d;
	return 0;
}

static int get_bool(json_t *body, const char *key, int def, int *out)
{
	json_t *v = json_object_get(body, key);

	*out = def;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

/* `stop`: an array of strings (or, where `bare_ok`, one string).  Empty
 * strings are ignored; -1 on a wrong type, -2 on too many or too long. */
static int get_stops(json_t *body, const char *key, int bare_ok, gen *g)
{
	json_t *v = json_object_get(body, key), *e;
	size_t i;

	g->nstops = 0;
	if (!v || json_is_null(v))
		return 0;
	if (json_is_string(v) && bare_ok) {
		if (json_string_length(v) > MAX_STOP_LEN)
			return -2;
		g->stops[0] = json_string_value(v);
		g->stop_lens[0] = json_string_length(v);
		g->nstops = 1;
		return 0;
	}
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, e) {
		if (!json_is_string(e))
			return -1;
		if (json_string_length(e) == 0)
			continue;
		if (g->nstops == MAX_STOPS || json_string_length(e) > MAX_STOP_LEN)
			return -2;
		g->stops[g->nstops] = json_string_value(e);
		g->stop_lens[g->nstops] = json_string_length(e);
		g->nstops++;
	}
	return 0;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: case JSON_REAL: return "number";
	case JSON_TRUE: case JSON_FALSE: return "boolean";
	default: return "null";
	}
}

/*
 * A required string field the way llama.cpp's nlohmann::json reports it:
 * a missing key is out_of_range.403, another type type_error.302, both
 * answered 500 server_error by the exception wrapper.
 */
static const char *llama_required_string(json_t *body, const char *key, size_t *len,
    reply *out)
{
	json_t *v = json_object_get(body, key);

	if (!v) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.out_of_range.403] key '%s' not found", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] type must be string, but is %s",
		    json_type_name(v));
		return NULL;
	}
	*len = json_string_length(v);
	return json_string_value(v);
}

/*
 * Split a client-rendered FIM prompt back into prefix and suffix with the
 * server's template.  A prompt without the template's shape is a plain
 * completion: all prefix, no suffix.
 */
static void split_prompt(const trw_server *s, const char *prompt, size_t len, gen *g)
{
	if (trw_template_parse(s->tpl, prompt, len, &g->prefix, &g->prefix_len,
	    &g->suffix, &g->suffix_len) < 0) {
		g->prefix = prompt;
		g->prefix_len = len;
		g->suffix = "";
		g->suffix_len = 0;
	}
}

/* ---- llama.cpp ------------------------------------------------------------- */

static const char *stop_type_name(enum stop_type t)
{
	return t == STOP_WORD ? "word" : t == STOP_LIMIT ? "limit" : "eos";
}

/* The samplers llama.cpp lists by default. */
static json_t *default_samplers(void)
{
	return json_pack("[sssssss]", "dry", "top_k", "typ_p", "top_p", "min_p", "xtc",
	    "temperature");
}

static json_t *llama_token_json(const char *text, const tok *t, double lp)
{
	const char *p = text + t->start;
	size_t n = t->end - t->start;

	return json_pack("{s:I,s:o,s:o,s:o}", "id", (json_int_t)t->id,
	    "token", jstrn(p, n), "bytes", jbytes(p, n), "logprob", jlogprob(lp, FAM_LLAMA));
}

static json_t *llama_probs(const genres *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->toks.n; i++) {
		json_t *top = json_array(), *e;

		/* the reference model ranks only its choice, which greedy
		 * decoding makes the top-1 */
		json_array_append_new(top, llama_token_json(r->text, &r->toks.v[i],
		    r->logprobs[i]));
		e = llama_token_json(r->text, &r->toks.v[i], r->logprobs[i]);
		json_object_set_new(e, "top_logprobs", top);
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *llama_timings(const genres *r)
{
	double pms = r->prompt_ms > 0 ? r->prompt_ms : 0.001;
	double gms = r->predicted_ms > 0 ? r->predicted_ms : 0.001;

	return json_pack("{s:i,s:I,s:f,s:f,s:f,s:I,s:f,s:f,s:f}",
	    "cache_n", 0,
	    "prompt_n", (json_int_t)r->n_prompt, "prompt_ms", pms,
	    "prompt_per_token_ms", r->n_prompt ? pms / (double)r->n_prompt : 0.0,
	    "prompt_per_second", r->n_prompt ? 1e3 * (double)r->n_prompt / pms : 0.0,
	    "predicted_n", (json_int_t)r->n_predicted, "predicted_ms", gms,
	    "predicted_per_token_ms", r->n_predicted ? gms / (double)r->n_predicted : 0.0,
	    "predicted_per_second", r->n_predicted ? 1e3 * (double)r->n_predicted / gms : 0.0);
}

/* The /completion (non-OAI) result object, shared by /infill. */
static json_t *llama_result(const trw_server *s, const gen *g, const genres *r,
    long n_probs, const char *prompt, size_t prompt_len)
{
	json_t *stops = json_array(), *o;

	for (size_t i = 0; i < g->nstops; i++)
		json_array_append_new(stops, jstrn(g->stops[i], g->stop_lens[i]));
	o = json_pack("{s:i,s:o,s:[],s:i,s:b,s:s,s:I,s:I,s:{s:I,s:I,s:f,s:i,s:f,s:I,s:o,s:o},"
	    "s:o,s:b,s:b,s:s,s:o,s:i,s:o}",
	    "index", 0,
	    "content", jstrn(r->text, r->len),
	    "tokens",
	    "id_slot", 0,
	    "stop", 1,
	    "model", s->alias,
	    "tokens_predicted", (json_int_t)r->n_predicted,
	    "tokens_evaluated", (json_int_t)r->n_prompt,
	    "generation_settings",
	    "n_predict", (json_int_t)g->n_predict, "seed", (json_int_t)g->seed,
	    "temperature", g->temperature, "top_k", 40, "top_p", 1.0,
	    "n_probs", (json_int_t)n_probs, "stop", stops, "samplers", default_samplers(),
	    "prompt", jstrn(prompt, prompt_len),
	    "has_new_line", memchr(r->text, '\n', r->len) != NULL,
	    "truncated", 0,
	    "stop_type", stop_type_name(r->stop),
	    "stopping_word", jstr(r->stopping_word ? r->stopping_word : ""),
	    "tokens_cached", 0,
	    "timings", llama_timings(r));
	if (o && n_probs > 0)
		json_object_set_new(o, "completion_probabilities", llama_probs(r));
	return o;
}

/* The generation fields llama.cpp reads from /completion and /infill. */
static int llama_params(json_t *body, gen *g, long *n_probs, reply *out)
{
	long seed;
	int stream, bad;

	bad = get_long(body, "n_predict", -1, &g->n_predict) < 0;
	/* `max_tokens` is read when `n_predict` is absent */
	if (!json_object_get(body, "n_predict"))
		bad |= get_long(body, "max_tokens", -1, &g->n_predict) < 0;
	bad |= get_number(body, "temperature", 0.8, &g->temperature) < 0;
	bad |= get_long(body, "seed", -1, &seed) < 0;
	bad |= get_long(body, "n_probs", 0, n_probs) < 0;
	if (!json_object_get(body, "n_probs") && json_is_integer(json_object_get(body, "logprobs")))
		*n_probs = (long)json_integer_value(json_object_get(body, "logprobs"));
	bad |= get_bool(body, "stream", 0, &stream) < 0;
	if (bad) {
		/* llama.cpp's json_value() falls back to the default on a
		 * wrong type; a strict server is more useful to a test:
		 * the type error of nlohmann, as a 500 */
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] wrong type for a generation parameter");
		return -1;
	}
	g->seed = seed < 0 ? 4294967295u : (uint64_t)seed;
	if (stream) {
		reply_error(out, FAM_LLAMA, 501, "not_supported_error",
		    "streaming is not supported by trawic serve");
		return -1;
	}
	/* a bare string is ignored by the native endpoints (is_array()) */
	if (json_is_string(json_object_get(body, "stop")))
		return 0;
	switch (get_stops(body, "stop", 0, g)) {
	case -1:
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] type must be string");
		return -1;
	case -2:
		reply_error(out, FAM_LLAMA, 400, NULL,
		    "at most %d stop strings of at most %d bytes", MAX_STOPS, MAX_STOP_LEN);
		return -1;
	}
	g->want_logprobs = *n_probs > 0;
	return 0;
}

static int llama_check_context(const trw_server *s, const gen *g, reply *out)
{
	size_t n = prompt_tokens(s, g);
	json_t *err;

	if (n <= s->n_ctx)
		return 0;
	reply_error(out, FAM_LLAMA, 400, "exceed_context_size_error",
	    "request (%zu tokens) exceeds the available context size (%u tokens), "
	    "try increasing it", n, s->n_ctx);
	if ((err = json_object_get(out->json, "error")) != NULL) {
		json_object_set_new(err, "n_prompt_tokens", json_integer((json_int_t)n));
		json_object_set_new(err, "n_ctx", json_integer((json_int_t)s->n_ctx));
	}
	return -1;
}

static void llama_complete(trw_server *s, gen *g, long n_probs, reply *out)
{
	genres r;
	trw_buf prompt = TRW_BUF_INIT(0);
	int error;

	if (llama_check_context(s, g, out) < 0)
		return;
	if ((error = generate(s, g, &r)) < 0) {
		if (error == TRW_ECANCEL)
			reply_unavailable(out, FAM_LLAMA);
		else
			reply_error(out, FAM_LLAMA, 500, NULL, "%s", trw_error_last());
		return;
	}
	/* `prompt` echoes the assembled prompt */
	if (trw_template_render(s->tpl, g->prefix, g->prefix_len, g->suffix, g->suffix_len,
	    &prompt) < 0)
		trw_buf_clear(&prompt);
	reply_json(out, 200, llama_result(s, g, &r, n_probs, prompt.ptr ? prompt.ptr : "",
	    prompt.size));
	trw_buf_dispose(&prompt);
	genres_dispose(&r);
}

static void h_infill(trw_server *s, req *rq, json_t *body, reply *out)
{
	gen g = { 0 };
	long n_probs = 0;
	json_t *extra;

	(void)rq;
	if ((g.prefix = llama_required_string(body, "input_prefix", &g.prefix_len, out)) == NULL ||
	    (g.suffix = llama_required_string(body, "input_suffix", &g.suffix_len, out)) == NULL)
		return;
	extra = json_object_get(body, "input_extra");
	if (extra && !json_is_null(extra) && !json_is_array(extra)) {
		reply_error(out, FAM_LLAMA, 400, NULL,
		    "\"input_extra\" must be an array of {\"filename\": string, \"text\": string}");
		return;
	}
	if (llama_params(body, &g, &n_probs, out) < 0)
		return;
	llama_complete(s, &g, n_probs, out);
}

static void h_completion(trw_server *s, req *rq, json_t *body, reply *out)
{
	gen g = { 0 };
	long n_probs = 0;
	json_t *p = json_object_get(body, "prompt");
	trw_buf ids = TRW_BUF_INIT(0);

	(void)rq;
	if (!p) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.out_of_range.403] key 'prompt' not found");
		return;
	}
	if (json_is_string(p)) {
		split_prompt(s, json_string_value(p), json_string_length(p), &g);
	} else if (json_is_array(p) && json_array_size(p) > 0) {
		/* a token-id array: rendered back to text, then split */
		if (detokenize_json(s, p, &ids) < 0) {
			reply_error(out, FAM_LLAMA, 400, NULL, "%s", trw_error_last());
			return;
		}
		split_prompt(s, ids.ptr, ids.size, &g);
	} else {
		reply_error(out, FAM_LLAMA, 400, NULL,
		    "\"prompt\" must be a string, a list of tokens, or a list of mixed strings & tokens");
		return;
	}
	if (llama_params(body, &g, &n_probs, out) == 0)
		llama_complete(s, &g, n_probs, out);
	trw_buf_dispose(&ids);
}

static void h_health(trw_server *s, req *rq, json_t *body, reply *out)
{
	(void)s;
	(void)rq;
	(void)body;
	reply_json(out, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_props(trw_server *s, req *rq, json_t *body, reply *out)
{
	(void)rq;
	(void)body;
	reply_json(out, 200, json_pack(
	    "{s:{s:I,s:{s:i,s:I,s:f,s:i,s:f,s:i,s:o}},s:I,s:s,s:s,s:s,s:{s:b},"
	    "s:s,s:s,s:s,s:b}",
	    "default_generation_settings",
	    "n_ctx", (json_int_t)s->n_ctx,
	    "params", "n_predict", -1, "seed", (json_int_t)4294967295u, "temperature", 0.8,
	    "top_k", 40, "top_p", 0.95, "n_probs", 0, "samplers", default_samplers(),
	    "total_slots", (json_int_t)s->slots,
	    "model_alias", s->alias,
	    "model_path", s->model_path,
	    "build_info", "trawic-" PACKAGE_VERSION,
	    "modalities", "vision", 0,
	    "chat_template", "",
	    "bos_token", s->tpl->bos,
	    "eos_token", "<|endoftext|>",
	    "is_sleeping", 0));
}

static void h_tokenize(trw_server *s, req *rq, json_t *body, reply *out)
{
	json_t *content = json_object_get(body, "content"), *toks;
	int with_pieces, parse_special, add_special;
	tokvec tv = { 0 };
	const char *text;
	size_t len;

	(void)rq;
	if (!content) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.out_of_range.403] key 'content' not found");
		return;
	}
	if (!json_is_string(content)) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] type must be string, but is %s",
		    json_type_name(content));
		return;
	}
	if (get_bool(body, "with_pieces", 0, &with_pieces) < 0 ||
	    get_bool(body, "parse_special", 1, &parse_special) < 0 ||
	    get_bool(body, "add_special", 0, &add_special) < 0) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] type must be boolean");
		return;
	}
	text = json_string_value(content);
	len = json_string_length(content);
	if (tokenize(s, text, len, parse_special, &tv) < 0) {
		reply_oom(out, FAM_LLAMA);
		return;
	}
	toks = json_array();
	for (size_t i = 0; toks && i < tv.n; i++) {
		const char *p = text + tv.v[i].start;
		size_t n = tv.v[i].end - tv.v[i].start;

		if (!with_pieces)
			json_array_append_new(toks, json_integer(tv.v[i].id));
		else if (trw_utf8_valid(p, n))
			json_array_append_new(toks, json_pack("{s:I,s:o}", "id",
			    (json_int_t)tv.v[i].id, "piece", json_stringn_nocheck(p, n)));
		else
			json_array_append_new(toks, json_pack("{s:I,s:o}", "id",
			    (json_int_t)tv.v[i].id, "piece", jbytes(p, n)));
	}
	tokvec_dispose(&tv);
	reply_json(out, 200, json_pack("{s:o}", "tokens", toks));
}

static void h_detokenize(trw_server *s, req *rq, json_t *body, reply *out)
{
	json_t *tokens = json_object_get(body, "tokens");
	trw_buf text = TRW_BUF_INIT(0);

	(void)rq;
	if (tokens && !json_is_array(tokens)) {
		reply_error(out, FAM_LLAMA, 500, "server_error",
		    "[json.exception.type_error.302] type must be array, but is %s",
		    json_type_name(tokens));
		return;
	}
	if (tokens && detokenize_json(s, tokens, &text) < 0) {
		reply_error(out, FAM_LLAMA, 400, NULL, "%s", trw_error_last());
		return;
	}
	reply_json(out, 200, json_pack("{s:o}", "content",
	    jstrn(text.ptr ? text.ptr : "", text.size)));
	trw_buf_dispose(&text);
}

static void h_metrics(trw_server *s, req *rq, json_t *body, reply *out)
{
	trw_server_stats st;

	(void)rq;
	(void)body;
	trw_server_get_stats(s, &st);
	reply_text(out, 200, "text/plain; version=0.0.4",
	    "# HELP llamacpp:prompt_tokens_total Number of prompt tokens processed.\n"
	    "# TYPE llamacpp:prompt_tokens_total counter\n"
	    "llamacpp:prompt_tokens_total %llu\n"
	    "# HELP llamacpp:tokens_predicted_total Number of generation tokens processed.\n"
	    "# TYPE llamacpp:tokens_predicted_total counter\n"
	    "llamacpp:tokens_predicted_total %llu\n"
	    "# HELP llamacpp:requests_processing Number of requests processing.\n"
	    "# TYPE llamacpp:requests_processing gauge\n"
	    "llamacpp:requests_processing %u\n"
	    "# HELP trawic:requests_total Requests received, every route.\n"
	    "# TYPE trawic:requests_total counter\n"
	    "trawic:requests_total %llu\n"
	    "# HELP trawic:completions_total Completions computed by the model.\n"
	    "# TYPE trawic:completions_total counter\n"
	    "trawic:completions_total %llu\n"
	    "# HELP trawic:faults_total Faults injected, by kind.\n"
	    "# TYPE trawic:faults_total counter\n"
	    "trawic:faults_total{kind=\"503\"} %llu\n"
	    "trawic:faults_total{kind=\"500\"} %llu\n"
	    "trawic:faults_total{kind=\"reset\"} %llu\n"
	    "trawic:faults_total{kind=\"stall\"} %llu\n"
	    "# HELP trawic:slots_busy_max Most slots busy at once.\n"
	    "# TYPE trawic:slots_busy_max gauge\n"
	    "trawic:slots_busy_max %u\n"
	    "# HELP trawic:completions_pending_max Most completions computing or waiting for a slot at once.\n"
	    "# TYPE trawic:completions_pending_max gauge\n"
	    "trawic:completions_pending_max %u\n",
	    (unsigned long long)__atomic_load_n(&s->n_prompt_tokens, __ATOMIC_RELAXED),
	    (unsigned long long)__atomic_load_n(&s->n_predicted, __ATOMIC_RELAXED),
	    __atomic_load_n(&s->busy, __ATOMIC_RELAXED),
	    (unsigned long long)st.requests, (unsigned long long)st.completions,
	    (unsigned long long)st.faults[0], (unsigned long long)st.faults[1],
	    (unsigned long long)st.faults[2], (unsigned long long)st.faults[3],
	    st.max_busy, __atomic_load_n(&s->max_pending, __ATOMIC_RELAXED));
}

/* ---- OpenAI-compatible (vLLM) ---------------------------------------------- */

static void h_v1_models(trw_server *s, req *rq, json_t *body, reply *out)
{
	(void)rq;
	(void)body;
	reply_json(out, 200, json_pack(
	    "{s:s,s:[{s:s,s:s,s:I,s:s,s:s,s:n,s:I,s:[]}]}",
	    "object", "list", "data",
	    "id", s->alias, "object", "model", "created", (json_int_t)s->started_wall,
	    "owned_by", "trawic", "root", s->model_path, "parent",
	    "max_model_len", (json_int_t)s->n_ctx, "permission"));
}

static json_t *openai_logprobs(const genres *r)
{
	json_t *tokens = json_array(), *lps = json_array(), *tops = json_array(),
	    *offs = json_array();

	for (size_t i = 0; i < r->toks.n; i++) {
		const tok *t = &r->toks.v[i];
		json_t *piece = jstrn(r->text + t->start, t->end - t->start), *top = json_object();

		json_object_set_new(top, json_string_value(piece), jlogprob(r->logprobs[i],
		    FAM_OPENAI));
		json_array_append_new(tokens, piece);
		json_array_append_new(lps, jlogprob(r->logprobs[i], FAM_OPENAI));
		json_array_append_new(tops, top);
		json_array_append_new(offs, json_integer((json_int_t)t->start));
	}
	return json_pack("{s:o,s:o,s:o,s:o}", "text_offset", offs, "token_logprobs", lps,
	    "tokens", tokens, "top_logprobs", tops);
}

static void h_v1_completions(trw_server *s, req *rq, json_t *body, reply *out)
{
	gen g = { 0 };
	genres r;
	json_t *p = json_object_get(body, "prompt"), *model = json_object_get(body, "model");
	json_t *lp = json_object_get(body, "logprobs"), *suffix = json_object_get(body, "suffix");
	long seed, n = 1, nlogprobs = -2;
	int echo, stream, error;
	char id[64];
	size_t n_prompt;

	(void)rq;
	if (suffix && !json_is_null(suffix)) {
		reply_error(out, FAM_OPENAI, 400, NULL, "suffix is not currently supported");
		return;
	}
	if (!p || !json_is_string(p)) {
		reply_error(out, FAM_OPENAI, 400, NULL, p ?
		    "prompt: Input should be a valid string" : "prompt: Field required");
		return;
	}
	if (model && !json_is_null(model) &&
	    (!json_is_string(model) || strcmp(json_string_value(model), s->alias) != 0)) {
		reply_error(out, FAM_OPENAI, 404, NULL, "The model `%s` does not exist.",
		    json_is_string(model) ? json_string_value(model) : "?");
		return;
	}
	if (get_long(body, "max_tokens", 16, &g.n_predict) < 0 ||
	    get_number(body, "temperature", 1.0, &g.temperature) < 0 ||
	    get_long(body, "seed", 0, &seed) < 0 || get_long(body, "n", 1, &n) < 0 ||
	    get_bool(body, "echo", 0, &echo) < 0 || get_bool(body, "stream", 0, &stream) < 0 ||
	    (lp && !json_is_null(lp) && !json_is_integer(lp))) {
		reply_error(out, FAM_OPENAI, 400, NULL, "a field has the wrong type");
		return;
	}
	if (g.n_predict < 1) {
		reply_error(out, FAM_OPENAI, 400, NULL, "max_tokens must be at least 1, got %ld.",
		    g.n_predict);
		return;
	}
	if (n != 1 || echo || stream) {
		reply_error(out, FAM_OPENAI, 400, NULL,
		    "%s is not supported by trawic serve", n != 1 ? "n > 1" :
		    echo ? "echo" : "stream");
		return;
	}
	if (lp && json_is_integer(lp)) {
		nlogprobs = (long)json_integer_value(lp);
		if (nlogprobs > MAX_LOGPROBS || nlogprobs < -1) {
			reply_error(out, FAM_OPENAI, 400, NULL,
			    "Requested sample logprobs of %ld, which is greater than max allowed: %d",
			    nlogprobs, MAX_LOGPROBS);
			return;
		}
	}
	if (get_stops(body, "stop", 1, &g) < 0) {
		reply_error(out, FAM_OPENAI, 400, NULL, "stop: at most %d strings of at most %d bytes",
		    MAX_STOPS, MAX_STOP_LEN);
		return;
	}
	g.seed = (uint64_t)seed;
	g.want_logprobs = nlogprobs >= 0 || nlogprobs == -1;
	split_prompt(s, json_string_value(p), json_string_length(p), &g);
	n_prompt = prompt_tokens(s, &g);
	if (n_prompt + (size_t)g.n_predict > s->n_ctx) {
		reply_error(out, FAM_OPENAI, 400, NULL,
		    "This model's maximum context length is %u tokens. However, you requested "
		    "%zu tokens (%zu in the messages, %ld in the completion). Please reduce the "
		    "length of the messages or completion.", s->n_ctx,
		    n_prompt + (size_t)g.n_predict, n_prompt, g.n_predict);
		return;
	}
	if ((error = generate(s, &g, &r)) < 0) {
		if (error == TRW_ECANCEL)
			reply_unavailable(out, FAM_OPENAI);
		else
			reply_error(out, FAM_OPENAI, 500, NULL, "%s", trw_error_last());
		return;
	}
	snprintf(id, sizeof(id), "cmpl-trawic%016llx",
	    (unsigned long long)__atomic_add_fetch(&s->n_ids, 1, __ATOMIC_RELAXED));
	reply_json(out, 200, json_pack(
	    "{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:o,s:s,s:o,s:n}],s:{s:I,s:I,s:I}}",
	    "id", id, "object", "text_completion", "created", (json_int_t)time(NULL),
	    "model", s->alias, "choices",
	    "index", 0, "text", jstrn(r.text, r.len),
	    "logprobs", g.want_logprobs ? openai_logprobs(&r) : json_null(),
	    "finish_reason", r.stop == STOP_LIMIT ? "length" : "stop",
	    "stop_reason", r.stop == STOP_WORD ? jstr(r.stopping_word) : json_null(),
	    "prompt_logprobs",
	    "usage", "prompt_tokens", (json_int_t)r.n_prompt,
	    "total_tokens", (json_int_t)(r.n_prompt + r.n_predicted),
	    "completion_tokens", (json_int_t)r.n_predicted));
	genres_dispose(&r);
}

/* ---- Ollama ---------------------------------------------------------------- */

/* "name" and "name:latest" are the same Ollama model. */
static int ollama_name_matches(const trw_server *s, const char *name)
{
	size_t n = strlen(s->alias), m = strlen(name);

	if (strcmp(name, s->alias) == 0)
		return 1;
	if (m == n + 7 && strncmp(name, s->alias, n) == 0 && strcmp(name + n, ":latest") == 0)
		return 1;
	return n == m + 7 && strncmp(s->alias, name, m) == 0 &&
	    strcmp(s->alias + m, ":latest") == 0;
}

/* The model field, or an Ollama error; NULL when one was queued. */
static const char *ollama_model(trw_server *s, json_t *body, reply *out)
{
	json_t *m = json_object_get(body, "model");

	if (!m || (json_is_string(m) && json_string_length(m) == 0))
		m = json_object_get(body, "name");	/* the older field */
	if (m && !json_is_string(m)) {
		reply_error(out, FAM_OLLAMA, 400, NULL,
		    "json: cannot unmarshal %s into Go struct field .model of type string",
		    json_type_name(m));
		return NULL;
	}
	if (!m || json_string_length(m) == 0) {
		reply_error(out, FAM_OLLAMA, 400, NULL, "model is required");
		return NULL;
	}
	if (!ollama_name_matches(s, json_string_value(m))) {
		reply_error(out, FAM_OLLAMA, 404, NULL, "model '%s' not found",
		    json_string_value(m));
		return NULL;
	}
	return json_string_value(m);
}

static void created_at(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, n, "%s.%09ldZ", day, ts.tv_nsec);
}

/* The Go template an Ollama model with this FIM layout would carry. */
static char *ollama_template(const trw_template *t)
{
	char *out = NULL;

	if (t->order == TRW_FIM_SPM) {
		if (asprintf(&out, "{{- if .Suffix }}%s%s{{ .Suffix }}%s%s{{ .Prompt }}%s"
		    "{{- else }}{{ .Prompt }}{{- end }}", t->bos, t->suf, t->pre,
		    t->space_before_prefix ? " " : "", t->mid) < 0)
			out = NULL;
	} else if (asprintf(&out, "{{- if .Suffix }}%s%s%s{{ .Prompt }}%s{{ .Suffix }}%s"
	    "{{- else }}{{ .Prompt }}{{- end }}", t->bos, t->pre,
	    t->space_before_prefix ? " " : "", t->suf, t->mid) < 0) {
		out = NULL;
	}
	return out;
}

static json_t *ollama_details(void)
{
	return json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s}", "parent_model", "", "format", "trawic-ref",
	    "family", "trawic", "families", "trawic", "parameter_size", "n-gram",
	    "quantization_level", "none");
}

static void h_api_show(trw_server *s, req *rq, json_t *body, reply *out)
{
	char *tpl;
	char when[64];

	(void)rq;
	if (!ollama_model(s, body, out))
		return;
	if ((tpl = ollama_template(s->tpl)) == NULL) {
		reply_oom(out, FAM_OLLAMA);
		return;
	}
	created_at(when, sizeof(when));
	reply_json(out, 200, json_pack("{s:s,s:s,s:s,s:o,s:{s:s,s:I},s:[ss],s:s}",
	    "modelfile", "", "parameters", "", "template", tpl,
	    "details", ollama_details(),
	    "model_info", "general.architecture", "trawic",
	    "trawic.context_length", (json_int_t)s->n_ctx,
	    "capabilities", "completion", "insert",
	    "modified_at", when));
	free(tpl);
}

static void h_api_tags(trw_server *s, req *rq, json_t *body, reply *out)
{
	char when[64];

	(void)rq;
	(void)body;
	created_at(when, sizeof(when));
	reply_json(out, 200, json_pack("{s:[{s:s,s:s,s:s,s:i,s:s,s:o}]}", "models",
	    "name", s->alias, "model", s->alias, "modified_at", when, "size", 0,
	    "digest", trw_refmodel_identity(s->model), "details", ollama_details()));
}

static void h_api_version(trw_server *s, req *rq, json_t *body, reply *out)
{
	(void)s;
	(void)rq;
	(void)body;
	reply_json(out, 200, json_pack("{s:s}", "version", PACKAGE_VERSION));
}

static void h_root(trw_server *s, req *rq, json_t *body, reply *out)
{
	(void)s;
	(void)rq;
	(void)body;
	reply_text(out, 200, "text/plain; charset=utf-8", "Ollama is running");
}

/* Ollama's options: {num_predict, temperature, seed, stop, ...}. */
static int ollama_options(json_t *body, gen *g, reply *out)
{
	json_t *o = json_object_get(body, "options");
	long seed;
	static const char *const ints[] = { "num_predict", "seed" };

	g->n_predict = -1;
	g->temperature = 0.8;
	g->seed = 0;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o)) {
		reply_error(out, FAM_OLLAMA, 400, NULL,
		    "json: cannot unmarshal %s into Go struct field .options of type map[string]interface {}",
		    json_type_name(o));
		return -1;
	}
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_t *v = json_object_get(o, ints[i]);

		if (v && !json_is_null(v) && !json_is_number(v)) {
			reply_error(out, FAM_OLLAMA, 400, NULL,
			    "option \"%s\" must be of type integer", ints[i]);
			return -1;
		}
	}
	if (get_number(o, "temperature", 0.8, &g->temperature) < 0) {
		reply_error(out, FAM_OLLAMA, 400, NULL, "option \"temperature\" must be of type float");
		return -1;
	}
	(void)get_long(o, "num_predict", -1, &g->n_predict);
	(void)get_long(o, "seed", -1, &seed);
	g->seed = (uint64_t)seed;
	if (get_stops(o, "stop", 0, g) < 0) {
		reply_error(out, FAM_OLLAMA, 400, NULL,
		    "option \"stop\" must be of type array of strings (at most %d)", MAX_STOPS);
		return -1;
	}
	return 0;
}

static json_t *ollama_logprobs(const genres *r, long top)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->toks.n; i++) {
		const tok *t = &r->toks.v[i];
		json_t *tops = json_array();

		if (top > 0)
			json_array_append_new(tops, json_pack("{s:o,s:o}", "token",
			    jstrn(r->text + t->start, t->end - t->start), "logprob",
			    jlogprob(r->logprobs[i], FAM_OLLAMA)));
		json_array_append_new(a, json_pack("{s:o,s:o,s:o}", "token",
		    jstrn(r->text + t->start, t->end - t->start), "logprob",
		    jlogprob(r->logprobs[i], FAM_OLLAMA), "top_logprobs", tops));
	}
	return a;
}

static void h_api_generate(trw_server *s, req *rq, json_t *body, reply *out)
{
	const char *name;
	json_t *prompt = json_object_get(body, "prompt"), *suffix = json_object_get(body, "suffix");
	json_t *o = NULL, *ctx = NULL;
	gen g = { 0 };
	genres r;
	int raw, stream, logprobs, error;
	long top = 0;
	char when[64];
	uint64_t load_ns;
	tokvec tv = { 0 };

	if ((name = ollama_model(s, body, out)) == NULL)
		return;
	if ((prompt && !json_is_null(prompt) && !json_is_string(prompt)) ||
	    (suffix && !json_is_null(suffix) && !json_is_string(suffix)) ||
	    get_bool(body, "raw", 0, &raw) < 0 || get_bool(body, "stream", 1, &stream) < 0 ||
	    get_bool(body, "logprobs", 0, &logprobs) < 0 ||
	    get_long(body, "top_logprobs", 0, &top) < 0) {
		reply_error(out, FAM_OLLAMA, 400, NULL,
		    "json: cannot unmarshal a field of the wrong type into Go struct GenerateRequest");
		return;
	}
	if (top < 0 || top > MAX_LOGPROBS) {
		reply_error(out, FAM_OLLAMA, 400, NULL, "top_logprobs must be between 0 and %d",
		    MAX_LOGPROBS);
		return;
	}
	if (raw && (json_object_get(body, "template") || json_object_get(body, "system") ||
	    json_object_get(body, "context"))) {
		reply_error(out, FAM_OLLAMA, 400, NULL,
		    "raw mode does not support template, system, or context");
		return;
	}
	if (ollama_options(body, &g, out) < 0)
		return;
	g.want_logprobs = logprobs;

	/* Ollama loads the model on the first request and makes it wait */
	load_ns = s->loaded_ns > rq->t0 ? s->loaded_ns - rq->t0 : 0;
	if (sleep_until(s, s->loaded_ns) < 0) {
		reply_unavailable(out, FAM_OLLAMA);
		return;
	}
	created_at(when, sizeof(when));

	/* an empty prompt only loads the model */
	if ((!prompt || json_string_length(prompt) == 0) &&
	    (!suffix || json_is_null(suffix) || json_string_length(suffix) == 0)) {
		reply_json(out, 200, json_pack("{s:s,s:s,s:s,s:b,s:s}", "model", name,
		    "created_at", when, "response", "", "done", 1, "done_reason", "load"));
		return;
	}
	if (raw) {
		/* verbatim: the client rendered the FIM prompt; a suffix is
		 * not rendered in raw mode */
		split_prompt(s, prompt ? json_string_value(prompt) : "",
		    prompt ? json_string_length(prompt) : 0, &g);
	} else {
		g.prefix = prompt ? json_string_value(prompt) : "";
		g.prefix_len = prompt ? json_string_length(prompt) : 0;
		g.suffix = suffix && json_is_string(suffix) ? json_string_value(suffix) : "";
		g.suffix_len = suffix && json_is_string(suffix) ? json_string_length(suffix) : 0;
	}
	if ((error = generate(s, &g, &r)) < 0) {
		if (error == TRW_ECANCEL)
			reply_unavailable(out, FAM_OLLAMA);
		else
			reply_error(out, FAM_OLLAMA, 500, NULL, "%s", trw_error_last());
		return;
	}
	if (!raw) {
		/* the context: prompt and response token ids */
		ctx = json_array();
		if (ctx && tokenize(s, g.prefix, g.prefix_len, 0, &tv) == 0)
			for (size_t i = 0; i < tv.n; i++)
				json_array_append_new(ctx, json_integer(tv.v[i].id));
		for (size_t i = 0; ctx && i < r.toks.n; i++)
			json_array_append_new(ctx, json_integer(r.toks.v[i].id));
		tokvec_dispose(&tv);
	}
	o = json_pack("{s:s,s:s,s:o,s:b,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "model", name, "created_at", when, "response", jstrn(r.text, r.len),
	    "done", 1, "done_reason", r.stop == STOP_LIMIT ? "length" : "stop",
	    "total_duration", (json_int_t)(trw_now_ns() - rq->t0),
	    "load_duration", (json_int_t)load_ns,
	    "prompt_eval_count", (json_int_t)r.n_prompt,
	    "prompt_eval_duration", (json_int_t)(r.prompt_ms * 1e6),
	    "eval_count", (json_int_t)r.n_predicted,
	    "eval_duration", (json_int_t)(r.predicted_ms * 1e6));
	if (o && ctx)
		json_object_set_new(o, "context", ctx);
	else
		json_decref(ctx);
	if (o && logprobs)
		json_object_set_new(o, "logprobs", ollama_logprobs(&r, top));
	genres_dispose(&r);
	if (!o) {
		reply_oom(out, FAM_OLLAMA);
		return;
	}
	if (!stream) {
		reply_json(out, 200, o);
		return;
	}
	/* streaming (Ollama's default): the response in one chunk, then the
	 * final record, as NDJSON */
	{
		json_t *chunk = json_pack("{s:s,s:s,s:O,s:b}", "model", name, "created_at", when,
		    "response", json_object_get(o, "response"), "done", 0);
		char *a, *b;

		/* the log-probabilities travel with the text they describe */
		if (chunk && json_object_get(o, "logprobs")) {
			json_object_set(chunk, "logprobs", json_object_get(o, "logprobs"));
			json_object_del(o, "logprobs");
		}
		a = chunk ? json_dumps(chunk, JSON_COMPACT) : NULL;
		json_object_set_new(o, "response", json_string(""));
		b = json_dumps(o, JSON_COMPACT);
		if (a && b)
			reply_text(out, 200, "application/x-ndjson", "%s\n%s\n", a, b);
		else
			reply_oom(out, FAM_OLLAMA);
		free(a);
		free(b);
		json_decref(chunk);
		json_decref(o);
	}
}

/* ---- routing ----------------------------------------------------------------- */

static const route routes[] = {
	/* llama.cpp */
	{ "/health", M_GET, FAM_LLAMA, R_LOADING, h_health, "GET, HEAD" },
	{ "/v1/health", M_GET, FAM_LLAMA, R_LOADING, h_health, "GET, HEAD" },
	{ "/props", M_GET | M_POST, FAM_LLAMA, R_LOADING, h_props, "GET, HEAD, POST" },
	{ "/metrics", M_GET, FAM_LLAMA, 0, h_metrics, "GET, HEAD" },
	{ "/tokenize", M_POST, FAM_LLAMA, R_JSON | R_LOADING, h_tokenize, "POST" },
	{ "/detokenize", M_POST, FAM_LLAMA, R_JSON | R_LOADING, h_detokenize, "POST" },
	{ "/infill", M_POST, FAM_LLAMA, R_JSON | R_MODEL | R_LOADING, h_infill, "POST" },
	{ "/completion", M_POST, FAM_LLAMA, R_JSON | R_MODEL | R_LOADING, h_completion, "POST" },
	{ "/completions", M_POST, FAM_LLAMA, R_JSON | R_MODEL | R_LOADING, h_completion, "POST" },
	/* OpenAI-compatible, vLLM's flavour */
	{ "/v1/models", M_GET, FAM_OPENAI, R_LOADING, h_v1_models, "GET, HEAD" },
	{ "/v1/completions", M_POST, FAM_OPENAI, R_JSON | R_MODEL | R_LOADING,
	    h_v1_completions, "POST" },
	/* Ollama */
	{ "/", M_GET, FAM_OLLAMA, 0, h_root, "GET, HEAD" },
	{ "/api/version", M_GET, FAM_OLLAMA, 0, h_api_version, "GET, HEAD" },
	{ "/api/tags", M_GET, FAM_OLLAMA, 0, h_api_tags, "GET, HEAD" },
	{ "/api/show", M_POST, FAM_OLLAMA, R_JSON, h_api_show, "POST" },
	{ "/api/generate", M_POST, FAM_OLLAMA, R_JSON | R_MODEL | R_WAIT_LOAD, h_api_generate,
	    "POST" },
};

static const route *find_route(const char *url)
{
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (strcmp(routes[i].path, url) == 0)
			return &routes[i];
	return NULL;
}

static enum family family_of_path(const char *url)
{
	if (strncmp(url, "/api/", 5) == 0)
		return FAM_OLLAMA;
	if (strncmp(url, "/v1/", 4) == 0)
		return FAM_OPENAI;
	return FAM_LLAMA;
}

/* What each server answers for a path it does not have. */
static void reply_not_found(reply *r, const char *url)
{
	switch (family_of_path(url)) {
	case FAM_OLLAMA:
		reply_text(r, 404, "text/plain", "404 page not found");
		break;
	case FAM_OPENAI:
		reply_json(r, 404, json_pack("{s:s}", "detail", "Not Found"));
		break;
	case FAM_LLAMA:
		reply_json(r, 404, json_pack("{s:{s:s,s:s,s:i}}", "error", "message",
		    "File Not Found", "type", "not_found_error", "code", 404));
		break;
	}
}

static void reply_bad_method(reply *r, const route *rt)
{
	switch (rt->fam) {
	case FAM_OLLAMA:
		reply_text(r, 405, "text/plain", "405 method not allowed");
		break;
	case FAM_OPENAI:
		reply_json(r, 405, json_pack("{s:s}", "detail", "Method Not Allowed"));
		break;
	case FAM_LLAMA:
		reply_error(r, FAM_LLAMA, 405, NULL, "Method Not Allowed");
		break;
	}
	r->allow = rt->allow;
}

static void reply_too_big(reply *r, enum family fam, size_t max)
{
	switch (fam) {
	case FAM_OLLAMA:
		reply_error(r, fam, 413, NULL, "http: request body too large");
		break;
	default:
		reply_error(r, fam, 413, NULL, "request body exceeds %zu bytes", max);
		break;
	}
}

/* A malformed body, as each server reports it. */
static void reply_bad_json(reply *r, enum family fam, const json_error_t *e, int not_object)
{
	switch (fam) {
	case FAM_LLAMA:
		/* nlohmann's parse error escapes as a 500 */
		if (not_object)
			reply_error(r, fam, 500, "server_error",
			    "[json.exception.type_error.302] type must be object");
		else
			reply_error(r, fam, 500, "server_error",
			    "[json.exception.parse_error.101] parse error at line %d, column %d: %s",
			    e->line, e->column, e->text);
		break;
	case FAM_OPENAI:
		reply_error(r, fam, 400, NULL, not_object ? "Input should be a valid dictionary" :
		    "JSON decode error: %s (line %d, column %d)", e->text, e->line, e->column);
		break;
	case FAM_OLLAMA:
		if (not_object)
			reply_error(r, fam, 400, NULL,
			    "json: cannot unmarshal value into Go value of type api.GenerateRequest");
		else if (e->position == 0)
			reply_error(r, fam, 400, NULL, "missing request body");
		else
			reply_error(r, fam, 400, NULL, "invalid character in JSON: %s", e->text);
		break;
	}
}

/* The fault the generator draws for this request, as an index in
 * TRW_FAULT_* bit order, or -1. */
static int draw_fault(trw_server *s)
{
	uint64_t u, k;
	int kinds[4], nk = 0;

	if (s->fail_rate <= 0.0)
		return -1;
	for (int i = 0; i < 4; i++)
		if (s->faults & (1u << i))
			kinds[nk++] = i;
	if (nk == 0)
		return -1;
	pthread_mutex_lock(&s->lock);
	u = splitmix64(&s->rng);
	k = splitmix64(&s->rng);
	pthread_mutex_unlock(&s->lock);
	/* 53 random bits make a uniform double in [0, 1) */
	if ((double)(u >> 11) * 0x1.0p-53 >= s->fail_rate)
		return -1;
	return kinds[k % (uint64_t)nk];
}

static void reply_fault(reply *r, enum family fam, int fault)
{
	switch (fault) {
	case 0:
		reply_unavailable(r, fam);
		break;
	case 1:
		if (fam == FAM_OLLAMA)
			reply_error(r, fam, 500, NULL,
			    "llama runner process has terminated: exit status 2 (injected fault)");
		else
			reply_error(r, fam, 500, NULL, "Internal server error (injected fault)");
		break;
	case 2:
		r->reset = 1;
		break;
	}
	r->fault = fault;
}

static void handle(trw_server *s, req *rq, reply *out)
{
	const route *rt = rq->route;
	json_t *body = NULL;
	json_error_t jerr;
	int fault;

	if (rq->too_big) {
		reply_too_big(out, rt->fam, s->max_body);
		return;
	}
	if ((rt->flags & R_LOADING) && is_loading(s)) {
		reply_unavailable(out, rt->fam);
		return;
	}
	if ((rt->flags & R_MODEL) && (fault = draw_fault(s)) >= 0) {
		__atomic_fetch_add(&s->n_faults[fault], 1, __ATOMIC_RELAXED);
		if (fault != 3) {
			reply_fault(out, rt->fam, fault);
			return;
		}
		/* a stall: silence longer than a client's timeout, then the
		 * right answer (a stall never changes the result) */
		out->fault = fault;
		if (sleep_until(s, trw_now_ns() + (uint64_t)s->stall_ms * 1000000u) < 0) {
			out->reset = 1;
			return;
		}
	}
	if (rt->flags & R_JSON) {
		memset(&jerr, 0, sizeof(jerr));
		body = json_loadb(rq->body.ptr ? rq->body.ptr : "", rq->body.size,
		    JSON_ALLOW_NUL, &jerr);
		if (!body || !json_is_object(body)) {
			reply_bad_json(out, rt->fam, &jerr, body != NULL);
			json_decref(body);
			return;
		}
	}
	rt->fn(s, rq, body, out);
	if (!out->json && !out->text && !out->reset)
		reply_oom(out, rt->fam);
	json_decref(body);
}

/*
 * A reset: the peer gets an RST, not an orderly close.  MHD would
 * shutdown() the socket (a FIN) before closing it, so the connected
 * socket is closed here with SO_LINGER 0 by dup3()ing an unconnected
 * socket over its descriptor: the number stays valid and MHD's own
 * shutdown and close then act on the stand-in.
 */
static void arm_reset(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct linger lg = { 1, 0 };
	int fd, stand_in;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	fd = ci->connect_fd;
	(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if ((stand_in = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	(void)dup3(stand_in, fd, O_CLOEXEC);
	close(stand_in);
}

static void log_request(trw_server *s, const char *method, const char *url, const reply *r,
    uint64_t t0)
{
	static const char *const fault_names[] = { "503", "500", "reset", "stall" };
	char status[16];

	if (!s->log)
		return;
	if (r->reset)
		snprintf(status, sizeof(status), "RST");
	else
		snprintf(status, sizeof(status), "%u", r->status);
	fprintf(s->log, "%s %s %s %.1fms%s%s\n", method, url, status,
	    ms_between(t0, trw_now_ns()), r->fault >= 0 ? " fault=" : "",
	    r->fault >= 0 ? fault_names[r->fault] : "");
	fflush(s->log);
}

static enum MHD_Result queue_reply(trw_server *s, struct MHD_Connection *conn,
    const char *method, const char *url, reply *r, uint64_t t0)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char *buf;
	size_t len;
	const char *ctype;

	__atomic_fetch_add(&s->n_requests, 1, __ATOMIC_RELAXED);
	log_request(s, method, url, r, t0);
	if (r->reset) {
		json_decref(r->json);
		free(r->text);
		arm_reset(conn);
		return MHD_NO;
	}
	if (r->json) {
		buf = json_dumps(r->json, JSON_COMPACT);
		json_decref(r->json);
		r->json = NULL;
		if (!buf)
			return MHD_NO;
		len = strlen(buf);
		ctype = "application/json; charset=utf-8";
	} else {
		buf = r->text;
		len = r->text_len;
		ctype = r->ctype;
		r->text = NULL;
		if (!buf)
			return MHD_NO;
	}
	resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(buf);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	ret = MHD_queue_response(conn, r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	trw_server *s = cls;
	req *rq = *con_cls;
	reply r = { 0 };
	unsigned m;

	(void)version;
	r.fault = -1;
	if (!rq) {
		const route *rt = find_route(url);
		const char *cl;
		uint64_t t0 = trw_now_ns();

		m = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0 ? M_GET :
		    strcmp(method, "POST") == 0 ? M_POST : 0;
		if (!rt) {
			reply_not_found(&r, url);
			return queue_reply(s, conn, method, url, &r, t0);
		}
		if (!(rt->methods & m)) {
			reply_bad_method(&r, rt);
			return queue_reply(s, conn, method, url, &r, t0);
		}
		/* refuse a declared oversize body before it is sent (curl
		 * waits for 100-continue on large bodies) */
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > s->max_body) {
			reply_too_big(&r, rt->fam, s->max_body);
			return queue_reply(s, conn, method, url, &r, t0);
		}
		if ((rq = calloc(1, sizeof(*rq))) == NULL)
			return MHD_NO;
		rq->route = rt;
		rq->body.max = s->max_body;
		rq->t0 = t0;
		*con_cls = rq;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		/* a chunked body past the limit is read and dropped, then 413 */
		if (!rq->too_big && trw_buf_put(&rq->body, upload_data, *upload_data_size) < 0) {
			rq->too_big = 1;
			trw_buf_dispose(&rq->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	handle(s, rq, &r);
	return queue_reply(s, conn, method, url, &r, rq->t0);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		trw_buf_dispose(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	trw_server *s = cls;

	/* MHD reports every injected reset as an error: keep it for -v */
	if (!s->log)
		return;
	fputs("microhttpd: ", s->log);
	vfprintf(s->log, fmt, ap);
	fflush(s->log);
}

/* ---- life cycle -------------------------------------------------------------- */

const char *trw_fault_name(unsigned fault)
{
	switch (fault) {
	case TRW_FAULT_UNAVAILABLE: return "503";
	case TRW_FAULT_ERROR: return "500";
	case TRW_FAULT_RESET: return "reset";
	case TRW_FAULT_STALL: return "stall";
	default: return NULL;
	}
}

int trw_fault_parse(unsigned *out, const char *list)
{
	unsigned mask = 0;
	const char *p = list;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		unsigned bit = 0;

		if (n == 3 && strncmp(p, "all", 3) == 0)
			bit = TRW_FAULT_ALL;
		for (unsigned b = 1; b <= TRW_FAULT_STALL && !bit; b <<= 1)
			if (strlen(trw_fault_name(b)) == n && strncmp(p, trw_fault_name(b), n) == 0)
				bit = b;
		if (!bit)
			return trw_error_set(TRW_EINVALID,
			    "unknown fault '%.*s' (known: 503, 500, reset, stall, all)", (int)n, p);
		mask |= bit;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!mask)
		return trw_error_set(TRW_EINVALID, "no fault kind given");
	*out = mask;
	return 0;
}

/* "HOST:PORT" into an IPv4 socket address. */
static int parse_listen(const char *addr, struct sockaddr_in *sa)
{
	const char *colon = strrchr(addr, ':');
	char host[64];
	char *end;
	unsigned long port;

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(host))
		return trw_error_set(TRW_EINVALID, "bad addr address '%s' (want HOST:PORT)",
		    addr);
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		return trw_error_set(TRW_EINVALID, "bad port in addr address '%s'", addr);
	if (strcmp(host, "localhost") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return trw_error_set(TRW_EINVALID,
		    "bad host in addr address '%s' (want an IPv4 address)", addr);
	sa->sin_port = htons((uint16_t)port);
	return 0;
}

static int open_listener(trw_server *s, const char *addr)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd, one = 1, error;
	char host[INET_ADDRSTRLEN];

	if ((error = parse_listen(addr, &sa)) < 0)
		return error;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return trw_error_set(TRW_EIO, "socket: %s", strerror(errno));
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		error = trw_error_set(TRW_EIO, "cannot listen on %s: %s", addr, strerror(errno));
		close(fd);
		return error;
	}
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		error = trw_error_set(TRW_EIO, "getsockname: %s", strerror(errno));
		close(fd);
		return error;
	}
	s->listen_fd = fd;
	s->port = ntohs(sa.sin_port);
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	snprintf(s->address, sizeof(s->address), "%s:%u", host, s->port);
	return 0;
}

int trw_server_new(trw_server **out, const char *model_spec,
    const trw_server_options *given)
{
	trw_server_options opts = TRW_SERVER_OPTIONS_INIT;
	trw_server *s = NULL;
	pthread_condattr_t ca;
	const char *path;
	int error = 0;

	*out = NULL;
	if (given) {
		if (given->version != TRW_SERVER_OPTIONS_VERSION)
			return trw_error_set(TRW_EINVALID, "server options version %u unknown",
			    given->version);
		opts = *given;
	}
	if (!model_spec || strncmp(model_spec, "ref:", 4) != 0 || !model_spec[4])
		return trw_error_set(TRW_EINVALID,
		    "cannot serve '%s': only the reference model (ref:PATH) can be served",
		    model_spec ? model_spec : "");
	if (!(opts.fail_rate >= 0.0 && opts.fail_rate <= 1.0))
		return trw_error_set(TRW_EINVALID, "fail rate must be between 0 and 1");
	path = model_spec + 4;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return trw_error_oom();
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);

	s->slots = opts.slots ? opts.slots : 1;
	s->admitted = s->slots;
	s->latency_ms = opts.latency_ms;
	s->stall_ms = opts.stall_ms ? opts.stall_ms : DEFAULT_STALL_MS;
	s->fail_rate = opts.fail_rate;
	s->faults = opts.faults ? opts.faults & TRW_FAULT_ALL : TRW_FAULT_ALL;
	s->rng = opts.seed;
	s->max_body = opts.max_body ? opts.max_body : DEFAULT_MAX_BODY;
	s->log = opts.log;
	if ((s->tpl = trw_template_by_name(opts.template_name ? opts.template_name :
	    "starcoder2")) == NULL) {
		error = trw_error_set(TRW_EINVALID, "unknown template '%s'", opts.template_name);
		goto done;
	}
	if ((error = trw_refmodel_open(&s->model, path)) < 0)
		goto done;
	if ((error = tok_init(s)) < 0)
		goto done;
	s->n_ctx = opts.n_ctx ? opts.n_ctx : trw_refmodel_context(s->model);
	if ((s->model_path = trw_strdup(path)) == NULL ||
	    (s->alias = trw_strdup(opts.alias ? opts.alias : path)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if ((error = open_listener(s, opts.listen ? opts.listen : DEFAULT_LISTEN)) < 0)
		goto done;

	s->started_ns = trw_now_ns();
	s->loaded_ns = s->started_ns + (uint64_t)opts.loading_ms * 1000000u;
	s->started_wall = time(NULL);
	s->daemon = MHD_start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG,
	    0, NULL, NULL, on_request, s,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
	    MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)(opts.max_connections ?
		opts.max_connections : DEFAULT_CONNECTIONS),
	    MHD_OPTION_CONNECTION_TIMEOUT, 120u,
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)STACK_SIZE,
	    MHD_OPTION_END);
	if (!s->daemon) {
		error = trw_error_set(TRW_EIO, "cannot start the HTTP server on %s", s->address);
		goto done;
	}
done:
	if (error < 0) {
		trw_server_free(s);
		return error;
	}
	*out = s;
	return 0;
}

unsigned trw_server_port(const trw_server *s)
{
	return s->port;
}

const char *trw_server_address(const trw_server *s)
{
	return s->address;
}

void trw_server_get_stats(const trw_server *s, trw_server_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->requests = __atomic_load_n(&s->n_requests, __ATOMIC_RELAXED);
	out->completions = __atomic_load_n(&s->n_completions, __ATOMIC_RELAXED);
	for (int i = 0; i < 4; i++)
		out->faults[i] = __atomic_load_n(&s->n_faults[i], __ATOMIC_RELAXED);
	out->max_busy = __atomic_load_n(&s->max_busy, __ATOMIC_RELAXED);
}

void trw_server_free(trw_server *s)
{
	MHD_socket quiesced = MHD_INVALID_SOCKET;

	if (!s)
		return;
	if (s->daemon)
		quiesced = MHD_quiesce_daemon(s->daemon);
	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	/* quiesced, the listening socket is ours to close; otherwise MHD
	 * closed it, or it never started */
	if (quiesced != MHD_INVALID_SOCKET || !s->daemon)
		if (s->listen_fd >= 0)
			close(s->listen_fd);
	tok_dispose(s);
	trw_refmodel_free(s->model);
	free(s->model_path);
	free(s->alias);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
