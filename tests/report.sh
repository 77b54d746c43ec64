#!/bin/sh
# report.sh - `trawic report` and the JSON, SARIF and JUnit renderers.
#
# Every fixture of tests/data/report (hand-written audit-result records:
# included, not_included, inconclusive, incomplete, failed) is rendered in
# each of these formats and compared byte for byte with
# tests/data/report/golden/FIXTURE.{json,sarif,xml}.  After a deliberate
# change of a renderer, regenerate the goldens and review the diff:
#
#     TRAWIC_UPDATE_GOLDEN=1 make check TESTS=tests/report.sh
#
# Then: every fixture and every JSON rendering is valid against
# docs/audit-result.schema.json (python3-jsonschema: missing = failure);
# SARIF is checked for what GitHub code scanning reads and for agreement
# with the record (tests/report_check.py), fingerprints survive a re-render
# and edits that must not move them, results are capped at 25,000 keeping
# the most probable; JUnit is parsed and its counts, names and times
# checked; no evidence text leaks into SARIF or JUnit; and the errors: a
# document that is not a record, another format_version, bad JSON, an
# unwritable destination, unknown formats and extensions.
. "$top_srcdir/tests/lib.sh"

D=$top_srcdir/tests/data/report
G=$D/golden
CHECK="python3 $top_srcdir/tests/report_check.py"
SCHEMA=$top_srcdir/docs/audit-result.schema.json
FIXTURES="included not_included inconclusive incomplete failed"

ext() { case $1 in json) echo json ;; sarif) echo sarif ;; junit) echo xml ;; esac; }

# ---- the schema, and the fixtures against it --------------------------------
# schema_is WANT FILE DESC: FILE is WANT (valid/invalid) in $T/schema.out
schema_is() {
	if grep -q "^$1 $2\( \|\$\)" "$T/schema.out"; then pass "$3"
	else fail "$3"; grep -F " $2" "$T/schema.out" | sed 's/^/#   /'; fi
}
files=
for f in $FIXTURES; do files="$files $D/$f.json"; done
# the schema rejects what the document forbids (each edit must be caught)
python3 - "$D/included.json" "$T/bad" <<'EOF'
import json, sys, copy
rec = json.load(open(sys.argv[1]))
def w(name, f):
    r = copy.deepcopy(rec); f(r)
    json.dump(r, open("%s-%s.json" % (sys.argv[2], name), "w"))
w("status", lambda r: r.update(status="done"))
w("complete", lambda r: r.update(complete=False))
w("verdict", lambda r: r.update(status="incomplete", complete=False))
w("probability", lambda r: r["files"][0].update(probability=1.5))
w("member", lambda r: r["files"][0].update(probability=None))
w("kinds", lambda r: r["files"][0]["kinds"].pop("docstring"))
w("skip", lambda r: r["skipped"][0].update(reason="too_big"))
w("missing", lambda r: r.pop("counts"))
w("errcode", lambda r: r.update(status="failed", complete=False, verdict=None,
                                 errors=[{"code": "oops", "message": "m"}]))
EOF
BAD="status complete verdict probability member kinds skip missing errcode"
for b in $BAD; do files="$files $T/bad-$b.json"; done
$CHECK schema "$SCHEMA" $files > "$T/schema.out" 2> "$T/schema.err"
is "$?" 1 "the schema check fails when one file is invalid"
is "$(grep -c 'jsonschema is missing' "$T/schema.err")" 0 \
	"python3 has the jsonschema module (apt-get install python3-jsonschema)"
for f in $FIXTURES; do
	schema_is valid "$D/$f.json" "fixture $f.json is valid against the schema"
done
for b in $BAD; do
	schema_is invalid "$T/bad-$b.json" "the schema rejects a record with a bad $b"
done

