#!/bin/sh
# daemon-crash.sh - kill -9 trawicd at random moments while audits run
# against `trawic serve`, restart it each time, and check that no job is
# lost, none completes twice, none runs on two workers at once, and every
# result equals (timing and cache counters aside) an uninterrupted run's.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon_lib.sh"

KILLS=${TRAWIC_CRASH_KILLS:-24}
SEED=${TRAWIC_CRASH_SEED:-$(date +%s)}
diag "seed $SEED (TRAWIC_CRASH_SEED to repeat), $KILLS kills"

mkrepo "$T/member" textwrap.py shlex.py fnmatch.py > /dev/null
"$TRAWIC" model build -o "$T/m.ref" "$T/member" > /dev/null 2>&1
ok "reference model built" test -s "$T/m.ref"
n=0
for f in keyword.py sched.py bisect.py abc.py nturl2path.py code.py getopt.py glob.py colorsys.py genericpath.py; do
	n=$((n + 1)); mkrepo "$T/r$n" "$f" > /dev/null
done
start_serve "$T/m.ref" 20 2
MODEL="llamacpp:http://$ADDR"
cat > "$T/d.conf" <<'EOF'
[daemon]
	workers = 3
	jobs-per-model = 3
EOF

# ---- the reference: one uninterrupted daemon, its own store and cache -------------
export XDG_CACHE_HOME="$T/cache-ref"
start_daemon -c "$T/d.conf" --state-dir "$T/state-ref"
for i in $(seq 1 $n); do
	"$TRAWIC" submit --socket "$SOCK" --model "$MODEL" "$T/r$i" > "$T/ref-job$i"
done
for i in $(seq 1 $n); do
	wait_until 120 job_ended "$(cat "$T/ref-job$i")"
	"$TRAWIC" result --socket "$SOCK" "$(cat "$T/ref-job$i")" > "$T/ref$i.json" 2> /dev/null
done
stop_daemon; is "$DRC" 0 "reference run: trawicd exits 0"
ok "reference run: every audit is complete" python3 -c "
import json, sys
sys.exit(any(json.load(open('$T/ref%d.json' % i))['status'] != 'complete' for i in range(1, $n + 1)))"

# ---- the crash run: a fresh store and cache, kill -9 at random moments -----------------
export XDG_CACHE_HOME="$T/cache-crash"
: > "$DLOG"
start_daemon -c "$T/d.conf" --state-dir "$T/state"
: > "$T/accepted"
submit() {	# repository index -> appends "index job" to accepted when accepted
	local j
	j=$("$TRAWIC" submit --socket "$SOCK" --model "$MODEL" "$T/r$1" 2> /dev/null) &&
		echo "$1 $j" >> "$T/accepted"
}
for i in 1 2 3 4 5 6; do submit $i; done
next=7
python3 -c "
import random; random.seed($SEED)
print(' '.join('%.2f' % random.uniform(0.05, 0.9) for _ in range($KILLS)))" > "$T/delays"
started=$(date +%s)
restarts=0
for d in $(cat "$T/delays"); do
	sleep "$d"
	kill -9 "$DPID"; wait "$DPID" 2> /dev/null
	# submits while it is down are refused (exit 3), never silently lost
	if [ $next -le $n ] && [ $((restarts % 3)) = 1 ]; then
		"$TRAWIC" submit --socket "$SOCK" --model "$MODEL" "$T/r$next" > /dev/null 2>&1
		rc=$?
		[ $rc = 3 ] || { fail "a submit to a dead daemon exits 3 (got $rc)"; }
	fi
	start_daemon -c "$T/d.conf" --state-dir "$T/state" || break
	restarts=$((restarts + 1))
	if [ $next -le $n ] && [ $((restarts % 3)) = 0 ]; then submit $next; next=$((next + 1)); fi
done
is "$restarts" "$KILLS" "killed with SIGKILL and restarted $KILLS times ($(( $(date +%s) - started )) s)"
while [ $next -le $n ]; do submit $next; next=$((next + 1)); done
is "$(wc -l < "$T/accepted")" "$n" "every submit to a running daemon was accepted"

all_ended() {
	while read -r i j; do job_ended "$j" || return 1; done < "$T/accepted"
}
ok "every accepted job ends after the last restart" wait_until 180 all_ended
lost=0; notdone=0
while read -r i j; do
	st=$(job_state "$j")
	[ -n "$st" ] || lost=$((lost + 1))
	[ "$st" = done ] || notdone=$((notdone + 1))
	"$TRAWIC" result --socket "$SOCK" "$j" > "$T/crash$i.json" 2> /dev/null
done < "$T/accepted"
is "$lost" 0 "no accepted job is lost"
is "$notdone" 0 "every job is done"

# Completed exactly once: the store says done (above) and no run logged a
# second completion.  The 'finished' line is written after the commit, so
# a kill -9 between the two leaves a job done with no line: zero is fine.
twice=$(while read -r i j; do c=$(grep -c "job $j finished" "$DLOG"); [ "$c" -le 1 ] || echo "$j:$c"; done < "$T/accepted")
is "$twice" "" "every job completed exactly once (done in the store, at most one 'finished' line over all runs)"
python3 - "$DLOG" "$T/accepted" > "$T/attempts" <<'PY'
import re, sys
log = open(sys.argv[1]).read()
bad, multi = [], 0
for line in open(sys.argv[2]):
    i, j = line.split()
    att = [int(a) for a in re.findall(r"job %s: audit of .* attempt (\d+)\)" % j, log)]
    if att != sorted(set(att)) or not att:
        bad.append("%s:%s" % (j, att))
    if len(att) > 1:
        multi += 1
print(" ".join(bad) if bad else "ok", multi)
PY
read -r claims multi < "$T/attempts"
is "$claims" ok "no job was claimed twice for the same attempt (never on two workers at once)"
ok "the kills interrupted running audits ($multi jobs ran more than once)" test "$multi" -ge 1
ok "the requeue after a crash was logged" grep -q "interrupted job.* back to queued" "$DLOG"

same=$(python3 - "$T" "$n" <<'PY'
import json, sys
T, n = sys.argv[1], int(sys.argv[2])
VOLATILE = {"timing", "cache_hits", "model_calls", "deduplicated", "seconds", "cached",
            "started", "finished"}
def norm(v):
    if isinstance(v, dict):
        return {k: norm(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
diff = []
for i in range(1, n + 1):
    a = norm(json.load(open("%s/ref%d.json" % (T, i))))
    b = norm(json.load(open("%s/crash%d.json" % (T, i))))
    if a != b:
        diff.append(str(i))
print("same" if not diff else "differ: " + " ".join(diff))
PY
)
is "$same" same "every result equals the uninterrupted run's (timing and cache counters aside)"
stop_daemon; is "$DRC" 0 "trawicd exits 0 on SIGTERM at the end"
finish
