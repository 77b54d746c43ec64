#!/bin/sh
# daemon-users.sh - trawicd between users: jobs are private to their owner,
# and nobody can make the daemon read a repository (or a model file) they
# could not read themselves.  Creates three users (removed on exit); needs
# root, which CI has: without root this test fails, it does not skip.
. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/daemon_lib.sh"

if [ "$(id -u)" != 0 ]; then
	fail "daemon-users.sh needs root (to create users); run it as root"
	finish
fi
for tool in useradd userdel setpriv; do
	command -v $tool > /dev/null || { fail "missing $tool (Debian: passwd, util-linux)"; finish; }
done

sfx=$$
UA=trwa$sfx UB=trwb$sfx UC=trwc$sfx
for u in $UA $UB $UC; do
	useradd -M -d "$T/home-$u" -s /bin/sh "$u" || { fail "useradd $u"; finish; }
	at_exit "userdel $u 2> /dev/null"
done
uidB=$(id -u $UB)
chmod 755 "$T"
# The build tree may sit where other users cannot enter (a 0700 temporary
# clone, as CI makes): every user runs copies of the programs in $T/bin.
mkdir -p "$T/bin"
cp "$TRAWIC" "$T/bin/trawic" && cp "$TRAWICD" "$T/bin/trawicd" &&
	cp "$top_srcdir/tests/daemon_raw.py" "$T/bin/daemon_raw.py" &&
	chmod 755 "$T/bin" "$T/bin/trawic" "$T/bin/trawicd" && chmod 644 "$T/bin/daemon_raw.py" ||
	{ fail "copy the programs to $T/bin"; finish; }
TRAWIC=$T/bin/trawic TRAWICD=$T/bin/trawicd
for u in $UA $UB $UC; do mkdir -p "$T/home-$u" && chown "$u:$u" "$T/home-$u"; done

# as USER CMD...: run CMD as USER with a home and caches of its own
as() {
	local u=$1; shift
	setpriv --reuid "$u" --regid "$u" --init-groups env HOME="$T/home-$u" \
		XDG_CACHE_HOME="$T/home-$u/.cache" XDG_CONFIG_HOME="$T/home-$u/.config" \
		XDG_RUNTIME_DIR="$T/home-$u/run" "$@"
}

# st_is USER JOB STATE: USER sees JOB in STATE
st_is() {
	if [ "$1" = root ]; then "$TRAWIC" status --socket "$SOCK" "$2"
	else as "$1" "$TRAWIC" status --socket "$SOCK" "$2"; fi 2> /dev/null | grep -q "\"state\": \"$3\""
}
cannot_read() { ! as "$1" ls "$2" > /dev/null 2>&1; }

# repositories and models: A's private repository and model, B's public one
mkrepo "$T/member" textwrap.py shlex.py fnmatch.py > /dev/null
"$TRAWIC" model build -o "$T/m.ref" "$T/member" > /dev/null 2>&1
chmod 644 "$T/m.ref"
mkrepo "$T/a-repo" fnmatch.py > /dev/null
chown -R "$UA:$UA" "$T/a-repo" && chmod 700 "$T/a-repo"
cp "$T/m.ref" "$T/a-model.ref" && chown "$UA:$UA" "$T/a-model.ref" && chmod 600 "$T/a-model.ref"
mkrepo "$T/b-repo" getopt.py > /dev/null
chown -R "$UB:$UB" "$T/b-repo" && chmod -R go+rX "$T/b-repo"
mkrepo "$T/later" glob.py > /dev/null
chown -R "$UA:$UA" "$T/later" && chmod -R go+rX "$T/later"
ok "B cannot read A's repository" cannot_read $UB "$T/a-repo"

SOCKDIR=$T/sock
mkdir -p "$SOCKDIR"
printf '[daemon]\n\tsocket-mode = 0666\n\tworkers = 1\n' > "$T/d.conf"
chmod 644 "$T/d.conf"

# ---- 1. a per-user daemon, run by A -------------------------------------------------
chown "$UA:$UA" "$SOCKDIR"
SOCK=$SOCKDIR/a.sock
# not through as(): $! must be the daemon itself, not a subshell
setpriv --reuid "$UA" --regid "$UA" --init-groups env HOME="$T/home-$UA" \
	XDG_CACHE_HOME="$T/home-$UA/.cache" XDG_CONFIG_HOME="$T/home-$UA/.config" \
	"$TRAWICD" -f -vv -c "$T/d.conf" --socket "$SOCK" --state-dir "$T/home-$UA/state" >> "$DLOG" 2>&1 &
DPID=$!; track $DPID
wait_until 30 "$TRAWIC" ping --socket "$SOCK"
ok "trawicd runs as user A" test "$(stat -c %U "$SOCK")" = "$UA"

ja=$(as $UA "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/a-repo"); rc=$?
is "$rc" 0 "A submits a repository only A can read"
ok "... and the audit completes" wait_until 60 st_is $UA "$ja" done

