/* Findings: what the detectors conclude and the renderers show.
 *
 * A detector appends findings with findings_add() and fills them with the
 * finding_* setters; it never prints.  The renderers (render_text.c,
 * render_json.c) show every field, so text and JSON always agree.  All
 * strings are copied; model indices (locks, threads, stacks) are those of
 * struct model.  findings_sort() puts them in a stable order (kind, then the
 * finding's sort key, then the first lock/thread display numbers), so two
 * runs of the same program give the same report. */
#ifndef SYNCWATCH_ANALYZER_FINDINGS_H
#define SYNCWATCH_ANALYZER_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kinds are also the words of --fail-on (findings_kind_name). */
enum finding_kind {
    FINDING_DEADLOCK = 0,   /* "deadlock": threads blocked in a wait-for cycle */
    FINDING_CYCLE,          /* "cycle": potential deadlock, lock-order inversion */
    FINDING_ABANDONED,      /* "abandoned": lock held at thread/process end, fork, EOWNERDEAD */
    FINDING_MISUSE,         /* "misuse": bad unlock, destroy while held, relock, condvar misuse */
    FINDING_STARVATION,     /* "starvation" */
    FINDING_CONTENTION,     /* "contention": hotspots */
    FINDING_KIND_COUNT,
};

enum finding_severity {
    SEV_INFO = 0,
    SEV_WARNING = 1,
    SEV_ERROR = 2,
};

/* One value of a metric or table cell: numbers stay numbers in JSON. */
enum finding_value_type {
    FV_U64,
    FV_I64,
    FV_F64,
    FV_STR,
    FV_NS,     /* a duration in ns (u) */
    FV_STACK,  /* a model stack (u): text shows its innermost frame, JSON {"stack": i} */
    FV_THREAD, /* a model thread (u): text shows its label, JSON {"thread": display} */
    FV_LOCK,   /* a model lock (u): text shows its label, JSON {"lock": display} */
};
struct finding_kv {
    const char *key;        /* static string: a column / field name */
    enum finding_value_type type;
    union {
        uint64_t u;
        int64_t i;
        double d;
        char *s;            /* owned copy */
    } v;
};

struct finding_row {
    struct finding_kv *cells;
    size_t ncells;
};

/* A step of the story: "thread T holds/acquires/waits for L at stack S".
 * role is a static word the renderers show ("holds", "acquires", "waits",
 * "unlocks", "destroys", "held at exit", ...). */
struct finding_item {
    const char *role;
    uint32_t thread;        /* model thread or MODEL_NONE */
    uint32_t lock;          /* model lock or MODEL_NONE */
    uint32_t stack;         /* model stack or MODEL_NONE */
    uint64_t ns;            /* run time, or 0 if none */
    char *note;             /* optional text, owned */
};

struct finding {
    enum finding_kind kind;
    const char *code;       /* static slug of the precise case: "lock-order-cycle",
                               "double-unlock", "held-at-thread-exit", ... */
    enum finding_severity severity;
    char *title;            /* one line: what */
    char *why;              /* why it matters */
    char *fix;              /* how to fix it */
    uint32_t *locks;        /* model locks involved, in story order */
    size_t nlocks;
    uint32_t *threads;      /* model threads involved, in story order */
    size_t nthreads;
    struct finding_item *items;
    size_t nitems;
    struct finding_kv *metrics; /* named numbers (counts, times) */
    size_t nmetrics;
    const char **columns;   /* table header (static strings), optional */
    size_t ncolumns;
    struct finding_row *rows;
    size_t nrows;
    /* Scenario table of a cycle: row i = thread i holds scenario_hold[i],
     * waits for scenario_wait[i]. */
    uint32_t *scen_thread, *scen_hold, *scen_wait;
    size_t nscen;
    /* Pruned findings are kept so that --verbose can say which rule dropped
     * them; they never count for the exit code. */
    bool pruned;
    const char *prune_rule; /* static slug: "single-thread", "gate-lock", ... */
    char *prune_reason;     /* text */
    uint64_t sort_key;      /* detector-defined, smaller first within a kind */
    uint32_t runs;          /* runs it was seen in, when the traces hold several (merge_runs.h);
                               0 when they hold one */
    /* A note: shown, but never counted for --fail-on, whatever its kind
     * (a lock-order inversion seen in one thread; its option raises it). */
    bool note_only;
    /* CI gating, set after the sort: the stable identity of the finding
     * (fingerprint.c: 16 hex digits), the suppression entry that silenced
     * it (suppress.c; its name, owned by the suppression list) and whether
     * the --baseline report already had it (baseline.c).  Suppressed and
     * known findings, like pruned ones, never count for the exit code. */
    char fingerprint[17];
    const char *suppressed_by;
    bool baseline_known;
};

