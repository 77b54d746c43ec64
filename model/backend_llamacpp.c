/*
 * backend_llamacpp.c - a llama.cpp server (llama-server): POST /infill,
 * where the server assembles the prompt from the GGUF's own FIM tokens.
 *
 * At open it waits while /health answers 503 ("Loading model"), then
 * reads /props: the model's name (model_alias, or the file name of
 * model_path), the per-slot context (default_generation_settings.n_ctx,
 * which is what a prompt must fit, not -c) and total_slots.  Tokens are
 * counted with the server's own tokenizer (/tokenize) while it offers
 * one.  Field names and bodies: fim-protocols.md §1.
 *
 * It sends no template: the server has the model's.  A template named in
 * the spec (or guessed from the model name) only adds its stop strings.
 * It does not retry or wait between requests (the engine does).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/util.h"
#include "model/backend.h"

typedef struct llamacpp {
	trw_backend base;
	int tokenize;		/* 1 while /tokenize works, 0 once it is missing */
} llamacpp;

static void llamacpp_free(trw_backend *b)
{
	if (!b)
		return;
	trw_backend__dispose(b);
	free(b);
}

static int fail_call(trw_backend *b, const trw_http_result *res, const char *what)
{
	char msg[512];

	trw_backend__describe(b, res, msg, sizeof(msg));
	if (res->transport == 0 && res->status == 503)
		return trw_error_set(TRW_EMODEL, "%s (still loading after the wait: %s)", msg, what);
	return trw_error_set(TRW_EMODEL, "%s", msg);
}

