/*
 * trawicd.c - the audit-job daemon: configuration, paths, the socket (its
 * own or systemd's), the state directory lock, then the server loop over
 * the job store and the worker pool.
 *
 *   trawicd [-f] [-n] [-v]... [-c CONFIG] [--system] [--socket PATH]
 *           [--state-dir DIR]
 *
 * Everything that matters happens in server.c, workers.c and jobs.c; this
 * file wires them up once and tears them down in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <git2.h>

#include "config.h"
#include "common/config.h"
#include "common/error.h"
#include "daemon/client.h"
#include "daemon/jobs.h"
#include "daemon/log.h"
#include "daemon/server.h"
#include "daemon/workers.h"

typedef struct settings {
	trw_daemon_limits lim;
	unsigned workers, jobs_per_model;
	mode_t socket_mode;
	gid_t group;
	char *socket_path, *state_dir;
} settings;

typedef struct daemon_ctx {
	const char *config_file;
	settings set;
} daemon_ctx;

static void settings_dispose(settings *s)
{
	free(s->socket_path);
	free(s->state_dir);
	memset(s, 0, sizeof(*s));
}

static int get_uint(const trw_config *cfg, const char *key, unsigned long long lo,
    unsigned long long hi, unsigned long long *v)
{
	long long x;
	int error = trw_config_get_int(cfg, key, &x);

	if (error == TRW_ENOTFOUND)
		return 0;
	if (error < 0)
		return error;
	if (x < (long long)lo || (unsigned long long)x > hi)
		return trw_error_set(TRW_EINVALID, "%s = %lld: must be in %llu..%llu", key, x, lo, hi);
	*v = (unsigned long long)x;
	return 0;
}

/* Read the daemon.* keys over the defaults. */
static int load_settings(settings *out, const char *config_file)
{
	trw_config *cfg = NULL;
	settings s;
	unsigned long long v;
	char *str = NULL;
	int error;

	memset(&s, 0, sizeof(s));
	s.lim.max_request = 1024 * 1024;
	s.lim.max_output = 64u * 1024 * 1024;
	s.lim.read_timeout_ms = 10000;
	s.lim.write_timeout_ms = 30000;
	s.lim.queue_size = 100;
	s.lim.max_connections = 1000;
	snprintf(s.lim.allowed_schemes, sizeof(s.lim.allowed_schemes), "https");
	s.workers = 2;
	s.jobs_per_model = 1;
	s.socket_mode = 0660;
	s.group = (gid_t)-1;

	if ((error = trw_config_open_default(&cfg, config_file)) < 0)
		goto done;
#define UINT(key, lo, hi, field) \
	v = (field); \
	if ((error = get_uint(cfg, key, lo, hi, &v)) < 0) \
		goto done; \
	(field) = v;
	UINT("daemon.workers", 1, 256, s.workers);
	UINT("daemon.jobs-per-model", 1, 256, s.jobs_per_model);
	UINT("daemon.queue-size", 1, 1000000, s.lim.queue_size);
	UINT("daemon.max-request", 1024, TRW_PROTOCOL_HARD_MAX_REQUEST, s.lim.max_request);
	UINT("daemon.max-output", 65536, 1ull << 32, s.lim.max_output);
	UINT("daemon.read-timeout-ms", 10, 3600000, s.lim.read_timeout_ms);
	UINT("daemon.write-timeout-ms", 10, 3600000, s.lim.write_timeout_ms);
	UINT("daemon.max-connections", 1, 100000, s.lim.max_connections);
#undef UINT
	if ((error = trw_config_get_string(cfg, "daemon.socket-mode", &str)) == 0) {
		char *end;
		unsigned long m = strtoul(str, &end, 8);

		if (*end || end == str || m > 0777) {
			error = trw_error_set(TRW_EINVALID, "daemon.socket-mode = %s: an octal mode "
			    "such as 0660", str);
			goto done;
		}
		s.socket_mode = (mode_t)m;
		free(str);
		str = NULL;
	} else if (error != TRW_ENOTFOUND) {
		goto done;
	}
	if ((error = trw_config_get_string(cfg, "daemon.group", &str)) == 0) {
		struct group *g = getgrnam(str);
		char *end;
		unsigned long n = strtoul(str, &end, 10);

		if (g)
			s.group = g->gr_gid;
		else if (!*end && end != str)
			s.group = (gid_t)n;
		else {
			error = trw_error_set(TRW_EINVALID, "daemon.group = %s: no such group", str);
			goto done;
		}
		free(str);
		str = NULL;
	} else if (error != TRW_ENOTFOUND) {
		goto done;
	}
	{
		char **list = NULL;
		size_t n = 0;

		error = trw_config_get_all(cfg, "daemon.allowed-schemes", &list, &n);
		if (error == 0) {
			size_t off = 0;

			s.lim.allowed_schemes[0] = '\0';
			for (size_t i = 0; i < n; i++) {
				int k = snprintf(s.lim.allowed_schemes + off,
				    sizeof(s.lim.allowed_schemes) - off, "%s%s", off ? "," : "",
				    list[i]);

				if (k < 0 || (size_t)k >= sizeof(s.lim.allowed_schemes) - off) {
					trw_config_strings_free(list);
					error = trw_error_set(TRW_EINVALID, "daemon.allowed-schemes: "
					    "too long");
					goto done;
				}
				off += (size_t)k;
			}
			trw_config_strings_free(list);
		} else if (error != TRW_ENOTFOUND) {
			goto done;
		}
	}
	if ((error = trw_config_get_string(cfg, "daemon.socket", &s.socket_path)) < 0 &&
	    error != TRW_ENOTFOUND)
		goto done;
	if ((error = trw_config_get_string(cfg, "daemon.state-dir", &s.state_dir)) < 0 &&
	    error != TRW_ENOTFOUND)
		goto done;
	error = 0;
done:
	free(str);
	trw_config_free(cfg);
	if (error < 0) {
		settings_dispose(&s);
		return error;
	}
	*out = s;
	return 0;
}

