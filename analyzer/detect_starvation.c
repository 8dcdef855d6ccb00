/* Starvation and unfairness, from the per-(lock, thread) statistics:
 *
 *  - starved-waiter: a thread waited at least --wait-threshold for a lock
 *    while other threads acquired it at least --starve-count times (also a
 *    wait still open when the trace ended);
 *  - writer-starved-by-readers: the same, for a writer of an rwlock whose
 *    wait lived through at least --starve-count read acquisitions;
 *  - barging: one thread re-acquired a lock --starve-count times in a row
 *    while others waited, over at least --wait-threshold, reported on its
 *    own only when no waiter of that lock met the starvation thresholds
 *    (otherwise it is part of that finding's story).
 *
 * Every finding carries the lock's per-thread wait distribution (p50, p99,
 * max). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* qsort_r */
#endif
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/detect.h"
#include "analyzer/lockstats.h"
#include "analyzer/lockstats_feed.h"
#include "analyzer/xalloc.h"

static uint32_t thread_display(const struct model *m, uint32_t thread)
{
    return thread < m->nthreads ? m->threads[thread].display : UINT32_MAX;
}

static int cmp_thread(const void *a, const void *b, void *ctx)
{
    const struct model *m = ctx;
    const struct lockstats_thread_row *x = *(const struct lockstats_thread_row *const *)a;
    const struct lockstats_thread_row *y = *(const struct lockstats_thread_row *const *)b;
    uint32_t dx = thread_display(m, x->thread), dy = thread_display(m, y->thread);
    return dx < dy ? -1 : dx > dy;
}

/* Longest starving wait first. */
static int cmp_starved(const void *a, const void *b, void *ctx)
{
    const struct lockstats_thread_row *x = *(const struct lockstats_thread_row *const *)a;
    const struct lockstats_thread_row *y = *(const struct lockstats_thread_row *const *)b;
    if (x->worst.duration_ns != y->worst.duration_ns)
        return x->worst.duration_ns > y->worst.duration_ns ? -1 : 1;
    return cmp_thread(a, b, ctx);
}

static const char *const columns[] = {
    "thread", "acquisitions", "contentions", "wait_p50", "wait_p99", "wait_max",
    "wait_total", "starved_waits", "waiting_at_end",
};

/* The lock's wait distribution per thread, threads in display order. */
static void distribution_table(const struct model *m, struct finding *f,
                               const struct lockstats_lock_row *r)
{
    const struct lockstats_thread_row **th = xcalloc(r->nthreads + 1, sizeof(*th));
    size_t n = 0;
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i]->c.acquisitions || r->threads[i]->c.contentions)
            th[n++] = r->threads[i];
    qsort_r(th, n, sizeof(*th), cmp_thread, (void *)m);
    finding_columns(f, columns, sizeof(columns) / sizeof(columns[0]));
    for (size_t i = 0; i < n; i++) {
        struct finding_row *row = finding_row(f);
        row_thread(row, "thread", th[i]->thread);
        row_u64(row, "acquisitions", th[i]->c.acquisitions);
        row_u64(row, "contentions", th[i]->c.contentions);
        row_ns(row, "wait_p50", th[i]->wait.p50_ns);
        row_ns(row, "wait_p99", th[i]->wait.p99_ns);
        row_ns(row, "wait_max", th[i]->wait.max_ns);
        row_ns(row, "wait_total", th[i]->c.wait_total_ns);
        row_u64(row, "starved_waits", th[i]->starved_waits);
        row_str(row, "waiting_at_end", th[i]->waiting_at_end ? "yes" : "no");
    }
    free(th);
}

static uint32_t stack_of(uint32_t site)
{
    return site == LOCKSTATS_NONE ? MODEL_NONE : site;
}

/* The lock's longest barging run as a story step, when it is long enough
 * to be part of the story (a reader taking its turn twice is not). */
static void barge_item(const struct model *m, const struct lockstats *ls, struct finding *f,
                       const struct lockstats_lock_row *r)
{
    const struct lockstats_run *b = &r->barge;
    uint64_t min = lockstats_config(ls)->starve_count;
    if (b->thread >= m->nthreads || b->length < 2 || b->length < min)
        return;
    char who[64];
    model_thread_label(m, b->waiter, who, sizeof(who));
    /* Numbers stay in the metrics (longest_run): prose reads the same in
     * every run. */
    char *note = xasprintf("took it again and again while %s waited", who);
    finding_thread(f, b->thread);
    finding_item(f, "barges", b->thread, r->lock, stack_of(b->site), b->start_ns, note);
    free(note);
    finding_metric_u64(f, "longest_run", b->length);
}

