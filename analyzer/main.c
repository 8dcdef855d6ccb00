/* syncwatch-report: options, loading the traces of one run, and dispatch to
 * the report, `info` and `dump`.
 *
 * Exit codes: 0 no findings (of the --fail-on kinds), 1 findings, 2 usage
 * or input error.  Every input problem is one message naming the file, the
 * byte offset and what is wrong. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "analyzer/baseline.h"
#include "analyzer/dump.h"
#include "analyzer/findings.h"
#include "analyzer/lockstats.h"
#include "analyzer/render.h"
#include "analyzer/report_opts.h"
#include "analyzer/suppress.h"
#include "analyzer/xalloc.h"
#include "common/trace_files.h"
#include "common/trace_reader.h"

#ifndef SW_VERSION
#define SW_VERSION "0.0.0"
#endif

#define EXIT_FINDINGS 1
#define EXIT_INPUT 2

/* --color: -1 = auto (colour only on a terminal). */
enum { COLOR_NEVER = 0, COLOR_ALWAYS = 1, COLOR_AUTO = -1 };
#define DEFAULT_COLOR COLOR_AUTO

static const char *color_name(int when)
{
    return when == COLOR_AUTO ? "auto" : when ? "always" : "never";
}

/* A duration as an option value: the largest unit that keeps it whole. */
static const char *option_duration(uint64_t ns, char *buf, size_t len)
{
    static const struct {
        const char *unit;
        uint64_t ns;
    } units[] = {{"s", 1000000000ull}, {"ms", 1000000ull}, {"us", 1000ull}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns && ns % units[i].ns == 0) {
            snprintf(buf, len, "%" PRIu64 "%s", ns / units[i].ns, units[i].unit);
            return buf;
        }
    snprintf(buf, len, "%" PRIu64 "ns", ns);
    return buf;
}

/* The --fail-on kinds of a mask, as the option takes them. */
static const char *kinds_list(unsigned mask, char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = 0;
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        if (mask & (1u << k))
            n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "",
                                  findings_kind_name((enum finding_kind)k));
    if (!n)
        snprintf(buf, len, "none");
    return buf;
}

/* Every default shown comes from report_opts_init (or DEFAULT_COLOR): what
 * the report uses when the option is not given. */
static void usage(FILE *out)
{
    struct report_opts d;
    report_opts_init(&d);
    char kinds[256], hold[32], wait[32];
    fprintf(out,
            "usage: syncwatch-report [OPTIONS] TRACE|DIR...\n"
            "       syncwatch-report info TRACE\n"
            "       syncwatch-report dump TRACE\n"
            "\n"
            "Reads traces (a DIR means every trace file in it, whatever its name; a process,\n"
            "its fork children and exec'ed images belong together, and the runs of several\n"
            "programs are told apart) and reports potential and actual deadlocks, hangs,\n"
            "abandoned locks, lock misuse, starvation and contention hotspots.\n"
            "\n"
            "  --format text|json|sarif|junit|dot|folded|chrome|html\n"
            "                          output format (default %s; with -o FILE ending in\n"
            "                          .sarif, .json or .xml: SARIF, JSON or JUnit; .dot or\n"
            "                          .gv: the lock-order graph in Graphviz DOT; .folded:\n"
            "                          collapsed stacks for flame graphs; .trace.json: Trace\n"
            "                          Event JSON for Perfetto; .html: one self-contained\n"
            "                          page with graphs and timelines); see docs/views.md\n"
            "  --weight wait|hold      folded stacks weigh wait time (default) or hold time\n"
            "  --from D, --to D        chrome: only the slices between these times since the\n"
            "                          start (default: at most %u slices around the findings)\n"
            "  -o, --output FILE       write the report to FILE instead of stdout\n"
            "  --source-root DIR       SARIF file paths are relative to DIR (default: the\n"
            "                          current directory)\n"
            "  --fail-on KINDS         comma list of kinds that make exit status 1: deadlock,\n"
            "                          cycle, abandoned, misuse, starvation, contention, all,\n"
            "                          none (default %s)\n"
            "  --max-cycle-len N       longest lock-order cycle searched (default %u)\n"
            "  --single-thread-cycles=note|warn\n"
            "                          a lock-order inversion seen only in one thread (or in\n"
            "                          threads ordered by join) is a note that never fails\n"
            "                          --fail-on (default note), or a warning that does\n"
            "  -v, --verbose           also show the possible issues ruled out, and the rule\n"
            "  --no-symbols            do not symbolize stacks (module+offset only)\n"
            "  --color[=WHEN]          colour: auto (only on a terminal), always, never\n"
            "                          (default %s)\n"
            "  --no-color              same as --color=never\n"
            "  --top N                 contention hotspots shown (default %u; 0 = all)\n"
            "  --hold-threshold D      a hold at least D while someone waited is a long hold\n"
            "                          (default %s; units ns, us, ms, s)\n"
            "  --wait-threshold D      starvation: a wait at least D ... (default %s)\n"
            "  --starve-count N        ... while other threads took the lock N times (default %u)\n"
            "  --suppressions FILE     silence the findings FILE's entries match (repeatable;\n"
            "                          also SYNCWATCH_SUPPRESSIONS=FILE:FILE...); -v lists\n"
            "                          them and the entries that matched nothing\n"
            "  --gen-suppressions      print a ready suppression entry after each finding\n"
            "  --baseline OLD.json     report and fail only on findings that OLD.json (an\n"
            "                          earlier --format json report) does not have; list the\n"
            "                          ones that are gone\n"
            "  -h, --help              this text\n"
            "  --version               the version\n"
            "\n"
            "Exit status: 0 no findings, 1 findings (of the --fail-on kinds), 2 usage or input\n"
            "error.\n",
            d.format == REPORT_JSON ? "json" : "text", CHROME_MAX_SLICES, kinds_list(d.fail_on, kinds, sizeof kinds),
            d.max_cycle_len, color_name(DEFAULT_COLOR), d.top,
            option_duration(d.hold_threshold_ns, hold, sizeof hold),
            option_duration(d.wait_threshold_ns, wait, sizeof wait), d.starve_count);
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("syncwatch-report: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'syncwatch-report --help'.\n", stderr);
    exit(EXIT_INPUT);
}

