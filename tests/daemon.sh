#!/bin/sh
# daemon.sh - trawicd end to end: the real daemon on a temporary socket and
# state directory, driven by the real `trawic` client and by raw socket
# writes (tests/daemon_raw.py).  Audits are real: a reference model built
# from a small repository, served by `trawic serve` with a fixed latency
# where a job must last long enough to be watched, queued or cancelled.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon_lib.sh"

pings() { "$TRAWIC" ping --socket "$SOCK" > /dev/null; }
hex16() { printf '%s' "$1" | grep -Eq '^[0-9a-f]{16}$'; }

# ---- no daemon -------------------------------------------------------------
out=$("$TRAWIC" ping --socket "$SOCK" 2>&1); rc=$?
is "$rc" 3 "ping without a daemon exits 3"
contains "$out" "$SOCK" "... and the message names the socket"
out=$("$TRAWIC" jobs 2>&1); rc=$?
is "$rc" 3 "jobs without a daemon exits 3 (default socket)"
contains "$out" "$XDG_RUNTIME_DIR/trawic/trawicd.sock" "... the default is \$XDG_RUNTIME_DIR/trawic/trawicd.sock"

# ---- configuration -----------------------------------------------------------
cat > "$T/d.conf" <<'EOF'
[daemon]
	workers = 2
	queue-size = 3
	read-timeout-ms = 800
	max-output = 1048576
EOF
out=$("$TRAWICD" -n -c "$T/d.conf" 2>&1); rc=$?
is "$rc" 0 "trawicd -n accepts a good configuration"
contains "$out" "queue-size 3" "... and shows the values read"
printf '[daemon]\n\tworkers = lots\n' > "$T/bad.conf"
out=$("$TRAWICD" -n -c "$T/bad.conf" 2>&1); rc=$?
ok "trawicd -n rejects a bad value (exit $rc)" test "$rc" -ne 0
contains "$out" "daemon.workers" "... naming the key"

# ---- model, repositories -------------------------------------------------------
mkrepo "$T/member" textwrap.py shlex.py fnmatch.py > /dev/null
"$TRAWIC" model build -o "$T/m.ref" "$T/member" > /dev/null 2>&1
ok "reference model built" test -s "$T/m.ref"
mkrepo "$T/small" fnmatch.py > /dev/null
# one distinct file per slow job: the query cache would answer a repeat
n=0
# slow jobs run against a server that answers 10 queries a second: 20 to
# 110 queries each (one per maskable element of one file)
for f in keyword.py sched.py bisect.py netrc.py getopt.py struct.py tty.py nturl2path.py abc.py; do
	n=$((n + 1)); mkrepo "$T/slow$n" "$f" > /dev/null
done
start_serve "$T/m.ref" 100 1
SLOWMODEL="llamacpp:http://$ADDR"

# ---- start -----------------------------------------------------------------------
start_daemon -c "$T/d.conf"
ok "trawicd answers ping" pings
is "$(stat -c %a "$SOCK")" 660 "the socket has mode 0660"
out=$("$TRAWICD" -f --socket "$SOCK" --state-dir "$T/other" 2>&1); rc=$?
ok "a second daemon on a live socket is refused (exit $rc)" test "$rc" -ne 0
contains "$out" "in use" "... saying the socket is in use"
ok "the first daemon still answers" pings

# ---- protocol basics -----------------------------------------------------------
v=$(raw lines '{"v":1,"id":1,"op":"version"}')
is "$(jq_ "$v" 'd["v"], d["id"], d["ok"], d["protocol"]')" "(1, 1, True, 1)" "version answers with v, id, ok"
is "$(jq_ "$v" '",".join(d["ops"])')" "ping,version,submit,status,watch,result,cancel,list,stats,shutdown" "version lists every op"

out=$(raw lines '{"v":1,"id":1,"op":"pi' '{"v":1,"id":2,"op":"submit","spec":5}' \
	'{"v":1,"id":3,"op":"frobnicate"}' '{"v":9,"id":4,"op":"ping"}' '[1,2]' \
	'{"v":1,"id":6,"op":"status","job":"0000000000000000"}' \
	'{"v":1,"id":7,"op":"list","state":"sleeping"}' '{"v":1,"id":8,"op":"ping"}')
