#!/usr/bin/python3
"""End-to-end tests of the CI gating features of syncwatch-report
(docs/ci.md): fingerprints, suppressions, baselines, SARIF, JUnit and the
copy-paste traps of the command line.

    test_ci_gating.py --shim LIB --report BIN --samples DIR --source DIR
                      --cc CC CASE

DIR of --samples holds the built sample programs, --source is the source
tree (samples/*.c are rebuilt from it with lines inserted).  Each CASE is
one ctest test; the exit status is 0 when every check of it held.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

ARGS = None
FAILURES = []


def check(cond, what):
    if not cond:
        FAILURES.append(what)
        print("FAIL: " + what)
    return cond


def trace(cmd, tmp, name):
    """Runs cmd under the shim; returns the trace directory."""
    out = os.path.join(tmp, name)
    os.makedirs(out)
    env = dict(os.environ, LD_PRELOAD=ARGS.shim, SYNCWATCH_OUTPUT=out + "/", SYNCWATCH_QUIET="1")
    env.pop("SYNCWATCH_SUPPRESSIONS", None)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if p.returncode != 0:
        raise SystemExit("%s exited with %d: %s" % (cmd, p.returncode, p.stderr.decode()))
    return out


def report(*args, env=None):
    """Runs syncwatch-report; returns (exit status, stdout text, stderr text)."""
    e = dict(os.environ)
    e.pop("SYNCWATCH_SUPPRESSIONS", None)
    e.update(env or {})
    p = subprocess.run([ARGS.report, "--no-color"] + list(args), env=e, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    if p.returncode < 0:
        raise SystemExit("syncwatch-report died by signal %d" % -p.returncode)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def report_json(*args, env=None):
    rc, out, err = report("--format", "json", *args, env=env)
    try:
        return rc, json.loads(out), err
    except ValueError as e:
        raise SystemExit("not JSON (%s): %s\n%s" % (e, out[:2000], err))


def fingerprints(doc):
    return sorted((f["kind"], f["code"], f["fingerprint"]) for f in doc["findings"])


def sample(name):
    return os.path.join(ARGS.samples, name)


def rebuild_with_lines(name, tmp):
    """samples/NAME.c compiled again with lines inserted above its code (a
    comment, blank lines), as a rebuilt program after an edit."""
    src = os.path.join(ARGS.source, "samples", name + ".c")
    d = os.path.join(tmp, "rebuilt-" + name)
    os.makedirs(d)
    shutil.copy(os.path.join(ARGS.source, "samples", "sample_util.h"), d)
    lines = open(src).read().split("\n")
    out = []
    for line in lines:
        out.append(line)
        if line.startswith("#include"):
            out.extend(["", "/* lines inserted by test_ci_gating.py */", "", "", "", ""])
    with open(os.path.join(d, name + ".c"), "w") as f:
        f.write("\n".join(out))
    exe = os.path.join(d, name)
    subprocess.run([ARGS.cc, "-O2", "-g", "-pthread", "-o", exe, os.path.join(d, name + ".c")],
                   check=True)
    return exe


def site_lines(doc):
    return sorted(s["site"] for f in doc["findings"] for s in f["steps"] if s.get("site"))


# ---- cases ----

FP_SAMPLES = ["abba", "misuse_double_unlock", "abandoned_thread_exit", "dining_philosophers",
              "misuse_cond_two_mutexes"]


def case_fingerprints(tmp):
    for name in FP_SAMPLES:
        runs = []
        for i in range(2):
            _, doc, _ = report_json("-v", trace([sample(name)], tmp, "%s.%d" % (name, i)))
            runs.append(doc)
        check(runs[0]["findings"], "%s: no findings" % name)
        check(all(len(f["fingerprint"]) == 16 for f in runs[0]["findings"]),
              "%s: fingerprints of 16 hex digits" % name)
        check(fingerprints(runs[0]) == fingerprints(runs[1]),
              "%s: two runs, same fingerprints: %s vs %s" % (name, fingerprints(runs[0]),
                                                             fingerprints(runs[1])))
        exe = rebuild_with_lines(name, tmp)
        _, moved, _ = report_json("-v", trace([exe], tmp, name + ".rebuilt"))
        check(site_lines(moved) != site_lines(runs[0]),
              "%s: the rebuilt program's sites have other lines (%s)" % (name, site_lines(moved)))
        check(fingerprints(moved) == fingerprints(runs[0]),
              "%s: rebuilt with lines inserted, same fingerprints: %s vs %s"
              % (name, fingerprints(moved), fingerprints(runs[0])))
        # the text report shows the same fingerprints
        _, text, _ = report("-v", os.path.join(tmp, name + ".0"))
        for f in runs[0]["findings"]:
            check("Fingerprint: " + f["fingerprint"] in text,
                  "%s: text shows fingerprint %s" % (name, f["fingerprint"]))
    # JSON stacks keep the full source path
    _, doc, _ = report_json(os.path.join(tmp, "abba.0"))
    files = {fr.get("file") for s in doc["stacks"] for fr in s["frames"] if fr.get("file")}
    abba_c = os.path.join(os.path.realpath(ARGS.source), "samples", "abba.c")
    check(abba_c in files, "JSON frames carry the full path %s (have %s)" % (abba_c, files))


def gen_entries(text):
    """The suppression entries --gen-suppressions printed, by their code line."""
    entries, cur = {}, None
    for line in text.split("\n"):
        if line == "{":
            cur = [line]
        elif cur is not None:
            cur.append(line)
            if line == "}":
                entries[cur[2].strip()] = "\n".join(cur) + "\n"
                cur = None
    return entries


def write(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def case_suppressions(tmp):
    d = trace([sample("robust_owner_dead")], tmp, "robust")
    rc, text, _ = report("--gen-suppressions", d)
    entries = gen_entries(text)
    check(rc == 1 and set(entries) == {"abandoned/held-at-thread-exit", "abandoned/owner-dead"},
          "--gen-suppressions prints one entry per finding: %s" % sorted(entries))
    # a generated entry, a comment and a stale entry
    supp = write(tmp, "robust.supp", "# generated, then kept\n" +
                 entries["abandoned/held-at-thread-exit"] +
                 "\n{\n   stale-entry   # not a comment: part of the name\n   misuse/*\n"
                 "   fun:no_such_function\n}\n")
    rc, doc, _ = report_json("--suppressions", supp, d)
    codes = sorted(f["code"] for f in doc["findings"])
    check(rc == 1 and codes == ["owner-dead"],
          "the entry silences exactly its finding: exit %d, %s" % (rc, codes))
    check(doc["summary"]["suppressed"] == 1, "JSON summary counts 1 suppressed")
    rc, text, _ = report("--suppressions", supp, d)
    check("1 suppressed (-v lists them)." in text, "text counts the suppressed finding")
    check("matched nothing" not in text, "a stale entry is only reported with -v")
    check("SUPPRESSED" not in text, "suppressed findings are listed only with -v")
    rc, text, _ = report("-v", "--suppressions", supp, d)
    check("SUPPRESSED #" in text and "Suppressed by: held-at-thread-exit-" in text,
          "-v lists the suppressed finding and its entry")
    check("note: suppression 'stale-entry   # not a comment: part of the name' (%s:9) matched "
          "nothing" % supp in text, "-v reports the stale entry with file and line:\n" + text)
    rc, doc, _ = report_json("-v", "--suppressions", supp, d)
    check([u["line"] for u in doc["unused_suppressions"]] == [9], "JSON lists the stale entry")
    check(any(f.get("suppressed_by", "").startswith("held-at-thread-exit-")
              for f in doc["findings"]), "-v JSON marks the suppressed finding")
    # both entries, one from SYNCWATCH_SUPPRESSIONS: nothing left
    other = write(tmp, "other.supp", entries["abandoned/owner-dead"])
    rc, doc, _ = report_json("--suppressions", supp, d, env={"SYNCWATCH_SUPPRESSIONS": other})
    check(rc == 0 and not doc["findings"] and doc["summary"]["suppressed"] == 2,
          "SYNCWATCH_SUPPRESSIONS adds its file: exit %d" % rc)
    # every kind of matcher, with globs
    a = trace([sample("abba")], tmp, "abba")
    for m in ["cycle", "cycle/lock-order-*", "*\n   lock:lock_?", "cycle\n   fun:take_b_*",
              "cycle\n   src:abba.c", "cycle\n   src:*/samples/abba.c", "cycle\n   obj:abba",
              "cycle\n   obj:*/abba\n   lock:lock_b\n   fun:take_a_then_b"]:
        f = write(tmp, "m.supp", "{\n   m\n   %s\n}\n" % m)
        rc, doc, _ = report_json("--suppressions", f, a)
        check(rc == 0 and doc["summary"]["suppressed"] == 1, "entry %r suppresses abba" % m)
    for m in ["misuse", "cycle/double-unlock", "cycle\n   lock:lock_c", "cycle\n   fun:main",
              "cycle\n   src:other.c", "cycle\n   obj:libc.so*", "cycle\n   fingerprint:0"]:
        f = write(tmp, "m.supp", "{\n   m\n   %s\n}\n" % m)
        rc, doc, _ = report_json("--suppressions", f, a)
        check(rc == 1 and doc["summary"]["suppressed"] == 0, "entry %r leaves abba" % m)
    # broken files: exit 2, FILE:LINE
    for text, line in [("{\n  x\n  nokind\n}\n", 3), ("{\n  x\n  cycle\n  fn:foo\n}\n", 4),
                       ("{\n  x\n  cycle\n", 1), ("lock:foo\n", 1), ("{\n  x\n}\n", 3)]:
        f = write(tmp, "bad.supp", text)
        rc, _, err = report("--suppressions", f, a)
        check(rc == 2 and ("%s:%d: " % (f, line)) in err,
              "bad file %r: exit 2 and %s:%d (%d, %s)" % (text, f, line, rc, err.strip()))
    rc, _, err = report("--suppressions", os.path.join(tmp, "missing.supp"), a)
    check(rc == 2 and "missing.supp" in err, "a missing file is exit 2")


def build_variant(name, tmp, edit):
    """samples/NAME.c with edit(text) applied, compiled."""
    d = os.path.join(tmp, "variant-" + name)
    os.makedirs(d)
    shutil.copy(os.path.join(ARGS.source, "samples", "sample_util.h"), d)
    text = edit(open(os.path.join(ARGS.source, "samples", name + ".c")).read())
    src = os.path.join(d, name + ".c")
    with open(src, "w") as f:
        f.write(text)
    exe = os.path.join(d, name)
    subprocess.run([ARGS.cc, "-O2", "-g", "-pthread", "-o", exe, src], check=True)
    return exe


def case_baseline(tmp):
    a = trace([sample("abba")], tmp, "abba")
    rc, old, _ = report_json(a)
    base = write(tmp, "base.json", json.dumps(old))
    # the same program again: nothing new
    a2 = trace([sample("abba")], tmp, "abba2")
    rc, doc, _ = report_json("--baseline", base, a2)
    check(rc == 0 and not doc["findings"], "no new findings: exit 0 (%d, %s)" % (rc, doc["findings"]))
    check(doc["summary"]["known"] == 1 and doc["baseline"]["known"] == 1 and
          doc["baseline"]["new"] == 0 and doc["baseline"]["fixed"] == [],
          "JSON counts 1 known: %s" % doc["baseline"])
    rc, text, _ = report("--baseline", base, a2)
    check(rc == 0 and "No new findings. 1 known from the baseline (-v lists them)." in text,
          "text: no new findings, 1 known:\n" + text)
    rc, text, _ = report("-v", "--baseline", base, a2)
    check("KNOWN #1 [cycle/lock-order-cycle]" in text, "-v lists the known finding")
    # a change adds a misuse (an unlock of an unheld mutex) and keeps the cycle
    exe = build_variant("abba", tmp, lambda t: t.replace(
        '    puts("abba: done', '    pthread_mutex_unlock(&lock_a);\n    puts("abba: done'))
    b = trace([exe], tmp, "abba-new")
    rc, doc, _ = report_json("--baseline", base, b)
    got = [(f["kind"], f["code"], f["baseline"]) for f in doc["findings"]]
    check(rc == 1 and got == [("misuse", "unlock-unheld", "new")],
          "one new finding: exit 1, only it reported (%d, %s)" % (rc, got))
    rc, text, _ = report("--baseline", base, b)
    check(rc == 1 and "1 new finding: 1 misuse. 1 known from the baseline" in text,
          "text names the new finding:\n" + text)
    # a baseline made with -v from a baseline run still knows everything
    rc, doc, _ = report_json("-v", "--baseline", base, b)
    base2 = write(tmp, "base2.json", json.dumps(doc))
    rc, doc, _ = report_json("--baseline", base2, b)
    check(rc == 0 and doc["summary"]["known"] == 2, "a -v baseline run's JSON is a baseline")
    # what disappeared is listed
    r = trace([sample("robust_owner_dead")], tmp, "robust")
    rc, doc, _ = report_json("--baseline", base2, r)
    fixed = sorted(x["code"] for x in doc["baseline"]["fixed"])
    check(rc == 1 and fixed == ["lock-order-cycle", "unlock-unheld"],
          "fixed findings listed: %s" % fixed)
    rc, text, _ = report("--baseline", base2, r)
    check("Fixed since the baseline %s (2):" % base2 in text and "[cycle/lock-order-cycle]" in text,
          "text lists what is fixed:\n" + text)
    # --fail-on applies to the new findings only
    rc, _, _ = report("--baseline", base, "--fail-on", "cycle", b)
    check(rc == 0, "a new misuse does not fail --fail-on cycle (%d)" % rc)
    # bad baselines: exit 2 with the file named
    for name, text in [("notjson.json", "{\"tool\": "), ("other.json", "{\"findings\": []}"),
                       ("nofp.json", json.dumps({"tool": "syncwatch-report",
                                                 "findings": [{"kind": "cycle"}]}))]:
        f = write(tmp, name, text)
        rc, _, err = report("--baseline", f, a)
        check(rc == 2 and f in err, "bad baseline %s: exit 2 naming it (%d, %s)" % (name, rc, err))
    rc, _, err = report("--baseline", os.path.join(tmp, "missing.json"), a)
    check(rc == 2 and "missing.json" in err, "a missing baseline is exit 2")


def multitool():
    exe = os.path.join(ARGS.tools or "", "node_modules", "@microsoft", "sarif-multitool-linux",
                       "Sarif.Multitool")
    if not os.access(exe, os.X_OK):
        raise SystemExit("the SARIF multitool is not installed at %s: run scripts/setup" % exe)
    return exe


def validate_sarif(path):
    """The official validator (SARIF schema and rules, GitHub's ingestion
    rules): returns its error lines.  It exits 0 even when it finds errors,
    so its output is read."""
    p = subprocess.run([multitool(), "validate", "--rule-kind", "Sarif;Gh", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode("utf-8", "replace")
    errors = [l for l in out.split("\n") if ": error " in l]
    if p.returncode != 0 or "1 files scanned" not in out:
        errors.append("validator exit %d: %s" % (p.returncode, out))
    return errors


SARIF_SAMPLES = ["abba", "robust_owner_dead", "misuse_double_unlock", "abc_cycle",
                 "dining_philosophers", "contention_hotspot", "fork_held_lock"]


def case_sarif(tmp):
    base = None
    for name in SARIF_SAMPLES:
        d = trace([sample(name)], tmp, name)
        out = os.path.join(tmp, name + ".sarif")
        # -o NAME.sarif alone means SARIF
        rc, _, err = report("-v", "--source-root", ARGS.source, "-o", out, d)
        check(rc in (0, 1), "%s: exit %d %s" % (name, rc, err))
        errors = validate_sarif(out)
        check(not errors, "%s: the multitool finds no error: %s" % (name, "\n".join(errors)))
        doc = json.load(open(out))
        _, rep, _ = report_json(d)
        run = doc["runs"][0]
        results = run["results"]
        check(doc["version"] == "2.1.0" and len(results) == len(rep["findings"]),
              "%s: one result per finding (%d, %d)" % (name, len(results), len(rep["findings"])))
        rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
        check(sorted(rules) == sorted({f["code"] for f in rep["findings"]}),
              "%s: one rule per code: %s" % (name, rules))
        check(all(r["help"]["text"] and r["name"] != "Unknown"
                  for r in run["tool"]["driver"]["rules"]),
              "%s: every rule has its own help" % name)
        for r, f in zip(results, rep["findings"]):
            check(r["ruleId"] == f["code"] and rules[r["ruleIndex"]] == f["code"],
                  "%s: rule of %s" % (name, f["code"]))
            check(r["partialFingerprints"]["syncwatchFingerprint/v1"] == f["fingerprint"],
                  "%s: partialFingerprints" % name)
            for loc in r["locations"]:
                art = loc.get("physicalLocation", {}).get("artifactLocation")
                if art:
                    check(art.get("uriBaseId") == "SRCROOT" and art["uri"].startswith("samples/"),
                          "%s: paths relative to --source-root: %s" % (name, art))
            if f["kind"] == "cycle" and f.get("scenario"):
                flows = r["codeFlows"][0]["threadFlows"]
                check(len(flows) == len(f["threads"]),
                      "%s: one threadFlow per thread of the cycle (%d, %d)"
                      % (name, len(flows), len(f["threads"])))
                steps = sum(len(tf["locations"]) for tf in flows)
                check(steps == len(f["steps"]), "%s: every step in the code flow" % name)
        if name == "abba":
            base = write(tmp, "base.json", json.dumps(rep))
            check(results and results[0]["locations"][0]["physicalLocation"]["artifactLocation"]
                  ["uri"] == "samples/abba.c", "abba: located in samples/abba.c")
    # suppressed and known findings (with -v) are marked the SARIF way, and still validate
    d = os.path.join(tmp, "abba")
    supp = write(tmp, "a.supp", "{\n   accepted\n   cycle\n}\n")
    for extra, key in [(["--suppressions", supp], "suppressions"), (["--baseline", base],
                                                                     "baselineState")]:
        out = os.path.join(tmp, "marked.sarif")
        rc, _, _ = report("-v", "--format", "sarif", "-o", out, *extra, d)
        errors = validate_sarif(out)
        check(rc == 0 and not errors, "%s: validates (%d): %s" % (key, rc, errors))
        r = json.load(open(out))["runs"][0]["results"]
        check(len(r) == 1 and key in r[0], "%s: marked: %s" % (key, r))
    # without symbols (no file, no function): still valid
    out = os.path.join(tmp, "nosym.sarif")
    rc, _, _ = report("--no-symbols", "-o", out, d)
    errors = validate_sarif(out)
    check(rc == 1 and not errors, "--no-symbols SARIF validates: %s" % errors)
    # without -v they are left out
    rc, out, _ = report("--format", "sarif", "--suppressions", supp, d)
    check(rc == 0 and json.loads(out)["runs"][0]["results"] == [], "suppressed: no result")
    rc, _, err = report("--source-root", os.path.join(tmp, "nowhere"), "--format", "sarif", d)
    check(rc == 2 and "nowhere" in err, "a --source-root that is no directory: exit 2")


def case_junit(tmp):
    import xml.dom.minidom
    for name, want_fail in [("abba", 1), ("robust_owner_dead", 2), ("clean_order", 0)]:
        d = trace([sample(name)], tmp, name)
        out = os.path.join(tmp, name + ".xml")
        rc, _, _ = report("-o", out, d)  # -o NAME.xml alone means JUnit
        dom = xml.dom.minidom.parse(out)
        top = dom.documentElement
        check(top.tagName == "testsuites", "%s: <testsuites>" % name)
        check(int(top.getAttribute("failures")) == want_fail and rc == (1 if want_fail else 0),
              "%s: %d failures, exit %d (%s, %d)" % (name, want_fail, 1 if want_fail else 0,
                                                      top.getAttribute("failures"), rc))
        suites = top.getElementsByTagName("testsuite")
        check(len(suites) == 6, "%s: one testsuite per kind" % name)
        for f in top.getElementsByTagName("failure"):
            check("Fingerprint: " in f.firstChild.data, "%s: the failure holds the text" % name)
        _, doc, _ = report_json(d)
        names = sorted(t.getAttribute("name") for t in top.getElementsByTagName("testcase")
                       if t.getElementsByTagName("failure"))
        check(names == sorted(n for n in names if "[" in n) and
              all(("[%s]" % f["fingerprint"]) in " ".join(names) for f in doc["findings"]),
              "%s: testcases named with their fingerprints: %s" % (name, names))
        if name == "abba":
            check(names == ["lock-order-cycle: lock_a, lock_b in take_a_then_b, take_b_then_a "
                            "[%s]" % doc["findings"][0]["fingerprint"]],
                  "abba: the testcase name holds no T/L numbers: %s" % names)
    # a kind not in --fail-on is a passing testcase
    rc, out, _ = report("--format", "junit", "--fail-on", "misuse", os.path.join(tmp, "abba"))
    dom = xml.dom.minidom.parseString(out)
    check(rc == 0 and dom.documentElement.getAttribute("failures") == "0" and
          dom.getElementsByTagName("system-out"), "--fail-on misuse: the cycle does not fail")


HOSTILE_C = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
#define SEM_NAME "/sw\"<&>'\x02\xfe]]>%s"

static void *one(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "\"<&'>\x01\xff]]>");
    sample_wait_turn(0);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    sample_give_turn(1);
    return NULL;
}

static void *two(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "a\\\"\n\x7f\xc3\x28{}");
    sample_wait_turn(1);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(one, NULL);
    pthread_t t2 = sample_start(two, NULL);
    sample_join(t1);
    sample_join(t2);
    char name[64];
    snprintf(name, sizeof name, SEM_NAME, "x");
    sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    if (s == SEM_FAILED)
        return 3;
    sem_unlink(name);
    sem_wait(s);
    sem_post(s);
    sem_post(s);
    sem_close(s);
    return 0;
}
"""


