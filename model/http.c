/*
 * http.c - libcurl multi and easy handles for the model backends.
 *
 * All the asynchronous transfers of an engine share one multi handle, so
 * they share its connection cache: a server with S slots is kept busy
 * over S keep-alive connections instead of a new TCP handshake per
 * query.  The synchronous calls (health, props, tokenize) use one easy
 * handle of their own, outside the multi, so they can run between or
 * during asynchronous work without disturbing it.
 *
 * It does not decide what to retry (http.h only classifies transport
 * failures) and never parses a body.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "common/error.h"
#include "common/util.h"
#include "model/http.h"

typedef struct xfer {
	CURL *easy;
	char *body;
	trw_buf resp;
	uint64_t tag;
	uint64_t started_ns;
	char errbuf[CURL_ERROR_SIZE];
	struct xfer *prev, *next;	/* in the running or the finished list */
	CURLcode result;
} xfer;

struct trw_http {
	CURLM *multi;
	CURL *sync;
	struct curl_slist *json_headers;
	char *noproxy;
	size_t inflight;		/* started, not collected */
	xfer *running;			/* in the multi handle */
	xfer *done_head, *done_tail;	/* finished, not collected */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

/* curl_global_init is not thread-safe on every build: once per process. */
static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void trw_http_result_dispose(trw_http_result *r)
{
	if (!r)
		return;
	trw_buf_dispose(&r->body);
}

int trw_http_transient(int transport)
{
	switch (transport) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

int trw_http_refused(int transport)
{
	return transport == CURLE_COULDNT_CONNECT;
}

int trw_http_timed_out(int transport)
{
	return transport == CURLE_OPERATION_TIMEDOUT;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	trw_buf *b = userdata;
	size_t n = size * nmemb;

	/* Returning short makes curl fail the transfer with CURLE_WRITE_ERROR. */
	if (trw_buf_put(b, ptr, n) < 0)
		return 0;
	return n;
}

/* Loopback model servers must never be sent through a proxy configured
 * for the outside world; the user's own no_proxy list is kept. */
static char *make_noproxy(void)
{
	const char *env = getenv("no_proxy");
	trw_buf b = TRW_BUF_INIT(0);

	if (!env || !*env)
		env = getenv("NO_PROXY");
	if (trw_buf_puts(&b, "localhost,127.0.0.1,::1") < 0 ||
	    (env && *env && trw_buf_printf(&b, ",%s", env) < 0)) {
		trw_buf_dispose(&b);
		return NULL;
	}
	return b.ptr;
}

static int setup_easy(trw_http *h, CURL *easy, const char *url, const char *body,
    size_t body_len, unsigned timeout_ms, trw_buf *resp, char *errbuf)
{
	long connect_ms = timeout_ms < 10000 ? (long)timeout_ms : 10000;

	if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK)
		return trw_error_set(TRW_EINVALID, "bad URL '%s'", url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(easy, CURLOPT_NOPROXY, h->noproxy);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "trawic/" PACKAGE_VERSION);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h->json_headers);
	if (body) {
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	} else {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	}
	errbuf[0] = '\0';
	return 0;
}

static void fill_result(CURL *easy, CURLcode rc, const char *errbuf, trw_buf *resp,
    uint64_t started_ns, trw_http_result *res)
{
	curl_off_t ra = 0;

	memset(res, 0, sizeof(*res));
	res->transport = (int)rc;
	if (rc != CURLE_OK)
		snprintf(res->transport_msg, sizeof(res->transport_msg), "%s",
		    errbuf[0] ? errbuf : curl_easy_strerror(rc));
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &res->status);
	if (curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
		res->retry_after_s = (long)ra;
	res->body = *resp;
	*resp = (trw_buf)TRW_BUF_INIT(TRW_HTTP_MAX_BODY);
	res->ms = (double)(trw_now_ns() - started_ns) / 1e6;
}

