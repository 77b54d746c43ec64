#!/bin/sh
# hook.sh - `trawic hook`: where the hook goes (hooks/, core.hooksPath),
# foreign hooks left alone or backed up, uninstall, and what the installed
# script does inside real `git push` and `git commit` runs: with trawicd
# down (one warning, never a failure), with trawic missing, through a
# stand-in trawic that records its arguments and answers a chosen exit
# code (the blocking policy), and against a real trawicd when it is built.
. "$top_srcdir/tests/lib.sh"

TRAWICD=$top_builddir/trawicd
# No daemon may answer by accident: the default socket lives in here.
export XDG_RUNTIME_DIR="$T/run"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
export TRAWIC_SOCKET="$T/run/no-daemon.sock"
unset TRAWIC_HOOK_SKIP TRAWIC_HOOK_STRICT

# A work tree and a bare remote, with blanks in their paths.
W="$T/work dir/repo one"
R="$T/remote dir/origin.git"
mkdir -p "$W" "$(dirname "$R")"
git init -q -b main "$W"
git init -q --bare "$R"
git -C "$W" commit -q --allow-empty -m first
git -C "$W" remote add origin "$R"
H="$W/.git/hooks"

warnings() { printf '%s\n' "$1" | grep -c '^trawic: warning:'; }

# ---- install, status, uninstall in .git/hooks ---------------------------------
out=$("$TRAWIC" hook install --repo "$W" 2>&1); rc=$?
is "$rc" 0 "install: exit 0"
contains "$out" "$H/pre-push" "install names the hook it wrote"
ok "install: pre-push is executable" test -x "$H/pre-push"
ok "install: the hook carries the marker" grep -q '^# trawic-hook: pre-push$' "$H/pre-push"
ok "install: the hook records this trawic by absolute path" \
	grep -qF "recorded='$(cd "$(dirname "$TRAWIC")" && pwd)/trawic'" "$H/pre-push"
ok "install: the hook is valid sh" sh -n "$H/pre-push"
out=$(cd "$W" && "$TRAWIC" hook status); rc=$?
is "$rc" 0 "status: exit 0"
contains "$out" "pre-push      trawic (non-blocking)" "status: the hook is trawic's"
contains "$out" "post-commit   none" "status: no post-commit hook"
out=$(cd "$W" && "$TRAWIC" hook install 2>&1); rc=$?
is "$rc" 0 "install again: exit 0 (an update)"
contains "$out" "updated" "install again says it updated the hook"

for t in pre-push post-commit post-receive; do
	"$TRAWIC" hook print --type "$t" > "$T/print-$t" && sh -n "$T/print-$t"
	ok "print --type $t: valid sh" test $? = 0
done
"$TRAWIC" hook print --blocking --strict > "$T/print-blocking" && sh -n "$T/print-blocking"
ok "print --blocking --strict: valid sh" test $? = 0
ok "print --blocking --strict: strict recorded" grep -q '^strict_default=1$' "$T/print-blocking"

err=$("$TRAWIC" hook install --repo "$W" --type post-commit --blocking 2>&1); rc=$?
is "$rc" 2 "--blocking with post-commit: exit 2"
contains "$err" "pre-push only" "--blocking with post-commit is explained"
err=$("$TRAWIC" hook install --repo "$W" --type pre-commit 2>&1); rc=$?
is "$rc" 2 "unknown --type: exit 2"
err=$("$TRAWIC" hook install --repo "$T" 2>&1); rc=$?
is "$rc" 2 "not a repository: exit 2"
contains "$err" "not a git repository" "not a repository is explained"
err=$("$TRAWIC" hook frob 2>&1); rc=$?
is "$rc" 2 "unknown action: exit 2"

out=$("$TRAWIC" hook uninstall --repo "$W" 2>&1); rc=$?
is "$rc" 0 "uninstall: exit 0"
ok "uninstall removes the hook" test ! -e "$H/pre-push"
out=$("$TRAWIC" hook uninstall --repo "$W" 2>&1); rc=$?
is "$rc" 0 "uninstall with nothing installed: exit 0"
contains "$out" "nothing to do" "uninstall with nothing installed says so"

