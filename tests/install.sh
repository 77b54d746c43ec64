#!/bin/sh
# install.sh - `make install DESTDIR=...` from the build directory puts
# the programs, the man pages, the systemd units (naming trawicd by its
# installed path), the classifier, the query files, the examples and, when
# it has been built, the default reference model where the configured
# directories say; `make uninstall` takes every file back out.
. "$top_srcdir/tests/lib.sh"

D="$T/root"
MAKE=${MAKE:-make}
# Variables as the build directory's Makefile has them, fully expanded.
cat > "$T/print.mk" <<'EOF'
print-dirs:
	@echo "bindir=$(bindir)"
	@echo "sbindir=$(sbindir)"
	@echo "man1dir=$(man1dir)"
	@echo "man5dir=$(man5dir)"
	@echo "man8dir=$(man8dir)"
	@echo "pkgdatadir=$(pkgdatadir)"
	@echo "docdir=$(docdir)"
	@echo "systemdsystemunitdir=$(systemdsystemunitdir)"
	@echo "systemduserunitdir=$(systemduserunitdir)"
	@echo "sbin_programs=$(sbin_PROGRAMS)"
EOF
$MAKE -s -C "$top_builddir" -f Makefile -f "$T/print.mk" print-dirs > "$T/dirs" 2> "$T/dirs.err"
is "$?" 0 "the installation directories can be read from the Makefile"
get() { sed -n "s/^$1=//p" "$T/dirs"; }
bindir=$(get bindir) sbindir=$(get sbindir) man1dir=$(get man1dir)
man5dir=$(get man5dir) man8dir=$(get man8dir) pkgdatadir=$(get pkgdatadir)
docdir=$(get docdir) sysunit=$(get systemdsystemunitdir) userunit=$(get systemduserunitdir)
case $(get sbin_programs) in *trawicd*) daemondir=$sbindir ;; *) daemondir=$bindir ;; esac

unset DESTDIR
$MAKE -C "$top_builddir" install DESTDIR="$D" > "$T/install.log" 2>&1; rc=$?
is "$rc" 0 "make install DESTDIR=...: exit 0"
if [ "$rc" != 0 ]; then
	sed 's/^/#   /' "$T/install.log" | tail -n 20
	finish
fi

ok "trawic installed in bindir" test -x "$D$bindir/trawic"
out=$("$D$bindir/trawic" --version 2>&1)
contains "$out" "trawic " "the installed trawic runs"
if [ -x "$top_builddir/trawicd" ]; then
	ok "trawicd installed in $(basename "$daemondir")" test -x "$D$daemondir/trawicd"
fi
ok "trawic.1 in man1dir" test -f "$D$man1dir/trawic.1"
ok "trawic-config.5 in man5dir" test -f "$D$man5dir/trawic-config.5"
ok "trawicd.8 in man8dir" test -f "$D$man8dir/trawicd.8"
for scope in system user; do
	case $scope in system) dir=$sysunit ;; *) dir=$userunit ;; esac
	ok "$scope units installed" test -f "$D$dir/trawicd.service" -a -f "$D$dir/trawicd.socket"
	is "$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$D$dir/trawicd.service" 2> /dev/null)" \
		"$daemondir/trawicd" "$scope trawicd.service runs the installed trawicd (no DESTDIR in it)"
done
ok "the default classifier in pkgdatadir" cmp -s "$D$pkgdatadir/default.json" \
	"$top_srcdir/classifier/default.json"
n=$(ls "$D$pkgdatadir/queries" 2> /dev/null | grep -c '\.scm$')
is "$n" "$(ls "$top_srcdir/extractor/queries" | grep -c '\.scm$')" "every query file in pkgdatadir/queries"
for f in .pre-commit-hooks.yaml github-actions.yml gitlab-ci.yml; do
	ok "examples: $f" test -f "$D$docdir/examples/$f"
done
ok "no default model built: none installed" test ! -e "$D$pkgdatadir/default-order4.ref"
contains "$(cat "$T/install.log")" "make default-model" "no default model: the note says how to build it"

# With a default model in the cache, the next install copies it.
mkdir -p "$XDG_CACHE_HOME/trawic/models"
printf 'not really a model\n' > "$XDG_CACHE_HOME/trawic/models/default-order4.ref"
$MAKE -C "$top_builddir" install DESTDIR="$D" > "$T/install.log" 2>&1
is "$?" 0 "make install with a default model: exit 0"
ok "the default model is installed in pkgdatadir" cmp -s "$D$pkgdatadir/default-order4.ref" \
	"$XDG_CACHE_HOME/trawic/models/default-order4.ref"

$MAKE -C "$top_builddir" uninstall DESTDIR="$D" > "$T/uninstall.log" 2>&1
is "$?" 0 "make uninstall DESTDIR=...: exit 0"
left=$(cd "$D" && find . ! -type d | sort)
is "$left" "" "make uninstall removes every installed file"
[ -z "$left" ] || printf '#   left: %s\n' $left

finish
