#!/bin/sh
# progress.sh - `trawic probe`'s progress line: on a terminal (a pty from
# util-linux `script`) it shows files done/total, queries/s and an ETA;
# with stderr not a terminal it shows nothing.  The total comes from
# trw_source_count, for a git repository and for a plain directory.
. "$top_srcdir/tests/lib.sh"

if ! command -v script > /dev/null 2>&1; then
	echo "1..0 # SKIP util-linux script is not installed"
	exit 0
fi
lib=/usr/lib/python3.11
git init -q "$T/repo"
for f in textwrap.py shlex.py fnmatch.py glob.py colorsys.py; do cp "$lib/$f" "$T/repo/"; done
printf 'not code\n' > "$T/repo/NOTES"	# a skipped file counts too
git -C "$T/repo" add . && git -C "$T/repo" commit -q -m import
mkdir "$T/plain" && cp "$T/repo/"* "$T/plain/"
"$TRAWIC" model build -o "$T/m.ref" "$T/repo" > /dev/null 2>&1
is "$?" 0 "reference model built"

# on a terminal: stderr is the pty that `script` copies to its stdout
script -qfec "'$TRAWIC' probe --no-cache --model 'ref:$T/m.ref' -o '$T/tty.jsonl' '$T/repo'" \
	/dev/null > "$T/tty.out" 2>&1
is "$?" 0 "probe on a terminal exits 0"
out=$(tr '\r' '\n' < "$T/tty.out")
contains "$out" "probe: 6/6 files" "the progress line shows files done/total"
contains "$out" "ETA " "the progress line shows an ETA"
contains "$out" "queries/s" "the progress line shows queries/s"
ok "the records went to the file, not the terminal" \
	[ "$(grep -c '"type":"file"' "$T/tty.jsonl")" = 6 ]

script -qfec "'$TRAWIC' probe --no-cache --model 'ref:$T/m.ref' -o '$T/plain.jsonl' '$T/plain'" \
	/dev/null > "$T/plain.out" 2>&1
contains "$(tr '\r' '\n' < "$T/plain.out")" "probe: 6/6 files" \
	"a plain directory: the total counted from the listing"

# not a terminal: quiet, apart from the final summary line
"$TRAWIC" probe --no-cache --model "ref:$T/m.ref" -o "$T/file.jsonl" "$T/repo" 2> "$T/err"
is "$?" 0 "probe with stderr to a file exits 0"
ok "no progress line without a terminal" sh -c "! grep -q 'ETA' '$T/err'"
ok "no carriage return without a terminal" sh -c "! grep -q \"\$(printf '\\r')\" '$T/err'"
contains "$(cat "$T/err")" "trawic: probed 5 files" "the summary line is there (5 probed, NOTES skipped)"

# -q on a terminal: nothing
script -qfec "'$TRAWIC' probe -q --no-cache --model 'ref:$T/m.ref' -o '$T/q.jsonl' '$T/repo'" \
	/dev/null > "$T/q.out" 2>&1
is "$(wc -c < "$T/q.out" | tr -d ' ')" 0 "-q on a terminal: no output at all"

finish