codes=$(printf '%s\n' "$out" | python3 -c '
import json, sys
for l in sys.stdin:
    m = json.loads(l)
    print(m["id"], m["v"], m["error"]["code"] if not m["ok"] else "ok")' | tr '\n' ';')
is "$codes" "None 1 invalid;2 1 invalid;3 1 invalid;4 1 unsupported_version;None 1 invalid;6 1 not_found;7 1 invalid;8 1 ok;" \
	"truncated JSON, wrong type, unknown op, bad version, non-object, no such job, bad filter: errors, same connection still served"
contains "$out" "unknown op 'frobnicate'" "the unknown op is named"

out=$(raw split)
is "$(printf '%s\n' "$out" | python3 -c 'import json,sys; print([json.loads(l)["id"] for l in sys.stdin])')" "[1, 2, 3]" \
	"a request split over many writes and two in one write are all answered, in order"

out=$(raw huge 2000000)
contains "$out" '"too_large"' "a 2 MB line is answered too_large"
is "$(printf '%s\n' "$out" | tail -1)" "closed" "... and the connection is closed"

out=$(raw idle-ping)
contains "$out" "idle-open-meanwhile=yes" "other clients are served while one connection sits idle"
ms=$(printf '%s' "$out" | sed -n 's/.*ms=\([0-9]*\).*/\1/p')
ok "... promptly (20 pings in $ms ms)" test "${ms:-99999}" -lt 2000
contains "$out" "closed" "a client that never writes is dropped"
after=$(printf '%s' "$out" | sed -n 's/.*closed-after=\([0-9.]*\).*/\1/p')
ok "... after the read timeout (0.8 s; took $after s)" python3 -c "import sys; t=float('${after:-0}'); sys.exit(not (0.7 <= t <= 2.5))"

# ---- submit, status, result --------------------------------------------------------
job=$("$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/small"); rc=$?
is "$rc" 0 "submit exits 0"
ok "submit prints a job id alone ($job)" hex16 "$job"
ok "the job ends" wait_until 120 job_ended "$job"
st=$("$TRAWIC" status --socket "$SOCK" "$job")
is "$(jq_ "$st" 'd["job"], d["state"], d["spec"]')" "('$job', 'done', '$T/small')" "status shows the job done, with its spec"
"$TRAWIC" result --socket "$SOCK" "$job" > "$T/result.json"; rc=$?
ok "result exits as trawic audit would (0 or 1, got $rc)" test "$rc" -le 1
is "$(jq_ "$(cat "$T/result.json")" 'd["format"], d["status"]')" "('trawic-audit-result', 'complete')" "result prints the audit record"
"$TRAWIC" result --socket "$SOCK" --format sarif -o "$T/result.sarif" "$job"; rc2=$?
is "$rc2" "$rc" "result --format sarif -o exits the same"
ok "... and writes a SARIF log" python3 -c "import json,sys; d=json.load(open('$T/result.sarif')); sys.exit(d.get('version') != '2.1.0')"
ok "result --format markdown renders" sh -c "'$TRAWIC' result --socket '$SOCK' --format markdown '$job' | grep -q ."

out=$("$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" --wait --report "json=$T/wait.json" "$T/small" 2> "$T/wait.err"); rc3=$?
is "$rc3" "$rc" "submit --wait exits with the audit's exit code"
ok "... prints the job id ($out)" hex16 "$out"
ok "... writes the requested report locally" python3 -c "
import json, sys
a = json.load(open('$T/wait.json')); b = json.load(open('$T/result.json'))
for d in (a, b): d.pop('timing', None); d['counts'].pop('cache_hits', None); d['counts'].pop('model_calls', None); d['counts'].pop('deduplicated', None)
sys.exit(a['status'] != 'complete' or a['verdict'] != b['verdict'])"
contains "$(cat "$T/wait.err")" "$out" "... and shows progress on stderr"

out=$("$TRAWIC" submit --socket "$SOCK" "$T/does-not-exist" 2>&1); rc=$?
is "$rc" 2 "submitting a missing path fails (exit 2)"
out=$(raw lines '{"v":1,"id":1,"op":"submit","spec":"relative/path"}')
is "$(jq_ "$out" 'd["error"]["code"]')" invalid "a relative path is refused"
out=$(raw lines '{"v":1,"id":1,"op":"submit","spec":"ftp://example.com/r.git"}')
is "$(jq_ "$out" 'd["error"]["code"]')" forbidden "a scheme outside daemon.allowed-schemes is forbidden"

# ---- watch, several requests on one connection ----------------------------------------
job=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow1")
"$TRAWIC" watch --socket "$SOCK" "$job" > "$T/watch.out"; rc=$?
events=$(python3 -c 'import json,sys; print(" ".join(sorted(set(json.loads(l)["event"] for l in open(sys.argv[1])))))' "$T/watch.out")
is "$events" "end progress status" "watch streams status, progress and end events"
is "$(tail -1 "$T/watch.out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["event"], d["state"])')" "end done" "... the last is the end, state done"
"$TRAWIC" result --socket "$SOCK" "$job" > /dev/null; rc2=$?
is "$rc" "$rc2" "watch exits with the job's exit code ($rc)"

job=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow2")
is "$(raw interleave "$job")" "ping-before-end" "a ping on the watching connection is answered while the watch streams"

job=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow3")
out=$(raw watch-drop "$job")
contains "$out" '"status"' "a client that disconnects during a watch ..."
ok "... leaves the daemon serving" pings
ok "... and the job completes" wait_until 120 job_is "$job" done