# ---- core.hooksPath, relative (to the work tree) and absolute -------------------
git -C "$W" config core.hooksPath "my hooks"
(cd "$W/.git" && "$TRAWIC" hook install -q --type post-commit) ; rc=$?
is "$rc" 0 "install under core.hooksPath (relative): exit 0"
ok "relative core.hooksPath: hook in the work tree's 'my hooks'" test -x "$W/my hooks/post-commit"
ok "relative core.hooksPath: nothing in .git/hooks" test ! -e "$H/post-commit"
out=$("$TRAWIC" hook status --repo "$W")
contains "$out" "$W/my hooks (core.hooksPath)" "status names core.hooksPath"
"$TRAWIC" hook uninstall -q --repo "$W"
ok "uninstall under core.hooksPath" test ! -e "$W/my hooks/post-commit"
git -C "$W" config core.hooksPath "$T/shared hooks"
"$TRAWIC" hook install -q --repo "$W"
ok "absolute core.hooksPath: directory made, hook written" test -x "$T/shared hooks/pre-push"
"$TRAWIC" hook uninstall -q --repo "$W"
ok "uninstall under absolute core.hooksPath" test ! -e "$T/shared hooks/pre-push"
git -C "$W" config --unset core.hooksPath

# a linked worktree shares the main repository's hooks
git -C "$W" worktree add -q "$T/linked tree" -b linked 2> /dev/null
"$TRAWIC" hook install -q --repo "$T/linked tree"
ok "linked worktree: the hook goes into the common hooks directory" test -x "$H/pre-push"
"$TRAWIC" hook uninstall -q --repo "$T/linked tree"
ok "linked worktree: uninstall" test ! -e "$H/pre-push"
git -C "$W" worktree remove "$T/linked tree"
git -C "$W" branch -q -D linked

# ---- foreign hooks --------------------------------------------------------------
printf '#!/bin/sh\necho mine\n' > "$H/post-commit"
chmod +x "$H/post-commit"
cp "$H/post-commit" "$T/mine"
err=$("$TRAWIC" hook install --repo "$W" --type post-commit 2>&1); rc=$?
is "$rc" 2 "foreign hook without --force: exit 2"
contains "$err" "--force" "the refusal names --force"
ok "foreign hook without --force: untouched" cmp -s "$H/post-commit" "$T/mine"
out=$("$TRAWIC" hook status --repo "$W")
contains "$out" "post-commit   other (not trawic's)" "status: foreign hook"
err=$("$TRAWIC" hook uninstall --repo "$W" --type post-commit 2>&1); rc=$?
is "$rc" 2 "uninstall of a foreign hook by name: exit 2"
ok "uninstall leaves a foreign hook" cmp -s "$H/post-commit" "$T/mine"
"$TRAWIC" hook uninstall -q --repo "$W"; rc=$?
is "$rc" 0 "uninstall without --type skips a foreign hook: exit 0"
ok "... and leaves it" cmp -s "$H/post-commit" "$T/mine"
out=$("$TRAWIC" hook install --repo "$W" --type post-commit --force 2>&1); rc=$?
is "$rc" 0 "--force: exit 0"
ok "--force keeps the foreign hook as a backup" cmp -s "$H/post-commit.trawic-backup" "$T/mine"
ok "--force writes trawic's hook" grep -q '^# trawic-hook: post-commit$' "$H/post-commit"
printf '#!/bin/sh\necho other\n' > "$T/other"
err=$("$TRAWIC" hook install --repo "$W" --type post-commit 2>&1); rc=$?
is "$rc" 0 "reinstall over trawic's own hook needs no --force"
cp "$T/other" "$H/post-commit"
err=$("$TRAWIC" hook install --repo "$W" --type post-commit --force 2>&1); rc=$?
is "$rc" 2 "--force with a backup already there: exit 2 (nothing lost)"
ok "... the hook and the backup are unchanged" \
	sh -c 'cmp -s "$1" "$2" && cmp -s "$3" "$4"' - "$H/post-commit" "$T/other" \
	"$H/post-commit.trawic-backup" "$T/mine"
