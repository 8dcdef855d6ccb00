#!/usr/bin/python3
"""End-to-end tests of the launcher: `syncwatch run` and `syncwatch status`.

    test_launcher.py --launcher build/syncwatch --samples build/samples

Each case runs the real launcher on real samples, bounded in time; the exit
status is 0 when every case passed.  Nothing here asserts on timings: the
time limits only stop a broken launcher from hanging the suite.
"""
import argparse
import os
import signal
import stat
import subprocess
import sys
import time

from cases import abspaths, run_cases

LIMIT = 60  # seconds any one launcher run may take before the case fails



def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=LIMIT, **kw)


def wait_for_trace_state(tmp, needle, launcher, pid, limit=20.0):
    """Polls `syncwatch status PID` until its report contains needle."""
    end = time.monotonic() + limit
    r = None
    while time.monotonic() < end:
        r = run([launcher, "status", str(pid)])
        if needle in r.stdout:
            return r
        time.sleep(0.2)
    return r


def case_help(a, c, tmp):
    r = run([a.launcher, "--help"])
    c.check(r.returncode == 0, "--help exit %d, want 0" % r.returncode)
    c.check(r.stdout.startswith("Usage: syncwatch run"), "--help not on stdout")
    c.check("--error-exitcode" in r.stdout and "--timeout" in r.stdout, "--help misses options")
    r = run([a.launcher, "run", "--help"])
    c.check(r.returncode == 0 and "Usage:" in r.stdout, "run --help: exit %d" % r.returncode)
    r = run([a.launcher, "--version"])
    c.check(r.returncode == 0 and r.stdout.startswith("syncwatch "), "--version")


def case_usage_errors(a, c, tmp):
    for args, why in ((["run", "--fail-on", "", "--", "true"], "--fail-on ''"),
                      (["run", "--fail-on="], "--fail-on="),
                      (["run", "--bogus", "true"], "unknown option"),
                      (["run", "--timeout"], "missing value"),
                      (["run", "--timeout", "soon", "true"], "bad duration"),
                      (["run", "--error-exitcode", "0", "true"], "exit code 0"),
                      (["run", "--mode", "fast", "true"], "bad mode"),
                      (["run"], "no program"),
                      (["frobnicate"], "unknown command"),
                      ([], "no command"),
                      (["status"], "status without pid"),
                      (["status", "abc"], "status bad pid")):
        r = run([a.launcher] + args, cwd=tmp)
        c.check(r.returncode == 2, "%s: exit %d, want 2" % (why, r.returncode))
        c.check(r.stderr.strip() != "", "%s: no message" % why)
    r = run([a.launcher, "run", "--", os.path.join(tmp, "no-such-program")], cwd=tmp)
    c.check(r.returncode == 127, "missing program: exit %d, want 127" % r.returncode)
    c.check("cannot run" in r.stderr, "missing program: no message")
    c.check(not [n for n in os.listdir(tmp) if n.startswith("syncwatch-run.")],
            "missing program: an empty trace directory was left behind")


def case_status_passthrough(a, c, tmp):
    out = os.path.join(tmp, "clean")
    r = run([a.launcher, "run", "--output", out, "--error-exitcode", "9", "--",
             os.path.join(a.samples, "clean_order")])
    c.check(r.returncode == 0, "clean sample with --error-exitcode: exit %d, want 0"
            % r.returncode)
    r = run([a.launcher, "run", "--", "/bin/sh", "-c", "exit 7"], cwd=tmp)
    c.check(r.returncode == 7, "program status 7 not passed through: %d" % r.returncode)


