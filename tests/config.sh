#!/bin/sh
# config.sh - models named in the configuration: a [model "NAME"] section
# in the user's file (git-config syntax) with two endpoints, two real
# `trawic serve` processes on loopback sharing the load, results equal to
# a single-endpoint run, a server killed before and during a run, the
# --config file over the user file, and the errors: a syntax error names
# the file and line, an unknown name, endpoints serving different models.
. "$top_srcdir/tests/lib.sh"

lib=/usr/lib/python3.11
git init -q "$T/member"
for f in textwrap.py shlex.py fnmatch.py glob.py; do cp "$lib/$f" "$T/member/"; done
git -C "$T/member" add . && git -C "$T/member" commit -q -m import
"$TRAWIC" model build -o "$T/m.ref" "$T/member" > /dev/null 2> "$T/err"
is "$?" 0 "reference model built"

serve() { # PORTFILE ARGS... -> HOST:PORT; the pid goes to PORTFILE.pid
	pf=$1; shift
	"$TRAWIC" serve --model "ref:$T/m.ref" --listen 127.0.0.1:0 --port-file "$pf" "$@" \
		> /dev/null 2>> "$T/serve.err" &
	echo $! >> "$T/pids"
	echo $! > "$pf.pid"
	i=0; while [ ! -s "$pf" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	echo "127.0.0.1:$(cat "$pf")"
}
trap 'kill $(cat "$T/pids" 2> /dev/null) 2> /dev/null; rm -rf "$T"' EXIT

completions() { # HOST:PORT -> the server's trawic:completions_total
	curl -s "http://$1/metrics" | awk '$1 == "trawic:completions_total" { print $2 }'
}
strip() { # JSONL -> records without timings, cache flags and the summary
	python3 -c '
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["type"] == "summary":
        continue
    for k in ("cached", "latency_ms"):
        r.pop(k, None)
    print(json.dumps(r, sort_keys=True))' "$1"; }
summary() { # JSONL KEY
	tail -n 1 "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"; }

a=$(serve "$T/pa" --slots 2 --alias ref --latency-ms 2)
b=$(serve "$T/pb" --slots 2 --alias ref --latency-ms 2)

"$TRAWIC" probe -q --no-cache --model "llamacpp:http://$a" "$T/member" > "$T/single.jsonl"
is "$?" 0 "single endpoint: probe exits 0"
strip "$T/single.jsonl" > "$T/single.s"
a0=$(completions "$a"); b0=$(completions "$b")

mkdir -p "$XDG_CONFIG_HOME/trawic"
cat > "$XDG_CONFIG_HOME/trawic/config" <<CFG
# two servers of one model
[model "local"]
	backend = llamacpp
	endpoint = http://$a
	endpoint = http://$b
	retries = 3
CFG
"$TRAWIC" probe -q --no-cache --model local "$T/member" > "$T/two.jsonl" 2> "$T/two.err"
is "$?" 0 "two endpoints from the user configuration: probe exits 0"
strip "$T/two.jsonl" > "$T/two.s"
ok "two endpoints: results identical to the single-endpoint run" cmp -s "$T/single.s" "$T/two.s"
a1=$(completions "$a"); b1=$(completions "$b")
diag "completions: A $a0 -> $a1, B $b0 -> $b1"
ok "server A received requests" [ "$a1" -gt "$a0" ]
ok "server B received requests" [ "$b1" -gt "$b0" ]
contains "$(summary "$T/two.jsonl" model)" "@http://$a,http://$b" \
	"the identity names the model and both endpoints"

# --config FILE sits over the user file: its endpoint list replaces it
cat > "$T/only-a" <<CFG
[model "local"]
	endpoint = http://$a
CFG
"$TRAWIC" probe -q --no-cache --config "$T/only-a" --model local "$T/member" > "$T/onlya.jsonl"
is "$?" 0 "--config over the user file: probe exits 0"
is "$(summary "$T/onlya.jsonl" model)" "llamacpp:ref@http://$a" \
	"--config: its endpoint list replaces the user's"
a2=$(completions "$a"); b2=$(completions "$b")
is "$b2" "$b1" "--config: server B received nothing"

# one server killed during the run: the other finishes it
c=$(serve "$T/pc" --slots 2 --alias ref --latency-ms 20)
d=$(serve "$T/pd" --slots 2 --alias ref --latency-ms 20)
cat > "$T/cd" <<CFG
[model "local"]
	endpoint = http://$c
	endpoint = http://$d
CFG
"$TRAWIC" probe -q --no-cache --config "$T/cd" --model local "$T/member" \
	> "$T/mid.jsonl" 2> "$T/mid.err" &
probe_pid=$!
i=0
while [ $i -lt 400 ] && [ "$(completions "$d")" = 0 ]; do sleep 0.02; i=$((i + 1)); done
dk=$(completions "$d")
kill -0 $probe_pid 2> /dev/null && running=yes || running=no
kill "$(cat "$T/pd.pid")"
dn=$(completions "$c")
diag "killed D after $dk completions (C had $dn)"
wait $probe_pid
is "$?" 0 "a server killed mid-run: probe exits 0"
strip "$T/mid.jsonl" > "$T/mid.s"
ok "a server killed mid-run: results identical" cmp -s "$T/single.s" "$T/mid.s"
ok "and the survivor answered after the kill" [ "$(completions "$c")" -gt "$dn" ]
is "$running" yes "the probe was still running when the server died"
ok "and the dead server had served part of it" [ "$dk" -gt 0 ]

# one server dead before the run: left out at open, the other serves
kill "$(cat "$T/pb.pid")"
i=0; while [ $i -lt 200 ] && curl -s -o /dev/null "http://$b/health"; do sleep 0.05; i=$((i + 1)); done
"$TRAWIC" probe -q --no-cache --model local "$T/member" > "$T/dead.jsonl" 2> "$T/dead.err"
is "$?" 0 "a server dead before the run: probe exits 0"
strip "$T/dead.jsonl" > "$T/dead.s"
ok "a server dead before the run: results identical" cmp -s "$T/single.s" "$T/dead.s"

# endpoints that serve different models
e=$(serve "$T/pe" --slots 1 --alias other)
cat > "$T/mixed" <<CFG
[model "mixed"]
	backend = llamacpp
	endpoint = http://$a
	endpoint = http://$e
CFG
"$TRAWIC" probe -q --no-cache --config "$T/mixed" --model mixed "$T/member" > /dev/null 2> "$T/mixed.err"
is "$?" 2 "endpoints serving different models: exit 2"
contains "$(cat "$T/mixed.err")" "llamacpp:ref@http://$a and llamacpp:other@http://$e" \
	"the message names both identities"
diag "$(cat "$T/mixed.err")"

# a syntax error names the file and the line
printf '[model "x"]\n\tbackend = ref\n[model "y\n' > "$T/bad"
"$TRAWIC" probe -q --no-cache --config "$T/bad" --model x "$T/member" > /dev/null 2> "$T/bad.err"
is "$?" 2 "a configuration syntax error: exit 2"
contains "$(cat "$T/bad.err")" "$T/bad:3" "the message names the file and the line"
diag "$(cat "$T/bad.err")"
printf '[model "x"\n' >> "$XDG_CONFIG_HOME/trawic/config"
"$TRAWIC" probe -q --no-cache --model local "$T/member" > /dev/null 2> "$T/bad2.err"
is "$?" 2 "a syntax error in the user file: exit 2"
contains "$(cat "$T/bad2.err")" "$XDG_CONFIG_HOME/trawic/config:" "the message names the user file"
rm "$XDG_CONFIG_HOME/trawic/config"

# a name that is neither configured nor a spec
"$TRAWIC" probe -q --no-cache --model x "$T/member" > /dev/null 2> "$T/x.err"
is "$?" 2 "an unknown model name: exit 2"
contains "$(cat "$T/x.err")" "no model 'x' in the configuration (and not a spec" \
	"the message says there is no such model"

# the system file (TRAWIC_SYSTEM_CONFIG) names models too; ref with a path
printf '[model "sys"]\n\tbackend = ref\n\tpath = %s\n' "$T/m.ref" > "$T/system"
TRAWIC_SYSTEM_CONFIG="$T/system" "$TRAWIC" probe -q --no-cache --model sys "$T/member" > "$T/sys.jsonl"
is "$?" 0 "a ref model named in the system file: probe exits 0"
strip "$T/sys.jsonl" > "$T/sys.s"
ok "and its results equal the llama.cpp runs" cmp -s "$T/single.s" "$T/sys.s"

finish