rm "$H/post-commit"
out=$("$TRAWIC" hook uninstall --repo "$W" 2>&1); rc=$?
is "$rc" 0 "uninstall with only a backup: exit 0"
ok "uninstall restores the backup" cmp -s "$H/post-commit" "$T/mine"
ok "no backup left behind" test ! -e "$H/post-commit.trawic-backup"
"$TRAWIC" hook install -q --repo "$W" --type post-commit --force
"$TRAWIC" hook uninstall -q --repo "$W" --type post-commit
ok "uninstall removes trawic's hook and restores the backup" cmp -s "$H/post-commit" "$T/mine"
ok "the restored hook is still executable" test -x "$H/post-commit"
rm "$H/post-commit"

# ---- the installed hooks with trawicd down --------------------------------------
"$TRAWIC" hook install -q --repo "$W"
"$TRAWIC" hook install -q --repo "$W" --type post-commit
git -C "$W" commit -q --allow-empty -m second 2> "$T/err"; rc=$?
is "$rc" 0 "daemon down: git commit succeeds"
is "$(warnings "$(cat "$T/err")")" 1 "daemon down: git commit prints one warning"
contains "$(cat "$T/err")" "not submitted" "daemon down: the warning says the audit was not submitted"
git -C "$W" push -q origin main 2> "$T/err"; rc=$?
is "$rc" 0 "daemon down: git push succeeds"
is "$(warnings "$(cat "$T/err")")" 1 "daemon down: git push prints one warning"
is "$(git -C "$R" rev-parse main)" "$(git -C "$W" rev-parse main)" "daemon down: the push happened"
git -C "$W" commit -q --allow-empty -m third 2> /dev/null
TRAWIC_HOOK_SKIP=1 git -C "$W" push -q origin main 2> "$T/err"; rc=$?
is "$rc:$(warnings "$(cat "$T/err")")" "0:0" "TRAWIC_HOOK_SKIP=1: push succeeds, hook silent"

# trawic gone: not where it was recorded, not on PATH
mkdir -p "$T/gone"
cp "$TRAWIC" "$T/gone/trawic"
"$T/gone/trawic" hook install -q --repo "$W"
rm "$T/gone/trawic"
git -C "$W" commit -q --allow-empty -m fourth 2> /dev/null
env PATH=/usr/bin:/bin git -C "$W" push -q origin main 2> "$T/err"; rc=$?
is "$rc" 0 "trawic missing: git push succeeds"
is "$(warnings "$(cat "$T/err")")" 1 "trawic missing: one warning"
contains "$(cat "$T/err")" "$T/gone/trawic" "trawic missing: the warning names the recorded path"
"$TRAWIC" hook uninstall -q --repo "$W"

# ---- a stand-in trawic: the arguments, and the blocking policy ------------------
STUB="$T/stub dir/trawic"
mkdir -p "$(dirname "$STUB")"
cat > "$STUB" <<'EOF'
#!/bin/sh
printf '%s|' "$@" >> "$STUB_LOG"
printf '\n' >> "$STUB_LOG"
echo "job 1 queued"
exit "${STUB_RC:-0}"
EOF
chmod +x "$STUB"
export STUB_LOG="$T/stub.log"
"$TRAWIC" hook install -q --repo "$W" --trawic "$STUB"
"$TRAWIC" hook install -q --repo "$W" --trawic "$STUB" --type post-commit
: > "$STUB_LOG"
git -C "$W" commit -q --allow-empty -m fifth 2> "$T/err"
head=$(git -C "$W" rev-parse HEAD)
is "$(cat "$STUB_LOG")" "submit|--rev|$head|$W|" "post-commit submits HEAD of the work tree"
contains "$(cat "$T/err")" "submitted: job 1 queued" "post-commit reports the submission in one line"
: > "$STUB_LOG"
git -C "$W" tag -a -m tagged v1
git -C "$W" branch side
git -C "$W" push -q origin main side v1 2> /dev/null; rc=$?
is "$rc" 0 "non-blocking push with the stub: exit 0"
is "$(cat "$STUB_LOG")" "submit|--rev|$head|$W|" \
	"pre-push: three refs, one commit (tag peeled, duplicates dropped): one submit"
