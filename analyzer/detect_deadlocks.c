/* Actual deadlocks: at the end of the trace (the program ended, hung and was
 * killed, or is still running), threads blocked in a wait-for cycle.  The
 * final state comes from the thread blocks (model_thread.held and
 * waiting_lock), which the recorder keeps current in the mapped file, so a
 * killed program's trace still has it.  Process-shared locks are one graph
 * node, so a cycle may run across processes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect.h"
#include "analyzer/xalloc.h"

#define MAX_CYCLE_THREADS 32

struct wf {
    const struct model *m;
    uint32_t **holders; /* per thread: the threads holding the lock it waits for */
    size_t *nholders;
    bool *reported;     /* thread already in a reported cycle */
};

static bool holds_node(const struct model *m, const struct model_thread *t, uint32_t node,
                       uint32_t *site)
{
    for (size_t i = 0; i < t->nheld; i++)
        if (m->locks[t->held[i].lock].node == node) {
            *site = t->held[i].site;
            return true;
        }
    return false;
}

static bool blocked(const struct model_thread *t)
{
    return (t->waiting_lock != MODEL_NONE || t->waiting_join != MODEL_NONE) &&
           (t->end == MODEL_END_UNKNOWN || t->end == MODEL_END_KILLED ||
            t->end == MODEL_END_PROC_EXIT);
}

static uint32_t hold_site(const struct model *m, uint32_t thread, uint32_t lock)
{
    uint32_t site = MODEL_NONE;
    holds_node(m, &m->threads[thread], m->locks[lock].node, &site);
    return site;
}

static void report_cycle(const struct wf *w, const uint32_t *cyc, size_t n, struct findings *out)
{
    const struct model *m = w->m;
    struct finding *f = findings_add(out, FINDING_DEADLOCK, "deadlock", SEV_ERROR);
    f->sort_key = m->threads[cyc[0]].display;
    char b1[160], b2[160];
    size_t cap = 64 * (n + 1), len = 0;
    char *list = xmalloc(cap);
    list[0] = 0;
    for (size_t i = 0; i < n; i++) {
        const char *l = model_thread_label(m, cyc[i], b1, sizeof b1);
        if (len + strlen(l) + 8 >= cap)
            list = xrealloc(list, cap = (len + strlen(l) + 8) * 2);
        len += (size_t)snprintf(list + len, cap - len, "%s%s",
                                i == 0 ? "" : i + 1 == n ? " and " : ", ", l);
    }
    bool any_join = false;
    for (size_t i = 0; i < n; i++)
        any_join |= m->threads[cyc[i]].waiting_lock == MODEL_NONE;
    if (any_join)
        finding_title(f, "deadlock: %s are blocked, each waiting for a lock another one holds or "
                         "in pthread_join for another one to end",
                      list);
    else
        finding_title(f, "deadlock: %s are blocked, each waiting for a lock another one holds",
                      list);
    free(list);
    bool joins = false;
    for (size_t i = 0; i < n; i++) {
        const struct model_thread *t = &m->threads[cyc[i]];
        uint32_t wait = t->waiting_lock;
        /* the lock this thread holds that the previous one waits for (none
         * when the previous one waits to join this one) */
        uint32_t prev_wait = m->threads[cyc[(i + n - 1) % n]].waiting_lock;
        uint32_t held = MODEL_NONE;
        for (size_t k = 0; prev_wait != MODEL_NONE && k < t->nheld; k++)
            if (m->locks[t->held[k].lock].node == m->locks[prev_wait].node)
                held = t->held[k].lock;
        finding_thread(f, cyc[i]);
        if (held != MODEL_NONE) {
            finding_lock(f, held);
            finding_item(f, "holds", cyc[i], held, hold_site(m, cyc[i], held), 0, NULL);
        }
        const char *state = m->procs[t->proc].running ? "still waiting now: the process is running"
                            : t->end == MODEL_END_KILLED ? "still waiting when the process was killed"
                                                         : "still waiting at the end of the trace";
        if (wait == MODEL_NONE) {
            /* blocked in pthread_join on the next thread of the cycle */
            char note[256];
            snprintf(note, sizeof note, "for %s to end; %s",
                     model_thread_label(m, t->waiting_join, b1, sizeof b1), state);
            finding_item(f, "waits in pthread_join", cyc[i], MODEL_NONE, t->waiting_site,
                         t->waiting_since_ns, note);
            joins = true;
            continue;
        }
        finding_lock(f, wait);
        finding_item(f, "waits for", cyc[i], wait, t->waiting_site, t->waiting_since_ns, state);
        finding_scenario(f, cyc[i], held, wait);
    }
    const struct model_thread *t0 = &m->threads[cyc[0]];
    if (joins) {
        finding_why(f, "None of these threads can go on: a thread waits in pthread_join for a "
                       "thread that waits for a lock the joiner still holds (or for another "
                       "thread of this cycle). The program hangs here.");
        finding_fix(f, "Release the locks the joined thread needs before joining it, or have "
                       "it finish without them.");
        return;
    }
    finding_why(f,
                "None of these threads can go on: each waits for a lock that the next one "
                "holds, and that one is itself waiting. The program hangs here (%s waits for "
                "%s).",
                model_thread_label(m, cyc[0], b1, sizeof b1),
                model_lock_label(m, t0->waiting_lock, b2, sizeof b2));
    finding_fix(f, "Take these locks in one global order on every path (the lock-order cycle "
                   "report, if any, shows the orders seen), or hold one lock at a time here.");
}