static int llamacpp_open(trw_backend **out, const trw_spec *spec, trw_http *http,
    const trw_engine_options *opts)
{
	llamacpp *l;
	trw_backend *b;
	trw_http_result res = { 0 };
	json_t *root = NULL, *dgs;
	const char *alias, *path, *name;
	int error = 0;

	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return trw_error_oom();
	b = &l->base;
	b->ops = &trw_backend_llamacpp;
	b->http = http;
	b->timeout_ms = opts->timeout_ms;
	l->tokenize = 1;
	if ((b->url = trw_strdup(spec->url)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if (spec->tmpl && (error = trw_backend__template(&b->tpl, spec)) < 0)
		goto done;

	if ((error = trw_backend__call(b, "/health", NULL, opts->health_wait_ms, &res)) < 0)
		goto done;
	if (res.transport != 0 || res.status != 200) {
		error = fail_call(b, &res, "GET /health");
		goto done;
	}
	trw_http_result_dispose(&res);

	if ((error = trw_backend__call(b, "/props", NULL, opts->health_wait_ms, &res)) < 0)
		goto done;
	if (res.transport != 0 || res.status != 200) {
		error = fail_call(b, &res, "GET /props");
		goto done;
	}
	if ((root = trw_backend__load(b, res.body.ptr, res.body.size)) == NULL) {
		error = TRW_EMODEL;
		goto done;
	}
	alias = json_string_value(json_object_get(root, "model_alias"));
	path = json_string_value(json_object_get(root, "model_path"));
	/* Without --alias, newer builds report the path as the alias too. */
	if (alias && *alias && (!path || strcmp(alias, path) != 0))
		name = alias;
	else if (path && *path)
		name = trw_backend__basename(path);
	else
		name = "unknown-model";
	dgs = json_object_get(root, "default_generation_settings");
	if (json_is_integer(json_object_get(dgs, "n_ctx")) &&
	    json_integer_value(json_object_get(dgs, "n_ctx")) > 0)
		b->n_ctx = (unsigned)json_integer_value(json_object_get(dgs, "n_ctx"));
	if (json_is_integer(json_object_get(root, "total_slots")) &&
	    json_integer_value(json_object_get(root, "total_slots")) > 0)
		b->slots = (unsigned)json_integer_value(json_object_get(root, "total_slots"));
	if (!b->tpl)
		b->tpl = trw_template_guess(name);
	if ((error = trw_backend__set_identity(b, "llamacpp", name)) < 0)
		goto done;
	*out = b;
	b = NULL;
done:
	json_decref(root);
	trw_http_result_dispose(&res);
	llamacpp_free(b);
	return error;
}

static int llamacpp_request(trw_backend *b, const trw_fim_query *q, const char **path,
    char **body, size_t *body_len)
{
	json_t *root = json_object(), *v;
	int error = 0;

	*path = "/infill";
	if (!root)
		return trw_error_oom();
	/* Both fields always, even empty: a missing one is a 500. */
	if ((v = trw_backend__string(q->prefix, q->prefix_len, "prefix")) == NULL)
		goto fail;
	json_object_set_new(root, "input_prefix", v);
	if ((v = trw_backend__string(q->suffix, q->suffix_len, "suffix")) == NULL)
		goto fail;
	json_object_set_new(root, "input_suffix", v);
	json_object_set_new(root, "n_predict", json_integer(q->decoding.max_tokens));
	json_object_set_new(root, "temperature", trw_backend__number(q->decoding.temperature));
	/* Greedy for certain: temperature 0 already is, top_k 1 whatever the
	 * server's sampler chain. */
	if (q->decoding.temperature <= 0)
		json_object_set_new(root, "top_k", json_integer(1));
	else if (q->decoding.top_p < 1.0)
		json_object_set_new(root, "top_p", trw_backend__number(q->decoding.top_p));
	json_object_set_new(root, "seed", json_integer((json_int_t)q->decoding.seed));
	json_object_set_new(root, "stop", trw_backend__stops(q, b->tpl));
	/* Reproducibility over speed: with prompt caching the logits may
	 * differ with the batch (fim-protocols.md §1.10). */
	json_object_set_new(root, "cache_prompt", json_false());
	if (q->want_logprobs)
		json_object_set_new(root, "n_probs", json_integer(1));
	return trw_backend__dump(root, body, body_len);
fail:
	error = trw_error_last_code();
	json_decref(root);
	return error < 0 ? error : TRW_EINVALID;
}

static int llamacpp_parse(trw_backend *b, const char *body, size_t len, trw_completion *out)
{
	json_t *root, *content;
	int error;

	if ((root = trw_backend__load(b, body, len)) == NULL)
		return TRW_EMODEL;
	content = json_object_get(root, "content");
	if (!json_is_string(content)) {
		json_decref(root);
		return trw_error_set(TRW_EMODEL, "llamacpp server at %s sent a completion "
		    "without \"content\"", b->url);
	}
	error = trw_backend__completion(out, json_string_value(content),
	    json_string_length(content), json_object_get(root, "completion_probabilities"));
	json_decref(root);
	return error;
}

static int llamacpp_count_tokens(trw_backend *b, const char *text, size_t len, size_t *out)
{
	llamacpp *l = (llamacpp *)b;
	trw_http_result res = { 0 };
	json_t *req = NULL, *root = NULL, *v;
	char *body = NULL;
	size_t body_len;
	int error = 0;

	*out = trw_estimate_tokens(text, len);
	if (!l->tokenize || len == 0)
		return 0;
	if ((req = json_object()) == NULL)
		return trw_error_oom();
	if ((v = trw_backend__string(text, len, "text to count")) == NULL) {
		/* Not UTF-8: not sendable, but the estimate still holds. */
		trw_error_clear();
		goto done;
	}
	/* As /infill tokenizes prefix and suffix: no BOS, sentinel text
	 * counted as plain text. */
	json_object_set_new(req, "content", v);
	json_object_set_new(req, "add_special", json_false());
	json_object_set_new(req, "parse_special", json_false());
	error = trw_backend__dump(req, &body, &body_len);
	req = NULL;
	if (error < 0)
		goto done;
	if ((error = trw_backend__call(b, "/tokenize", body, 0, &res)) < 0)
		goto done;
	if (res.transport == 0 && (res.status == 404 || res.status == 405 || res.status == 501)) {
		l->tokenize = 0;
		goto done;
	}
	/* Anything else that is not an answer leaves the estimate, which is
	 * never below the true count. */
	if (res.transport != 0 || res.status != 200 ||
	    (root = json_loadb(res.body.ptr, res.body.size, 0, NULL)) == NULL ||
	    !json_is_array(json_object_get(root, "tokens")))
		goto done;
	*out = json_array_size(json_object_get(root, "tokens"));
done:
	json_decref(req);
	json_decref(root);
	free(body);
	trw_http_result_dispose(&res);
	return error;
}

const trw_backend_ops trw_backend_llamacpp = {
	.family = "llamacpp",
	.params = "template",
	.http = 1,
	.open = llamacpp_open,
	.free = llamacpp_free,
	.request = llamacpp_request,
	.parse = llamacpp_parse,
	.infill = NULL,
	.count_tokens = llamacpp_count_tokens,
};