static int reload(void *payload, trw_daemon_limits *lim)
{
	daemon_ctx *d = payload;
	settings s;
	int error;

	if ((error = load_settings(&s, d->config_file)) < 0)
		return error;
	if (s.workers != d->set.workers)
		log_warn("daemon.workers changed to %u: takes effect at the next start", s.workers);
	*lim = s.lim;
	settings_dispose(&d->set);
	d->set = s;
	return 0;
}

/* mkdir with exactly `mode` (the daemon runs under umask 077); an existing
 * directory is left as it is */
static int make_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) < 0)
		return errno == EEXIST ? 0 : -1;
	return chmod(path, mode);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (make_dir(buf, 0755) < 0)
			return trw_error_set(TRW_EIO, "cannot create %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (make_dir(buf, mode) < 0)
		return trw_error_set(TRW_EIO, "cannot create %s: %s", buf, strerror(errno));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
	    "usage: trawicd [-f] [-n] [-v]... [-c CONFIG] [--system] [--socket PATH]\n"
	    "               [--state-dir DIR]\n"
	    "\n"
	    "The trawic audit-job daemon (docs/protocol.md).\n"
	    "  -f, --foreground   stay in the foreground, log to stderr\n"
	    "  -n, --check        check the configuration and exit\n"
	    "  -v, --verbose      more logging (repeat for debug)\n"
	    "  -c, --config FILE  configuration file (git-config syntax, [daemon] section)\n"
	    "      --system       system-wide paths (/run/trawic, /var/lib/trawic)\n"
	    "      --socket PATH  listen here (default: per-user or system path)\n"
	    "      --state-dir D  job store and caches here\n");
}

