#!/bin/sh
# train.sh - `trawic train` and `trawic eval` end to end, offline: eight
# small repositories of real Python files (disjoint), a reference model
# built from the four member ones, a classifier trained on six of them
# and measured on the same six and on the two held out; then the
# failure paths (a corrupted classifier file, a model server that fails
# everything).
. "$top_srcdir/tests/lib.sh"

lib=/usr/lib/python3.11
mkrepo() { # DIR FILE...
	d=$1; shift
	git init -q "$d"
	for f in "$@"; do cp "$lib/$f" "$d/"; done
	git -C "$d" add . && git -C "$d" commit -q -m import
}
# Training repositories hold 4 files each.  The held-out pair holds 8
# each: with the Wilson 95 % interval the verdict is decisive against
# tau = 0.4 only from 6 files on (0 of 5 member files still has an
# upper bound of 0.43), so fewer files could only be "inconclusive".
mkrepo "$T/m1" bisect.py colorsys.py genericpath.py pty.py
mkrepo "$T/m2" reprlib.py stat.py chunk.py codeop.py
mkrepo "$T/m3" linecache.py getpass.py fnmatch.py sched.py
mkrepo "$T/n1" abc.py netrc.py uu.py quopri.py
mkrepo "$T/n2" sndhdr.py getopt.py zipapp.py copyreg.py
mkrepo "$T/n3" hmac.py rlcompleter.py py_compile.py shelve.py
mkrepo "$T/m4" glob.py copy.py pipes.py mailcap.py graphlib.py filecmp.py numbers.py imghdr.py
mkrepo "$T/n4" crypt.py io.py cProfile.py xdrlib.py types.py symtable.py code.py tabnanny.py

# The model has seen every member repository, held-out m4 included.
"$TRAWIC" model build -o "$T/m.ref" "$T/m1" "$T/m2" "$T/m3" "$T/m4" > /dev/null 2> "$T/err"
is "$?" 0 "reference model (order 6) built from the four member repositories"
model="ref:$T/m.ref"

"$TRAWIC" train -q --no-cache --model "$model" --members "$T/m1" "$T/m2" "$T/m3" \
	--non-members "$T/n1" "$T/n2" "$T/n3" --folds 3 --patience 2 -o "$T/c.json" \
	> "$T/train.out" 2> "$T/train.err"
is "$?" 0 "train exits 0"
ok "train writes the classifier file" test -s "$T/c.json"
contains "$(cat "$T/train.out")" "ROC-AUC" "train prints the cross-validated metrics"
python3 - "$T/c.json" "$T/m.ref" <<'PY'
import json, sys
c = json.load(open(sys.argv[1], encoding="utf-8"))
s = json.dumps(c)
prov = c["provenance"] if "provenance" in c else None
assert prov is not None, sorted(c)
assert prov["model"] and prov["model"].startswith("ref:"), prov
assert prov.get("trawic_version"), prov
PY
is "$?" 0 "classifier provenance names the model and the trawic version"

"$TRAWIC" train -q --no-cache --json --model "$model" --members "$T/m1" "$T/m2" "$T/m3" \
	--non-members "$T/n1" "$T/n2" "$T/n3" --folds 3 --patience 2 -o "$T/c2.json" \
	> "$T/train.json" 2> "$T/err"
ok "train --json parses, with file and repository CV metrics" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["files"] == 24 and d["repositories"] == 6, d
assert 0 <= d["cv"]["file"]["roc_auc"] <= 1 and "precision" in d["cv"]["repository"], d
' "$T/train.json"

# Same split.  Order 6 memorises what it saw (docs/refmodel.md: names
# reproduced 0.83 on training files vs 0.04 on unseen ones), so the
# per-file hit rates of members and non-members barely overlap, and a
# classifier fitted on them must rank them almost perfectly: demand a
# file ROC-AUC of at least 0.9.
"$TRAWIC" eval -q --no-cache --classifier "$T/c.json" --model "$model" \
	--members "$T/m1" "$T/m2" "$T/m3" --non-members "$T/n1" "$T/n2" "$T/n3" \
	--json --plot "$T/roc.svg" > "$T/eval.json" 2> "$T/err"
