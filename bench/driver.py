#!/usr/bin/env python3
"""syncwatch benchmark driver: runs every benchmark of bench/README.md and
writes OUT/latest.md (Markdown tables) and OUT/latest.json (every figure and
every raw sample).  bench/run installs and builds, then calls this.

Why interleaved rounds: the machine has 2 cores shared with other builds, so
noise comes in bursts of seconds.  Each round runs native, profile and trace
back to back (order rotated per round), ratios are taken inside a round and
the median over rounds is reported.
"""
import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

MICRO_BENCHES = ["uncontended", "contended", "nested", "rwlock", "sem", "cond"]
SHIM_MODES = ["profile", "trace"]
MODES = ["native"] + SHIM_MODES
VALGRIND_PEERS = ["helgrind", "drd"]

# Targets of issue 5 (and 2, 3), checked in the summary.
TARGET_PROFILE_ADDED_NS = 10.0
TARGET_TRACE_ADDED_NS = 50.0
TARGET_CONTENDED_RATIO = 1.2
TARGET_REAL_PROFILE_PCT = 3.0
TARGET_REAL_TRACE_PCT = 15.0
TARGET_BYTES_PER_EVENT = 12.0
TARGET_ANALYZER_EPS = 10e6

PROFILES = {
    # Seconds of timed loop per microbenchmark run and everything else that
    # decides how long the suite takes.
    "full": dict(
        threads=[1, 2, 4], micro_target_s=0.15, micro_rounds=5,
        peer_target_s=0.3, peer_configs=None, peer_timeout_s=120, tsan_rounds=3,
        callgrind_iters=200000, callgrind_benches=["uncontended", "nested", "rwlock", "sem"],
        real_peer_programs=None,
        pigz_mb=128, memcached_requests=200000, memcached_conns=4, python_items=2000000,
        real_rounds=3, real_peer_cap_s=120, peer_pigz_mb=8, peer_python_items=20000,
        memcached_peer_cap_s=60,
        analyzer_events=[10_000_000, 100_000_000], analyzer_timeout_s=600,
        sites_rounds=5, sites_iters=2000000, sites_callgrind_iters=200000,
    ),
    "quick": dict(
        threads=[1, 2], micro_target_s=0.004, micro_rounds=1,
        peer_target_s=0.002, peer_configs=[("uncontended", 1)], peer_timeout_s=60, tsan_rounds=1,
        callgrind_iters=2000, callgrind_benches=["uncontended"],
        real_peer_programs=["pigz"],
        pigz_mb=2, memcached_requests=2000, memcached_conns=2, python_items=5000,
        real_rounds=1, real_peer_cap_s=20, peer_pigz_mb=1, peer_python_items=2000,
        memcached_peer_cap_s=10,
        analyzer_events=[100_000, 1_000_000], analyzer_timeout_s=60,
        sites_rounds=1, sites_iters=200000, sites_callgrind_iters=0,
    ),
}


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# memcached sets its open-file limit to exactly -c; valgrind only allows a
# setrlimit whose hard limit equals its own (the real one less the 12 fds it
# reserves), so under valgrind the real limit must be -c + 12.
MEMCACHED_MAXCONNS = 1024


def valgrind_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (MEMCACHED_MAXCONNS + 12, MEMCACHED_MAXCONNS + 12))


class Proc:
    """Result of one child process: exit code, wall time, peak RSS, output."""

    def __init__(self, rc, wall_s, maxrss_kb, out, err, timed_out, peak=None):
        self.rc, self.wall_s, self.maxrss_kb = rc, wall_s, maxrss_kb
        self.out, self.err, self.timed_out = out, err, timed_out
        self.peak = peak or {}  # sampled peaks of /proc/PID/status fields, kB
        self.cpu_s = None       # user + system time of the child and its children

    def json_line(self):
        for line in reversed(self.out.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except ValueError:
                    return None
        return None


def sample_status(pid, peak, done):
    """Peaks of RssAnon (heap, the analyzer's own memory) and RssFile (the
    mapped trace, page cache the kernel can drop), which ru_maxrss lumps
    together."""
    path = f"/proc/{pid}/status"
    while not done.is_set():
        try:
            with open(path) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("RssAnon", "RssFile"):
                        kb = int(v.split()[0])
                        peak[k] = max(peak.get(k, 0), kb)
        except (OSError, ValueError):
            pass
        done.wait(0.02)


def run_proc(cmd, env=None, timeout=None, cwd=None, stdout_path=None, sample=False):
    """Runs cmd in its own process group; on timeout kills that group.
    wait4 gives the child's own peak RSS (the analyzer memory figure)."""
    out = open(stdout_path, "wb") if stdout_path else tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                         start_new_session=True)
    killed = []

    def kill():
        killed.append(True)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill) if timeout else None
    if timer:
        timer.start()
    peak, done, sampler = {}, threading.Event(), None
    if sample:
        sampler = threading.Thread(target=sample_status, args=(p.pid, peak, done), daemon=True)
        sampler.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    done.set()
    if sampler:
        sampler.join()
    if timer:
        timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    text = ""
    if not stdout_path:
        out.seek(0)
        text = out.read().decode(errors="replace")
    out.close()
    err.seek(0)
    etext = err.read().decode(errors="replace")
    err.close()
    res = Proc(p.returncode, wall, ru.ru_maxrss, text, etext, bool(killed), peak)
    res.cpu_s = ru.ru_utime + ru.ru_stime
    res.user_s, res.sys_s = ru.ru_utime, ru.ru_stime
    return res


def callgrind_functions(annotate, path):
    """Self instruction counts per function ("function [library]") of a
    callgrind output file."""
    try:
        r = subprocess.run([annotate, "--threshold=100", "--inclusive=no", "--auto=no", path],
                           capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError):
        return {}
    funcs = {}
    for line in r.stdout.splitlines():
        m = re.match(r"^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.+?)\s*$", line)
        if not m or "PROGRAM TOTALS" in line:
            continue
        where = m.group(2)
        lib = ""
        if where.endswith("]") and " [" in where:
            where, lib = where.rsplit(" [", 1)
            lib = os.path.basename(lib[:-1])
        path, _, fn = where.rpartition(":")
        # Code inlined from a header has no object: name the header instead.
        key = f"{fn} [{lib}]" if lib else f"{fn} [{os.path.basename(path)}]" if path else fn
        funcs[key] = funcs.get(key, 0) + int(m.group(1).replace(",", ""))
    return funcs


def exit_text(r):
    if r.timed_out:
        return "timeout"
    how = f"killed by signal {-r.rc}" if r.rc < 0 else f"exit {r.rc}"
    tail = r.err.strip()[-300:]
    return f"{how}: {tail}" if tail else how


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


