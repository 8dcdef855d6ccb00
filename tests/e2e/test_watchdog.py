#!/usr/bin/python3
"""End-to-end tests of the hang watchdog (preload/watchdog.c).

    test_watchdog.py --shim build/preload/libsyncwatch.so --samples build/samples

Each case runs a real program under the shim with SYNCWATCH_HANG_TIMEOUT=1s
and checks what the watchdog printed and what it did (SYNCWATCH_ON_HANG).
Every run is bounded by a time limit that only stops a broken watchdog from
hanging the suite; nothing asserts on timings.
"""
import argparse
import os
import signal
import subprocess
import sys
import textwrap
import time

from cases import abspaths, run_cases

LIMIT = 40  # seconds: a hung program the watchdog failed to end
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

PY_ABBA_HANG = """
import threading
a = threading.Lock(); b = threading.Lock()
turn = threading.Barrier(2)
def one():
    with a:
        turn.wait()
        with b: pass
def two():
    with b:
        turn.wait()
        with a: pass
ts = [threading.Thread(target=one), threading.Thread(target=two)]
for t in ts: t.start()
for t in ts: t.join()
"""

PY_EVENT_NEVER_SET = """
import threading
ready = threading.Event()
t = threading.Thread(target=ready.wait)
t.start()
t.join()
"""

PY_EVENT_SET_LATE = """
import threading, time
ready = threading.Event()
def late():
    time.sleep(3)
    ready.set()
threading.Thread(target=late).start()
ready.wait()
print("set late: done")
"""

PY_FORK_CHILD_HANG = """
import os, threading
pid = os.fork()
if pid == 0:
    a = threading.Lock()
    a.acquire()
    t = threading.Thread(target=a.acquire)   # waits forever for main's lock
    t.start()
    m = threading.Lock(); m.acquire()
    def two():
        with m: pass
    u = threading.Thread(target=two); u.start()
    with a: pass                              # main waits for its own lock
    os._exit(0)
_, st = os.waitpid(pid, 0)
print("child status", os.waitstatus_to_exitcode(st))
"""



def run(a, tmp, cmd, env_extra, limit=LIMIT):
    os.makedirs(os.path.join(tmp, "t"), exist_ok=True)
    env = dict(os.environ)
    env.pop("SYNCWATCH_HANG_TIMEOUT", None)
    env.pop("SYNCWATCH_ON_HANG", None)
    env.update({"LD_PRELOAD": a.shim, "SYNCWATCH_OUTPUT": os.path.join(tmp, "t") + "/"})
    env.update(env_extra)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, start_new_session=True)
    try:
        out, err = p.communicate(timeout=limit)
        timed_out = False
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        timed_out = True
    return p.returncode, out, err, timed_out


def script(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(textwrap.dedent(text))
    return path


def case_abba_exit(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "real_deadlock")],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 3, "real_deadlock with exit=3: status %s (timed out: %s)" % (rc, to))
    c.check("HANG: deadlock: 2 threads" in err, "no HANG line: %r" % err[-400:])
    c.check("[deadlock/deadlock]" in err and "lock_a" in err and "lock_b" in err,
            "the report on stderr lacks the deadlock with lock_a and lock_b")
    c.check(err.count("HANG:") == 1, "reported %d times" % err.count("HANG:"))
    # the watchdog and the report it starts lose none of the program's events
    c.check("dropped" not in err, "events were counted as dropped: %r" % err[-400:])
    # the trace remembers it: the report (run by the watchdog) says so
    c.check("the hang watchdog reported a deadlock" in err, "the trace does not record the hang")


def case_self_deadlock(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "self_deadlock")],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=4"})
    c.check(not to and rc == 4, "self_deadlock with exit=4: status %s" % rc)
    c.check("a lock it holds itself" in err, "no self-wait line: %r" % err[-400:])
    c.check("config_lock" in err, "the report does not name config_lock")


def case_report_once_and_go_on(a, c, tmp):
    """The default action reports once and lets the program hang on."""
    env = dict(os.environ, LD_PRELOAD=a.shim, SYNCWATCH_OUTPUT=os.path.join(tmp, "t") + "/",
               SYNCWATCH_HANG_TIMEOUT="1s")
    env.pop("SYNCWATCH_ON_HANG", None)
    errf = open(os.path.join(tmp, "err"), "w+")
    p = subprocess.Popen([os.path.join(a.samples, "real_deadlock")], stdout=subprocess.DEVNULL,
                         stderr=errf, env=env, start_new_session=True)
    try:
        end = time.monotonic() + LIMIT
        while time.monotonic() < end:
            errf.seek(0)
            if "[deadlock/deadlock]" in errf.read():
                break
            time.sleep(0.2)
        time.sleep(3)  # three more watchdog periods: no second report
        c.check(p.poll() is None, "the program did not go on waiting (status %s)" % p.poll())
    finally:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    errf.seek(0)
    err = errf.read()
    c.check(err.count("HANG:") == 1, "%d HANG lines, want 1" % err.count("HANG:"))


