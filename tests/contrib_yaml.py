#!/usr/bin/env python3
"""contrib_yaml.py - checks of the YAML files trawic ships for others' tools.

  contrib_yaml.py check SRCDIR     one line per check of .pre-commit-hooks.yaml,
                                   contrib/ci/github-actions.yml and
                                   contrib/ci/gitlab-ci.yml: "ok - DESC" or
                                   "not ok - DESC" (the caller numbers them)
  contrib_yaml.py run SRCDIR ID    run hook ID's entry the way pre-commit
                                   runs a `language: system` hook (shlex
                                   split, no file names) and exit with its
                                   status

Exit 77 when PyYAML is missing (Debian: python3-yaml).
"""
import os
import shlex
import subprocess
import sys

try:
    import yaml
except ImportError:
    sys.exit(77)

# pre-commit's keys for a hook definition (https://pre-commit.com/#new-hooks)
HOOK_KEYS = {
    "id", "name", "entry", "language", "files", "exclude", "types", "types_or",
    "exclude_types", "always_run", "fail_fast", "verbose", "pass_filenames",
    "require_serial", "description", "language_version", "minimum_pre_commit_version",
    "args", "stages",
}
REQUIRED = ("id", "name", "entry", "language")
STAGES = {
    "commit-msg", "post-checkout", "post-commit", "post-merge", "post-rewrite",
    "pre-commit", "pre-merge-commit", "pre-push", "pre-rebase", "prepare-commit-msg",
    "manual",
}


class Tap:
    def ok(self, cond, desc, detail=None):
        print(("ok - %s" if cond else "not ok - %s") % desc)
        if not cond and detail:
            print("#   %s" % detail)
        return cond


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def check_precommit(t, top):
    hooks = load(os.path.join(top, ".pre-commit-hooks.yaml"))
    t.ok(isinstance(hooks, list) and all(isinstance(h, dict) for h in hooks),
         ".pre-commit-hooks.yaml: a list of hook definitions")
    by_id = {h.get("id"): h for h in hooks}
    t.ok(set(by_id) == {"trawic", "trawic-submit"},
         ".pre-commit-hooks.yaml: ids trawic and trawic-submit", sorted(map(str, by_id)))
    for h in hooks:
        hid = h.get("id")
        missing = [k for k in REQUIRED if not isinstance(h.get(k), str) or not h.get(k)]
        t.ok(not missing, "%s: has id, name, entry, language" % hid, missing)
        unknown = set(h) - HOOK_KEYS
        t.ok(not unknown, "%s: only keys pre-commit knows" % hid, sorted(unknown))
        t.ok(h.get("language") == "system", "%s: language system" % hid)
        t.ok(h.get("pass_filenames") is False and h.get("require_serial") is True,
             "%s: pass_filenames false, require_serial true" % hid)
        stages = h.get("stages", [])
        t.ok(stages and set(stages) <= STAGES, "%s: known stages" % hid, stages)
        try:
            argv = shlex.split(h["entry"])
        except ValueError as e:
            argv = None
            err = str(e)
        t.ok(argv and argv[0] == "sh" and argv[1] == "-c",
             "%s: entry splits into a sh -c command" % hid, argv or err)
    t.ok(by_id.get("trawic", {}).get("stages") == ["pre-push"], "trawic: stage pre-push")


def check_github(t, top):
    wf = load(os.path.join(top, "contrib/ci/github-actions.yml"))
    # YAML 1.1 reads the key `on` as the boolean true
    t.ok(isinstance(wf, dict) and "jobs" in wf and ("on" in wf or True in wf),
         "github-actions.yml: a workflow (on, jobs)")
    job = next(iter(wf["jobs"].values()))
    steps = job.get("steps", [])
    uses = [s.get("uses", "") for s in steps]
    t.ok(job.get("permissions", {}).get("security-events") == "write",
         "github-actions.yml: permissions security-events: write")
    co = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    t.ok(co and co[0].get("with", {}).get("fetch-depth") == 0,
         "github-actions.yml: checkout with fetch-depth 0")
    t.ok("github/codeql-action/upload-sarif@v3" in uses,
         "github-actions.yml: upload-sarif@v3")
    runs = "\n".join(s.get("run", "") for s in steps)
    t.ok("--fail-on never" in runs and "sarif=trawic.sarif" in runs and
         "junit=trawic.xml" in runs,
         "github-actions.yml: the audit writes SARIF and JUnit with --fail-on never")
    up = [s for s in steps if "upload-sarif" in s.get("uses", "")]
    t.ok(up and "always()" in str(up[0].get("if", "")),
         "github-actions.yml: the upload runs whatever the audit's outcome")
    t.ok(all("run" in s or "uses" in s for s in steps),
         "github-actions.yml: every step runs or uses something")


def check_gitlab(t, top):
    ci = load(os.path.join(top, "contrib/ci/gitlab-ci.yml"))
    job = ci.get("trawic") if isinstance(ci, dict) else None
    t.ok(isinstance(job, dict) and "script" in job, "gitlab-ci.yml: a job trawic with a script")
    art = job.get("artifacts", {}) if job else {}
    t.ok(art.get("reports", {}).get("junit") == "trawic.xml",
         "gitlab-ci.yml: artifacts:reports:junit trawic.xml")
    t.ok(art.get("when") == "always", "gitlab-ci.yml: artifacts when: always")
    t.ok("trawic.md" in art.get("paths", []), "gitlab-ci.yml: the markdown report is an artifact")
    t.ok(job.get("variables", {}).get("GIT_DEPTH") == "0", "gitlab-ci.yml: full history")


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        t = Tap()
        for f in (check_precommit, check_github, check_gitlab):
            try:
                f(t, sys.argv[2])
            except Exception as e:  # a crash is one failed check, named
                t.ok(False, "%s ran" % f.__name__, repr(e))
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        hooks = load(os.path.join(sys.argv[2], ".pre-commit-hooks.yaml"))
        entry = next(h["entry"] for h in hooks if h["id"] == sys.argv[3])
        return subprocess.call(shlex.split(entry))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