static void die_input(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die_input(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("syncwatch-report: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(EXIT_INPUT);
}

static unsigned parse_uint(const char *opt, const char *s, unsigned max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v > max)
        die_usage("%s wants a whole number up to %u, not '%s'", opt, max, s);
    return (unsigned)v;
}

static uint64_t parse_duration(const char *opt, const char *s)
{
    uint64_t ns;
    if (lockstats_parse_duration(s, &ns) < 0)
        die_usage("%s wants a duration such as 250us, 10ms or 1.5s, not '%s'", opt, s);
    return ns;
}

static unsigned parse_fail_on(const char *s)
{
    unsigned mask = 0;
    /* An empty list or word is a mistake (an unset shell variable, a
     * stray comma), not "none": say so instead of passing every build. */
    size_t n = strlen(s);
    if (!n || s[0] == ',' || s[n - 1] == ',' || strstr(s, ",,"))
        die_usage("--fail-on wants a comma list of kinds (%s, all, none), not '%s'",
                  findings_kind_list(), s);
    char *copy = xstrdup(s), *save = NULL;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "all"))
            mask |= (1u << FINDING_KIND_COUNT) - 1;
        else if (!strcmp(w, "none"))
            ;
        else {
            int k = findings_kind_parse(w);
            if (k < 0)
                die_usage("--fail-on: unknown kind '%s' (%s, all, none)", w,
                          findings_kind_list());
            mask |= 1u << k;
        }
    }
    free(copy);
    return mask;
}

/* ---- inputs ---- */

struct inputs {
    char **paths;
    size_t n, cap;
};

static void add_path(struct inputs *in, char *p)
{
    if (in->n == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 8;
        in->paths = xrealloc(in->paths, in->cap * sizeof *in->paths);
    }
    in->paths[in->n++] = p;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void expand(struct inputs *in, const char *arg)
{
    struct stat st;
    if (stat(arg, &st) < 0)
        die_input("%s: %s", arg, strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        add_path(in, xstrdup(arg));
        return;
    }
    DIR *d = opendir(arg);
    if (!d)
        die_input("%s: %s", arg, strerror(errno));
    size_t before = in->n;
    struct dirent *e;
    /* Every trace in it, whatever its name (trace.log.PID, NAME.swt.execN,
     * ...): recognised by content, so logs beside them do not count. */
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (e->d_type != DT_REG && e->d_type != DT_UNKNOWN))
            continue;
        if (swt_dirent_is_trace(dirfd(d), e->d_name))
            add_path(in, xasprintf("%s/%s", arg, e->d_name));
    }
    closedir(d);
    if (in->n == before)
        die_input("%s: directory holds no trace files", arg);
    qsort(in->paths + before, in->n - before, sizeof *in->paths, cmp_str);
}

