/*
 * backend_ref.c - the embedded reference model (model/ref.h) behind the
 * backend interface: answered in-process, no HTTP, no retries (a failure
 * of a deterministic in-memory model would only repeat).
 *
 * It adds nothing to the model: identity, context, tokenizer and infill
 * are the reference model's own.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "model/backend.h"
#include "model/ref.h"

typedef struct refb {
	trw_backend base;
	trw_refmodel *model;
} refb;

static void ref_free(trw_backend *b)
{
	if (!b)
		return;
	trw_refmodel_free(((refb *)b)->model);
	trw_backend__dispose(b);
	free(b);
}

static int ref_open(trw_backend **out, const trw_spec *spec, trw_http *http,
    const trw_engine_options *opts)
{
	refb *r;
	int error;

	(void)http;
	(void)opts;
	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return trw_error_oom();
	r->base.ops = &trw_backend_ref;
	if ((error = trw_refmodel_open(&r->model, spec->url)) < 0)
		goto done;
	if ((r->base.identity = trw_strdup(trw_refmodel_identity(r->model))) == NULL) {
		error = TRW_ENOMEM;
		goto done;
	}
	r->base.n_ctx = trw_refmodel_context(r->model);
	*out = &r->base;
	r = NULL;
done:
	ref_free(r ? &r->base : NULL);
	return error;
}

/*
 * Answer exactly as the same model behind `trawic serve` would: no HTTP
 * protocol can carry a stop rule ("stop at the end of the identifier"),
 * so a server generates with none and cuts at the request's stop string,
 * dropping the tokens that start past the cut.  Doing the same here keeps
 * `ref:PATH` and a served reference model interchangeable.
 */
static int ref_infill(trw_backend *b, const trw_fim_query *q, trw_completion *out)
{
	const trw_refmodel *m = ((refb *)b)->model;
	trw_fim_query served = *q;
	const char *stop = trw_stop_server_string(&q->stop);
	const char *hit;
	size_t cut, pos = 0, ntok = 0;
	int error;

	served.stop.mode = TRW_STOP_NONE;
	if ((error = trw_refmodel_infill(m, &served, out)) < 0)
		return error;
	if (!stop || !*stop || !out->len ||
	    !(hit = memmem(out->text, out->len, stop, strlen(stop))))
		return 0;
	cut = (size_t)(hit - out->text);
	/* tokens starting before the cut keep their log-probabilities */
	while (pos < cut && ntok < out->nlogprobs) {
		size_t n = trw_refmodel__token_len(out->text + pos, out->len - pos);

		if (n == 0)
			break;
		pos += n;
		ntok++;
	}
	out->text[cut] = '\0';
	out->len = cut;
	if (out->logprobs && ntok < out->nlogprobs)
		out->nlogprobs = ntok;
	return 0;
}

static int ref_count_tokens(trw_backend *b, const char *text, size_t len, size_t *out)
{
	*out = trw_refmodel_count_tokens(((refb *)b)->model, text, len);
	return 0;
}

const trw_backend_ops trw_backend_ref = {
	.family = "ref",
	.params = NULL,
	.http = 0,
	.open = ref_open,
	.free = ref_free,
	.request = NULL,
	.parse = NULL,
	.infill = ref_infill,
	.count_tokens = ref_count_tokens,
};