# ---- goldens ------------------------------------------------------------------
for f in $FIXTURES; do
	for fmt in json sarif junit; do
		e=$(ext $fmt)
		"$TRAWIC" report -f $fmt "$D/$f.json" > "$T/$f.$e" 2> "$T/err"
		is "$?" 0 "$f: report -f $fmt exits 0"
		if [ "${TRAWIC_UPDATE_GOLDEN:-}" = 1 ]; then
			cp "$T/$f.$e" "$G/$f.$e"
			diag "updated $G/$f.$e"
		fi
		if cmp -s "$T/$f.$e" "$G/$f.$e"; then pass "$f: $fmt matches golden/$f.$e"
		else fail "$f: $fmt matches golden/$f.$e"; diff -u "$G/$f.$e" "$T/$f.$e" | head -20 | sed 's/^/# /'; fi
		# --report FORMAT=PATH writes the same bytes
		"$TRAWIC" report --report "$fmt=$T/$f.file.$e" "$D/$f.json"
		ok "$f: --report $fmt=PATH writes what -f $fmt prints" cmp -s "$T/$f.$e" "$T/$f.file.$e"
	done
	python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
		"$D/$f.json" "$T/$f.json"
	is "$?" 0 "$f: the JSON rendering is the record"
	ok "$f: SARIF as GitHub reads it, consistent with the record" $CHECK sarif "$D/$f.json" "$T/$f.sarif"
	ok "$f: JUnit counts, names, times and outcomes" $CHECK junit "$D/$f.json" "$T/$f.xml"
	ok "$f: no evidence text in the SARIF" $CHECK no-secrets "$D/$f.json" "$T/$f.sarif"
	ok "$f: no evidence text in the JUnit" $CHECK no-secrets "$D/$f.json" "$T/$f.xml"
done
files=
for f in $FIXTURES; do files="$files $T/$f.json"; done
$CHECK schema "$SCHEMA" $files > "$T/schema.out" 2> "$T/schema.err"
is "$?" 0 "the schema check passes when every file is valid"
for f in $FIXTURES; do
	schema_is valid "$T/$f.json" "$f: the JSON rendering is valid against the schema"
done
# the no-secrets check itself finds a leak
printf '%s\n' '# secret: hunter2' > "$T/leak.txt"
$CHECK no-secrets "$D/incomplete.json" "$T/leak.txt" 2> /dev/null
is "$?" 1 "the evidence check finds evidence text when it is there"
# the JSON report prints reals as the shortest text that reads back
printf '%s' '{"format":"trawic-audit-result","format_version":1,"x":[0.1,1.0,1e-7,2.5e20,100,0.30000000000000004,-0.0,"a\u0001/\"\\"],"e":{},"a":[]}' \
	| "$TRAWIC" report > "$T/reals.json"
is "$(tr -d ' \n' < "$T/reals.json")" \
	'{"format":"trawic-audit-result","format_version":1,"x":[0.1,1.0,1e-7,2.5e20,100,0.30000000000000004,-0.0,"a\u0001/\"\\"],"e":{},"a":[]}' \
	"JSON: shortest round-trip reals, escapes, empty containers; stdin as input"

# ---- SARIF fingerprints -----------------------------------------------------------
"$TRAWIC" report -f sarif "$D/included.json" > "$T/again.sarif"
ok "SARIF: fingerprints identical across two renders" $CHECK same-fingerprints "$T/included.sarif" "$T/again.sarif"
python3 - "$D/included.json" "$T/edited.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
f = r["files"][0]                 # a new blob, probability and first line
f.update(blob="ffffffffffffffffffffffffffffffffffffffff", probability=0.99)
f["evidence"][0]["line"] = 99
r["verdict"]["member_files"] = 3  # and a different verdict text
r["files"].reverse()              # the verdict result lands on another file
json.dump(r, open(sys.argv[2], "w"), indent=2)
EOF
"$TRAWIC" report -f sarif "$T/edited.json" > "$T/edited.sarif"
ok "SARIF: fingerprints do not move when a file, its probability or the order change" \
	$CHECK same-fingerprints "$T/included.sarif" "$T/edited.sarif"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); r["files"][1]["path"] = "h11/_renamed.py"
