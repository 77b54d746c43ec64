/*
 * client.c - the verbs that talk to trawicd: submit, status, watch,
 * result, cancel, jobs, ping, daemon-stats (docs/protocol.md).
 *
 * Each verb connects, sends one request (or a request and a watch), prints
 * the answer and turns it into an exit code: 3 when the daemon cannot be
 * reached (or is busy), 4 when `result` asks about a job that has not
 * ended, otherwise what `trawic audit` would have returned for the job's
 * audit.  The wire format is daemon/client.h's business, not this file's.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/audit.h"
#include "cli/cli.h"
#include "common/error.h"
#include "daemon/access.h"
#include "daemon/client.h"
#include "report/report.h"

#define SOCKET_OPT 1000

static trw_client *client_open(const char *socket_opt, int *rc)
{
	trw_client *c = NULL;
	char *path = NULL;

	if (trw_client_socket_path(&path, socket_opt) < 0) {
		cli_error("%s", trw_error_last());
		*rc = EXIT_ERROR;
		return NULL;
	}
	if (trw_client_connect(&c, path) < 0) {
		cli_error("%s (is trawicd running? start it with 'trawicd', or pass --socket)",
		    trw_error_last());
		*rc = EXIT_NODAEMON;
	}
	free(path);
	return c;
}

/* An error answer -> message and exit code. */
static int answer_error(const json_t *m)
{
	const char *code = json_string_value(json_object_get(json_object_get(m, "error"),
	    "code"));

	cli_error("%s", trw_client_error_text(m));
	return code && strcmp(code, "busy") == 0 ? EXIT_NODAEMON : EXIT_ERROR;
}

static int call(trw_client *c, json_t **out, trw_op op, const json_t *body)
{
	if (trw_client_call(c, out, op, body) < 0) {
		cli_error("%s", trw_error_last());
		return EXIT_NODAEMON;
	}
	if (!json_is_true(json_object_get(*out, "ok"))) {
		int rc = answer_error(*out);

		json_decref(*out);
		*out = NULL;
		return rc;
	}
	return 0;
}

static void print_json(FILE *f, const json_t *v)
{
	json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', f);
}

/* A job id argument, the single positional of status/watch/result/cancel. */
static const char *job_arg(int argc, char **argv, const char *usage)
{
	if (optind != argc - 1) {
		fprintf(stderr, "usage: trawic %s\n", usage);
		return NULL;
	}
	return argv[optind];
}

static void print_progress(const json_t *ev)
{
	const char *phase = json_string_value(json_object_get(ev, "phase"));

	fprintf(stderr, "%s: %s", json_string_value(json_object_get(ev, "job")) ?: "job",
	    phase ? phase : json_string_value(json_object_get(ev, "state")) ?: "?");
	if (json_object_get(ev, "files_total"))
		fprintf(stderr, ", files %lld/%lld, queries %lld (%lld cached, %lld failed)",
		    json_integer_value(json_object_get(ev, "files_done")),
		    json_integer_value(json_object_get(ev, "files_total")),
		    json_integer_value(json_object_get(ev, "queries_done")),
		    json_integer_value(json_object_get(ev, "cache_hits")),
		    json_integer_value(json_object_get(ev, "queries_failed")));
	fputc('\n', stderr);
}

/*
 * Watch `job` until its end event; each event goes to `on_event`.  Returns
 * 0 with *end (a new reference) or an exit code.
 */
static int watch_job(trw_client *c, const char *job, json_t **end,
    void (*on_event)(const json_t *ev, void *p), void *p)
{
	json_t *body = json_pack("{s:s}", "job", job), *m;
	json_int_t id;
	int rc = 0;

	*end = NULL;
	if (trw_client_send(c, TRW_OP_WATCH, body, &id) < 0) {
		json_decref(body);
		cli_error("%s", trw_error_last());
		return EXIT_NODAEMON;
	}
	json_decref(body);
	for (;;) {
		json_t *mid;
		const char *ev;

		if (trw_client_recv(c, &m) < 0) {
			cli_error("%s", trw_error_last());
			return EXIT_NODAEMON;
		}
		mid = json_object_get(m, "id");
		if (!(json_is_integer(mid) && json_integer_value(mid) == id) && !json_is_null(mid)) {
			json_decref(m);
			continue;
		}
		if (!json_is_true(json_object_get(m, "ok"))) {
			rc = answer_error(m);
			json_decref(m);
			return rc;
		}
		ev = json_string_value(json_object_get(m, "event"));
		if (on_event)
			on_event(m, p);
		if (ev && strcmp(ev, "end") == 0) {
			*end = m;
			return 0;
		}
		json_decref(m);
	}
}

