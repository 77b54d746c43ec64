#!/bin/sh
# engine.sh - the query engine and its backends, end to end.
#
# A reference model is built from this tree's common/ directory, and the
# queries are the candidates `trawic extract` finds there.  The model is
# then asked in-process (ref:PATH) and through a real `trawic serve`
# process over each protocol (llamacpp, openai, ollama): every backend must
# give exactly the in-process answers, text and log-probabilities, also
# when the server fails a fifth of its requests (503, 500, resets, stalls
# that time out), and a server that always fails must give failures,
# never answers.  The cache must answer a second run with no model call.
#
# The request bodies are compared with golden JSON written from
# fim-protocols.md.  They are captured by tests/engine_recorder.py, a
# RECORDER: it saves what it receives and answers one canned body; it
# models no behaviour (that is what `trawic serve` is for), except the
# canned refusals trawic serve cannot give (llama.cpp's 501 for a model
# without FIM tokens, an Ollama model without "insert", an unknown model
# id).
. "$top_srcdir/tests/lib.sh"

DRIVE=${ENGINE_DRIVE:-$top_builddir/tests/engine_drive}
CHECK="python3 $top_srcdir/tests/engine_check.py"
DATA=$top_srcdir/tests/data/engine

trap 'stop_all; rm -rf "$T"' EXIT

# wait_file FILE: until FILE is non-empty, at most 10 s.
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1))
		[ $i -le 400 ] || return 1
		sleep 0.025
	done
}

# stop NAME: SIGTERM the process started as NAME and wait until it is gone.
stop() {
	[ -f "$T/$1.pid" ] || return 0
	pid=$(cat "$T/$1.pid")
	rm -f "$T/$1.pid"
	kill "$pid" 2>/dev/null
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 400 ]; then kill -9 "$pid" 2>/dev/null; break; fi
		sleep 0.025
	done
}

