/*
 * backend_openai.c - any OpenAI-compatible server (vLLM, TGI, llama.cpp,
 * hosted APIs): POST /v1/completions with a FIM prompt rendered on the
 * client from the template table.
 *
 * The model's id and context come from GET /v1/models (vLLM's
 * max_model_len, or llama.cpp's meta.n_ctx); the template is the one the
 * spec names (&template=) or the one the id's name gives away, and
 * without either the spec is refused: a wrong template would be a silent
 * garbage audit.  `suffix` is never sent (vLLM, TGI and llama.cpp reject
 * it).  Log-probabilities are read in both shapes servers use: the
 * legacy token_logprobs array (vLLM) and llama.cpp's {"content":[...]}.
 *
 * It does not retry or wait between requests (the engine does).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "model/backend.h"

typedef struct openai {
	trw_backend base;
	char *model;		/* the id sent as "model" */
} openai;

static void openai_free(trw_backend *b)
{
	if (!b)
		return;
	free(((openai *)b)->model);
	trw_backend__dispose(b);
	free(b);
}

static int list_ids(json_t *data, trw_buf *out)
{
	size_t i;
	json_t *m;
	int error = 0;

	json_array_foreach(data, i, m) {
		const char *id = json_string_value(json_object_get(m, "id"));

		if (id && (error = trw_buf_printf(out, "%s%s", out->size ? ", " : "", id)) < 0)
			break;
	}
	return error;
}