class Bench:
    def __init__(self, args):
        self.args = args
        self.quick = args.quick
        self.p = PROFILES["quick" if args.quick else "full"]
        self.build = os.path.abspath(args.build)
        self.out_dir = os.path.abspath(args.out)
        self.work = os.path.abspath(args.work or os.path.join(self.build, "bench", "work"))
        os.makedirs(self.work, exist_ok=True)
        os.makedirs(self.out_dir, exist_ok=True)
        b = lambda *p: os.path.join(self.build, *p)
        self.shim = b("preload", "libsyncwatch.so")
        self.report = b("analyzer", "syncwatch-report")
        self.micro = b("bench", "sw_microbench")
        self.micro_tsan = b("bench", "sw_microbench_tsan")
        self.memload = b("bench", "sw_memload")
        self.tracegen = b("bench", "sw_tracegen")
        self.tracestat = b("bench", "sw_tracestat")
        self.have_shim = os.path.exists(self.shim)
        self.have_report = os.path.exists(self.report)
        self.valgrind = shutil.which("valgrind")
        self.python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
        self.notes = []
        self.failures = []
        self.trace_seq = 0
        self.results = {
            "meta": self.meta(),
            "micro": [], "callgrind": [], "real": [], "trace": [], "analyzer": [], "sites": [],
            "notes": self.notes, "failures": self.failures,
        }
        for tool in (self.micro, self.memload, self.tracegen, self.tracestat):
            if not os.path.exists(tool):
                sys.exit(f"bench: {tool} is missing: build the project first (bench/run does)")
        if not self.have_shim:
            self.note(f"shim not built ({self.shim}): profile and trace modes not measured")
        if not self.have_report:
            self.note(f"analyzer not built ({self.report}): analyzer throughput not measured")
        if not self.valgrind:
            self.note("valgrind not installed: helgrind, drd and callgrind not measured")
        if not os.path.exists(self.micro_tsan):
            self.note("clang TSan build of the microbenchmark missing: tsan peer not measured")

    def note(self, text):
        log("note: " + text)
        self.notes.append(text)

    def fail(self, text):
        """A run that must work did not: native or under the shim (peers may
        fail or time out; that is their result)."""
        self.failures.append(text)
        self.note("FAILED: " + text)

    def meta(self):
        def git(*a):
            try:
                return subprocess.run(["git", "-C", REPO, *a], capture_output=True, text=True,
                                      timeout=10).stdout.strip()
            except (OSError, subprocess.SubprocessError):
                return ""
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
        except OSError:
            pass
        return {
            "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
            "commit": git("rev-parse", "--short", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
            "profile": "quick" if self.quick else "full",
            "command": "bench/run" + (" --quick" if self.quick else ""),
            "build_dir": self.build,
            "host": platform.node(), "cpus": os.cpu_count(), "cpu": cpu,
            "kernel": platform.release(), "glibc": " ".join(platform.libc_ver()),
        }

    # ---- environments -------------------------------------------------

    def env_for(self, mode, trace_dir=None):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("SYNCWATCH_") and k != "LD_PRELOAD"}
        if mode in SHIM_MODES:
            env["LD_PRELOAD"] = self.shim
            env["SYNCWATCH_MODE"] = mode
            env["SYNCWATCH_OUTPUT"] = os.path.join(trace_dir, "trace.swt")
        return env

    def new_trace_dir(self):
        self.trace_seq += 1
        d = os.path.join(self.work, "traces", f"run{self.trace_seq}")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return d

    def trace_files(self, d):
        out = []
        for root, _, files in os.walk(d):
            out += [os.path.join(root, f) for f in files]
        return sorted(out)

    def trace_stats(self, d):
        """Sizes and record counts of the trace files a run left in d."""
        files = self.trace_files(d)
        if not files:
            return {"files": 0, "file_bytes": 0}
        r = run_proc([self.tracestat] + files, timeout=600)
        st = r.json_line()
        if st is None:
            st = {"files": len(files), "file_bytes": sum(os.path.getsize(f) for f in files),
                  "error": (r.err.strip().splitlines() or ["sw_tracestat failed"])[-1]}
        elif r.rc != 0:
            st["error"] = (r.err.strip().splitlines() or ["sw_tracestat failed"])[-1]
        return st

    def run_mode(self, mode, cmd, timeout, keep_stats=False):
        """Runs cmd natively or under the shim.  Returns (Proc, trace stats or None)."""
        d = self.new_trace_dir() if mode in SHIM_MODES else None
        r = run_proc(cmd, env=self.env_for(mode, d), timeout=timeout)
        stats = None
        if d:
            if keep_stats:
                stats = self.trace_stats(d)
            else:
                files = self.trace_files(d)
                stats = {"files": len(files), "file_bytes": sum(os.path.getsize(f) for f in files)}
            shutil.rmtree(d, ignore_errors=True)
        return r, stats

    def peer_cmd(self, peer, cmd):
        if peer in VALGRIND_PEERS:
            return [self.valgrind, f"--tool={peer}", "-q", "--error-limit=no"] + cmd
        return cmd

    def peers(self):
        ps = []
        if self.valgrind:
            ps += VALGRIND_PEERS
        if os.path.exists(self.micro_tsan):
            ps.append("tsan")
        return ps

    # ---- microbenchmarks ----------------------------------------------

    def micro_once(self, mode, bench, threads, iters, keep_stats=False, timeout=120):
        binary = self.micro
        cmd = [binary, bench, str(threads), str(iters)]
        if mode == "tsan":
            cmd = [self.micro_tsan, bench, str(threads), str(iters)]
            r, st = run_proc(cmd, env=self.env_for("native"), timeout=timeout), None
        elif mode in VALGRIND_PEERS:
            r, st = run_proc(self.peer_cmd(mode, cmd), env=self.env_for("native"),
                             timeout=timeout), None
        else:
            r, st = self.run_mode(mode, cmd, timeout, keep_stats)
        j = r.json_line()
        if r.rc != 0 or j is None:
            why = exit_text(r)
            return None, st, why
        return j, st, None

    def calibrate(self, mode, bench, threads, target_s, start_iters, timeout):
        """Doubles (or scales) the iteration count until the timed loop takes
        about target_s.  Returns (iters, last result)."""
        iters = start_iters
        for _ in range(12):
            j, _, why = self.micro_once(mode, bench, threads, iters, timeout=timeout)
            if j is None:
                return iters, None, why
            el = j["elapsed_ns"] / 1e9
            if el >= target_s * 0.6:
                return iters, j, None
            scale = target_s / max(el, 1e-6)
            iters = int(iters * min(max(scale, 2.0), 100.0))
        return iters, j, None

    def run_micro(self):
        p = self.p
        modes = MODES if self.have_shim else ["native"]
        configs = [(b, t) for b in MICRO_BENCHES for t in p["threads"]]
        plan = {}
        for b, t in configs:
            start = 200 if b in ("sem", "cond") and t > 1 else 20000
            iters, j, why = self.calibrate("native", b, t, p["micro_target_s"], start, 60)
            if j is None:
                self.fail(f"micro {b}/{t}: native run: {why}")
                continue
            plan[(b, t)] = iters
        samples = {cfg: {m: [] for m in modes} for cfg in plan}
        cpu = {cfg: {m: [] for m in modes} for cfg in plan}
        trace_info = {}
        for rnd in range(p["micro_rounds"]):
            log(f"micro round {rnd + 1}/{p['micro_rounds']}")
            for cfg, iters in plan.items():
                order = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
                for m in order:
                    keep = (m in SHIM_MODES and rnd == 0)
                    j, st, why = self.micro_once(m, cfg[0], cfg[1], iters, keep_stats=keep)
                    if j is None:
                        self.fail(f"micro {cfg[0]}/{cfg[1]} {m} round {rnd + 1}: {why}")
                    samples[cfg][m].append(j["ns_per_op"] if j else None)
                    cpu[cfg][m].append(j.get("cpu_ns_per_op") if j else None)
                    if keep and st is not None:
                        trace_info[(cfg, m)] = st
        peers = self.peers()
        peer_cfgs = p["peer_configs"] or list(plan)
        for cfg, iters in plan.items():
            b, t = cfg
            row = {"bench": b, "threads": t, "iters": iters, "modes": {}, "peers": {}}
            nat = samples[cfg]["native"]
            for m in modes:
                vals = samples[cfg][m]
                cvals = cpu[cfg][m]
                entry = {"ns_per_op": median(vals), "samples": vals,
                         "cpu_ns_per_op": median(cvals), "cpu_samples": cvals}
                if m != "native":
                    ratios = [v / n for v, n in zip(vals, nat) if v and n]
                    added = [v - n for v, n in zip(vals, nat) if v and n]
                    entry["ratio"] = median(ratios)
                    entry["added_ns"] = median(added)
                    cnat = cpu[cfg]["native"]
                    entry["cpu_added_ns"] = median([v - n for v, n in zip(cvals, cnat)
                                                    if v is not None and n is not None])
                    st = trace_info.get((cfg, m))
                    if st:
                        entry["trace"] = st
                        ops = (iters + iters // 10 + 1) * t
                        entry["trace"]["ops"] = ops
                row["modes"][m] = entry
            if cfg in peer_cfgs:
                for peer in peers:
                    row["peers"][peer] = self.micro_peer(peer, b, t, row["modes"]["native"])
            self.results["micro"].append(row)

    def micro_peer(self, peer, b, t, native):
        p = self.p
        rounds = p["tsan_rounds"] if peer == "tsan" else 1
        start = 20 if b in ("sem", "cond") and t > 1 else 2000
        log(f"peer {peer} {b}/{t}")
        iters, j, why = self.calibrate(peer, b, t, p["peer_target_s"], start, p["peer_timeout_s"])
        if j is None:
            return {"error": why}
        vals = [j["ns_per_op"]]
        for _ in range(rounds - 1):
            j2, _, _ = self.micro_once(peer, b, t, iters, timeout=p["peer_timeout_s"])
            vals.append(j2["ns_per_op"] if j2 else None)
        ns = median(vals)
        nat = native.get("ns_per_op")
        return {"iters": iters, "ns_per_op": ns, "samples": vals,
                "ratio": ns / nat if ns and nat else None}

    # ---- callgrind instruction counts -----------------------------------

    def run_callgrind(self):
        """Instructions per op of the hot path, from the difference of two
        runs (N and 2N iterations), so start-up and set-up cancel out; per
        function too, which says where a missed nanosecond target goes.
        Instruction counts do not depend on the machine's load."""
        if not self.valgrind:
            return
        modes = MODES if self.have_shim else ["native"]
        n = self.p["callgrind_iters"]
        loops = lambda i: i + i // 10 + 1
        annotate = shutil.which("callgrind_annotate")
        for b in self.p["callgrind_benches"]:
            log(f"callgrind {b}")
            row = {"bench": b, "threads": 1, "modes": {}}
            for m in modes:
                counts, funcs = [], []
                for iters in (n, 2 * n):
                    d = self.new_trace_dir() if m in SHIM_MODES else None
                    out = os.path.join(self.work, f"callgrind-{b}-{m}-{iters}.out")
                    cmd = [self.valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                           self.micro, b, "1", str(iters)]
                    r = run_proc(cmd, env=self.env_for(m, d), timeout=300)
                    if d:
                        shutil.rmtree(d, ignore_errors=True)
                    got = None
                    for line in r.err.splitlines():
                        if "Collected :" in line:
                            got = int(line.split(":")[-1].strip())
                    counts.append(got)
                    funcs.append(callgrind_functions(annotate, out) if annotate and got else {})
                    if os.path.exists(out):
                        os.unlink(out)
                if None in counts:
                    row["modes"][m] = {"error": "callgrind failed"}
                    continue
                span = loops(2 * n) - loops(n)
                per = (counts[1] - counts[0]) / span
                top = sorted(((f, (funcs[1].get(f, 0) - funcs[0].get(f, 0)) / span)
                              for f in funcs[1]), key=lambda x: -x[1])
                row["modes"][m] = {"instructions_per_op": per,
                                   "functions": [[f, round(v, 1)] for f, v in top if v >= 0.5][:12]}
            nat = row["modes"].get("native", {}).get("instructions_per_op")
            for m in SHIM_MODES:
                e = row["modes"].get(m)
                if e and "instructions_per_op" in e and nat:
                    e["added"] = e["instructions_per_op"] - nat
            self.results["callgrind"].append(row)

    # ---- call sites: lock wrappers and signal handlers --------------------

    def run_sites(self):
        """What a call site costs when its return address is shared: a lock
        pair through one lock/unlock helper called from four places
        ("wrapper") against the same four places calling pthread directly
        ("direct4"), and locks taken in a signal handler 20,000 times a second
        ("signal": the handler's own timed pair and the interrupted loop's).
        One thread, fixed iterations (the warm-up settles every site before
        the timed loop), interleaved rounds, medians; callgrind instructions
        per pair from N and 2N iterations for wrapper and direct4."""
        p = self.p
        modes = MODES if self.have_shim else ["native"]
        iters = p["sites_iters"]
        for b in ("direct4", "wrapper", "signal"):
            log(f"sites {b}")
            samples = {m: [] for m in modes}
            for rnd in range(p["sites_rounds"]):
                order = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
                for m in order:
                    j, _, why = self.micro_once(m, b, 1, iters, timeout=300)
                    if j is None:
                        self.fail(f"sites {b} {m} round {rnd + 1}: {why}")
                        continue
                    samples[m].append(j)
            row = {"bench": b, "threads": 1, "iters": iters, "modes": {}}
            for m, js in samples.items():
                if not js:
                    continue
                e = {k: median([j[k] for j in js])
                     for k in ("ns_per_op", "cpu_ns_per_op", "handler_ns_per_pair") if k in js[0]}
                e["samples"] = js
                row["modes"][m] = e
            if p["sites_callgrind_iters"] and self.valgrind and b != "signal":
                n = p["sites_callgrind_iters"]
                loops = lambda i: i + i // 10 + 1
                for m in modes:
                    counts = []
                    for it in (n, 2 * n):
                        d = self.new_trace_dir() if m in SHIM_MODES else None
                        out = os.path.join(self.work, f"callgrind-sites-{b}-{m}-{it}.out")
                        cmd = [self.valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
                               self.micro, b, "1", str(it)]
                        r = run_proc(cmd, env=self.env_for(m, d), timeout=600)
                        if d:
                            shutil.rmtree(d, ignore_errors=True)
                        if os.path.exists(out):
                            os.unlink(out)
                        counts.append(next((int(line.split(":")[-1].strip())
                                            for line in r.err.splitlines()
                                            if "Collected :" in line), None))
                    if None not in counts and m in row["modes"]:
                        row["modes"][m]["instructions_per_op"] = \
                            (counts[1] - counts[0]) / (loops(2 * n) - loops(n))
            self.results["sites"].append(row)

    # ---- real programs --------------------------------------------------

    def pigz_input(self, mb):
        """A text-like file that deflate has to work on: a few MB of
        pseudo-random words, repeated with a different rotation per block
        (the repeats are far beyond deflate's 32 KB window)."""
        size = mb << 20
        path = os.path.join(self.work, f"pigz-input-{mb}m.txt")
        if os.path.exists(path) and os.path.getsize(path) == size:
            return path
        rng = random.Random(1234)
        vocab = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
                 for _ in range(5000)]
        words, n = [], 0
        base_len = min(size, 4 << 20)
        while n < base_len:
            w = vocab[int(rng.paretovariate(1.2)) % len(vocab)]
            sep = "\n" if rng.random() < 0.08 else " "
            words.append(w + sep)
            n += len(w) + 1
        base = "".join(words).encode()[:base_len]
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            written = 0
            while written < size:
                rot = rng.randrange(len(base))
                block = base[rot:] + base[:rot]
                block = block[:size - written]
                f.write(block)
                written += len(block)
        os.replace(tmp, path)
        return path

    def free_port(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def wait_port(self, port, proc, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def memcached_run(self, mode, cap_s):
        """memcached_once, retried when the server did not come up (the free
        port it was given may have been taken in between)."""
        for attempt in range(3):
            res, st, why = self.memcached_once(mode, cap_s)
            if res is not None or not why.startswith("memcached did not start") or attempt == 2:
                return res, st, why
            log(f"memcached {mode}: {why.strip()[:120]}; retrying")

    def memcached_once(self, mode, cap_s):
        """memcached on loopback under mode; the client (never traced) sends a
        fixed number of requests, bounded by cap_s.  Returns ns per request."""
        mc = shutil.which("memcached")
        port = self.free_port()
        cmd = [mc, "-l", "127.0.0.1", "-p", str(port), "-U", "0", "-t", "2", "-m", "64",
               "-c", str(MEMCACHED_MAXCONNS)]
        if os.geteuid() == 0:
            cmd += ["-u", "root"]
        d, limit = None, None
        if mode in VALGRIND_PEERS:
            cmd, env = self.peer_cmd(mode, cmd), self.env_for("native")
            limit = valgrind_fd_limit
        else:
            d = self.new_trace_dir() if mode in SHIM_MODES else None
            env = self.env_for(mode, d)
        err = tempfile.TemporaryFile()
        server = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                  preexec_fn=limit)
        result, stats = None, None
        try:
            if not self.wait_port(port, server, 60):
                err.seek(0)
                return None, None, "memcached did not start: " + err.read().decode()[-300:]
            r = run_proc([self.memload, str(port), str(self.p["memcached_conns"]),
                          str(self.p["memcached_requests"]), str(int(cap_s))],
                         timeout=cap_s + 30)
            result = r.json_line()
            # A peer may make requests time out: its rate so far still counts.
            partial_ok = mode in VALGRIND_PEERS and result and result.get("requests")
            if (r.rc != 0 and not partial_ok) or result is None:
                result = None
                return None, None, f"client: {exit_text(r)}"
        finally:
            server.send_signal(signal.SIGTERM)
            killer = threading.Timer(60, lambda: os.killpg(server.pid, signal.SIGKILL))
            killer.start()
            _, _, ru = os.wait4(server.pid, 0)
            killer.cancel()
            server.returncode = 0
            err.close()
            if result is not None and result.get("requests"):
                result["server_cpu_us_per_request"] = \
                    (ru.ru_utime + ru.ru_stime) * 1e6 / result["requests"]
            if d:
                stats = self.trace_stats(d) if self.keep_next else None
                shutil.rmtree(d, ignore_errors=True)
        return result, stats, None

    def run_real(self):
        p = self.p
        # (name, label, command, the peers' smaller command and its label)
        programs = []
        if shutil.which("pigz"):
            pigz = lambda mb: [shutil.which("pigz"), "-p", "2", "-c", self.pigz_input(mb)]
            programs.append(("pigz", f"pigz -p 2 ({p['pigz_mb']} MiB generated text)",
                             pigz(p["pigz_mb"]), pigz(p["peer_pigz_mb"]),
                             f"{p['peer_pigz_mb']} MiB"))
        else:
            self.note("pigz not installed: not measured")
        py = lambda n: [self.python, os.path.join(HERE, "workloads", "py_threads.py"),
                        "--items", str(n)]
        programs.append(("python", f"python3 threading ({p['python_items']} items, Lock + Queue)",
                         py(p["python_items"]), py(p["peer_python_items"]),
                         f"{p['peer_python_items']} items"))
        have_mc = bool(shutil.which("memcached"))
        if not have_mc:
            self.note("memcached not installed: not measured")
        modes = MODES if self.have_shim else ["native"]
        rows = {}
        for name, label, *_ in programs:
            rows[name] = {"program": name, "what": label, "metric": "wall s", "modes": {}, "peers": {}}
        if have_mc:
            rows["memcached"] = {"program": "memcached",
                                 "what": f"memcached -t 2, {p['memcached_requests']} requests over "
                                         f"{p['memcached_conns']} loopback connections",
                                 "metric": "us/request", "modes": {}, "peers": {}}
        samples = {n: {m: [] for m in modes} for n in rows}
        cpu = {n: {m: [] for m in modes} for n in rows}
        tstats = {}
        for rnd in range(p["real_rounds"]):
            log(f"real programs round {rnd + 1}/{p['real_rounds']}")
            order = modes[rnd % len(modes):] + modes[:rnd % len(modes)]
            for name, _, cmd, *_ in programs:
                for m in order:
                    keep = m in SHIM_MODES and rnd == 0
                    r, st = self.run_mode(m, cmd, timeout=600, keep_stats=keep)
                    ok = r.rc == 0 and not r.timed_out
                    if not ok:
                        self.fail(f"{name} {m} round {rnd + 1}: {exit_text(r)}")
                    samples[name][m].append(r.wall_s if ok else None)
                    cpu[name][m].append(r.cpu_s if ok else None)
                    if keep and st:
                        tstats[(name, m)] = st
            if have_mc:
                for m in order:
                    self.keep_next = m in SHIM_MODES and rnd == 0
                    res, st, why = self.memcached_run(m, 300)
                    if res is None:
                        self.fail(f"memcached {m} round {rnd + 1}: {why}")
                    samples["memcached"][m].append(res["ns_per_request"] / 1000 if res else None)
                    cpu["memcached"][m].append(res["server_cpu_us_per_request"] if res else None)
                    if st:
                        tstats[("memcached", m)] = st
        for name, row in rows.items():
            nat = samples[name]["native"]
            natc = cpu[name]["native"]
            for m in modes:
                vals = samples[name][m]
                cvals = cpu[name][m]
                e = {"value": median(vals), "samples": vals, "cpu": median(cvals),
                     "cpu_samples": cvals}
                if m != "native":
                    ratios = [v / n for v, n in zip(vals, nat) if v and n]
                    e["ratio"] = median(ratios)
                    cratios = [v / n for v, n in zip(cvals, natc) if v and n]
                    e["cpu_ratio"] = median(cratios)
                    if (name, m) in tstats:
                        e["trace"] = tstats[(name, m)]
                row["modes"][m] = e
        # Peers: 50-1000x slower, so they get a smaller input, compared with a
        # native run of that same input (median of 3), within a time cap.
        cap = p["real_peer_cap_s"]
        if self.valgrind:
            chosen = self.p["real_peer_programs"]
            for name, _, _, cmd, small in programs:
                if chosen is not None and name not in chosen:
                    continue
                nats = []
                for _ in range(3):
                    r = run_proc(cmd, env=self.env_for("native"), timeout=cap)
                    nats.append(r.wall_s if r.rc == 0 else None)
                nat = median(nats)
                rows[name]["peer_input"] = small
                rows[name]["peer_native"] = nat
                for peer in VALGRIND_PEERS:
                    log(f"peer {peer} {name} on {small} (cap {cap} s)")
                    r = run_proc(self.peer_cmd(peer, cmd), env=self.env_for("native"), timeout=cap)
                    if r.timed_out:
                        rows[name]["peers"][peer] = {"error": f"> {cap} s (cap)",
                                                     "ratio_min": cap / nat if nat else None}
                    elif r.rc != 0:
                        rows[name]["peers"][peer] = {"error": exit_text(r)[:80]}
                    else:
                        rows[name]["peers"][peer] = {"value": r.wall_s,
                                                     "ratio": r.wall_s / nat if nat else None}
            if have_mc and (chosen is None or "memcached" in chosen):
                for peer in VALGRIND_PEERS:
                    mcap = p["memcached_peer_cap_s"]
                    log(f"peer {peer} memcached (cap {mcap} s)")
                    self.keep_next = False
                    res, _, why = self.memcached_run(peer, mcap)
                    nat = rows["memcached"]["modes"]["native"]["value"]
                    if res is None:
                        rows["memcached"]["peers"][peer] = {"error": why}
                    else:
                        v = res["ns_per_request"] / 1000
                        rows["memcached"]["peers"][peer] = {
                            "value": v, "ratio": v / nat if nat else None,
                            "complete": res.get("complete"), "requests": res.get("requests")}
        # Where the time goes when a program misses its target (perf, one
        # more run under the mode; memcached needs its client, so not it).
        limits = {"profile": TARGET_REAL_PROFILE_PCT, "trace": TARGET_REAL_TRACE_PCT}
        for name, _, cmd, *_ in programs:
            for m in SHIM_MODES:
                e = rows[name]["modes"].get(m)
                if not e or e.get("ratio") is None or (e["ratio"] - 1) * 100 <= limits[m]:
                    continue
                log(f"perf profile of {name} in {m} mode")
                d = self.new_trace_dir()
                e["perf_top"] = self.perf_top(cmd, env=self.env_for(m, d), by_object=True)
                shutil.rmtree(d, ignore_errors=True)
        self.results["real"] = list(rows.values())

    keep_next = False

    # ---- analyzer -----------------------------------------------------------

    def run_analyzer(self):
        for n in self.p["analyzer_events"]:
            path = os.path.join(self.work, f"synthetic-{n}.swt")
            log(f"generating a trace of {n} events")
            g = run_proc([self.tracegen, path, str(n)], timeout=600)
            gen = g.json_line()
            if g.rc != 0 or gen is None:
                self.fail(f"sw_tracegen {n}: exit {g.rc} {g.err.strip()[-200:]}")
                continue
            row = {"events": gen["events"], "file_bytes": gen["bytes"],
                   "bytes_per_event": gen["bytes"] / gen["events"]}
            if self.have_report:
                log(f"analyzing {n} events")
                r = run_proc([self.report, path], timeout=self.p["analyzer_timeout_s"],
                             stdout_path=os.devnull, sample=True)
                row["exit"] = r.rc
                if r.timed_out or r.rc not in (0, 1):
                    row["error"] = exit_text(r)
                    self.fail(f"syncwatch-report on {n} generated events: {row['error']}")
                else:
                    row["wall_s"] = r.wall_s
                    row["events_per_s"] = gen["events"] / r.wall_s
                    row["peak_rss_mb"] = r.maxrss_kb / 1024
                    row["peak_anon_mb"] = r.peak.get("RssAnon", 0) / 1024
                    row["peak_file_mb"] = r.peak.get("RssFile", 0) / 1024
                    if n == self.p["analyzer_events"][0]:
                        self.results["analyzer_profile"] = self.perf_top([self.report, path])
            self.results["analyzer"].append(row)
            os.unlink(path)

    def perf_top(self, cmd, env=None, by_object=False):
        """Where a program spends its time (perf record, self time), or []
        where perf is missing or not permitted.  By symbol; with by_object,
        by object (program, libraries, kernel) and then by symbol inside the
        shim."""
        perf = shutil.which("perf")
        if not perf or self.perf_broken:
            return []
        data = os.path.join(self.work, "perf.data")
        r = run_proc([perf, "record", "-q", "-F", "999", "-o", data, "--"] + cmd, env=env,
                     timeout=self.p["analyzer_timeout_s"], stdout_path=os.devnull)
        if r.rc not in (0, 1) or not os.path.exists(data):
            self.perf_broken = True
            self.note("perf record not usable here: no perf profiles")
            return []

        def report(*extra):
            rep = run_proc([perf, "report", "-i", data, "--no-children", "--stdio",
                            "--percent-limit", "1", *extra], timeout=300)
            out = []
            for line in rep.out.splitlines():
                m = re.match(r"^\s*([\d.]+)%\s+(.+?)\s*$", line)
                if m and not line.lstrip().startswith("#"):
                    what = re.sub(r"^\[[.k]\]\s+", "", m.group(2))
                    what = re.split(r"\s{2,}", what)[0]  # drop perf's empty extra columns
                    out.append([what, float(m.group(1))])
            return out

        if by_object:
            top = report("--sort", "dso")[:6]
            top += [[f"{f} [libsyncwatch.so]", v] for f, v in
                    report("--sort", "symbol", "--dsos", "libsyncwatch.so")[:4]]
        else:
            top = report("--sort", "symbol")[:10]
        os.unlink(data)
        return top

    perf_broken = False

    # ---- summary ------------------------------------------------------------

    def summary(self):
        s = []

        def add(target, measured, ok, note=""):
            s.append({"target": target, "measured": measured, "met": ok, "note": note})

        micro = {(r["bench"], r["threads"]): r for r in self.results["micro"]}
        u = micro.get(("uncontended", 1))
        if u and self.have_shim:
            cg = next((r for r in self.results["callgrind"] if r["bench"] == "uncontended"), None)
            for m, lim in (("profile", TARGET_PROFILE_ADDED_NS), ("trace", TARGET_TRACE_ADDED_NS)):
                a = u["modes"].get(m, {}).get("added_ns")
                why = []
                if a is not None and a > lim:
                    why.append(f"missed by {a - lim:.1f} ns")
                ca = u["modes"].get(m, {}).get("cpu_added_ns")
                if ca is not None:
                    why.append(f"CPU time {ca:+.1f} ns")
                ce = cg["modes"].get(m, {}) if cg else {}
                if ce.get("added") is not None:
                    fns = [f for f in ce.get("functions", []) if "[sw_microbench]" not in f[0]]
                    why.append(f"callgrind: {ce['added']:+.0f} instructions per pair" +
                               (" (" + ", ".join(f"{f.split(' [')[0]} {v:.0f}" for f, v in fns[:4])
                                + ")" if fns else ""))
                add(f"{m}: <= +{lim:g} ns per uncontended lock+unlock pair (1 thread)",
                    fmt_ns_added(a), None if a is None else a <= lim, "; ".join(why))
        if self.have_shim:
            for t in self.p["threads"]:
                c = micro.get(("contended", t))
                if not c or t == 1:
                    continue
                for m in SHIM_MODES:
                    r = c["modes"].get(m, {}).get("ratio")
                    add(f"{m}: contended mutex ({t} threads) within {TARGET_CONTENDED_RATIO}x native",
                        fmt_ratio(r), None if r is None else r <= TARGET_CONTENDED_RATIO,
                        "" if r is None or r <= TARGET_CONTENDED_RATIO
                        else f"missed by {(r - TARGET_CONTENDED_RATIO) * 100:.0f} points")
            for row in self.results["real"]:
                for m, lim in (("profile", TARGET_REAL_PROFILE_PCT), ("trace", TARGET_REAL_TRACE_PCT)):
                    r = row["modes"].get(m, {}).get("ratio")
                    pct = None if r is None else (r - 1) * 100
                    cr = row["modes"].get(m, {}).get("cpu_ratio")
                    cpu = "" if cr is None else f"CPU time {fmt_pct((cr - 1) * 100)}"
                    miss = "" if pct is None or pct <= lim else f"missed by {pct - lim:.1f} points"
                    add(f"{m}: {row['program']} <= +{lim:g} %", fmt_pct(pct),
                        None if pct is None else pct <= lim, "; ".join(x for x in (miss, cpu) if x))
            bpe = self.bytes_per_event()
            for label, v in bpe:
                add(f"trace: <= {TARGET_BYTES_PER_EVENT:g} bytes per event ({label})",
                    "n/a" if v is None else f"{v:.2f}", None if v is None else v <= TARGET_BYTES_PER_EVENT)
        an = [a for a in self.results["analyzer"] if "events_per_s" in a]
        if an:
            big = an[-1]
            eps = big["events_per_s"]
            add(f"analyzer >= {TARGET_ANALYZER_EPS / 1e6:g} M events/s ({fmt_count(big['events'])} events)",
                f"{eps / 1e6:.2f} M/s", eps >= TARGET_ANALYZER_EPS,
                "" if eps >= TARGET_ANALYZER_EPS else f"missed by {(TARGET_ANALYZER_EPS - eps) / 1e6:.2f} M/s")
            if len(an) >= 2:
                small = an[0]
                key = "peak_anon_mb" if small.get("peak_anon_mb") and big.get("peak_anon_mb") \
                    else "peak_rss_mb"
                what = "heap (RssAnon)" if key == "peak_anon_mb" else "peak RSS"
                grow = big[key] / small[key] if small[key] else None
                evgrow = big["events"] / small["events"]
                add("analyzer memory independent of trace length",
                    f"{what} {small[key]:.0f} MB at {fmt_count(small['events'])}, "
                    f"{big[key]:.0f} MB at {fmt_count(big['events'])} events "
                    f"(peak RSS with the mapped trace: {small['peak_rss_mb']:.0f} / "
                    f"{big['peak_rss_mb']:.0f} MB)",
                    None if grow is None else grow < 1.5,
                    "" if grow is None or grow < 1.5 else f"grows {grow:.1f}x for {evgrow:.0f}x events")
        self.results["targets"] = s

    def bytes_per_event(self):
        """File bytes per recorded event of the long trace-mode runs."""
        out = []
        for r in self.results["micro"]:
            if (r["bench"], r["threads"]) in (("uncontended", 1), ("contended", 2)):
                st = r["modes"].get("trace", {}).get("trace")
                if st and st.get("records"):
                    out.append((f"micro {r['bench']}/{r['threads']}", st["file_bytes"] / st["records"]))
        return out

    def run(self):
        t0 = time.time()
        sections = [("micro", self.run_micro), ("callgrind", self.run_callgrind),
                    ("sites", self.run_sites),
                    ("real", self.run_real), ("analyzer", self.run_analyzer),
                    ("shortlived", lambda: run_shortlived(self)),
                    ("watchdog", lambda: run_watchdog(self))]
        only = set(self.args.only.split(",")) if self.args.only else None
        for name, fn in sections:
            if only and name not in only:
                continue
            log(f"section {name}")
            fn()
        self.summary()
        self.results["meta"]["duration_s"] = round(time.time() - t0, 1)
        with open(os.path.join(self.out_dir, "latest.json"), "w") as f:
            json.dump(self.results, f, indent=1, sort_keys=True)
            f.write("\n")
        md = render_markdown(self.results)
        with open(os.path.join(self.out_dir, "latest.md"), "w") as f:
            f.write(md)
        log(f"wrote {self.out_dir}/latest.md and latest.json in {time.time() - t0:.0f} s")
        if self.args.print:
            print(md)
        if self.failures:
            log(f"{len(self.failures)} run(s) that must work failed (see Notes)")
            return 1
        return 0


# ---- Many short processes and threads (issue 9 item 8) --------------------
# bench/shortlived.c: N processes that fork, exec and take one lock, and N
# threads one after another that take one lock each.  Wall, user and system
# time of the whole run (wait4 counts the waited-for children too), the
# best of a few rounds, native and in both shim modes.

SHORTLIVED = {
    "full": dict(procs=200, threads=2000, rounds=5),
    "quick": dict(procs=10, threads=50, rounds=1),
}


def run_shortlived(bench):
    prog = os.path.join(bench.build, "bench", "sw_shortlived")
    if not os.path.exists(prog):
        bench.note(f"{prog} missing: short processes and threads not measured")
        return
    cfg = SHORTLIVED["quick" if bench.quick else "full"]
    rows = []
    for what in ("procs", "threads"):
        cmd = [prog, what, str(cfg[what])]
        for mode in MODES if bench.have_shim else ["native"]:
            best = None
            for _ in range(cfg["rounds"]):
                r, stats = bench.run_mode(mode, cmd, timeout=600)
                if r.rc != 0 or r.timed_out:
                    bench.fail(f"sw_shortlived {what} {cfg[what]} ({mode}): {exit_text(r)}")
                    break
                if best is None or r.wall_s < best[0].wall_s:
                    best = (r, stats)
            if best:
                r, stats = best
                rows.append({"what": what, "n": cfg[what], "mode": mode, "wall_s": r.wall_s,
                             "user_s": r.user_s, "sys_s": r.sys_s,
                             "files": (stats or {}).get("files", 0),
                             "file_bytes": (stats or {}).get("file_bytes", 0)})
    bench.results["shortlived"] = rows


def render_shortlived(res):
    rows = res.get("shortlived")
    if not rows:
        return []
    L = ["## Many short processes and threads", "",
         "`sw_shortlived procs N` (fork, exec, one lock, exit) and `threads N` (one lock "
         "each, one after another); best of the rounds.", "",
         "| run | mode | wall | user | system | trace files | trace bytes |",
         "|---|---|---|---|---|---|---|"]
    for r in rows:
        L.append(f"| {r['what']} {r['n']:,} | {r['mode']} | {r['wall_s']:.3f} s | "
                 f"{r['user_s']:.3f} s | {r['sys_s']:.3f} s | {r['files']} | "
                 f"{fmt_bytes(r['file_bytes'])} |")
    L.append("")
    return L


# ---- The hang watchdog's cost (issue 11) ----------------------------------
# The watchdog reads the per-thread blocks once a second from its own
# thread and adds nothing to a lock operation.  Shown two ways, watchdog on
# (the default SYNCWATCH_HANG_TIMEOUT) against off (0), in both modes:
# callgrind instructions per uncontended lock+unlock (the difference of two
# run lengths, so set-up cancels out), and ns per op in interleaved rounds.

WATCHDOG = {
    "full": dict(iters=20000000, rounds=5, cg_iters=200000),
    "quick": dict(iters=200000, rounds=1, cg_iters=2000),
}


def run_watchdog(bench):
    if not bench.have_shim:
        return
    cfg = WATCHDOG["quick" if bench.quick else "full"]
    rows = []
    for mode in SHIM_MODES:
        row = {"mode": mode}
        for wd, timeout in (("off", "0"), ("on", None)):
            # callgrind: instructions per op, from two run lengths
            counts = []
            if bench.valgrind:
                for iters in (cfg["cg_iters"], 2 * cfg["cg_iters"]):
                    d = bench.new_trace_dir()
                    env = bench.env_for(mode, d)
                    if timeout is not None:
                        env["SYNCWATCH_HANG_TIMEOUT"] = timeout
                    r = run_proc([bench.valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
                                  bench.micro, "uncontended", "1", str(iters)], env=env, timeout=300)
                    shutil.rmtree(d, ignore_errors=True)
                    got = [int(x.split(":")[-1]) for x in r.err.splitlines() if "Collected :" in x]
                    counts.append(got[0] if got else None)
            if len(counts) == 2 and None not in counts:
                n = cfg["cg_iters"]
                span = (2 * n + 2 * n // 10 + 1) - (n + n // 10 + 1)
                row[f"instr_{wd}"] = (counts[1] - counts[0]) / span
        # wall and CPU ns per op, on and off alternating
        samples = {"off": [], "on": []}
        for _ in range(cfg["rounds"]):
            for wd, timeout in (("off", "0"), ("on", None)):
                d = bench.new_trace_dir()
                env = bench.env_for(mode, d)
                if timeout is not None:
                    env["SYNCWATCH_HANG_TIMEOUT"] = timeout
                r = run_proc([bench.micro, "uncontended", "1", str(cfg["iters"])], env=env,
                             timeout=300)
                shutil.rmtree(d, ignore_errors=True)
                j = r.json_line()
                if r.rc == 0 and j:
                    samples[wd].append((j["ns_per_op"], j.get("cpu_ns_per_op")))
        for wd in ("off", "on"):
            if samples[wd]:
                row[f"ns_{wd}"] = median([x[0] for x in samples[wd]])
                cpu = [x[1] for x in samples[wd] if x[1] is not None]
                row[f"cpu_ns_{wd}"] = median(cpu) if cpu else None
        rows.append(row)
    bench.results["watchdog"] = rows


def render_watchdog(res):
    rows = res.get("watchdog")
    if not rows:
        return []
    L = ["## The hang watchdog", "",
         "Uncontended lock+unlock, 1 thread, watchdog off (`SYNCWATCH_HANG_TIMEOUT=0`) and on "
         "(the default), in the same run; ns are medians of interleaved rounds. The watchdog "
         "thread itself runs about 2,000 instructions a second; the few instructions per op "
         "that 'on' shows in this one-thread program are glibc's: with a second thread alive, "
         "its mutex unlock takes the multi-threaded path (3 instructions more), as in any "
         "program that has threads of its own.", "",
         "| mode | instructions/op off | on | ns/op off | on | CPU ns/op off | on |",
         "|---|---|---|---|---|---|---|"]
    f = lambda v: "—" if v is None else f"{v:.1f}"
    for r in rows:
        L.append(f"| {r['mode']} | {f(r.get('instr_off'))} | {f(r.get('instr_on'))} | "
                 f"{f(r.get('ns_off'))} | {f(r.get('ns_on'))} | {f(r.get('cpu_ns_off'))} | "
                 f"{f(r.get('cpu_ns_on'))} |")
    L.append("")
    return L


# ---- Markdown -------------------------------------------------------------

def fmt_ns(v):
    if v is None:
        return "—"
    if v >= 100000:
        return f"{v / 1000:,.0f} µs"
    if v >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}"


def fmt_count(n):
    for unit, k in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= k * 0.99:
            return f"{n / k:.0f} {unit}"
    return str(n)


def fmt_ratio(r):
    return "—" if r is None else f"{r:.2f}x"


def fmt_ns_added(a):
    return "—" if a is None else f"{a:+.1f} ns"


def fmt_pct(p):
    return "—" if p is None else f"{p:+.1f} %"


def fmt_bytes(b):
    if b is None:
        return "—"
    for unit, k in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if b >= k:
            return f"{b / k:.1f} {unit}"
    return f"{b} B"


def render_markdown(res):
    m = res["meta"]
    L = []
    L.append("# syncwatch benchmark results")
    L.append("")
    L.append(f"`{m['command']}` on {m['date_utc']} UTC, commit {m['commit']}"
             f"{' (uncommitted changes)' if m.get('dirty') else ''}; {m['cpus']} × {m['cpu']}, "
             f"Linux {m['kernel']}, {m['glibc']}; build {m.get('build_dir', '?')}; "
             f"took {m.get('duration_s', 0):.0f} s.")
    L.append("")
    L.append("Ratios and added ns are medians over interleaved rounds of the per-round figure "
             "(mode ÷ native in the same round). ns/op is the time each thread spends per "
             "operation (bench/README.md defines the operations).")
    L.append("")
    if res["micro"]:
        L.append("## Microbenchmarks (ns per op)")
        L.append("")
        peers = sorted({p for r in res["micro"] for p in r["peers"]},
                       key=lambda x: ["helgrind", "drd", "tsan"].index(x))
        head = ["bench", "thr", "native", "profile", "× / +ns", "trace", "× / +ns"] + peers
        L.append("| " + " | ".join(head) + " |")
        L.append("|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|")
        for r in res["micro"]:
            md = r["modes"]
            cells = [r["bench"], str(r["threads"]), fmt_ns(md["native"]["ns_per_op"])]
            for mode in SHIM_MODES:
                e = md.get(mode)
                if not e:
                    cells += ["—", "—"]
                    continue
                cells.append(fmt_ns(e["ns_per_op"]))
                cells.append(f"{fmt_ratio(e.get('ratio'))} / {fmt_ns_added(e.get('added_ns'))}")
            for p in peers:
                e = r["peers"].get(p)
                if not e:
                    cells.append("")
                elif "error" in e:
                    cells.append(e["error"][:30])
                else:
                    cells.append(f"{fmt_ns(e['ns_per_op'])} ({fmt_ratio(e['ratio'])})")
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
    if any(r["modes"]["native"].get("cpu_ns_per_op") for r in res["micro"]):
        L.append("## Microbenchmarks, CPU time per op (ns)")
        L.append("")
        L.append("The threads' CPU time in the loop ÷ (iterations × threads): blocked and "
                 "preempted time left out, so other load on the machine disturbs it less; for "
                 "the rings it leaves out the hand-off latency.")
        L.append("")
        L.append("| bench | thr | native | profile | +ns | trace | +ns |")
        L.append("|---|---|---:|---:|---:|---:|---:|")
        for r in res["micro"]:
            md = r["modes"]
            cells = [r["bench"], str(r["threads"]), fmt_ns(md["native"].get("cpu_ns_per_op"))]
            for mode in SHIM_MODES:
                e = md.get(mode, {})
                cells.append(fmt_ns(e.get("cpu_ns_per_op")))
                ca = e.get("cpu_added_ns")
                cells.append("—" if ca is None else f"{ca:+.1f}")
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
    if res["callgrind"]:
        L.append("## Instructions per op (callgrind, 1 thread; reproducible, load-independent)")
        L.append("")
        L.append("| bench | native | profile | added | trace | added |")
        L.append("|---|---:|---:|---:|---:|---:|")
        for r in res["callgrind"]:
            cells = [r["bench"]]
            for mode in MODES:
                e = r["modes"].get(mode, {})
                v = e.get("instructions_per_op")
                cells.append("—" if v is None else f"{v:.1f}")
                if mode != "native":
                    a = e.get("added")
                    cells.append("—" if a is None else f"{a:+.1f}")
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
        for r in res["callgrind"][:1]:
            for mode in SHIM_MODES:
                fns = r["modes"].get(mode, {}).get("functions")
                if fns:
                    L.append(f"Where the instructions of one `{r['bench']}` op go in {mode} mode "
                             "(self instructions per op): " +
                             ", ".join(f"`{f}` {v:.1f}" for f, v in fns[:8]) + ".")
                    L.append("")
    if res["real"]:
        L.append("## Real programs")
        L.append("")
        L.append("| program | metric | native | profile | trace | helgrind | drd | "
                 "trace file (profile / trace) | trace events | bytes/event |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in res["real"]:
            md = r["modes"]
            cells = [r["what"], r["metric"], fmt_val(md["native"]["value"])]
            for mode in SHIM_MODES:
                e = md.get(mode)
                cells.append("—" if not e else f"{fmt_val(e['value'])} ({fmt_pct_ratio(e.get('ratio'))}; "
                             f"cpu {fmt_pct_ratio(e.get('cpu_ratio'))})")
            for p in VALGRIND_PEERS:
                e = r["peers"].get(p)
                if not e:
                    cells.append("—")
                elif "error" in e:
                    cells.append(e["error"][:40])
                else:
                    on = f" on {r['peer_input']}" if r.get("peer_input") else ""
                    cells.append(f"{fmt_ratio(e['ratio'])}{on}")
            ps = md.get("profile", {}).get("trace") or {}
            ts = md.get("trace", {}).get("trace") or {}
            cells.append(f"{fmt_bytes(ps.get('file_bytes'))} / {fmt_bytes(ts.get('file_bytes'))}")
            recs = ts.get("records")
            cells.append("—" if not recs else f"{recs:,}")
            cells.append("—" if not recs else f"{ts['file_bytes'] / recs:.1f}")
            L.append("| " + " | ".join(cells) + " |")
        L.append("")
        for r in res["real"]:
            for mode in SHIM_MODES:
                top = r["modes"].get(mode, {}).get("perf_top")
                if top:
                    L.append(f"Where {r['program']} spends its time in {mode} mode (perf, self "
                             "time by object, then the shim's top functions): " +
                             ", ".join(f"`{f}` {v:.1f} %" for f, v in top) + ".")
                    L.append("")
        L.append("profile and trace: value (change against native, median of per-round ratios; "
                 "cpu: the same for user+system CPU time of the traced process, which other "
                 "builds on the machine disturb less than wall time). "
                 "helgrind and drd: slowdown against native; they are 20-1000x slower, so pigz and "
                 "python run a smaller input for them and are compared with a native run of that "
                 "input; memcached is compared by µs per request, its client stopping at a time cap.")
        L.append("")
    traces = [(r, r["modes"]["trace"]["trace"]) for r in res["micro"]
              if r["modes"].get("trace", {}).get("trace", {}).get("records")]
    if traces:
        L.append("## Trace size (trace mode, microbenchmarks)")
        L.append("")
        L.append("| bench | thr | ops | records | record bytes/event | file bytes/event | file |")
        L.append("|---|---:|---:|---:|---:|---:|---:|")
        for r, st in traces:
            L.append(f"| {r['bench']} | {r['threads']} | {st['ops']:,} | {st['records']:,} | "
                     f"{st['record_bytes'] / st['records']:.2f} | "
                     f"{st['file_bytes'] / st['records']:.2f} | {fmt_bytes(st['file_bytes'])} |")
        L.append("")
    if res["analyzer"]:
        L.append("## Analyzer (`syncwatch-report TRACE` on a generated trace)")
        L.append("")
        L.append("| events | file | bytes/event | wall | events/s | peak RSS | "
                 "of it: heap (RssAnon) / mapped file (RssFile), sampled |")
        L.append("|---:|---:|---:|---:|---:|---:|---:|")
        for a in res["analyzer"]:
            if "wall_s" in a:
                L.append(f"| {a['events']:,} | {fmt_bytes(a['file_bytes'])} | "
                         f"{a['bytes_per_event']:.2f} | {a['wall_s']:.2f} s | "
                         f"{a['events_per_s'] / 1e6:.2f} M | {a['peak_rss_mb']:.0f} MB | "
                         f"{a.get('peak_anon_mb', 0):.0f} MB / {a.get('peak_file_mb', 0):.0f} MB |")
            else:
                L.append(f"| {a['events']:,} | {fmt_bytes(a['file_bytes'])} | "
                         f"{a['bytes_per_event']:.2f} | {a.get('error', 'not run')[:60]} | | | |")
        L.append("")
        if res.get("analyzer_profile"):
            L.append(f"Where the analyzer spends its time on {res['analyzer'][0]['events']:,} events "
                     "(perf, self time): " +
                     ", ".join(f"`{f}` {v:.1f} %" for f, v in res["analyzer_profile"]) + ".")
            L.append("")
    L += render_shortlived(res)
    L += render_watchdog(res)
    if res.get("targets"):
        L.append("## Targets")
        L.append("")
        L.append("| target | measured | met | note |")
        L.append("|---|---|---|---|")
        for t in res["targets"]:
            met = "—" if t["met"] is None else ("yes" if t["met"] else "**no**")
            L.append(f"| {t['target']} | {t['measured']} | {met} | {t['note']} |")
        L.append("")
    render_sites(res, L)
    if res["notes"]:
        L.append("## Notes from this run")
        L.append("")
        for n in res["notes"]:
            L.append(f"- {n}")
        L.append("")
    return "\n".join(L)


def fmt_val(v):
    if v is None:
        return "—"
    return f"{v:.2f}" if v < 100 else f"{v:.0f}"


def render_sites(res, L):
    """The sites section (Bench.run_sites): ns per lock pair (wall and CPU)
    and instructions per pair, per mode."""
    rows = res.get("sites")
    if not rows:
        return
    L.append("## Shared return addresses: a lock wrapper, locks in a signal handler (1 thread)")
    L.append("")
    L.append("ns per lock pair, medians of interleaved rounds (wall / CPU); instructions per pair "
             "from callgrind. `wrapper`: one lock/unlock helper pair called from four places; "
             "`direct4`: the same four places calling pthread directly; `signal`: the loop's "
             "pair while a handler locks 20,000 times a second, and the handler's own pair.")
    L.append("")
    L.append("| bench | mode | ns/pair wall | ns/pair CPU | instructions/pair | handler ns/pair |")
    L.append("|---|---|---:|---:|---:|---:|")
    for r in rows:
        for m in MODES:
            e = r["modes"].get(m)
            if not e:
                continue
            ins = e.get("instructions_per_op")
            h = e.get("handler_ns_per_pair")
            L.append(f"| {r['bench']} | {m} | {fmt_ns(e.get('ns_per_op'))} | "
                     f"{fmt_ns(e.get('cpu_ns_per_op'))} | {'—' if ins is None else f'{ins:.0f}'} | "
                     f"{'—' if h is None else fmt_ns(h)} |")
    L.append("")


def fmt_pct_ratio(r):
    return "—" if r is None else f"{(r - 1) * 100:+.1f} %"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="seconds-long run that proves the harness")
    ap.add_argument("--build", default=os.path.join(REPO, "build"), help="build directory")
    ap.add_argument("--out", default=os.path.join(HERE, "results"), help="where latest.md/json go")
    ap.add_argument("--work", help="scratch directory (default BUILD/bench/work)")
    ap.add_argument("--only", help="comma list of sections: micro,callgrind,sites,real,analyzer,shortlived,watchdog")
    ap.add_argument("--print", action="store_true", help="print the Markdown when done")
    args = ap.parse_args()
    return Bench(args).run()


if __name__ == "__main__":
    sys.exit(main())
