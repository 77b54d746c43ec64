#!/usr/bin/env python3
"""stdlib_counts.py - Python's own view of a directory of .py files.

Counts, per file, what trawic's Python query must find, using the ast and
tokenize modules: function names (def and async def, less dunder names), class names,
docstrings (module, class, function) and comments.  The trivial-element
rule of docs/extractor.md is applied the same way on both sides: a
comment or docstring without a single letter or digit is not counted.

Usage: stdlib_counts.py DIR EXTRACT_JSONL
Prints a TAP-style report of differences on stdout and exits 1 if any.
"""
import ast
import collections
import io
import json
import os
import sys
import tokenize


def has_signal(text):
    return any(c.isalnum() or ord(c) >= 0x80 for c in text)


def python_counts(path):
    with open(path, "rb") as f:
        data = f.read()
    tree = ast.parse(data)
    counts = collections.Counter()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # dunder names are fixed by the language: not candidates
            if not (node.name.startswith("__") and node.name.endswith("__")
                    and len(node.name) > 4):
                counts["function_name"] += 1
        elif isinstance(node, ast.ClassDef):
            counts["class_name"] += 1
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef,
                             ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=False)
            if doc is not None and has_signal(doc):
                counts["docstring"] += 1
    for tok in tokenize.tokenize(io.BytesIO(data).readline):
        if (tok.type == tokenize.COMMENT and has_signal(tok.string.lstrip("#"))
                and not (tok.start == (1, 0) and tok.string.startswith("#!"))):
            counts["comment"] += 1
    return counts


def main():
    root, jsonl = sys.argv[1], sys.argv[2]
    kinds = ("function_name", "class_name", "docstring", "comment")
    ours = collections.defaultdict(collections.Counter)
    skipped = {}
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "candidate":
                ours[rec["path"]][rec["kind"]] += 1
            elif rec.get("type") == "file" and "skipped" in rec:
                skipped[rec["path"]] = rec["skipped"]
    bad = 0
    # a skipped file must deserve it: only the generated-file marker is
    # expected in the standard library (stringprep.py says DO NOT EDIT)
    for name, why in sorted(skipped.items()):
        with open(os.path.join(root, name), encoding="utf-8") as f:
            head = f.read(1024).lower()
        marked = "@generated" in head or ("generated" in head and "do not edit" in head)
        print("# skipped %s: %s%s" % (name, why, "" if marked else " (WRONG: no marker)"))
        if why != "generated" or not marked:
            bad += 1
    totals = {k: [0, 0] for k in kinds}
    files = sorted(n for n in os.listdir(root)
                   if n.endswith(".py") and n not in skipped)
    for name in files:
        theirs = python_counts(os.path.join(root, name))
        for k in kinds:
            totals[k][0] += ours[name][k]
            totals[k][1] += theirs[k]
            if ours[name][k] != theirs[k]:
                bad += 1
                print("# %s: %s trawic %d, python %d"
                      % (name, k, ours[name][k], theirs[k]))
    for k in kinds:
        print("# %-14s trawic %6d  python %6d" % (k, totals[k][0], totals[k][1]))
    print("# %d files compared" % len(files))
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