out=$(as $UB "$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" 'len(d)')" 0 "B's job list does not show A's job"
for verb in status watch result cancel; do
	out=$(as $UB "$TRAWIC" $verb --socket "$SOCK" "$ja" 2>&1); rc=$?
	is "$rc" 2 "B: $verb of A's job fails"
	contains "$out" "not_found" "... with not_found, as for a job that does not exist"
done
ok "A's job is untouched" st_is $UA "$ja" done
out=$(as $UA "$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" '[j["job"] for j in d]')" "['$ja']" "A's job list shows A's job"
out=$("$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" '[j["job"] for j in d]')" "['$ja']" "root sees every job"

out=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/a-repo" 2>&1); rc=$?
is "$rc" 2 "B cannot make A's daemon audit A's private repository"
contains "$out" "forbidden" "... forbidden"
out=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/a-model.ref" "$T/b-repo" 2>&1); rc=$?
is "$rc" 2 "B cannot make A's daemon read A's model file"
contains "$out" "forbidden" "... forbidden"
out=$(as $UB python3 "$T/bin/daemon_raw.py" "$SOCK" lines '{"v":1,"id":1,"op":"shutdown"}')
is "$(jq_ "$out" 'd["error"]["code"]')" forbidden "B cannot shut A's daemon down"
out=$(as $UB "$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" 'len(d)')" 0 "B has no job: nothing was queued for the refused submits"
kill -TERM $DPID; wait $DPID; rc=$?
is "$rc" 0 "A's daemon exits 0 on SIGTERM"

# ---- 2. a system-wide daemon, run by root ------------------------------------------------
start_serve "$T/m.ref" 100 1
SLOWMODEL="llamacpp:http://$ADDR"
chown root:root "$SOCKDIR"
SOCK=$SOCKDIR/root.sock
printf '[daemon]\n\tsocket-mode = 0666\n\tworkers = 1\n\tjobs-per-model = 1\n' > "$T/d.conf"
start_daemon -c "$T/d.conf" --state-dir "$T/sys-state"

out=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/a-repo" 2>&1); rc=$?
is "$rc" 2 "root's daemon refuses B a repository only A can read"
contains "$out" "permission denied (checked as uid $uidB)" "... checked with B's rights"
out=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/a-model.ref" "$T/b-repo" 2>&1); rc=$?
is "$rc" 2 "... and a model file only A can read"
contains "$out" "forbidden" "... forbidden"

ja=$(as $UA "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/a-repo")
jb=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "ref:$T/m.ref" "$T/b-repo")
ok "A's audit of A's private repository completes under root's daemon" wait_until 60 st_is $UA "$ja" done
ok "B's audit of B's repository completes" wait_until 60 st_is $UB "$jb" done
ok "B's queries went to B's own cache, owned by B" test "$(stat -c %U "$T/sys-state/cache/$uidB")" = "$UB"
out=$(as $UC "$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" 'len(d)')" 0 "C sees neither A's nor B's jobs"
out=$(as $UC "$TRAWIC" result --socket "$SOCK" "$jb" 2>&1); rc=$?
contains "$out" "not_found" "C cannot fetch B's result"
out=$("$TRAWIC" jobs --socket "$SOCK" --json)
is "$(jq_ "$out" 'sorted(j["job"] for j in d) == sorted(["'$ja'", "'$jb'"])')" True "root sees both"

# the check that matters is the one at run time: access revoked after the
# submit (and before the audit) makes the job fail, not read with root's rights
blocker=$(as $UA "$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/later")
ok "a slow job occupies the only worker" wait_until 30 st_is root "$blocker" running
mkrepo "$T/b-later" keyword.py > /dev/null
chown -R "$UA:$UA" "$T/b-later" && chmod -R go+rX "$T/b-later"
jl=$(as $UB "$TRAWIC" submit --socket "$SOCK" --model "$SLOWMODEL" "$T/b-later"); rc=$?
is "$rc" 0 "B submits a repository of A's that B can read now"
chmod 700 "$T/b-later"
ok "A revokes access before it runs; the job ends failed" wait_until 90 st_is $UB "$jl" failed
out=$(as $UB "$TRAWIC" status --socket "$SOCK" "$jl")
contains "$out" "ermission denied" "... failed with permission denied: the audit ran with B's rights"
stop_daemon; is "$DRC" 0 "root's daemon exits 0"

# ---- 3. who may connect: socket mode 0660 and daemon.group -------------------------------
SOCK=$SOCKDIR/group.sock
printf '[daemon]\n\tsocket-mode = 0660\n\tgroup = %s\n' "$UC" > "$T/d.conf"
start_daemon -c "$T/d.conf" --state-dir "$T/group-state"
is "$(stat -c '%a %G' "$SOCK")" "660 $UC" "the socket has mode 0660 and group daemon.group"
ok "a member of the group may connect" as $UC "$TRAWIC" ping --socket "$SOCK"
out=$(as $UB "$TRAWIC" ping --socket "$SOCK" 2>&1); rc=$?
is "$rc" 3 "anyone else cannot reach the daemon (exit 3)"
contains "$out" "Permission denied" "... permission denied on the socket"
stop_daemon; is "$DRC" 0 "exit 0"
finish
