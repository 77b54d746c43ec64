/*
 * svm.c - training, prediction and the classifier file.
 *
 * libsvm supplies the SVM and nothing else: the folds, the grid search,
 * the class weights, the encoding of missing values and the Platt
 * sigmoid are ours, because libsvm's cross-validation and probability
 * training split files of one repository across folds (a leak the
 * original TraWiC also had).  The classifier file is JSON with libsvm's
 * own model text embedded and a checksum over a canonical dump.
 *
 * Not here: where vectors come from (features.c), what a repository
 * verdict is (verdict.c), the figures themselves (metrics.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libsvm/svm.h>
#include <openssl/evp.h>

#include "classifier/svm.h"
#include "common/error.h"
#include "common/util.h"

#define MAX_DIM (TRW_FEATURES_MAX_COLUMNS + TRW_FEATURES_MAX_INDICATORS)
#define MAX_FILE_BYTES (256u << 20)	/* a classifier file larger than this is refused */
#define MAX_SV 10000000

#define SELECTED_BY "roc_auc, then log_loss, then smaller C, then smaller gamma"

/* The fitted encoding of file vectors into SVM input (see svm.h). */
typedef struct encoding {
	const trw_feature_schema *fs;
	int ind_col[TRW_FEATURES_MAX_INDICATORS];	/* the column that decides each indicator */
	double mean[TRW_FEATURES_MAX_COLUMNS];
	double scale[TRW_FEATURES_MAX_COLUMNS];
} encoding;

struct trw_classifier {
	unsigned schema;
	encoding enc;
	double platt_a, platt_b;
	double file_threshold, repo_threshold;
	struct svm_model *model;	/* loaded from model_text: owns its memory */
	int sign;			/* +1 when libsvm's first label is member */
	char *model_text;
	char *strings[4];		/* provenance: model, manifest, version, created */
	trw_classifier_provenance prov;
	trw_cv_summary cv;
	json_t *grid;
	trw_classifier_info info;
};

/* Put `prefix: ` before the thread's last message (which cannot be an
 * argument of its own trw_error_set). */
static int prefix_error(int code, const char *prefix)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s", trw_error_last());
	return trw_error_set(code, "%s: %s", prefix, msg);
}

/* ---- libsvm plumbing ---------------------------------------------------------- */

static void print_nothing(const char *s)
{
	(void)s;
}

static pthread_once_t quiet_once = PTHREAD_ONCE_INIT;

static void make_quiet(void)
{
	svm_set_print_string_function(print_nothing);
}

/* libsvm's save/load switch the process locale; one at a time at least. */
static pthread_mutex_t io_lock = PTHREAD_MUTEX_INITIALIZER;

static int temp_path(char *path, size_t size)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	if ((size_t)snprintf(path, size, "%s/trawic-svm-XXXXXX", dir) >= size)
		return trw_error_set(TRW_EIO, "TMPDIR is too long");
	if ((fd = mkstemp(path)) < 0)
		return trw_error_set(TRW_EIO, "cannot create a temporary file in %s: %s", dir,
		    strerror(errno));
	return fd;
}

/* libsvm's model text of `m` into *out (malloc'd, NUL-terminated). */
static int model_to_text(char **out, const struct svm_model *m)
{
	char path[4096];
	struct stat st;
	char *text = NULL;
	int fd, error = 0, saved;
	size_t got = 0;

	*out = NULL;
	if ((fd = temp_path(path, sizeof(path))) < 0)
		return fd;
	pthread_mutex_lock(&io_lock);
	saved = svm_save_model(path, m);
	pthread_mutex_unlock(&io_lock);
	unlink(path);
	if (saved != 0) {
		error = trw_error_set(TRW_EIO, "libsvm could not write its model to %s", path);
		goto done;
	}
	if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uintmax_t)st.st_size > MAX_FILE_BYTES) {
		error = trw_error_set(TRW_EIO, "libsvm's model file is unreadable or too large");
		goto done;
	}
	if (!(text = malloc((size_t)st.st_size + 1))) {
		error = trw_error_oom();
		goto done;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = pread(fd, text + got, (size_t)st.st_size - got, (off_t)got);

		if (r <= 0) {
			error = trw_error_set(TRW_EIO, "reading libsvm's model back: %s",
			    r < 0 ? strerror(errno) : "short file");
			goto done;
		}
		got += (size_t)r;
	}
	text[got] = '\0';
	*out = text;
	text = NULL;
done:
	free(text);
	close(fd);
	return error;
}

static int model_from_text(struct svm_model **out, const char *text, size_t len)
{
	char path[4096];
	int fd, error = 0;
	size_t put = 0;

	*out = NULL;
	if ((fd = temp_path(path, sizeof(path))) < 0)
		return fd;
	while (put < len) {
		ssize_t w = write(fd, text + put, len - put);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error = trw_error_set(TRW_EIO, "writing a temporary model file: %s",
			    strerror(errno));
			goto done;
		}
		put += (size_t)w;
	}
	pthread_mutex_lock(&io_lock);
	*out = svm_load_model(path);
	pthread_mutex_unlock(&io_lock);
	if (!*out)
		error = trw_error_set(TRW_EINVALID, "the embedded libsvm model does not load");
done:
	unlink(path);
	close(fd);
	return error;
}

/*
 * Check libsvm's model text before libsvm parses it: libsvm trusts its
 * input (array sizes from the header), and a classifier file is read
 * from disk.  Accepted: exactly what svm_save_model writes for a
 * two-class C-SVC with an RBF kernel and no probability information.
 */
static int check_model_text(const char *text, size_t dim, double *gamma_out)
{
	const char *p = text, *eol;
	long total = -1, nsv[2] = { -1, -1 };
	int label[2] = { 0, 0 };
	char line[256];
	enum { H_TYPE, H_KERNEL, H_GAMMA, H_NRCLASS, H_TOTAL, H_RHO, H_LABEL, H_NRSV, H_SV } want = H_TYPE;

#define BAD(what) trw_error_set(TRW_EINVALID, "the embedded libsvm model is malformed: %s", what)
	while (want != H_SV + 1) {
		size_t l;
		char *end;

		if (!(eol = strchr(p, '\n')))
			return BAD("a header line is unterminated");
		l = (size_t)(eol - p);
		if (l >= sizeof(line))
			return BAD("a header line is too long");
		memcpy(line, p, l);
		line[l] = '\0';
		p = eol + 1;
		switch (want) {
		case H_TYPE:
			if (strcmp(line, "svm_type c_svc") != 0)
				return BAD("not a c_svc model");
			break;
		case H_KERNEL:
			if (strcmp(line, "kernel_type rbf") != 0)
				return BAD("not an rbf kernel");
			break;
		case H_GAMMA:
			if (strncmp(line, "gamma ", 6) != 0)
				return BAD("no gamma");
			*gamma_out = strtod(line + 6, &end);
			if (*end || !(*gamma_out > 0) || !isfinite(*gamma_out))
				return BAD("gamma");
			break;
		case H_NRCLASS:
			if (strcmp(line, "nr_class 2") != 0)
				return BAD("not two classes");
			break;
		case H_TOTAL:
			if (strncmp(line, "total_sv ", 9) != 0)
				return BAD("no total_sv");
			total = strtol(line + 9, &end, 10);
			if (*end || total < 1 || total > MAX_SV)
				return BAD("total_sv");
			break;
		case H_RHO:
			if (strncmp(line, "rho ", 4) != 0)
				return BAD("no rho");
			if (!isfinite(strtod(line + 4, &end)) || *end)
				return BAD("rho");
			break;
		case H_LABEL:
			if (sscanf(line, "label %d %d", &label[0], &label[1]) != 2 ||
			    !((label[0] == 1 && label[1] == -1) || (label[0] == -1 && label[1] == 1)))
				return BAD("labels are not 1 and -1");
			break;
		case H_NRSV:
			if (sscanf(line, "nr_sv %ld %ld", &nsv[0], &nsv[1]) != 2 || nsv[0] < 0 ||
			    nsv[1] < 0 || nsv[0] + nsv[1] != total)
				return BAD("nr_sv");
			break;
		case H_SV:
			if (strcmp(line, "SV") != 0)
				return BAD("no SV section");
			break;
		}
		want++;
	}
	for (long i = 0; i < total; i++) {
		char *end;
		long last = 0;

		if (!(eol = strchr(p, '\n')))
			return BAD("fewer support vectors than total_sv");
		if (!isfinite(strtod(p, &end)) || end == p || end > eol)
			return BAD("a support vector's coefficient");
		p = end;
		for (;;) {
			long index;

			while (p < eol && *p == ' ')
				p++;
			if (p == eol)
				break;
			index = strtol(p, &end, 10);
			if (end == p || end >= eol || *end != ':' || index <= last ||
			    (size_t)index > dim)
				return BAD("a support vector's index");
			last = index;
			p = end + 1;
			if (!isfinite(strtod(p, &end)) || end == p || end > eol)
				return BAD("a support vector's value");
			p = end;
		}
		p = eol + 1;
	}
	if (*p)
		return BAD("text after the last support vector");
#undef BAD
	return 0;
}