def case_join_cycle(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "hang_join_cycle")],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 3, "hang_join_cycle with exit=3: status %s" % rc)
    c.check("waits in pthread_join" in err, "the join is not named: %r" % err[-400:])
    c.check("[deadlock/deadlock]" in err and "registry_lock" in err,
            "the report lacks the deadlock on registry_lock")


def case_abort(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "real_deadlock")],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "abort"})
    c.check(not to and rc == -signal.SIGABRT, "abort: status %s, want SIGABRT" % rc)


def thread_names(pid):
    names = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                names.append(f.read().strip())
    except OSError:
        pass
    return names


def case_off(a, c, tmp):
    env = dict(os.environ, LD_PRELOAD=a.shim, SYNCWATCH_OUTPUT=os.path.join(tmp, "t") + "/",
               SYNCWATCH_HANG_TIMEOUT="0")
    p = subprocess.Popen([os.path.join(a.samples, "real_deadlock")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    time.sleep(3)
    names = thread_names(p.pid)
    os.killpg(p.pid, signal.SIGKILL)
    _, err = p.communicate()
    c.check("HANG" not in err, "SYNCWATCH_HANG_TIMEOUT=0 still reported")
    c.check("syncwatch-wd" not in names, "a watchdog thread runs with the timeout 0")
    # And with the watchdog on, its thread is there, named.
    env["SYNCWATCH_HANG_TIMEOUT"] = "30s"
    p = subprocess.Popen([os.path.join(a.samples, "real_deadlock")], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    time.sleep(1)
    names = thread_names(p.pid)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    c.check("syncwatch-wd" in names, "no watchdog thread: %s" % names)


def case_not_hung(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "slow_not_hung")],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 0, "slow_not_hung: status %s, want 0" % rc)
    c.check("HANG" not in err, "a slow program was called hung: %r" % err[-400:])
    path = script(tmp, "late.py", PY_EVENT_SET_LATE)
    rc, out, err, to = run(a, tmp, [PY, path],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 0 and "done" in out, "Event set late: status %s" % rc)
    c.check("HANG" not in err, "an Event set after 3 s was called a hang: %r" % err[-400:])


def case_python(a, c, tmp):
    path = script(tmp, "abba.py", PY_ABBA_HANG)
    rc, out, err, to = run(a, tmp, [PY, path],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 3, "Python ABBA hang: status %s" % rc)
    c.check("HANG: deadlock: 2 threads" in err, "Python ABBA: no HANG line: %r" % err[-400:])
    path = script(tmp, "event.py", PY_EVENT_NEVER_SET)
    rc, out, err, to = run(a, tmp, [PY, path],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=3"})
    c.check(not to and rc == 3, "Python Event never set: status %s" % rc)
    c.check("HANG: all 2 threads" in err, "Event never set: no all-waiting line: %r"
            % err[-400:])
    c.check("the hang watchdog reported every thread waiting" in err,
            "the trace does not record the all-waiting hang")


def case_fork_child(a, c, tmp):
    path = script(tmp, "forkhang.py", PY_FORK_CHILD_HANG)
    rc, out, err, to = run(a, tmp, [PY, path],
                           {"SYNCWATCH_HANG_TIMEOUT": "1s", "SYNCWATCH_ON_HANG": "exit=5"})
    c.check(not to and rc == 0 and "child status 5" in out,
            "fork child hang: status %s, output %r" % (rc, out))


def case_bad_values(a, c, tmp):
    rc, out, err, to = run(a, tmp, [os.path.join(a.samples, "clean_order")],
                           {"SYNCWATCH_HANG_TIMEOUT": "soon", "SYNCWATCH_ON_HANG": "explode"})
    c.check(rc == 0, "bad values broke the program: status %s" % rc)
    c.check("SYNCWATCH_HANG_TIMEOUT=soon" in err, "no word on a bad SYNCWATCH_HANG_TIMEOUT")
    c.check("SYNCWATCH_ON_HANG=explode" in err, "no word on a bad SYNCWATCH_ON_HANG")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--samples", required=True)
    a = ap.parse_args()
    abspaths(a, "shim", "samples")
    return run_cases([case_abba_exit, case_self_deadlock, case_join_cycle,
                      case_report_once_and_go_on, case_abort,
                      case_off, case_not_hung, case_python, case_fork_child, case_bad_values],
                     a, "sw-watchdog-", setup=lambda tmp: os.makedirs(os.path.join(tmp, "t")))


if __name__ == "__main__":
    sys.exit(main())
