#!/usr/bin/python3
"""End-to-end tests of the shim's trace-file guarantees (docs/shim.md,
"Guarantees: trace files, exec and a full disk"): tests/e2e/files_prog.c runs
under the shim; each test checks the program's own result and the report.

    test_shim_files.py --shim LIB --report BIN --prog files_prog [unittest args]
"""
import argparse
import json
import os
import pwd
import resource
import shutil
import stat
import struct
import ctypes
import mmap
import subprocess
import sys
import tempfile
import unittest

ARGS = None
TIMEOUT = 120  # seconds per program run: generous, never a timing assertion


def base_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNCWATCH_")}
    env.pop("LD_PRELOAD", None)
    env["LD_PRELOAD"] = ARGS.shim
    env.update(extra)
    return env


def run_prog(args, env, preexec=None, cwd=None):
    """Runs files_prog ARGS; returns (exit status, stdout, stderr)."""
    p = subprocess.run([ARGS.prog] + args, env=env, capture_output=True, text=True,
                       timeout=TIMEOUT, preexec_fn=preexec, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def report(*paths, extra=()):
    """syncwatch-report --format json PATHS: (exit status, parsed JSON, stderr)."""
    p = subprocess.run([ARGS.report, "--format", "json", *extra, *paths],
                       capture_output=True, text=True, timeout=TIMEOUT)
    doc = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, doc, p.stderr


def text_report(*paths):
    p = subprocess.run([ARGS.report, "--no-color", *paths], capture_output=True, text=True,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def cycles(doc):
    return [f for f in doc["findings"] if f["kind"] == "cycle" and not f["pruned"]]


def traces_in(d):
    return sorted(n for n in os.listdir(d) if ".swt" in n)


class Base(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="sw-files-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def assertRan(self, res, want=0):
        rc, out, err = res
        self.assertEqual(rc, want, "program exit %d\nstdout:\n%s\nstderr:\n%s" % (rc, out, err))

class TraceFileTests(Base):
    """Item 9 and 10: exclusive, private trace files; created directories."""

    def test_planted_symlink_is_never_followed(self):
        victim = self.path("victim")
        with open(victim, "w") as f:
            f.write("precious\n")
        os.symlink(victim, self.path("trace.swt"))
        res = run_prog(["abba"], base_env(SYNCWATCH_OUTPUT=self.path("trace.swt")))
        self.assertRan(res)
        with open(victim) as f:
            self.assertEqual(f.read(), "precious\n")
        self.assertTrue(os.path.islink(self.path("trace.swt")))
        moved = self.path("trace.swt.1")
        self.assertTrue(stat.S_ISREG(os.lstat(moved).st_mode))
        self.assertIn("writing the trace to %s instead" % moved, res[2])
        self.assertEqual(res[2].count("syncwatch:"), 1, res[2])
        rc, doc, err = report(moved)
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(cycles(doc)), 1)

    def test_dangling_symlink_creates_nothing(self):
        target = self.path("made-by-link")
        os.symlink(target, self.path("trace.swt"))
        self.assertRan(run_prog(["abba"], base_env(SYNCWATCH_OUTPUT=self.path("trace.swt"))))
        self.assertFalse(os.path.lexists(target))
        self.assertTrue(os.path.isfile(self.path("trace.swt.1")))

    def test_existing_file_is_never_truncated(self):
        other = self.path("t.swt")
        with open(other, "w") as f:
            f.write("another user's data\n")
        os.chmod(other, 0o666)
        if os.geteuid() == 0:
            os.chown(other, pwd.getpwnam("nobody").pw_uid, -1)
        before = os.stat(other)
        res = run_prog(["abba"], base_env(SYNCWATCH_OUTPUT=other))
        self.assertRan(res)
        after = os.stat(other)
        with open(other) as f:
            self.assertEqual(f.read(), "another user's data\n")
        self.assertEqual((before.st_uid, before.st_size, before.st_ino),
                         (after.st_uid, after.st_size, after.st_ino))
        rc, doc, _ = report(other + ".1")
        self.assertEqual(len(cycles(doc)), 1)

    def test_taken_names_get_the_next_free_suffix(self):
        spec = self.path("run.swt")
        for i in range(3):
            self.assertRan(run_prog(["clean"], base_env(SYNCWATCH_OUTPUT=spec)))
        self.assertEqual(traces_in(self.dir), ["run.swt", "run.swt.1", "run.swt.2"])

    def test_trace_is_private(self):
        self.assertRan(run_prog(["abba"], base_env(SYNCWATCH_OUTPUT=self.dir + "/")))
        (name,) = traces_in(self.dir)
        self.assertEqual(stat.S_IMODE(os.stat(self.path(name)).st_mode), 0o600)

    def test_missing_directory_is_created_private(self):
        for spec, sub in ((self.path("new") + "/", "new"),
                          (self.path("demo", "abba.swt"), "demo")):
            res = run_prog(["abba"], base_env(SYNCWATCH_OUTPUT=spec))
            self.assertRan(res)
            d = self.path(sub)
            self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)
            self.assertEqual(len(traces_in(d)), 1)
            rc, doc, err = report(d)
            self.assertEqual(rc, 1, err)
            self.assertEqual(len(cycles(doc)), 1)

class EnvironmentTests(Base):
    """Item 12: a misspelt SYNCWATCH_* name is warned about, once."""

    def test_misspelt_name_is_warned_about(self):
        wanted = self.path("wanted") + "/"
        res = run_prog(["abba"], base_env(SYNCWATCH_OUPUT=wanted), cwd=self.dir)
        self.assertRan(res)
        lines = [l for l in res[2].splitlines() if l.startswith("syncwatch:")]
        self.assertEqual(lines, ["syncwatch: SYNCWATCH_OUPUT is not a syncwatch variable and is "
                                 "ignored; did you mean SYNCWATCH_OUTPUT?"])
        # Ignored: the trace is at the default place.
        self.assertFalse(os.path.exists(wanted))
        self.assertEqual(len(traces_in(self.dir)), 1)

    def test_unknown_name_without_a_close_one(self):
        res = run_prog(["clean"], base_env(SYNCWATCH_OUTPUT=self.dir + "/", SYNCWATCH_COLOUR="1"))
        self.assertRan(res)
        self.assertIn("syncwatch: SYNCWATCH_COLOUR is not a syncwatch variable and is ignored "
                      "(known: SYNCWATCH_OUTPUT,", res[2])

    def test_quiet_silences_the_warning(self):
        res = run_prog(["clean"], base_env(SYNCWATCH_OUTPUT=self.dir + "/", SYNCWATCH_OUPUT="x",
                                           SYNCWATCH_QUIET="1"))
        self.assertRan(res)
        self.assertNotIn("syncwatch:", res[2])

    def test_exec_children_do_not_repeat_it(self):
        res = run_prog(["exec", "execv"], base_env(SYNCWATCH_OUTPUT=self.dir + "/",
                                                   SYNCWATCH_OUPUT="x"))
        self.assertRan(res)
        self.assertEqual(res[2].count("SYNCWATCH_OUPUT"), 1, res[2])

def trusted_libdir():
    """The directory of this machine's libc: a standard search directory,
    from which a secure-execution process may preload a setuid library."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "/libc.so" in path or "/libc-" in path:
                return os.path.dirname(path)
    return None


class SecureExecutionTests(Base):
    """Item 11: in a secure-execution process the shim does nothing.

    A setuid-root copy of files_prog runs as user nobody.  The loader then
    ignores a preload path with a slash, and preloads a bare name only from
    a standard directory and only if that library is setuid: the test puts
    a setuid copy of the shim there for the run (and removes it), so the
    shim is loaded (the program checks its own maps) and must stay silent:
    no file, no message, the program's result unchanged."""

    def test_setuid_program_is_left_alone(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to make a setuid-root program (CI runs as root)")
        libdir = trusted_libdir()
        self.assertIsNotNone(libdir)
        nobody = pwd.getpwnam("nobody")
        os.chmod(self.dir, 0o755)
        prog = self.path("files_prog")
        shutil.copy(ARGS.prog, prog)
        os.chmod(prog, 0o4755)
        out = self.path("out")
        os.mkdir(out)
        os.chmod(out, 0o777)
        lib = os.path.join(libdir, "libsyncwatch-secure-test.%d.so" % os.getpid())
        shutil.copy(ARGS.shim, lib)
        try:
            os.chmod(lib, 0o4755)
            env = base_env(LD_PRELOAD=os.path.basename(lib), SYNCWATCH_OUTPUT=out + "/",
                           SYNCWATCH_MODE="bogus", SYNCWATCH_OUPUT="misspelt")

            def drop():
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)

            p = subprocess.run([prog, "maps"], env=env, capture_output=True, text=True,
                               timeout=TIMEOUT, preexec_fn=drop)
        finally:
            os.unlink(lib)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("files_prog: shim mapped", p.stdout)
        self.assertIn("files_prog: 1 thread before any", p.stdout)  # no watchdog thread
        self.assertEqual(p.stderr, "")
        self.assertEqual(os.listdir(out), [])

def file_limit(nbytes):
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return apply


class FullDiskTests(Base):
    """Item 5: a full disk (here RLIMIT_FSIZE, the portable reproducer) costs
    the program little: events are dropped and counted without system calls,
    the trace stays readable, and the report states the drops.  The bound on
    time is the test's timeout, never an assertion."""

    LOOPS = 500000  # per thread, 2 threads

    def check(self, limit, res_want_traced):
        out = self.path("t") + "/"
        res = run_prog(["lockloop", str(self.LOOPS)], base_env(SYNCWATCH_OUTPUT=out),
                       preexec=file_limit(limit))
        self.assertRan(res)
        self.assertIn("files_prog: %d lock loops done" % (2 * self.LOOPS), res[1])
        rc, doc, err = report(out)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("truncated", err)
        # A chunk is counted only once the file holds it.
        self.assertNotIn("never added to the file", err)
        self.assertGreater(doc["dropped_events"], 0)
        if res_want_traced:
            self.assertGreater(doc["events"], 0)
        rc, text, _ = text_report(out)
        self.assertIn("note: the recorder dropped %d events" % doc["dropped_events"], text)
        return doc

    def test_file_limit_drops_are_counted(self):
        # Room for the header and a few chunks: the run starts traced, then
        # every chunk allocation fails.
        doc = self.check(200 * 1024, True)
        self.assertGreater(doc["dropped_events"], self.LOOPS)

    def test_no_chunk_at_all(self):
        # Room for the header only: no thread gets a chunk; the events are
        # still counted and the trace is not taken for a cut file.
        self.check(8 * 1024, False)

EXEC_FNS = ["execve", "execv", "execvp", "execvpe", "execl", "execle", "execlp", "fexecve"]


class ExecTests(Base):
    """Item 4: exec keeps the trace of the image before it; both images are
    one process's life in the report."""

    def out(self):
        return self.path("t") + "/"

    def images(self, doc):
        return sorted(doc["processes"], key=lambda p: p["exec_generation"])

    def test_every_exec_function_keeps_the_earlier_image(self):
        for fn in EXEC_FNS:
            with self.subTest(fn=fn):
                d = self.path(fn)
                res = run_prog(["exec", fn], base_env(SYNCWATCH_OUTPUT=d + "/"))
                self.assertRan(res)
                self.assertIn("files_prog: clean done", res[1])
                names = traces_in(d)
                self.assertEqual(len(names), 2, names)
                rc, doc, err = report(d)
                self.assertEqual(rc, 1, err)
                self.assertEqual(len(cycles(doc)), 1)
                first, second = self.images(doc)
                self.assertEqual(first["pid"], second["pid"])
                self.assertEqual((first["exec_generation"], second["exec_generation"]), (0, 1))
                self.assertEqual(names, sorted(["syncwatch.%d.swt" % first["pid"],
                                                "syncwatch.%d.exec1.swt" % first["pid"]]))
                self.assertEqual(first["exec_next"], doc["processes"].index(second))
                self.assertEqual(second["exec_prev"], doc["processes"].index(first))
                self.assertFalse(first["killed"])
                self.assertEqual(second["cmdline"], "files_prog clean")
                rc, text, _ = text_report(d)
                self.assertIn("(pid %d) -> exec files_prog clean\n" % first["pid"], text)
                info = subprocess.run([ARGS.report, "info", second["file"]], capture_output=True,
                                      text=True, timeout=TIMEOUT).stdout
                self.assertIn("exec image:      1 (pid %d exec'ed 1 traced image before this "
                              "one)" % first["pid"], info)

    def test_exec_chain(self):
        res = run_prog(["exec", "execv", "exec", "execve"], base_env(SYNCWATCH_OUTPUT=self.out()))
        self.assertRan(res)
        rc, doc, err = report(self.out())
        self.assertEqual(rc, 1, err)
        gens = [p["exec_generation"] for p in self.images(doc)]
        self.assertEqual(gens, [0, 1, 2])
        self.assertEqual(len({p["pid"] for p in doc["processes"]}), 1)

    def test_named_output(self):
        spec = self.path("run.swt")
        self.assertRan(run_prog(["exec", "execv"], base_env(SYNCWATCH_OUTPUT=spec)))
        names = traces_in(self.dir)
        self.assertEqual(len(names), 2, names)
        self.assertEqual(names[0], "run.swt")
        self.assertRegex(names[1], r"^run\.swt\.\d+\.exec1$")
        rc, doc, err = report(*[self.path(n) for n in names])
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(doc["processes"]), 2)

    def test_failed_exec_returns_with_errno_and_tracing_goes_on(self):
        for fn in EXEC_FNS:
            with self.subTest(fn=fn):
                d = self.path(fn)
                res = run_prog(["exec-fail", fn], base_env(SYNCWATCH_OUTPUT=d + "/"))
                self.assertRan(res)  # the program checked -1 and ENOENT itself
                self.assertIn("files_prog: clean done", res[1])
                self.assertEqual(len(traces_in(d)), 1)
                rc, doc, err = report(d)
                self.assertEqual(rc, 1, err)
                self.assertEqual(len(cycles(doc)), 1)
                (p,) = doc["processes"]
                self.assertTrue(p["ended"])
                self.assertFalse(p["killed"])
                # the lock of "clean", after the failed exec, is in the trace
                self.assertEqual(len(doc["locks"]), 3)

    def test_relative_output_survives_chdir_before_exec(self):
        res = run_prog(["exec-chdir"], base_env(SYNCWATCH_OUTPUT="rel/"), cwd=self.dir)
        self.assertRan(res)
        self.assertEqual(len(traces_in(self.path("rel"))), 2)
        rc, doc, err = report(self.path("rel"))
        self.assertEqual(rc, 1, err)
        self.assertEqual([p["exec_generation"] for p in self.images(doc)], [0, 1])

    def test_own_variables_pass_unchanged(self):
        res = run_prog(["exec-env"], base_env(SYNCWATCH_OUTPUT=self.out(), FILES_PROG_MARK="kept"))
        self.assertRan(res)
        self.assertEqual(len(traces_in(self.out())), 2)
        # The run passed on: run id, this pid, generation 1, and the clock
        # calibration (item 8: the new image does not calibrate again).
        line = [l for l in res[1].splitlines() if "SYNCWATCH_RUN_ID=" in l][0]
        run, pid, gen, clock = line.split("=", 1)[1].split(":")
        rc, doc, _ = report(self.out())
        first = self.images(doc)[0]
        self.assertEqual((int(pid), gen), (first["pid"], "1"))
        with open(first["file"], "rb") as f:
            head = f.read(80)
        self.assertEqual(int(run, 16), struct.unpack_from("<Q", head, 32)[0])
        hdr_clock = struct.unpack_from("<I", head, 56)[0]
        self.assertEqual(int(clock, 16) != 0, hdr_clock == 2)  # 2: TSC, 0 passed for monotonic

    def test_environment_without_syncwatch_variables(self):
        # The program hands exec an environment without SYNCWATCH_*: the new
        # image starts a run of its own, at the default place; the earlier
        # image's trace is kept.
        res = run_prog(["exec-noenv"], base_env(SYNCWATCH_OUTPUT=self.out()), cwd=self.dir)
        self.assertRan(res)
        (first,) = traces_in(self.out())
        rc, doc, err = report(self.out())
        self.assertEqual(rc, 1, err)
        self.assertEqual(len(cycles(doc)), 1)
        (second,) = [n for n in traces_in(self.dir) if n != "t"]
        self.assertEqual(second, first)  # same pid, default name, another directory
        rc, doc2, err = report(self.path(second))
        self.assertEqual(rc, 0, err)
        self.assertEqual(doc2["processes"][0]["cmdline"], "files_prog clean")

    def test_vfork_child_exec_leaves_the_parent_trace_open(self):
        res = run_prog(["vfork-exec"], base_env(SYNCWATCH_OUTPUT=self.out()))
        self.assertRan(res)
        rc, doc, err = report(self.out())
        self.assertEqual(rc, 1, err)  # the parent's abba after the vfork is traced
        self.assertEqual(len(cycles(doc)), 1)
        self.assertEqual(len(doc["processes"]), 2)
        self.assertEqual(len({p["pid"] for p in doc["processes"]}), 2)
        self.assertTrue(all(p["exec_generation"] == 0 for p in doc["processes"]))

