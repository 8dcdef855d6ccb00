/* Nested monitors and CPython's GIL: both read how threads use condvars
 * and counting semaphores (which locks they hold while waiting on and
 * signalling one).  The GIL rule here is the only one: lockstats uses it
 * too (model_gil_pattern). */
#include <string.h>

#include "analyzer/model_state.h"

/* Notes the locks thread holds (except `except`) while it waits on or
 * signals the condvar / counting semaphore obj. */
void monitors_note(struct model *m, uint32_t obj, uint32_t thread, uint32_t site, uint32_t except,
                   bool waiting)
{
    struct lstate *s = &m->priv->ls[obj];
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        if (h->lock == except || !m->locks[h->lock].is_lock ||
            (except != MODEL_NONE && m->locks[h->lock].node == m->locks[except].node))
            continue;
        struct monitor_note **arr = waiting ? &s->waits : &s->signals;
        uint8_t *n = waiting ? &s->nwaits : &s->nsignals;
        bool dup = false;
        for (uint8_t k = 0; k < *n && !dup; k++)
            dup = m->locks[(*arr)[k].lock].node == m->locks[h->lock].node &&
                  (*arr)[k].thread == thread;
        if (dup || *n >= MONITOR_NOTES)
            continue;
        if (!*arr)
            *arr = xcalloc(MONITOR_NOTES, sizeof **arr);
        (*arr)[(*n)++] = (struct monitor_note){h->lock, thread, site, h->site};
    }
}

/* A thread that waits on a condvar or semaphore while holding L, and a
 * thread that signals / posts it while holding L: the signaller may block
 * on L while the waiter waits for the signal (a nested-monitor lockout). */
void monitors_match(struct model *m)
{
    for (size_t i = 0; i < m->nlocks; i++) {
        const struct lstate *s = &m->priv->ls[i];
        const struct model_lock *obj = &m->locks[i];
        if (!s->nwaits || !s->nsignals || obj->label ||
            (s->cond_mutex != MODEL_NONE && m->locks[s->cond_mutex].label))
            continue;
        for (uint8_t w = 0; w < s->nwaits; w++)
            for (uint8_t g = 0; g < s->nsignals; g++) {
                const struct monitor_note *a = &s->waits[w], *b = &s->signals[g];
                if (a->thread == b->thread || m->locks[a->lock].node != m->locks[b->lock].node)
                    continue;
                struct model_fact *f =
                    facts_add(m, MODEL_FACT_WAIT_HOLDING, a->thread, a->lock, a->site, 0);
                if (f) {
                    f->lock2 = (uint32_t)i;
                    f->other = b->thread;
                    f->other_site = b->site;
                    f->lock3 = MODEL_NONE;
                }
            }
    }
}

/* ---- CPython's GIL ---- */

bool model_gil_process(const struct model *m, uint32_t proc)
{
    if (proc >= m->nprocs)
        return false;
    const struct swt_file_header *h = &m->procs[proc].hdr;
    const char *exe = strrchr(h->exe, '/');
    exe = exe ? exe + 1 : h->exe;
    return strncmp(exe, "python", 6) == 0 || strstr(h->cmdline, "python") != NULL;
}

/* CPython's take_gil waits on gil->cond under gil->mutex with a timeout
 * of the switch interval (5 ms by default), and with two busy threads
 * about half of those waits time out (architecture.md fact 17).  So: at
 * least two threads waited, and some waits timed out.  Where the wait
 * times are measured (lockstats), also: at least two timed out, at least a
 * tenth of the waits did, and the timed-out ones lasted 0.5 to 50 ms on
 * average. */
bool model_gil_pattern(const struct model_gil_evidence *e)
{
    if (e->waiter_threads < 2 || e->timeouts < 1)
        return false;
    if (!e->timed)
        return true;
    if (e->timeouts < 2 || e->timeouts * 10 < e->waits)
        return false;
    uint64_t avg = e->timeout_ns / e->timeouts;
    return avg >= 500ull * 1000 && avg <= 50ull * 1000 * 1000;
}

/* Labels "GIL" a condvar with the pattern, and its mutex, in a Python
 * process.  The pass knows per condvar whether one or several threads
 * waited and how many waits timed out, not their times. */
void monitors_label_gil(struct model *m)
{
    for (size_t i = 0; i < m->nlocks; i++) {
        const struct lstate *s = &m->priv->ls[i];
        struct model_lock *l = &m->locks[i];
        if (l->kind != SWT_KIND_COND || s->cond_mutex == MODEL_NONE)
            continue;
        struct model_gil_evidence e = {
            .waiter_threads = s->cond_many_waiters ? 2 : 1,
            .waits = s->cond_waits,
            .timeouts = s->cond_timeouts,
        };
        if (!model_gil_pattern(&e) || !model_gil_process(m, l->proc))
            continue;
        l->label = "GIL";
        m->locks[s->cond_mutex].label = "GIL";
    }
}