static void progress_to_stderr(const json_t *ev, void *p)
{
	(void)p;
	print_progress(ev);
}

/* ---- submit ---------------------------------------------------------------- */

typedef struct report_req {
	trw_report_format format;
	char path[PATH_MAX];
	const char *p;		/* NULL = stdout */
} report_req;

/* Make a local path absolute (the daemon has another working directory). */
static char *absolute(const char *what, const char *path)
{
	char buf[PATH_MAX];

	if (!realpath(path, buf)) {
		cli_error("%s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	return strdup(buf);
}

static void usage_submit(FILE *f)
{
	fprintf(f,
	    "usage: trawic submit SPEC [--rev REV] [--model SPEC] [--classifier FILE]\n"
	    "           [--paths GLOB]... [--threshold X] [--fail-on included|inconclusive|never]\n"
	    "           [--priority N] [--report FORMAT=PATH]... [--wait] [--socket PATH]\n"
	    "Queue an audit of SPEC (a path or a URL) with trawicd and print the job id.\n"
	    "--wait follows the job (progress on stderr), writes the reports and exits\n"
	    "as 'trawic audit' would: 0 not included, 1 included, 2 error, 3 no daemon.\n");
}

int cmd_submit(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rev", required_argument, NULL, 'r' },
		{ "model", required_argument, NULL, 'm' },
		{ "classifier", required_argument, NULL, 'C' },
		{ "paths", required_argument, NULL, 'p' },
		{ "threshold", required_argument, NULL, 't' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "priority", required_argument, NULL, 'P' },
		{ "report", required_argument, NULL, 'R' },
		{ "wait", no_argument, NULL, 'w' },
		{ "socket", required_argument, NULL, SOCKET_OPT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *socket_opt = NULL, *rev = NULL, *model = NULL, *classifier = NULL;
	const char *fail_on = NULL;
	report_req reports[TRW_PROTOCOL_MAX_REPORTS];
	size_t nreports = 0;
	json_t *body = NULL, *paths = json_array(), *formats = json_array(), *m = NULL;
	json_t *end = NULL, *res = NULL;
	trw_client *c = NULL;
	char *spec = NULL, *model_abs = NULL, *classifier_abs = NULL, *endp, scheme[32];
	double threshold = -1;
	long priority = 0;
	int wait = 0, ch, rc = EXIT_ERROR;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "r:m:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': rev = optarg; break;
		case 'm': model = optarg; break;
		case 'C': classifier = optarg; break;
		case 'p': json_array_append_new(paths, json_string(optarg)); break;
		case 't':
			threshold = strtod(optarg, &endp);
			if (*endp || endp == optarg || !(threshold >= 0 && threshold <= 1)) {
				cli_error("--threshold %s: a number in [0, 1]", optarg);
				goto done;
			}
			break;
		case 'F':
			if (strcmp(optarg, "included") && strcmp(optarg, "inconclusive") &&
			    strcmp(optarg, "never")) {
				cli_error("--fail-on %s: included, inconclusive or never", optarg);
				goto done;
			}
			fail_on = optarg;
			break;
		case 'P':
			errno = 0;
			priority = strtol(optarg, &endp, 10);
			if (errno || *endp || endp == optarg || priority < -100 || priority > 100) {
				cli_error("--priority %s: an integer in -100..100", optarg);
				goto done;
			}
			break;
		case 'R': {
			report_req *r;

			if (nreports == TRW_PROTOCOL_MAX_REPORTS) {
				cli_error("at most %d reports", TRW_PROTOCOL_MAX_REPORTS);
				goto done;
			}
			r = &reports[nreports];
			if (trw_report_parse_arg(optarg, &r->format, r->path, sizeof(r->path),
			    &r->p) < 0) {
				cli_error("--report %s: %s", optarg, trw_error_last());
				goto done;
			}
			nreports++;
			json_array_append_new(formats,
			    json_string(trw_report_format_name(r->format)));
			break;
		}
		case 'w': wait = 1; break;
		case SOCKET_OPT: socket_opt = optarg; break;
		case 'h': usage_submit(stdout); rc = EXIT_OK; goto done;
		default: usage_submit(stderr); goto done;
		}
	}
	if (optind != argc - 1) {
		usage_submit(stderr);
		goto done;
	}
	if (nreports && !wait) {
		cli_error("--report needs --wait (or fetch a report later with "
		    "'trawic result JOB --format FORMAT -o PATH')");
		goto done;
	}
	for (size_t i = 0; i < nreports; i++)
		if (trw_report_check_writable(reports[i].p) < 0) {
			cli_error("%s", trw_error_last());
			goto done;
		}
	if (trw_spec_classify(argv[optind], scheme, sizeof(scheme)) == TRW_SPEC_LOCAL) {
		if (!(spec = absolute("repository", argv[optind])))
			goto done;
	} else if (!(spec = strdup(argv[optind]))) {
		goto done;
	}
	if (model && strncmp(model, "ref:", 4) == 0 && model[4] != '/') {
		char *p = absolute("model", model + 4);

		if (!p)
			goto done;
		if ((model_abs = malloc(strlen(p) + 5)))
			snprintf(model_abs, strlen(p) + 5, "ref:%s", p);
		free(p);
		if (!model_abs)
			goto done;
		p = NULL;
		free(p);
		model = model_abs;
	}
	if (classifier) {
		if (!(classifier_abs = absolute("classifier", classifier)))
			goto done;
		classifier = classifier_abs;
	}
	body = json_pack("{s:s,s:i}", "spec", spec, "priority", (json_int_t)priority);
	if (rev)
		json_object_set_new(body, "rev", json_string(rev));
	if (model)
		json_object_set_new(body, "model", json_string(model));
	if (classifier)
		json_object_set_new(body, "classifier", json_string(classifier));
	if (json_array_size(paths))
		json_object_set(body, "paths", paths);
	if (json_array_size(formats))
		json_object_set(body, "formats", formats);
	if (threshold >= 0)
		json_object_set_new(body, "threshold", json_real(threshold));
	if (fail_on)
		json_object_set_new(body, "fail_on", json_string(fail_on));

	if (!(c = client_open(socket_opt, &rc)))
		goto done;
	if ((rc = call(c, &m, TRW_OP_SUBMIT, body)) != 0)
		goto done;
	printf("%s\n", json_string_value(json_object_get(m, "job")));
	fflush(stdout);
	rc = EXIT_OK;
	if (!wait)
		goto done;

	{
		char job[TRW_PROTOCOL_MAX_ID + 1];
		const json_t *rec;

		snprintf(job, sizeof(job), "%s", json_string_value(json_object_get(m, "job")));
		if ((rc = watch_job(c, job, &end, progress_to_stderr, NULL)) != 0)
			goto done;
		json_decref(body);
		body = json_pack("{s:s}", "job", job);
		if ((rc = call(c, &res, TRW_OP_RESULT, body)) != 0)
			goto done;
		rec = json_object_get(res, "result");
		if (!json_is_object(rec)) {
			cli_error("job %s %s without a record: %s", job,
			    json_string_value(json_object_get(res, "state")) ?: "ended",
			    json_string_value(json_object_get(res, "error")) ?: "no detail");
			rc = EXIT_ERROR;
			goto done;
		}
		for (size_t i = 0; i < nreports; i++) {
			trw_buf out = TRW_BUF_INIT(0);

			if (trw_report_render(&out, rec, reports[i].format) < 0 ||
			    trw_report_write(reports[i].p, out.ptr ? out.ptr : "", out.size) < 0) {
				cli_error("%s", trw_error_last());
				trw_buf_dispose(&out);
				rc = EXIT_ERROR;
				goto done;
			}
			trw_buf_dispose(&out);
		}
		{
			int fo = fail_on ? trw_fail_on_parse(fail_on) : -1;

			rc = trw_audit_exit_code(rec, fo >= 0 ? (trw_fail_on)fo : TRW_FAIL_ON_INCLUDED);
		}
	}
done:
	json_decref(res);
	json_decref(end);
	json_decref(m);
	json_decref(body);
	json_decref(paths);
	json_decref(formats);
	trw_client_free(c);
	free(spec);
	free(model_abs);
	free(classifier_abs);
	return rc;
}

/* ---- status, watch, result, cancel --------------------------------------- */

/* The options every job verb takes: --socket, and for result --format/-o. */
typedef struct job_opts {
	const char *socket;
	const char *format;
	const char *output;
	int json;
} job_opts;

static int parse_job_opts(int argc, char **argv, job_opts *o, int with_result,
    const char *usage)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, SOCKET_OPT },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, with_result ? "f:o:h" : "h", longopts, NULL)) != -1) {
		switch (ch) {
		case SOCKET_OPT: o->socket = optarg; break;
		case 'f':
		case 'o':
			if (!with_result) {
				fprintf(stderr, "usage: trawic %s\n", usage);
				return -1;
			}
			if (ch == 'f')
				o->format = optarg;
			else
				o->output = optarg;
			break;
		case 'h': printf("usage: trawic %s\n", usage); return 1;
		default: fprintf(stderr, "usage: trawic %s\n", usage); return -1;
		}
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	static const char usage[] = "status JOB [--socket PATH]";
	job_opts o;
	const char *job;
	trw_client *c;
	json_t *body, *m = NULL;
	int rc, k = parse_job_opts(argc, argv, &o, 0, usage);

	if (k)
		return k > 0 ? EXIT_OK : EXIT_ERROR;
	if (!(job = job_arg(argc, argv, usage)))
		return EXIT_ERROR;
	if (!(c = client_open(o.socket, &rc)))
		return rc;
	body = json_pack("{s:s}", "job", job);
	if ((rc = call(c, &m, TRW_OP_STATUS, body)) == 0) {
		json_object_del(m, "v");
		json_object_del(m, "id");
		json_object_del(m, "ok");
		print_json(stdout, m);
	}
	json_decref(m);
	json_decref(body);
	trw_client_free(c);
	return rc;
}

