"""A tiny runner for end-to-end test scripts made of cases: each case is a
function that runs real programs and records problems; the script prints
one line per case and the closing 'N passed, N failed' line, and exits 1
when any case failed."""
import os
import tempfile


class Case:
    def __init__(self, name):
        self.name = name
        self.problems = []

    def check(self, cond, what):
        if not cond:
            self.problems.append(what)


def run_cases(cases, args, prefix, setup=None):
    """Runs each case(args, case, tmp) in a fresh temporary directory;
    setup(tmp), if given, prepares the directory first.  Returns the exit
    status."""
    failed = 0
    for fn in cases:
        c = Case(fn.__name__)
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            if setup:
                setup(tmp)
            try:
                fn(args, c, tmp)
            except Exception as e:  # a broken case is a failed case, with its reason
                c.problems.append("%s: %s" % (type(e).__name__, e))
        print("%-28s %s" % (c.name, "ok" if not c.problems else "FAILED"))
        for p in c.problems:
            print("    " + p)
        failed += bool(c.problems)
    print("%d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


def abspaths(args, *names):
    for n in names:
        setattr(args, n, os.path.abspath(getattr(args, n)))
