/*
 * probe.c - candidates in, answered probes out, file by file.
 *
 * The scan (extractor/scan) hands over each file with its candidates in
 * tree order.  Each candidate becomes a FIM query: its window
 * (classifier/window), its stop rule and token budget (classifier/compare)
 * and the run's decoding parameters.  Queries of several files are
 * collected into a batch and given to the engine in one run, so that the
 * model's slots stay busy across file boundaries; then every answer is
 * cut to its unit, compared with the original, and the files of the
 * batch are delivered in order.
 *
 * It does not talk HTTP, cache or retry (the engine does), and it never
 * decides that a failed query was a miss: a failed item has no
 * similarity, and its file no feature vector.
 */
#include <stdlib.h>
#include <string.h>

#include "classifier/compare.h"
#include "classifier/probe.h"
#include "classifier/window.h"
#include "common/error.h"
#include "common/util.h"
#include "extractor/scan.h"

typedef struct item_priv {
	trw_stop stop;
	char *raw;			/* the engine's completion, owned */
	size_t raw_len;
	double *logprobs;		/* owned */
	char *message;			/* owned */
} item_priv;

typedef struct bfile {
	trw_file file;			/* path and bytes point to the copies below */
	char *path;
	char *bytes;
	trw_probe_item *items;
	item_priv *priv;
	size_t count;
	size_t failed;
	int syntax_errors;
} bfile;

typedef struct probe {
	trw_engine *engine;
	const trw_probe_options *opts;
	trw_probe_cb cb;
	void *payload;
	int cb_rc;
	bfile *files;			/* the current batch */
	size_t nfiles, files_alloc;
	size_t queued;			/* queries in the batch */
	size_t budget;			/* window tokens per query */
	trw_probe_stats stats;
	uint64_t t0;
	uint64_t files_total;	/* for progress; 0 = unknown */
} probe;

static void bfile_dispose(bfile *f)
{
	for (size_t i = 0; i < f->count; i++) {
		free(f->priv[i].raw);
		free(f->priv[i].logprobs);
		free(f->priv[i].message);
	}
	free(f->items);
	free(f->priv);
	free(f->path);
	free(f->bytes);
	memset(f, 0, sizeof(*f));
}

static void on_answer(void *payload, uint64_t id, int error, const char *message,
    const trw_completion *c);

/* A tokenizer request is a round trip: keep the model's slots fed with
 * the queries already submitted while it is made. */
static int count_with_engine(void *payload, const char *text, size_t len, size_t *out)
{
	probe *p = payload;

	if (p->queued)
		(void)trw_engine_pump(p->engine, on_answer, p);
	return trw_engine_count_tokens(p->engine, text, len, out);
}

/* The engine's answer for one query: keep a copy until the batch ends. */
static void on_answer(void *payload, uint64_t id, int error, const char *message,
    const trw_completion *c)
{
	probe *p = payload;
	size_t fi = (size_t)(id >> 32), ii = (size_t)(id & 0xffffffffu);
	bfile *f;
	trw_probe_item *it;
	item_priv *pv;

	if (fi >= p->nfiles || ii >= p->files[fi].count)
		return;		/* not ours: cannot happen, ignore defensively */
	f = &p->files[fi];
	it = &f->items[ii];
	pv = &f->priv[ii];
	if (error < 0 || !c) {
		it->error = error < 0 ? error : TRW_EMODEL;
		pv->message = strdup(message && *message ? message : "query failed");
		it->message = pv->message ? pv->message : "query failed";
		return;
	}
	pv->raw = malloc(c->len + 1);
	if (!pv->raw) {
		it->error = TRW_ENOMEM;
		it->message = "out of memory";
		return;
	}
	memcpy(pv->raw, c->text, c->len);
	pv->raw[c->len] = '\0';
	pv->raw_len = c->len;
	if (c->logprobs && c->nlogprobs) {
		pv->logprobs = malloc(c->nlogprobs * sizeof(double));
		if (pv->logprobs) {
			memcpy(pv->logprobs, c->logprobs, c->nlogprobs * sizeof(double));
			it->logprobs = pv->logprobs;
			it->nlogprobs = c->nlogprobs;
		}
	}
	it->cached = c->cached;
	it->latency_ms = c->latency_ms;
}

