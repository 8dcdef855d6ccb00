#!/usr/bin/python3
"""End-to-end test of one sample: run it under the shim, analyze its traces,
compare the findings with a plain expectation file.

    run_sample.py --expect FILE --shim LIB --report BIN [--mode profile|trace]
                  [--launcher build/syncwatch] -- COMMAND [ARGS...]

Steps (every failure is printed with what was expected and what was seen;
the exit status is 0 when everything matched, 1 otherwise):
 1. Runs COMMAND with LD_PRELOAD=LIB and SYNCWATCH_OUTPUT=<tmp>/traces/ in
    its own process group, with a time limit.  `run hang` samples are killed
    with SIGKILL after 2 s (they truly deadlock).
 2. Runs `syncwatch-report --format json <tmp>/traces` and the text report
    (`--no-color`) on the same traces; both must exit with the expected code,
    never by a signal.
 3. Compares the JSON findings with the expectation file (see
    docs/samples.md for the language): every `finding` line must match one
    reported finding, every reported finding must match a `finding` or an
    `allow` line.  Findings match on kind (and code if given), the set of lock
    names (or their count) and the number of threads.  `pruned` lines are
    checked against `--verbose --format json` (the rule that ruled a cycle
    out), and the text report must count as many findings as the JSON.

Nothing here depends on timing except the kill of `run hang` samples; the
expectations hold no times, addresses or pids.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HANG_KILL_AFTER = 2.0  # seconds a truly deadlocking sample runs before SIGKILL


class Expectation:
    """A parsed expectation file."""

    def __init__(self, path):
        self.path = path
        self.exit = None          # report exit code(s): set of ints
        self.run = "exit=0"       # how the program must end
        self.threads = None       # threads in the run (all processes)
        self.min_traces = 1
        self.traces = None        # exact number of trace files
        self.findings = []        # required (kind, code, locks, nlocks, threads, lineno)
        self.pruned = []          # must be ruled out, by this rule (seen with --verbose)
        self.allows = []          # tolerated
        self.truncate = None      # cut every trace to this many bytes before analysis
        self.stderr_contains = []
        self.text_contains = []
        self.report_args = []
        self.labels = []          # lock labels the JSON lock table must carry ("GIL")
        self.output = None        # a file name for SYNCWATCH_OUTPUT instead of a directory
        self.runs = 1             # run the program this many times into the same directory
        self.thread_names = []    # names the JSON thread table must have
        self.locks = []           # (name, kind, min acquisitions, line): the shim saw these
        self.lock_counts = []     # (kind, at least, line)
        self.identities = []      # (kind, exactly, line): distinct objects across processes
        self._parse()

    def _parse(self):
        with open(self.path) as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                word, _, rest = line.partition(" ")
                rest = rest.strip()
                if word == "exit":
                    self.exit = {int(x) for x in rest.split("|")}
                elif word == "run":
                    self.run = rest
                elif word == "threads":
                    self.threads = int(rest)
                elif word == "traces":
                    if rest.startswith(">="):
                        self.min_traces = int(rest[2:])
                    else:
                        self.traces = int(rest)
                elif word in ("finding", "allow"):
                    spec = self._finding_spec(rest, lineno)
                    (self.findings if word == "finding" else self.allows).append(spec)
                elif word == "pruned":
                    self.pruned.append(self._finding_spec(rest, lineno, rule=True))
                elif word == "truncate":
                    self.truncate = int(rest)
                elif word == "stderr-contains":
                    self.stderr_contains.append(rest)
                elif word == "text-contains":
                    self.text_contains.append(rest)
                elif word == "lock":
                    self.locks.append(self._lock_spec(rest, lineno))
                elif word == "locks":
                    kind, _, n = rest.partition(">=")
                    self.lock_counts.append((kind.strip(), int(n), lineno))
                elif word == "thread":
                    self.thread_names.append(rest)
                elif word == "runs":
                    self.runs = int(rest)
                elif word == "output":
                    self.output = rest
                elif word == "identities":
                    kind, _, n = rest.partition("=")
                    self.identities.append((kind.strip(), int(n), lineno))
                elif word == "label":
                    self.labels.append(rest)
                elif word == "report-args":
                    self.report_args = shlex.split(rest)
                else:
                    raise SystemExit("%s:%d: unknown directive %r" % (self.path, lineno, word))

    def _lock_spec(self, rest, lineno):
        parts = rest.split()
        spec = {"name": parts[0], "kind": None, "acq": 0, "line": lineno}
        for p in parts[1:]:
            if p.startswith("kind="):
                spec["kind"] = p[5:]
            elif p.startswith("acquisitions>="):
                spec["acq"] = int(p[len("acquisitions>="):])
            else:
                raise SystemExit("%s:%d: unknown lock field %r" % (self.path, lineno, p))
        return spec

    def _finding_spec(self, rest, lineno, rule=False):
        parts = rest.split()
        if not parts:
            raise SystemExit("%s:%d: finding needs a kind" % (self.path, lineno))
        kind, _, code = parts[0].partition("/")
        spec = {"kind": kind, "code": code or None, "locks": None, "nlocks": None,
                "threads": None, "rule": None, "holds": None, "waits": None, "tnames": None,
                "severity": None, "line": lineno}
        for p in parts[1:]:
            key, _, val = p.partition("=")
            if key == "locks":
                spec["locks"] = sorted(v for v in val.split(",") if v)
            elif key == "nlocks":
                spec["nlocks"] = int(val)
            elif key == "threads":
                spec["threads"] = int(val)
            elif key == "tnames":
                spec["tnames"] = sorted(v for v in val.split(",") if v)
            elif key in ("holds", "waits"):
                spec[key] = sorted(v for v in val.split(",") if v)
            elif key == "severity":
                spec["severity"] = val
            elif key == "rule" and rule:
                spec["rule"] = val
            else:
                raise SystemExit("%s:%d: unknown finding field %r" % (self.path, lineno, key))
        return spec


def describe_spec(s):
    out = s["kind"] + ("/" + s["code"] if s["code"] else "")
    if s["locks"] is not None:
        out += " locks=" + ",".join(s["locks"])
    if s["nlocks"] is not None:
        out += " nlocks=%d" % s["nlocks"]
    if s["threads"] is not None:
        out += " threads=%d" % s["threads"]
    if s.get("severity") is not None:
        out += " severity=" + s["severity"]
    for key in ("holds", "waits", "tnames"):
        if s.get(key) is not None:
            out += " %s=%s" % (key, ",".join(s[key]))
    if s["rule"] is not None:
        out += " rule=" + s["rule"]
    return out + " (line %d)" % s["line"]


def lock_name(lock, table):
    """The display name of a lock reference in the JSON report (schema in
    docs/json-schema.md): findings name locks by id into the top-level lock
    table, whose entries carry the symbol or function:line name, or null for
    a lock with neither (then L<id>, as the text report says)."""
    if isinstance(lock, dict):
        entry = lock
    else:
        entry = next((e for e in table or [] if isinstance(e, dict) and e.get("id") == lock), None)
        if entry is None:
            return str(lock)
    if entry.get("name"):
        return str(entry["name"])
    return "L%s" % entry.get("id", "?")


def normalize(report, pruned=False):
    """The unpruned (or, with pruned=True, the pruned) findings of a JSON
    report as dicts with kind, code, locks (sorted names), threads (count)
    and the rule that pruned it."""
    locks_table = report.get("locks") if isinstance(report, dict) else None
    thread_table = {t.get("id"): t.get("name") for t in report.get("threads", [])
                    if isinstance(t, dict)} if isinstance(report, dict) else {}
    raw = report.get("findings", []) if isinstance(report, dict) else report
    out = []
    for f in raw:
        if bool(f.get("pruned")) != pruned:
            continue
        locks = f.get("locks") or []
        threads = f.get("threads") or []
        steps = [st for st in f.get("steps") or [] if isinstance(st, dict)]

        def step_locks(prefix):
            return sorted(lock_name(st.get("lock"), locks_table) for st in steps
                          if str(st.get("role", "")).startswith(prefix)
                          and st.get("lock") is not None)
        out.append({
            "kind": f.get("kind"),
            "code": f.get("code"),
            "locks": sorted(lock_name(l, locks_table) for l in locks),
            "threads": len(threads) if isinstance(threads, list) else int(threads),
            "title": f.get("title", ""),
            "rule": f.get("prune_rule"),
            "severity": f.get("severity"),
            "tnames": sorted(str(thread_table.get(t) or "T%s" % t) for t in threads)
            if isinstance(threads, list) else [],
            "holds": step_locks("hold"),
            "waits": step_locks("wait"),
        })
    return out


def matches(spec, f):
    if spec["kind"] != f["kind"]:
        return False
    if spec["code"] and spec["code"] != f["code"]:
        return False
    if spec["locks"] is not None and spec["locks"] != f["locks"]:
        return False
    if spec["nlocks"] is not None and spec["nlocks"] != len(f["locks"]):
        return False
    if spec["threads"] is not None and spec["threads"] != f["threads"]:
        return False
    if spec.get("rule") is not None and spec["rule"] != f.get("rule"):
        return False
    for key in ("holds", "waits", "tnames", "severity"):
        if spec.get(key) is not None and spec[key] != f.get(key):
            return False
    return True


def describe_finding(f):
    rule = " rule=%s" % f["rule"] if f.get("rule") else ""
    return "%s/%s locks=%s threads=%d%s  %s" % (f["kind"], f["code"], ",".join(f["locks"]),
                                                f["threads"], rule, f["title"])


def compare_findings(exp, found, problems):
    """Multiset match: each required spec takes one finding; the rest must be
    allowed.  Specs are tried most specific first so that a loose spec does
    not steal the finding a precise one needs."""
    left = list(found)
    order = sorted(exp.findings, key=lambda s: (s["locks"] is None, s["code"] is None))
    for spec in order:
        hit = next((f for f in left if matches(spec, f)), None)
        if hit is None:
            problems.append("missing finding: expected " + describe_spec(spec))
        else:
            left.remove(hit)
    for f in left:
        if not any(matches(a, f) for a in exp.allows):
            problems.append("unexpected finding: " + describe_finding(f))


def check_locks(exp, report, problems):
    """The shim saw the locks a sample uses: a clean report must not be
    clean merely because nothing was recorded."""
    table = [l for l in report.get("locks", []) if isinstance(l, dict)]
    for spec in exp.locks:
        cands = [l for l in table if l.get("name") == spec["name"]
                 and (spec["kind"] is None or l.get("kind") == spec["kind"])]
        if not cands:
            problems.append("no lock %s%s in the report's lock table (line %d)"
                            % (spec["name"], " of kind " + spec["kind"] if spec["kind"] else "",
                               spec["line"]))
        elif max(l.get("acquisitions") or 0 for l in cands) < spec["acq"]:
            problems.append("lock %s: %s acquisitions, expected at least %d (line %d)"
                            % (spec["name"], max(l.get("acquisitions") or 0 for l in cands),
                               spec["acq"], spec["line"]))
    for kind, n, line in exp.identities:
        # A process-shared object seen in several processes is one lock:
        # every copy but the first points at it with same_as.
        ids = {l.get("same_as") or l.get("id") for l in table if l.get("kind") == kind}
        if len(ids) != n:
            problems.append("%d distinct %s objects across the processes, expected %d (line %d)"
                            % (len(ids), kind, n, line))
    for kind, n, line in exp.lock_counts:
        have = sum(1 for l in table if l.get("kind") == kind)
        if have < n:
            problems.append("%d locks of kind %s, expected at least %d (line %d)"
                            % (have, kind, n, line))


def count_threads(report):
    """Threads of the run according to the JSON report, or None."""
    if not isinstance(report, dict):
        return None
    threads = report.get("threads")
    if isinstance(threads, list):
        return len(threads)
    if isinstance(threads, int):
        return threads
    summary = report.get("summary") or report.get("run") or {}
    for key in ("threads", "nthreads"):
        if isinstance(summary.get(key), int):
            return summary[key]
    return None


def run_program(cmd, env, exp, timeout, log):
    """Runs the sample; returns (status text, problems)."""
    problems = []
    start = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    hang = exp.run == "hang"
    try:
        out, _ = proc.communicate(timeout=HANG_KILL_AFTER if hang else timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        timed_out = True
    took = time.monotonic() - start
    log.write("program output:\n" + out.decode(errors="replace") + "\n")
    rc = proc.returncode
    # Every sample runs with a 1 s hang watchdog: one that does not hang must
    # never be called hung.
    if not hang and b"syncwatch: HANG" in out:
        problems.append("the hang watchdog reported a sample that does not hang")
    if hang:
        if not timed_out:
            problems.append("the program was expected to hang but ended (status %s)" % rc)
        return "killed after %.1f s (hang)" % took, problems
    if timed_out:
        problems.append("the program did not end within %d s (killed)" % timeout)
        return "timed out", problems
    key, _, val = exp.run.partition("=")
    if key == "exit" and rc != int(val):
        problems.append("program exit status %s, expected %s" % (rc, val))
    elif key == "signal" and rc != -getattr(signal, "SIG" + val.upper(), -1):
        problems.append("program status %s, expected death by SIG%s" % (rc, val.upper()))
    return "status %s after %.2f s" % (rc, took), problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--expect", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--mode", choices=["profile", "trace"])
    ap.add_argument("--launcher", help="run through `LAUNCHER run -- COMMAND` instead")
    ap.add_argument("--timeout", type=float, default=90)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    exp = Expectation(a.expect)
    for path in (a.shim, a.report):
        if not os.path.exists(path):
            print("FAIL: %s does not exist (not built yet?)" % path)
            return 1

    work = tempfile.mkdtemp(prefix="sw-e2e-")
    traces = os.path.join(work, "traces")
    os.mkdir(traces)
    log = sys.stdout
    problems = []
    env = dict(os.environ)
    for k in list(env):
        if k.startswith("SYNCWATCH_") or k == "LD_PRELOAD":
            del env[k]
    if a.mode:
        env["SYNCWATCH_MODE"] = a.mode
    env["SYNCWATCH_HANG_TIMEOUT"] = "1s"

    if a.launcher:
        problems += run_launcher(a, exp, cmd, env, work, log)
    else:
        env["LD_PRELOAD"] = os.path.abspath(a.shim)
        env["SYNCWATCH_OUTPUT"] = os.path.join(traces, exp.output) if exp.output else traces + "/"
        print("$ SYNCWATCH_OUTPUT=%s LD_PRELOAD=%s %s" % (env["SYNCWATCH_OUTPUT"], env["LD_PRELOAD"],
                                                         " ".join(map(shlex.quote, cmd))))
        for _ in range(exp.runs):
            status, p = run_program(cmd, env, exp, a.timeout, log)
            print("program: " + status)
            problems += p
        problems += analyze(a, exp, traces, log)

    if problems:
        print("\nFAIL (%s):" % os.path.basename(a.expect))
        for p in problems:
            print("  - " + p)
        print("traces kept in " + work)
        return 1
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    print("\nPASS")
    return 0


REPORT_TIMEOUT = 300  # seconds; the analyzer must never hang on any input


def run_report(args, log):
    """Runs syncwatch-report; a hang counts as exit code 124 (not 0, 1 or 2)."""
    print("$ " + " ".join(map(shlex.quote, args)))
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=REPORT_TIMEOUT)
    except subprocess.TimeoutExpired:
        return 124, "", "syncwatch-report did not end within %d s\n" % REPORT_TIMEOUT
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def analyze(a, exp, traces, log):
    problems = []
    files = sorted(f for f in os.listdir(traces) if not f.startswith("."))
    print("traces: %d file(s)" % len(files))
    if exp.traces is not None and len(files) != exp.traces:
        problems.append("%d trace files, expected %d" % (len(files), exp.traces))
    if len(files) < exp.min_traces:
        problems.append("%d trace files, expected at least %d" % (len(files), exp.min_traces))
        return problems
    # A directory argument means its *.swt files; traces with a name of the
    # user's choosing (`output trace.log`) are passed one by one.
    inputs = [os.path.join(traces, f) for f in files] if exp.output else [traces]
    if exp.output and exp.output not in files:
        problems.append("no trace file named %s (files: %s)" % (exp.output, ", ".join(files)))
    if exp.truncate is not None:
        for f in files:
            with open(os.path.join(traces, f), "r+b") as fh:
                fh.truncate(exp.truncate)
        print("truncated every trace to %d bytes" % exp.truncate)

    json_count = None
    rc, out, err = run_report([a.report, "--format", "json"] + exp.report_args + inputs, log)
    if err:
        print("stderr:\n" + err)
    problems += check_status("json report", rc, exp)
    for s in exp.stderr_contains:
        if s not in err:
            problems.append("report stderr does not contain %r" % s)
    if rc in (0, 1):
        try:
            report = json.loads(out)
        except ValueError as e:
            problems.append("the JSON report does not parse: %s" % e)
            print(out[:4000])
            report = None
        if report is not None:
            found = normalize(report)
            print("findings (json):")
            for f in found:
                print("  " + describe_finding(f))
            compare_findings(exp, found, problems)
            json_count = len(found)
            check_locks(exp, report, problems)
            names = {t.get("name") for t in report.get("threads", []) if isinstance(t, dict)}
            for name in exp.thread_names:
                if name not in names:
                    problems.append("no thread named %r in the JSON thread table" % name)
            have = {l.get("label") for l in report.get("locks", []) if isinstance(l, dict)}
            for label in exp.labels:
                if label not in have:
                    problems.append("no lock is labelled %r in the JSON lock table" % label)
            if exp.threads is not None:
                n = count_threads(report)
                if n != exp.threads:
                    problems.append("threads in the run: %s, expected %d" % (n, exp.threads))

    missing = any(p.startswith("missing finding") for p in problems)
    if (exp.pruned or missing) and rc in (0, 1):
        vrc, vout, _ = run_report([a.report, "--format", "json", "--verbose"] + exp.report_args
                                  + inputs, log)
        try:
            ruled_out = normalize(json.loads(vout), pruned=True)
        except ValueError as e:
            ruled_out = []
            problems.append("the --verbose JSON report does not parse: %s" % e)
        print("ruled out (json --verbose):")
        for f in ruled_out:
            print("  " + describe_finding(f))
        if missing:  # say why an expected finding was dropped, if it was
            for f in ruled_out:
                problems.append("ruled out by rule %s: %s" % (f["rule"], describe_finding(f)))
        for spec in exp.pruned:
            if not any(matches(spec, f) for f in ruled_out):
                problems.append("not ruled out as expected: " + describe_spec(spec))
        if vrc != rc:
            problems.append("--verbose changed the exit code (%d, not %d)" % (vrc, rc))

    trc, tout, terr = run_report([a.report, "--no-color"] + exp.report_args + inputs, log)
    print("text report (exit %d):\n%s" % (trc, tout[-20000:]))
    if terr and terr != err:
        print("stderr:\n" + terr)
    problems += check_status("text report", trc, exp)
    if trc != rc:
        problems.append("the text report exits %d, the JSON report %d" % (trc, rc))
    for s in exp.text_contains:
        if s not in tout:
            problems.append("the text report does not contain %r" % s)
    if trc in (0, 1) and json_count is not None:
        # The text and JSON renderers show the same findings (issue 4).
        m = re.search(r"^(\d+) findings?\b", tout, re.M)
        text_count = int(m.group(1)) if m else (0 if re.search(r"^No findings", tout, re.M) else None)
        if text_count != json_count:
            problems.append("the text report counts %s findings, the JSON report %d"
                            % (text_count, json_count))
    if trc in (0, 1):
        for spec in exp.findings:
            for name in spec["locks"] or []:
                if name not in tout:
                    problems.append("the text report does not name lock %s" % name)
    return problems


def check_status(what, rc, exp):
    if rc < 0:
        return ["%s died by signal %d" % (what, -rc)]
    if rc not in (0, 1, 2):
        return ["%s exit code %d is not one of 0, 1, 2" % (what, rc)]
    if exp.exit is not None and rc not in exp.exit:
        return ["%s exit code %d, expected %s" % (what, rc, "|".join(map(str, sorted(exp.exit))))]
    return []


def run_launcher(a, exp, cmd, env, work, log):
    """`syncwatch run -- COMMAND`: the launcher sets the shim up, runs the
    program, then the report; its output must name the expected locks."""
    problems = []
    args = [a.launcher, "run", "--"] + cmd
    print("$ " + " ".join(map(shlex.quote, args)))
    try:
        r = subprocess.run(args, env=env, cwd=work, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        return ["`syncwatch run` did not end within %d s" % a.timeout]
    out = r.stdout.decode(errors="replace")
    print(out)
    print("exit status %d" % r.returncode)
    problems += check_status("syncwatch run", r.returncode, exp)
    for spec in exp.findings:
        for name in spec["locks"] or []:
            if name not in out:
                problems.append("`syncwatch run` output does not name lock %s" % name)
    for s in exp.text_contains:
        if s not in out:
            problems.append("`syncwatch run` output does not contain %r" % s)
    return problems


if __name__ == "__main__":
    sys.exit(main())
