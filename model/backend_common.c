/*
 * backend_common.c - what the model families share: parsing a model
 * spec, the synchronous calls made at open (with the wait while a server
 * loads), wording a server's error body as one line, and the small JSON
 * pieces every request and response needs (numbers, stop lists, UTF-8
 * checked strings, log-probability arrays).
 *
 * It holds no family's knowledge: field names live in each family's
 * file, FIM tokens in the template table.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/util.h"
#include "model/backend.h"
/* The one estimate of the tree, so windows and backends agree. */

static const trw_backend_ops *const families[] = {
	&trw_backend_llamacpp, &trw_backend_openai, &trw_backend_ollama, &trw_backend_ref,
};

#define SPEC_FORMS "llamacpp:http://HOST:PORT, openai:http://HOST:PORT/v1?model=NAME" \
	"[&template=NAME], ollama:http://HOST:PORT?model=NAME, ref:PATH"

const trw_backend_ops *trw_backend__find(const char *family)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strcmp(families[i]->family, family) == 0)
			return families[i];
	return NULL;
}

void trw_spec__dispose(trw_spec *s)
{
	if (!s)
		return;
	free(s->family);
	free(s->url);
	free(s->model);
	free(s->tmpl);
	memset(s, 0, sizeof(*s));
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0:len] into a new string; NULL on a bad escape. */
static char *pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%') {
			int hi, lo;

			/* %00 would cut the value short at its NUL. */
			if (i + 2 >= len || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0 || (hi == 0 && lo == 0))
				goto bad;
			*o++ = (char)(hi * 16 + lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
bad:
	free(out);
	return NULL;
}

static int has_param(const trw_backend_ops *ops, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = ops->params; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == n && strncmp(p, key, n) == 0)
			return 1;
		p = e ? e + 1 : p + len;
	}
	return 0;
}

static int parse_param(trw_spec *s, const trw_backend_ops *ops, const char *kv, size_t len)
{
	const char *eq = memchr(kv, '=', len);
	char *key = NULL, *val = NULL;
	int error = 0;

	if (!eq || eq == kv) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': '%.*s' is not KEY=VALUE",
		    s->text, (int)len, kv);
		goto done;
	}
	if ((key = pct_decode(kv, (size_t)(eq - kv))) == NULL ||
	    (val = pct_decode(eq + 1, len - (size_t)(eq - kv) - 1)) == NULL) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': bad %%-escape in '%.*s'",
		    s->text, (int)len, kv);
		goto done;
	}
	if (!has_param(ops, key)) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': %s takes no '%s' parameter "
		    "(it takes: %s)", s->text, ops->family, key,
		    ops->params && *ops->params ? ops->params : "none");
		goto done;
	}
	if (!*val) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': '%s' is empty", s->text, key);
		goto done;
	}
	if (strcmp(key, "model") == 0) {
		free(s->model);
		s->model = val;
		val = NULL;
	} else if (strcmp(key, "template") == 0) {
		free(s->tmpl);
		s->tmpl = val;
		val = NULL;
	} else if (strcmp(key, "num_ctx") == 0) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(val, &end, 10);
		if (errno || *end || val[0] == '-' || v == 0 || v > 10000000) {
			error = trw_error_set(TRW_EINVALID, "model spec '%s': num_ctx '%s' is not "
			    "a positive token count", s->text, val);
			goto done;
		}
		s->num_ctx = (unsigned)v;
	}
done:
	free(key);
	free(val);
	return error;
}

static int check_url(trw_spec *s)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int error = 0;

	if (!u)
		return trw_error_oom();
	if (strncmp(s->url, "http://", 7) != 0 && strncmp(s->url, "https://", 8) != 0) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': '%s' is not an http:// or "
		    "https:// URL", s->text, s->url);
		goto done;
	}
	if (curl_url_set(u, CURLUPART_URL, s->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': '%s' is not a valid URL",
		    s->text, s->url);
		goto done;
	}
done:
	curl_free(host);
	curl_url_cleanup(u);
	return error;
}

int trw_spec__parse(trw_spec *out, const char *text)
{
	const trw_backend_ops *ops;
	const char *colon, *rest, *q;
	size_t len;
	int error = 0;

	memset(out, 0, sizeof(*out));
	out->text = text;
	if (!text || !(colon = strchr(text, ':')) || colon == text) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': expected one of %s",
		    text ? text : "", SPEC_FORMS);
		goto done;
	}
	if ((out->family = trw_strndup(text, (size_t)(colon - text))) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if ((ops = trw_backend__find(out->family)) == NULL) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': unknown model kind '%s' "
		    "(expected one of %s)", text, out->family, SPEC_FORMS);
		goto done;
	}
	rest = colon + 1;
	if (!ops->http) {
		/* A path may hold '?' or '&': it is taken whole. */
		if (!*rest) {
			error = trw_error_set(TRW_EINVALID, "model spec '%s': no path after '%s:'",
			    text, out->family);
			goto done;
		}
		if ((out->url = trw_strdup(rest)) == NULL)
			error = TRW_ENOMEM;
		goto done;
	}
	q = strchr(rest, '?');
	len = q ? (size_t)(q - rest) : strlen(rest);
	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0) {
		error = trw_error_set(TRW_EINVALID, "model spec '%s': no URL after '%s:'",
		    text, out->family);
		goto done;
	}
	if ((out->url = trw_strndup(rest, len)) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	if ((error = check_url(out)) < 0)
		goto done;
	for (const char *p = q ? q + 1 : NULL; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		if (n && (error = parse_param(out, ops, p, n)) < 0)
			goto done;
		p = amp ? amp + 1 : p + n;
	}
done:
	if (error < 0)
		trw_spec__dispose(out);
	out->text = text;
	return error;
}

