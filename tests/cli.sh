#!/bin/sh
# cli.sh - trawic's command line: help, version, exit codes, messages, and
# the JSON Lines contract of `trawic extract` on a small real repository.
. "$top_srcdir/tests/lib.sh"

out=$("$TRAWIC" --version); rc=$?
is "$rc" 0 "--version exits 0"
contains "$out" "trawic " "--version names the program"

out=$("$TRAWIC" --help); rc=$?
is "$rc" 0 "--help exits 0"
contains "$out" "extract" "--help lists extract"

out=$("$TRAWIC" extract --help); rc=$?
is "$rc" 0 "extract --help exits 0"
contains "$out" "--rev" "extract --help documents --rev"

"$TRAWIC" > /dev/null 2>&1; is "$?" 2 "no command: exit 2"
err=$("$TRAWIC" frobnicate 2>&1); rc=$?
is "$rc" 2 "unknown command: exit 2"
contains "$err" "'frobnicate' is not a trawic command" "unknown command is named"

err=$("$TRAWIC" extract 2>&1); is "$?" 2 "extract without SPEC: exit 2"
contains "$err" "no repository given" "missing SPEC is explained"
err=$("$TRAWIC" extract --lang cobol . 2>&1); is "$?" 2 "unknown language: exit 2"
contains "$err" "cobol" "the bad language is named"
err=$("$TRAWIC" extract --kinds names . 2>&1); is "$?" 2 "unknown kind: exit 2"
err=$("$TRAWIC" extract --max-size 12Q . 2>&1); is "$?" 2 "bad size: exit 2"
contains "$err" "12Q" "the bad size is named"
err=$("$TRAWIC" extract --format xml . 2>&1); is "$?" 2 "bad format: exit 2"
err=$("$TRAWIC" extract "$T/nowhere" 2>&1); is "$?" 2 "missing path: exit 2"
contains "$err" "$T/nowhere" "the missing path is named"
is "$(printf '%s\n' "$err" | wc -l)" 1 "the error is one line"

# a real repository with two files and a skip
git init -q "$T/r"
printf 'def greet(name):\n    """Say hello."""\n    message = "hello " + name  # greet\n    return message\n' > "$T/r/a.py"
printf 'fn add(a: i32) -> i32 { let total = a + 1; total }\n' > "$T/r/b.rs"
printf 'plain text\n' > "$T/r/notes.txt"
git -C "$T/r" add . && git -C "$T/r" commit -q -m one

"$TRAWIC" extract --files --stats "$T/r" > "$T/out" 2> "$T/err"
is "$?" 0 "extract on a repository exits 0"
contains "$(cat "$T/err")" "3 files, 2 extracted" "human summary on stderr"
python3 - "$T/out" > "$T/check" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
types = [r["type"] for r in recs]
assert types[-1] == "summary", types
files = [r for r in recs if r["type"] == "file"]
cands = [r for r in recs if r["type"] == "candidate"]
print(len(files), len(cands))
keys = {"type", "path", "lang", "blob", "kind", "start_byte", "end_byte", "line", "col", "text"}
src = {"a.py": open(sys.argv[1].rsplit("/", 1)[0] + "/r/a.py", "rb").read()}
for c in cands:
    assert set(c) == keys, c
    if c["path"] in src:
        b = src[c["path"]]
        assert b[c["start_byte"]:c["end_byte"]].decode() == c["text"], c
skip = [f for f in files if "skipped" in f]
assert [(f["path"], f["skipped"]) for f in skip] == [("notes.txt", "unknown_language")], skip
s = recs[-1]
assert s["files"] == 3 and s["extracted"] == 2 and s["candidates"] == len(cands), s
kinds = sorted({c["kind"] for c in cands if c["path"] == "a.py"})
print(" ".join(kinds))
PY
is "$?" 0 "JSON Lines records follow the contract (spans exact, summary last)"
contains "$(cat "$T/check")" "comment docstring function_name string variable_name" "a.py yields five kinds"

"$TRAWIC" extract -q --kinds docstring "$T/r" > "$T/doc"
is "$(grep -c '"kind":"docstring"' "$T/doc")" 1 "--kinds keeps one kind"
is "$(wc -l < "$T/doc" | tr -d ' ')" 1 "and nothing else"
"$TRAWIC" extract -q --lang rust --format text "$T/r" > "$T/rs"
contains "$(cat "$T/rs")" "b.rs:1:4: function_name: add" "--lang rust and --format text"
if grep -q 'a.py' "$T/rs"; then fail "--lang rust excludes python"; else pass "--lang rust excludes python"; fi

finish