struct findings {
    struct finding **list;
    size_t n, cap;
    /* Notes for the reader of the report that are not findings
     * ("the cycle search stopped at length 4"). */
    char **notes;
    size_t nnotes, notes_cap;
};

void findings_init(struct findings *fs);
/* Frees one finding taken out of a list. */
void findings_drop(struct finding *f);
void findings_free(struct findings *fs);

/* Appends a finding; never NULL (aborts on out of memory, like every
 * allocation of the analyzer). */
struct finding *findings_add(struct findings *fs, enum finding_kind kind, const char *code,
                             enum finding_severity severity);
void findings_note(struct findings *fs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void finding_title(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_why(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_fix(struct finding *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void finding_prune(struct finding *f, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Adds a lock / thread once (duplicates are ignored). */
void finding_lock(struct finding *f, uint32_t lock);
void finding_thread(struct finding *f, uint32_t thread);
/* Adds a story step; note may be NULL. */
struct finding_item *finding_item(struct finding *f, const char *role, uint32_t thread,
                                  uint32_t lock, uint32_t stack, uint64_t ns, const char *note);
void finding_scenario(struct finding *f, uint32_t thread, uint32_t hold, uint32_t wait);

void finding_metric_u64(struct finding *f, const char *key, uint64_t v);
void finding_metric_ns(struct finding *f, const char *key, uint64_t ns);
void finding_metric_f64(struct finding *f, const char *key, double v);
void finding_metric_str(struct finding *f, const char *key, const char *s);

/* Tables: set the columns once, then add rows and fill cells in column order. */
void finding_columns(struct finding *f, const char *const *cols, size_t n);
struct finding_row *finding_row(struct finding *f);
void row_u64(struct finding_row *r, const char *key, uint64_t v);
void row_ns(struct finding_row *r, const char *key, uint64_t ns);
void row_f64(struct finding_row *r, const char *key, double v);
void row_str(struct finding_row *r, const char *key, const char *s);
void row_stack(struct finding_row *r, const char *key, uint32_t stack);
void row_thread(struct finding_row *r, const char *key, uint32_t thread);
void row_lock(struct finding_row *r, const char *key, uint32_t lock);

const char *findings_kind_name(enum finding_kind k);
/* Parses a --fail-on word ("cycle", "deadlock", ..., "all"); -1 if unknown. */
int findings_kind_parse(const char *word);
const char *findings_severity_name(enum finding_severity s);

struct model;
void findings_sort(struct findings *fs, const struct model *m);
/* Whether a finding is reported: not pruned, not suppressed, not known
 * from the baseline. */
bool finding_reported(const struct finding *f);
/* Whether a finding makes the exit status 1 under --fail-on kind_mask
 * (1u << kind): reported, of one of those kinds, and not a note. */
bool finding_fails(const struct finding *f, unsigned kind_mask);
/* Findings that fail under kind_mask (finding_fails). */
size_t findings_count(const struct findings *fs, unsigned kind_mask);
/* "deadlock, cycle, ..., contention": every kind, for messages and --help. */
const char *findings_kind_list(void);

#endif