/* ---- encoding ------------------------------------------------------------------- */

static void encoding_init(encoding *e, const trw_feature_schema *fs)
{
	e->fs = fs;
	for (size_t g = 0; g < fs->nindicators; g++) {
		e->ind_col[g] = -1;
		for (size_t j = 0; j < fs->ncols && e->ind_col[g] < 0; j++)
			if (fs->indicator[j] == (int)g)
				e->ind_col[g] = (int)j;
	}
	for (size_t j = 0; j < fs->ncols; j++) {
		e->mean[j] = 0;
		e->scale[j] = 1;
	}
}

/* Fit on the rows whose fold differs from `exclude` (all rows: exclude = -1). */
static void encoding_fit(encoding *e, const double *X, size_t n, const unsigned *fold_of,
    int exclude)
{
	size_t ncols = e->fs->ncols;

	for (size_t j = 0; j < ncols; j++) {
		double sum = 0, ss = 0;
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			double v = X[i * ncols + j];

			if (isnan(v) || (fold_of && (int)fold_of[i] == exclude))
				continue;
			sum += v;
			m++;
		}
		e->mean[j] = m ? sum / (double)m : 0;
		for (size_t i = 0; i < n; i++) {
			double v = X[i * ncols + j];

			if (isnan(v) || (fold_of && (int)fold_of[i] == exclude))
				continue;
			ss += (v - e->mean[j]) * (v - e->mean[j]);
		}
		e->scale[j] = m ? sqrt(ss / (double)m) : 1;
		if (!(e->scale[j] >= 1e-12))
			e->scale[j] = 1;
	}
}

static size_t dimension(const encoding *e)
{
	return e->fs->ncols + e->fs->nindicators;
}

/* One row into libsvm's sparse form (zeros left out); returns the nodes
 * written, terminator included (at most dimension + 1). */
static size_t encode(const encoding *e, const double *x, struct svm_node *out)
{
	size_t k = 0, ncols = e->fs->ncols;

	for (size_t j = 0; j < ncols; j++) {
		double v = isnan(x[j]) ? 0 : (x[j] - e->mean[j]) / e->scale[j];

		if (v != 0)
			out[k++] = (struct svm_node){ (int)j + 1, v };
	}
	for (size_t g = 0; g < e->fs->nindicators; g++)
		if (isnan(x[e->ind_col[g]]))
			out[k++] = (struct svm_node){ (int)(ncols + g) + 1, 1 };
	out[k++] = (struct svm_node){ -1, 0 };
	return k;
}

/* ---- Platt scaling -------------------------------------------------------------- */

/*
 * Platt's sigmoid by Lin, Lin and Weng's Newton method with backtracking
 * (libsvm's sigmoid_train, which is not exported), on the samples whose
 * fold differs from `exclude`.  Targets are smoothed, (N+ + 1)/(N+ + 2)
 * and 1/(N- + 2), so separable data gives a finite slope.
 */
static void platt_fit(double *A, double *B, const double *f, const int *y, size_t n,
    const unsigned *fold_of, int exclude)
{
	double prior1 = 0, prior0 = 0, hi, lo, fval = 0, a, b;
	const int max_iter = 100;
	const double min_step = 1e-10, sigma = 1e-12, eps = 1e-5;

#define USE(i) (!fold_of || (int)fold_of[i] != exclude)
#define T(i) (y[i] ? hi : lo)
	for (size_t i = 0; i < n; i++)
		if (USE(i))
			y[i] ? prior1++ : prior0++;
	hi = (prior1 + 1.0) / (prior1 + 2.0);
	lo = 1 / (prior0 + 2.0);
	a = 0;
	b = log((prior0 + 1.0) / (prior1 + 1.0));
	for (size_t i = 0; i < n; i++) {
		double fApB = f[i] * a + b;

		if (!USE(i))
			continue;
		fval += fApB >= 0 ? T(i) * fApB + log1p(exp(-fApB))
				  : (T(i) - 1) * fApB + log1p(exp(fApB));
	}
	for (int iter = 0; iter < max_iter; iter++) {
		double h11 = sigma, h22 = sigma, h21 = 0, g1 = 0, g2 = 0, det, dA, dB, gd, step;

		for (size_t i = 0; i < n; i++) {
			double fApB = f[i] * a + b, p, q, d1, d2;

			if (!USE(i))
				continue;
			if (fApB >= 0) {
				p = exp(-fApB) / (1.0 + exp(-fApB));
				q = 1.0 / (1.0 + exp(-fApB));
			} else {
				p = 1.0 / (1.0 + exp(fApB));
				q = exp(fApB) / (1.0 + exp(fApB));
			}
			d2 = p * q;
			h11 += f[i] * f[i] * d2;
			h22 += d2;
			h21 += f[i] * d2;
			d1 = T(i) - p;
			g1 += f[i] * d1;
			g2 += d1;
		}
		if (fabs(g1) < eps && fabs(g2) < eps)
			break;
		det = h11 * h22 - h21 * h21;
		dA = -(h22 * g1 - h21 * g2) / det;
		dB = -(-h21 * g1 + h11 * g2) / det;
		gd = g1 * dA + g2 * dB;
		for (step = 1; step >= min_step; step /= 2) {
			double na = a + step * dA, nb = b + step * dB, nf = 0;

			for (size_t i = 0; i < n; i++) {
				double fApB = f[i] * na + nb;

				if (!USE(i))
					continue;
				nf += fApB >= 0 ? T(i) * fApB + log1p(exp(-fApB))
						: (T(i) - 1) * fApB + log1p(exp(fApB));
			}
			if (nf < fval + 0.0001 * step * gd) {
				a = na;
				b = nb;
				fval = nf;
				break;
			}
		}
		if (step < min_step)
			break;	/* line search failed: keep the best point so far */
	}
#undef T
#undef USE
	*A = a;
	*B = b;
}

static double platt_p(double A, double B, double f)
{
	double fApB = f * A + B;

	return fApB >= 0 ? exp(-fApB) / (1.0 + exp(-fApB)) : 1.0 / (1 + exp(fApB));
}