static void event_to_stdout(const json_t *ev, void *p)
{
	(void)p;
	json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	fflush(stdout);
}

int cmd_watch(int argc, char **argv)
{
	static const char usage[] = "watch JOB [--socket PATH]\n"
	    "Print the job's events (JSON lines) until it ends; exit as its audit would.";
	job_opts o;
	const char *job;
	trw_client *c;
	json_t *end = NULL;
	int rc, k = parse_job_opts(argc, argv, &o, 0, usage);

	if (k)
		return k > 0 ? EXIT_OK : EXIT_ERROR;
	if (!(job = job_arg(argc, argv, usage)))
		return EXIT_ERROR;
	if (!(c = client_open(o.socket, &rc)))
		return rc;
	if ((rc = watch_job(c, job, &end, event_to_stdout, NULL)) == 0) {
		json_t *ec = json_object_get(end, "exit_code");

		rc = json_is_integer(ec) ? (int)json_integer_value(ec) : EXIT_ERROR;
	}
	json_decref(end);
	trw_client_free(c);
	return rc;
}

int cmd_result(int argc, char **argv)
{
	static const char usage[] = "result JOB [--format FORMAT] [-o PATH] [--socket PATH]\n"
	    "Print the job's audit record (or a report); exit as 'trawic audit' would\n"
	    "(0, 1, 2), or 4 while the job is queued or running.";
	job_opts o;
	const char *job, *state;
	trw_client *c;
	json_t *body, *m = NULL, *rec;
	int rc, k = parse_job_opts(argc, argv, &o, 1, usage);

	if (k)
		return k > 0 ? EXIT_OK : EXIT_ERROR;
	if (!(job = job_arg(argc, argv, usage)))
		return EXIT_ERROR;
	if (o.format && trw_report_format_parse(o.format) < 0) {
		cli_error("--format %s: json, sarif, junit, markdown or html", o.format);
		return EXIT_ERROR;
	}
	if (!(c = client_open(o.socket, &rc)))
		return rc;
	body = json_pack("{s:s}", "job", job);
	if (o.format)
		json_object_set_new(body, "format", json_string(o.format));
	if ((rc = call(c, &m, TRW_OP_RESULT, body)) != 0)
		goto done;
	state = json_string_value(json_object_get(m, "state"));
	if (state && (strcmp(state, "queued") == 0 || strcmp(state, "running") == 0)) {
		cli_error("job %s is %s; no result yet", job, state);
		rc = EXIT_PENDING;
		goto done;
	}
	rc = json_is_integer(json_object_get(m, "exit_code")) ?
	    (int)json_integer_value(json_object_get(m, "exit_code")) : EXIT_ERROR;
	rec = json_object_get(m, "result");
	if (o.format) {
		const char *text = json_string_value(json_object_get(m, "report"));

		if (!text) {
			cli_error("job %s has no report", job);
			rc = EXIT_ERROR;
		} else if (trw_report_write(o.output, text, strlen(text)) < 0) {
			cli_error("%s", trw_error_last());
			rc = EXIT_ERROR;
		}
	} else if (json_is_object(rec)) {
		char *text = json_dumps(rec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		size_t n = text ? strlen(text) : 0;

		if (text)
			text[n] = '\n';	/* replaces the NUL: write n + 1 bytes */
		if (!text || trw_report_write(o.output, text, n + 1) < 0) {
			cli_error("%s", text ? trw_error_last() : "out of memory");
			rc = EXIT_ERROR;
		}
		free(text);
	} else {
		cli_error("job %s %s without a record: %s", job, state ? state : "ended",
		    json_string_value(json_object_get(m, "error")) ?: "no detail");
		rc = EXIT_ERROR;
	}
done:
	json_decref(m);
	json_decref(body);
	trw_client_free(c);
	return rc;
}

int cmd_cancel(int argc, char **argv)
{
	static const char usage[] = "cancel JOB [--socket PATH]";
	job_opts o;
	const char *job;
	trw_client *c;
	json_t *body, *m = NULL;
	int rc, k = parse_job_opts(argc, argv, &o, 0, usage);

	if (k)
		return k > 0 ? EXIT_OK : EXIT_ERROR;
	if (!(job = job_arg(argc, argv, usage)))
		return EXIT_ERROR;
	if (!(c = client_open(o.socket, &rc)))
		return rc;
	body = json_pack("{s:s}", "job", job);
	if ((rc = call(c, &m, TRW_OP_CANCEL, body)) == 0)
		printf("%s %s\n", job, json_is_true(json_object_get(m, "cancelling")) ?
		    "cancelling (stops at its next checkpoint)" :
		    json_string_value(json_object_get(m, "state")));
	json_decref(m);
	json_decref(body);
	trw_client_free(c);
	return rc;
}

/* ---- jobs, ping, daemon-stats ------------------------------------------------ */

int cmd_jobs(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, SOCKET_OPT },
		{ "state", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static const char usage[] = "usage: trawic jobs [--state STATE] [--limit N] [--json] "
	    "[--socket PATH]\n";
	const char *socket_opt = NULL, *state = NULL;
	long limit = 0;
	int json = 0, ch, rc;
	trw_client *c;
	json_t *body, *m = NULL, *jobs, *j;
	size_t i;
	char *end;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case SOCKET_OPT: socket_opt = optarg; break;
		case 's': state = optarg; break;
		case 'n':
			limit = strtol(optarg, &end, 10);
			if (*end || limit < 1 || limit > 10000) {
				cli_error("--limit %s: 1..10000", optarg);
				return EXIT_ERROR;
			}
			break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return EXIT_OK;
		default: fputs(usage, stderr); return EXIT_ERROR;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return EXIT_ERROR;
	}
	if (!(c = client_open(socket_opt, &rc)))
		return rc;
	body = json_object();
	if (state)
		json_object_set_new(body, "state", json_string(state));
	if (limit)
		json_object_set_new(body, "limit", json_integer(limit));
	if ((rc = call(c, &m, TRW_OP_LIST, body)) == 0) {
		jobs = json_object_get(m, "jobs");
		if (json) {
			print_json(stdout, jobs);
		} else {
			printf("%-16s  %-9s  %4s  %-20s  %s\n", "JOB", "STATE", "PRIO", "SUBMITTED",
			    "SPEC");
			json_array_foreach(jobs, i, j)
				printf("%-16s  %-9s  %4lld  %-20s  %s\n",
				    json_string_value(json_object_get(j, "job")),
				    json_string_value(json_object_get(j, "state")),
				    json_integer_value(json_object_get(j, "priority")),
				    json_string_value(json_object_get(j, "submitted")),
				    json_string_value(json_object_get(j, "spec")));
		}
	}
	json_decref(m);
	json_decref(body);
	trw_client_free(c);
	return rc;
}

