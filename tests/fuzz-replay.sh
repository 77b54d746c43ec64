#!/bin/sh
# fuzz-replay.sh - the extractor's fuzz target over its seeds, the golden
# examples and deterministic mutations of them (no crash, no leak under
# the sanitizer build, every candidate inside its input); then the daemon
# protocol parser's target the same way.
. "$top_srcdir/tests/lib.sh"
fz=$top_builddir/tests/fuzz/fuzz_extract
"$fz" -m 40 "$top_srcdir/tests/fuzz/seeds" "$top_srcdir/tests/data/extract" > "$T/tap" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/tap"
is "$rc" 0 "fuzz target survives seeds, golden data and their mutations"
n=$(grep -c '^ok ' "$T/tap")
is "$n" 2 "both input sets were read"

# the daemon's protocol parser (daemon/protocol.c) over its request seeds
fz=$top_builddir/tests/fuzz/fuzz_protocol
"$fz" -m 300 "$top_srcdir/tests/fuzz/seeds/protocol" > "$T/tap" 2> "$T/err"
rc=$?
sed 's/^/# /' "$T/tap"
is "$rc" 0 "protocol fuzz target survives its seeds and their mutations"
contains "$(cat "$T/tap")" "ok 1 - " "... which were read"
finish
