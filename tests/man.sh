#!/bin/sh
# man.sh - the man pages: groff and man(1) format them without a warning,
# and they keep up with the code: every verb of `trawic --help` has its
# subsection in trawic.1 naming every long option of the verb's --help,
# every option of `trawicd --help` is in trawicd.8, and every key the
# configuration accepts (common/config.c) is in trawic-config.5 under its
# section.
. "$top_srcdir/tests/lib.sh"

M=$top_srcdir/docs/man
TRAWICD=$top_builddir/trawicd
# a missing tool is a failure: ./quickstart installs every one of them
skip() { fail "$* (./quickstart installs it)"; }

for p in trawic.1 trawicd.8 trawic-config.5; do
	if command -v groff > /dev/null 2>&1; then
		out=$(groff -ww -z -man "$M/$p" 2>&1); rc=$?
		is "$rc:$out" "0:" "$p: groff -ww -z -man, no warning"
	else
		skip "groff missing (Debian: groff-base)"
	fi
	if command -v man > /dev/null 2>&1; then
		out=$(LC_ALL=C.UTF-8 MANROFFSEQ='' man --warnings -E UTF-8 -l -Tutf8 -Z "$M/$p" 2>&1 > /dev/null)
		rc=$?
		is "$rc:$out" "0:" "$p: man --warnings, no warning"
	else
		skip "man missing (Debian: man-db)"
	fi
	ok "$p: .TH names the page" grep -q "^\\.TH $(echo "${p%.*}" | tr a-z A-Z) ${p##*.} " "$M/$p"
done

# The roff source with the escapes of option names undone: "\-\-rev" -> "--rev".
plain() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$1"; }
plain "$M/trawic.1" > "$T/trawic.1.txt"
plain "$M/trawicd.8" > "$T/trawicd.8.txt"
plain "$M/trawic-config.5" > "$T/trawic-config.5.txt"

# The text of subsection "trawic VERB" of trawic.1.
section() {
	awk -v want="trawic $1" '
		/^\.S[SH] / { name = $0; sub(/^\.S[SH] /, "", name); gsub(/"/, "", name)
			in_s = (name == want); next }
		in_s { print }' "$T/trawic.1.txt"
}
# The long options a --help text lists (its option column, and the usage).
long_opts() { grep -o -- '--[a-z][a-z0-9-]*' | grep -v -x -e '--help' | sort -u; }

verbs=$("$TRAWIC" --help | awk '/^commands:/ { on = 1; next } on && /^   [a-z]/ { print $1 } on && /^$/ { on = 0 }')
[ -n "$verbs" ]; ok "trawic --help lists commands" test $? = 0
for v in $verbs; do
	section "$v" > "$T/sec"
	if [ ! -s "$T/sec" ]; then
		fail "trawic.1 has a subsection 'trawic $v'"
		continue
	fi
	pass "trawic.1 has a subsection 'trawic $v'"
	"$TRAWIC" "$v" --help > "$T/help" 2>&1
	missing=
	for o in $(long_opts < "$T/help"); do
		grep -q -e "$o\\b" "$T/sec" || missing="$missing $o"
	done
	is "$missing" "" "trawic.1, trawic $v: every option of --help"
done

if [ -x "$TRAWICD" ]; then
	missing=
	for o in $("$TRAWICD" --help 2>&1 | long_opts); do
		grep -q -e "$o\\b" "$T/trawicd.8.txt" || missing="$missing $o"
	done
	is "$missing" "" "trawicd.8: every option of trawicd --help"
else
	skip "trawicd not built"
fi

# Keys: { "audit.model", ... } and { "model.*.backend", ... } in the table.
keys=$(sed -n 's/^[[:space:]]*{ "\([a-z*]*\.[a-z*.-]*\)", V_.*/\1/p' "$top_srcdir/common/config.c")
[ -n "$keys" ]; ok "the key table of common/config.c was found" test $? = 0
missing=
for k in $keys; do
	sec=${k%%.*}
	key=${k##*.}
	case $sec in model) head='.SH "[model ' ;; *) head=".SH \"[$sec]\"" ;; esac
	awk -v head="$head" '
		/^\.SH / { on = (index($0, head) == 1); next }
		on { print }' "$T/trawic-config.5.txt" > "$T/ksec"
	grep -q -E "^\\.(BI?|BR) \"?$key\\b|^\\.BR .*\\b$key\\b" "$T/ksec" || missing="$missing $k"
done
is "$missing" "" "trawic-config.5: every key of the configuration, in its section"

finish
