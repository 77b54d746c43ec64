#!/bin/sh
# extract-golden.sh - the query files against annotated examples.
#
# tests/data/extract/<lang>/<name>.<ext> is a source file; next to it,
# <name>.<ext>.expected is what `trawic extract --format text` must print
# for it, line for line.  Each language directory must, across its files,
# show every one of the six kinds.  TRAWIC_GOLDEN_UPDATE=all (or a comma-
# separated list of languages) rewrites those .expected files; review the
# diff before committing.
. "$top_srcdir/tests/lib.sh"

data=$top_srcdir/tests/data/extract
kinds="function_name class_name variable_name string comment docstring"

for dir in "$data"/*/; do
	lang=$(basename "$dir")
	seen=""
	for src in "$dir"*; do
		case "$src" in *.expected) continue ;; esac
		[ -f "$src" ] || continue
		name=$(basename "$src")
		rm -rf "$T/w" && mkdir -p "$T/w" && cp "$src" "$T/w/$name"
		if ! "$TRAWIC" extract -q --format text "$T/w" > "$T/out" 2> "$T/err"; then
			fail "$lang/$name: trawic extract failed: $(cat "$T/err")"
			continue
		fi
		case ",${TRAWIC_GOLDEN_UPDATE:-}," in
		,all,|*",$lang,"*) cp "$T/out" "$src.expected" ;;
		esac
		if [ ! -f "$src.expected" ]; then
			fail "$lang/$name: no $name.expected"
			continue
		fi
		if diff -u "$src.expected" "$T/out" > "$T/diff"; then
			pass "$lang/$name matches $name.expected"
		else
			fail "$lang/$name differs from $name.expected"
			sed 's/^/#   /' "$T/diff" | head -40
		fi
		seen="$seen $(sed -n 's/^[^:]*:[0-9]*:[0-9]*: \([a-z_]*\): .*/\1/p' "$src.expected" | sort -u | tr '\n' ' ')"
	done
	for k in $kinds; do
		case " $seen " in
		*" $k "*) pass "$lang: kind $k is covered" ;;
		*) fail "$lang: no example of kind $k" ;;
		esac
	done
done
finish