static void report_self(const struct model *m, uint32_t t, uint32_t site, struct findings *out)
{
    const struct model_thread *th = &m->threads[t];
    char b1[160], b2[160];
    struct finding *f = findings_add(out, FINDING_DEADLOCK, "self-deadlock", SEV_ERROR);
    f->sort_key = th->display;
    finding_title(f, "self-deadlock: %s waits for %s, which it already holds",
                  model_thread_label(m, t, b1, sizeof b1),
                  model_lock_label(m, th->waiting_lock, b2, sizeof b2));
    finding_thread(f, t);
    finding_lock(f, th->waiting_lock);
    finding_item(f, "holds", t, th->waiting_lock, site, 0, NULL);
    finding_item(f, "waits for", t, th->waiting_lock, th->waiting_site, th->waiting_since_ns,
                 "again, and never gets it");
    finding_why(f, "%s is not recursive: locking it again from the thread that holds it "
                   "blocks that thread forever.",
                model_lock_label(m, th->waiting_lock, b2, sizeof b2));
    finding_fix(f, "Do not re-lock on this path (split the function into a locked and an "
                   "unlocked variant), or make the mutex PTHREAD_MUTEX_RECURSIVE.");
}

static bool self_blocks(const struct model_lock *l, uint32_t held_flags, uint32_t wait_flags)
{
    if (l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED)
        return false; /* another thread may post */
    if (l->type == SWT_TYPE_RECURSIVE && l->kind != SWT_KIND_RWLOCK)
        return false;
    if (l->kind == SWT_KIND_RWLOCK && (held_flags & SWT_ACQ_READ) && (wait_flags & SWT_ACQ_READ))
        return l->type == SWT_TYPE_RW_PREFER_WRITER_NONREC;
    return true;
}

static bool dfs(struct wf *w, uint32_t start, uint32_t v, uint32_t *path, size_t depth,
                struct findings *out)
{
    if (depth >= MAX_CYCLE_THREADS)
        return false;
    path[depth] = v;
    for (size_t k = 0; k < w->nholders[v]; k++) {
        uint32_t h = w->holders[v][k];
        if (h == start) {
            report_cycle(w, path, depth + 1, out);
            for (size_t i = 0; i <= depth; i++)
                w->reported[path[i]] = true;
            return true;
        }
        if (h < start || w->reported[h])
            continue;
        bool seen = false;
        for (size_t i = 0; i <= depth; i++)
            seen |= path[i] == h;
        if (!seen && dfs(w, start, h, path, depth + 1, out))
            return true;
    }
    return false;
}

/* Nested-monitor lockouts: a wait for a signal while holding a lock that
 * the signaller needs.  Potential, like a lock-order cycle (the kind is
 * "cycle"), and less certain: the signaller may signal without that lock
 * on another path. */