static void report_starved(const struct model *m, const struct lockstats *ls,
                           const struct lockstats_lock_row *r,
                           const struct lockstats_thread_row *t, struct findings *out)
{
    const struct lockstats_config *cfg = lockstats_config(ls);
    const struct lockstats_wait_record *w = &t->worst;
    bool writer = r->kind == SWT_KIND_RWLOCK && (w->flags & SWT_ACQ_WRITE) &&
                  w->reads_acquired >= cfg->starve_count;
    char lock[128], who[64], thr[32];
    model_lock_label(m, r->lock, lock, sizeof(lock));
    model_thread_label(m, t->thread, who, sizeof(who));
    lockstats_format_duration(cfg->wait_threshold_ns, thr, sizeof(thr));
    const char *still = w->unfinished ? "; it was still waiting when the trace ended" : "";
    unsigned long long n = (unsigned long long)cfg->starve_count;

    /* Thresholds are options, so they may appear in the prose; measured
     * numbers go into the metrics and the table. */
    struct finding *f = findings_add(out, FINDING_STARVATION,
                                     writer ? "writer-starved-by-readers" : "starved-waiter",
                                     SEV_WARNING);
    f->sort_key = UINT64_MAX - w->duration_ns;
    finding_lock(f, r->lock);
    finding_thread(f, t->thread);
    if (writer) {
        finding_title(f, "writer %s was starved of %s by readers: it waited longer than %s while "
                      "readers took the lock at least %llu times%s",
                      who, lock, thr, n, still);
        finding_why(f, "The rwlock lets new readers in while a writer waits (glibc's default, "
                    "reader-preferring kind), so a steady stream of readers can keep the writer "
                    "out indefinitely.");
        finding_fix(f, "Make the rwlock writer-preferring (pthread_rwlockattr_setkind_np with "
                    "PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), or shorten and space out the "
                    "read sections.");
    } else {
        finding_title(f, "%s was starved of %s: it waited longer than %s while other threads "
                      "took the lock at least %llu times%s",
                      who, lock, thr, n, still);
        finding_why(f, "The lock is not fair: a thread that releases it and asks again at once "
                    "usually wins against a woken waiter, so %s waited while other threads "
                    "kept taking the lock.",
                    who);
        finding_fix(f, "Let the busy threads do their work outside the lock so that they leave "
                    "gaps, hand the lock over explicitly (a ticket or queue lock, or a condition "
                    "variable with turns), or split the work so one thread does not need the "
                    "lock in a tight loop.");
    }
    const char *note = "its longest starving wait began here";
    finding_item(f, "waits", t->thread, r->lock, stack_of(w->site), w->start_ns, note);
    barge_item(m, ls, f, r);
    finding_metric_ns(f, "wait", w->duration_ns);
    finding_metric_u64(f, "others_acquired", w->others_acquired);
    if (r->kind == SWT_KIND_RWLOCK)
        finding_metric_u64(f, "reads_acquired", w->reads_acquired);
    finding_metric_u64(f, "starved_waits", t->starved_waits);
    finding_metric_ns(f, "wait_p50", t->wait.p50_ns);
    finding_metric_ns(f, "wait_p99", t->wait.p99_ns);
    finding_metric_ns(f, "wait_max", w->duration_ns > t->wait.max_ns ? w->duration_ns
                                                                      : t->wait.max_ns);
    finding_metric_ns(f, "wait_threshold", cfg->wait_threshold_ns);
    finding_metric_u64(f, "starve_count", cfg->starve_count);
    distribution_table(m, f, r);
}

static void report_barging(const struct model *m, const struct lockstats *ls,
                           const struct lockstats_lock_row *r, struct findings *out)
{
    const struct lockstats_config *cfg = lockstats_config(ls);
    const struct lockstats_run *b = &r->barge;
    char lock[128], who[64], waiter[64];
    model_lock_label(m, r->lock, lock, sizeof(lock));
    model_thread_label(m, b->thread, who, sizeof(who));
    model_thread_label(m, b->waiter, waiter, sizeof(waiter));
    struct finding *f = findings_add(out, FINDING_STARVATION, "barging", SEV_INFO);
    f->sort_key = UINT64_MAX - (b->end_ns - b->start_ns);
    finding_lock(f, r->lock);
    finding_title(f, "%s took %s at least %llu times in a row while %s waited", who, lock,
                  (unsigned long long)cfg->starve_count, waiter);
    finding_why(f, "No single wait crossed the starvation thresholds, but the lock went to the "
                "same thread again and again while others were queued: the waiters' progress "
                "depends on that thread leaving a gap.");
    finding_fix(f, "Do the work between acquisitions outside the lock, or hand the lock over "
                "explicitly when others wait.");
    finding_thread(f, b->waiter);
    barge_item(m, ls, f, r);
    finding_metric_ns(f, "run_span", b->end_ns - b->start_ns);
    finding_metric_u64(f, "starve_count", cfg->starve_count);
    distribution_table(m, f, r);
}

void detect_starvation(const struct model *m, const struct lockstats *ls,
                       const struct report_opts *o, struct findings *out)
{
    (void)o; /* the thresholds were given to lockstats when the pass began */
    if (!ls)
        return;
    const struct lockstats_config *cfg = lockstats_config(ls);
    size_t n;
    const struct lockstats_lock_row *const *rows = lockstats_locks(ls, &n);
    for (size_t i = 0; i < n; i++) {
        const struct lockstats_lock_row *r = rows[i];
        if (lockstats_is_gil(m, r) || !lockstats_reportable(m, r->lock))
            continue;
        const struct lockstats_thread_row **st = xcalloc(r->nthreads + 1, sizeof(*st));
        size_t nst = 0;
        for (size_t j = 0; j < r->nthreads; j++)
            if (r->threads[j]->worst.valid && r->threads[j]->thread < m->nthreads)
                st[nst++] = r->threads[j];
        qsort_r(st, nst, sizeof(*st), cmp_starved, (void *)m);
        for (size_t j = 0; j < nst; j++)
            report_starved(m, ls, r, st[j], out);
        free(st);
        const struct lockstats_run *b = &r->barge;
        if (!nst && b->thread < m->nthreads && b->waiter < m->nthreads &&
            b->length >= cfg->starve_count && b->end_ns - b->start_ns >= cfg->wait_threshold_ns)
            report_barging(m, ls, r, out);
    }
}