static struct swt_trace **open_all(const struct inputs *in)
{
    struct swt_trace **t = xcalloc(in->n, sizeof *t);
    char err[SWT_ERR_LEN];
    for (size_t i = 0; i < in->n; i++) {
        t[i] = swt_open(in->paths[i], err, sizeof err);
        if (!t[i])
            die_input("%s", err);
    }
    /* A file cut short lost records from the middle of the run, not just
     * its end (a killed program leaves whole chunks: they are allocated in
     * the file before use): the analysis would be wrong, so refuse. */
    for (size_t i = 0; i < in->n; i++)
        for (size_t k = 0; k < swt_warning_count(t[i]); k++) {
            const struct swt_warning *w = swt_warning_at(t[i], k);
            if (!strncmp(w->text, "truncated file", 14))
                die_input("%s: offset %" PRIu64 ": %s", in->paths[i], w->offset, w->text);
        }
    /* Traces of several runs (a test suite's binaries, one after the
     * other) are analyzed together: their processes share nothing
     * (model_locks.c keys shared objects by run), and identical findings
     * of different runs become one with a count (findings_merge_runs). */
    for (size_t i = 0; i < in->n; i++)
        for (size_t k = i + 1; k < in->n; k++) {
            const struct swt_file_header *a = swt_header(t[i]), *b = swt_header(t[k]);
            if (a->run_id == b->run_id && a->pid == b->pid && a->start_ticks == b->start_ticks &&
                a->exec_generation == b->exec_generation)
                die_input("%s: the same trace as %s is given twice", in->paths[k], in->paths[i]);
        }
    return t;
}

/* ---- progress ---- */

struct progress {
    struct timespec start;
    bool shown;
};

static double elapsed(const struct timespec *a)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - a->tv_sec) + (double)(now.tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    if (elapsed(&p->start) < 1.0 || !total)
        return;
    unsigned pct = (unsigned)(done * 100 / total);
    if (pct > 100)
        pct = 100;
    char bar[41];
    memset(bar, ' ', 40);
    memset(bar, '#', pct * 40 / 100);
    bar[40] = 0;
    fprintf(stderr, "\rsyncwatch-report: [%s] %3u%%", bar, pct);
    p->shown = true;
}

/* ---- the report ---- */

static int run_report(const struct report_opts *o, const struct inputs *in, const char *output,
                      struct suppressions *supp, struct baseline *base)
{
    struct swt_trace **traces = open_all(in);
    FILE *out = stdout;
    if (output) {
        out = fopen(output, "w");
        if (!out)
            die_input("%s: cannot write the report: %s", output, strerror(errno));
    }

    struct progress prog;
    clock_gettime(CLOCK_MONOTONIC, &prog.start);
    prog.shown = false;
    struct model_opts mo = {.derive_edges = true};
    if (isatty(2)) {
        mo.progress = progress_cb;
        mo.progress_ctx = &prog;
    }
    struct analysis an;
    char err[SWT_ERR_LEN];
    int rc = analysis_run(&an, traces, in->n, o, &mo, err, sizeof err);
    if (prog.shown)
        fprintf(stderr, "\r%60s\r", "");
    if (rc < 0)
        die_input("%s", err);

    /* Reader warnings (torn tails, missing chunks): the analysis goes on. */
    size_t nw = 0;
    for (size_t i = 0; i < in->n; i++)
        nw += swt_warning_count(traces[i]);
    char **warnings = xcalloc(nw ? nw : 1, sizeof *warnings);
    nw = 0;
    for (size_t i = 0; i < in->n; i++)
        for (size_t k = 0; k < swt_warning_count(traces[i]); k++) {
            const struct swt_warning *w = swt_warning_at(traces[i], k);
            warnings[nw] = xasprintf("%s: offset %" PRIu64 ": %s", swt_path(traces[i]),
                                     w->offset, w->text);
            fprintf(stderr, "syncwatch-report: warning: %s\n", warnings[nw]);
            nw++;
        }