: > "$STUB_LOG"
git -C "$W" push -q origin :side 2> /dev/null
is "$(cat "$STUB_LOG")" "" "pre-push: a deleted ref submits nothing"
: > "$STUB_LOG"
git -C "$W" commit -q --allow-empty -m sixth 2> /dev/null
: > "$STUB_LOG"
STUB_RC=3 git -C "$W" push -q origin main 2> "$T/err"; rc=$?
is "$rc" 0 "non-blocking, submit exits 3: push succeeds"
contains "$(cat "$T/err")" "exit 3" "non-blocking, submit exits 3: the warning has the code"
"$TRAWIC" hook uninstall -q --repo "$W"

"$TRAWIC" hook install -q --repo "$W" --trawic "$STUB" --blocking
push_blocking() { # RC [ENV...]: commit, push, echo "push-rc remote-moved"
	git -C "$W" commit -q --allow-empty -m "blocking $1" 2> /dev/null
	before=$(git -C "$R" rev-parse main)
	rc_=$1; shift
	: > "$STUB_LOG"
	env STUB_RC="$rc_" "$@" git -C "$W" push -q origin main 2> "$T/err"
	r=$?
	if [ "$(git -C "$R" rev-parse main)" = "$before" ]; then echo "$r kept"; else echo "$r moved"; fi
}
is "$(push_blocking 0)" "0 moved" "blocking, audit exits 0: push goes"
is "$(cat "$STUB_LOG")" "submit|--wait|--rev|$(git -C "$W" rev-parse HEAD)|$W|" "blocking: submit --wait"
is "$(push_blocking 1)" "1 kept" "blocking, audit exits 1: push refused"
contains "$(cat "$T/err")" "push refused" "blocking, exit 1: the refusal is explained"
is "$(push_blocking 2)" "0 moved" "blocking, audit exits 2: push goes"
is "$(warnings "$(cat "$T/err")")" 1 "blocking, exit 2: one warning"
is "$(push_blocking 3)" "0 moved" "blocking, daemon unreachable (3): push goes"
is "$(push_blocking 2 TRAWIC_HOOK_STRICT=1)" "1 kept" "blocking, exit 2, TRAWIC_HOOK_STRICT=1: push refused"
is "$(push_blocking 3 TRAWIC_HOOK_STRICT=1)" "1 kept" "blocking, exit 3, TRAWIC_HOOK_STRICT=1: push refused"
"$TRAWIC" hook install -q --repo "$W" --trawic "$STUB" --blocking --strict
is "$(push_blocking 2)" "1 kept" "--strict: exit 2 refuses the push"
is "$(push_blocking 2 TRAWIC_HOOK_STRICT=0)" "0 moved" "--strict, TRAWIC_HOOK_STRICT=0: push goes"
is "$(push_blocking 1 TRAWIC_HOOK_SKIP=1)" "0 moved" "TRAWIC_HOOK_SKIP=1 skips a blocking hook"
"$TRAWIC" hook uninstall -q --repo "$W"
git -C "$W" push -q origin main 2> /dev/null

# post-receive in the bare remote
"$TRAWIC" hook install -q --repo "$R" --type post-receive --trawic "$STUB"
ok "post-receive: installed in the bare repository's hooks" test -x "$R/hooks/post-receive"
git -C "$W" commit -q --allow-empty -m received 2> /dev/null
: > "$STUB_LOG"
git -C "$W" push -q origin main 2> /dev/null; rc=$?
is "$rc" 0 "post-receive: push succeeds"
is "$(cat "$STUB_LOG")" "submit|--rev|$(git -C "$W" rev-parse HEAD)|$(cd "$R" && pwd -P)|" \
	"post-receive submits the new commit of the bare repository"
: > "$STUB_LOG"
STUB_RC=3 git -C "$W" push -q origin :refs/tags/v1 2> /dev/null
is "$(cat "$STUB_LOG")" "" "post-receive: a deletion submits nothing"
"$TRAWIC" hook uninstall -q --repo "$R"
git -C "$R" config core.hooksPath "server hooks"
"$TRAWIC" hook install -q --repo "$R" --type post-receive
ok "bare repository: a relative core.hooksPath is taken from the git directory" \
	test -x "$R/server hooks/post-receive"
"$TRAWIC" hook uninstall -q --repo "$R"
git -C "$R" config --unset core.hooksPath

