#!/bin/sh
# corpora.sh - corpora/build on a small corpus (4 Debian packages, 1 npm
# package, downloaded into this test's temporary directory): one reproducible
# git repository per repository unit, files exactly as the manifest pins
# them, labels on both sides and never both, a no-op rerun, version drift
# recorded rather than fatal, exact dedup, and the usage errors.
# Set TRAWIC_TEST_OFFLINE=1 to skip it on a machine without a network.
. "$top_srcdir/tests/lib.sh"

if [ -n "${TRAWIC_TEST_OFFLINE:-}" ]; then
	echo "1..0 # SKIP TRAWIC_TEST_OFFLINE is set (this test downloads 5 small packages)"
	exit 0
fi
B="python3 $top_srcdir/corpora/build"
S=$top_srcdir/corpora
ONLY=py-unidiff,py-pluggy,py-blinker,py-pyee,ts-redux

# ---- no network needed --------------------------------------------------------
err=$($B --cache "$T/c1" --only py-unidiff,nosuchrepo 2>&1 > /dev/null); rc=$?
is "$rc" 2 "--only nosuchrepo: exit 2"
contains "$err" "unknown repository 'nosuchrepo'" "the unknown repository is named"
err=$($B --cache "$T/c1" --corpus nosuch 2>&1 > /dev/null); is "$?" 2 "unknown corpus: exit 2"
contains "$err" "unknown corpus 'nosuch'" "the unknown corpus is named"

$B --cache "$T/c1" --only "$ONLY" --list > "$T/list"; rc=$?
is "$rc" 0 "--list exits 0"
is "$(grep -vc '^#' "$T/list")" 5 "--list prints the 5 repositories"
ok "--list downloads nothing (no cache made)" test ! -e "$T/c1"
is "$(awk -F'\t' '!/^#/ {print $1 ":" $2}' "$T/list" | tr '\n' ' ')" \
	"py-blinker:nonmember py-pluggy:member py-pyee:nonmember py-unidiff:member ts-redux:member " \
	"--list gives the labels of the spec"
ok "corpora/split --check: the committed split follows the rule" \
	sh -c "python3 \"$S/split\" --check > /dev/null"

# ---- a real build ---------------------------------------------------------------
t0=$(date +%s)
out=$($B --cache "$T/c1" --only "$ONLY" 2> "$T/err1"); rc=$?
is "$rc" 0 "build exits 0"
is "$out" "$T/c1/default" "build prints the corpus directory"
[ "$rc" = 0 ] || sed 's/^/# /' "$T/err1"
L=$T/c1/default/labels.tsv
is "$(grep -vc '^#' "$L")" 5 "labels.tsv has 5 repositories"
is "$(awk -F'\t' '!/^#/ {print $1 ":" $2 ":" $3}' "$L" | tr '\n' ' ')" \
	"py-blinker:nonmember:Python py-pluggy:member:Python py-pyee:nonmember:Python py-unidiff:member:Python ts-redux:member:TypeScript " \
	"labels.tsv: repo_id, split and language as in the spec"
is "$(awk -F'\t' '!/^#/ {print $1}' "$L" | sort | uniq -d)" "" "no repo_id twice in labels.tsv"
is "$(grep -vc '^#' "$T/c1/default/drift.tsv")" 0 "no drift for pinned versions"
is "$(cut -d' ' -f1 "$T/c1/default/manifest.sha256")" \
	"$(sha256sum "$S/manifest_default.tsv" | cut -d' ' -f1)" "manifest.sha256 is the manifest's hash"

# every repository: a git repository, one commit, a clean tree, exactly the
# manifest's files at their paths under the spec's root, with their sha256
python3 - "$L" "$S/spec_default.tsv" "$S/manifest_default.tsv" > "$T/check" 2>&1 <<'PY'
import collections, hashlib, os, subprocess, sys
labels, spec, manifest = sys.argv[1:4]
rows = lambda p: [l.rstrip("\n").split("\t") for l in open(p) if not l.startswith("#")]
root = {s[0]: s[6] for s in rows(spec)}
want = collections.defaultdict(dict)
for r in rows(manifest):
    want[r[0]][r[8][len(root[r[0]]) + 1:]] = r[10]
