#!/bin/sh
# fuzz-replay.sh - the extractor's fuzz target over its seeds, the golden
# examples and deterministic mutations of them (no crash, no leak under
# the sanitizer build, every candidate inside its input).
. "$top_srcdir/tests/lib.sh"
fz=$top_builddir/tests/fuzz/fuzz_extract
"$fz" -m 40 "$top_srcdir/tests/fuzz/seeds" "$top_srcdir/tests/data/extract" > "$T/tap" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/tap"
is "$rc" 0 "fuzz target survives seeds, golden data and their mutations"
n=$(grep -c '^ok ' "$T/tap")
is "$n" 2 "both input sets were read"
finish