# ---- a real trawicd ---------------------------------------------------------------
if [ -x "$TRAWICD" ]; then
	sock="$T/run/trawicd.sock"
	"$TRAWICD" -f --socket "$sock" --state-dir "$T/state" > "$T/trawicd.log" 2>&1 &
	dpid=$!
	trap 'kill "$dpid" 2> /dev/null; wait "$dpid" 2> /dev/null; rm -rf "$T"' EXIT
	export TRAWIC_SOCKET="$sock"
	i=0
	until "$TRAWIC" ping > /dev/null 2>&1 || [ $i -ge 100 ] || ! kill -0 "$dpid" 2> /dev/null; do
		i=$((i + 1)); sleep 0.1
	done
	ok "trawicd answers" sh -c '"$1" ping > /dev/null' - "$TRAWIC"
	njobs() { "$TRAWIC" jobs --json | grep -c "\"spec\": *\"$W\""; }
	before=$(njobs)
	"$TRAWIC" hook install -q --repo "$W"
	"$TRAWIC" hook install -q --repo "$W" --type post-commit
	git -C "$W" commit -q --allow-empty -m daemon 2> "$T/err"; rc=$?
	is "$rc:$(warnings "$(cat "$T/err")")" "0:0" "trawicd up: commit succeeds, no warning"
	job1=$(sed -n 's/^trawic: audit of [0-9a-f]* submitted: //p' "$T/err")
	git -C "$W" commit -q --allow-empty -m daemon2 2> /dev/null
	git -C "$W" push -q origin main 2> "$T/err"; rc=$?
	is "$rc:$(warnings "$(cat "$T/err")")" "0:0" "trawicd up: push succeeds, no warning"
	job3=$(sed -n 's/^trawic: audit of [0-9a-f]* submitted: //p' "$T/err")
	is "$(njobs)" "$((before + 3))" "trawicd up: two commits and a push, three jobs of this repository"
	jobs=$("$TRAWIC" jobs 2>&1)
	ok "trawicd up: the post-commit job is listed" test -n "$job1"
	contains "$jobs" "${job1:-none}" "trawic jobs lists the post-commit job"
	contains "$jobs" "${job3:-none}" "trawic jobs lists the pre-push job"
	"$TRAWIC" hook uninstall -q --repo "$W"

	# Blocking, for real: a reference model built from the repository
	# itself has memorized it, so the audit judges it included (exit 1)
	# and the push is refused; the repository's own git config names the
	# model, as its owner would.
	for i in 1 2 3 4 5 6; do
		cat > "$W/stock$i.py" <<EOF
"""Stock keeping for warehouse number $i."""


def compute_total_weight_$i(items, factor=$i):
    """Return the weighted sum of the items of warehouse $i."""
    total_weight = 0
    for item in items:
        total_weight += item * factor  # scale by the warehouse factor
    return total_weight


class WarehouseInventory$i:
    """Keeps the stock levels of warehouse $i."""

    def add_stock(self, product_code, quantity):
        message = "adding stock to warehouse $i"
        self.levels[product_code] = self.levels.get(product_code, 0) + quantity
        return message
EOF
	done
	git -C "$W" add . && git -C "$W" commit -q -m stock
	"$TRAWIC" model build --order 4 -q -o "$T/memorized.ref" "$W"
	git -C "$W" config trawic.model "ref:$T/memorized.ref"
	"$TRAWIC" hook install -q --repo "$W" --blocking
	git -C "$W" push -q origin main 2> "$T/err"; rc=$?
	is "$rc" 1 "trawicd up, blocking: a repository judged included is not pushed"
	contains "$(cat "$T/err")" "push refused" "trawicd up, blocking: the refusal is explained"
	ok "trawicd up, blocking: the remote did not move" \
		test "$(git -C "$R" rev-parse main)" != "$(git -C "$W" rev-parse main)"
	"$TRAWIC" hook uninstall -q --repo "$W"
	kill "$dpid"
	wait "$dpid" 2> /dev/null
else
	echo "ok $((_tap_n + 1)) # SKIP trawicd not built"; _tap_n=$((_tap_n + 1))
fi

finish