for rid, split, lang, path, files, nbytes, commit in rows(labels):
    git = lambda *a: subprocess.run(["git", "-C", path, *a], capture_output=True,
                                    text=True, check=True).stdout.strip()
    got = {}
    for f in git("ls-files").splitlines():
        got[f] = hashlib.sha256(open(os.path.join(path, f), "rb").read()).hexdigest()
    assert got == want[rid], (rid, sorted(set(got) ^ set(want[rid])))
    assert git("rev-list", "--count", "HEAD") == "1", rid
    assert git("rev-parse", "HEAD") == commit, rid
    assert git("status", "--porcelain") == "", rid
    assert int(files) == len(got) and int(nbytes) == sum(
        os.path.getsize(os.path.join(path, f)) for f in got), rid
    assert split in ("member", "nonmember"), rid
print("ok")
PY
is "$(cat "$T/check")" "ok" "each repository: one commit, files and sha256s exactly as the manifest"

# ---- a second run is a no-op --------------------------------------------------------
touch "$T/mark"; sleep 1
err=$($B --cache "$T/c1" --only "$ONLY" 2>&1 > /dev/null); rc=$?
is "$rc" 0 "rerun exits 0"
contains "$err" "5 repositories up to date" "rerun says up to date"
is "$(find "$T/c1" -newer "$T/mark" | head -n 3)" "" \
	"rerun writes nothing (no download, no rebuild, outputs untouched)"

# ---- reproducible: a second cache, the same commits ----------------------------------
out=$($B --cache "$T/c2" --only "$ONLY" -q 2> "$T/err2"); rc=$?
is "$rc" 0 "second build into another cache exits 0"
is "$(cut -f1,7 "$T/c2/default/labels.tsv")" "$(cut -f1,7 "$L")" \
	"the commit ids are identical across caches"
is "$(git -C "$T/c2/default/repos/ts-redux" rev-parse HEAD)" \
	"$(git -C "$T/c1/default/repos/ts-redux" rev-parse HEAD)" "and so is the git HEAD"

# ---- drift and dedup, on a synthetic corpus --------------------------------------------
# ts-redux pinned at a version npm never had: the build takes the current
# version, keeps the files that match, and records the difference.
# dup-a repeats one file of py-blinker (same package): one copy stays, in the
# repository with the smallest (repo_id, path).
{
	grep '^#' "$S/spec_default.tsv"
	grep -P '^(py-blinker|ts-redux)\t' "$S/spec_default.tsv" |
		sed 's/\t5\.0\.1\t/\t0.0.0-trawic-drift\t/'
	grep -P '^py-blinker\t' "$S/spec_default.tsv" | sed 's/^py-blinker/dup-a/'
} > "$T/spec_syn.tsv"
{
	grep '^#' "$S/manifest_default.tsv"
	grep -P '^(py-blinker|ts-redux)\t' "$S/manifest_default.tsv" |
		sed 's/\t5\.0\.1\t/\t0.0.0-trawic-drift\t/'
	grep -P '^py-blinker\t' "$S/manifest_default.tsv" | head -n 1 | sed 's/^py-blinker/dup-a/'
} > "$T/manifest_syn.tsv"
out=$($B --cache "$T/c1" --corpus syn --spec "$T/spec_syn.tsv" \
	--manifest "$T/manifest_syn.tsv" 2> "$T/err3"); rc=$?
is "$rc" 0 "a pinned version that is gone: the build still succeeds"
[ "$rc" = 0 ] || sed 's/^/# /' "$T/err3"
contains "$(cat "$T/err3")" "drift: ts-redux" "drift is said on stderr"
is "$(awk -F'\t' '$1 == "ts-redux" {print $2 ":" $3}' "$T/c1/syn/drift.tsv")" \
	"redux:0.0.0-trawic-drift" "drift.tsv records the package and the pinned version"
used=$(awk -F'\t' '$1 == "ts-redux" {print $4}' "$T/c1/syn/drift.tsv")
ok "drift.tsv records the version used ($used)" test -n "$used" -a "$used" != 0.0.0-trawic-drift
ok "the drifted repository is built and labelled" \
	grep -q '^ts-redux	member	TypeScript' "$T/c1/syn/labels.tsv"
is "$(awk -F'\t' '$1 == "dup-a" || $1 == "py-blinker" {print $1 ":" $5}' "$T/c1/syn/labels.tsv" | tr '\n' ' ')" \
	"dup-a:1 py-blinker:3 " "exact dedup: a file pinned by two repositories is kept once"

finish
