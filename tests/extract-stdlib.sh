#!/bin/sh
# extract-stdlib.sh - trawic's Python query against Python's own ast and
# tokenize, file by file, over the standard library of this machine.
. "$top_srcdir/tests/lib.sh"

lib=${TRAWIC_STDLIB:-/usr/lib/python3.11}
if ! ls "$lib"/*.py > /dev/null 2>&1; then
	# the test command installs python3.11; a missing stdlib is a failure
	fail "no Python standard library at $lib"
	finish
fi
mkdir -p "$T/lib"
cp "$lib"/*.py "$T/lib/"
n=$(ls "$T/lib" | wc -l)

"$TRAWIC" extract -q --files --stats --kinds function_name,class_name,docstring,comment \
	"$T/lib" > "$T/out.jsonl" 2> "$T/err"
is "$?" 0 "extract exits 0"
summary=$(tail -n 1 "$T/out.jsonl")
contains "$summary" "\"extracted\":$((n - 1))," "all files but stringprep.py (generated) are extracted"
contains "$summary" "\"syntax_error_files\":0" "no syntax errors in the standard library"

if python3 "$top_srcdir/tests/stdlib_counts.py" "$T/lib" "$T/out.jsonl" > "$T/report"; then
	pass "per-file counts of function names, class names, docstrings and comments agree with ast/tokenize; skipped files are generated"
else
	fail "per-file counts differ from ast/tokenize"
fi
cat "$T/report" | head -40
finish
