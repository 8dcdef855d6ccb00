#!/usr/bin/python3
"""End-to-end tests of one directory holding the traces of many runs, as a
CI job that runs its test binaries one by one under the shim leaves it
(issue 12, item 5).

    test_runs.py --shim build/preload/libsyncwatch.so --report build/analyzer/syncwatch-report
                 --samples build/samples
"""
import argparse
import json
import os
import subprocess
import sys

from cases import abspaths, run_cases

LIMIT = 60


def trace(a, out_spec, cmd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    env.update(LD_PRELOAD=a.shim, SYNCWATCH_OUTPUT=out_spec, SYNCWATCH_HANG_TIMEOUT="0")
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=LIMIT)


def report(a, *args):
    return subprocess.run([a.report, "--no-color"] + list(args), capture_output=True, text=True,
                          timeout=LIMIT)


def suite(a, tmp):
    """abba twice, clean_order, and misuse_double_unlock behind `timeout`,
    all as trace.log.<pid> (no .swt suffix), with a log file beside them."""
    d = os.path.join(tmp, "ci")
    os.mkdir(d)
    spec = os.path.join(d, "trace.log.%p")
    for s in ("abba", "abba", "clean_order"):
        trace(a, spec, [os.path.join(a.samples, s)])
    trace(a, spec, ["timeout", "30", os.path.join(a.samples, "misuse_double_unlock")])
    with open(os.path.join(d, "ctest.log"), "w") as f:
        f.write("not a trace\n")
    return d


def case_many_runs_text(a, c, tmp):
    d = suite(a, tmp)
    r = report(a, d)
    c.check(r.returncode == 1, "exit %d, want 1: %s" % (r.returncode, r.stderr))
    out = r.stdout
    c.check("(4 runs)" in out, "the runs are not counted: %r" % out[:300])
    c.check(out.count("[cycle/lock-order-cycle]") == 1, "the cycle of both abba runs is not one")
    c.check("Seen in 2 runs" in out, "the cycle does not say it was seen in 2 runs")
    c.check("[misuse/double-unlock]" in out and "In: " in out and "misuse_double_unlock" in out,
            "the misuse finding does not name its program")
    head = out.splitlines()[0]
    c.check("timeout" not in head.split(",")[0], "the wrapper is named as the program: %r" % head)
    c.check("2 findings" in out, "not 2 findings: %r" % out[-300:])


def case_many_runs_json(a, c, tmp):
    d = suite(a, tmp)
    r = report(a, "--format", "json", d)
    c.check(r.returncode == 1, "exit %d" % r.returncode)
    doc = json.loads(r.stdout)
    cyc = [f for f in doc["findings"] if f["code"] == "lock-order-cycle"]
    c.check(len(cyc) == 1 and cyc[0].get("runs") == 2, "JSON: the cycle's runs: %r" %
            [f.get("runs") for f in cyc])


def case_one_run_unchanged(a, c, tmp):
    d = os.path.join(tmp, "one")
    os.mkdir(d)
    trace(a, os.path.join(d, "x.%p"), [os.path.join(a.samples, "abba")])
    r = report(a, d)
    c.check(r.returncode == 1 and "Seen in" not in r.stdout and "In: " not in r.stdout,
            "one run got the many-runs lines")
    r = report(a, "--format", "json", d)
    c.check("\"runs\"" not in r.stdout, "one run's JSON has runs")


def case_no_trace_in_dir(a, c, tmp):
    with open(os.path.join(tmp, "log.txt"), "w") as f:
        f.write("hello\n")
    os.symlink("/etc/passwd", os.path.join(tmp, "link.swt"))
    r = report(a, tmp)
    c.check(r.returncode == 2 and "holds no trace" in r.stderr,
            "a directory without traces: exit %d %r" % (r.returncode, r.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--samples", required=True)
    a = ap.parse_args()
    abspaths(a, "shim", "report", "samples")
    return run_cases([case_many_runs_text, case_many_runs_json, case_one_run_unchanged,
                      case_no_trace_in_dir], a, "sw-runs-")


if __name__ == "__main__":
    sys.exit(main())