/* ---- folds ---------------------------------------------------------------------- */

static uint64_t mix64(uint64_t z)
{
	z += 0x9e3779b97f4a7c15ull;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t group_key(const char *name, uint32_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull;	/* FNV-1a */

	for (const unsigned char *s = (const unsigned char *)name; *s; s++)
		h = (h ^ *s) * 0x100000001b3ull;
	return mix64(h ^ mix64(seed));
}

typedef struct {
	const char *name;
	size_t index;
} named;

static int cmp_named(const void *a, const void *b)
{
	const named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->index > y->index) - (x->index < y->index);
}

typedef struct {
	const char *name;
	uint64_t key;
	int label;
	size_t size;
	unsigned fold;
} group;

static int cmp_group(const void *a, const void *b)
{
	const group *x = a, *y = b;

	if (x->label != y->label)
		return y->label - x->label;	/* members first */
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->name, y->name);
}

int trw_classifier_folds(unsigned *out, const int *labels, const char *const *groups,
    size_t n, unsigned folds, uint32_t seed)
{
	named *order = NULL;
	group *g = NULL;
	size_t ng = 0, per_label[2] = { 0, 0 };
	size_t *load = NULL, *total = NULL;
	int error = 0;

	if (folds < 2)
		return trw_error_set(TRW_EINVALID, "cross-validation needs at least 2 folds, not %u",
		    folds);
	for (size_t i = 0; i < n; i++) {
		if (labels[i] != 0 && labels[i] != 1)
			return trw_error_set(TRW_EINVALID, "label %d of sample %zu is not 0 or 1",
			    labels[i], i);
		if (!groups[i])
			return trw_error_set(TRW_EINVALID, "sample %zu has no repository", i);
	}
	if (!n)
		return trw_error_set(TRW_EINVALID, "no samples");
	if (!(order = malloc(n * sizeof(*order))) || !(g = malloc(n * sizeof(*g))) ||
	    !(load = calloc(2 * folds, sizeof(*load))) ||
	    !(total = calloc(folds, sizeof(*total)))) {
		error = trw_error_oom();
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = (named){ groups[i], i };
	if (n > 1)
		qsort(order, n, sizeof(*order), cmp_named);
	for (size_t i = 0; i < n; i++) {
		size_t s = order[i].index;

		if (i == 0 || strcmp(order[i].name, order[i - 1].name) != 0) {
			g[ng] = (group){ order[i].name, group_key(order[i].name, seed), labels[s], 0, 0 };
			per_label[labels[s]]++;
			ng++;
		} else if (g[ng - 1].label != labels[s]) {
			error = trw_error_set(TRW_EINVALID,
			    "repository \"%s\" has files labelled member and non-member; "
			    "a repository's label is its unit's label", order[i].name);
			goto done;
		}
		g[ng - 1].size++;
	}
	if (ng < folds) {
		error = trw_error_set(TRW_EINVALID,
		    "%u-fold cross-validation needs at least %u repositories; there are %zu",
		    folds, folds, ng);
		goto done;
	}
	if (per_label[0] < 2 || per_label[1] < 2) {
		error = trw_error_set(TRW_EINVALID,
		    "grouped cross-validation needs at least 2 member and 2 non-member "
		    "repositories; there are %zu and %zu", per_label[1], per_label[0]);
		goto done;
	}
	if (ng > 1)
		qsort(g, ng, sizeof(*g), cmp_group);
	for (size_t k = 0; k < ng; k++) {
		size_t *l = load + (size_t)g[k].label * folds;
		unsigned best = 0;

		for (unsigned f = 1; f < folds; f++)
			if (l[f] < l[best] || (l[f] == l[best] && total[f] < total[best]))
				best = f;
		g[k].fold = best;
		l[best] += g[k].size;
		total[best] += g[k].size;
	}
	/* back to samples: the groups in name order, looked up by bisection */
	for (size_t k = 0; k < ng; k++)
		order[k] = (named){ g[k].name, k };
	if (ng > 1)
		qsort(order, ng, sizeof(*order), cmp_named);
	for (size_t i = 0; i < n; i++) {
		size_t lo = 0, hi = ng;

		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(order[mid].name, groups[i]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		out[i] = g[order[lo].index].fold;
	}
done:
	free(order);
	free(g);
	free(load);
	free(total);
	return error;
}

/* ---- training ------------------------------------------------------------------- */

typedef struct fold_data {
	struct svm_node *nodes;		/* n rows of up to dim + 1 nodes */
	struct svm_node **x;		/* every row, encoded with this fold's fit */
	struct svm_node **train_x;
	double *train_y;
	size_t ntrain;
	double w_member, w_non;
} fold_data;

typedef struct grid {
	/* input */
	const fold_data *fd;
	unsigned nfolds;
	const unsigned *fold_of;
	const int *y;
	size_t n;
	unsigned ncells, nc, ng;
	int c0, cstep, g0, gstep;
	double cache_mb, eps;
	unsigned patience;
	const trw_classifier_options *opts;
	/* output, per cell */
	double *oof;			/* ncells x n oriented decision values */
	double *auc, *logloss;
	/* work sharing */
	pthread_mutex_t lock;
	unsigned next, done;
	int error;
	unsigned error_cell;
	char message[512];
} grid;

static void class_weights(double *w_member, double *w_non, const int *y, size_t n,
    const unsigned *fold_of, int exclude)
{
	size_t m = 0, total = 0;

	for (size_t i = 0; i < n; i++)
		if (!fold_of || (int)fold_of[i] != exclude) {
			total++;
			m += (size_t)y[i];
		}
	*w_member = (double)total / (2.0 * (double)m);
	*w_non = (double)total / (2.0 * (double)(total - m));
}

static int train_model(struct svm_model **out, const fold_data *fd, double C, double gamma,
    double cache_mb, double eps)
{
	int wl[2] = { 1, -1 };
	double w[2] = { fd->w_member, fd->w_non };
	struct svm_problem prob = { (int)fd->ntrain, fd->train_y, fd->train_x };
	struct svm_parameter param = {
		.svm_type = C_SVC, .kernel_type = RBF, .gamma = gamma,
		.cache_size = cache_mb, .eps = eps, .C = C,
		.nr_weight = 2, .weight_label = wl, .weight = w,
		.shrinking = 1, .probability = 0,
	};
	const char *msg = svm_check_parameter(&prob, &param);

	*out = NULL;
	if (msg)
		return trw_error_set(TRW_EINVALID, "libsvm refuses the parameters: %s", msg);
	if (!(*out = svm_train(&prob, &param)))
		return trw_error_oom();
	/* the model keeps pointers to wl and w; neither is read again */
	(*out)->param.weight_label = NULL;
	(*out)->param.weight = NULL;
	(*out)->param.nr_weight = 0;
	return 0;
}

static int orientation(const struct svm_model *m)
{
	int labels[2];

	svm_get_labels(m, labels);
	return labels[0] == 1 ? 1 : -1;
}

static int run_cell(grid *G, unsigned cell)
{
	int lc = G->c0 + (int)(cell / G->ng) * G->cstep;
	int lg = G->g0 + (int)(cell % G->ng) * G->gstep;
	double *oof = G->oof + (size_t)cell * G->n, ll = 0;
	int error;

	for (unsigned f = 0; f < G->nfolds; f++) {
		const fold_data *fd = &G->fd[f];
		struct svm_model *m;
		int sign;

		if ((error = train_model(&m, fd, ldexp(1, lc), ldexp(1, lg), G->cache_mb,
		    G->eps)) < 0)
			return error;
		sign = orientation(m);
		for (size_t i = 0; i < G->n; i++)
			if (G->fold_of[i] == f) {
				double dec;

				svm_predict_values(m, fd->x[i], &dec);
				oof[i] = sign * dec;
			}
		svm_free_and_destroy_model(&m);
	}
	if ((error = trw_metrics_auc(&G->auc[cell], G->y, oof, G->n)) < 0)
		return error;
	for (unsigned f = 0; f < G->nfolds; f++) {
		double A, B;

		platt_fit(&A, &B, oof, G->y, G->n, G->fold_of, (int)f);
		for (size_t i = 0; i < G->n; i++)
			if (G->fold_of[i] == f) {
				double p = fmin(fmax(platt_p(A, B, oof[i]), 1e-15), 1 - 1e-15);

				ll -= G->y[i] ? log(p) : log1p(-p);
			}
	}
	G->logloss[cell] = ll / (double)G->n;
	return 0;
}

/*
 * One gamma column, C ascending.  With a patience p > 0 the column stops
 * after p consecutive cells that do not raise its best ROC-AUC: large C
 * on overlapping data is where libsvm is slowest and where the AUC has
 * stopped rising.  Skipped cells have AUC NaN and are never selected.
 */
static int run_column(grid *G, unsigned column)
{
	double best = -1;
	unsigned misses = 0;
	int error;

	for (unsigned i = 0; i < G->nc; i++) {
		unsigned cell = i * G->ng + column;

		if (G->patience && misses >= G->patience) {
			G->auc[cell] = G->logloss[cell] = NAN;
		} else {
			if ((error = run_cell(G, cell)) < 0)
				return error;
			if (G->auc[cell] > best + 1e-12) {
				best = G->auc[cell];
				misses = 0;
			} else {
				misses++;
			}
		}
		pthread_mutex_lock(&G->lock);
		G->done++;
		if (G->opts->progress)
			G->opts->progress(G->done, G->ncells, G->opts->progress_payload);
		pthread_mutex_unlock(&G->lock);
	}
	return 0;
}

static void *grid_worker(void *arg)
{
	grid *G = arg;

	for (;;) {
		unsigned column;
		int error;

		pthread_mutex_lock(&G->lock);
		if (G->error || G->next >= G->ng) {
			pthread_mutex_unlock(&G->lock);
			return NULL;
		}
		column = G->next++;
		pthread_mutex_unlock(&G->lock);

		if ((error = run_column(G, column)) < 0) {
			pthread_mutex_lock(&G->lock);
			if (!G->error || column < G->error_cell) {
				G->error = error;
				G->error_cell = column;
				snprintf(G->message, sizeof(G->message), "%s", trw_error_last());
			}
			pthread_mutex_unlock(&G->lock);
		}
	}
}

static int run_grid(grid *G, unsigned threads)
{
	pthread_t tid[64];
	unsigned started = 0;

	if (threads > G->ng)
		threads = G->ng;
	if (threads > 64)
		threads = 64;
	pthread_mutex_init(&G->lock, NULL);
	for (unsigned t = 1; t < threads; t++) {
		if (pthread_create(&tid[started], NULL, grid_worker, G) != 0)
			break;	/* fewer threads: slower, same result */
		started++;
	}
	grid_worker(G);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&G->lock);
	if (G->error)
		return trw_error_set(G->error, "%s", G->message);
	return 0;
}

static void fold_data_dispose(fold_data *fd)
{
	free(fd->nodes);
	free(fd->x);
	free(fd->train_x);
	free(fd->train_y);
}

/* Encode every row with an encoding fitted on the rows not in `exclude`. */
static int fold_data_build(fold_data *fd, encoding *enc, const double *X, const int *y,
    size_t n, const unsigned *fold_of, int exclude)
{
	size_t dim = dimension(enc), ncols = enc->fs->ncols;

	memset(fd, 0, sizeof(*fd));
	encoding_fit(enc, X, n, fold_of, exclude);
	class_weights(&fd->w_member, &fd->w_non, y, n, fold_of, exclude);
	if (!(fd->nodes = malloc(n * (dim + 1) * sizeof(*fd->nodes))) ||
	    !(fd->x = malloc(n * sizeof(*fd->x))) ||
	    !(fd->train_x = malloc(n * sizeof(*fd->train_x))) ||
	    !(fd->train_y = malloc(n * sizeof(*fd->train_y)))) {
		fold_data_dispose(fd);
		return trw_error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		fd->x[i] = fd->nodes + i * (dim + 1);
		encode(enc, X + i * ncols, fd->x[i]);
		if (!fold_of || (int)fold_of[i] != exclude) {
			fd->train_x[fd->ntrain] = fd->x[i];
			fd->train_y[fd->ntrain++] = y[i] ? 1 : -1;
		}
	}
	return 0;
}

static char *dup_or_null(const char *s, int *error)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*error = trw_error_oom();
	return d;
}