stop_all() {
	for f in "$T"/*.pid; do
		[ -f "$f" ] && stop "$(basename "$f" .pid)"
	done
}

# serve NAME ARGS...: start `trawic serve` on a free port (or the one in
# ARGS), its port in $T/NAME.port.
serve() {
	name=$1
	shift
	rm -f "$T/$name.port"
	"$TRAWIC" serve --model "ref:$M" --port-file "$T/$name.port" --alias refmodel -v \
		"$@" > "$T/$name.out" 2> "$T/$name.err" &
	echo $! > "$T/$name.pid"
	wait_file "$T/$name.port" || { diag "serve $name did not start: $(cat "$T/$name.err")"; return 1; }
}

# recorder NAME ARGS...: start the request recorder, its log in $T/NAME.log.
recorder() {
	name=$1
	shift
	rm -f "$T/$name.port" "$T/$name.log"
	python3 "$top_srcdir/tests/engine_recorder.py" --port-file "$T/$name.port" \
		--log "$T/$name.log" "$@" 2> "$T/$name.err" &
	echo $! > "$T/$name.pid"
	wait_file "$T/$name.port" || { diag "recorder did not start: $(cat "$T/$name.err")"; return 1; }
	: >> "$T/$name.log"
}

now_ms() { date +%s%3N; }

# Reading engine_drive's output (compact JSON lines in a fixed key order)
# with sed and grep: a Python start per assertion would cost more than the
# runs they check.
# counter FILE KEY: a counter of the stats line.
counter() { sed -n "s/^{\"type\":\"stats\".*\"$2\":\(-\{0,1\}[0-9]*\).*/\1/p" "$1"; }
# field FILE KEY: a field of the open line.
field() { sed -n "s/^{\"type\":\"open\".*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" "$1"; }
# answers FILE: its results, one per line, without the "cached" flag.
answers() { grep '^{"type":"result"' "$1" | sed 's/,"cached":[a-z]*}$/}/'; }
# same A B [--cached]: every query of A answered, B byte-identical to it
# (texts and log-probabilities), and with --cached every answer of B from
# the cache.
same() {
	answers "$1" > "$T/same.a"
	answers "$2" > "$T/same.b"
	[ -s "$T/same.a" ] || return 1
	grep -q '"error":' "$T/same.a" && return 1
	if ! cmp -s "$T/same.a" "$T/same.b"; then
		diff "$T/same.a" "$T/same.b" | head -4 | sed 's/^/#   /' | cut -c1-200
		return 1
	fi
	[ "${3:-}" != --cached ] || ! grep -q '"cached":false' "$2"
}
# failed FILE: the number of failed results; texts FILE: of answered ones.
failed() { grep -c '^{"type":"result","id":[0-9]*,"error":' "$1"; }
texts() { grep -c '^{"type":"result","id":[0-9]*,"text":' "$1"; }
rows() { "$DRIVE" --cache-rows "$1"; }

# ---- the model and the queries -------------------------------------------
M=$T/m.ref
"$TRAWIC" model build -o "$M" "$top_srcdir/common" > "$T/build.out" 2>&1
is "$?" 0 "trawic model build on common/"
"$TRAWIC" extract -q "$top_srcdir/common" > "$T/cands.jsonl"
$CHECK gen "$top_srcdir/common" "$T/cands.jsonl" "$T/q.jsonl" "$T/served.jsonl"
NQ=$(wc -l < "$T/q.jsonl" | tr -d ' ')
NU=$((NQ - 5))
ok "there are queries to ask ($NQ)" [ "$NQ" -gt 50 ]

# ---- in-process -----------------------------------------------------------
"$DRIVE" --model "ref:$M" --no-cache < "$T/served.jsonl" > "$T/ref.out"
is "$?" 0 "ref in-process answers every query"
is "$(counter "$T/ref.out" deduplicated)" 5 "identical queries are deduplicated"
is "$(counter "$T/ref.out" model_calls)" "$NU" "one model call per distinct query"
REFCTX=$(field "$T/ref.out" context)
"$DRIVE" --model "ref:$M" --no-cache --resubmit < "$T/served.jsonl" > "$T/resub.out"
is "$?" 0 "queries submitted from the callback are answered in the same run"
is "$(counter "$T/resub.out" deduplicated)" $((5 + NQ)) "and answered by the jobs already done"
is "$(counter "$T/resub.out" model_calls)" "$NU" "with no extra model call"
is "$(grep -c '"id":10000' "$T/resub.out")" "$NQ" "every resubmission gets its callback"

# ---- each protocol against trawic serve ----------------------------------
serve ok --listen 127.0.0.1:0 --slots 4
P=$(cat "$T/ok.port")
for spec in "llamacpp:http://127.0.0.1:$P" \
	"openai:http://127.0.0.1:$P/v1?model=refmodel&template=starcoder2" \
	"ollama:http://127.0.0.1:$P?model=refmodel"; do
	fam=${spec%%:*}
	"$DRIVE" --model "$spec" --no-cache < "$T/q.jsonl" > "$T/$fam.out"
	is "$?" 0 "$fam: every query answered"
	out=$(same "$T/ref.out" "$T/$fam.out"); rc=$?
	is "$rc" 0 "$fam: the same completions and log-probabilities as in-process"
	[ "$rc" = 0 ] || diag "$out"
	contains "$(field "$T/$fam.out" identity)" "$fam:refmodel@http://127.0.0.1:$P" \
		"$fam: identity names the model and the server"
	is "$(field "$T/$fam.out" context)" "$REFCTX" "$fam: context read from the server"
done
is "$(counter "$T/llamacpp.out" model_calls)" "$NU" "llamacpp: one request per distinct query"

# Token counts: llama.cpp's /tokenize gives the model's own count.
printf '{"text":"static int drain(trw_buf *b)\\n{"}\n{"text":"x"}\n' > "$T/texts.jsonl"
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --count < "$T/texts.jsonl" > "$T/c1.out"
"$DRIVE" --model "ref:$M" --count < "$T/texts.jsonl" > "$T/c2.out"
is "$(grep count "$T/c1.out")" "$(grep count "$T/c2.out")" "llamacpp: tokens counted by the server's tokenizer"
"$DRIVE" --model "ollama:http://127.0.0.1:$P?model=refmodel" --count < "$T/texts.jsonl" > "$T/c3.out"
counts() { sed -n 's/^{"type":"count","tokens":\([0-9]*\)}$/\1/p' "$1" | tr '\n' ' '; }
set -- $(counts "$T/c2.out") $(counts "$T/c3.out")
ok "ollama: the estimate (${3:-} ${4:-}) is never below the model's count (${1:-} ${2:-})" \
	[ $# = 4 ] && [ "$3" -ge "$1" ] && [ "$4" -ge "$2" ]

# The cache: a second run makes no model call and gives the same answers.
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --cache "$T/c/q.sqlite" < "$T/q.jsonl" > "$T/run1.out"
is "$?" 0 "first run with a cache"
is "$(counter "$T/run1.out" model_calls)" "$NU" "first run asks the model"
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --cache "$T/c/q.sqlite" < "$T/q.jsonl" > "$T/run2.out"
is "$?" 0 "second run with the cache"
is "$(counter "$T/run2.out" model_calls)" 0 "second run: zero model calls"
is "$(counter "$T/run2.out" cache_hits)" "$NU" "second run: every distinct query from the cache"
same "$T/run1.out" "$T/run2.out" --cached > /dev/null
is "$?" 0 "second run: identical results"
is "$(stat -c %a "$T/c")" 700 "the cache directory is created 0700"
stop ok

# ---- request bodies, compared with golden JSON ----------------------------
# Each run's requests are moved to a log of their own, then all the logs
# are compared in one Python start.
recorder rec
R=$(cat "$T/rec.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$R" --no-cache --concurrency 1 \
	< "$DATA/golden-queries.jsonl" > /dev/null
mv "$T/rec.log" "$T/rec-llamacpp.log"
echo '{"text":"def add(a, b):"}' | "$DRIVE" --model "llamacpp:http://127.0.0.1:$R" --count > "$T/cnt.out"
mv "$T/rec.log" "$T/rec-tokenize.log"
contains "$(cat "$T/cnt.out")" '"tokens":3' "llamacpp: the count is the length of the server's token list"
"$DRIVE" --model "openai:http://127.0.0.1:$R" --no-cache --concurrency 1 \
	< "$DATA/golden-queries.jsonl" > "$T/o.out"
mv "$T/rec.log" "$T/rec-openai.log"
contains "$(field "$T/o.out" identity)" "openai:bigcode/starcoder2-3b@http://127.0.0.1:$R/v1" \
	"openai: a URL without a path gets /v1"
"$DRIVE" --model "ollama:http://127.0.0.1:$R?model=qwen2.5-coder:1.5b-base" --no-cache \
	--concurrency 1 < "$DATA/golden-queries.jsonl" > /dev/null
mv "$T/rec.log" "$T/rec-ollama.log"
stop rec
$CHECK golden "$T/rec-llamacpp.log" "$DATA/requests-llamacpp.jsonl" \
	"$T/rec-tokenize.log" "$DATA/requests-tokenize.jsonl" \
	"$T/rec-openai.log" "$DATA/requests-openai.jsonl" \
	"$T/rec-ollama.log" "$DATA/requests-ollama.jsonl" > "$T/golden.out"
sed -n 's/^#/#/p' "$T/golden.out"
is "$(sed -n 1p "$T/golden.out")" same "llamacpp: /infill bodies as in fim-protocols.md"
is "$(sed -n 2p "$T/golden.out")" same "llamacpp: /tokenize body"
is "$(sed -n 3p "$T/golden.out")" same \
	"openai: /v1/completions bodies (template guessed from the id, no suffix field)"
is "$(sed -n 4p "$T/golden.out")" same "ollama: /api/show and /api/generate bodies"
# Nothing listens on the recorder's port any more.
FREE=$R

# 501: a configuration error, not retried, and nothing more is sent.
recorder r501 --infill-501 --no-insert --model-id mystery-model
R=$(cat "$T/r501.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$R" --no-cache --concurrency 1 \
	< "$DATA/golden-queries.jsonl" > "$T/501.out"
is "$?" 1 "501: the run fails"
is "$(failed "$T/501.out") $(texts "$T/501.out")" "3 0" "501: every query reported failed"
is "$(grep -c /infill "$T/r501.log")" 1 "501: one request, not retried, the rest not sent"
is "$(counter "$T/501.out" retries)" 0 "501: no retry counted"
is "$(counter "$T/501.out" run)" -7 "501: the run itself fails with TRW_EMODEL: the caller must stop"
msg=$(grep -m1 '"error"' "$T/501.out")
contains "$msg" "HTTP 501 (not_supported_error)" "501: the message names the status and type"
contains "$msg" "Infill is not supported by this model" "501: and quotes the server"
contains "$msg" "configuration error" "501: and says it is a configuration error"
err=$("$DRIVE" --model "ollama:http://127.0.0.1:$R?model=coder" --no-cache < /dev/null 2>&1)
is "$?" 2 "ollama: a model without insert is refused at open"
contains "$err" "model coder has no insert capability: it cannot fill in the middle" \
	"ollama: and the message says why"
err=$("$DRIVE" --model "openai:http://127.0.0.1:$R" --no-cache < /dev/null 2>&1)
is "$?" 2 "openai: an unknown model family is refused"
contains "$err" "add &template=NAME" "openai: and the message asks for &template="
err=$("$DRIVE" --model "openai:http://127.0.0.1:$R?model=other&template=starcoder2" --no-cache < /dev/null 2>&1)
contains "$err" "does not serve model 'other' (it lists: mystery-model)" "openai: a model the server lacks"
stop r501

# ---- errors at open -------------------------------------------------------
err=$("$DRIVE" --model "llamacpp:http://127.0.0.1:$FREE" --no-cache < /dev/null 2>&1)
is "$?" 2 "connection refused at open: an error"
contains "$err" "cannot reach llamacpp server at http://127.0.0.1:$FREE: " "connection refused: named"
for spec in "llamacpp:" "llama:http://127.0.0.1:1" "llamacpp:127.0.0.1:8080" \
	"openai:http://127.0.0.1:1?modle=x" "ollama:http://127.0.0.1:1?model=a&num_ctx=zero" \
	"ref:"; do
	err=$("$DRIVE" --model "$spec" --no-cache < /dev/null 2>&1)
	rc=$?
	is "$rc" 2 "bad spec '$spec' refused"
	contains "$err" "'$spec'" "and named in the message"
	contains "$err" "(-3)" "with TRW_EINVALID"
done

# ---- 503 while loading ------------------------------------------------------
serve load --listen 127.0.0.1:0 --slots 2 --loading-ms 1000
P=$(cat "$T/load.port")
t0=$(now_ms)
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --no-cache --health-wait-ms 20000 \
	< "$T/q.jsonl" > "$T/load.out"
is "$?" 0 "503 while loading is waited out"
t1=$(now_ms)
ok "the open waited for the model to load ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge 700 ]
same "$T/ref.out" "$T/load.out" > /dev/null
is "$?" 0 "and the answers are right"
stop load
serve load2 --listen 127.0.0.1:0 --loading-ms 60000
P=$(cat "$T/load2.port")
err=$("$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --no-cache --health-wait-ms 300 < /dev/null 2>&1)
is "$?" 2 "a server still loading after the wait: an error"
contains "$err" "Loading model" "which quotes the server"
stop load2

# ---- faults -----------------------------------------------------------------
# timeout 400 ms against stalls of 3 s: a stall can only end in a timeout.
FAULTY="--no-cache --timeout-ms 400 --retries 8 --backoff-ms 20"
serve f20 --listen 127.0.0.1:0 --slots 4 --fail-rate 0.2 --stall-ms 3000 --seed 7
P=$(cat "$T/f20.port")
for spec in "llamacpp:http://127.0.0.1:$P" \
	"openai:http://127.0.0.1:$P/v1?model=refmodel&template=starcoder2" \
	"ollama:http://127.0.0.1:$P?model=refmodel"; do
	fam=${spec%%:*}
	"$DRIVE" --model "$spec" $FAULTY < "$T/q.jsonl" > "$T/f20-$fam.out"
	is "$?" 0 "$fam with --fail-rate 0.2: every query answered"
	out=$(same "$T/$fam.out" "$T/f20-$fam.out"); rc=$?
	is "$rc" 0 "$fam with --fail-rate 0.2: byte-identical to the fault-free run"
	[ "$rc" = 0 ] || diag "$out"
	ok "$fam with --fail-rate 0.2: retries happened ($(counter "$T/f20-$fam.out" retries))" \
		[ "$(counter "$T/f20-$fam.out" retries)" -gt 0 ]
done
stop f20
faults=$(grep -o 'faults 503:[0-9]* 500:[0-9]* reset:[0-9]* stall:[0-9]*' "$T/f20.err")
diag "server: $faults"
for kind in 503 500 reset stall; do
	n=$(echo "$faults" | sed -n "s/.*$kind:\([0-9]*\).*/\1/p")
	ok "the server injected $kind faults ($n)" [ "${n:-0}" -gt 0 ]
done

# each kind alone, for a failure that names it
for kind in stall reset 500; do
	rate=0.3
	[ "$kind" = stall ] && rate=0.1	# each costs a timeout
	serve "k$kind" --listen 127.0.0.1:0 --slots 4 --fail-rate $rate --faults "$kind" --stall-ms 3000
	P=$(cat "$T/k$kind.port")
	"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" $FAULTY < "$T/q.jsonl" > "$T/k$kind.out"
	is "$?" 0 "faults '$kind' only: every query answered after retries"
	same "$T/llamacpp.out" "$T/k$kind.out" > /dev/null
	is "$?" 0 "faults '$kind' only: identical results"
	stop "k$kind"
done

# A server that always fails: failures, never answers, nothing cached.
serve f100 --listen 127.0.0.1:0 --slots 4 --fail-rate 1 --faults 503,500,reset
P=$(cat "$T/f100.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --cache "$T/f100.sqlite" --retries 2 \
	--backoff-ms 5 < "$T/q.jsonl" > "$T/f100.out"
is "$?" 1 "--fail-rate 1: the driver exits non-zero"
is "$(failed "$T/f100.out") $(texts "$T/f100.out")" "$NQ 0" "--fail-rate 1: every query reported failed, none answered"
is "$(counter "$T/f100.out" model_calls)" $((NU * 3)) "--fail-rate 1: each distinct query tried 1 + 2 times"
is "$(grep -c '^{"type":"result".*"query failed after 3 attempts: llamacpp server at' \
	"$T/f100.out")" "$NQ" \
	"--fail-rate 1: each message counts the attempts and names the server"
is "$(rows "$T/f100.sqlite")" 0 "--fail-rate 1: no failure is cached"
is "$(counter "$T/f100.out" run)" 0 "--fail-rate 1: the run returns 0, the failures went to the callback"
stop f100

# Half fail with no retries: only the answers are cached; a second run
# asks the model only for the queries that failed.
serve f50 --listen 127.0.0.1:0 --slots 4 --fail-rate 0.5 --faults 503,500 --seed 3
P=$(cat "$T/f50.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --cache "$T/f50.sqlite" --retries 0 \
	< "$T/q.jsonl" > "$T/f50a.out"
is "$?" 1 "--fail-rate 0.5 without retries: some queries fail"
# failed ids below 100000: the distinct queries (the dedup copies share them)
nf=$(grep -c '^{"type":"result","id":[0-9]\{1,5\},"error":' "$T/f50a.out")
ok "some failed ($nf)" [ "$nf" -gt 0 ]
answers "$T/f50a.out" | grep '"text":' > "$T/f50a.ok"
answers "$T/llamacpp.out" > "$T/llamacpp.ans"
is "$(grep -c -v -x -F -f "$T/llamacpp.ans" "$T/f50a.ok")" 0 "every answer given is right"
rows=$(rows "$T/f50.sqlite")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --cache "$T/f50.sqlite" --retries 40 \
	--backoff-ms 1 < "$T/q.jsonl" > "$T/f50b.out"
is "$?" 0 "the second run answers every query"
is "$(counter "$T/f50b.out" cache_hits)" "$rows" "the second run takes the answers of the first from the cache"
is "$((rows + nf))" "$NU" "and the cache held exactly the answered queries"
same "$T/llamacpp.out" "$T/f50b.out" > /dev/null
is "$?" 0 "and the results equal the fault-free run"
stop f50

# The server goes away mid-run and comes back on the same port: a refused
# connection costs no attempt, the engine waits with one probe at a time,
# the run completes and the answers are right.
# wait_requests NAME N: until serve NAME has logged N /infill requests.
wait_requests() {
	i=0
	while :; do
		n=$(grep -c 'POST /infill' "$T/$1.err" 2>/dev/null)
		[ "${n:-0}" -lt "$2" ] && [ $i -lt 400 ] || break
		i=$((i + 1)); sleep 0.025
	done
}
serve gone --listen 127.0.0.1:0 --slots 1 --latency-ms 10
P=$(cat "$T/gone.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --no-cache --concurrency 1 --retries 1 \
	--backoff-ms 50 < "$T/q.jsonl" > "$T/gone.out" &
DPID=$!
wait_requests gone 10
stop gone
serve back --listen "127.0.0.1:$P" --slots 1
wait "$DPID"
is "$?" 0 "a server restarted mid-run: every query answered (with --retries 1)"
same "$T/ref.out" "$T/gone.out" > /dev/null
is "$?" 0 "and the answers are right"
ok "refused connections were retried ($(counter "$T/gone.out" retries))" \
	[ "$(counter "$T/gone.out" retries)" -gt 0 ]
ok "without a burst of requests ($(counter "$T/gone.out" model_calls) model calls)" \
	[ "$(counter "$T/gone.out" model_calls)" -le $((NU + 20)) ]
stop back

# It goes away for good: after --health-wait-ms of absence what is left
# fails, loudly, and what was answered stays right.
serve dead --listen 127.0.0.1:0 --slots 1 --latency-ms 10
P=$(cat "$T/dead.port")
"$DRIVE" --model "llamacpp:http://127.0.0.1:$P" --no-cache --concurrency 1 \
	--health-wait-ms 500 --backoff-ms 20 < "$T/q.jsonl" > "$T/dead.out" &
DPID=$!
wait_requests dead 10
stop dead
wait "$DPID"
is "$?" 1 "a server gone for good: the run fails"
nt=$(texts "$T/dead.out")
nf=$(failed "$T/dead.out")
is "$((nt + nf))" "$NQ" "a server gone for good: every query answered or failed, none lost"
is "$(counter "$T/dead.out" run)" -7 "and the run itself fails with TRW_EMODEL"
ok "some answered ($nt), some failed ($nf)" [ "$nt" -ge 10 ] && [ "$nf" -gt 0 ]
is "$(grep -c '"error":-7,"message":"cannot reach llamacpp server at http://127.0.0.1:'"$P"': ' \
	"$T/dead.out")" "$nf" "each failure says the server cannot be reached"
answers "$T/dead.out" | grep '"text":' > "$T/dead.ok"
answers "$T/ref.out" > "$T/ref.ans"
is "$(grep -c -v -x -F -f "$T/ref.ans" "$T/dead.ok")" 0 "and every answer given is right"

finish