static void detect_wait_holding(const struct model *m, struct findings *out)
{
    char b1[160], b2[160], b3[160], b4[160];
    for (size_t i = 0; i < m->nfacts; i++) {
        const struct model_fact *x = &m->facts[i];
        if (x->kind != MODEL_FACT_WAIT_HOLDING || x->lock >= m->nlocks || x->lock2 >= m->nlocks)
            continue;
        const struct model_lock *obj = &m->locks[x->lock2];
        bool cond = obj->kind == SWT_KIND_COND || obj->kind == SWT_KIND_C11_CND;
        struct finding *f = findings_add(out, FINDING_CYCLE, "wait-holding-lock", SEV_WARNING);
        const char *lk = model_lock_label(m, x->lock, b1, sizeof b1);
        const char *ob = model_lock_label(m, x->lock2, b2, sizeof b2);
        const char *w = model_thread_label(m, x->thread, b3, sizeof b3);
        const char *sg = model_thread_label(m, x->other, b4, sizeof b4);
        finding_title(f, "potential deadlock: %s waits on %s %s while holding %s, which %s holds "
                         "when it %s",
                      w, cond ? "condvar" : "semaphore", ob, lk, sg, cond ? "signals" : "posts");
        finding_lock(f, x->lock);
        finding_lock(f, x->lock2);
        finding_thread(f, x->thread);
        finding_thread(f, x->other);
        finding_item(f, "holds", x->thread, x->lock, MODEL_NONE, 0, NULL);
        finding_item(f, cond ? "waits on condvar" : "waits on semaphore", x->thread, x->lock2,
                     x->site, 0, NULL);
        finding_item(f, cond ? "signals" : "posts", x->other, x->lock2, x->other_site, 0,
                     NULL);
        finding_scenario(f, x->thread, x->lock, x->lock2);
        finding_scenario(f, x->other, MODEL_NONE, x->lock);
        finding_metric_str(f, "confidence", "medium");
        finding_why(f,
                    "While %s waits for the %s it still holds %s. If %s needs %s before it can "
                    "%s, it blocks on %s and the %s never comes: both hang (a nested-monitor "
                    "lockout). The trace shows %s %s %s while holding %s.",
                    w, cond ? "signal" : "post", lk, sg, lk, cond ? "signal" : "post", lk,
                    cond ? "signal" : "post", sg, cond ? "signalling" : "posting", ob, lk);
        finding_fix(f, "Release %s before waiting (hold only the condvar's own mutex in a "
                       "wait), or %s without holding %s.",
                    lk, cond ? "signal" : "post", lk);
    }
}

void detect_deadlocks(const struct model *m, const struct report_opts *o, struct findings *out)
{
    (void)o;
    detect_wait_holding(m, out);
    size_t n = m->nthreads;
    if (!n)
        return;
    struct wf w = {.m = m};
    w.holders = xcalloc(n, sizeof *w.holders);
    w.nholders = xcalloc(n, sizeof *w.nholders);
    w.reported = xcalloc(n, sizeof *w.reported);
    for (size_t i = 0; i < n; i++) {
        const struct model_thread *t = &m->threads[i];
        if (!blocked(t))
            continue;
        if (t->waiting_lock == MODEL_NONE) {
            /* A join waits for the joined thread, when that one is blocked. */
            uint32_t j = t->waiting_join;
            if (j < n && j != i && blocked(&m->threads[j])) {
                w.holders[i] = xrealloc(w.holders[i], sizeof **w.holders);
                w.holders[i][w.nholders[i]++] = j;
            }
            continue;
        }
        if (t->waiting_lock >= m->nlocks)
            continue;
        uint32_t node = m->locks[t->waiting_lock].node;
        for (size_t k = 0; k < n; k++) {
            uint32_t site;
            if (!holds_node(m, &m->threads[k], node, &site))
                continue;
            if (k == i) {
                uint32_t hf = 0;
                for (size_t j = 0; j < t->nheld; j++)
                    if (m->locks[t->held[j].lock].node == node)
                        hf = t->held[j].flags;
                if (self_blocks(&m->locks[t->waiting_lock], hf, t->waiting_flags)) {
                    report_self(m, (uint32_t)i, site, out);
                    w.reported[i] = true;
                }
                continue;
            }
            w.holders[i] = xrealloc(w.holders[i], (w.nholders[i] + 1) * sizeof **w.holders);
            w.holders[i][w.nholders[i]++] = (uint32_t)k;
        }
    }
    uint32_t path[MAX_CYCLE_THREADS];
    for (size_t s = 0; s < n; s++)
        if (!w.reported[s] && w.nholders[s])
            dfs(&w, (uint32_t)s, (uint32_t)s, path, 0, out);
    for (size_t i = 0; i < n; i++)
        free(w.holders[i]);
    free(w.holders);
    free(w.nholders);
    free(w.reported);
}
