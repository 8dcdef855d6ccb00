/* Contention hotspots: the locks threads waited for most, ranked by the
 * total time spent waiting, with the kernel lock_stat columns per lock, per
 * call site and per thread, and the holder sites the waiters waited on.
 *
 * Not crying wolf: a lock nobody waited for is never a hotspot, nor one
 * waited for only once (a one-shot hand-off: CPython's Thread.join waits
 * once on the thread's sentinel lock, held for the thread's whole life),
 * nor one whose waits add up to less than HOTSPOT_MIN_WAIT_NS or less than
 * HOTSPOT_MIN_SHARE_PCT of the run (a few short waits are what any
 * multi-threaded program shows, and CPython's GIL switches leave such waits
 * on every Python lock).  A lock used like CPython's GIL is labelled in a
 * note instead of being reported. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect.h"
#include "analyzer/lockstats.h"
#include "analyzer/lockstats_feed.h"
#include "analyzer/xalloc.h"

#define HOTSPOT_MIN_CONTENTIONS 2
#define HOTSPOT_MIN_WAIT_NS (1000ull * 1000)
#define HOTSPOT_MIN_SHARE_PCT 5
#define HOTSPOT_MAX_SITES 8 /* site rows shown per hotspot, the most blamed first */

/* Why a contended lock is not a hotspot (a prune rule), or NULL if it is. */
static const char *not_a_hotspot(const struct model *m, const struct lockstats_lock_row *r)
{
    if (r->c.contentions < HOTSPOT_MIN_CONTENTIONS)
        return "one-shot-wait";
    if (r->c.wait_total_ns < HOTSPOT_MIN_WAIT_NS ||
        (m->duration_ns && r->c.wait_total_ns < m->duration_ns / 100 * HOTSPOT_MIN_SHARE_PCT))
        return "noise-floor";
    return NULL;
}

/* Kept for --verbose (and JSON): a contended lock the rules above dropped. */
static void report_pruned(const struct model *m, const struct lockstats_lock_row *r,
                          const char *rule, struct findings *out)
{
    char name[128];
    model_lock_label(m, r->lock, name, sizeof(name));
    struct finding *f = findings_add(out, FINDING_CONTENTION, "contention-hotspot", SEV_INFO);
    f->sort_key = UINT64_MAX - 1;
    finding_lock(f, r->lock);
    finding_title(f, "%s was contended, but is not a hotspot", name);
    if (strcmp(rule, "one-shot-wait") == 0)
        finding_prune(f, rule, "it was waited for only once: a one-shot hand-off (such as "
                      "Thread.join on CPython's per-thread sentinel lock), not repeated "
                      "contention");
    else
        finding_prune(f, rule, "its waits add up to less than %llu ms or %u%% of the run",
                      (unsigned long long)(HOTSPOT_MIN_WAIT_NS / 1000000), HOTSPOT_MIN_SHARE_PCT);
    finding_metric_u64(f, "contentions", r->c.contentions);
    finding_metric_ns(f, "wait_total", r->c.wait_total_ns);
    finding_metric_ns(f, "wait_max", r->c.wait_max_ns);
}

static uint32_t lock_display(const struct model *m, uint32_t lock)
{
    return lock < m->nlocks ? m->locks[lock].display : UINT32_MAX;
}

static uint32_t thread_display(const struct model *m, uint32_t thread)
{
    return thread < m->nthreads ? m->threads[thread].display : UINT32_MAX;
}

static int cmp_hotspot(const void *a, const void *b, void *ctx)
{
    const struct model *m = ctx;
    const struct lockstats_lock_row *x = *(const struct lockstats_lock_row *const *)a;
    const struct lockstats_lock_row *y = *(const struct lockstats_lock_row *const *)b;
    if (x->c.wait_total_ns != y->c.wait_total_ns)
        return x->c.wait_total_ns > y->c.wait_total_ns ? -1 : 1;
    if (x->c.contentions != y->c.contentions)
        return x->c.contentions > y->c.contentions ? -1 : 1;
    uint32_t dx = lock_display(m, x->lock), dy = lock_display(m, y->lock);
    return dx < dy ? -1 : dx > dy;
}

/* Sites that matter most first: the waiter time charged to holds taken
 * there, plus the time waited there. */
static int cmp_site(const void *a, const void *b)
{
    const struct lockstats_site_row *x = *(const struct lockstats_site_row *const *)a;
    const struct lockstats_site_row *y = *(const struct lockstats_site_row *const *)b;
    uint64_t wx = x->blamed_ns + x->c.wait_total_ns, wy = y->blamed_ns + y->c.wait_total_ns;
    if (wx != wy)
        return wx > wy ? -1 : 1;
    if (x->c.acquisitions != y->c.acquisitions)
        return x->c.acquisitions > y->c.acquisitions ? -1 : 1;
    return x->site < y->site ? -1 : x->site > y->site;
}

