/*
 * svm.h - the file classifier: a C-SVC with an RBF kernel (libsvm),
 * trained by a grid search with cross-validation grouped by repository,
 * with Platt-scaled probabilities, saved as one self-describing file.
 *
 * Encoding.  A file vector (features.h) becomes the SVM's input as
 * follows, with statistics fitted on training rows only and stored:
 * each column is standardized, (x - mean) / sd, mean and sd (population)
 * taken over the rows where the column is present (sd < 1e-12 -> 1; no
 * present value -> mean 0, sd 1); a missing value (NaN) is imputed with
 * the training mean, i.e. 0 after scaling, and each of the schema's
 * missing-indicators is appended as a 0/1 column.  In cross-validation
 * the encoding is fitted again on each fold's training part.
 *
 * Training.  Labels: 1 member, 0 non-member.  Every sample belongs to a
 * group (its repository); trw_classifier_folds deals whole groups to k
 * folds, so a repository is never on both sides of a split.  For each
 * (C, gamma) of the log2 grid the k fold models give out-of-fold
 * decision values for every sample (with a patience p, a gamma column
 * stops early after p cells of growing C that do not raise its AUC); the cell with the highest pooled
 * ROC-AUC of those wins, ties broken by the lower log-loss of their
 * cross-fitted Platt probabilities, then by the smaller C, then the
 * smaller gamma.  Class weights n / (2 n_class) are set per training set.
 * Platt's sigmoid P(member) = 1 / (1 + exp(A f + B)) is fitted (Lin,
 * Lin and Weng's Newton method, as libsvm does internally) on the
 * winner's grouped out-of-fold decision values f, not with libsvm's own
 * probability option, whose internal cross-validation is not grouped.
 * The final model is trained on all rows with the winning (C, gamma).
 * The cross-validated metrics reported use cross-fitted probabilities:
 * each fold's values calibrated by a sigmoid fitted on the other folds.
 *
 * Determinism.  No libsvm call made here uses rand() (no libsvm
 * cross-validation, probability = 0), libsvm's printing is silenced
 * (process-wide, once), the grid cells are independent of the thread
 * that runs them, and the model kept after training is the one read
 * back from libsvm's text (which rounds support vectors to 8 digits), so
 * a classifier predicts the same before and after a save/load.
 *
 * Thread safety.  trw_classifier_predict is reentrant.  Saving and
 * loading go through libsvm's file functions, which switch the
 * process's locale to "C" around the I/O; they are serialized with each
 * other here, but not with other threads that use the locale.
 */
#ifndef TRW_SVM_H
#define TRW_SVM_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "classifier/features.h"
#include "classifier/metrics.h"

#define TRW_CLASSIFIER_FORMAT "trawic-classifier"
#define TRW_CLASSIFIER_FORMAT_VERSION 1

typedef struct trw_classifier trw_classifier;

typedef struct trw_classifier_options {
	unsigned int version;
	unsigned folds;			/* default 5 */
	uint32_t seed;			/* of the fold assignment; default 1 */
	int log2c_min, log2c_max, log2c_step;	/* default -5, 15, 2 */
	int log2g_min, log2g_max, log2g_step;	/* default -15, 3, 2 */
	double file_threshold;		/* stored in the file; default 0.5 */
	double repo_threshold;		/* stored in the file; default 0.4 */
	unsigned threads;		/* grid cells in parallel; 0 = online CPUs */
	double cache_mb;		/* libsvm kernel cache per training; default 100 */
	double eps;			/* libsvm stopping tolerance; default 1e-3 */
	/* 0 = the full grid; p > 0: in each gamma column (C ascending) stop
	 * after p cells in a row that do not raise the column's best AUC */
	unsigned patience;
	/* called after each grid cell, from a worker thread, under a lock */
	void (*progress)(unsigned done, unsigned total, void *payload);
	void *progress_payload;
} trw_classifier_options;

#define TRW_CLASSIFIER_OPTIONS_VERSION 1
#define TRW_CLASSIFIER_OPTIONS_INIT { TRW_CLASSIFIER_OPTIONS_VERSION, 5, 1, \
	-5, 15, 2, -15, 3, 2, 0.5, 0.4, 0, 100, 1e-3, 0, NULL, NULL }

/* Where a classifier comes from; NULL members are stored as null, except
 * trawic_version (NULL = this trawic) and created (NULL = now, UTC,
 * "YYYY-MM-DDTHH:MM:SSZ"; set it to make a training reproducible byte
 * for byte). */
typedef struct trw_classifier_provenance {
	const char *model;			/* identity of the probed model */
	const char *corpus_manifest_sha256;
	const char *trawic_version;
	const char *created;
} trw_classifier_provenance;