    suppress_apply(supp, &an.fs, &an.m, an.names);
    baseline_apply(base, &an.fs);

    struct render_input ri = {
        .m = &an.m,
        .fs = &an.fs,
        .names = an.names,
        .o = o,
        .files = (const char *const *)in->paths,
        .nfiles = in->n,
        .warnings = (const char *const *)warnings,
        .nwarnings = nw,
        .supp = supp,
        .base = base,
        .ls = an.ls,
        .traces = traces,
        .ntraces = in->n,
    };
    /* Text shows each entry after its finding; other formats keep their
     * output pure and give the entries on stderr. */
    if (o->gen_suppressions && o->format != REPORT_TEXT)
        for (size_t i = 0; i < an.fs.n; i++)
            if (!an.fs.list[i]->pruned)
                suppress_print_entry(stderr, an.fs.list[i], &an.m, an.names);
    if (o->format == REPORT_JSON)
        render_json(out, &ri);
    else if (o->format == REPORT_SARIF)
        render_sarif(out, &ri);
    else if (o->format == REPORT_JUNIT)
        render_junit(out, &ri);
    else if (o->format == REPORT_DOT)
        render_dot(out, &ri);
    else if (o->format == REPORT_FOLDED)
        render_folded(out, &ri);
    else if (o->format == REPORT_CHROME)
        render_chrome(out, &ri);
    else if (o->format == REPORT_HTML)
        render_html(out, &ri);
    else
        render_text(out, &ri);
    int status = findings_count(&an.fs, o->fail_on) ? EXIT_FINDINGS : 0;
    if (fflush(out) != 0 || ferror(out) || (output && fclose(out) != 0))
        die_input("%s: cannot write the report: %s", output ? output : "stdout",
                  strerror(errno));

    analysis_free(&an);
    for (size_t i = 0; i < nw; i++)
        free(warnings[i]);
    free(warnings);
    for (size_t i = 0; i < in->n; i++)
        swt_close(traces[i]);
    free(traces);
    return status;
}

static int run_single(const char *cmd, int argc, char **argv, int first)
{
    if (argc - first != 1)
        die_usage("%s takes exactly one trace file", cmd);
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open(argv[first], err, sizeof err);
    if (!t)
        die_input("%s", err);
    int rc = !strcmp(cmd, "info") ? dump_info(stdout, t, err, sizeof err)
                                  : dump_events(stdout, t, err, sizeof err);
    for (size_t k = 0; k < swt_warning_count(t); k++) {
        const struct swt_warning *w = swt_warning_at(t, k);
        fprintf(stderr, "syncwatch-report: warning: %s: offset %" PRIu64 ": %s\n", swt_path(t),
                w->offset, w->text);
    }
    swt_close(t);
    if (fflush(stdout) != 0)
        die_input("stdout: %s", strerror(errno));
    if (rc < 0)
        die_input("%s", err);
    return 0;
}

enum {
    OPT_FORMAT = 256,
    OPT_FAIL_ON,
    OPT_MAX_CYCLE,
    OPT_NO_SYMBOLS,
    OPT_COLOR,
    OPT_NO_COLOR,
    OPT_TOP,
    OPT_HOLD,
    OPT_WAIT,
    OPT_STARVE,
    OPT_VERSION,
    OPT_SUPPRESSIONS,
    OPT_GEN_SUPPRESSIONS,
    OPT_BASELINE,
    OPT_SOURCE_ROOT,
    OPT_WEIGHT,
    OPT_FROM,
    OPT_TO,
    OPT_SINGLE_THREAD_CYCLES,
};

/* -o report.sarif without --format means SARIF (and .json JSON, .xml
 * JUnit): what the name says is what a dashboard will expect. */
