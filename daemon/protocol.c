/*
 * protocol.c - parsing and serialising trawicd's messages.
 *
 * Bytes in, structs out, and structs in, bytes out: nothing here reads a
 * socket, a clock or the job store.  Every field is checked for type and
 * size before it is copied, so what the daemon sees past this file is a
 * well-formed request within the documented limits.  What a request is
 * allowed to do (whose job, which path) is decided elsewhere (server.c).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "daemon/protocol.h"

static const char *const op_names[TRW_OP__COUNT] = {
	"ping", "version", "submit", "status", "watch", "result", "cancel", "list",
	"stats", "shutdown"
};

static const char *const perr_names[TRW_PERR__COUNT] = {
	"invalid", "too_large", "busy", "not_found", "forbidden", "unsupported_version",
	"internal"
};

static const char *const state_names[TRW_JOB__COUNT] = {
	"queued", "running", "done", "failed", "cancelled"
};

static int lookup(const char *const *names, int n, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

int trw_op_parse(const char *name) { return lookup(op_names, TRW_OP__COUNT, name); }
const char *trw_op_name(trw_op op)
{
	return (unsigned)op < TRW_OP__COUNT ? op_names[op] : NULL;
}
const char *trw_proto_error_name(trw_proto_errcode e)
{
	return (unsigned)e < TRW_PERR__COUNT ? perr_names[e] : "internal";
}
int trw_proto_error_parse(const char *name) { return lookup(perr_names, TRW_PERR__COUNT, name); }
const char *trw_job_state_name(trw_job_state s)
{
	return (unsigned)s < TRW_JOB__COUNT ? state_names[s] : NULL;
}
int trw_job_state_parse(const char *name) { return lookup(state_names, TRW_JOB__COUNT, name); }

void trw_submit_params_dispose(trw_submit_params *p)
{
	free(p->spec);
	free(p->rev);
	free(p->model);
	free(p->classifier);
	free(p->fail_on);
	for (size_t i = 0; i < p->npaths; i++)
		free(p->paths[i]);
	free(p->paths);
	for (size_t i = 0; i < p->nformats; i++)
		free(p->formats[i]);
	free(p->formats);
	memset(p, 0, sizeof(*p));
	p->threshold = -1;
}

void trw_request_free(trw_request *r)
{
	if (!r)
		return;
	json_decref(r->id);
	free(r->job);
	free(r->format);
	trw_submit_params_dispose(&r->submit);
	free(r);
}

/* perr for the error being built; set with the message. */
typedef struct perr_ctx {
	trw_proto_errcode code;
} perr_ctx;

static int bad(perr_ctx *c, trw_proto_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(perr_ctx *c, trw_proto_errcode code, const char *fmt, ...)
{
	va_list ap;

	c->code = code;
	va_start(ap, fmt);
	trw_error_vset(code == TRW_PERR_TOO_LARGE ? TRW_ETOOBIG : TRW_EINVALID, fmt, ap);
	va_end(ap);
	return code == TRW_PERR_TOO_LARGE ? TRW_ETOOBIG : TRW_EINVALID;
}

/* A string without NUL bytes (jansson allows them with JSON_ALLOW_NUL only,
 * which we do not pass, but check the length anyway). */
static int get_string(perr_ctx *c, const json_t *obj, const char *key, size_t max,
    int required, char **out)
{
	json_t *v = json_object_get(obj, key);
	size_t n;

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return bad(c, TRW_PERR_INVALID, "missing field '%s'", key);
		return 0;
	}
	if (!json_is_string(v))
		return bad(c, TRW_PERR_INVALID, "field '%s' must be a string", key);
	n = json_string_length(v);
	if (n > max)
		return bad(c, TRW_PERR_TOO_LARGE, "field '%s' is longer than %zu bytes", key, max);
	if (n == 0 || strlen(json_string_value(v)) != n)
		return bad(c, TRW_PERR_INVALID, "field '%s' must be a non-empty string "
		    "without NUL", key);
	if (!(*out = trw_strndup(json_string_value(v), n)))
		return bad(c, TRW_PERR_INTERNAL, "out of memory");
	return 0;
}

