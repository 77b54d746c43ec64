/*
 * dataset.h - the labelled file vectors that `trawic train` and `trawic
 * eval` work on, and the argument handling they share.
 *
 * A dataset is a list of repositories (name, spec, label) and, once
 * probed, one row per probed file: its feature vector, its label and its
 * group (the repository's name).  Repositories come from --members /
 * --non-members specs, from a built corpus directory (labels.tsv), or
 * from earlier `trawic probe` output (--from).  A repository whose probe
 * failed makes the whole dataset unusable: nothing here ever hands back
 * rows from partial data.
 */
#ifndef TRW_CLI_DATASET_H
#define TRW_CLI_DATASET_H

#include <stddef.h>

#include <stdio.h>

#include "classifier/metrics.h"
#include "classifier/probe.h"
#include "model/engine.h"

typedef struct cli_repo {
	char *name;		/* the group id of its files */
	char *spec;		/* what to probe (NULL for --from) */
	int label;		/* 1 member, 0 non-member, -1 unknown */
	size_t files;		/* rows contributed */
} cli_repo;

typedef struct cli_dataset {
	unsigned schema;
	size_t ncols;
	cli_repo *repos;
	size_t nrepos;
	/* rows: X is n x ncols, row-major; group[i] borrows repos[].name */
	double *X;
	int *y;
	const char **group;
	char **path;		/* owned */
	size_t n, cap;
	char *manifest_sha256;	/* of a corpus, or NULL */
	char *model;		/* the probed model's identity, or NULL */
} cli_dataset;

/* Everything is owned by the dataset; cli_dataset_free releases it. */
int cli_dataset_init(cli_dataset *ds, unsigned schema);
void cli_dataset_free(cli_dataset *ds);

/* Add a repository; name NULL = spec.  A duplicate name is an error. */
int cli_dataset_add_repo(cli_dataset *ds, const char *name, const char *spec, int label);

/* Every repository of a built corpus directory (labels.tsv: repo_id
 * split lang path ...; split "member" or "nonmember"), and the corpus
 * manifest hash from manifest.sha256. */
int cli_dataset_add_corpus(cli_dataset *ds, const char *dir);

/*
 * Probe every repository with `engine` and add a row per probed file.
 * Stops at the first repository with a failed query (TRW_EMODEL, saying
 * which repository) or another error.  `quiet` = no per-repository line
 * on stderr.
 */
int cli_dataset_probe(cli_dataset *ds, trw_engine *engine, const trw_probe_options *popts,
    int quiet);

/*
 * Rows from the JSON Lines of `trawic probe`: each file is one
 * repository's probe, named by the file's basename without ".jsonl",
 * unless its records carry a "repo" field.  Labels come from
 * repositories already added (by name, spec NULL) or from a labels file
 * (cli_dataset_read_labels).  An incomplete probe (a failed query, a
 * summary with "complete": false, or no summary) is refused.
 */
int cli_dataset_add_jsonl(cli_dataset *ds, const char *path);

/* Labels by name: TSV "repo_id<TAB>member|nonmember|non_member|1|0[...]",
 * '#' lines ignored (a corpus labels.tsv works as is). */
int cli_dataset_read_labels(cli_dataset *ds, const char *path);

/* TRW_EINVALID naming a repository that has no label or no row. */
int cli_dataset_check(const cli_dataset *ds);

/* The next arguments that do not start with "-": argv[*i+1 ...] into
 * list (appended); *i is left on the last one taken.  Returns how many. */
size_t cli_take_list(int argc, char **argv, int *i, const char ***list, size_t *count);

/* "--opt=value" or "--opt value": the value, advancing *i; NULL (with an
 * error printed) when it is missing. */
const char *cli_opt_value(int argc, char **argv, int *i, const char *opt);

/* Whether argv[i] is `opt` or starts with `opt=`. */
int cli_opt_is(const char *arg, const char *opt);

int cli_parse_unsigned(const char *opt, const char *arg, unsigned long long max,
    unsigned long long *v);

void *cli_xrealloc(void *p, size_t n);

/* The repository and model options of train and eval. */
typedef struct cli_data_args {
	const char *model, *corpus, *labels;
	const char **members, **non_members, **from;	/* argv strings, borrowed */
	size_t nmembers, nnon_members, nfrom;
	int no_logprobs;
	trw_engine_options eopts;
	trw_probe_options popts;
} cli_data_args;

#define CLI_DATA_ARGS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, \
	TRW_ENGINE_OPTIONS_INIT, TRW_PROBE_OPTIONS_INIT }

/* argv[*i] is one of the shared options: 1 (taken, *i advanced past its
 * values), 0 (not one of them), -1 (an error, printed). */
int cli_data_arg(cli_data_args *a, int argc, char **argv, int *i);

/* Fill the dataset as the options say (probing when they name specs or a
 * corpus).  Returns an exit code; errors are printed, prefixed by verb. */
int cli_data_load(cli_dataset *ds, cli_data_args *a, const char *verb, int quiet);
void cli_data_args_free(cli_data_args *a);

/* A table of file- and repository-level metrics (with TPR at FPR 1% and
 * 5% when `tpr`); undefined values print as "-". */
void cli_print_metrics(FILE *f, const trw_metrics *file, const trw_metrics *repo, int tpr);
void cli_print_confusion(FILE *f, const char *title, const trw_metrics *m);

#endif