is "$?" 0 "eval on the training split exits 0"
auc=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"]["roc_auc"])' "$T/eval.json")
diag "file ROC-AUC on the training split: $auc"
ok "eval --json parses; file ROC-AUC >= 0.9 on the training split" \
	python3 -c "import sys; sys.exit(not ($auc >= 0.9))"
ok "--plot writes an SVG document" python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag in ("svg", "{http://www.w3.org/2000/svg}svg"), root.tag
' "$T/roc.svg"

# Held out: repositories the classifier never saw, membership known
# because the model was built on m4 and not on n4.
"$TRAWIC" eval -q --no-cache --classifier "$T/c.json" --model "$model" \
	--members "$T/m4" --non-members "$T/n4" --json > "$T/held.json" 2> "$T/err"
is "$?" 0 "eval on the held-out pair exits 0"
verdicts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(r["repo"].rsplit("/", 1)[-1] + "=" + r["verdict"] for r in d["repositories"]))
' "$T/held.json")
is "$verdicts" "m4=included n4=not_included" "held-out member included, non-member not included"

"$TRAWIC" eval -q --no-cache --classifier "$T/c.json" --model "$model" \
	--members "$T/m4" --non-members "$T/n4" > "$T/held.txt" 2> "$T/err"
out=$(cat "$T/held.txt")
contains "$out" "TPR@FPR1%" "eval text: TPR at FPR 1%"
contains "$out" "reliability" "eval text: reliability table"
contains "$out" "true non-member" "eval text: confusion matrices"

# --from: the same data from earlier `trawic probe` runs
for r in m1 m2 m3 n1 n2 n3; do
	"$TRAWIC" probe -q --no-cache --logprobs --model "$model" "$T/$r" > "$T/$r.jsonl" 2> /dev/null
done
"$TRAWIC" train -q --from "$T/m1.jsonl" "$T/m2.jsonl" "$T/m3.jsonl" "$T/n1.jsonl" \
	"$T/n2.jsonl" "$T/n3.jsonl" --members m1 m2 m3 --non-members n1 n2 n3 \
	--folds 3 --patience 2 -o "$T/c3.json" > /dev/null 2> "$T/err"
is "$?" 0 "train --from probe outputs exits 0"
"$TRAWIC" train -q --model "$model" --from "$T/m1.jsonl" "$T/n1.jsonl" --members m1 \
	--non-members n1 -o "$T/c7.json" > /dev/null 2> "$T/err"
is "$?" 2 "train --from with --model exits 2 (the probes name their model)"
printf 'm1\tmember\nm2\tmember\nm3\tmember\nn1\tnonmember\nn2\tnonmember\n' > "$T/labels.tsv"
"$TRAWIC" train -q --from "$T/m1.jsonl" "$T/m2.jsonl" "$T/m3.jsonl" "$T/n1.jsonl" \
	"$T/n2.jsonl" "$T/n3.jsonl" --labels "$T/labels.tsv" -o "$T/c4.json" > /dev/null 2> "$T/err"
is "$?" 2 "train --from with a repository that has no label exits 2"
contains "$(cat "$T/err")" "n3" "and names it"

# Reproducible: with SOURCE_DATE_EPOCH, "created" is that time and the same
# inputs give the same bytes (classifier/make-default relies on it).
for f in r1 r2; do
	SOURCE_DATE_EPOCH=1686355200 "$TRAWIC" train -q --from "$T/m1.jsonl" "$T/m2.jsonl" \
		"$T/m3.jsonl" "$T/n1.jsonl" "$T/n2.jsonl" "$T/n3.jsonl" --members m1 m2 m3 \
		--non-members n1 n2 n3 --folds 3 --patience 2 -o "$T/$f.json" > /dev/null 2> "$T/err"
done
ok "train with SOURCE_DATE_EPOCH twice: identical classifier files" cmp -s "$T/r1.json" "$T/r2.json"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["provenance"]["created"])' "$T/r1.json")" \
	"2023-06-10T00:00:00Z" "and created is SOURCE_DATE_EPOCH"