json.dump(r, open(sys.argv[2], "w"))' "$D/included.json" "$T/renamed.json"
"$TRAWIC" report -f sarif "$T/renamed.json" > "$T/renamed.sarif"
$CHECK same-fingerprints "$T/included.sarif" "$T/renamed.sarif" 2> /dev/null
is "$?" 1 "SARIF: a renamed file gets a new fingerprint"

# ---- SARIF limits ---------------------------------------------------------------------
python3 - "$D/included.json" "$T/many.json" <<'EOF'
import json, sys, copy
r = json.load(open(sys.argv[1]))
proto = r["files"][1]
files = []
for i in range(25010):
    f = copy.deepcopy(proto)
    f.update(path="gen/f%05d.py" % i, blob="%040x" % i, probability=0.5 + (i * 7919 % 25010) / 50020.0,
             member=True, evidence=[], evidence_total=0)
    files.append(f)
r["files"] = files
r["verdict"].update(files=len(files), member_files=len(files))
json.dump(r, open(sys.argv[2], "w"))
EOF
"$TRAWIC" report -f sarif "$T/many.json" > "$T/many.sarif"
is "$?" 0 "SARIF: a record with 25,010 member files renders"
ok "SARIF: capped at 25,000 results, the most probable kept, the cut recorded" \
	$CHECK sarif "$T/many.json" "$T/many.sarif"
is "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["runs"][0]["results"]))' "$T/many.sarif")" \
	25000 "SARIF: exactly 25,000 results"
python3 - "$D/included.json" "$T/long.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["files"][0]["path"] = "d/" + "é" * 1500 + ".py"
r["verdict"]["reason"] = "because " * 300
r["files"][0]["kinds"] = dict(("kind%d" % i, {"hits": i, "total": i + 1, "rate": 0.5}) for i in range(200))
json.dump(r, open(sys.argv[2], "w"))
EOF
"$TRAWIC" report -f sarif "$T/long.json" > "$T/long.sarif"
ok "SARIF: messages cut to 1,024 characters" $CHECK sarif "$T/long.json" "$T/long.sarif"

# ---- JUnit: XML 1.0 whatever the record holds -------------------------------------
python3 - "$D/incomplete.json" "$T/ctl.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
r["errors"][0]["message"] = "bell\u0007 esc\u001b nul\u0000 fffe\ufffe ffff\uffff cr\r <&>\"'"
r["files"][1]["path"] = "ctl\u0001\u0002name.py"
r["files"][1]["error"] = "x\u0008y"
json.dump(r, open(sys.argv[2], "w"))
EOF
"$TRAWIC" report -f junit "$T/ctl.json" > "$T/ctl.xml"
is "$?" 0 "JUnit: a record with control characters renders"
python3 -c '
import sys, xml.etree.ElementTree as ET
t = ET.parse(sys.argv[1]); s = open(sys.argv[1], encoding="utf-8").read()
body = t.getroot().find("testsuite").find("testcase").find("error").text
assert "\ufffd" in body and "<&>\"" in body and "\r" in body, repr(body)' "$T/ctl.xml"
is "$?" 0 "JUnit: forbidden characters replaced, markup escaped, CR kept"

# ---- format from the extension --------------------------------------------------------
R=$D/included.json
for e in sarif sarif.json xml json md html; do
	"$TRAWIC" report --report "$T/out.$e" "$R" 2> "$T/err"
	is "$?" 0 "--report out.$e exits 0"
done
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$T/out.sarif")" 2.1.0 \
	".sarif is SARIF"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$T/out.sarif.json")" 2.1.0 \
	".sarif.json is SARIF"
