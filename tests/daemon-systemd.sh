#!/bin/sh
# daemon-systemd.sh - trawicd under systemd's conventions: a listening
# socket passed by systemd-socket-activate (LISTEN_FDS, fd 3), and the
# sd_notify protocol (READY=1, STATUS=, RELOADING=1 on SIGHUP, STOPPING=1)
# received by a real datagram socket standing in for $NOTIFY_SOCKET.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon_lib.sh"

SSA=
for p in /usr/bin/systemd-socket-activate /lib/systemd/systemd-socket-activate; do
	[ -x "$p" ] && SSA=$p && break
done
if [ -z "$SSA" ]; then
	fail "systemd-socket-activate not found (Debian package: systemd)"
	finish
fi

mkrepo "$T/member" textwrap.py shlex.py fnmatch.py > /dev/null
"$TRAWIC" model build -o "$T/m.ref" "$T/member" > /dev/null 2>&1
mkrepo "$T/small" fnmatch.py > /dev/null
mkdir -p "$(dirname "$SOCK")"

# ---- socket activation -------------------------------------------------------------
"$SSA" -l "$SOCK" -E HOME -E XDG_RUNTIME_DIR -E XDG_STATE_HOME -E XDG_CACHE_HOME \
	-E XDG_CONFIG_HOME "$TRAWICD" -f -vv --state-dir "$T/state" >> "$DLOG" 2>&1 &
DPID=$!; track $DPID
ok "systemd-socket-activate listens" wait_until 30 test -S "$SOCK"
ok "the first connection starts trawicd, which answers it" wait_until 30 "$TRAWIC" ping --socket "$SOCK"
ok "trawicd uses the socket it was given" grep -q "listening on the socket passed by systemd" "$DLOG"
job=$("$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/small")
ok "a job runs to the end" wait_until 60 job_is "$job" done
stop_daemon; is "$DRC" 0 "SIGTERM: exit 0"
ok "the socket systemd owns is left in place" test -S "$SOCK"
rm -f "$SOCK"

# ---- sd_notify --------------------------------------------------------------------------
cat > "$T/notify.py" <<'EOF'
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
open(out + ".ready", "w").close()
with open(out, "a") as f:
    while True:
        msg = s.recv(4096).decode()
        f.write(msg.replace("\n", "|") + "\n")
        f.flush()
EOF
python3 "$T/notify.py" "$T/notify.sock" "$T/notify.log" &
track $!
wait_until 30 test -e "$T/notify.log.ready"
printf '[daemon]\n\tqueue-size = 5\n' > "$T/d.conf"
NOTIFY_SOCKET=$T/notify.sock start_daemon -c "$T/d.conf" --state-dir "$T/state"
ok "READY=1 is sent once the daemon serves" wait_until 10 grep -q "READY=1" "$T/notify.log"
job=$("$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/small")
ok "STATUS= reports the queue" wait_until 10 grep -q "STATUS=.*queued" "$T/notify.log"
kill -HUP "$DPID"
ok "SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1 again" wait_until 10 sh -c \
	"grep -q 'RELOADING=1|MONOTONIC_USEC=[0-9]' '$T/notify.log' && [ \$(grep -c 'READY=1' '$T/notify.log') -ge 2 ]"
ok "... and the daemon still serves" "$TRAWIC" ping --socket "$SOCK"
qsize() { "$TRAWIC" daemon-stats --socket "$SOCK" | python3 -c 'import json,sys; print(json.load(sys.stdin)["queue_size"])'; }
is "$(qsize)" 5 "the configured queue size is in effect"
printf '[daemon]\n\tqueue-size = 7\n' > "$T/d.conf"
kill -HUP "$DPID"
ok "SIGHUP re-reads the configuration" wait_until 10 sh -c "[ \"\$('$TRAWIC' daemon-stats --socket '$SOCK' | grep -c '\"queue_size\": 7')\" = 1 ]"
printf '[daemon]\n\tqueue-size = none\n' > "$T/d.conf"
kill -HUP "$DPID"
ok "a configuration that does not load is refused, the old one kept" wait_until 10 grep -q "reload failed" "$DLOG"
is "$(qsize)" 7 "... queue size still 7"
stop_daemon; is "$DRC" 0 "SIGTERM: exit 0"
ok "STOPPING=1 was sent" grep -q "STOPPING=1" "$T/notify.log"
finish
