/*
 * backend_ollama.c - an Ollama server: POST /api/generate with the
 * prefix as `prompt` and the `suffix`, so that the model's own Go
 * template lays out the FIM prompt (raw: false).
 *
 * At open, POST /api/show must list the "insert" capability: a model
 * whose template has no .Suffix cannot fill in the middle, and Ollama
 * would refuse every request with 400.  The context is the num_ctx the
 * requests will run with: the spec's &num_ctx= (then sent with every
 * request), else a num_ctx line of the model's parameters, else the
 * smaller of the model's trained context and 2048, the oldest server
 * default, because a larger window would be cut silently.
 *
 * It does not retry or wait between requests (the engine does).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "model/backend.h"

#define DEFAULT_NUM_CTX 2048

typedef struct ollama {
	trw_backend base;
	char *model;
	unsigned num_ctx;	/* sent when the spec names it; 0 = server's */
} ollama;

static void ollama_free(trw_backend *b)
{
	if (!b)
		return;
	free(((ollama *)b)->model);
	trw_backend__dispose(b);
	free(b);
}

/* "num_ctx 8192" in Ollama's parameters text (one "key value" a line). */
static unsigned parameters_num_ctx(const char *p)
{
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);

		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		if (len > 7 && strncmp(p, "num_ctx", 7) == 0 && (p[7] == ' ' || p[7] == '\t')) {
			unsigned long v = 0;
			size_t i = 7;

			while (i < len && (p[i] == ' ' || p[i] == '\t'))
				i++;
			while (i < len && p[i] >= '0' && p[i] <= '9' && v < 100000000ul)
				v = v * 10 + (unsigned long)(p[i++] - '0');
			return (unsigned)v;
		}
		p = eol ? eol + 1 : NULL;
	}
	return 0;
}

static int has_insert(json_t *caps)
{
	size_t i;
	json_t *c;

	json_array_foreach(caps, i, c)
		if (json_is_string(c) && strcmp(json_string_value(c), "insert") == 0)
			return 1;
	return 0;
}