def resident_pages(path):
    """(pages of the file in the page cache, pages of the file): mincore
    over a read-only mapping."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = os.path.getsize(path)
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap")
        vec = (ctypes.c_ubyte * pages)()
        rc = libc.mincore(addr, size, vec)
        err = ctypes.get_errno()
        libc.munmap(addr, size)
    finally:
        os.close(fd)
    if rc != 0:
        raise OSError(err, "mincore")
    return sum(v & 1 for v in vec), pages


class ShortLivedTests(Base):
    """Item 8: a thread that does little lock work costs little: the shim
    brings in only the pages of its chunks it touches (no read-ahead of the
    whole chunk and the ones fallocated after it)."""

    def test_short_threads_touch_few_pages(self):
        n = 300
        res = run_prog(["threads", str(n)], base_env(SYNCWATCH_OUTPUT=self.dir + "/",
                                                     SYNCWATCH_MODE="profile"))
        self.assertRan(res)
        (name,) = traces_in(self.dir)
        resident, pages = resident_pages(self.path(name))
        # Each thread has two 64 KiB chunks (32 pages) and writes a few of
        # them; read-ahead would bring in nearly all.
        self.assertLess(resident, pages // 4, "%d of %d pages resident" % (resident, pages))
        rc, doc, err = report(self.dir)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(doc["threads"]), n + 1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--report", required=True)
    ap.add_argument("--prog", required=True)
    ARGS, rest = ap.parse_known_args()
    ARGS.shim, ARGS.report, ARGS.prog = map(os.path.abspath, (ARGS.shim, ARGS.report, ARGS.prog))
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