static int cmp_thread(const void *a, const void *b, void *ctx)
{
    const struct model *m = ctx;
    const struct lockstats_thread_row *x = *(const struct lockstats_thread_row *const *)a;
    const struct lockstats_thread_row *y = *(const struct lockstats_thread_row *const *)b;
    uint32_t dx = thread_display(m, x->thread), dy = thread_display(m, y->thread);
    return dx < dy ? -1 : dx > dy;
}

static const char *const columns[] = {
    "where",      "acquisitions", "contentions", "wait_min",   "wait_avg",      "wait_max",
    "wait_total", "wait_p50",     "wait_p99",    "hold_min",   "hold_avg",      "hold_max",
    "hold_total", "owner_changes", "waited_on",  "long_holds",
};

/* One table row in the column order above. */
static void counts_row(struct finding_row *row, const struct lockstats_counts *c,
                       const struct lockstats_dist *d, uint64_t waited_on, uint64_t long_holds)
{
    row_u64(row, "acquisitions", c->acquisitions);
    row_u64(row, "contentions", c->contentions);
    row_ns(row, "wait_min", c->wait_min_ns);
    row_ns(row, "wait_avg", lockstats_avg(c->wait_total_ns, c->wait_count));
    row_ns(row, "wait_max", c->wait_max_ns);
    row_ns(row, "wait_total", c->wait_total_ns);
    row_ns(row, "wait_p50", d->p50_ns);
    row_ns(row, "wait_p99", d->p99_ns);
    row_ns(row, "hold_min", c->hold_min_ns);
    row_ns(row, "hold_avg", lockstats_avg(c->hold_total_ns, c->hold_count));
    row_ns(row, "hold_max", c->hold_max_ns);
    row_ns(row, "hold_total", c->hold_total_ns);
    row_u64(row, "owner_changes", c->owner_changes);
    row_ns(row, "waited_on", waited_on);
    row_u64(row, "long_holds", long_holds);
}

static void lock_metrics(struct finding *f, const struct lockstats_lock_row *r)
{
    const struct lockstats_counts *c = &r->c;
    finding_metric_u64(f, "acquisitions", c->acquisitions);
    finding_metric_u64(f, "contentions", c->contentions);
    finding_metric_u64(f, "failures", c->failures);
    finding_metric_u64(f, "owner_changes", c->owner_changes);
    finding_metric_ns(f, "wait_min", c->wait_min_ns);
    finding_metric_ns(f, "wait_avg", lockstats_avg(c->wait_total_ns, c->wait_count));
    finding_metric_ns(f, "wait_max", c->wait_max_ns);
    finding_metric_ns(f, "wait_total", c->wait_total_ns);
    finding_metric_ns(f, "hold_min", c->hold_min_ns);
    finding_metric_ns(f, "hold_avg", lockstats_avg(c->hold_total_ns, c->hold_count));
    finding_metric_ns(f, "hold_max", c->hold_max_ns);
    finding_metric_ns(f, "hold_total", c->hold_total_ns);
    if (r->from_profile)
        finding_metric_u64(f, "hold_samples", c->hold_count);
    if (r->kind == SWT_KIND_RWLOCK)
        finding_metric_u64(f, "read_acquisitions", r->read_acquisitions);
    finding_metric_u64(f, "long_holds", r->long_holds);
    finding_metric_ns(f, "wait_without_holder", r->unheld_wait_ns);
    finding_metric_str(f, "source", r->from_profile ? "profile counters" : "events");
}

static void add_sites(struct finding *f, const struct lockstats_lock_row *r,
                      uint64_t hold_threshold_ns)
{
    const struct lockstats_site_row **sites = xcalloc(r->nsites + 1, sizeof(*sites));
    size_t n = 0, hidden = 0;
    for (size_t i = 0; i < r->nsites; i++) {
        const struct lockstats_site_row *s = r->sites[i];
        if (s->c.acquisitions || s->c.contentions || s->blamed_ns)
            sites[n++] = s;
    }
    qsort(sites, n, sizeof(*sites), cmp_site);
    if (n > HOTSPOT_MAX_SITES) {
        hidden = n - HOTSPOT_MAX_SITES;
        n = HOTSPOT_MAX_SITES;
    }
    char thr[32], note[160];
    lockstats_format_duration(hold_threshold_ns, thr, sizeof(thr));
    for (size_t i = 0; i < n; i++) {
        const struct lockstats_site_row *s = sites[i];
        uint32_t stack = s->site == LOCKSTATS_NONE ? MODEL_NONE : s->site;
        /* Numbers stay in the table: the prose is the same from run to run. */
        if (s->blamed_ns && s->long_holds)
            snprintf(note, sizeof(note),
                     "holds taken here made others wait, some for longer than %s", thr);
        else if (s->blamed_ns)
            snprintf(note, sizeof(note), "holds taken here made others wait");
        else
            snprintf(note, sizeof(note), "threads waited here");
        finding_item(f, s->blamed_ns ? "holder site" : "waiter site", MODEL_NONE, r->lock, stack,
                     0, note);
        struct finding_row *row = finding_row(f);
        if (stack == MODEL_NONE)
            row_str(row, "where", "(unknown site)");
        else
            row_stack(row, "where", stack);
        counts_row(row, &s->c, &s->wait, s->blamed_ns, s->long_holds);
    }
    if (hidden)
        finding_metric_u64(f, "sites_not_shown", hidden);
    free(sites);
}