static void now_iso8601(char *out, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void fill_info(trw_classifier *c)
{
	c->prov.model = c->strings[0];
	c->prov.corpus_manifest_sha256 = c->strings[1];
	c->prov.trawic_version = c->strings[2];
	c->prov.created = c->strings[3];
	c->info.schema = c->schema;
	c->info.features = c->enc.fs;
	c->info.file_threshold = c->file_threshold;
	c->info.repo_threshold = c->repo_threshold;
	c->info.platt_a = c->platt_a;
	c->info.platt_b = c->platt_b;
	c->info.support_vectors = c->model ? (size_t)svm_get_nr_sv(c->model) : 0;
	c->info.provenance = &c->prov;
	c->info.cv = &c->cv;
}

static int set_provenance(trw_classifier *c, const trw_classifier_provenance *prov)
{
	trw_classifier_provenance none = { NULL, NULL, NULL, NULL };
	char created[32];
	int error = 0;

	if (!prov)
		prov = &none;
	if (!prov->created)
		now_iso8601(created, sizeof(created));
	c->strings[0] = dup_or_null(prov->model, &error);
	c->strings[1] = dup_or_null(prov->corpus_manifest_sha256, &error);
	c->strings[2] = dup_or_null(prov->trawic_version ? prov->trawic_version : PACKAGE_VERSION,
	    &error);
	c->strings[3] = dup_or_null(prov->created ? prov->created : created, &error);
	return error;
}

static int grid_json(json_t **out, const grid *G)
{
	json_t *o = json_object(), *lc = json_array(), *lg = json_array(), *auc = json_array(),
	    *ll = json_array();

	*out = NULL;
	if (!o || !lc || !lg || !auc || !ll)
		goto oom;
	for (unsigned i = 0; i < G->nc; i++)
		if (json_array_append_new(lc, json_integer(G->c0 + (int)i * G->cstep)) < 0)
			goto oom;
	for (unsigned j = 0; j < G->ng; j++)
		if (json_array_append_new(lg, json_integer(G->g0 + (int)j * G->gstep)) < 0)
			goto oom;
	for (unsigned i = 0; i < G->nc; i++) {
		json_t *ra = json_array(), *rl = json_array();

		if (!ra || !rl || json_array_append_new(auc, ra) < 0 ||
		    json_array_append_new(ll, rl) < 0)
			goto oom;
		for (unsigned j = 0; j < G->ng; j++) {
			double a = G->auc[i * G->ng + j], l = G->logloss[i * G->ng + j];

			if (json_array_append_new(ra, isfinite(a) ? json_real(a) : json_null()) < 0 ||
			    json_array_append_new(rl, isfinite(l) ? json_real(l) : json_null()) < 0)
				goto oom;
		}
	}
	if (json_object_set_new(o, "log2_C", lc) < 0 || json_object_set_new(o, "log2_gamma", lg) < 0 ||
	    json_object_set_new(o, "roc_auc", auc) < 0 || json_object_set_new(o, "log_loss", ll) < 0) {
		lc = lg = auc = ll = NULL;
		goto oom;
	}
	*out = o;
	return 0;
oom:
	json_decref(o);
	json_decref(lc);
	json_decref(lg);
	json_decref(auc);
	json_decref(ll);
	return trw_error_oom();
}

static int check_grid_axis(int lo, int hi, int step, const char *name, unsigned *count)
{
	if (step <= 0 || hi < lo || lo < -60 || hi > 60 || (hi - lo) / step + 1 > 256)
		return trw_error_set(TRW_EINVALID, "bad %s grid: 2^%d .. 2^%d in steps of %d", name,
		    lo, hi, step);
	*count = (unsigned)((hi - lo) / step + 1);
	return 0;
}

int trw_classifier_train(trw_classifier **out, const double *X, const int *y,
    const char *const *groups, size_t n, unsigned schema,
    const trw_classifier_options *opts, const trw_classifier_provenance *prov)
{
	trw_classifier_options defaults = TRW_CLASSIFIER_OPTIONS_INIT;
	trw_verdict_options vopts = TRW_VERDICT_OPTIONS_INIT;
	const trw_feature_schema *fs;
	trw_classifier *c = NULL;
	fold_data *fd = NULL, all = { 0 };
	unsigned *fold_of = NULL, threads;
	encoding enc;
	grid G = { 0 };
	double *probs = NULL;
	trw_repo_eval *re = NULL;
	struct svm_model *m = NULL;
	unsigned best = 0;
	size_t members = 0;
	int error;

	*out = NULL;
	pthread_once(&quiet_once, make_quiet);
	if (!opts)
		opts = &defaults;
	if ((error = trw_features_schema(&fs, schema)) < 0)
		return error;
	if (opts->version != TRW_CLASSIFIER_OPTIONS_VERSION)
		return trw_error_set(TRW_EINVALID, "classifier options version %u, expected %d",
		    opts->version, TRW_CLASSIFIER_OPTIONS_VERSION);
	if (!(opts->file_threshold >= 0 && opts->file_threshold <= 1) ||
	    !(opts->repo_threshold >= 0 && opts->repo_threshold <= 1))
		return trw_error_set(TRW_EINVALID, "thresholds must be probabilities");
	if (!(opts->cache_mb > 0) || !(opts->eps > 0))
		return trw_error_set(TRW_EINVALID, "libsvm cache and tolerance must be positive");
	if ((error = check_grid_axis(opts->log2c_min, opts->log2c_max, opts->log2c_step, "C",
	    &G.nc)) < 0 || (error = check_grid_axis(opts->log2g_min, opts->log2g_max,
	    opts->log2g_step, "gamma", &G.ng)) < 0)
		return error;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < fs->ncols; j++) {
			double v = X[i * fs->ncols + j];

			if (isinf(v) || (isnan(v) && fs->indicator[j] < 0))
				return trw_error_set(TRW_EINVALID, "sample %zu: %s is %g", i,
				    fs->columns[j], v);
		}

	if (!(fold_of = malloc((n ? n : 1) * sizeof(*fold_of))))
		return trw_error_oom();
	if ((error = trw_classifier_folds(fold_of, y, groups, n, opts->folds, opts->seed)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++)
		members += (size_t)y[i];

	/* the folds' encodings and encoded rows, shared by every grid cell */
	if (!(fd = calloc(opts->folds, sizeof(*fd)))) {
		error = trw_error_oom();
		goto done;
	}
	encoding_init(&enc, fs);
	for (unsigned f = 0; f < opts->folds; f++)
		if ((error = fold_data_build(&fd[f], &enc, X, y, n, fold_of, (int)f)) < 0)
			goto done;

	G.fd = fd;
	G.nfolds = opts->folds;
	G.fold_of = fold_of;
	G.y = y;
	G.n = n;
	G.ncells = G.nc * G.ng;
	G.c0 = opts->log2c_min;
	G.cstep = opts->log2c_step;
	G.g0 = opts->log2g_min;
	G.gstep = opts->log2g_step;
	G.cache_mb = opts->cache_mb;
	G.eps = opts->eps;
	G.patience = opts->patience;
	G.opts = opts;
	if (!(G.oof = malloc((size_t)G.ncells * n * sizeof(double))) ||
	    !(G.auc = malloc(G.ncells * sizeof(double))) ||
	    !(G.logloss = malloc(G.ncells * sizeof(double))) ||
	    !(probs = malloc(n * sizeof(double)))) {
		error = trw_error_oom();
		goto done;
	}
	threads = opts->threads;
	if (!threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);

		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	if ((error = run_grid(&G, threads)) < 0)
		goto done;

	/* cells run in C-major order, so the first of equals has the smaller C, gamma */
	for (unsigned k = 1; k < G.ncells; k++) {
		double a = isnan(G.auc[k]) ? -1 : G.auc[k], b = isnan(G.auc[best]) ? -1 : G.auc[best];

		if (a > b + 1e-12 || (fabs(a - b) <= 1e-12 && G.logloss[k] < G.logloss[best] - 1e-12))
			best = k;
	}

	if (!(c = calloc(1, sizeof(*c)))) {
		error = trw_error_oom();
		goto done;
	}
	c->schema = schema;
	c->file_threshold = opts->file_threshold;
	c->repo_threshold = opts->repo_threshold;
	c->cv.folds = opts->folds;
	c->cv.seed = opts->seed;
	c->cv.samples = n;
	c->cv.members = members;
	c->cv.log2c = G.c0 + (int)(best / G.ng) * G.cstep;
	c->cv.log2g = G.g0 + (int)(best % G.ng) * G.gstep;
	c->cv.C = ldexp(1, c->cv.log2c);
	c->cv.patience = opts->patience;
	for (unsigned k = 0; k < G.ncells; k++)
		c->cv.cells_skipped += isnan(G.auc[k]);
	c->cv.gamma = ldexp(1, c->cv.log2g);
	if ((error = set_provenance(c, prov)) < 0 || (error = grid_json(&c->grid, &G)) < 0)
		goto done;

	/* the winner's cross-validated figures, on cross-fitted probabilities */
	{
		const double *oof = G.oof + (size_t)best * n;

		for (unsigned f = 0; f < opts->folds; f++) {
			double A, B;

			platt_fit(&A, &B, oof, y, n, fold_of, (int)f);
			for (size_t i = 0; i < n; i++)
				if (fold_of[i] == f)
					probs[i] = platt_p(A, B, oof[i]);
		}
		platt_fit(&c->platt_a, &c->platt_b, oof, y, n, NULL, -1);
	}
	vopts.file_threshold = opts->file_threshold;
	vopts.threshold = opts->repo_threshold;
	if ((error = trw_metrics_compute(&c->cv.file, y, probs, n, opts->file_threshold)) < 0 ||
	    (error = trw_metrics_repositories(&re, groups, y, probs, n, &vopts)) < 0)
		goto done;
	c->cv.repository = re->metrics;
	c->cv.groups = re->count;

	/* the final model, on every row */
	encoding_init(&c->enc, fs);
	if ((error = fold_data_build(&all, &c->enc, X, y, n, NULL, -1)) < 0)
		goto done;
	c->cv.weight_member = all.w_member;
	c->cv.weight_non_member = all.w_non;
	if ((error = train_model(&m, &all, c->cv.C, c->cv.gamma, opts->cache_mb, opts->eps)) < 0 ||
	    (error = model_to_text(&c->model_text, m)) < 0 ||
	    (error = model_from_text(&c->model, c->model_text, strlen(c->model_text))) < 0)
		goto done;
	c->sign = orientation(c->model);
	fill_info(c);
	*out = c;
	c = NULL;
done:
	svm_free_and_destroy_model(&m);
	fold_data_dispose(&all);
	for (unsigned f = 0; fd && f < opts->folds; f++)
		fold_data_dispose(&fd[f]);
	free(fd);
	free(fold_of);
	free(G.oof);
	free(G.auc);
	free(G.logloss);
	free(probs);
	trw_repo_eval_free(re);
	trw_classifier_free(c);
	return error;
}

/* ---- prediction ------------------------------------------------------------------ */

int trw_classifier_decision(double *out, const trw_classifier *c, const double *x)
{
	struct svm_node nodes[MAX_DIM + 1];
	const trw_feature_schema *fs = c->enc.fs;
	double dec;

	for (size_t j = 0; j < fs->ncols; j++)
		if (isinf(x[j]) || (isnan(x[j]) && fs->indicator[j] < 0))
			return trw_error_set(TRW_EINVALID, "%s is %g", fs->columns[j], x[j]);
	encode(&c->enc, x, nodes);
	svm_predict_values(c->model, nodes, &dec);
	*out = c->sign * dec;
	return 0;
}

int trw_classifier_predict(double *out, const trw_classifier *c, const double *x)
{
	double f;
	int error;

	if ((error = trw_classifier_decision(&f, c, x)) < 0)
		return error;
	*out = platt_p(c->platt_a, c->platt_b, f);
	return 0;
}

int trw_classifier_check_schema(const trw_classifier *c, unsigned schema)
{
	if (c->schema != schema)
		return trw_error_set(TRW_EINVALID,
		    "classifier was trained on feature schema %u, this probe has schema %u",
		    c->schema, schema);
	return 0;
}

const trw_classifier_info *trw_classifier_get_info(const trw_classifier *c)
{
	return &c->info;
}

const trw_classifier_provenance *trw_classifier_get_provenance(const trw_classifier *c)
{
	return &c->prov;
}

const trw_cv_summary *trw_classifier_get_cv(const trw_classifier *c)
{
	return &c->cv;
}

void trw_classifier_free(trw_classifier *c)
{
	if (!c)
		return;
	if (c->model)
		svm_free_and_destroy_model(&c->model);
	free(c->model_text);
	for (int i = 0; i < 4; i++)
		free(c->strings[i]);
	json_decref(c->grid);
	free(c);
}

/* ---- the classifier file ---------------------------------------------------------- */

#define CANONICAL_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17))
#define FILE_FLAGS (JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17))

int trw_classifier__checksum(char out[72], const json_t *doc)
{
	json_t *copy;
	char *text;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	int ok;

	if (!json_is_object(doc))
		return trw_error_set(TRW_EINVALID, "a classifier document is a JSON object");
	if (!(copy = json_copy((json_t *)doc)))
		return trw_error_oom();
	json_object_del(copy, "checksum");
	text = json_dumps(copy, CANONICAL_FLAGS);
	json_decref(copy);
	if (!text)
		return trw_error_oom();
	ok = EVP_Digest(text, strlen(text), digest, &dlen, EVP_sha256(), NULL) == 1 && dlen == 32;
	free(text);
	if (!ok)
		return trw_error_set(TRW_ERROR, "SHA-256 failed");
	memcpy(out, "sha256:", 7);
	trw_hex(out + 7, digest, 32);
	return 0;
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *reals(const double *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_real(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *names(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static int build_doc(json_t **out, const trw_classifier *c)
{
	const trw_feature_schema *fs = c->enc.fs;
	json_t *doc = NULL, *file_m = NULL, *repo_m = NULL;
	char sum[72];
	int error;

	*out = NULL;
	if ((error = trw_metrics_to_json(&file_m, &c->cv.file)) < 0 ||
	    (error = trw_metrics_to_json(&repo_m, &c->cv.repository)) < 0)
		goto done;
	doc = json_pack("{s:s, s:i, s:i, s:o,"
	    " s:{s:s, s:o, s:o, s:s, s:o},"
	    " s:{s:s, s:s, s:f, s:f, s:{s:f, s:f}},"
	    " s:{s:f, s:f, s:s},"
	    " s:{s:f, s:f},"
	    " s:{s:o, s:o, s:s, s:s,"
	    "    s:{s:s, s:i, s:I, s:I, s:I, s:I, s:s, s:i, s:i, s:i, s:i, s:O, s:O, s:O}},"
	    " s:s}",
	    "format", TRW_CLASSIFIER_FORMAT,
	    "version", TRW_CLASSIFIER_FORMAT_VERSION,
	    "schema", (int)c->schema,
	    "columns", names(fs->columns, fs->ncols),
	    "scaling",
	    "method", "standardize",
	    "mean", reals(c->enc.mean, fs->ncols),
	    "scale", reals(c->enc.scale, fs->ncols),
	    "missing", "imputed with the training mean (0 after scaling); indicator set to 1",
	    "indicators", names(fs->indicators, fs->nindicators),
	    "svm",
	    "type", "c_svc",
	    "kernel", "rbf",
	    "C", c->cv.C,
	    "gamma", c->cv.gamma,
	    "class_weights", "member", c->cv.weight_member, "non_member", c->cv.weight_non_member,
	    "platt",
	    "A", c->platt_a,
	    "B", c->platt_b,
	    "fitted_on", "out-of-fold decision values, folds grouped by repository",
	    "thresholds",
	    "file", c->file_threshold,
	    "repository", c->repo_threshold,
	    "provenance",
	    "model", str_or_null(c->prov.model),
	    "corpus_manifest_sha256", str_or_null(c->prov.corpus_manifest_sha256),
	    "trawic_version", c->prov.trawic_version,
	    "created", c->prov.created,
	    "cv_metrics",
	    "grouped_by", "repository",
	    "folds", (int)c->cv.folds,
	    "seed", (json_int_t)c->cv.seed,
	    "samples", (json_int_t)c->cv.samples,
	    "members", (json_int_t)c->cv.members,
	    "repositories", (json_int_t)c->cv.groups,
	    "selected_by", SELECTED_BY,
	    "log2_C", c->cv.log2c,
	    "log2_gamma", c->cv.log2g,
	    "grid_patience", (int)c->cv.patience,
	    "grid_cells_skipped", (int)c->cv.cells_skipped,
	    "file", file_m,
	    "repository", repo_m,
	    "grid", c->grid ? c->grid : json_null(),
	    "libsvm_model", c->model_text);
	if (!doc) {
		error = trw_error_oom();
		goto done;
	}
	if ((error = trw_classifier__checksum(sum, doc)) < 0)
		goto done;
	if (json_object_set_new(doc, "checksum", json_string(sum)) < 0) {
		error = trw_error_oom();
		goto done;
	}
	*out = doc;
	doc = NULL;
done:
	json_decref(doc);
	json_decref(file_m);
	json_decref(repo_m);
	return error;
}

int trw_classifier_dump(char **out, size_t *len, const trw_classifier *c)
{
	json_t *doc;
	char *text, *nl;
	size_t l;
	int error;

	*out = NULL;
	if ((error = build_doc(&doc, c)) < 0)
		return error;
	text = json_dumps(doc, FILE_FLAGS);
	json_decref(doc);
	if (!text)
		return trw_error_oom();
	l = strlen(text);
	if (!(nl = realloc(text, l + 2))) {
		free(text);
		return trw_error_oom();
	}
	nl[l] = '\n';
	nl[l + 1] = '\0';
	*out = nl;
	if (len)
		*len = l + 1;
	return 0;
}

int trw_classifier_save(const trw_classifier *c, const char *path)
{
	char *text = NULL, *tmp = NULL;
	size_t len, put = 0;
	int fd = -1, error;

	if ((error = trw_classifier_dump(&text, &len, c)) < 0)
		return error;
	if (!(tmp = malloc(strlen(path) + 16))) {
		error = trw_error_oom();
		goto done;
	}
	snprintf(tmp, strlen(path) + 16, "%s.tmpXXXXXX", path);
	if ((fd = mkstemp(tmp)) < 0) {
		error = trw_error_set(TRW_EIO, "%s: %s", tmp, strerror(errno));
		goto done;
	}
	while (put < len) {
		ssize_t w = write(fd, text + put, len - put);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			error = trw_error_set(TRW_EIO, "writing %s: %s", tmp, strerror(errno));
			goto done;
		}
		put += (size_t)w;
	}
	if (fchmod(fd, 0644) < 0 || fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		error = trw_error_set(TRW_EIO, "writing %s: %s", tmp, strerror(errno));
		goto done;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		error = trw_error_set(TRW_EIO, "renaming %s to %s: %s", tmp, path, strerror(errno));
		goto done;
	}
	free(tmp);
	tmp = NULL;
done:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	free(text);
	return error;
}

/* ---- loading ------------------------------------------------------------------- */

#define MISSING(key) trw_error_set(TRW_EINVALID, "classifier file: missing key \"%s\"", key)
#define MISTYPED(key, what) \
	trw_error_set(TRW_EINVALID, "classifier file: \"%s\" is not %s", key, what)

static int get(json_t **out, const json_t *obj, const char *key, const char *path)
{
	if (!(*out = json_object_get(obj, key)))
		return MISSING(path);
	return 0;
}

static int get_object(json_t **out, const json_t *obj, const char *key, const char *path)
{
	int error;

	if ((error = get(out, obj, key, path)) < 0)
		return error;
	return json_is_object(*out) ? 0 : MISTYPED(path, "an object");
}

static int get_number(double *out, const json_t *obj, const char *key, const char *path)
{
	json_t *v;
	int error;

	if ((error = get(&v, obj, key, path)) < 0)
		return error;
	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return MISTYPED(path, "a number");
	*out = json_number_value(v);
	return 0;
}

static int get_integer(long long *out, const json_t *obj, const char *key, const char *path)
{
	json_t *v;
	int error;

	if ((error = get(&v, obj, key, path)) < 0)
		return error;
	if (!json_is_integer(v))
		return MISTYPED(path, "an integer");
	*out = json_integer_value(v);
	return 0;
}

static int get_string(const char **out, const json_t *obj, const char *key, const char *path,
    int nullable)
{
	json_t *v;
	int error;

	if ((error = get(&v, obj, key, path)) < 0)
		return error;
	if (nullable && json_is_null(v)) {
		*out = NULL;
		return 0;
	}
	if (!json_is_string(v))
		return MISTYPED(path, nullable ? "a string or null" : "a string");
	*out = json_string_value(v);
	return 0;
}

static int get_reals(double *out, size_t n, const json_t *obj, const char *key,
    const char *path)
{
	json_t *a;
	int error;

	if ((error = get(&a, obj, key, path)) < 0)
		return error;
	if (!json_is_array(a) || json_array_size(a) != n)
		return trw_error_set(TRW_EINVALID, "classifier file: \"%s\" is not %zu numbers",
		    path, n);
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(a, i);

		if (!json_is_number(v) || !isfinite(json_number_value(v)))
			return trw_error_set(TRW_EINVALID, "classifier file: %s[%zu] is not a number",
			    path, i);
		out[i] = json_number_value(v);
	}
	return 0;
}

static int check_names(const json_t *obj, const char *key, const char *path,
    const char *const *want, size_t n, unsigned schema)
{
	json_t *a;
	int error;

	if ((error = get(&a, obj, key, path)) < 0)
		return error;
	if (!json_is_array(a))
		return MISTYPED(path, "an array");
	if (json_array_size(a) != n)
		return trw_error_set(TRW_EINVALID, "classifier file: %zu %s, feature schema %u has %zu",
		    json_array_size(a), path, schema, n);
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));

		if (!s || strcmp(s, want[i]) != 0)
			return trw_error_set(TRW_EINVALID,
			    "classifier file: %s[%zu] is \"%s\", feature schema %u has \"%s\"",
			    path, i, s ? s : "(not a string)", schema, want[i]);
	}
	return 0;
}