static int get_string_array(perr_ctx *c, const json_t *obj, const char *key, size_t max_n,
    char ***out, size_t *n)
{
	json_t *v = json_object_get(obj, key), *e;
	size_t i;
	int error;

	*out = NULL;
	*n = 0;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return bad(c, TRW_PERR_INVALID, "field '%s' must be an array of strings", key);
	if (json_array_size(v) > max_n)
		return bad(c, TRW_PERR_TOO_LARGE, "field '%s' has more than %zu items", key, max_n);
	if (!(*out = calloc(json_array_size(v) + 1, sizeof(char *))))
		return bad(c, TRW_PERR_INTERNAL, "out of memory");
	json_array_foreach(v, i, e) {
		json_t *wrap = json_object();

		if (!wrap)
			return bad(c, TRW_PERR_INTERNAL, "out of memory");
		json_object_set(wrap, key, e);
		error = get_string(c, wrap, key, TRW_PROTOCOL_MAX_STRING, 1, &(*out)[i]);
		json_decref(wrap);
		if (error < 0)
			return error;
		(*n)++;
	}
	return 0;
}

static int parse_submit(perr_ctx *c, const json_t *obj, trw_submit_params *p)
{
	json_t *v;
	int error;

	if ((error = get_string(c, obj, "spec", TRW_PROTOCOL_MAX_STRING, 1, &p->spec)) < 0 ||
	    (error = get_string(c, obj, "rev", TRW_PROTOCOL_MAX_STRING, 0, &p->rev)) < 0 ||
	    (error = get_string(c, obj, "model", TRW_PROTOCOL_MAX_STRING, 0, &p->model)) < 0 ||
	    (error = get_string(c, obj, "classifier", TRW_PROTOCOL_MAX_STRING, 0,
		&p->classifier)) < 0 ||
	    (error = get_string(c, obj, "fail_on", 32, 0, &p->fail_on)) < 0 ||
	    (error = get_string_array(c, obj, "paths", TRW_PROTOCOL_MAX_PATHS, &p->paths,
		&p->npaths)) < 0 ||
	    (error = get_string_array(c, obj, "formats", TRW_PROTOCOL_MAX_REPORTS,
		&p->formats, &p->nformats)) < 0)
		return error;
	if (p->fail_on && strcmp(p->fail_on, "included") != 0 &&
	    strcmp(p->fail_on, "inconclusive") != 0 && strcmp(p->fail_on, "never") != 0)
		return bad(c, TRW_PERR_INVALID, "field 'fail_on' must be included, inconclusive "
		    "or never");
	for (size_t i = 0; i < p->nformats; i++) {
		static const char *const fmts[] = { "json", "sarif", "junit", "markdown", "html" };

		if (lookup(fmts, 5, p->formats[i]) < 0)
			return bad(c, TRW_PERR_INVALID, "unknown report format '%s'", p->formats[i]);
	}
	v = json_object_get(obj, "threshold");
	if (v && !json_is_null(v)) {
		if (!json_is_number(v))
			return bad(c, TRW_PERR_INVALID, "field 'threshold' must be a number");
		p->threshold = json_number_value(v);
		if (!(p->threshold >= 0 && p->threshold <= 1))
			return bad(c, TRW_PERR_INVALID, "field 'threshold' must be in [0, 1]");
	}
	v = json_object_get(obj, "priority");
	if (v && !json_is_null(v)) {
		if (!json_is_integer(v))
			return bad(c, TRW_PERR_INVALID, "field 'priority' must be an integer");
		if (json_integer_value(v) < -100 || json_integer_value(v) > 100)
			return bad(c, TRW_PERR_INVALID, "field 'priority' must be in -100..100");
		p->priority = (int)json_integer_value(v);
	}
	return 0;
}