def case_error_exitcode(a, c, tmp):
    out = os.path.join(tmp, "abba")
    r = run([a.launcher, "run", "--output", out, "--error-exitcode", "9", "--",
             os.path.join(a.samples, "abba")])
    c.check(r.returncode == 9, "abba with --error-exitcode 9: exit %d" % r.returncode)
    c.check("lock-order-cycle" in r.stdout, "abba: report not printed")
    # --fail-on reaches the report: a kind abba does not have gives a pass.
    out = os.path.join(tmp, "abba2")
    r = run([a.launcher, "run", "--output", out, "--error-exitcode", "9", "--fail-on",
             "misuse", "--", os.path.join(a.samples, "abba")])
    c.check(r.returncode == 0, "abba --fail-on misuse: exit %d, want 0" % r.returncode)
    # The directory is refused once it holds traces, and made (0700, with
    # parents) when missing.
    r = run([a.launcher, "run", "--output", out, "--", "true"])
    c.check(r.returncode == 2 and "already holds" in r.stderr, "reused directory accepted")
    deep = os.path.join(tmp, "new", "deeper")
    r = run([a.launcher, "run", "--output", deep, "--", os.path.join(a.samples, "clean_order")])
    c.check(r.returncode == 0, "missing --output directory: exit %d" % r.returncode)
    c.check(os.path.isdir(deep) and stat.S_IMODE(os.stat(deep).st_mode) == 0o700,
            "--output directory not made 0700")


def case_timeout(a, c, tmp):
    out = os.path.join(tmp, "hang")
    r = run([a.launcher, "run", "--output", out, "--timeout", "2s", "--kill-after", "2s",
             "--error-exitcode", "9", "--", os.path.join(a.samples, "real_deadlock")])
    c.check(r.returncode == 9, "hung program with --timeout: exit %d, want 9" % r.returncode)
    c.check("--timeout" in r.stderr, "the timeout is not said")
    c.check("[deadlock/" in r.stdout, "the hang's report is not printed")
    # Without --error-exitcode: the program's own status (SIGTERM: 143).
    out = os.path.join(tmp, "hang2")
    r = run([a.launcher, "run", "--output", out, "--timeout", "1s", "--",
             os.path.join(a.samples, "real_deadlock")])
    c.check(r.returncode == 128 + signal.SIGTERM,
            "timeout without --error-exitcode: exit %d, want 143" % r.returncode)


def start_hung(a, out, cwd=None):
    p = subprocess.Popen([a.launcher, "run", "--output", out, "--",
                          os.path.join(a.samples, "real_deadlock")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    return p


def program_pid(launcher_pid):
    """The launcher's child (the traced program)."""
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            with open("/proc/%d/task/%d/children" % (launcher_pid, launcher_pid)) as f:
                kids = f.read().split()
            if kids:
                return int(kids[0])
        except OSError:
            pass
        time.sleep(0.05)
    return None


def case_sigint(a, c, tmp):
    out = os.path.join(tmp, "int")
    p = start_hung(a, out)
    try:
        child = program_pid(p.pid)
        c.check(child is not None, "no program started")
        # Wait until the deadlock is in the trace, as a user would press
        # Ctrl-C on a hung job.
        st = wait_for_trace_state(tmp, "[deadlock/", a.launcher, child) if child else None
        c.check(st is not None and "[deadlock/" in st.stdout,
                "syncwatch status never showed the live deadlock")
        c.check(st is not None and "still waiting now" in st.stdout,
                "status does not say the process is running")
        os.kill(p.pid, signal.SIGINT)
        so, se = p.communicate(timeout=LIMIT)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    c.check(p.returncode == 128 + signal.SIGINT,
            "SIGINT to the launcher: exit %d, want 130" % p.returncode)
    c.check("SIGINT" in se, "the interruption is not said: %r" % se[-300:])
    c.check("[deadlock/" in so, "the report is not printed after SIGINT")


def case_status_errors(a, c, tmp):
    # A process that does not run under the shim has no trace.
    p = subprocess.Popen(["sleep", "30"])
    try:
        r = run([a.launcher, "status", str(p.pid)])
        c.check(r.returncode == 2 and "no syncwatch trace" in r.stderr,
                "status of an untraced process: exit %d %r" % (r.returncode, r.stderr))
    finally:
        p.kill()
        p.wait()
    r = run([a.launcher, "status", "999999999"])
    c.check(r.returncode == 2, "status of a missing pid: exit %d" % r.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--launcher", required=True)
    ap.add_argument("--samples", required=True)
    a = ap.parse_args()
    abspaths(a, "launcher", "samples")
    return run_cases([case_help, case_usage_errors, case_status_passthrough, case_error_exitcode,
                      case_timeout, case_sigint, case_status_errors], a, "sw-launcher-")


if __name__ == "__main__":
    sys.exit(main())