# ---- pending, cancel, busy ------------------------------------------------------------
j1=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow4")
ok "a slow job starts running" wait_until 30 job_is "$j1" running
j2=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow5")
is "$(job_state "$j2")" queued "a second job on the same model waits (one job per model)"
"$TRAWIC" result --socket "$SOCK" "$j2" > /dev/null 2> "$T/pending.err"; rc=$?
is "$rc" 4 "result of a queued job exits 4"
contains "$(cat "$T/pending.err")" "queued" "... saying it is queued"
out=$("$TRAWIC" cancel --socket "$SOCK" "$j1"); rc=$?
contains "$out" "cancelling" "cancel of a running job says it is cancelling"
j4=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow7")
j3=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" --priority 5 "$T/slow6")
out=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow8" 2>&1); rc=$?
is "$rc" 3 "a submit to a full queue exits 3"
contains "$out" "busy" "... with a busy error"
out=$(raw lines "{\"v\":1,\"id\":1,\"op\":\"submit\",\"spec\":\"$T/slow8\"}")
is "$(jq_ "$out" 'd["error"]["code"], d["error"]["queue_depth"]')" "('busy', 3)" "busy carries the queue depth"
out=$("$TRAWIC" cancel --socket "$SOCK" "$j2"); rc=$?
is "$rc" 0 "cancel of a queued job exits 0"
is "$(job_state "$j2")" cancelled "... and the job is cancelled at once"
"$TRAWIC" result --socket "$SOCK" "$j2" > /dev/null 2>&1; rc=$?
is "$rc" 2 "result of a cancelled job exits 2"
ok "the running job stops at a checkpoint: cancelled" wait_until 60 job_is "$j1" cancelled
rec=$("$TRAWIC" result --socket "$SOCK" "$j1" 2> /dev/null)
is "$(jq_ "$rec" 'd["status"]')" cancelled "... with a record whose status is cancelled"
ok "the two jobs queued behind it end" wait_until 120 sh -c "'$TRAWIC' status --socket '$SOCK' $j3 | grep -q '\"done\"' && '$TRAWIC' status --socket '$SOCK' $j4 | grep -q '\"done\"'"
order=$(grep -o "job \($j3\|$j4\): audit of" "$DLOG" | cut -c5-20 | tr '\n' ' ')
is "$order" "$j3 $j4 " "the higher-priority job ran first, though submitted later"

# ---- list, stats -------------------------------------------------------------------------
out=$("$TRAWIC" jobs --socket "$SOCK" --json)
ok "jobs lists the jobs" python3 -c "import json,sys; ids={j['job'] for j in json.loads(sys.argv[1])}; sys.exit(not {'$j1','$j2','$j3','$j4'} <= ids)" "$out"
out=$("$TRAWIC" jobs --socket "$SOCK" --json --state queued)
ok "jobs --state filters" python3 -c "import json,sys; sys.exit(any(j['state'] != 'queued' for j in json.loads(sys.argv[1])))" "$out"
out=$("$TRAWIC" daemon-stats --socket "$SOCK"); rc=$?
is "$rc" 0 "daemon-stats exits 0"
ok "daemon-stats is versioned JSON with queue, workers, jobs, rates, uptime" python3 -c "
import json, sys
d = json.loads(sys.argv[1])
need = ['stats_version', 'queue_depth', 'workers', 'workers_busy', 'jobs', 'queries_per_second', 'cache_hit_rate', 'uptime_seconds']
sys.exit(d['stats_version'] != 1 or any(k not in d for k in need) or d['jobs']['cancelled'] < 2 or d['queries'] <= 0)" "$out"

# ---- a client that does not read ------------------------------------------------------------
small=$("$TRAWIC" jobs --socket "$SOCK" --json --state done | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["job"])')
out=$(raw slowreader "$small" 400 1.5)
contains "$out" "closed" "a client that asks and never reads is dropped ($out)"
contains "$(cat "$DLOG")" "does not read its answers" "... by the daemon, which says why"
ok "... and the daemon keeps serving the others" pings

# ---- SIGTERM during a job: clean exit, the job resumes and completes once -------------------
big=$("$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/slow9")
ok "the job is running" wait_until 30 job_is "$big" running
stop_daemon; is "$DRC" 0 "SIGTERM: trawicd exits 0"
ok "... and removes its socket" test ! -e "$SOCK"
start_daemon -c "$T/d.conf"
ok "after a restart the interrupted job runs again and completes" wait_until 120 job_is "$big" done
is "$(grep -c "job $big finished" "$DLOG")" 1 "... exactly once"
is "$(grep -c "job $big: interrupted by shutdown" "$DLOG")" 1 "the daemon logged the interruption"

# ---- shutdown op ---------------------------------------------------------------------------------
out=$(raw lines '{"v":1,"id":1,"op":"shutdown"}')
is "$(jq_ "$out" 'd["ok"]')" True "shutdown from the daemon's own user is accepted"
wait "$DPID"; rc=$?
is "$rc" 0 "... and trawicd exits 0"
finish