static void add_threads(const struct model *m, struct finding *f,
                        const struct lockstats_lock_row *r)
{
    const struct lockstats_thread_row **th = xcalloc(r->nthreads + 1, sizeof(*th));
    size_t n = 0;
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i]->c.acquisitions || r->threads[i]->c.contentions)
            th[n++] = r->threads[i];
    qsort_r(th, n, sizeof(*th), cmp_thread, (void *)m);
    for (size_t i = 0; i < n; i++) {
        if (th[i]->c.contentions || th[i]->blocked_others_ns)
            finding_thread(f, th[i]->thread);
        struct finding_row *row = finding_row(f);
        row_thread(row, "where", th[i]->thread);
        counts_row(row, &th[i]->c, &th[i]->wait, th[i]->blocked_others_ns, th[i]->long_holds);
    }
    free(th);
}

static void report_hotspot(const struct model *m, const struct lockstats *ls,
                           const struct lockstats_lock_row *r, unsigned rank,
                           struct findings *out)
{
    const struct lockstats_config *cfg = lockstats_config(ls);
    const struct lockstats_counts *c = &r->c;
    char name[128], thr[32];
    model_lock_label(m, r->lock, name, sizeof(name));
    lockstats_format_duration(cfg->hold_threshold_ns, thr, sizeof(thr));

    /* The prose carries no measured numbers (they are in the metrics and
     * the table), so two runs of one program read the same. */
    struct finding *f = findings_add(out, FINDING_CONTENTION, "contention-hotspot", SEV_WARNING);
    f->sort_key = rank;
    finding_lock(f, r->lock);
    finding_title(f, "%s is a contention hotspot: threads queued for it again and again", name);
    finding_why(f, "A thread waiting for %s does no work: the time spent waiting (wait_total; "
                "waited_on per holder site and thread) is what this lock costs, and it grows "
                "with every thread added.",
                name);
    if (r->long_holds)
        finding_fix(f, "Holds of %s longer than %s made other threads wait (long_holds): move "
                    "slow work (I/O, sleeping, allocation, logging) out of the critical sections "
                    "at the holder sites below.",
                    name, thr);
    else if (c->hold_count && c->hold_max_ns >= cfg->hold_threshold_ns)
        finding_fix(f, "Holds of %s last longer than %s (hold_max): move slow work (I/O, "
                    "sleeping, allocation, logging) out of the critical sections, or split the "
                    "lock (one per object or hash bucket).",
                    name, thr);
    else
        finding_fix(f, "Shorten the critical sections at the holder sites below, split the lock "
                    "(one per object or hash bucket), or use a reader-writer lock for "
                    "read-mostly data.");
    finding_metric_u64(f, "rank", rank);
    lock_metrics(f, r);
    if (m->duration_ns)
        finding_metric_f64(f, "avg_waiting_threads",
                           (double)c->wait_total_ns / (double)m->duration_ns);
    finding_columns(f, columns, sizeof(columns) / sizeof(columns[0]));
    add_sites(f, r, cfg->hold_threshold_ns);
    add_threads(m, f, r);
}

static void note_gil(const struct model *m, const struct lockstats_lock_row *r,
                     struct findings *out)
{
    char name[128];
    model_lock_label(m, r->lock, name, sizeof(name));
    findings_note(out, "%s is CPython's GIL: labelled, not reported as contention (threads "
                  "waiting for the GIL show as timed waits on its condition variable)",
                  name);
}

void detect_contention(const struct model *m, const struct lockstats *ls,
                       const struct report_opts *o, struct findings *out)
{
    if (!ls)
        return;
    size_t n;
    const struct lockstats_lock_row *const *rows = lockstats_locks(ls, &n);
    const struct lockstats_lock_row **hot = xcalloc(n + 1, sizeof(*hot));
    size_t nhot = 0;
    for (size_t i = 0; i < n; i++) {
        const struct lockstats_lock_row *r = rows[i];
        if (lockstats_is_gil(m, r)) {
            note_gil(m, r, out);
            continue;
        }
        if (!r->c.contentions || !lockstats_reportable(m, r->lock))
            continue;
        const char *rule = not_a_hotspot(m, r);
        if (rule)
            report_pruned(m, r, rule, out);
        else
            hot[nhot++] = r;
    }
    qsort_r(hot, nhot, sizeof(*hot), cmp_hotspot, (void *)m);
    unsigned top = o && o->top ? o->top : UINT32_MAX;
    for (size_t i = 0; i < nhot && i < top; i++)
        report_hotspot(m, ls, hot[i], (unsigned)i + 1, out);
    if (nhot > top)
        findings_note(out, "%zu more contended lock%s not shown (--top %u)", nhot - top,
                      nhot - top == 1 ? "" : "s", top);
    free(hot);
}