static int ollama_open(trw_backend **out, const trw_spec *spec, trw_http *http,
    const trw_engine_options *opts)
{
	ollama *o;
	trw_backend *b;
	trw_http_result res = { 0 };
	json_t *req = NULL, *root = NULL, *info;
	char *body = NULL;
	size_t body_len;
	int error = 0;

	*out = NULL;
	if (!spec->model)
		return trw_error_set(TRW_EINVALID, "model spec '%s': name the model with ?model=NAME",
		    spec->text);
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return trw_error_oom();
	b = &o->base;
	b->ops = &trw_backend_ollama;
	b->http = http;
	b->timeout_ms = opts->timeout_ms;
	o->num_ctx = spec->num_ctx;
	if ((b->url = trw_strdup(spec->url)) == NULL || (o->model = trw_strdup(spec->model)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if (spec->tmpl && (error = trw_backend__template(&b->tpl, spec)) < 0)
		goto done;
	if ((req = json_pack("{s:s}", "model", spec->model)) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	error = trw_backend__dump(req, &body, &body_len);
	req = NULL;
	if (error < 0)
		goto done;
	if ((error = trw_backend__call(b, "/api/show", body, opts->health_wait_ms, &res)) < 0)
		goto done;
	if (res.transport != 0 || res.status != 200) {
		char msg[512];

		trw_backend__describe(b, &res, msg, sizeof(msg));
		error = trw_error_set(TRW_EMODEL, "%s", msg);
		goto done;
	}
	if ((root = trw_backend__load(b, res.body.ptr, res.body.size)) == NULL) {
		error = TRW_EMODEL;
		goto done;
	}
	if (!has_insert(json_object_get(root, "capabilities"))) {
		error = trw_error_set(TRW_EMODEL, "ollama server at %s: model %s has no insert "
		    "capability: it cannot fill in the middle", b->url, spec->model);
		goto done;
	}
	info = json_object_get(root, "model_info");
	if (o->num_ctx) {
		b->n_ctx = o->num_ctx;
	} else if ((b->n_ctx = parameters_num_ctx(json_string_value(
	    json_object_get(root, "parameters")))) == 0) {
		const char *arch = json_string_value(json_object_get(info, "general.architecture"));
		json_int_t trained = 0;

		if (arch) {
			trw_buf key = TRW_BUF_INIT(256);

			if (trw_buf_printf(&key, "%s.context_length", arch) == 0)
				trained = json_integer_value(json_object_get(info, key.ptr));
			trw_buf_dispose(&key);
		}
		b->n_ctx = trained > 0 && trained < DEFAULT_NUM_CTX ? (unsigned)trained :
		    DEFAULT_NUM_CTX;
	}
	if (!b->tpl)
		b->tpl = trw_template_guess(spec->model);
	if ((error = trw_backend__set_identity(b, "ollama", spec->model)) < 0)
		goto done;
	*out = b;
	b = NULL;
done:
	json_decref(req);
	json_decref(root);
	free(body);
	trw_http_result_dispose(&res);
	ollama_free(b);
	return error;
}

static int ollama_request(trw_backend *b, const trw_fim_query *q, const char **path,
    char **body, size_t *body_len)
{
	ollama *o = (ollama *)b;
	json_t *root = json_object(), *options = json_object(), *v;
	int error = 0;

	*path = "/api/generate";
	if (!root || !options) {
		error = trw_error_oom();
		goto done;
	}
	json_object_set_new(root, "model", json_string(o->model));
	if ((v = trw_backend__string(q->prefix, q->prefix_len, "prefix")) == NULL)
		goto fail;
	json_object_set_new(root, "prompt", v);
	if ((v = trw_backend__string(q->suffix, q->suffix_len, "suffix")) == NULL)
		goto fail;
	json_object_set_new(root, "suffix", v);
	json_object_set_new(root, "raw", json_false());
	json_object_set_new(root, "stream", json_false());
	json_object_set_new(options, "num_predict", json_integer(q->decoding.max_tokens));
	json_object_set_new(options, "temperature", trw_backend__number(q->decoding.temperature));
	if (q->decoding.temperature > 0 && q->decoding.top_p < 1.0)
		json_object_set_new(options, "top_p", trw_backend__number(q->decoding.top_p));
	json_object_set_new(options, "seed", json_integer((json_int_t)q->decoding.seed));
	json_object_set_new(options, "stop", trw_backend__stops(q, b->tpl));
	if (o->num_ctx)
		json_object_set_new(options, "num_ctx", json_integer(o->num_ctx));
	json_object_set_new(root, "options", options);
	options = NULL;
	if (q->want_logprobs)
		json_object_set_new(root, "logprobs", json_true());
	error = trw_backend__dump(root, body, body_len);
	root = NULL;
	goto done;
fail:
	error = trw_error_last_code() < 0 ? trw_error_last_code() : TRW_EINVALID;
done:
	json_decref(root);
	json_decref(options);
	return error;
}

static int ollama_parse(trw_backend *b, const char *body, size_t len, trw_completion *out)
{
	json_t *root, *text;
	int error;

	if ((root = trw_backend__load(b, body, len)) == NULL)
		return TRW_EMODEL;
	text = json_object_get(root, "response");
	if (!json_is_string(text)) {
		json_t *err = json_object_get(root, "error");

		error = json_is_string(err) ?
		    trw_error_set(TRW_EMODEL, "ollama server at %s: \"%s\"", b->url,
		    json_string_value(err)) :
		    trw_error_set(TRW_EMODEL, "ollama server at %s sent a completion without "
		    "\"response\"", b->url);
		json_decref(root);
		return error;
	}
	error = trw_backend__completion(out, json_string_value(text), json_string_length(text),
	    json_object_get(root, "logprobs"));
	json_decref(root);
	return error;
}

const trw_backend_ops trw_backend_ollama = {
	.family = "ollama",
	.params = "model template num_ctx",
	.http = 1,
	.open = ollama_open,
	.free = ollama_free,
	.request = ollama_request,
	.parse = ollama_parse,
	.infill = NULL,
	.count_tokens = trw_backend__count_estimate,
};
