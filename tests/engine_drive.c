/*
 * engine_drive.c - a driver of the query engine for tests/engine.sh.
 *
 *   engine_drive --model SPEC [--cache PATH | --no-cache] [--concurrency N]
 *       [--retries N] [--timeout-ms N] [--backoff-ms N] [--health-wait-ms N]
 *       [--resubmit] [--count]
 *
 * Reads queries as JSON lines on stdin:
 *   {"id":1,"prefix":"...","suffix":"...","stop":"ident|newline|delim|none",
 *    "delim":"\"","max_tokens":16,"temperature":0,"top_p":1,"seed":42,
 *    "logprobs":false}
 * submits them all, runs the engine once, and prints JSON lines:
 *   {"type":"open","identity":...,"context":N}
 *   {"type":"result","id":1,"text":"...","logprobs":[...],"cached":false}
 *   {"type":"result","id":2,"error":-7,"message":"..."}     (sorted by id)
 *   {"type":"stats","submitted":...,"model_calls":...,"run":0,"run_message":""}
 * --resubmit: from inside the callback, submits each query again under
 * id + 1000000000 (dedup against answered jobs, submission during a run).
 * --count: input lines are {"text":"..."}; prints {"type":"count","tokens":N}.
 * engine_drive --cache-rows PATH: prints the number of completions the
 * cache file holds, and nothing else.
 *
 * Exit status: 0 every query answered, 1 some failed, 2 usage or open error.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/error.h"
#include "model/cache.h"
#include "model/engine.h"

#define RESUBMIT_OFFSET 1000000000ull

typedef struct query {
	uint64_t id;
	char *prefix, *suffix;
	size_t prefix_len, suffix_len;
	trw_fim_query q;
} query;

typedef struct result {
	uint64_t id;
	int error;
	char *message;
	char *text;
	size_t len;
	double *logprobs;
	size_t nlogprobs;
	int cached;
} result;

typedef struct state {
	trw_engine *e;
	query *queries;
	size_t nqueries;
	result *results;
	size_t nresults, alloc;
	int resubmit;
	size_t calls;
} state;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "engine_drive: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static unsigned parse_uint(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > 100000000ul)
		die("bad number '%s'", s);
	return (unsigned)v;
}

static char *get_string(json_t *o, const char *key, size_t *len)
{
	json_t *v = json_object_get(o, key);
	char *s;

	if (!json_is_string(v)) {
		*len = 0;
		return strdup("");
	}
	*len = json_string_length(v);
	s = malloc(*len + 1);
	memcpy(s, json_string_value(v), *len);
	s[*len] = '\0';
	return s;
}

static void read_query(query *qq, json_t *o)
{
	trw_decoding greedy = TRW_DECODING_GREEDY;
	const char *stop = json_string_value(json_object_get(o, "stop"));
	json_t *v;

	memset(qq, 0, sizeof(*qq));
	qq->id = (uint64_t)json_integer_value(json_object_get(o, "id"));
	qq->prefix = get_string(o, "prefix", &qq->prefix_len);
	qq->suffix = get_string(o, "suffix", &qq->suffix_len);
	qq->q.prefix = qq->prefix;
	qq->q.prefix_len = qq->prefix_len;
	qq->q.suffix = qq->suffix;
	qq->q.suffix_len = qq->suffix_len;
	qq->q.kind = TRW_KIND_FUNCTION_NAME;
	if ((v = json_object_get(o, "kind")) && json_is_string(v) &&
	    trw_kind_from_name(json_string_value(v)) >= 0)
		qq->q.kind = (trw_kind)trw_kind_from_name(json_string_value(v));
	if (!stop || strcmp(stop, "ident") == 0) {
		qq->q.stop.mode = TRW_STOP_IDENT;
	} else if (strcmp(stop, "none") == 0) {
		qq->q.stop.mode = TRW_STOP_NONE;
	} else if (strcmp(stop, "newline") == 0) {
		qq->q.stop.mode = TRW_STOP_NEWLINE;
	} else if (strcmp(stop, "delim") == 0) {
		const char *d = json_string_value(json_object_get(o, "delim"));

		qq->q.stop.mode = TRW_STOP_DELIM;
		snprintf(qq->q.stop.delim, sizeof(qq->q.stop.delim), "%s", d ? d : "");
	} else {
		die("unknown stop '%s'", stop);
	}
	qq->q.decoding = greedy;
	qq->q.decoding.max_tokens = 16;
	if ((v = json_object_get(o, "max_tokens")) && json_is_integer(v))
		qq->q.decoding.max_tokens = (unsigned)json_integer_value(v);
	if ((v = json_object_get(o, "temperature")) && json_is_number(v))
		qq->q.decoding.temperature = json_number_value(v);
	if ((v = json_object_get(o, "top_p")) && json_is_number(v))
		qq->q.decoding.top_p = json_number_value(v);
	if ((v = json_object_get(o, "seed")) && json_is_integer(v))
		qq->q.decoding.seed = (uint64_t)json_integer_value(v);
	qq->q.want_logprobs = json_is_true(json_object_get(o, "logprobs"));
}

static void on_result(void *payload, uint64_t id, int error, const char *message,
    const trw_completion *c)
{
	state *st = payload;
	result *r;

	st->calls++;
	if (st->nresults == st->alloc) {
		st->alloc = st->alloc ? 2 * st->alloc : 64;
		st->results = realloc(st->results, st->alloc * sizeof(*st->results));
		if (!st->results)
			die("%s", "out of memory");
	}
	r = &st->results[st->nresults++];
	memset(r, 0, sizeof(*r));
	r->id = id;
	r->error = error;
	if (error) {
		r->message = strdup(message ? message : "(no message)");
	} else {
		r->text = malloc(c->len + 1);
		memcpy(r->text, c->text, c->len + 1);
		r->len = c->len;
		r->cached = c->cached;
		if (c->nlogprobs) {
			r->logprobs = malloc(c->nlogprobs * sizeof(double));
			memcpy(r->logprobs, c->logprobs, c->nlogprobs * sizeof(double));
			r->nlogprobs = c->nlogprobs;
		}
	}
	if (st->resubmit && id < RESUBMIT_OFFSET) {
		for (size_t i = 0; i < st->nqueries; i++)
			if (st->queries[i].id == id &&
			    trw_engine_submit(st->e, id + RESUBMIT_OFFSET, &st->queries[i].q) < 0)
				die("resubmit: %s", trw_error_last());
	}
}

static int by_id(const void *a, const void *b)
{
	const result *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

	puts(s);
	free(s);
	json_decref(o);
}

int main(int argc, char **argv)
{
	trw_engine_options opts = TRW_ENGINE_OPTIONS_INIT;
	const char *spec = NULL;
	int count = 0, rc, failed = 0;
	state st;
	char *line = NULL;
	size_t cap = 0;
	trw_engine_stats stats;
	json_t *o;

	memset(&st, 0, sizeof(st));
	if (argc == 3 && strcmp(argv[1], "--cache-rows") == 0) {
		trw_cache *c;
		uint64_t n;

		if (trw_cache_new(&c, argv[2]) < 0 || trw_cache_count(c, &n) < 0)
			die("cache: %s", trw_error_last());
		printf("%llu\n", (unsigned long long)n);
		trw_cache_free(c);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--resubmit") == 0) { st.resubmit = 1; continue; }
		if (strcmp(a, "--count") == 0) { count = 1; continue; }
		if (strcmp(a, "--no-cache") == 0) { opts.cache_path = ""; continue; }
		if (!v)
			die("option %s needs a value", a);
		i++;
		if (strcmp(a, "--model") == 0) spec = v;
		else if (strcmp(a, "--cache") == 0) opts.cache_path = v;
		else if (strcmp(a, "--concurrency") == 0) opts.concurrency = parse_uint(v);
		else if (strcmp(a, "--retries") == 0) opts.retries = parse_uint(v);
		else if (strcmp(a, "--timeout-ms") == 0) opts.timeout_ms = parse_uint(v);
		else if (strcmp(a, "--backoff-ms") == 0) opts.backoff_ms = parse_uint(v);
		else if (strcmp(a, "--health-wait-ms") == 0) opts.health_wait_ms = parse_uint(v);
		else die("unknown option %s", a);
	}
	if (!spec)
		die("%s", "--model SPEC is required");
	if ((rc = trw_engine_new(&st.e, spec, &opts)) < 0) {
		fprintf(stderr, "engine_drive: %s (%d)\n", trw_error_last(), rc);
		return 2;
	}
	print_json(json_pack("{s:s,s:s,s:i}", "type", "open", "identity",
	    trw_engine_identity(st.e), "context", (json_int_t)trw_engine_context(st.e)));

	while (getline(&line, &cap, stdin) > 0) {
		json_error_t jerr;
		json_t *in;

		if (line[0] == '\n')
			continue;
		if ((in = json_loads(line, 0, &jerr)) == NULL)
			die("bad input line: %s", jerr.text);
		if (count) {
			json_t *t = json_object_get(in, "text");
			size_t n = 0;

			if (trw_engine_count_tokens(st.e, json_string_value(t),
			    json_string_length(t), &n) < 0)
				die("count: %s", trw_error_last());
			print_json(json_pack("{s:s,s:I}", "type", "count", "tokens", (json_int_t)n));
		} else {
			st.queries = realloc(st.queries, (st.nqueries + 1) * sizeof(*st.queries));
			read_query(&st.queries[st.nqueries], in);
			st.nqueries++;
		}
		json_decref(in);
	}
	free(line);
	for (size_t i = 0; i < st.nqueries; i++)
		if (trw_engine_submit(st.e, st.queries[i].id, &st.queries[i].q) < 0)
			die("submit: %s", trw_error_last());
	rc = 0;
	if (!count)
		rc = trw_engine_run(st.e, on_result, &st);
	{
		char run_message[1024];

		snprintf(run_message, sizeof(run_message), "%s", rc < 0 ? trw_error_last() : "");
		if (st.nresults > 1)
			qsort(st.results, st.nresults, sizeof(*st.results), by_id);
		for (size_t i = 0; i < st.nresults; i++) {
			result *r = &st.results[i];

			if (r->error) {
				failed++;
				o = json_pack("{s:s,s:I,s:i,s:s}", "type", "result", "id",
				    (json_int_t)r->id, "error", r->error, "message", r->message);
			} else {
				json_t *lp = json_array(), *text = json_stringn(r->text, r->len);

				for (size_t k = 0; k < r->nlogprobs; k++)
					json_array_append_new(lp, json_real(r->logprobs[k]));
				o = json_pack("{s:s,s:I,s:o,s:o,s:b}", "type", "result", "id",
				    (json_int_t)r->id, "text", text ? text : json_string("<not UTF-8>"),
				    "logprobs", lp, "cached", r->cached);
			}
			print_json(o);
			free(r->message);
			free(r->text);
			free(r->logprobs);
		}
		trw_engine_get_stats(st.e, &stats);
		print_json(json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:i,s:s,s:I}", "type", "stats",
		    "submitted", (json_int_t)stats.submitted,
		    "deduplicated", (json_int_t)stats.deduplicated,
		    "cache_hits", (json_int_t)stats.cache_hits,
		    "model_calls", (json_int_t)stats.model_calls,
		    "retries", (json_int_t)stats.retries,
		    "failed", (json_int_t)stats.failed,
		    "run", rc, "run_message", run_message,
		    "callbacks", (json_int_t)st.calls));
	}
	for (size_t i = 0; i < st.nqueries; i++) {
		free(st.queries[i].prefix);
		free(st.queries[i].suffix);
	}
	free(st.queries);
	free(st.results);
	trw_engine_free(st.e);
	fflush(stdout);
	return failed || rc < 0 ? 1 : 0;
}