void trw_backend__dispose(trw_backend *b)
{
	if (!b)
		return;
	free(b->url);
	free(b->identity);
}

const char *trw_backend__template_name(const trw_backend *b)
{
	return b->tpl ? b->tpl->name : "-";
}

const char *trw_backend__basename(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

int trw_backend__set_identity(trw_backend *b, const char *family, const char *model)
{
	trw_buf id = TRW_BUF_INIT(0);
	int error;

	if ((error = trw_buf_printf(&id, "%s:%s@%s", family, model, b->url)) < 0) {
		trw_buf_dispose(&id);
		return error;
	}
	free(b->identity);
	b->identity = id.ptr;
	return 0;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int trw_backend__call(trw_backend *b, const char *path, const char *body,
    unsigned wait_ms, trw_http_result *res)
{
	trw_buf url = TRW_BUF_INIT(0);
	uint64_t deadline = trw_now_ns() + (uint64_t)wait_ms * 1000000u;
	unsigned interval = 100;
	int error;

	memset(res, 0, sizeof(*res));
	if ((error = trw_buf_printf(&url, "%s%s", b->url, path)) < 0)
		goto done;
	for (;;) {
		uint64_t now;

		if ((error = trw_http_call(b->http, url.ptr, body, body ? strlen(body) : 0,
		    b->timeout_ms, res)) < 0)
			goto done;
		/* A llama.cpp server listens before its model is loaded and
		 * answers 503 meanwhile; nothing else is waited for. */
		if (res->transport != 0 || res->status != 503)
			break;
		now = trw_now_ns();
		if (now >= deadline)
			break;
		trw_http_result_dispose(res);
		memset(res, 0, sizeof(*res));
		{
			uint64_t left_ms = (deadline - now) / 1000000u;

			sleep_ms(left_ms < interval ? (unsigned)left_ms + 1 : interval);
		}
		if (interval < 1000)
			interval *= 2;
	}
done:
	trw_buf_dispose(&url);
	return error;
}

/* Copy `s` as one line: control characters become spaces, runs of
 * spaces collapse, trailing space goes, long text is cut with "...". */
static void one_line(char *out, size_t outsz, const char *s, size_t len)
{
	size_t o = 0, i;
	int space = 0;

	if (outsz < 8) {
		if (outsz)
			out[0] = '\0';
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = 1;
			continue;
		}
		if (o + (space && o > 0) + 1 >= outsz)
			break;
		if (space && o > 0)
			out[o++] = ' ';
		space = 0;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (i < len) {
		size_t k = o > 3 ? o - 3 : 0;

		/* Do not cut a UTF-8 sequence in half. */
		while (k > 0 && ((unsigned char)out[k] & 0xc0) == 0x80)
			k--;
		memcpy(out + k, "...", 4);
	}
}

void trw_backend__describe(const trw_backend *b, const trw_http_result *res,
    char *out, size_t outsz)
{
	const char *family = b->ops->family;
	char words[320] = "";
	const char *type = NULL;
	json_t *root = NULL;

	if (res->transport != 0) {
		if (res->transport == CURLE_COULDNT_CONNECT || res->transport == CURLE_COULDNT_RESOLVE_HOST)
			snprintf(out, outsz, "cannot reach %s server at %s: %s", family, b->url,
			    res->transport_msg);
		else
			snprintf(out, outsz, "%s server at %s: %s", family, b->url,
			    res->transport_msg);
		return;
	}
	if (res->body.size)
		root = json_loadb(res->body.ptr, res->body.size, 0, NULL);
	if (json_is_object(root)) {
		json_t *err = json_object_get(root, "error");
		json_t *msg = NULL;

		if (json_is_object(err)) {
			/* llama.cpp and current vLLM: {"error":{"code","message","type"}} */
			msg = json_object_get(err, "message");
			type = json_string_value(json_object_get(err, "type"));
		} else if (json_is_string(err)) {
			/* Ollama {"error":"..."}; TGI adds "error_type" */
			msg = err;
			type = json_string_value(json_object_get(root, "error_type"));
		} else if (json_is_string(json_object_get(root, "message"))) {
			/* older vLLM: {"object":"error","message","type"} */
			msg = json_object_get(root, "message");
			type = json_string_value(json_object_get(root, "type"));
		}
		if (json_is_string(msg))
			one_line(words, sizeof(words), json_string_value(msg), json_string_length(msg));
	}
	if (!words[0] && res->body.size)
		one_line(words, sizeof(words), res->body.ptr, res->body.size);
	if (words[0])
		snprintf(out, outsz, "%s server at %s answered HTTP %ld%s%s%s: \"%s\"", family,
		    b->url, res->status, type ? " (" : "", type ? type : "", type ? ")" : "", words);
	else
		snprintf(out, outsz, "%s server at %s answered HTTP %ld with an empty body",
		    family, b->url, res->status);
	json_decref(root);
}

json_t *trw_backend__number(double v)
{
	if (isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static int array_has(json_t *a, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(a, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	return 0;
}

json_t *trw_backend__stops(const trw_fim_query *q, const trw_template *tpl)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	if (q->stop.mode == TRW_STOP_NEWLINE)
		json_array_append_new(a, json_string("\n"));
	else if (q->stop.mode == TRW_STOP_DELIM && q->stop.delim[0] &&
	    memchr(q->stop.delim, '\0', sizeof(q->stop.delim)) &&
	    trw_utf8_valid(q->stop.delim, strlen(q->stop.delim)))
		json_array_append_new(a, json_string(q->stop.delim));
	for (const char *const *s = tpl && tpl->stops ? tpl->stops : NULL; s && *s; s++)
		if (**s && !array_has(a, *s))
			json_array_append_new(a, json_string(*s));
	return a;
}

json_t *trw_backend__string(const char *s, size_t len, const char *what)
{
	json_t *v;

	if (!trw_utf8_valid(s, len)) {
		trw_error_set(TRW_EINVALID, "the %s is not valid UTF-8: it cannot be sent as JSON", what);
		return NULL;
	}
	if ((v = json_stringn(s, len)) == NULL)
		trw_error_oom();
	return v;
}

int trw_backend__dump(json_t *root, char **body, size_t *body_len)
{
	char *s;

	*body = NULL;
	*body_len = 0;
	if (!root)
		return trw_error_last_code() < 0 ? trw_error_last_code() : trw_error_oom();
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!s)
		return trw_error_oom();
	*body = s;
	*body_len = strlen(s);
	return 0;
}

int trw_backend__completion(trw_completion *out, const char *text, size_t len,
    json_t *logprobs)
{
	size_t i, n = 0;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if ((out->text = malloc(len + 1)) == NULL)
		return trw_error_oom();
	if (len)
		memcpy(out->text, text, len);
	out->text[len] = '\0';
	out->len = len;
	if (!json_is_array(logprobs) || json_array_size(logprobs) == 0)
		return 0;
	if ((out->logprobs = calloc(json_array_size(logprobs), sizeof(double))) == NULL) {
		free(out->text);
		out->text = NULL;
		return trw_error_oom();
	}
	json_array_foreach(logprobs, i, v) {
		json_t *lp = json_is_object(v) ? json_object_get(v, "logprob") : v;

		/* vLLM's legacy shape has a null head when it echoes the prompt. */
		if (json_is_number(lp))
			out->logprobs[n++] = json_number_value(lp);
	}
	out->nlogprobs = n;
	if (n == 0) {
		free(out->logprobs);
		out->logprobs = NULL;
	}
	return 0;
}

json_t *trw_backend__load(const trw_backend *b, const char *body, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(body, len, 0, &jerr);

	if (!root) {
		trw_error_set(TRW_EMODEL, "%s server at %s sent a body that is not JSON (%s)",
		    b->ops->family, b->url, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		trw_error_set(TRW_EMODEL, "%s server at %s sent JSON that is not an object",
		    b->ops->family, b->url);
		return NULL;
	}
	return root;
}

int trw_backend__template_names(trw_buf *out)
{
	size_t n;
	const trw_template *t = trw_template_table(&n);
	int error = 0;

	for (size_t i = 0; i < n && error == 0; i++)
		error = trw_buf_printf(out, "%s%s", i ? ", " : "", t[i].name);
	return error;
}

int trw_backend__template(const trw_template **out, const trw_spec *spec)
{
	trw_buf names = TRW_BUF_INIT(0);
	int error;

	if ((*out = trw_template_by_name(spec->tmpl)) != NULL)
		return 0;
	if ((error = trw_backend__template_names(&names)) == 0)
		error = trw_error_set(TRW_EINVALID, "model spec '%s': no FIM template named '%s' "
		    "(known: %s)", spec->text, spec->tmpl, names.ptr);
	trw_buf_dispose(&names);
	return error;
}

int trw_backend__count_estimate(trw_backend *b, const char *text, size_t len, size_t *out)
{
	(void)b;
	*out = trw_estimate_tokens(text, len);
	return 0;
}