static int inherited_socket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	struct sockaddr_un sa;
	socklen_t slen = sizeof(sa);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM)
		return 0;
	if (getsockname(fd, (struct sockaddr *)&sa, &slen) < 0 || sa.sun_family != AF_UNIX)
		return 0;
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'c' },
		{ "system", no_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "state-dir", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	daemon_ctx d;
	const char *opt_socket = NULL, *opt_state = NULL;
	char *def_socket = NULL, *def_state = NULL, path[PATH_MAX], cache[PATH_MAX];
	int foreground = 0, check = 0, verbosity = 0, system_wide = 0, ch, lock_fd, lfd = -1;
	int inherited = 0, nfds;
	unsigned requeued = 0;
	trw_jobs *jobs = NULL;
	trw_daemon *srv = NULL;
	trw_workers *workers = NULL;
	trw_daemon_options so;
	trw_workers_options wo = TRW_WORKERS_OPTIONS_INIT;
	const char *socket_path, *state_dir;

	memset(&d, 0, sizeof(d));
	while ((ch = getopt_long(argc, argv, "fnvc:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': foreground = 1; break;
		case 'n': check = 1; break;
		case 'v': verbosity++; break;
		case 'c': d.config_file = optarg; break;
		case 'S': system_wide = 1; break;
		case 's': opt_socket = optarg; break;
		case 'd': opt_state = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("trawicd %s\n", PACKAGE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	log_init(1, verbosity);
	umask(077);
	/* libgit2 refuses repositories owned by another user (git's
	 * safe.directory).  The daemon reads a repository with its
	 * submitter's rights (daemon/access.h), which is the check that
	 * matters; a root daemon auditing a user's repository must not be
	 * refused for not owning it. */
	git_libgit2_init();
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	if (load_settings(&d.set, d.config_file) < 0)
		fatal("configuration: %s", trw_error_last());
	if (trw_daemon_default_paths(&def_socket, &def_state, system_wide) < 0)
		fatal("%s", trw_error_last());
	socket_path = opt_socket ? opt_socket : d.set.socket_path ? d.set.socket_path : def_socket;
	state_dir = opt_state ? opt_state : d.set.state_dir ? d.set.state_dir : def_state;
	if (check) {
		printf("configuration OK\nsocket %s\nstate-dir %s\nworkers %u\nqueue-size %u\n"
		    "allowed-schemes %s\n", socket_path, state_dir, d.set.workers,
		    d.set.lim.queue_size, d.set.lim.allowed_schemes);
		settings_dispose(&d.set);
		free(def_socket);
		free(def_state);
		return 0;
	}

	/* 0711: per-user cache directories below must be reachable by a
	 * worker thread that has taken that user's identity */
	if (mkdir_p(state_dir, geteuid() == 0 ? 0711 : 0700) < 0)
		fatal("%s", trw_error_last());
	if (geteuid() == 0 && chmod(state_dir, 0711) < 0)
		fatal("cannot chmod %s: %s", state_dir, strerror(errno));
	snprintf(path, sizeof(path), "%s/trawicd.lock", state_dir);
	if ((lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		fatal("cannot open %s: %s", path, strerror(errno));
	if (flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		fatal("another trawicd uses %s (%s is locked)", state_dir, path);

	if ((nfds = trw_sd_listen_fds()) > 0) {
		if (nfds > 1)
			log_warn("systemd passed %d sockets; using the first", nfds);
		if (!inherited_socket(3))
			fatal("the socket systemd passed (fd 3) is not a Unix stream socket");
		lfd = 3;
		inherited = 1;
		log_notice("listening on the socket passed by systemd");
	} else {
		int private_dir = !system_wide && getenv("XDG_RUNTIME_DIR") && !opt_socket &&
		    !d.set.socket_path;

		if (trw_daemon_listen_unix(&lfd, socket_path, d.set.socket_mode, d.set.group,
		    private_dir) < 0)
			fatal("%s", trw_error_last());
		log_notice("listening on %s", socket_path);
	}

	if (!foreground) {
		pid_t pid = fork();
		int null;

		if (pid < 0)
			fatal("fork: %s", strerror(errno));
		if (pid > 0)
			_exit(0);
		setsid();
		if (chdir("/") < 0)
			fatal("chdir /: %s", strerror(errno));
		if ((null = open("/dev/null", O_RDWR)) >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
			if (null > 2)
				close(null);
		}
		log_init(0, verbosity);
	}

	snprintf(path, sizeof(path), "%s/jobs.sqlite", state_dir);
	if (trw_jobs_open(&jobs, path, &requeued) < 0)
		fatal("%s", trw_error_last());
	if (requeued)
		log_notice("%u interrupted job%s back to queued", requeued, requeued == 1 ? "" : "s");

	memset(&so, 0, sizeof(so));
	so.version = TRW_DAEMON_OPTIONS_VERSION;
	so.listen_fd = lfd;
	so.socket_path = inherited ? NULL : socket_path;
	so.jobs = jobs;
	so.limits = d.set.lim;
	so.reload = reload;
	so.reload_payload = &d;
	if (trw_daemon_new(&srv, &so) < 0)
		fatal("%s", trw_error_last());

	wo.threads = d.set.workers;
	wo.jobs_per_model = d.set.jobs_per_model;
	wo.config_file = d.config_file;
	if (geteuid() == 0) {
		snprintf(cache, sizeof(cache), "%s/cache", state_dir);
		if (mkdir_p(cache, 0711) < 0 || chmod(cache, 0711) < 0)
			fatal("%s: %s", cache, errno ? strerror(errno) : trw_error_last());
		wo.cache_dir = cache;
	}
	wo.on_event = trw_daemon_post_event;
	wo.payload = srv;
	if (trw_workers_new(&workers, jobs, &wo) < 0)
		fatal("%s", trw_error_last());
	trw_daemon_set_workers(srv, workers);

	trw_sd_notify("READY=1\nSTATUS=ready");
	log_notice("trawicd %s ready: %u workers, state in %s", PACKAGE_VERSION, d.set.workers,
	    state_dir);
	trw_daemon_run(srv);

	trw_workers_free(workers);
	trw_daemon_free(srv);
	trw_jobs_free(jobs);
	close(lock_fd);
	settings_dispose(&d.set);
	free(def_socket);
	free(def_state);
	log_notice("stopped");
	git_libgit2_shutdown();
	return 0;
}