/* Cut, trim, compare; count hits over answered queries only. */
static void judge(probe *p, bfile *f)
{
	for (size_t i = 0; i < f->count; i++) {
		trw_probe_item *it = &f->items[i];
		item_priv *pv = &f->priv[i];
		const char *text;
		size_t len;

		if (it->error || !pv->raw) {
			if (!it->error) {
				it->error = TRW_EMODEL;
				it->message = "no answer";
			}
			it->similarity = -1;
			it->hit = -1;
			f->failed++;
			continue;
		}
		text = pv->raw;
		len = trw_completion_cut(&pv->stop, text, pv->raw_len);
		trw_text_trim(&text, &len);
		it->completion = text;
		it->completion_len = len;
		trw_compare(it->cand.kind, it->cand.text, it->cand.end_byte - it->cand.start_byte,
		    text, len, p->opts->semantic_threshold, &it->similarity, &it->hit);
		if (it->cached)
			p->stats.cache_hits++;
	}
}

static int flush(probe *p)
{
	trw_engine_stats es;
	int error = 0;

	if (p->queued)
		error = trw_engine_run(p->engine, on_answer, p);
	for (size_t i = 0; i < p->nfiles; i++) {
		bfile *f = &p->files[i];
		trw_probe_file pf;

		if (error == 0 && p->cb_rc == 0) {
			memset(&pf, 0, sizeof(pf));
			pf.file = &f->file;
			if (f->file.skipped == TRW_SKIP_NONE) {
				judge(p, f);
				pf.items = f->items;
				pf.count = f->count;
				pf.failed = f->failed;
				pf.syntax_errors = f->syntax_errors;
				for (size_t k = 0; k < f->count; k++) {
					if (f->items[k].error)
						continue;
					pf.totals[f->items[k].cand.kind]++;
					pf.hits[f->items[k].cand.kind] += f->items[k].hit == 1;
				}
				p->stats.files_probed++;
				p->stats.queries += f->count;
				p->stats.queries_failed += f->failed;
				if (f->failed)
					p->stats.files_failed++;
			}
			p->cb_rc = p->cb(&pf, p->payload);
		}
		bfile_dispose(f);
	}
	p->nfiles = 0;
	p->queued = 0;
	trw_engine_get_stats(p->engine, &es);
	p->stats.model_calls = es.model_calls;
	p->stats.deduplicated = es.deduplicated;
	if (p->opts->progress) {
		trw_probe_progress pr;

		pr.files_done = p->stats.files;
		pr.files_total = p->files_total;
		pr.queries_done = p->stats.queries;
		pr.queries_failed = p->stats.queries_failed;
		pr.cache_hits = p->stats.cache_hits;
		pr.model_calls = es.model_calls;
		pr.seconds = (trw_now_ns() - p->t0) / 1e9;
		if (p->opts->progress(&pr, p->opts->progress_payload) != 0 && !p->cb_rc)
			p->cb_rc = trw_error_set(TRW_ECANCEL, "stopped by the progress callback");
	}
	return error;
}

static bfile *batch_add(probe *p)
{
	if (p->nfiles == p->files_alloc) {
		size_t n = p->files_alloc ? p->files_alloc * 2 : 16;
		bfile *v = realloc(p->files, n * sizeof(*v));

		if (!v)
			return NULL;
		p->files = v;
		p->files_alloc = n;
	}
	memset(&p->files[p->nfiles], 0, sizeof(bfile));
	return &p->files[p->nfiles++];
}

/* Queue every candidate of one file. */
static int queue_file(probe *p, bfile *f, const trw_extract_result *res)
{
	trw_window_ctx *wctx = NULL;
	size_t fi = p->nfiles - 1;
	int error = 0;

	f->count = res->count;
	f->syntax_errors = res->has_error;
	if (!res->count)
		return 0;
	f->items = calloc(res->count, sizeof(*f->items));
	f->priv = calloc(res->count, sizeof(*f->priv));
	if (!f->items || !f->priv)
		return trw_error_oom();
	if ((error = trw_window_ctx_new(&wctx, f->bytes, (size_t)f->file.size,
	    count_with_engine, p)) < 0)
		goto done;
	for (size_t i = 0; i < res->count; i++) {
		trw_probe_item *it = &f->items[i];
		item_priv *pv = &f->priv[i];
		trw_fim_query q;
		trw_window w;
		size_t whole = 0;

		it->cand = res->candidates[i];
		it->cand.text = f->bytes + it->cand.start_byte;
		if ((error = trw_window_ctx_compute(wctx, it->cand.start_byte,
		    it->cand.end_byte, p->budget, &w)) < 0)
			goto done;
		if (trw_window_ctx_whole(wctx, it->cand.start_byte, it->cand.end_byte, &whole) == 0)
			p->stats.whole_file_tokens += whole;
		p->stats.prompt_tokens += w.prefix_tokens + w.suffix_tokens;
		it->prefix_tokens = (unsigned)w.prefix_tokens;
		it->suffix_tokens = (unsigned)w.suffix_tokens;
		if ((error = trw_stop_for_candidate(it->cand.kind, f->bytes, (size_t)f->file.size,
		    it->cand.start_byte, it->cand.end_byte, &pv->stop)) < 0)
			goto done;

		memset(&q, 0, sizeof(q));
		q.prefix = f->bytes + w.prefix_start;
		q.prefix_len = it->cand.start_byte - w.prefix_start;
		q.suffix = f->bytes + it->cand.end_byte;
		q.suffix_len = w.suffix_end - it->cand.end_byte;
		q.kind = it->cand.kind;
		q.stop = pv->stop;
		q.decoding = p->opts->decoding;
		if (!q.decoding.max_tokens)
			q.decoding.max_tokens = trw_kind_max_tokens(it->cand.kind);
		q.want_logprobs = p->opts->want_logprobs;
		if ((error = trw_engine_submit(p->engine, ((uint64_t)fi << 32) | i, &q)) < 0)
			goto done;
		p->queued++;
		(void)trw_engine_pump(p->engine, on_answer, p);
	}
done:
	trw_window_ctx_free(wctx);
	return error;
}

