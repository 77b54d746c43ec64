#!/bin/sh
# audit.sh - `trawic audit` end to end with the embedded defaults: the
# default reference model (built from the default corpus's members by
# `make default-model`) and the default classifier compiled into trawic.
# A member repository of that corpus must be judged included (exit 1) and
# a non-member not (exit 0); a re-audit makes no model call; a one-file
# change queries only that file; --paths restricts; a server that fails
# every request gives exit 2 and an incomplete report; errors (bad spec,
# bad revision, unwritable report) exit 2 and still write the report
# where one can be written; progress on a pty and silence off it.
#
# The corpus and the model live in the user's real cache
# ($TRAWIC_CACHE_ROOT, set by the Makefile from XDG_CACHE_HOME/HOME before
# tests/lib.sh moves HOME to a temporary directory).
. "$top_srcdir/tests/lib.sh"

root=${TRAWIC_CACHE_ROOT:-}
model=$root/models/default-order4.ref
corpus=$root/corpora/default
if [ -z "$root" ] || [ ! -s "$model" ] || [ ! -f "$corpus/labels.tsv" ]; then
	fail "the default model and corpus exist (run 'make default-model' first; looked in '$root')"
	finish
fi
pass "the default model and corpus exist"
trap 'kill $(cat "$T/pids" 2> /dev/null) 2> /dev/null; rm -rf "$T"' EXIT

# json FILE EXPR: evaluate a python expression on the parsed report `d`
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# private copies: the test commits into them
git clone -q "$corpus/repos/py-h11" "$T/member"
git clone -q "$corpus/repos/py-packaging" "$T/nonmember"

# the default model is found in $XDG_CACHE_HOME/trawic/models
mkdir -p "$XDG_CACHE_HOME/trawic/models"
ln -s "$model" "$XDG_CACHE_HOME/trawic/models/default-order4.ref"

# ---- member / non-member ---------------------------------------------------
"$TRAWIC" audit "$T/member" --report json="$T/m1.json" > "$T/out" 2> "$T/err"
is "$?" 1 "a member repository: exit 1"
is "$(json "$T/m1.json" 'd["verdict"]["verdict"]')" included "a member repository is judged included"
is "$(json "$T/m1.json" 'd["status"]')" complete "the audit is complete"
contains "$(cat "$T/out")" "INCLUDED in the training set" "the summary says so on stdout"
is "$(cat "$T/err")" "" "nothing on stderr off a terminal"
is "$(json "$T/m1.json" 'd["classifier"]["source"]')" embedded "the embedded classifier was used"
is "$(json "$T/m1.json" 'd["model"]["identity"] == d["classifier"]["provenance"]["model"]')" True \
	"the model is the one the classifier was trained on"
is "$(json "$T/m1.json" 'len(d["warnings"])')" 0 "no warning"
is "$(json "$T/m1.json" 'd["repository"]["commit"] == None')" False "the commit is recorded"
ok "every audited file has a probability, kinds and evidence" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["files"], "no files"
for f in d["files"]:
    assert 0 <= f["probability"] <= 1, f
    assert f["member"] == (f["probability"] >= d["configuration"]["file_threshold"]), f
    assert set(f["kinds"]) == {"function_name","class_name","variable_name","string","comment","docstring"}
    assert f["evidence_total"] >= len(f["evidence"])
    for e in f["evidence"]:
        assert e["line"] >= 1 and e["col"] >= 1 and e["similarity"] >= 0, e
c = d["counts"]
assert c["files_audited"] == len(d["files"]) and c["files_skipped"] == len(d["skipped"])
assert c["queries"] == c["model_calls"] + c["cache_hits"] + c["deduplicated"], c
' "$T/m1.json"

"$TRAWIC" audit -q "$T/nonmember" --report json="$T/n1.json" > "$T/out" 2> "$T/err"
is "$?" 0 "a non-member repository: exit 0"
is "$(json "$T/n1.json" 'd["verdict"]["verdict"]')" not_included "a non-member is judged not included"
is "$(cat "$T/out" "$T/err")" "" "--quiet: nothing on stdout or stderr"

# ---- the JSON report against its schema -------------------------------------
if python3 -c 'import jsonschema' 2> /dev/null; then
	ok "both reports validate against docs/audit-result.schema.json" python3 -c '
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for p in sys.argv[2:]:
    jsonschema.validate(json.load(open(p)), schema)
