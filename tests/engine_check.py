#!/usr/bin/env python3
"""engine_check.py - the two things tests/engine.sh does not do in sh.

  gen ROOT CANDIDATES QUERIES SERVED
      Queries (JSON lines for tests/engine_drive) for the candidates that
      `trawic extract` found under ROOT: prefix and suffix windows around
      each span, the stop rule of its kind, log-probabilities for every
      third, and the first five again under ids from 100000 (dedup).
      SERVED gets the same queries as a server sees them: no HTTP protocol
      carries "stop at the end of the identifier", so an identifier query
      reaches `trawic serve` with no stop rule ("none").
  golden LOG GOLDEN [LOG GOLDEN...]
      For each pair, one line: "same" when the recorded requests equal the
      golden ones, in order, compared as canonical JSON (types count: 0 is
      not 0.0, false is not 0), else "differ"; the differences follow each
      pair as "#" lines.
"""
import json
import os
import sys


def gen(root, cands, queries, served):
    out, files = [], {}
    for line in open(cands, encoding="utf-8"):
        c = json.loads(line)
        if c.get("type") != "candidate":
            continue
        b = files.get(c["path"])
        if b is None:
            b = files[c["path"]] = open(os.path.join(root, c["path"]), "rb").read()
        s, e = c["start_byte"], c["end_byte"]
        q = {"id": len(out) + 1, "kind": c["kind"],
             "prefix": b[max(0, s - 400):s].decode("utf-8", "ignore"),
             "suffix": b[e:e + 120].decode("utf-8", "ignore")}
        if c["kind"].endswith("_name"):
            q.update(stop="ident", max_tokens=8)
        elif c["kind"] == "string":
            q.update(stop="delim", delim='"', max_tokens=24)
        elif "\n" in c["text"]:
            q.update(stop="delim", delim="*/", max_tokens=48)
        else:
            q.update(stop="newline", max_tokens=32)
        q["logprobs"] = len(out) % 3 == 0
        out.append(q)
    for q in out[:5]:
        d = dict(q)
        d["id"] = 100000 + q["id"]
        out.append(d)
    with open(queries, "w", encoding="utf-8") as f, open(served, "w", encoding="utf-8") as g:
        for q in out:
            f.write(json.dumps(q) + "\n")
            if q["stop"] == "ident":
                q = dict(q, stop="none")
            g.write(json.dumps(q) + "\n")
    return 0


def compare(log, gold):
    def canon(path):
        if not os.path.exists(path):
            return []
        return [json.dumps(json.loads(l), sort_keys=True, ensure_ascii=False)
                for l in open(path, encoding="utf-8") if l.strip()]
    got, want = canon(log), canon(gold)
    for n, (g, w) in enumerate(zip(got, want)):
        if g != w:
            return "request %d\n#   got:  %s\n#   want: %s" % (n + 1, g, w)
    if len(got) != len(want):
        return "%d requests, %d golden" % (len(got), len(want))
    return None


def golden(*pairs):
    why = []
    for log, gold in zip(pairs[::2], pairs[1::2]):
        d = compare(log, gold)
        print("differ" if d else "same")
        if d:
            why.append("#   %s: %s" % (os.path.basename(gold), d))
    for w in why:
        print(w)
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit(gen(*args) if cmd == "gen" else golden(*args) if cmd == "golden" else
             "unknown command " + cmd)