ok ".xml is JUnit" cmp -s "$T/out.xml" "$T/included.xml"
ok ".json is the record" cmp -s "$T/out.json" "$T/included.json"
"$TRAWIC" report -f markdown "$R" > "$T/md"
ok ".md is Markdown" cmp -s "$T/out.md" "$T/md"
"$TRAWIC" report -f html "$R" > "$T/html"
ok ".html is HTML" cmp -s "$T/out.html" "$T/html"
ok ".md and .html are not empty and differ" sh -c "[ -s '$T/md' ] && [ -s '$T/html' ] && ! cmp -s '$T/md' '$T/html'"
"$TRAWIC" report --report "$T/out.txt" "$R" > /dev/null 2> "$T/err"
is "$?" 2 "unknown extension: exit 2"
contains "$(cat "$T/err")" "trawic report: --report: cannot tell the format of report '$T/out.txt'" \
	"unknown extension: the message names the path"
"$TRAWIC" report --report "sarfi=$T/x.sarif" "$R" > /dev/null 2> "$T/err"
is "$?" 2 "unknown format name: exit 2"
contains "$(cat "$T/err")" "unknown report format 'sarfi'" "unknown format name: named"
"$TRAWIC" report -f yaml "$R" > /dev/null 2> "$T/err"
is "$?" 2 "-f yaml: exit 2"
"$TRAWIC" report -f sarif --report junit "$R" > /dev/null 2> "$T/err"
is "$?" 2 "two reports on standard output: exit 2"
"$TRAWIC" report --report "sarif=$T/multi.sarif" --report "junit=$T/multi.xml" -f json "$R" > "$T/multi.json"
is "$?" 0 "several reports in one run: exit 0"
ok "several reports in one run: each as rendered alone" sh -c \
	"cmp -s '$T/multi.sarif' '$T/included.sarif' && cmp -s '$T/multi.xml' '$T/included.xml' && cmp -s '$T/multi.json' '$T/included.json'"
"$TRAWIC" report - < "$R" > "$T/stdin.json"
ok "'-' reads standard input" cmp -s "$T/stdin.json" "$T/included.json"
"$TRAWIC" report --help > "$T/help"
is "$?" 0 "--help exits 0"
contains "$(cat "$T/help")" "usage: trawic report" "--help prints the usage"

# ---- writing ---------------------------------------------------------------------------
echo old > "$T/keep.sarif"; chmod 640 "$T/keep.sarif"
"$TRAWIC" report --report "$T/keep.sarif" "$R"
ok "an existing report is replaced" cmp -s "$T/keep.sarif" "$T/included.sarif"
is "$(stat -c %a "$T/keep.sarif")" 640 "a replaced report keeps its mode"
is "$(ls -A "$T" | grep -c '\.tmp$')" 0 "no temporary file left behind"
"$TRAWIC" report --report "sarif=$T/first.sarif" --report "junit=$T/nodir/x.xml" "$R" 2> "$T/err"
is "$?" 2 "unwritable --report path (no such directory): exit 2"
contains "$(cat "$T/err")" "trawic report: cannot write report '$T/nodir/x.xml'" \
	"unwritable --report path: the message names the path"
ok "unwritable --report path: nothing else was written" test ! -e "$T/first.sarif"
mkdir "$T/adir"
"$TRAWIC" report --report "json=$T/adir" "$R" 2> "$T/err"
is "$?" 2 "--report onto a directory: exit 2"
contains "$(cat "$T/err")" "'$T/adir': it is a directory" "--report onto a directory: named"

# ---- records that are not ----------------------------------------------------------------
printf '[1, 2]\n' > "$T/array.json"
"$TRAWIC" report "$T/array.json" > /dev/null 2> "$T/err"
is "$?" 2 "a JSON array: exit 2"
is "$(cat "$T/err")" "trawic report: not an audit result: the document is an array, not a JSON object" \
	"a JSON array: one line saying what is wrong"