int trw_http_new(trw_http **out)
{
	trw_http *h = NULL;
	struct curl_slist *l = NULL;
	int error = 0;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return trw_error_set(TRW_ERROR, "libcurl: %s", curl_easy_strerror(global_rc));
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return trw_error_oom();
	if ((h->multi = curl_multi_init()) == NULL || (h->sync = curl_easy_init()) == NULL) {
		error = trw_error_set(TRW_ERROR, "libcurl: cannot create a handle");
		goto done;
	}
	/* "Expect:" turns off the 100-continue round trip curl adds to large POSTs. */
	if ((l = curl_slist_append(NULL, "Content-Type: application/json")) == NULL ||
	    (h->json_headers = l, l = curl_slist_append(l, "Accept: application/json")) == NULL ||
	    (h->json_headers = l, l = curl_slist_append(l, "Expect:")) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	h->json_headers = l;
	if ((h->noproxy = make_noproxy()) == NULL) {
		error = trw_error_oom();
		goto done;
	}
	*out = h;
	h = NULL;
done:
	trw_http_free(h);
	return error;
}

static void xfer_free(trw_http *h, xfer *x)
{
	if (!x)
		return;
	if (x->easy) {
		curl_multi_remove_handle(h->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	free(x->body);
	trw_buf_dispose(&x->resp);
	free(x);
}

void trw_http_abort(trw_http *h)
{
	xfer *x, *next;

	for (x = h->done_head; x; x = next) {
		next = x->next;
		xfer_free(h, x);
	}
	for (x = h->running; x; x = next) {
		next = x->next;
		xfer_free(h, x);
	}
	h->done_head = h->done_tail = h->running = NULL;
	h->inflight = 0;
}

void trw_http_free(trw_http *h)
{
	if (!h)
		return;
	trw_http_abort(h);
	if (h->multi)
		curl_multi_cleanup(h->multi);
	if (h->sync)
		curl_easy_cleanup(h->sync);
	curl_slist_free_all(h->json_headers);
	free(h->noproxy);
	free(h);
}

int trw_http_call(trw_http *h, const char *url, const char *body, size_t body_len,
    unsigned timeout_ms, trw_http_result *res)
{
	trw_buf resp = TRW_BUF_INIT(TRW_HTTP_MAX_BODY);
	char errbuf[CURL_ERROR_SIZE];
	uint64_t t0 = trw_now_ns();
	CURLcode rc;
	int error;

	memset(res, 0, sizeof(*res));
	curl_easy_reset(h->sync);
	if ((error = setup_easy(h, h->sync, url, body, body_len, timeout_ms, &resp, errbuf)) < 0)
		return error;
	rc = curl_easy_perform(h->sync);
	fill_result(h->sync, rc, errbuf, &resp, t0, res);
	trw_buf_dispose(&resp);
	return 0;
}

int trw_http_start(trw_http *h, const char *url, char *body, size_t body_len,
    unsigned timeout_ms, uint64_t tag)
{
	xfer *x;
	int error = 0;

	if ((x = calloc(1, sizeof(*x))) == NULL) {
		free(body);
		return trw_error_oom();
	}
	x->body = body;
	x->resp = (trw_buf)TRW_BUF_INIT(TRW_HTTP_MAX_BODY);
	x->tag = tag;
	x->started_ns = trw_now_ns();
	if ((x->easy = curl_easy_init()) == NULL) {
		error = trw_error_set(TRW_ERROR, "libcurl: cannot create a handle");
		goto done;
	}
	if ((error = setup_easy(h, x->easy, url, body, body_len, timeout_ms, &x->resp,
	    x->errbuf)) < 0)
		goto done;
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, (char *)x);
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		error = trw_error_set(TRW_ERROR, "libcurl: cannot start a transfer");
		goto done;
	}
	h->inflight++;
	x->prev = NULL;
	x->next = h->running;
	if (h->running)
		h->running->prev = x;
	h->running = x;
	x = NULL;
done:
	if (x) {
		if (x->easy)
			curl_easy_cleanup(x->easy);
		x->easy = NULL;
		xfer_free(h, x);
	}
	return error;
}

size_t trw_http_inflight(const trw_http *h)
{
	return h->inflight;
}

static int drive(trw_http *h)
{
	CURLMsg *msg;
	CURLMcode mc;
	int running = 0, left;

	if ((mc = curl_multi_perform(h->multi, &running)) != CURLM_OK)
		return trw_error_set(TRW_ERROR, "libcurl: %s", curl_multi_strerror(mc));
	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		char *priv = NULL;
		xfer *x;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (xfer *)priv;
		x->result = msg->data.result;
		curl_multi_remove_handle(h->multi, x->easy);
		if (x->prev)
			x->prev->next = x->next;
		else
			h->running = x->next;
		if (x->next)
			x->next->prev = x->prev;
		x->prev = x->next = NULL;
		if (h->done_tail)
			h->done_tail->next = x;
		else
			h->done_head = x;
		h->done_tail = x;
	}
	return 0;
}

int trw_http_poll(trw_http *h, unsigned max_wait_ms)
{
	CURLMcode mc;
	int error;

	if ((error = drive(h)) < 0)
		return error;
	/* Sleep only when nothing is finished.  With no transfer running,
	 * curl_multi_poll still waits the full time, which is what a caller
	 * waiting for a retry's due time wants. */
	if (h->done_head || max_wait_ms == 0)
		return 0;
	if ((mc = curl_multi_poll(h->multi, NULL, 0, (int)max_wait_ms, NULL)) != CURLM_OK)
		return trw_error_set(TRW_ERROR, "libcurl: %s", curl_multi_strerror(mc));
	return drive(h);
}

int trw_http_next(trw_http *h, uint64_t *tag, trw_http_result *res)
{
	xfer *x = h->done_head;

	if (!x)
		return 0;
	h->done_head = x->next;
	if (!h->done_head)
		h->done_tail = NULL;
	h->inflight--;
	*tag = x->tag;
	fill_result(x->easy, x->result, x->errbuf, &x->resp, x->started_ns, res);
	curl_easy_cleanup(x->easy);
	x->easy = NULL;
	xfer_free(h, x);
	return 1;
}