/* The cross-validation behind a classifier. */
typedef struct trw_cv_summary {
	unsigned folds;
	uint32_t seed;
	size_t samples, members, groups;
	int log2c, log2g;		/* the winning cell */
	unsigned patience, cells_skipped;	/* of the grid search */
	double C, gamma;
	double weight_member, weight_non_member;	/* of the final model */
	/* out-of-fold, cross-fitted probabilities at the file threshold */
	trw_metrics file;
	/* those grouped by repository (metrics.h: fraction > tau) */
	trw_metrics repository;
} trw_cv_summary;

typedef struct trw_classifier_info {
	unsigned schema;
	const trw_feature_schema *features;
	double file_threshold, repo_threshold;
	double platt_a, platt_b;
	size_t support_vectors;
	const trw_classifier_provenance *provenance;
	const trw_cv_summary *cv;
} trw_classifier_info;

/*
 * Deal the samples' groups to `folds` folds: out[i] in 0..folds-1 for
 * each of the n samples.  Groups (by name, strcmp) are ordered by label
 * (members first), then a seeded 64-bit hash of the name, then name;
 * each goes to the fold holding the fewest samples of its label (then the
 * fewest samples, then the lowest index).  So a group is never split,
 * labels are spread evenly, and every training part holds both labels.
 * TRW_EINVALID: labels not 0/1, a group with both labels, folds < 2,
 * fewer groups than folds, fewer than 2 groups of either label.
 */
int trw_classifier_folds(unsigned *out, const int *labels, const char *const *groups,
    size_t n, unsigned folds, uint32_t seed);

/*
 * Train on `n` file vectors X (row-major, n x ncols of `schema`, NaN =
 * missing), labels y (1 member, 0 non-member) and groups (repository
 * names, borrowed for the call).  `opts` and `prov` may be NULL.
 * TRW_EINVALID for bad input (as trw_classifier_folds, plus a value that
 * is infinite or a never-missing column that is NaN), TRW_ENOMEM.
 */
int trw_classifier_train(trw_classifier **out, const double *X, const int *y,
    const char *const *groups, size_t n, unsigned schema,
    const trw_classifier_options *opts, const trw_classifier_provenance *prov);

/* P(member) of one file vector (ncols of the classifier's schema). */
int trw_classifier_predict(double *out, const trw_classifier *c, const double *x);

/* The SVM's decision value, oriented: > 0 leans member. */
int trw_classifier_decision(double *out, const trw_classifier *c, const double *x);

/*
 * TRW_EINVALID "classifier was trained on feature schema A, this probe
 * has schema B" unless they agree.
 */
int trw_classifier_check_schema(const trw_classifier *c, unsigned schema);

/*
 * The classifier file (JSON, UTF-8, newline-terminated) into *out
 * (malloc'd, NUL-terminated; *len without the NUL).  Its "checksum" is
 * "sha256:" + the hex SHA-256 of the canonical payload: the document
 * without "checksum", dumped by jansson compact, keys sorted, ASCII,
 * reals with 17 significant digits.
 */
int trw_classifier_dump(char **out, size_t *len, const trw_classifier *c);

/* Write the classifier file to `path` (a temporary file renamed into
 * place).  TRW_EIO. */
int trw_classifier_save(const trw_classifier *c, const char *path);

/*
 * Read a classifier file.  `schema` is the feature schema of the vectors
 * it will be given, or 0 to accept any schema this trawic knows.
 * TRW_EINVALID with a message saying which: not JSON (truncated?), not a
 * trawic classifier, a format version this trawic does not read, a
 * checksum mismatch (corrupted), a missing or mistyped key (named), an
 * unknown or different schema, columns that do not match the schema, or
 * an embedded libsvm model that does not load.  TRW_ENOTFOUND, TRW_EIO.
 */
int trw_classifier_load(trw_classifier **out, const char *path, unsigned schema);
int trw_classifier_load_buffer(trw_classifier **out, const char *data, size_t len,
    unsigned schema);

/* Borrowed for the classifier's life. */
const trw_classifier_info *trw_classifier_get_info(const trw_classifier *c);
const trw_classifier_provenance *trw_classifier_get_provenance(const trw_classifier *c);
const trw_cv_summary *trw_classifier_get_cv(const trw_classifier *c);

void trw_classifier_free(trw_classifier *c);

/* Shared with tests: the checksum of a parsed classifier document, into
 * out ("sha256:" + 64 hex + NUL). */
int trw_classifier__checksum(char out[72], const json_t *doc);

#endif