static int load_doc(trw_classifier *c, const json_t *doc, unsigned want_schema)
{
	const trw_feature_schema *fs;
	json_t *v, *scaling, *svm, *platt, *thr, *prov, *cv, *o;
	const char *s, *prov_s[4];
	char sum[72];
	long long ll;
	double gamma_text = 0;
	int error;

	if (!json_is_object(doc))
		return trw_error_set(TRW_EINVALID, "classifier file: not a JSON object");
	s = json_string_value(json_object_get(doc, "format"));
	if (!s || strcmp(s, TRW_CLASSIFIER_FORMAT) != 0)
		return trw_error_set(TRW_EINVALID, "not a trawic classifier file (\"format\" is %s%s%s)",
		    s ? "\"" : "", s ? s : "missing", s ? "\"" : "");
	if ((error = get_integer(&ll, doc, "version", "version")) < 0)
		return error;
	if (ll != TRW_CLASSIFIER_FORMAT_VERSION)
		return trw_error_set(TRW_EINVALID,
		    "classifier file format version %lld is not one this trawic reads (%d)%s", ll,
		    TRW_CLASSIFIER_FORMAT_VERSION, ll > TRW_CLASSIFIER_FORMAT_VERSION
		    ? ": it was written by a newer trawic" : "");
	if ((error = get_string(&s, doc, "checksum", "checksum", 0)) < 0 ||
	    (error = trw_classifier__checksum(sum, doc)) < 0)
		return error;
	if (strcmp(s, sum) != 0)
		return trw_error_set(TRW_EINVALID,
		    "classifier file is corrupted: checksum mismatch (stored %.80s, content %s)", s, sum);

	if ((error = get_integer(&ll, doc, "schema", "schema")) < 0)
		return error;
	if (ll < 1 || ll > 1000 || (error = trw_features_schema(&fs, (unsigned)ll)) < 0)
		return trw_error_set(TRW_EINVALID,
		    "classifier file: feature schema %lld is not known to this trawic (it knows %d to %d)",
		    ll, TRW_FEATURES_SCHEMA_MIN, TRW_FEATURES_SCHEMA_MAX);
	c->schema = (unsigned)ll;
	if (want_schema && c->schema != want_schema)
		return trw_error_set(TRW_EINVALID,
		    "classifier was trained on feature schema %u, this probe has schema %u",
		    c->schema, want_schema);
	encoding_init(&c->enc, fs);
	if ((error = check_names(doc, "columns", "columns", fs->columns, fs->ncols, c->schema)) < 0 ||
	    (error = get_object(&scaling, doc, "scaling", "scaling")) < 0 ||
	    (error = get_string(&s, scaling, "method", "scaling.method", 0)) < 0)
		return error;
	if (strcmp(s, "standardize") != 0)
		return trw_error_set(TRW_EINVALID, "classifier file: unknown scaling \"%s\"", s);
	if ((error = get_reals(c->enc.mean, fs->ncols, scaling, "mean", "scaling.mean")) < 0 ||
	    (error = get_reals(c->enc.scale, fs->ncols, scaling, "scale", "scaling.scale")) < 0 ||
	    (error = check_names(scaling, "indicators", "scaling.indicators", fs->indicators,
	    fs->nindicators, c->schema)) < 0)
		return error;
	for (size_t j = 0; j < fs->ncols; j++)
		if (!(c->enc.scale[j] > 0))
			return trw_error_set(TRW_EINVALID, "classifier file: scaling.scale[%zu] is not "
			    "positive", j);

	if ((error = get_object(&svm, doc, "svm", "svm")) < 0 ||
	    (error = get_number(&c->cv.C, svm, "C", "svm.C")) < 0 ||
	    (error = get_number(&c->cv.gamma, svm, "gamma", "svm.gamma")) < 0 ||
	    (error = get_object(&o, svm, "class_weights", "svm.class_weights")) < 0 ||
	    (error = get_number(&c->cv.weight_member, o, "member",
	    "svm.class_weights.member")) < 0 ||
	    (error = get_number(&c->cv.weight_non_member, o, "non_member",
	    "svm.class_weights.non_member")) < 0 ||
	    (error = get_object(&platt, doc, "platt", "platt")) < 0 ||
	    (error = get_number(&c->platt_a, platt, "A", "platt.A")) < 0 ||
	    (error = get_number(&c->platt_b, platt, "B", "platt.B")) < 0 ||
	    (error = get_object(&thr, doc, "thresholds", "thresholds")) < 0 ||
	    (error = get_number(&c->file_threshold, thr, "file", "thresholds.file")) < 0 ||
	    (error = get_number(&c->repo_threshold, thr, "repository",
	    "thresholds.repository")) < 0)
		return error;
	if (c->file_threshold < 0 || c->file_threshold > 1 || c->repo_threshold < 0 ||
	    c->repo_threshold > 1)
		return trw_error_set(TRW_EINVALID, "classifier file: thresholds are not probabilities");

	if ((error = get_object(&prov, doc, "provenance", "provenance")) < 0 ||
	    (error = get_string(&prov_s[0], prov, "model", "provenance.model", 1)) < 0 ||
	    (error = get_string(&prov_s[1], prov, "corpus_manifest_sha256",
	    "provenance.corpus_manifest_sha256", 1)) < 0 ||
	    (error = get_string(&prov_s[2], prov, "trawic_version", "provenance.trawic_version",
	    0)) < 0 ||
	    (error = get_string(&prov_s[3], prov, "created", "provenance.created", 0)) < 0)
		return error;
	for (int i = 0; i < 4; i++)
		if (prov_s[i] && !(c->strings[i] = strdup(prov_s[i])))
			return trw_error_oom();

	if ((error = get_object(&cv, prov, "cv_metrics", "provenance.cv_metrics")) < 0 ||
	    (error = get_integer(&ll, cv, "folds", "provenance.cv_metrics.folds")) < 0)
		return error;
	c->cv.folds = (unsigned)ll;
	if ((error = get_integer(&ll, cv, "seed", "provenance.cv_metrics.seed")) < 0)
		return error;
	c->cv.seed = (uint32_t)ll;
	if ((error = get_integer(&ll, cv, "samples", "provenance.cv_metrics.samples")) < 0)
		return error;
	c->cv.samples = (size_t)ll;
	if ((error = get_integer(&ll, cv, "members", "provenance.cv_metrics.members")) < 0)
		return error;
	c->cv.members = (size_t)ll;
	if ((error = get_integer(&ll, cv, "repositories", "provenance.cv_metrics.repositories")) < 0)
		return error;
	c->cv.groups = (size_t)ll;
	if ((error = get_integer(&ll, cv, "log2_C", "provenance.cv_metrics.log2_C")) < 0)
		return error;
	c->cv.log2c = (int)ll;
	if ((error = get_integer(&ll, cv, "log2_gamma", "provenance.cv_metrics.log2_gamma")) < 0)
		return error;
	c->cv.log2g = (int)ll;
	if ((error = get_integer(&ll, cv, "grid_patience", "provenance.cv_metrics.grid_patience")) < 0)
		return error;
	c->cv.patience = (unsigned)ll;
	if ((error = get_integer(&ll, cv, "grid_cells_skipped",
	    "provenance.cv_metrics.grid_cells_skipped")) < 0)
		return error;
	c->cv.cells_skipped = (unsigned)ll;
	if ((error = get(&v, cv, "file", "provenance.cv_metrics.file")) < 0 ||
	    (error = trw_metrics_from_json(&c->cv.file, v)) < 0 ||
	    (error = get(&v, cv, "repository", "provenance.cv_metrics.repository")) < 0 ||
	    (error = trw_metrics_from_json(&c->cv.repository, v)) < 0 ||
	    (error = get(&v, cv, "grid", "provenance.cv_metrics.grid")) < 0)
		return prefix_error(error, "classifier file");
	if (!json_is_null(v))
		c->grid = json_incref(v);

	if ((error = get_string(&s, doc, "libsvm_model", "libsvm_model", 0)) < 0 ||
	    (error = check_model_text(s, dimension(&c->enc), &gamma_text)) < 0)
		return error;
	if (gamma_text != c->cv.gamma)
		return trw_error_set(TRW_EINVALID, "classifier file: svm.gamma %.17g and the libsvm "
		    "model's gamma %.17g differ", c->cv.gamma, gamma_text);
	if (!(c->model_text = strdup(s)))
		return trw_error_oom();
	if ((error = model_from_text(&c->model, c->model_text, strlen(c->model_text))) < 0)
		return error;
	c->sign = orientation(c->model);
	return 0;
}

