# tests/lib.sh - TAP helpers for the shell tests (sourced, not run).
#
#   plan N | ok COND-DESCRIPTION | is GOT WANT DESC | finish
# Every test script: `. "$top_srcdir/tests/lib.sh"`, then assertions, then
# `finish` (which prints the plan when none was given and exits non-zero
# if anything failed).  A temporary directory $T is made and removed.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
TRAWIC=${TRAWIC:-$top_builddir/trawic}
_tap_n=0
_tap_fail=0
_tap_planned=0
T=$(mktemp -d "${TMPDIR:-/tmp}/trawic-test.XXXXXX")
trap 'rm -rf "$T"' EXIT
export HOME="$T/home" XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config"
mkdir -p "$HOME"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid \
	GIT_CONFIG_NOSYSTEM=1

plan() { _tap_planned=1; echo "1..$1"; }

# pass/fail DESC
pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1"; }
fail() {
	_tap_n=$((_tap_n + 1)); _tap_fail=$((_tap_fail + 1))
	echo "not ok $_tap_n - $1"
}

# ok DESC CMD...   (runs CMD; passes when it exits 0)
ok() {
	local d=$1; shift
	if "$@"; then pass "$d"; else fail "$d"; fi
}

# is GOT WANT DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"
	else fail "$3"; printf '#   got:  %s\n#   want: %s\n' "$1" "$2"; fi
}

# contains HAYSTACK NEEDLE DESC
contains() {
	case "$1" in
	*"$2"*) pass "$3" ;;
	*) fail "$3"; printf '#   %s\n#   does not contain: %s\n' "$1" "$2" ;;
	esac
}

diag() { echo "# $*"; }

finish() {
	[ "$_tap_planned" = 1 ] || echo "1..$_tap_n"
	[ "$_tap_fail" = 0 ]
	exit $?
}