static int on_file(const trw_file *file, const trw_extract_result *res, void *payload)
{
	probe *p = payload;
	bfile *f;
	int error;

	p->stats.files++;
	if (!(f = batch_add(p)))
		return trw_error_oom();
	f->file = *file;
	f->path = strdup(file->path);
	if (!f->path)
		return trw_error_oom();
	f->file.path = f->path;
	f->file.bytes = NULL;
	if (res) {
		f->bytes = malloc((size_t)file->size + 1);
		if (!f->bytes)
			return trw_error_oom();
		memcpy(f->bytes, file->bytes, (size_t)file->size);
		f->bytes[file->size] = '\0';
		f->file.bytes = f->bytes;
		if ((error = queue_file(p, f, res)) < 0)
			return error;
	}
	if (p->queued >= p->opts->batch_queries) {
		if ((error = flush(p)) < 0)
			return error;
		if (p->cb_rc)
			return p->cb_rc;
	}
	return 0;
}

int trw_probe_run(trw_engine *engine, const char *spec, const trw_probe_options *opts,
    trw_probe_cb cb, void *payload, trw_probe_stats *stats)
{
	trw_probe_options defaults = TRW_PROBE_OPTIONS_INIT;
	trw_scan_options sopts = TRW_SCAN_OPTIONS_INIT;
	trw_source_options srcopts;
	trw_source *src = NULL;
	unsigned context;
	probe p;
	int error;

	if (!opts)
		opts = &defaults;
	memset(&p, 0, sizeof(p));
	p.engine = engine;
	p.opts = opts;
	p.cb = cb;
	p.payload = payload;
	p.t0 = trw_now_ns();

	/* window budget: what the context leaves once the answer fits */
	context = opts->context_tokens ? opts->context_tokens : trw_engine_context(engine);
	if (!context)
		context = 2048;
	p.budget = context > 256 + 32 ? context - 256 - 32 : context / 2;
	if (!opts->context_tokens && opts->max_window_tokens && p.budget > opts->max_window_tokens)
		p.budget = opts->max_window_tokens;

	srcopts = opts->source;
	srcopts.langs = opts->langs;
	if ((error = trw_source_open(&src, spec, &srcopts)) < 0)
		goto done;
	if ((error = trw_source_set_revision(src, opts->rev)) < 0)
		goto done;
	snprintf(p.stats.commit, sizeof(p.stats.commit), "%s", trw_source_commit(src));
	/* The total, for an ETA: a progress line without one is still a
	 * progress line, so a failed count is not an error. */
	if (opts->progress && trw_source_count(src, &p.files_total) < 0) {
		p.files_total = 0;
		trw_error_clear();
	}
	sopts.threads = opts->threads;
	sopts.extract.kinds = opts->kinds;
	error = trw_scan(src, &sopts, on_file, &p);
	if (error >= 0 && !p.cb_rc) {
		error = flush(&p);
	} else {
		/* stopped early: drop what was queued without asking the model */
		for (size_t i = 0; i < p.nfiles; i++)
			bfile_dispose(&p.files[i]);
		p.nfiles = 0;
	}
	if (error == 0 && p.cb_rc)
		error = p.cb_rc;
	if (error == 0 && p.stats.queries_failed)
		error = trw_error_set(TRW_EMODEL, "%llu of %llu queries failed after retries; "
		    "the results are incomplete", (unsigned long long)p.stats.queries_failed,
		    (unsigned long long)p.stats.queries);

done:
	p.stats.seconds = (trw_now_ns() - p.t0) / 1e9;
	if (stats)
		*stats = p.stats;
	free(p.files);
	trw_source_free(src);
	return error;
}