static int openai_open(trw_backend **out, const trw_spec *spec, trw_http *http,
    const trw_engine_options *opts)
{
	openai *o;
	trw_backend *b;
	trw_http_result res = { 0 };
	trw_buf ids = TRW_BUF_INIT(4096), names = TRW_BUF_INIT(0);
	json_t *root = NULL, *data, *m, *card = NULL;
	const char *scheme_end;
	size_t i;
	int error = 0;

	*out = NULL;
	if ((o = calloc(1, sizeof(*o))) == NULL)
		return trw_error_oom();
	b = &o->base;
	b->ops = &trw_backend_openai;
	b->http = http;
	b->timeout_ms = opts->timeout_ms;
	/* "http://host:8000" means the usual "/v1" under it. */
	scheme_end = strstr(spec->url, "://");
	if (scheme_end && !strchr(scheme_end + 3, '/')) {
		trw_buf u = TRW_BUF_INIT(0);

		if ((error = trw_buf_printf(&u, "%s/v1", spec->url)) < 0) {
			trw_buf_dispose(&u);
			goto done;
		}
		b->url = u.ptr;
	} else if ((b->url = trw_strdup(spec->url)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if (spec->tmpl && (error = trw_backend__template(&b->tpl, spec)) < 0)
		goto done;

	if ((error = trw_backend__call(b, "/models", NULL, opts->health_wait_ms, &res)) < 0)
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
	data = json_object_get(root, "data");
	if (!json_is_array(data) || json_array_size(data) == 0) {
		error = trw_error_set(TRW_EMODEL, "openai server at %s lists no model in "
		    "GET /models", b->url);
		goto done;
	}
	json_array_foreach(data, i, m) {
		const char *id = json_string_value(json_object_get(m, "id"));

		if (id && (!spec->model || strcmp(id, spec->model) == 0)) {
			card = m;
			break;
		}
	}
	if (!card || (!spec->model && json_array_size(data) > 1)) {
		if ((error = list_ids(data, &ids)) < 0)
			goto done;
		if (spec->model)
			error = trw_error_set(TRW_EMODEL, "openai server at %s does not serve model "
			    "'%s' (it lists: %s)", b->url, spec->model, ids.ptr ? ids.ptr : "");
		else
			error = trw_error_set(TRW_EINVALID, "model spec '%s': the server lists "
			    "several models, name one with ?model=NAME (%s)", spec->text,
			    ids.ptr ? ids.ptr : "");
		goto done;
	}
	if ((o->model = trw_strdup(json_string_value(json_object_get(card, "id")))) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if (json_is_integer(json_object_get(card, "max_model_len")))
		b->n_ctx = (unsigned)json_integer_value(json_object_get(card, "max_model_len"));
	else if (json_is_integer(json_object_get(json_object_get(card, "meta"), "n_ctx")))
		b->n_ctx = (unsigned)json_integer_value(
		    json_object_get(json_object_get(card, "meta"), "n_ctx"));
	if (!b->tpl && (b->tpl = trw_template_guess(o->model)) == NULL) {
		if ((error = trw_backend__template_names(&names)) == 0)
			error = trw_error_set(TRW_EINVALID, "model spec '%s': cannot tell the FIM "
			    "template of model '%s' from its name; add &template=NAME (one of: %s)",
			    spec->text, o->model, names.ptr);
		goto done;
	}
	if ((error = trw_backend__set_identity(b, "openai", o->model)) < 0)
		goto done;
	*out = b;
	b = NULL;
done:
	json_decref(root);
	trw_http_result_dispose(&res);
	trw_buf_dispose(&ids);
	trw_buf_dispose(&names);
	openai_free(b);
	return error;
}

static int openai_request(trw_backend *b, const trw_fim_query *q, const char **path,
    char **body, size_t *body_len)
{
	openai *o = (openai *)b;
	trw_buf prompt = TRW_BUF_INIT(0);
	json_t *root = NULL, *v;
	int error;

	*path = "/completions";
	/* Check each part on its own, so the message says which one. */
	if (!trw_utf8_valid(q->prefix, q->prefix_len) || !trw_utf8_valid(q->suffix, q->suffix_len))
		return trw_error_set(TRW_EINVALID, "the %s is not valid UTF-8: it cannot be sent "
		    "as JSON", trw_utf8_valid(q->prefix, q->prefix_len) ? "suffix" : "prefix");
	if ((error = trw_template_render(b->tpl, q->prefix, q->prefix_len, q->suffix,
	    q->suffix_len, &prompt)) < 0)
		goto done;
	if ((root = json_object()) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	json_object_set_new(root, "model", json_string(o->model));
	if ((v = trw_backend__string(prompt.ptr ? prompt.ptr : "", prompt.size, "prompt")) == NULL) {
		error = trw_error_last_code();
		goto done;
	}
	json_object_set_new(root, "prompt", v);
	json_object_set_new(root, "max_tokens", json_integer(q->decoding.max_tokens));
	json_object_set_new(root, "temperature", trw_backend__number(q->decoding.temperature));
	if (q->decoding.temperature > 0 && q->decoding.top_p < 1.0)
		json_object_set_new(root, "top_p", trw_backend__number(q->decoding.top_p));
	json_object_set_new(root, "seed", json_integer((json_int_t)q->decoding.seed));
	json_object_set_new(root, "stop", trw_backend__stops(q, b->tpl));
	if (q->want_logprobs)
		json_object_set_new(root, "logprobs", json_integer(1));
	error = trw_backend__dump(root, body, body_len);
	root = NULL;
done:
	json_decref(root);
	trw_buf_dispose(&prompt);
	return error;
}

static int openai_parse(trw_backend *b, const char *body, size_t len, trw_completion *out)
{
	json_t *root, *choice, *text, *lp, *arr = NULL;
	int error;

	if ((root = trw_backend__load(b, body, len)) == NULL)
		return TRW_EMODEL;
	choice = json_array_get(json_object_get(root, "choices"), 0);
	text = json_object_get(choice, "text");
	if (!json_is_string(text)) {
		json_decref(root);
		return trw_error_set(TRW_EMODEL, "openai server at %s sent a completion without "
		    "choices[0].text", b->url);
	}
	lp = json_object_get(choice, "logprobs");
	if (json_is_object(lp)) {
		/* vLLM: legacy {"token_logprobs":[...]}; llama.cpp: {"content":[{"logprob"}]} */
		arr = json_object_get(lp, "token_logprobs");
		if (!json_is_array(arr))
			arr = json_object_get(lp, "content");
	}
	error = trw_backend__completion(out, json_string_value(text), json_string_length(text), arr);
	json_decref(root);
	return error;
}

const trw_backend_ops trw_backend_openai = {
	.family = "openai",
	.params = "model template",
	.http = 1,
	.open = openai_open,
	.free = openai_free,
	.request = openai_request,
	.parse = openai_parse,
	.infill = NULL,
	.count_tokens = trw_backend__count_estimate,
};