int trw_classifier_load_buffer(trw_classifier **out, const char *data, size_t len,
    unsigned schema)
{
	trw_classifier *c;
	json_error_t jerr;
	json_t *doc;
	int error;

	*out = NULL;
	pthread_once(&quiet_once, make_quiet);
	if (!(doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr)))
		return trw_error_set(TRW_EINVALID,
		    "classifier file is not valid JSON (truncated or corrupted?): %s at line %d, "
		    "column %d", jerr.text, jerr.line, jerr.column);
	if (!(c = calloc(1, sizeof(*c)))) {
		json_decref(doc);
		return trw_error_oom();
	}
	error = load_doc(c, doc, schema);
	json_decref(doc);
	if (error < 0) {
		trw_classifier_free(c);
		return error;
	}
	fill_info(c);
	*out = c;
	return 0;
}

int trw_classifier_load(trw_classifier **out, const char *path, unsigned schema)
{
	FILE *f;
	trw_buf b = TRW_BUF_INIT(MAX_FILE_BYTES);
	char chunk[65536];
	size_t r;
	int error = 0;

	*out = NULL;
	if (!(f = fopen(path, "rb")))
		return trw_error_set(errno == ENOENT ? TRW_ENOTFOUND : TRW_EIO, "%s: %s", path,
		    strerror(errno));
	while ((r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if ((error = trw_buf_put(&b, chunk, r)) < 0)
			break;
	if (!error && ferror(f))
		error = trw_error_set(TRW_EIO, "%s: read error", path);
	fclose(f);
	if (error == TRW_ETOOBIG)
		error = trw_error_set(TRW_EINVALID, "%s: larger than a classifier file can be", path);
	if (!error && (error = trw_classifier_load_buffer(out, b.ptr ? b.ptr : "", b.size,
	    schema)) < 0)
		error = prefix_error(error, path);
	trw_buf_dispose(&b);
	return error;
}