/* Job ids are 16 lower-case hex digits (jobs.c). */
static int valid_job_id(const char *s)
{
	size_t n = strlen(s);

	if (n != 16)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int trw_request_parse(trw_request **out, trw_proto_errcode *perr, json_t **idp,
    const char *bytes, size_t len)
{
	perr_ctx c = { TRW_PERR_INVALID };
	trw_request *r = NULL;
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *opname;
	int error = 0;

	*out = NULL;
	if (idp)
		*idp = NULL;
	if (!(r = calloc(1, sizeof(*r)))) {
		error = bad(&c, TRW_PERR_INTERNAL, "out of memory");
		goto done;
	}
	r->state = -1;
	r->submit.threshold = -1;
	if (len > TRW_PROTOCOL_HARD_MAX_REQUEST) {
		error = bad(&c, TRW_PERR_TOO_LARGE, "request longer than %d bytes",
		    TRW_PROTOCOL_HARD_MAX_REQUEST);
		goto done;
	}
	if (!(root = json_loadb(bytes, len, JSON_REJECT_DUPLICATES,
	    &jerr))) {
		error = bad(&c, TRW_PERR_INVALID, "not JSON: %s at byte %d", jerr.text,
		    jerr.position);
		goto done;
	}
	if (!json_is_object(root)) {
		error = bad(&c, TRW_PERR_INVALID, "a request is a JSON object");
		goto done;
	}
	/* the id first, so that every later error can be matched to it */
	v = json_object_get(root, "id");
	if (v && !json_is_null(v)) {
		if (!(json_is_integer(v) || (json_is_string(v) &&
		    json_string_length(v) <= TRW_PROTOCOL_MAX_ID))) {
			error = bad(&c, TRW_PERR_INVALID, "field 'id' must be an integer or a "
			    "string of at most %d bytes", TRW_PROTOCOL_MAX_ID);
			goto done;
		}
		r->id = json_incref(v);
		if (idp)
			*idp = json_incref(v);
	}
	v = json_object_get(root, "v");
	if (!v) {
		error = bad(&c, TRW_PERR_INVALID, "missing field 'v' (protocol version %d)",
		    TRW_PROTOCOL_VERSION);
		goto done;
	}
	if (!json_is_integer(v) || json_integer_value(v) != TRW_PROTOCOL_VERSION) {
		error = bad(&c, TRW_PERR_UNSUPPORTED_VERSION, "protocol version %d is the only "
		    "one this daemon speaks", TRW_PROTOCOL_VERSION);
		goto done;
	}
	v = json_object_get(root, "op");
	if (!v || !json_is_string(v)) {
		error = bad(&c, TRW_PERR_INVALID, "missing field 'op' (a string)");
		goto done;
	}
	opname = json_string_value(v);
	if (trw_op_parse(opname) < 0) {
		error = bad(&c, TRW_PERR_INVALID, "unknown op '%.64s'; 'version' lists them",
		    opname);
		goto done;
	}
	r->op = (trw_op)trw_op_parse(opname);
	switch (r->op) {
	case TRW_OP_STATUS:
	case TRW_OP_WATCH:
	case TRW_OP_RESULT:
	case TRW_OP_CANCEL:
		if ((error = get_string(&c, root, "job", 64, 1, &r->job)) < 0)
			goto done;
		if (!valid_job_id(r->job)) {
			/* well-formed but no such job: do not tell the difference */
			c.code = TRW_PERR_NOT_FOUND;
			error = trw_error_set(TRW_ENOTFOUND, "no job '%s'", r->job);
			goto done;
		}
		if (r->op == TRW_OP_RESULT) {
			static const char *const fmts[] = { "json", "sarif", "junit", "markdown",
				"html" };

			if ((error = get_string(&c, root, "format", 16, 0, &r->format)) < 0)
				goto done;
			if (r->format && lookup(fmts, 5, r->format) < 0) {
				error = bad(&c, TRW_PERR_INVALID, "unknown report format '%s'",
				    r->format);
				goto done;
			}
		}
		break;
	case TRW_OP_LIST: {
		char *state = NULL;

		if ((error = get_string(&c, root, "state", 16, 0, &state)) < 0)
			goto done;
		if (state) {
			r->state = trw_job_state_parse(state);
			free(state);
			if (r->state < 0) {
				error = bad(&c, TRW_PERR_INVALID, "field 'state' must be queued, "
				    "running, done, failed or cancelled");
				goto done;
			}
		}
		v = json_object_get(root, "limit");
		if (v && !json_is_null(v)) {
			if (!json_is_integer(v) || json_integer_value(v) < 1 ||
			    json_integer_value(v) > 10000) {
				error = bad(&c, TRW_PERR_INVALID, "field 'limit' must be an integer "
				    "in 1..10000");
				goto done;
			}
			r->limit = (unsigned)json_integer_value(v);
		}
		break;
	}
	case TRW_OP_SUBMIT:
		if ((error = parse_submit(&c, root, &r->submit)) < 0)
			goto done;
		break;
	default:
		break;
	}

done:
	json_decref(root);
	if (error < 0) {
		trw_request_free(r);
		*perr = c.code;
		return error;
	}
	*out = r;
	return 0;
}

json_t *trw_submit_params_to_json(const trw_submit_params *p)
{
	json_t *o = json_object(), *a;

	if (!o)
		return NULL;
	json_object_set_new(o, "spec", json_string(p->spec));
	if (p->rev)
		json_object_set_new(o, "rev", json_string(p->rev));
	if (p->model)
		json_object_set_new(o, "model", json_string(p->model));
	if (p->classifier)
		json_object_set_new(o, "classifier", json_string(p->classifier));
	if (p->npaths) {
		a = json_array();
		for (size_t i = 0; i < p->npaths; i++)
			json_array_append_new(a, json_string(p->paths[i]));
		json_object_set_new(o, "paths", a);
	}
	if (p->nformats) {
		a = json_array();
		for (size_t i = 0; i < p->nformats; i++)
			json_array_append_new(a, json_string(p->formats[i]));
		json_object_set_new(o, "formats", a);
	}
	if (p->threshold >= 0)
		json_object_set_new(o, "threshold", json_real(p->threshold));
	if (p->fail_on)
		json_object_set_new(o, "fail_on", json_string(p->fail_on));
	json_object_set_new(o, "priority", json_integer(p->priority));
	return o;
}

int trw_submit_params_from_json(trw_submit_params *out, const json_t *obj)
{
	perr_ctx c = { TRW_PERR_INVALID };
	int error;

	memset(out, 0, sizeof(*out));
	out->threshold = -1;
	if (!json_is_object(obj))
		return trw_error_set(TRW_EINVALID, "stored job parameters are not an object");
	if ((error = parse_submit(&c, obj, out)) < 0)
		trw_submit_params_dispose(out);
	return error;
}

/* Append `msg` as one line. */
static int put_line(trw_buf *out, json_t *msg)
{
	char *s;
	int error;

	if (!msg)
		return trw_error_oom();
	s = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(msg);
	if (!s)
		return trw_error_oom();
	if ((error = trw_buf_puts(out, s)) == 0)
		error = trw_buf_put(out, "\n", 1);
	free(s);
	return error;
}

static json_t *header(const json_t *id)
{
	json_t *m = json_object();

	if (!m)
		return NULL;
	json_object_set_new(m, "v", json_integer(TRW_PROTOCOL_VERSION));
	json_object_set_new(m, "id", id ? json_incref((json_t *)id) : json_null());
	return m;
}

static void merge(json_t *m, const json_t *body)
{
	const char *k;
	json_t *v;

	if (!body)
		return;
	json_object_foreach((json_t *)body, k, v)
		if (strcmp(k, "v") != 0 && strcmp(k, "id") != 0 && strcmp(k, "ok") != 0)
			json_object_set(m, k, v);
}

int trw_proto_ok(trw_buf *out, const json_t *id, const json_t *body)
{
	json_t *m = header(id);

	if (m) {
		json_object_set_new(m, "ok", json_true());
		merge(m, body);
	}
	return put_line(out, m);
}

int trw_proto_event(trw_buf *out, const json_t *id, const char *event, const json_t *body)
{
	json_t *m = header(id);

	if (m) {
		json_object_set_new(m, "ok", json_true());
		json_object_set_new(m, "event", json_string(event));
		merge(m, body);
	}
	return put_line(out, m);
}

int trw_proto_error_extra(trw_buf *out, const json_t *id, trw_proto_errcode code,
    const json_t *extra, const char *msg)
{
	json_t *m = header(id), *e;

	if (!m)
		return trw_error_oom();
	json_object_set_new(m, "ok", json_false());
	e = json_object();
	json_object_set_new(e, "code", json_string(trw_proto_error_name(code)));
	/* messages may quote the client's bytes: keep them valid UTF-8 */
	json_object_set_new(e, "message", trw_utf8_valid(msg, strlen(msg)) ?
	    json_string(msg) : json_string("(message not valid UTF-8)"));
	merge(e, extra);
	json_object_set_new(m, "error", e);
	return put_line(out, m);
}

int trw_proto_error(trw_buf *out, const json_t *id, trw_proto_errcode code,
    const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return trw_proto_error_extra(out, id, code, NULL, msg);
}

int trw_proto_request(trw_buf *out, const json_t *id, trw_op op, const json_t *body)
{
	json_t *m = header(id);

	if (m) {
		json_object_set_new(m, "op", json_string(trw_op_name(op)));
		merge(m, body);
	}
	return put_line(out, m);
}

int trw_proto_parse_response(json_t **out, const char *bytes, size_t len)
{
	json_error_t jerr;
	json_t *m, *v;

	*out = NULL;
	if (!(m = json_loadb(bytes, len, 0, &jerr)))
		return trw_error_set(TRW_EINVALID, "the daemon's answer is not JSON: %s",
		    jerr.text);
	v = json_object_get(m, "v");
	if (!json_is_object(m) || !json_is_integer(v) ||
	    json_integer_value(v) != TRW_PROTOCOL_VERSION || !json_is_boolean(json_object_get(m, "ok"))) {
		json_decref(m);
		return trw_error_set(TRW_EINVALID, "the daemon speaks another protocol version "
		    "(this client speaks %d)", TRW_PROTOCOL_VERSION);
	}
	*out = m;
	return 0;
}
