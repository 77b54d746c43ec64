# tests/daemon_lib.sh - helpers for the trawicd tests (sourced after lib.sh).
#
# Per-test runtime and state directories inside $T; start_daemon runs
# `trawicd -f` in the background and waits until it answers; every process
# started through here is killed on exit, whatever happened.
TRAWICD=${TRAWICD:-$top_builddir/trawicd}
export XDG_RUNTIME_DIR="$T/run" XDG_STATE_HOME="$T/state"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
SOCK=$XDG_RUNTIME_DIR/trawic/trawicd.sock
DLOG=$T/daemon.log
DPID=
_pids=
_cleanups=
track() { _pids="$_pids $1"; }
at_exit() { _cleanups="$_cleanups
$1"; }
_daemon_cleanup() {
	for p in $_pids; do kill -9 "$p" 2> /dev/null; done
	eval "$_cleanups"
	rm -rf "$T"
}
trap _daemon_cleanup EXIT
trap 'exit 1' INT TERM

# wait_until SECONDS CMD...: run CMD every 0.05 s until it succeeds, for
# at most SECONDS (wall clock, whatever CMD costs)
wait_until() {
	local end=$(( $(date +%s) + $1 )); shift
	while ! "$@" > /dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.05
	done
}

# start_daemon [ARGS...]: trawicd -f -v ARGS on $SOCK; waits for a pong
start_daemon() {
	"$TRAWICD" -f -vv --socket "$SOCK" "$@" >> "$DLOG" 2>&1 &
	DPID=$!
	track "$DPID"
	wait_until 30 daemon_answers || { diag "trawicd did not start:"; sed 's/^/#   /' "$DLOG" | tail -20; return 1; }
}
daemon_answers() { kill -0 "$DPID" 2> /dev/null && "$TRAWIC" ping --socket "$SOCK"; }

# stop_daemon: SIGTERM and wait; the exit status in $DRC (not in a
# subshell: only this shell can wait for the daemon)
stop_daemon() {
	kill -TERM "$DPID" 2> /dev/null
	wait "$DPID"; DRC=$?
}

raw() { python3 "$top_srcdir/tests/daemon_raw.py" "$SOCK" "$@"; }

# json FILE-OR-STRING EXPR: evaluate a Python expression over `d` (the JSON)
jq_() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# A small git repository of Python files from the standard library.
PYLIB=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
mkrepo() {
	local d=$1; shift
	git init -q "$d" && for f in "$@"; do cp "$PYLIB/$f" "$d/"; done &&
	git -C "$d" add . && git -C "$d" commit -q -m import
}

# start_serve MODEL LATENCY_MS SLOTS: `trawic serve` on a free port; sets ADDR
start_serve() {
	rm -f "$T/serve.port"
	"$TRAWIC" serve --model "ref:$1" --listen 127.0.0.1:0 --port-file "$T/serve.port" \
		--latency-ms "$2" --slots "${3:-2}" > /dev/null 2> "$T/serve.log" &
	SPID=$!
	track "$SPID"
	wait_until 30 test -s "$T/serve.port" || { diag "trawic serve did not start"; cat "$T/serve.log"; return 1; }
	ADDR=127.0.0.1:$(cat "$T/serve.port")
}

# job_state JOB: the state as `trawic status` shows it
job_state() { "$TRAWIC" status --socket "$SOCK" "$1" 2> /dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'; }
job_is() { [ "$(job_state "$1")" = "$2" ]; }
job_ended() { case $(job_state "$1") in done|failed|cancelled) return 0;; esac; return 1; }