printf '{"format": "sarif"}\n' > "$T/other.json"
"$TRAWIC" report -f junit "$T/other.json" > /dev/null 2> "$T/err"
is "$?" 2 "another format: exit 2"
contains "$(cat "$T/err")" '"format" is "sarif", expected "trawic-audit-result"' "another format: named"
sed 's/"format_version": 1/"format_version": 2/' "$R" > "$T/v2.json"
for fmt in json sarif junit; do
	"$TRAWIC" report -f $fmt "$T/v2.json" > "$T/v2.out" 2> "$T/err"
	is "$?" 2 "format_version 2 ($fmt): exit 2"
	is "$(wc -c < "$T/v2.out")" 0 "format_version 2 ($fmt): nothing on standard output"
done
contains "$(cat "$T/err")" "format_version 2 is not supported (this trawic reads version 1)" \
	"format_version 2: named"
printf '{"format": "trawic-audit-result", "format_version": 1,\n  oops}\n' > "$T/broken.json"
"$TRAWIC" report "$T/broken.json" > /dev/null 2> "$T/err"
is "$?" 2 "invalid JSON: exit 2"
contains "$(cat "$T/err")" "$T/broken.json:2:" "invalid JSON: file and line"
"$TRAWIC" report "$T/nonexistent.json" > /dev/null 2> "$T/err"
is "$?" 2 "a missing file: exit 2"
contains "$(cat "$T/err")" "$T/nonexistent.json: No such file or directory" "a missing file: named"
: > "$T/empty.json"
"$TRAWIC" report "$T/empty.json" > /dev/null 2> "$T/err"
is "$?" 2 "an empty file: exit 2"

# ---- damaged records render or fail cleanly, never crash -----------------------------
python3 - "$R" "$T/dmg" <<'EOF'
import json, sys, copy
rec = json.load(open(sys.argv[1])); n = 0
def out(r):
    global n; json.dump(r, open("%s-%03d.json" % (sys.argv[2], n), "w")); n += 1
for k in list(rec):
    if k in ("format", "format_version"):
        continue
    r = copy.deepcopy(rec); del r[k]; out(r)
    for junk in ("x", 7, {}, None, [None, 1]):
        r = copy.deepcopy(rec); r[k] = junk; out(r)
for k in rec["files"][0]:
    for junk in (None, "x", -5, [1]):
        r = copy.deepcopy(rec); r["files"][0][k] = junk; out(r)
for k in rec["files"][0]["evidence"][0]:
    r = copy.deepcopy(rec); r["files"][0]["evidence"][0][k] = None; out(r)
for k in rec["verdict"]:
    r = copy.deepcopy(rec); r["verdict"][k] = None; out(r)
    r = copy.deepcopy(rec); r["verdict"][k] = "x"; out(r)
r = copy.deepcopy(rec); r["files"] = [1, "x", None, {}]; out(r)
r = copy.deepcopy(rec); r["errors"] = [1, "x", None, {"code": 5}]; r["status"] = "failed"; out(r)
EOF
crashed=0; total=0
for f in "$T"/dmg-*.json; do
	for fmt in json sarif junit; do
		total=$((total + 1))
		"$TRAWIC" report -f $fmt "$f" > "${f%.json}.out-$fmt" 2> /dev/null
		rc=$?
		if [ $rc -eq 2 ]; then
			rm -f "${f%.json}.out-$fmt"
		elif [ $rc -ne 0 ]; then
			crashed=$((crashed + 1)); diag "$f $fmt: exit $rc"
		fi
	done
done
is "$crashed" 0 "$total renderings of damaged records: each exits 0 or 2"
python3 - "$T" <<'EOF'
import glob, json, sys, xml.etree.ElementTree as ET
bad = 0
for p in sorted(glob.glob(sys.argv[1] + "/dmg-*.out-*")):
    try:
        if p.endswith(".out-junit"):
            ET.parse(p)
        else:
            json.load(open(p, encoding="utf-8"))
    except Exception as e:
        bad += 1
        print("# %s: %s" % (p, e))
sys.exit(bad > 0)
EOF
is "$?" 0 "damaged records: every rendering that exits 0 is well-formed"

finish