def case_escaping(tmp):
    import xml.dom.minidom
    d = os.path.join(tmp, "hostile-src")
    os.makedirs(d)
    shutil.copy(os.path.join(ARGS.source, "samples", "sample_util.h"), d)
    src = write(d, "hostile.c", HOSTILE_C)
    exe = os.path.join(d, "hostile")
    subprocess.run([ARGS.cc, "-O2", "-g", "-pthread", "-o", exe, src], check=True)
    t = trace([exe], tmp, "hostile")
    raw = {}
    for fmt in ["json", "sarif", "junit"]:
        p = subprocess.run([ARGS.report, "-v", "--format", fmt, t], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        check(p.returncode == 1, "%s: exit 1 (%d, %s)" % (fmt, p.returncode, p.stderr))
        raw[fmt] = p.stdout
    # the text report, for terminals: no control byte of the program's names
    p = subprocess.run([ARGS.report, "-v", "--no-color", t], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    bad = sorted({b for b in p.stdout if (b < 0x20 and b not in (0x0a,)) or b == 0x7f})
    check(p.returncode == 1 and not bad, "text: no control bytes from names (%r)" % bad)
    try:
        doc = json.loads(raw["json"].decode("utf-8"))  # strict: invalid UTF-8 raises
    except ValueError as e:
        check(False, "JSON with hostile names is valid: %s" % e)
        return
    names = sorted(t["name"] for t in doc["threads"] if t.get("name"))
    check(names == sorted(["\"<&'>\x01\ufffd]]>", "a\\\"\n\x7f\ufffd({}"]),
          "thread names kept, invalid bytes as U+FFFD: %r" % names)
    sems = [l["name"] for l in doc["locks"] if l["kind"] == "semaphore" or "sem" in l["kind"]]
    check(any(n and n.startswith("/sw\"<&>'\x02\ufffd]]>") for n in sems),
          "the semaphore's name kept: %r" % sems)
    codes = sorted(f["code"] for f in doc["findings"])
    check("lock-order-cycle" in codes and "sem-overpost" in codes,
          "the hostile program has its cycle and its over-post: %s" % codes)
    try:
        sarif = json.loads(raw["sarif"].decode("utf-8"))
        texts = json.dumps(sarif, ensure_ascii=False)
        check("\ufffd" in texts and "]]>" in texts, "SARIF carries the names")
    except ValueError as e:
        check(False, "SARIF with hostile names is valid JSON: %s" % e)
    path = write(tmp, "hostile.sarif", raw["sarif"].decode("utf-8"))
    errors = validate_sarif(path)
    check(not errors, "the multitool accepts the hostile SARIF: %s" % errors)
    try:
        dom = xml.dom.minidom.parseString(raw["junit"])
        text = dom.toxml()
        check("]]>" in dom.getElementsByTagName("failure")[0].getAttribute("message") or
              any("]]>" in f.getAttribute("message") for f in dom.getElementsByTagName("failure")),
              "JUnit carries the names")
    except Exception as e:  # expat's errors have no common base class but Exception
        check(False, "JUnit with hostile names is well-formed XML: %s" % e)


def case_traps(tmp):
    a = trace([sample("abba")], tmp, "abba")
    for bad in ["", ",", "cycle,", ",cycle", "cycle,,misuse"]:
        rc, _, err = report("--fail-on", bad, a)
        check(rc == 2 and "--fail-on wants a comma list" in err,
              "--fail-on %r is a usage error (%d, %s)" % (bad, rc, err))
    rc, _, err = report("--fail-on=", a)
    check(rc == 2, "--fail-on= is a usage error")
    rc, _, err = report("--fail-on", "cycles", a)
    check(rc == 2 and "unknown kind 'cycles'" in err, "a misspelt kind is a usage error")
    # every kind the report knows (the JSON summary has them all) is in --help's --fail-on text
    _, doc, _ = report_json(a)
    kinds = list(doc["summary"]["by_kind"])
    rc, help_text, _ = report("--help")
    start = help_text.index("--fail-on")
    section = help_text[start:help_text.index("\n  -", start + 1)]
    for k in kinds + ["all", "none"]:
        check(k in section, "--help lists --fail-on kind %r" % k)
    check(len(kinds) == 6, "six kinds: %s" % kinds)
    for k in kinds:
        rc, _, err = report("--fail-on", k, a)
        check(rc in (0, 1), "--fail-on %s is accepted (%d, %s)" % (k, rc, err))
    # the text report ends with one SUMMARY line per kind, naming the first location
    lines = open(os.path.join(ARGS.source, "samples", "abba.c")).read().split("\n")
    line = 1 + next(i for i, l in enumerate(lines) if "pthread_mutex_lock(&lock_a);" in l)
    rc, text, _ = report(a)
    check(text.rstrip("\n").split("\n")[-1] ==
          "SUMMARY: syncwatch: lock-order-cycle abba.c:%d in take_a_then_b" % line,
          "abba's report ends with its SUMMARY line:\n" + text)
    for name in ["robust_owner_dead", "fork_held_lock", "misuse_double_unlock", "clean_order"]:
        d = trace([sample(name)], tmp, name)
        _, doc, _ = report_json(d)
        rc, text, _ = report(d)
        summary = [l for l in text.split("\n") if l.startswith("SUMMARY: ")]
        want = []
        for f in doc["findings"]:
            if f["kind"] not in want:
                want.append(f["kind"])
        check(len(summary) == len(want), "%s: one SUMMARY per kind %s: %s" % (name, want, summary))
        tail = text.rstrip("\n").split("\n")[-len(summary):] if summary else []
        check(tail == summary, "%s: the SUMMARY lines end the report" % name)
        for l, k in zip(summary, want):
            first = next(f for f in doc["findings"] if f["kind"] == k)
            check(l.startswith("SUMMARY: syncwatch: %s " % first["code"]) and " in " in l,
                  "%s: %r names %s and a location" % (name, l, first["code"]))


CASES = {
    "traps": case_traps,
    "sarif": case_sarif,
    "junit": case_junit,
    "escaping": case_escaping,
    "baseline": case_baseline,
    "fingerprints": case_fingerprints,
    "suppressions": case_suppressions,
}


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--cc", default="cc")
    ap.add_argument("--tools", help="directory with node_modules/.bin/sarif-multitool")
    ap.add_argument("case", choices=sorted(CASES))
    ARGS = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="sw-ci-")
    try:
        CASES[ARGS.case](tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        return 1
    print("ok: %s" % ARGS.case)
    return 0


if __name__ == "__main__":
    sys.exit(main())