' "$top_srcdir/docs/audit-result.schema.json" "$T/m1.json" "$T/n1.json"
else
	fail "python3-jsonschema is installed (./quickstart installs it)"
fi

# ---- incremental: the cache --------------------------------------------------
"$TRAWIC" audit -q "$T/member" --report json="$T/m2.json"
is "$?" 1 "re-audit: same exit"
is "$(json "$T/m2.json" 'd["counts"]["model_calls"]')" 0 "re-audit of an unchanged repository: no model call"
is "$(json "$T/m2.json" 'd["counts"]["cache_hits"] + d["counts"]["deduplicated"] == d["counts"]["queries"]')" True \
	"re-audit: every query answered from the cache"
ok "re-audit: same probabilities" python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
assert [(f["path"], f["probability"]) for f in a["files"]] == [(f["path"], f["probability"]) for f in b["files"]]
' "$T/m1.json" "$T/m2.json"

f=$(json "$T/m1.json" 'd["files"][0]["path"]')
printf '\n\ndef trawic_test_added(x):\n    """A new function."""\n    return x + 1\n' >> "$T/member/$f"
git -C "$T/member" commit -q -am "one file changed"
"$TRAWIC" audit -q "$T/member" --report json="$T/m3.json"
ok "after a one-file change only that file is queried" python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); path = sys.argv[2]
calls = d["counts"]["model_calls"]
elements = [sum(k["total"] for k in f["kinds"].values()) for f in d["files"] if f["path"] == path][0]
assert 0 < calls <= elements, (calls, elements)
' "$T/m3.json" "$f"

# ---- --paths ------------------------------------------------------------------
"$TRAWIC" audit -q "$T/member" --paths "$f" --report json="$T/p.json"
rc=$?
ok "--paths: exit 0 or 1 ($rc)" [ "$rc" -le 1 ]
is "$(json "$T/p.json" 'd["counts"]["files_audited"]')" 1 "--paths: one file audited"
is "$(json "$T/p.json" 'd["configuration"]["paths"]')" "['$f']" "--paths: the report says so"
is "$(json "$T/p.json" 'd["counts"]["files_excluded_by_paths"] == d["counts"]["files_seen"] - 1')" True \
	"--paths: the others are counted as excluded"

# ---- --fail-on and thresholds ----------------------------------------------------
"$TRAWIC" audit -q "$T/member" --fail-on never
is "$?" 0 "--fail-on never: exit 0 for an included repository"
"$TRAWIC" audit -q "$T/member" --threshold 0.99 --report json="$T/t.json"
rc=$?
is "$(json "$T/t.json" 'd["configuration"]["threshold"]')" 0.99 "--threshold is recorded"
is "$(json "$T/t.json" 'd["configuration"]["origin"]["threshold"]')" "command line" "its origin too"
is "$rc" 0 "--threshold 0.99: not included, exit 0"
"$TRAWIC" audit -q "$T/member" --threshold 0.99 --fail-on inconclusive > /dev/null
rc2=$?
v=$(json "$T/t.json" 'd["verdict"]["verdict"]')
if [ "$v" = inconclusive ]; then is "$rc2" 1 "--fail-on inconclusive: exit 1 when inconclusive"
else is "$rc2" 0 "--fail-on inconclusive: exit 0 when $v"; fi

# configuration: the repository's .trawic, overridden by a flag
printf '[audit]\n\tthreshold = 0.97\n' > "$T/member/.trawic"
"$TRAWIC" audit -q "$T/member" --report json="$T/c.json"
is "$(json "$T/c.json" 'd["configuration"]["threshold"]')" 0.97 ".trawic sets the threshold"
contains "$(json "$T/c.json" 'd["configuration"]["origin"]["threshold"]')" ".trawic:2" \
	"the origin names .trawic and its line"
"$TRAWIC" audit -q "$T/member" --threshold 0.3 --report json="$T/c2.json"
is "$(json "$T/c2.json" 'd["configuration"]["threshold"]')" 0.3 "a flag overrides .trawic"
printf '[audit]\n\tthreshold = 1.5\n' > "$T/member/.trawic"
"$TRAWIC" audit -q "$T/member" > "$T/out" 2> "$T/err"
is "$?" 2 "a bad value in .trawic: exit 2"
contains "$(cat "$T/err")" ".trawic:2" "the error names the file and line"
contains "$(cat "$T/err")" "threshold" "and the key"
rm "$T/member/.trawic"

