#!/bin/sh
# daemon-share.sh - two jobs on one model server share its capacity.
# `trawic serve --slots 2` counts the completions computing or waiting for
# a slot (trawic:completions_pending_max).  Two `trawic audit` processes,
# which share nothing, push it past what the server can take at once;
# two trawicd jobs running at the same time (daemon.jobs-per-model = 2)
# keep it at the engine's concurrency for that server: 2 slots + 1 queued.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon_lib.sh"

mkrepo "$T/a" textwrap.py shlex.py fnmatch.py
mkrepo "$T/b" glob.py getopt.py sched.py
"$TRAWIC" model build -o "$T/m.ref" "$T/a" "$T/b" > /dev/null 2>&1
is "$?" 0 "reference model built"
cat > "$T/d.conf" <<CONF
[daemon]
	workers = 2
	jobs-per-model = 2
CONF

pending_max() { curl -s "http://$ADDR/metrics" | sed -n 's/^trawic:completions_pending_max //p'; }

# control: two independent processes
start_serve "$T/m.ref" 30 2
"$TRAWIC" audit -q --no-cache --model "llamacpp:http://$ADDR" --classifier "$top_srcdir/classifier/default.json" "$T/a" > /dev/null 2>&1 &
p1=$!
"$TRAWIC" audit -q --no-cache --model "llamacpp:http://$ADDR" --classifier "$top_srcdir/classifier/default.json" "$T/b" > /dev/null 2>&1
wait $p1
ctl=$(pending_max)
ok "two separate processes: more than 3 completions at once on the server ($ctl)" [ "${ctl:-0}" -gt 3 ]
kill "$SPID"

# the daemon: two jobs at once, one shared capacity
start_serve "$T/m.ref" 30 2
start_daemon -c "$T/d.conf" --state-dir "$T/st"
j1=$("$TRAWIC" submit --socket "$SOCK" --model "llamacpp:http://$ADDR" "$T/a")
j2=$("$TRAWIC" submit --socket "$SOCK" --model "llamacpp:http://$ADDR" "$T/b")
ok "both jobs accepted" [ -n "$j1" ] && [ -n "$j2" ]
wait_until 60 sh -c "'$TRAWIC' status --socket '$SOCK' '$j1' | grep -q running && '$TRAWIC' status --socket '$SOCK' '$j2' | grep -q running"
ran=$?
is "$ran" 0 "the two jobs ran at the same time"
wait_until 300 job_ended "$j1"; wait_until 300 job_ended "$j2"
is "$(job_state "$j1"):$(job_state "$j2")" "done:done" "both jobs done"
got=$(pending_max)
ok "two daemon jobs: at most 3 completions at once on the server ($got)" [ "${got:-99}" -le 3 ]
ok "and the server was used to capacity (>= 2 at once)" [ "${got:-0}" -ge 2 ]
stop_daemon
finish
