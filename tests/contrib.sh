#!/bin/sh
# contrib.sh - what trawic ships for other tools: the pre-commit hook
# definitions and the CI recipes parse as YAML and carry the keys their
# consumers read; the pre-commit entries behave (trawic-submit never fails,
# trawic passes the audit's exit code through); the systemd units pass
# `systemd-analyze verify`, their Documentation= pages included.
. "$top_srcdir/tests/lib.sh"

# a missing tool is a failure: ./quickstart installs every one of them
skip() { fail "$* (./quickstart installs it)"; }

# ---- YAML ------------------------------------------------------------------
python3 "$top_srcdir/tests/contrib_yaml.py" check "$top_srcdir" > "$T/yaml.out" 2>&1
rc=$?
if [ "$rc" = 77 ]; then
	skip "PyYAML missing (Debian: python3-yaml)"
else
	is "$rc" 0 "contrib_yaml.py check ran"
	while IFS= read -r line; do
		case $line in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		*) echo "# $line" ;;
		esac
	done < "$T/yaml.out"
fi

# ---- the pre-commit entries, run the way pre-commit runs them -------------------
git init -q "$T/repo"
git -C "$T/repo" commit -q --allow-empty -m one
mkdir -p "$T/bin"
cat > "$T/bin/trawic" <<'EOF'
#!/bin/sh
printf '%s|' "$@" > "$STUB_LOG"
exit "${STUB_RC:-0}"
EOF
chmod +x "$T/bin/trawic"
export STUB_LOG="$T/stub.log"
run_entry() { # ID [ENV...]
	id=$1; shift
	(cd "$T/repo" && env "$@" python3 "$top_srcdir/tests/contrib_yaml.py" run "$top_srcdir" "$id")
}
if [ "$rc" != 77 ]; then
	head=$(git -C "$T/repo" rev-parse HEAD)
	run_entry trawic-submit PATH="$T/bin:$PATH" STUB_RC=0 2> "$T/err"
	is "$?" 0 "trawic-submit: exit 0"
	is "$(cat "$STUB_LOG")" "submit|--rev|$head|$(cd "$T/repo" && pwd)|" "trawic-submit: submits HEAD"
	run_entry trawic-submit PATH="$T/bin:$PATH" STUB_RC=3 2> "$T/err"
	is "$?" 0 "trawic-submit, daemon unreachable: exit 0"
	is "$(grep -c 'warning' "$T/err")" 1 "trawic-submit, daemon unreachable: one warning"
	run_entry trawic-submit PATH=/usr/bin:/bin 2> "$T/err"
	is "$?" 0 "trawic-submit, trawic missing: exit 0"
	run_entry trawic-submit PATH="$T/bin:$PATH" PRE_COMMIT_TO_REF="$head" 2> /dev/null
	is "$(cat "$STUB_LOG")" "submit|--rev|$head|$(cd "$T/repo" && pwd)|" \
		"trawic-submit: PRE_COMMIT_TO_REF is the revision"
	run_entry trawic PATH="$T/bin:$PATH" STUB_RC=1 2> /dev/null
	is "$?" 1 "trawic: the audit's exit 1 fails the hook"
	is "$(cat "$STUB_LOG")" "audit|--progress|none|--rev|HEAD|.|" "trawic: audits HEAD, a summary and no progress bar"
	run_entry trawic PATH="$T/bin:$PATH" PRE_COMMIT_TO_REF="$head" 2> /dev/null
	is "$?:$(cat "$STUB_LOG")" "0:audit|--progress|none|--rev|$head|.|" "trawic: audits PRE_COMMIT_TO_REF"
fi

# ---- systemd units ---------------------------------------------------------------
if ! command -v systemd-analyze > /dev/null 2>&1; then
	skip "systemd-analyze missing (Debian: systemd)"
else
	# the pages of Documentation=, found the way man(1) finds them
	for p in trawic.1 trawic-config.5 trawicd.8; do
		mkdir -p "$T/man/man${p##*.}"
		cp "$top_srcdir/docs/man/$p" "$T/man/man${p##*.}/"
	done
	daemon=$top_builddir/trawicd
	[ -x "$daemon" ] || daemon=/bin/true
	for scope in system user; do
		mkdir -p "$T/units/$scope"
		svc=$top_builddir/contrib/systemd/$scope/trawicd.service
		ok "$scope trawicd.service was generated" test -f "$svc"
		ok "$scope trawicd.service names trawicd by its installed path" \
			grep -q '^ExecStart=/.*/s\{0,1\}bin/trawicd -f' "$svc"
		# verify wants ExecStart= to exist: point it at the built daemon
		sed "s|^ExecStart=[^ ]*|ExecStart=$daemon|" "$svc" > "$T/units/$scope/trawicd.service"
		cp "$top_srcdir/contrib/systemd/$scope/trawicd.socket" "$T/units/$scope/"
		ok "$scope trawicd.service has no RuntimeDirectory= (the socket owns the directory)" \
			sh -c '! grep -q "^RuntimeDirectory" "$1"' - "$svc"
	done
	(cd "$T/units/system" && MANPATH="$T/man" systemd-analyze verify \
		trawicd.socket trawicd.service) > "$T/verify" 2>&1
	rc=$?
	is "$rc:$(cat "$T/verify")" "0:" "system units: systemd-analyze verify, no message"
	mkdir -p "$T/xdg-run" && chmod 700 "$T/xdg-run"
	(cd "$T/units/user" && XDG_RUNTIME_DIR="$T/xdg-run" MANPATH="$T/man" \
		systemd-analyze --user verify trawicd.socket trawicd.service) > "$T/verify" 2>&1
	rc=$?
	is "$rc:$(cat "$T/verify")" "0:" "user units: systemd-analyze --user verify, no message"
	ok "system socket: /run/trawic/trawicd.sock, group trawic, 0660" sh -c \
		'grep -q "^ListenStream=/run/trawic/trawicd.sock$" "$1" && grep -q "^SocketGroup=trawic$" "$1" && grep -q "^SocketMode=0660$" "$1"' \
		- "$top_srcdir/contrib/systemd/system/trawicd.socket"
	ok "user socket: %t/trawic/trawicd.sock" \
		grep -q '^ListenStream=%t/trawic/trawicd.sock$' "$top_srcdir/contrib/systemd/user/trawicd.socket"
fi

finish