# ---- errors: exit 2, a report anyway -----------------------------------------
"$TRAWIC" audit -q "$T/nope" --report json="$T/e1.json" 2> "$T/err"
is "$?" 2 "a missing repository: exit 2"
is "$(json "$T/e1.json" 'd["status"]')" failed "its report says failed"
is "$(json "$T/e1.json" 'd["verdict"]')" None "and has no verdict"
contains "$(cat "$T/err")" "$T/nope" "the message names the path"
"$TRAWIC" audit -q "$T/member" --rev no-such-rev --report json="$T/e2.json" 2> "$T/err"
is "$?" 2 "a bad revision: exit 2"
is "$(json "$T/e2.json" 'd["errors"][0]["code"]')" not_found "the error code is not_found"
"$TRAWIC" audit -q "$T/member" --report json="$T/no/such/dir/r.json" 2> "$T/err"
is "$?" 2 "an unwritable report path: exit 2"
contains "$(cat "$T/err")" "$T/no/such/dir/r.json" "the message names the report path"
"$TRAWIC" audit -q "$T/member" --model "ref:$T/missing.ref" --report json="$T/e3.json" 2> "$T/err"
is "$?" 2 "a model that does not open: exit 2"
is "$(json "$T/e3.json" 'd["status"]')" failed "its report says failed"
"$TRAWIC" audit -q "$T/member" --classifier "$T/m1.json" 2> "$T/err"
is "$?" 2 "a file that is not a classifier: exit 2"
contains "$(cat "$T/err")" "classifier" "the message says the classifier is at fault"
"$TRAWIC" audit -q --fail-on sometimes "$T/member" 2> "$T/err"
is "$?" 2 "--fail-on with a bad value: exit 2"

# a model server that fails every request
serve() { # PORTFILE ARGS...
	pf=$1; shift
	"$TRAWIC" serve --model "ref:$model" --listen 127.0.0.1:0 --port-file "$pf" "$@" \
		> /dev/null 2>> "$T/serve.err" &
	echo $! >> "$T/pids"
	i=0; while [ ! -s "$pf" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
	echo "127.0.0.1:$(cat "$pf")"
}
addr=$(serve "$T/pf" --fail-rate 1.0 --seed 1 --faults 500)
"$TRAWIC" audit --no-cache --retries 1 --model "llamacpp:http://$addr" "$T/nonmember" \
	--report json="$T/f.json" > "$T/out" 2> "$T/err"
is "$?" 2 "every request fails: exit 2 (never 0)"
is "$(json "$T/f.json" 'd["status"]')" incomplete "the report is marked incomplete"
is "$(json "$T/f.json" 'd["complete"]')" False "complete is false"
is "$(json "$T/f.json" 'd["verdict"]')" None "no verdict from partial data"
is "$(json "$T/f.json" 'all(f["probability"] is None and f["failed_queries"] > 0 for f in d["files"])')" True \
	"no file has a probability (a failed query is not a miss)"
is "$(json "$T/f.json" 'd["errors"][0]["code"]')" model "the error is the model's"
contains "$(cat "$T/out")" "verdict:    none" "the summary says there is no verdict"

# ---- progress --------------------------------------------------------------
if command -v script > /dev/null 2>&1; then
	script -qfec "'$TRAWIC' audit --no-cache '$T/nonmember' --report json='$T/tty.json'" \
		/dev/null > "$T/tty.out" 2>&1
	is "$?" 0 "audit on a terminal exits 0"
	out=$(tr '\r' '\n' < "$T/tty.out")
	contains "$out" "files" "the progress bar shows files"
	contains "$out" "q/s" "the progress bar shows queries/s"
	contains "$out" "ETA" "the progress bar shows an ETA"
	contains "$out" "cached" "the progress bar shows cache hits"
	script -qfec "'$TRAWIC' audit -q --no-cache '$T/nonmember'" /dev/null > "$T/tty2.out" 2>&1
	is "$(cat "$T/tty2.out")" "" "--quiet on a terminal: no bar"
else
	fail "util-linux script is installed (for a pty)"
fi
"$TRAWIC" audit --no-cache --progress plain -q "$T/nonmember" 2> "$T/plain.err" > /dev/null
contains "$(cat "$T/plain.err")" "audit: done:" "--progress plain: plain lines on stderr"

finish