static enum report_format format_of_name(const char *path, enum report_format dflt)
{
    size_t n = strlen(path);
    if (n > 6 && !strcmp(path + n - 6, ".sarif"))
        return REPORT_SARIF;
    if (n > 11 && !strcmp(path + n - 11, ".trace.json"))
        return REPORT_CHROME;
    if (n > 5 && !strcmp(path + n - 5, ".json"))
        return REPORT_JSON;
    if (n > 4 && !strcmp(path + n - 4, ".xml"))
        return REPORT_JUNIT;
    if ((n > 5 && !strcmp(path + n - 5, ".html")) || (n > 4 && !strcmp(path + n - 4, ".htm")))
        return REPORT_HTML;
    if ((n > 4 && !strcmp(path + n - 4, ".dot")) || (n > 3 && !strcmp(path + n - 3, ".gv")))
        return REPORT_DOT;
    if (n > 7 && !strcmp(path + n - 7, ".folded"))
        return REPORT_FOLDED;
    return dflt;
}

/* SYNCWATCH_SUPPRESSIONS (a colon-separated list of files) first, then
 * every --suppressions FILE. */
static void load_suppressions(struct suppressions *supp, const char *path)
{
    char err[1024];
    if (suppress_load(supp, path, err, sizeof err) < 0)
        die_input("%s", err);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"output", required_argument, NULL, 'o'},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"max-cycle-len", required_argument, NULL, OPT_MAX_CYCLE},
        {"verbose", no_argument, NULL, 'v'},
        {"no-symbols", no_argument, NULL, OPT_NO_SYMBOLS},
        {"color", optional_argument, NULL, OPT_COLOR},
        {"colour", optional_argument, NULL, OPT_COLOR},
        {"no-color", no_argument, NULL, OPT_NO_COLOR},
        {"no-colour", no_argument, NULL, OPT_NO_COLOR},
        {"top", required_argument, NULL, OPT_TOP},
        {"hold-threshold", required_argument, NULL, OPT_HOLD},
        {"wait-threshold", required_argument, NULL, OPT_WAIT},
        {"starve-count", required_argument, NULL, OPT_STARVE},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {"suppressions", required_argument, NULL, OPT_SUPPRESSIONS},
        {"gen-suppressions", no_argument, NULL, OPT_GEN_SUPPRESSIONS},
        {"baseline", required_argument, NULL, OPT_BASELINE},
        {"source-root", required_argument, NULL, OPT_SOURCE_ROOT},
        {"weight", required_argument, NULL, OPT_WEIGHT},
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"single-thread-cycles", required_argument, NULL, OPT_SINGLE_THREAD_CYCLES},
        {0, 0, 0, 0},
    };
    struct report_opts o;
    report_opts_init(&o);
    int color = DEFAULT_COLOR;
    const char *output = NULL;
    const char *baseline_file = NULL;
    bool format_given = false;
    /* A subcommand comes first; options after it are not taken. */
    if (argc > 1 && (!strcmp(argv[1], "info") || !strcmp(argv[1], "dump"))) {
        int first = 2;
        if (argc > 2 && !strcmp(argv[2], "--"))
            first = 3;
        return run_single(argv[1], argc, argv, first);
    }
    const char **supp_files = xcalloc((size_t)argc, sizeof *supp_files);
    size_t nsupp_files = 0;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_FORMAT:
            if (!strcmp(optarg, "text"))
                o.format = REPORT_TEXT;
            else if (!strcmp(optarg, "json"))
                o.format = REPORT_JSON;
            else if (!strcmp(optarg, "sarif"))
                o.format = REPORT_SARIF;
            else if (!strcmp(optarg, "junit"))
                o.format = REPORT_JUNIT;
            else if (!strcmp(optarg, "dot"))
                o.format = REPORT_DOT;
            else if (!strcmp(optarg, "folded"))
                o.format = REPORT_FOLDED;
            else if (!strcmp(optarg, "chrome"))
                o.format = REPORT_CHROME;
            else if (!strcmp(optarg, "html"))
                o.format = REPORT_HTML;
            else
                die_usage("--format: unknown format '%s' (text, json, sarif, junit, dot, folded, chrome, html)",
                          optarg);
            format_given = true;
            break;
        case 'o':
            output = optarg;
            break;
        case OPT_FAIL_ON:
            o.fail_on = parse_fail_on(optarg);
            break;
        case OPT_MAX_CYCLE:
            o.max_cycle_len = parse_uint("--max-cycle-len", optarg, 64);
            if (o.max_cycle_len < 2)
                die_usage("--max-cycle-len must be at least 2");
            break;
        case OPT_SINGLE_THREAD_CYCLES:
            if (!strcmp(optarg, "note"))
                o.single_thread_cycles = ST_CYCLES_NOTE;
            else if (!strcmp(optarg, "warn"))
                o.single_thread_cycles = ST_CYCLES_WARN;
            else
                die_usage("--single-thread-cycles: '%s' is neither note nor warn", optarg);
            break;
        case 'v':
            o.verbose = true;
            break;
        case OPT_NO_SYMBOLS:
            o.symbols = false;
            break;
        case OPT_COLOR:
            if (!optarg || !strcmp(optarg, "always"))
                color = COLOR_ALWAYS;
            else if (!strcmp(optarg, "never"))
                color = COLOR_NEVER;
            else if (!strcmp(optarg, "auto"))
                color = COLOR_AUTO;
            else
                die_usage("--color: expected auto, always or never, not '%s'", optarg);
            break;
        case OPT_NO_COLOR:
            color = COLOR_NEVER;
            break;
        case OPT_TOP:
            o.top = parse_uint("--top", optarg, 1000000);
            break;
        case OPT_HOLD:
            o.hold_threshold_ns = parse_duration("--hold-threshold", optarg);
            break;
        case OPT_WAIT:
            o.wait_threshold_ns = parse_duration("--wait-threshold", optarg);
            break;
        case OPT_STARVE:
            o.starve_count = parse_uint("--starve-count", optarg, 1000000000);
            break;
        case OPT_SUPPRESSIONS:
            supp_files[nsupp_files++] = optarg;
            break;
        case OPT_GEN_SUPPRESSIONS:
            o.gen_suppressions = true;
            break;
        case OPT_BASELINE:
            baseline_file = optarg;
            break;
        case OPT_SOURCE_ROOT:
            o.source_root = optarg;
            break;
        case OPT_WEIGHT:
            if (!strcmp(optarg, "wait"))
                o.weight = REPORT_WEIGHT_WAIT;
            else if (!strcmp(optarg, "hold"))
                o.weight = REPORT_WEIGHT_HOLD;
            else
                die_usage("--weight: expected wait or hold, not '%s'", optarg);
            break;
        case OPT_FROM:
            o.window_from_ns = parse_duration("--from", optarg);
            break;
        case OPT_TO:
            o.window_to_ns = parse_duration("--to", optarg);
            break;
        case 'h':
            usage(stdout);
            free(supp_files);
            return 0;
        case OPT_VERSION:
            printf("syncwatch-report %s (trace format %d.%d)\n", SW_VERSION, SWT_VERSION_MAJOR,
                   SWT_VERSION_MINOR);
            free(supp_files);
            return 0;
        case ':':
            die_usage("option %s needs a value", argv[optind - 1]);
        default:
            die_usage("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc)
        die_usage("no trace given");
    if (color == COLOR_AUTO)
        color = !output && isatty(1) && !getenv("NO_COLOR");
    o.color = color;
    if (o.window_to_ns < o.window_from_ns)
        die_usage("--to must not be before --from");
    if (output && !format_given)
        o.format = format_of_name(output, o.format);
    if (o.source_root) {
        struct stat st;
        if (stat(o.source_root, &st) < 0 || !S_ISDIR(st.st_mode))
            die_input("--source-root %s: not a directory", o.source_root);
    }
    struct suppressions *supp = suppress_new();
    const char *env = getenv("SYNCWATCH_SUPPRESSIONS");
    if (env && *env) {
        char *copy = xstrdup(env), *save = NULL;
        for (char *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save))
            load_suppressions(supp, p);
        free(copy);
    }
    for (size_t i = 0; i < nsupp_files; i++)
        load_suppressions(supp, supp_files[i]);
    free(supp_files);
    struct baseline *base = NULL;
    if (baseline_file) {
        char err[1024];
        base = baseline_load(baseline_file, err, sizeof err);
        if (!base)
            die_input("%s", err);
    }
    struct inputs in = {0};
    for (int i = optind; i < argc; i++)
        expand(&in, argv[i]);
    int status = run_report(&o, &in, output, supp, base);
    suppress_free(supp);
    baseline_free(base);
    for (size_t i = 0; i < in.n; i++)
        free(in.paths[i]);
    free(in.paths);
    return status;
}