static int simple_verb(int argc, char **argv, trw_op op, const char *usage)
{
	job_opts o;
	trw_client *c;
	json_t *m = NULL, *v = NULL;
	int rc, k = parse_job_opts(argc, argv, &o, 0, usage);

	if (k)
		return k > 0 ? EXIT_OK : EXIT_ERROR;
	if (optind != argc) {
		fprintf(stderr, "usage: trawic %s\n", usage);
		return EXIT_ERROR;
	}
	if (!(c = client_open(o.socket, &rc)))
		return rc;
	if ((rc = call(c, &m, op, NULL)) == 0) {
		if (op == TRW_OP_PING) {
			if ((rc = call(c, &v, TRW_OP_VERSION, NULL)) == 0)
				printf("pong from trawicd %s (protocol %lld)\n",
				    json_string_value(json_object_get(v, "version")),
				    json_integer_value(json_object_get(v, "protocol")));
		} else {
			json_object_del(m, "v");
			json_object_del(m, "id");
			json_object_del(m, "ok");
			print_json(stdout, m);
		}
	}
	json_decref(v);
	json_decref(m);
	trw_client_free(c);
	return rc;
}

int cmd_ping(int argc, char **argv)
{
	return simple_verb(argc, argv, TRW_OP_PING, "ping [--socket PATH]");
}

int cmd_daemon_stats(int argc, char **argv)
{
	return simple_verb(argc, argv, TRW_OP_STATS, "daemon-stats [--socket PATH]");
}