SOURCE_DATE_EPOCH=yesterday "$TRAWIC" train -q --from "$T/m1.jsonl" "$T/n1.jsonl" \
	--members m1 --non-members n1 -o "$T/r3.json" > /dev/null 2> "$T/err"
is "$?" 2 "train with a SOURCE_DATE_EPOCH that is not a number exits 2"

"$TRAWIC" eval -q --classifier "$T/c3.json" --from "$T/m1.jsonl" "$T/n1.jsonl" \
	--members m1 --non-members n1 --json > "$T/from.json" 2> "$T/err"
is "$?" 0 "eval --from exits 0"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["file"]["n"], [r["repo"] for r in d["repositories"]])' "$T/from.json")" \
	"8 ['m1', 'n1']" "eval --from: 8 files of repositories m1 and n1"

# --corpus: a directory laid out as corpora/build makes it
mkdir "$T/corpus"
for r in m1 m2 m3 n1 n2 n3; do
	case $r in m*) s=member ;; *) s=nonmember ;; esac
	printf '%s\t%s\tpython\t%s\t4\t0\t-\n' "py-$r" "$s" "$T/$r"
done > "$T/corpus/labels.tsv"
echo "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef  manifest_default.tsv" \
	> "$T/corpus/manifest.sha256"
"$TRAWIC" train -q --no-cache --model "$model" --corpus "$T/corpus" --folds 3 --patience 2 \
	-o "$T/c5.json" > /dev/null 2> "$T/err"
is "$?" 0 "train --corpus exits 0"
is "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["provenance"]["corpus_manifest_sha256"])' "$T/c5.json")" \
	0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef \
	"train --corpus records the corpus manifest hash"
"$TRAWIC" train -q --no-cache --model "$model" --corpus "$T/nosuch" -o "$T/c6.json" \
	> /dev/null 2> "$T/err"
is "$?" 2 "train --corpus on a directory without labels.tsv exits 2"

# a corrupted classifier file
# valid JSON, one number changed: only the checksum can tell
python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
c["platt"]["A"] = c["platt"]["A"] * 2 + 1
json.dump(c, open(sys.argv[2], "w"), indent=1)
' "$T/c.json" "$T/bad.json"
"$TRAWIC" eval -q --no-cache --classifier "$T/bad.json" --model "$model" \
	--members "$T/m4" --non-members "$T/n4" > /dev/null 2> "$T/err"
is "$?" 2 "eval with a corrupted classifier file exits 2"
contains "$(cat "$T/err")" "corrupt" "and says the file is corrupted"
head -c 200 "$T/c.json" > "$T/trunc.json"
"$TRAWIC" eval -q --no-cache --classifier "$T/trunc.json" --model "$model" \
	--members "$T/m4" --non-members "$T/n4" > /dev/null 2> "$T/err"
is "$?" 2 "eval with a truncated classifier file exits 2"

# a model server that fails everything: no classifier from partial data
trap 'kill $(cat "$T/pids" 2> /dev/null) 2> /dev/null; rm -rf "$T"' EXIT
"$TRAWIC" serve --model "$model" --listen 127.0.0.1:0 --port-file "$T/port" \
	--fail-rate 1.0 --faults 503,500,reset > /dev/null 2> "$T/serve.err" &
echo $! >> "$T/pids"
i=0; while [ ! -s "$T/port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
"$TRAWIC" train -q --no-cache --retries 1 --model "llamacpp:http://127.0.0.1:$(cat "$T/port")" \
	--members "$T/m1" "$T/m2" "$T/m3" --non-members "$T/n1" "$T/n2" "$T/n3" \
	-o "$T/failed.json" > /dev/null 2> "$T/err"
is "$?" 2 "train against a failing server exits 2"
ok "and writes no classifier file" test ! -e "$T/failed.json"
contains "$(cat "$T/err")" "partial data" "and says why"
"$TRAWIC" eval -q --no-cache --retries 1 --classifier "$T/c.json" \
	--model "llamacpp:http://127.0.0.1:$(cat "$T/port")" \
	--members "$T/m4" --non-members "$T/n4" > "$T/out" 2> "$T/err"
is "$?" 2 "eval against a failing server exits 2"

finish
