#!/usr/bin/env python3
"""report_check.py - checks of trawic's reports for tests/report.sh.

    report_check.py schema SCHEMA FILE...     each FILE valid against SCHEMA;
                                              prints "valid FILE" or
                                              "invalid FILE  # why" per FILE
    report_check.py sarif RECORD SARIF        SARIF 2.1.0 as GitHub reads it,
                                              and consistent with RECORD
    report_check.py same-fingerprints A B     two SARIF logs: same results,
                                              same fingerprints
    report_check.py junit RECORD XML          JUnit as GitLab/Jenkins read it,
                                              and consistent with RECORD
    report_check.py no-secrets RECORD FILE    no evidence text in FILE

Prints what is wrong on stderr and exits 1; exits 0 when all is well.
A missing jsonschema module is a failure, never a skip.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

MAX_TEXT = 1024
MAX_RESULTS = 25000
problems = []


def bad(msg):
    problems.append(msg)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def check_schema(schema_path, files):
    try:
        import jsonschema
    except ImportError:
        bad("python3 module jsonschema is missing (apt-get install python3-jsonschema)")
        return
    schema = load(schema_path)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    # one line per file on stdout, for the caller to turn into assertions
    # (importing jsonschema is slow: one process checks them all)
    for f in files:
        errs = ["/%s: %s" % ("/".join(map(str, e.path)), e.message[:200])
                for e in v.iter_errors(load(f))]
        print("%s %s%s" % ("valid" if not errs else "invalid", f,
                           "" if not errs else "  # " + errs[0]))
        for e in errs:
            bad("%s: %s" % (f, e))


def is_pos_int(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def text_ok(where, obj, key="text"):
    t = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(t, str) or not t:
        bad("%s: %s missing or empty" % (where, key))
    elif len(t) > MAX_TEXT:
        bad("%s: %s is %d characters (max %d)" % (where, key, len(t), MAX_TEXT))


def check_sarif(record_path, sarif_path):
    rec = load(record_path)
    log = load(sarif_path)
    if log.get("version") != "2.1.0":
        bad("version is not 2.1.0")
    if not isinstance(log.get("$schema"), str) or "sarif" not in log["$schema"]:
        bad("$schema missing")
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        bad("not exactly one run")
        return
    run = runs[0]
    driver = run.get("tool", {}).get("driver", {})
    if driver.get("name") != "trawic":
        bad("tool.driver.name is not trawic")
    if driver.get("semanticVersion") != rec["tool"]["version"]:
        bad("semanticVersion is not the record's tool.version")
    rules = driver.get("rules", [])
    ids = [r.get("id") for r in rules]
    if len(set(ids)) != len(ids) or not all(ids):
        bad("rule ids missing or not unique: %r" % ids)
    for i, r in enumerate(rules):
        w = "rule %s" % r.get("id")
        if not r.get("name") or len(r["name"]) > 255:
            bad(w + ": name missing or longer than 255")
        text_ok(w + ".shortDescription", r.get("shortDescription"))
        text_ok(w + ".fullDescription", r.get("fullDescription"))
        text_ok(w + ".help", r.get("help"))
        text_ok(w + ".help", r.get("help"), "markdown")
        if r.get("defaultConfiguration", {}).get("level") not in ("note", "warning", "error"):
            bad(w + ": defaultConfiguration.level")
        p = r.get("properties", {})
        if not p.get("tags") or len(p["tags"]) > 20:
            bad(w + ": tags")
        if p.get("precision") not in ("very-high", "high", "medium", "low"):
            bad(w + ": precision")
        if p.get("problem.severity") not in ("error", "warning", "recommendation"):
            bad(w + ": problem.severity")
    aid = run.get("automationDetails", {}).get("id", "")
    if not aid.startswith("trawic/") or not aid.endswith("/"):
        bad("automationDetails.id %r" % aid)
    inv = run.get("invocations", [])
    if len(inv) != 1:
        bad("not one invocation")
    else:
        want = rec["status"] == "complete"
        if inv[0].get("executionSuccessful") is not want:
            bad("executionSuccessful is not %s" % want)
        notes = inv[0].get("toolExecutionNotifications", [])
        for n in notes:
            text_ok("notification", n.get("message"))
        texts = " ".join(n.get("message", {}).get("text", "") for n in notes)
        for e in rec["errors"]:
            if e["message"][:200] not in texts:
                bad("error %r is not among the notifications" % e["message"])
        if rec["status"] != "complete" and not any(n.get("level") == "error" for n in notes):
            bad("an audit that did not complete has no error notification")
    results = run.get("results")
    if not isinstance(results, list):
        bad("results missing")
        return
    if len(results) > MAX_RESULTS:
        bad("%d results (max %d)" % (len(results), MAX_RESULTS))
    fps = set()
    paths = {f["path"] for f in rec["files"]}
    for k, r in enumerate(results):
        w = "result %d" % k
        rid = r.get("ruleId")
        if rid not in ids:
            bad(w + ": ruleId %r is not a rule" % rid)
        elif r.get("ruleIndex") != ids.index(rid):
            bad(w + ": ruleIndex %r does not match %s" % (r.get("ruleIndex"), rid))
        if r.get("level") not in ("note", "warning", "error"):
            bad(w + ": level")
        text_ok(w + ".message", r.get("message"))
        locs = r.get("locations")
        if not locs:
            bad(w + ": no locations")
            continue
        pl = locs[0].get("physicalLocation", {})
        uri = pl.get("artifactLocation", {}).get("uri", "")
        if not uri or uri.startswith("/") or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri):
            bad(w + ": uri %r is not relative" % uri)
        from urllib.parse import unquote
        if unquote(uri) not in paths:
            bad(w + ": uri %r is not an audited file" % uri)
        reg = pl.get("region", {})
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            if not is_pos_int(reg.get(key)):
                bad(w + ": region.%s = %r" % (key, reg.get(key)))
        if "snippet" in reg:
            bad(w + ": a snippet")
        fp = r.get("partialFingerprints", {}).get("primaryLocationLineHash")
        if not isinstance(fp, str) or not fp:
            bad(w + ": no primaryLocationLineHash")
        elif fp in fps:
            bad(w + ": fingerprint %s repeated" % fp)
        fps.add(fp)
    # against the record
    members = [f for f in rec["files"] if f["member"] is True]
    file_results = [r for r in results if r.get("ruleId") == "TRW001"]
    repo_results = [r for r in results if r.get("ruleId") == "TRW002"]
    v = (rec.get("verdict") or {}).get("verdict")
    want_repo = 1 if v in ("included", "inconclusive") else 0
    if len(repo_results) != want_repo:
        bad("%d repository results for verdict %r" % (len(repo_results), v))
    for r in repo_results:
        want = "error" if v == "included" else "note"
        if r.get("level") != want:
            bad("repository result level %r for verdict %r" % (r.get("level"), v))
    props = run.get("properties", {})
    if len(members) + want_repo <= MAX_RESULTS:
        if len(file_results) != len(members):
            bad("%d file results for %d member files" % (len(file_results), len(members)))
        if props.get("results_truncated") is not False:
            bad("results_truncated is not false")
    else:
        if len(results) != MAX_RESULTS:
            bad("truncated to %d results, not %d" % (len(results), MAX_RESULTS))
        if props.get("results_truncated") is not True or \
                props.get("results_omitted") != len(members) + want_repo - MAX_RESULTS:
            bad("truncation not recorded: %r" % props)
        kept = {r["properties"]["blob"] for r in file_results}
        pk = [f["probability"] for f in members if f["blob"] in kept]
        po = [f["probability"] for f in members if f["blob"] not in kept]
        if po and pk and min(pk) < max(po):
            bad("a kept result has a lower probability (%g) than one left out (%g)"
                % (min(pk), max(po)))
    by_path = {f["path"]: f for f in rec["files"]}
    for r in file_results:
        f = by_path.get(_uri_path(r))
        if not f:
            continue
        if r.get("properties", {}).get("probability") != f["probability"]:
            bad("%s: probability differs from the record" % f["path"])
        reg = r["locations"][0]["physicalLocation"]["region"]
        want_line = f["evidence"][0]["line"] if f["evidence"] else 1
        if reg.get("startLine") != want_line:
            bad("%s: startLine %r, first evidence at %r" % (f["path"], reg.get("startLine"),
                                                           want_line))


def _uri_path(r):
    from urllib.parse import unquote
    return unquote(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])


def fingerprints(path):
    run = load(path)["runs"][0]
    # the repository result (TRW002) may be shown on another file: only
    # its fingerprint has to stay
    return sorted((r["ruleId"], _uri_path(r) if r["ruleId"] == "TRW001" else "",
                   r["partialFingerprints"]["primaryLocationLineHash"])
                  for r in run["results"])


def check_same_fingerprints(a, b):
    fa, fb = fingerprints(a), fingerprints(b)
    if fa != fb:
        bad("fingerprints differ: %r vs %r" % (sorted(set(fa) - set(fb))[:3],
                                              sorted(set(fb) - set(fa))[:3]))


def is_number(s):
    try:
        float(s)
        return s is not None and s.strip() != "" and re.match(r"^[0-9]+(\.[0-9]+)?$", s)
    except (TypeError, ValueError):
        return False


def check_junit(record_path, xml_path):
    rec = load(record_path)
    try:
        root = ET.parse(xml_path).getroot()
    except ET.ParseError as e:
        bad("not well-formed XML: %s" % e)
        return
    if root.tag != "testsuites":
        bad("root is <%s>, not <testsuites>" % root.tag)
        return
    suites = root.findall("testsuite")
    if len(suites) != 1:
        bad("%d testsuites, not 1" % len(suites))
        return
    suite = suites[0]
    cases = suite.findall("testcase")
    n = {"tests": len(cases),
         "failures": sum(len(c.findall("failure")) for c in cases),
         "errors": sum(len(c.findall("error")) for c in cases),
         "skipped": sum(len(c.findall("skipped")) for c in cases)}
    for el in (root, suite):
        for k, want in n.items():
            if el.get(k) != str(want):
                bad("<%s %s=%r>, counted %d" % (el.tag, k, el.get(k), want))
        if not is_number(el.get("time")):
            bad("<%s time=%r> is not a number" % (el.tag, el.get("time")))
    keys = set()
    for c in cases:
        key = (c.get("classname"), c.get("name"))
        if not key[0] or not key[1]:
            bad("a testcase without classname or name")
        if key in keys:
            bad("duplicate testcase %r" % (key,))
        keys.add(key)
        if not is_number(c.get("time")):
            bad("testcase %r: time=%r is not a number" % (key, c.get("time")))
        if len(c.findall("failure")) + len(c.findall("error")) + len(c.findall("skipped")) > 1:
            bad("testcase %r has more than one outcome" % (key,))
        for o in c:
            if o.tag not in ("failure", "error", "skipped", "system-out", "system-err"):
                bad("testcase %r: unexpected <%s>" % (key, o.tag))
    audit = [c for c in cases if c.get("name") == "audit completed"]
    if len(audit) != 1:
        bad("%d 'audit completed' cases" % len(audit))
    elif (rec["status"] == "complete") == bool(audit[0].findall("error")):
        bad("'audit completed' has an error iff the status is not complete (status %s)"
            % rec["status"])
    elif rec["status"] != "complete":
        body = audit[0].find("error").text or ""
        for e in rec["errors"]:
            if e["message"] not in body:
                bad("error %r not in the 'audit completed' error" % e["message"])
    verdict = [c for c in cases if c.get("name") == "repository verdict"]
    v = (rec.get("verdict") or {}).get("verdict")
    if len(verdict) != 1:
        bad("%d 'repository verdict' cases" % len(verdict))
    else:
        fails = v == "included" or (v == "inconclusive" and
                                    rec["configuration"]["fail_on"] == "inconclusive")
        if bool(verdict[0].findall("failure")) != fails:
            bad("repository verdict %r: failure %s expected" % (v, fails))
        if bool(verdict[0].findall("skipped")) != (v is None):
            bad("repository verdict: skipped iff there is no verdict")
    files = [c for c in cases if c.get("classname") == "trawic.files"]
    if [c.get("name") for c in files] != [f["path"] for f in rec["files"]]:
        bad("file cases are not the audited files in order")
    for c, f in zip(files, rec["files"]):
        if c.get("file") != f["path"]:
            bad("%s: file=%r" % (f["path"], c.get("file")))
        want_line = str(f["evidence"][0]["line"]) if f["evidence"] else "1"
        if c.get("line") != want_line:
            bad("%s: line=%r, want %s" % (f["path"], c.get("line"), want_line))
        if bool(c.findall("failure")) != (f["member"] is True):
            bad("%s: failure iff member" % f["path"])
        if bool(c.findall("error")) != (f["probability"] is None):
            bad("%s: error iff its queries failed" % f["path"])
    skipped_paths = {s["path"] for s in rec["skipped"]}
    if any(c.get("name") in skipped_paths for c in cases):
        bad("a skipped file is a test case")
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    if props.get("files_skipped") != str(len(rec["skipped"])):
        bad("property files_skipped = %r, %d skipped" % (props.get("files_skipped"),
                                                        len(rec["skipped"])))


def check_no_secrets(record_path, path):
    rec = load(record_path)
    with open(path, encoding="utf-8") as f:
        out = f.read()
    # the text an entity-escaped or JSON-escaped rendering would contain too
    variants = lambda s: {s, json.dumps(s, ensure_ascii=False)[1:-1],
                          s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    for f in rec["files"]:
        for e in f["evidence"]:
            for key in ("original", "completion"):
                s = e[key]
                if len(s) < 6:
                    continue
                for v in variants(s):
                    if v in out:
                        bad("%s: evidence %s %r appears in the report" % (f["path"], key, s))
                        break


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "schema":
        check_schema(args[0], args[1:])
    elif cmd == "sarif":
        check_sarif(args[0], args[1])
    elif cmd == "same-fingerprints":
        check_same_fingerprints(args[0], args[1])
    elif cmd == "junit":
        check_junit(args[0], args[1])
    elif cmd == "no-secrets":
        check_no_secrets(args[0], args[1])
    else:
        print("unknown check %r" % cmd, file=sys.stderr)
        return 2
    for p in problems[:20]:
        print("#   " + p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
