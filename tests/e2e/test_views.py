#!/usr/bin/python3
"""End-to-end tests of the views of syncwatch-report (docs/views.md): the
lock-order graph in DOT, collapsed stacks for flame graphs, the Trace Event
JSON for Perfetto and the self-contained HTML page, each on samples run
under the shim.

    test_views.py --shim LIB --report BIN --samples DIR --source DIR
                  --cc CC --artifacts DIR --tracegen BIN CASE...

Each CASE is one ctest test (dot, folded, ...); the closing line counts the
cases, the exit status is 1 when a check failed.  Nothing here depends on
timing: weights are compared with each other, never with numbers.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cases import abspaths, run_cases  # noqa: E402

# A program whose thread is named with the characters every view must
# escape, and that takes two locks in both orders (a cycle): its names reach
# every part of every view.
HOSTILE_NAME = '<b>"x;y\\'
HOSTILE_C = r'''
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static __attribute__((noinline)) void take_both(pthread_mutex_t *x, pthread_mutex_t *y)
{
    pthread_mutex_lock(x);
    pthread_mutex_lock(y);
    pthread_mutex_unlock(y);
    pthread_mutex_unlock(x);
}
static void *other(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "%s");
    take_both(&lock_b, &lock_a);
    return NULL;
}
int main(void)
{
    take_both(&lock_a, &lock_b);
    pthread_t t;
    pthread_create(&t, NULL, other, NULL);
    pthread_join(t, NULL);
    return 0;
}
''' % HOSTILE_NAME.replace("\\", "\\\\").replace('"', '\\"')

TRACES = {}


def trace(a, tmp, name, cmd=None, mode=None):
    """Runs a sample (or cmd) under the shim once per case; returns the
    trace directory."""
    key = (name, mode)
    if key in TRACES and os.path.isdir(TRACES[key]):
        return TRACES[key]
    out = os.path.join(tmp, "traces-%s-%s" % (name, mode or "trace"))
    os.makedirs(out)
    if cmd is None:
        cmd = ([sys.executable, os.path.join(a.source, "samples", name + ".py")]
               if name.startswith("py_") else [os.path.join(a.samples, name)])
    env = dict(os.environ, LD_PRELOAD=a.shim, SYNCWATCH_OUTPUT=out + "/", SYNCWATCH_QUIET="1")
    if mode:
        env["SYNCWATCH_MODE"] = mode
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=120)
    TRACES[key] = out
    return out


def hostile(a, tmp):
    src = os.path.join(tmp, "hostile.c")
    with open(src, "w") as f:
        f.write(HOSTILE_C)
    exe = os.path.join(tmp, "hostile")
    subprocess.run([a.cc, "-g", "-O0", "-pthread", "-o", exe, src], check=True)
    return trace(a, tmp, "hostile", [exe])


def report(a, *args):
    p = subprocess.run([a.report, "--no-color"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    if p.returncode < 0 or p.returncode > 1:
        raise RuntimeError("syncwatch-report %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                                 p.stderr.decode()))
    return p.stdout.decode("utf-8", "replace")


def report_file(a, path, *args):
    report(a, "-o", path, *args)
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def artifact(a, name):
    os.makedirs(a.artifacts, exist_ok=True)
    return os.path.join(a.artifacts, name)


# ---- dot ----

def dot_edges(text):
    """{(from label, to label): attribute text} of a DOT file as we write it."""
    labels = {n: re.sub(r"^L\d+ \((.*)\)$", r"\1", t) for n, t in
              re.findall(r'^\s*(L\d+) \[label="((?:[^"\\]|\\.)*)"', text, re.M)}
    edges = {}
    for f, t, attrs in re.findall(r'^\s*(L\d+) -> (L\d+) \[(.*)\];$', text, re.M):
        edges[(labels.get(f), labels.get(t))] = attrs
    return edges


def svg_of(c, dotfile):
    p = subprocess.run(["dot", "-Tsvg", dotfile], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c.check(p.returncode == 0 and not p.stderr.strip(),
            "%s: dot -Tsvg: exit %d: %s" % (dotfile, p.returncode, p.stderr.decode()[:500]))
    return p.stdout.decode("utf-8", "replace")


def case_dot(a, c, tmp):
    # abba: the two edges of the cycle are red and bold; -o .dot picks DOT
    text = report_file(a, os.path.join(tmp, "abba.dot"), trace(a, tmp, "abba"))
    c.check(text.startswith("digraph"), "abba.dot is not a digraph: %r" % text[:100])
    e = dot_edges(text)
    for k in [("lock_a", "lock_b"), ("lock_b", "lock_a")]:
        c.check(k in e and "color=red" in e[k] and "bold" in e[k],
                "abba: edge %s not a red cycle edge: %r" % (k, e.get(k)))
    svg_of(c, os.path.join(tmp, "abba.dot"))
    shutil.copy(os.path.join(tmp, "abba.dot"), artifact(a, "abba.dot"))
    # .gv is DOT too
    gv = report_file(a, os.path.join(tmp, "abba.gv"), trace(a, tmp, "abba"))
    c.check(gv == text, "-o abba.gv differs from -o abba.dot")

    # dining philosophers: a five-lock ring, every edge red
    text = report(a, "--format", "dot", trace(a, tmp, "dining_philosophers"))
    e = dot_edges(text)
    red = [k for k, v in e.items() if "color=red" in v]
    c.check(len(red) >= 5, "dining_philosophers: %d red edges, want the 5 of the ring: %s"
            % (len(red), sorted(e)))
    path = os.path.join(tmp, "dp.dot")
    with open(path, "w") as f:
        f.write(text)
    svg_of(c, path)

    # a cycle ruled out by a pruning rule: dashed, the rule given
    # (single_thread_abba's inversion is a reported note now: rwlock_read_read)
    text = report(a, "--format", "dot", trace(a, tmp, "rwlock_read_read"))
    e = dot_edges(text)
    c.check(e and all("style=dashed" in v and "read-read" in v for v in e.values()),
            "rwlock_read_read: edges not dashed with their rule: %s" % e)
    c.check("color=red" not in text, "rwlock_read_read: a pruned cycle is red")

    # Python: the threading.Lock cycle of py_abba
    text = report(a, "--format", "dot", trace(a, tmp, "py_abba"))
    c.check(sum("color=red" in v for v in dot_edges(text).values()) >= 2,
            "py_abba: no red cycle edges: %s" % text[:2000])

    # a hostile thread name is escaped: dot parses it, the SVG shows it
    path = os.path.join(tmp, "hostile.dot")
    text = report_file(a, path, hostile(a, tmp))
    svg = svg_of(c, path)
    c.check("&lt;b&gt;&quot;x;y\\" in svg or '&lt;b&gt;"x;y\\' in svg,
            "hostile: the thread name is not in the SVG as text: %s" % svg[:3000])


# ---- folded ----

def folded(text):
    lines = {}
    for ln in text.splitlines():
        stack, _, w = ln.rpartition(" ")
        lines[stack] = int(w)
    return lines


def case_folded(a, c, tmp):
    t = trace(a, tmp, "contention_hotspot")
    text = report_file(a, os.path.join(tmp, "hot.folded"), t)
    shutil.copy(os.path.join(tmp, "hot.folded"), artifact(a, "contention_hotspot.folded"))
    ok = bool(text) and all(re.fullmatch(r"[^\n]+ \d+", ln) for ln in text.splitlines())
    c.check(ok, "not 'frames weight' lines: %r" % text[:500])
    lines = folded(text)
    c.check(len(lines) == len(text.splitlines()), "a stack appears on two lines")
    top = max(lines, key=lines.get) if lines else ""
    frames = top.split(";")
    c.check(frames[-1:] == ["[hot_lock]"] and "slow_update" in frames,
            "the heaviest wait stack is not slow_update waiting for hot_lock: %r" % top)
    c.check(not any(s.endswith("[cold_lock]") for s in lines),
            "cold_lock, never waited for, has wait weight")
    # --weight hold: hold times, cold_lock's too
    holds = folded(report(a, "--format", "folded", "--weight", "hold", t))
    c.check(any(s.endswith("[cold_lock]") for s in holds), "--weight hold: no cold_lock hold")
    c.check(max(holds, key=holds.get).endswith("[hot_lock]"),
            "--weight hold: hot_lock is not the heaviest")
    # profile mode: the per-site counters give the same heaviest stack
    p = folded(report(a, "--format", "folded", trace(a, tmp, "contention_hotspot", mode="profile")))
    c.check(p and max(p, key=p.get).split(";")[-2:] == ["slow_update", "[hot_lock]"],
            "profile mode: heaviest stack %r" % (max(p, key=p.get) if p else None))
    # writer starvation, a Python program: well-formed, waits on the lock
    for s in ["writer_starvation", "py_abba"]:
        text = report(a, "--format", "folded", "--weight", "hold", trace(a, tmp, s))
        c.check(text and all(re.fullmatch(r"[^;\n]+(;[^;\n]+)* \d+", ln)
                             for ln in text.splitlines()), "%s: bad lines %r" % (s, text[:300]))
    # names with ';' keep one frame per name
    text = report(a, "--format", "folded", "--weight", "hold", hostile(a, tmp))
    stacks = folded(text)
    c.check(all(s.split(";")[-1] in ("[lock_a]", "[lock_b]") for s in stacks),
            "hostile: a frame was split: %r" % text)
    # outermost first: main (or the thread's start function), then take_both
    c.check("main;take_both;[lock_b]" in stacks and "other;take_both;[lock_a]" in stacks,
            "hostile: frames not outermost first: %r" % text)
    r = subprocess.run([a.report, "--format", "folded", "--weight", "x", t],
                       stderr=subprocess.PIPE, stdout=subprocess.PIPE)
    c.check(r.returncode == 2 and b"--weight" in r.stderr, "--weight x: exit %d" % r.returncode)


# ---- chrome ----

def check_trace_events(c, what, doc):
    """Structural checks of a Trace Event JSON document; returns its events."""
    ev = doc.get("traceEvents")
    if not (isinstance(ev, list) and ev):
        c.check(False, "%s: no traceEvents" % what)
        return []
    named = {(e["pid"], e["tid"]) for e in ev if e.get("ph") == "M" and e["name"] == "thread_name"}
    procs = {e["pid"] for e in ev if e.get("ph") == "M" and e["name"] == "process_name"}
    starts, ends = {}, {}
    for e in ev:
        ph = e.get("ph")
        if ph in ("X", "B", "E", "i", "s", "f"):
            if not (all(k in e for k in ("ts", "pid", "tid")) and "name" in e):
                c.check(False, "%s: event without ts/pid/tid/name: %r" % (what, e))
                continue
            c.check(isinstance(e["ts"], (int, float)) and e["ts"] >= 0,
                    "%s: bad ts %r" % (what, e))
        if ph == "X":
            c.check(isinstance(e.get("dur"), (int, float)) and e["dur"] >= 0,
                    "%s: X without dur: %r" % (what, e))
        if ph in ("X", "s", "f"):
            c.check((e["pid"], e["tid"]) in named and e["pid"] in procs,
                    "%s: a track without thread_name/process_name: %r" % (what, e))
        if ph == "s":
            starts[e["id"]] = e
        if ph == "f":
            ends[e["id"]] = e
    c.check(set(starts) == set(ends), "%s: flows do not pair up: %d starts, %d ends"
            % (what, len(starts), len(ends)))
    for i in set(starts) & set(ends):
        c.check(starts[i]["ts"] <= ends[i]["ts"], "%s: flow %s ends before it starts" % (what, i))
    return ev


def chrome(a, tmp, name, *args, t=None):
    path = os.path.join(tmp, name + ".trace.json")
    report(a, "-o", path, *args, t or trace(a, tmp, name))
    with open(path) as f:
        return json.load(f)


def reported(a, t):
    return [f for f in json.loads(report(a, "--format", "json", t))["findings"]]


def case_chrome(a, c, tmp):
    for name in ["abba", "dining_philosophers", "contention_hotspot", "mutex_starvation",
                 "py_abba"]:
        doc = chrome(a, tmp, name)
        ev = check_trace_events(c, name, doc)
        c.check(doc["otherData"]["cut"] is False, "%s: cut without need" % name)
        xs = [e for e in ev if e["ph"] == "X"]
        c.check(any(e["cat"] == "hold" for e in xs), "%s: no hold slice" % name)
        inst = [e for e in ev if e["ph"] == "i" and e.get("cat") == "finding"]
        c.check(len(inst) == len(reported(a, trace(a, tmp, name))),
                "%s: %d finding instants for %d findings" % (name, len(inst),
                                                            len(reported(a, trace(a, tmp, name)))))
        if name == "contention_hotspot":
            shutil.copy(os.path.join(tmp, name + ".trace.json"),
                        artifact(a, "contention_hotspot.trace.json"))
            c.check(any(e["cat"] == "wait" and "hot_lock" in e["name"] for e in xs),
                    "contention_hotspot: no wait slice on hot_lock")
            c.check(sum(e["ph"] == "s" for e in ev) > 0, "contention_hotspot: no hand-off flow")
            c.check(len({e["tid"] for e in xs if "hot_lock" in e["name"]}) == 4,
                    "contention_hotspot: hot_lock not on 4 worker tracks")
    # --format chrome -o x.json is chrome too (the word wins over the suffix)
    path = os.path.join(tmp, "x.json")
    report(a, "--format", "chrome", "-o", path, trace(a, tmp, "abba"))
    with open(path) as f:
        c.check("traceEvents" in json.load(f), "--format chrome -o x.json is not chrome")
    # a hostile thread name stays a string
    doc = chrome(a, tmp, "hostile", t=hostile(a, tmp))
    names = [e["args"]["name"] for e in check_trace_events(c, "hostile", doc)
             if e["ph"] == "M" and e["name"] == "thread_name"]
    c.check(any(HOSTILE_NAME in n for n in names), "hostile: thread name lost: %r" % names)
    # a long synthetic trace is cut to the bound, and says so
    big = os.path.join(tmp, "big.swt")
    subprocess.run([a.tracegen, big, "600000"], check=True, stdout=subprocess.DEVNULL)
    doc = chrome(a, tmp, "big", t=big)
    ev = check_trace_events(c, "big", doc)
    od = doc["otherData"]
    c.check(od["cut"] is True and od["slices"] == od["max_slices"] < od["slices_in_run"],
            "big: not cut to the bound: %r" % od)
    c.check(sum(e["ph"] in ("X", "s") for e in ev) == od["max_slices"],
            "big: %d slices, bound %d" % (sum(e["ph"] in ("X", "s") for e in ev), od["max_slices"]))
    c.check(any("trace cut" in e["name"] for e in ev if e["ph"] == "i"), "big: no cut note")
    # --from/--to: only what overlaps the window
    doc = chrome(a, tmp, "bigw", "--from", "2ms", "--to", "3ms", t=big)
    xs = [e for e in check_trace_events(c, "window", doc) if e["ph"] == "X"]
    c.check(xs and all(e["ts"] <= 3000 and e["ts"] + e["dur"] >= 2000 for e in xs),
            "--from 2ms --to 3ms: a slice outside the window")
    r = subprocess.run([a.report, "--format", "chrome", "--from", "3ms", "--to", "2ms", big],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c.check(r.returncode == 2, "--from after --to: exit %d" % r.returncode)


# ---- html ----

def chromium(a, tmp, page, *extra):
    """Loads page in headless Chromium; returns (dumped DOM, console lines)."""
    prof = os.path.join(tmp, "chromium-profile-%d" % len(os.listdir(tmp)))
    os.makedirs(prof)
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--no-first-run", "--user-data-dir=" + prof, "--enable-logging=stderr", "--v=0"]
    cmd += list(extra) + ["file://" + page]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode("utf-8", "replace")
    console = [ln for ln in err.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    return p.stdout.decode("utf-8", "replace"), console


def html_page(a, tmp, name, t=None, env=None):
    path = os.path.join(tmp, name + ".html")
    p = subprocess.run([a.report, "-o", path, t or trace(a, tmp, name)], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode not in (0, 1):
        raise RuntimeError("report -o %s: exit %d %s" % (path, p.returncode, p.stderr.decode()))
    with open(path, encoding="utf-8") as f:
        return path, f.read()


def case_html(a, c, tmp):
    for name in ["abba", "dining_philosophers", "contention_hotspot", "mutex_starvation",
                 "py_abba"]:
        t = trace(a, tmp, name)
        path, text = html_page(a, tmp, name)
        # self-contained: nothing is fetched
        c.check(not re.search(r'<(script|link|img|iframe)[^>]*\b(src|href)=', text, re.I),
                "%s: the page loads something from outside" % name)
        c.check(not re.search(r"https?://(?!www\.w3\.org/)", text),
                "%s: the page names a network address" % name)
        dom, console = chromium(a, tmp, path, "--dump-dom")
        c.check(not console, "%s: console messages: %s" % (name, console[:5]))
        m = re.search(r'id="finding-count">(\d+)<', dom)
        want = len(reported(a, t))
        c.check(m and int(m.group(1)) == want,
                "%s: finding count %s in the page, %d in the JSON" % (name, m and m.group(1), want))
        c.check(dom.count('class="finding ') == want, "%s: %d finding blocks for %d findings"
                % (name, dom.count('class="finding '), want))
        c.check("<svg" in dom, "%s: no inline SVG (graph or timeline)" % name)
        if name in ("abba", "dining_philosophers"):
            locks = ["lock_a", "lock_b"] if name == "abba" else ["fork_lock"]
            cyc = dom[dom.find("The cycle"):]
            c.check(all(lk in cyc[:cyc.find("</svg>")] for lk in locks),
                    "%s: the cycle's graph does not name %s" % (name, locks))
            c.check('class="timeline"' in dom, "%s: no timeline" % name)
        if name == "contention_hotspot":
            c.check('table class="sortable"' in dom and "hot_lock" in dom,
                    "contention_hotspot: no sortable contention table")
        shot = artifact(a, name + ".png")
        if os.path.exists(shot):
            os.unlink(shot)
        chromium(a, tmp, path, "--screenshot=" + shot, "--window-size=1280,2000")
        c.check(os.path.exists(shot) and os.path.getsize(shot) > 10000,
                "%s: no screenshot at %s" % (name, shot))
    # the timeline zooms: a wheel event over it narrows its axis (the page's
    # own script, in the browser; the probe writes what it saw into the DOM)
    path, text = html_page(a, tmp, "zoom", t=trace(a, tmp, "contention_hotspot"))
    probe = ("<script>var sv=document.querySelector('svg.timeline'),r=sv.getBoundingClientRect();"
             "var before=sv.querySelector('text.a1').textContent;"
             "sv.dispatchEvent(new WheelEvent('wheel',{deltaY:-100,clientX:r.left+r.width/2,"
             "clientY:r.top+10,bubbles:true,cancelable:true}));"
             "document.body.setAttribute('data-zoom',before+'|'+"
             "sv.querySelector('text.a1').textContent)</script>")
    with open(path, "w", encoding="utf-8") as f:
        f.write(text.replace("</body>", probe + "</body>"))
    dom, console = chromium(a, tmp, path, "--dump-dom")
    m = re.search(r'data-zoom="([^|"]*)\|([^"]*)"', dom)
    c.check(not console and m and m.group(1) != m.group(2),
            "zoom: the axis did not change: %s %s" % (m and m.groups(), console[:3]))

    # a hostile thread name is text, not markup
    t = hostile(a, tmp)
    path, text = html_page(a, tmp, "hostile", t=t)
    c.check("<b>\"x" not in text, "hostile: the thread name is in the page unescaped")
    dom, console = chromium(a, tmp, path, "--dump-dom")
    c.check(not console, "hostile: console messages: %s" % console[:5])
    c.check("&lt;b&gt;" in dom and "<b>\"x" not in dom,
            "hostile: the name became markup in the DOM")
    # without Graphviz the page says so and shows the edges as a table
    env = dict(os.environ, PATH="/nonexistent")
    path, text = html_page(a, tmp, "abba-nodot", t=trace(a, tmp, "abba"), env=env)
    c.check("could not be run" in text and "<svg class=\"timeline\"" in text
            and "lock_a" in text, "without dot: no note or no table")


CASES = {"dot": case_dot, "folded": case_folded, "chrome": case_chrome, "html": case_html}


def main():
    ap = argparse.ArgumentParser()
    for o in ["shim", "report", "samples", "source", "cc", "artifacts", "tracegen"]:
        ap.add_argument("--" + o, required=True)
    ap.add_argument("cases", nargs="+", choices=sorted(CASES))
    a = ap.parse_args()
    abspaths(a, "shim", "report", "samples", "source", "artifacts", "tracegen")
    TRACES.clear()
    return run_cases([CASES[n] for n in a.cases], a, "sw-views-")


if __name__ == "__main__":
    sys.exit(main())
