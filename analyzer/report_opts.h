/* The options of one analysis, shared by main.c (which parses them), the
 * detectors (which read their thresholds) and the renderers. */
#ifndef SYNCWATCH_ANALYZER_REPORT_OPTS_H
#define SYNCWATCH_ANALYZER_REPORT_OPTS_H

#include <stdbool.h>
#include <stdint.h>

enum report_format {
    REPORT_TEXT = 0,
    REPORT_JSON = 1,
    REPORT_SARIF = 2,
    REPORT_JUNIT = 3,
    REPORT_DOT = 4,    /* the lock-order graph (render_dot.c) */
    REPORT_FOLDED = 5, /* collapsed stacks for flame graphs (render_folded.c) */
    REPORT_CHROME = 6, /* Trace Event Format JSON for Perfetto (render_chrome.c) */
    REPORT_HTML = 7,   /* one self-contained page (render_html.c) */
};

/* What --format folded weighs each stack by (--weight). */
enum report_weight { REPORT_WEIGHT_WAIT = 0, REPORT_WEIGHT_HOLD = 1 };

/* Defaults that are not lockstats thresholds (those are LOCKSTATS_DEFAULT_*
 * in lockstats.h).  --help prints every default from report_opts_init. */
#define REPORT_DEFAULT_MAX_CYCLE_LEN 16u
#define REPORT_DEFAULT_TOP 10u

/* Lock-order inversions seen only in one thread, or in threads ordered by
 * create/join/fork (--single-thread-cycles). */
enum single_thread_cycles {
    ST_CYCLES_NOTE = 0, /* a note: shown, never fails --fail-on (the default) */
    ST_CYCLES_WARN = 1, /* a warning that counts for --fail-on cycle */
};

struct report_opts {
    enum report_format format;
    unsigned fail_on;          /* bit (1u << enum finding_kind) per kind that makes exit 1 */
    unsigned max_cycle_len;    /* longest elementary cycle searched */
    enum single_thread_cycles single_thread_cycles;
    bool verbose;              /* show pruned findings and the rule that dropped them */
    bool symbols;              /* symbolize stacks (off: --no-symbols) */
    bool color;                /* ANSI colour (on only when stdout is a terminal) */
    bool gen_suppressions;     /* print a suppression entry per finding */
    const char *source_root;   /* SARIF paths are relative to it (NULL: the current directory) */
    enum report_weight weight; /* --weight: folded stacks by wait (default) or hold time */
    uint64_t window_from_ns;   /* --from: chrome slices from this run time (default 0) */
    uint64_t window_to_ns;     /* --to: ... up to this one (default UINT64_MAX: the end) */

    /* Contention and starvation thresholds (detect_contention.c,
     * detect_starvation.c): parsed by main.c, defaults in report_opts_init. */
    unsigned top;              /* --top N: hotspots shown */
    uint64_t hold_threshold_ns;  /* --hold-threshold: a hold this long while someone waited */
    uint64_t wait_threshold_ns;  /* --wait-threshold: a wait this long is starvation ... */
    unsigned starve_count;       /* --starve-count: ... if others acquired the lock N times */
};

void report_opts_init(struct report_opts *o);

#endif
