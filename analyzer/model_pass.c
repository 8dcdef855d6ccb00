/* model_build: the one time-ordered pass over the merged records of every
 * trace of a run, the dispatch of each record to its layer's handler
 * (model_state.h lists the layers), and the ordered finish. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzer/model_state.h"
#include "analyzer/rec_fields.h"
#include "analyzer/run_merge.h"

/* ---- the dispatch ---- */

/* Fills the event the observers see (model indices of the record's lock,
 * mutex and site; the holder when a wait or acquisition began), then hands
 * the record to its layer's handler. */
static void on_record(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t proc = c->proc;
    c->ev.lock = c->ev.lock2 = MODEL_NONE;
    c->ev.site = MODEL_NONE;
    c->ev.holder = c->ev.holder_site = MODEL_NONE;
    switch (r->type) {
    case SWT_REC_ACQUIRE:
    case SWT_REC_WAIT:
    case SWT_REC_FAIL:
    case SWT_REC_RELEASE:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_LOCKOP_LOCK]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_LOCKOP_SITE]);
        if (c->ev.lock != MODEL_NONE && r->type != SWT_REC_RELEASE) {
            struct lstate *s = holds_state(m, c->ev.lock);
            c->ev.holder = s->owner;
            c->ev.holder_site = s->owner_site;
        }
        break;
    case SWT_REC_COND_WAIT:
        c->ev.lock2 = ids_lock_of(m, proc, r->f[RF_COND_WAIT_MUTEX]);
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_COND_WAIT_COND]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_COND_WAIT_SITE]);
        break;
    case SWT_REC_COND_SIGNAL:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_COND_SIGNAL_COND]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_COND_SIGNAL_SITE]);
        break;
    case SWT_REC_COND_WAKE:
        c->ev.lock2 = ids_lock_of(m, proc, r->f[RF_COND_WAKE_MUTEX]);
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_COND_WAKE_COND]);
        break;
    case SWT_REC_BARRIER_DONE:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_BARRIER_DONE_BARRIER]);
        break;
    case SWT_REC_SEM_POST:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_SEM_POST_SEM]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_SEM_POST_SITE]);
        break;
    case SWT_REC_BARRIER_WAIT:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_BARRIER_WAIT_BARRIER]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_BARRIER_WAIT_SITE]);
        break;
    case SWT_REC_DESTROY:
        c->ev.lock = ids_lock_of(m, proc, r->f[RF_DESTROY_LOCK]);
        c->ev.site = ids_stack_of(m, proc, r->f[RF_DESTROY_SITE]);
        break;
    default:
        break;
    }
    switch (r->type) {
    /* lock records: model_locks.c */
    case SWT_REC_ACQUIRE:
        locks_on_acquire(c);
        break;
    case SWT_REC_WAIT:
        locks_on_wait(c);
        break;
    case SWT_REC_FAIL:
        locks_on_fail(c);
        break;
    case SWT_REC_RELEASE:
        locks_on_release(c);
        break;
    case SWT_REC_COND_WAIT:
        locks_on_cond_wait(c);
        break;
    case SWT_REC_COND_WAKE:
        locks_on_cond_wake(c);
        break;
    case SWT_REC_COND_SIGNAL:
        locks_on_cond_signal(c);
        break;
    case SWT_REC_SEM_POST:
        locks_on_sem_post(c);
        break;
    case SWT_REC_BARRIER_WAIT:
        locks_on_barrier_wait(c);
        break;
    case SWT_REC_BARRIER_DONE:
        locks_on_barrier_done(c);
        break;
    case SWT_REC_DESTROY:
        locks_on_destroy(c);
        break;
    case SWT_REC_LOCK_NEW: {
        locks_on_lock_new(c);
        const struct pstate *ps = &m->priv->ps[proc];
        uint64_t id = r->f[RF_LOCK_NEW_LOCK];
        c->ev.lock = ps->lock_map && id < ps->lock_cap ? ps->lock_map[id] : MODEL_NONE;
        break;
    }
    /* lock orders: model_edges.c */
    case SWT_REC_EDGE:
        edges_on_edge(c);
        break;
    /* stacks: model_ids.c */
    case SWT_REC_STACK:
        ids_on_stack(c);
        break;
    /* threads and processes: model_life.c */
    case SWT_REC_THREAD_START:
        life_on_thread_start(c);
        break;
    case SWT_REC_THREAD_CREATE:
        life_on_thread_create(c);
        break;
    case SWT_REC_THREAD_EXIT:
        life_on_thread_exit(c);
        break;
    case SWT_REC_THREAD_JOIN:
        life_on_thread_join(c);
        break;
    case SWT_REC_JOIN_BEGIN:
        life_on_join_begin(c);
        break;
    case SWT_REC_THREAD_NAME:
        life_on_thread_name(c);
        break;
    case SWT_REC_MODULE:
        life_on_module(c);
        break;
    case SWT_REC_FORK:
        life_on_fork(c);
        break;
    case SWT_REC_PROC_EXIT:
        life_on_proc_exit(c);
        break;
    case SWT_REC_EXEC:
        life_on_exec_failed(c);
        break;
    case SWT_REC_DROPPED:
        life_on_dropped(c);
        break;
    case SWT_REC_NOTE:
        life_on_note(c);
        break;
    default:
        break;
    }
}

/* ---- the pass ---- */

static uint64_t abs_ns(const struct swt_file_header *h, uint64_t ticks)
{
    unsigned __int128 v = (unsigned __int128)ticks * h->tick_ns_q32;
    v >>= 32;
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* The trace's clock read now, by this process on the same machine: the
 * recorder's TSC (invariant, shared by every CPU) or CLOCK_MONOTONIC. */
static uint64_t clock_now_ticks(const struct swt_file_header *h)
{
#if defined(__x86_64__)
    if (h->clock == SWT_CLOCK_TSC) {
        uint32_t lo, hi, aux;
        __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        return ((uint64_t)hi << 32) | lo;
    }
#endif
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A trace without a clean end whose process is alive now (same pid, same
 * program): the analysis looks at a running program, not a killed one. */
static bool still_running(const struct swt_file_header *h)
{
    if (h->pid <= 0 || (kill(h->pid, 0) < 0 && errno != EPERM))
        return false;
    char link[64], exe[sizeof h->exe];
    snprintf(link, sizeof link, "/proc/%d/exe", h->pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = 0;
    return strncmp(exe, h->exe, sizeof h->exe) == 0;
}

static int cmp_proc_pid(const void *a, const void *b)
{
    const struct swt_file_header *x = swt_header(*(struct swt_trace *const *)a);
    const struct swt_file_header *y = swt_header(*(struct swt_trace *const *)b);
    if (x->start_ticks != y->start_ticks && x->clock == y->clock)
        return x->start_ticks < y->start_ticks ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void stat_cb(void *vctx, uint32_t thread, const struct swt_stat_slot *slot)
{
    struct model_ctx *c = vctx;
    struct model *m = c->m;
    uint32_t t = ids_thread_of(m, c->proc, thread);
    if (slot->lock == SWT_STAT_UNCOUNTED) {
        /* With every event recorded, the events count them all. */
        if (t != MODEL_NONE && !(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
            m->threads[t].uncounted_acquisitions += slot->acquisitions;
            m->threads[t].uncounted_contentions += slot->contentions;
            m->threads[t].uncounted_failures += slot->failures;
        }
        return;
    }
    uint32_t lock = ids_lock_of(m, c->proc, slot->lock);
    uint32_t site = ids_stack_of(m, c->proc, slot->site);
    if (t == MODEL_NONE || lock == MODEL_NONE)
        return;
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
        m->locks[lock].acquisitions += slot->acquisitions;
        m->locks[lock].contentions += slot->contentions;
    }
    for (size_t i = 0; i < m->priv->nobs; i++)
        if (m->priv->obs[i].stat_slot)
            m->priv->obs[i].stat_slot(m->priv->obs[i].ctx, m, t, lock, site, slot);
}

/* ---- the ordered finish ---- */

/* What the pass cannot know until every record is read, in this order
 * (each step relies on the ones before it). */
static void finish(struct model *m)
{
    struct model_priv *p = m->priv;
    /* 1. Threads known only from their blocks (profile mode, no records). */
    for (size_t i = 0; i < m->nprocs; i++)
        for (size_t k = 0; k < swt_thread_count(p->ps[i].trace); k++)
            ids_thread_of(m, (uint32_t)i, swt_thread_at(p->ps[i].trace, k));
    /* 2. Processes that ended without a PROC_EXIT record: killed (their
     *    threads' blocks are the final word), or exited (holds as of the
     *    last record, or from the blocks in profile mode). */
    bool *killed_procs = xcalloc(m->nprocs, sizeof *killed_procs);
    life_unrecorded_ends(m, killed_procs);
    /* 3. Each thread's final holds and wait, from its block or the stream. */
    for (size_t i = 0; i < m->nthreads; i++)
        life_finalize_thread(m, (uint32_t)i);
    /* 4. Lock orders of threads blocked at the end (profile mode), from 3. */
    edges_final_waits(m);
    /* 5. Held-at-end facts from the final holds of 3 (killed processes,
     *    and exits in profile mode). */
    for (size_t i = 0; i < m->nprocs; i++)
        if (killed_procs[i] || p->ps[i].final_holds_due)
            life_final_holds(m, (uint32_t)i, m->procs[i].end_ns,
                             killed_procs[i] || m->procs[i].exit_how == SWT_EXIT_SIGNAL ||
                                 m->procs[i].hdr.state == SWT_PROC_SIGNALED);
    free(killed_procs);
    /* 6. Waits that never ended on a lock whose holder is gone (after 2-5
     *    decided who ended). */
    life_abandoned_waits(m);
    /* 7. Held-at-fork facts kept or dropped on the child's evidence (the
     *    final waits of 3 count as evidence). */
    life_resolve_fork_checks(m);
    /* 8. Profile counters, to the model's locks and to the observers. */
    struct model_ctx c = {.m = m};
    for (size_t i = 0; i < m->nprocs; i++) {
        c.proc = (uint32_t)i;
        swt_foreach_stat(p->ps[i].trace, stat_cb, &c);
    }
    /* 9. The GIL label, before 10 (a GIL's condvar is no nested monitor). */
    monitors_label_gil(m);
    /* 10. Nested monitors from the notes of the whole pass. */
    monitors_match(m);
    /* 11. T<n> by process and thread index (stable across runs). */
    ids_number_threads(m);
    /* 12. Edges sorted by (from, to) for model_edge_find; the lookup table
     *     is gone after this. */
    edges_sort(m);
    /* 13. The observers' done callbacks, on the final model. */
    for (size_t i = 0; i < p->nobs; i++)
        if (p->obs[i].done)
            p->obs[i].done(p->obs[i].ctx, m);
}

int model_build(struct model *m, struct swt_trace *const *traces_in, size_t ntraces,
                const struct model_opts *opts, const struct model_observer *obs, size_t nobs,
                char *err, size_t errlen)
{
    static const struct model_opts defaults = {.derive_edges = true};
    memset(m, 0, sizeof *m);
    struct model_priv *p = xcalloc(1, sizeof *p);
    m->priv = p;
    p->opts = opts ? opts : &defaults;
    p->obs = obs;
    p->nobs = nobs;
    if (!ntraces) {
        snprintf(err, errlen, "no trace files");
        return -1;
    }
    struct swt_trace **traces = xmalloc(ntraces * sizeof *traces);
    memcpy(traces, traces_in, ntraces * sizeof *traces);
    qsort(traces, ntraces, sizeof *traces, cmp_proc_pid);

    m->nprocs = ntraces;
    m->procs = xcalloc(ntraces, sizeof *m->procs);
    p->ps = xcalloc(ntraces, sizeof *p->ps);
    p->run_base_ns = UINT64_MAX;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < ntraces; i++) {
        const struct swt_file_header *h = swt_header(traces[i]);
        struct model_process *pr = &m->procs[i];
        pr->index = (uint32_t)i;
        pr->file = swt_path(traces[i]);
        pr->hdr = *h;
        pr->pid = h->pid;
        pr->ppid = h->ppid;
        pr->parent_proc = pr->fork_thread = MODEL_NONE;
        pr->exit_status = h->exit_status;
        pr->ended = h->state != SWT_PROC_RUNNING;
        pr->killed = h->state == SWT_PROC_RUNNING;
        pr->running = pr->killed && still_running(h);
        if (pr->running) {
            pr->killed = false;
            pr->now_ns = abs_ns(h, clock_now_ticks(h)); /* absolute until the base is known */
        }
        p->ps[i].trace = traces[i];
        p->ps[i].base_ns = abs_ns(h, h->start_ticks);
        if (p->ps[i].base_ns < p->run_base_ns)
            p->run_base_ns = p->ps[i].base_ns;
        m->dropped_events += h->dropped_events;
        if (h->features & SWT_FEAT_EVENTS)
            m->has_events = true;
        if (h->features & SWT_FEAT_PROFILE)
            m->has_profile = true;
        total_bytes += swt_file_size(traces[i]);
    }
    /* Fork children: their first thread continues the forking thread. */
    for (size_t i = 0; i < ntraces; i++) {
        struct model_process *pr = &m->procs[i];
        if (!pr->hdr.fork_parent_pid)
            continue;
        for (size_t k = 0; k < ntraces; k++)
            if (k != i && m->procs[k].pid == pr->hdr.fork_parent_pid &&
                m->procs[k].hdr.exec_generation == pr->hdr.fork_parent_generation) {
                pr->parent_proc = (uint32_t)k;
            }
    }
    free(traces);
    for (size_t i = 0; i < ntraces; i++)
        if (m->procs[i].running)
            m->procs[i].now_ns = m->procs[i].now_ns > p->run_base_ns
                                     ? m->procs[i].now_ns - p->run_base_ns
                                     : 0;
    model_link_images(m);

    int rc = 0;
    uint64_t *bases = xmalloc(ntraces * sizeof *bases);
    struct swt_trace **ordered = xmalloc(ntraces * sizeof *ordered);
    for (size_t i = 0; i < ntraces; i++) {
        bases[i] = p->ps[i].base_ns;
        ordered[i] = p->ps[i].trace;
    }
    struct run_merge *mg = run_merge_new(ordered, bases, ntraces, err, errlen);
    if (!mg) {
        free(bases);
        free(ordered);
        rc = -1;
        goto out;
    }

    struct model_ctx c = {.m = m};
    uint64_t next_progress = 1u << 20;
    /* about 5 bytes per record: good enough for a progress bar */
    uint64_t events_guess = total_bytes / 5 + 1;
    const struct swt_rec *r;
    uint32_t trace_index;
    uint64_t abs;
    int mrc;
    while ((mrc = run_merge_next(mg, &r, &trace_index, &abs, err, errlen)) > 0) {
        size_t best = trace_index;
        c.proc = (uint32_t)best;
        c.r = r;
        c.ns = abs - p->run_base_ns;
        c.thread = ids_thread_of(m, c.proc, r->thread);
        if (c.thread != MODEL_NONE) {
            struct model_thread *t = &m->threads[c.thread];
            if (!t->nevents++)
                t->start_ns = c.ns;
            t->end_ns = t->end_ns > c.ns ? t->end_ns : c.ns;
            on_record(&c);
            if (nobs) {
                c.ev.rec = r;
                c.ev.proc = c.proc;
                c.ev.thread = c.thread;
                c.ev.ns = c.ns;
                for (size_t i = 0; i < nobs; i++)
                    if (obs[i].event)
                        obs[i].event(obs[i].ctx, m, &c.ev);
            }
            p->ts[c.thread].last_ns = c.ns;
        }
        m->procs[best].nevents++;
        m->procs[best].end_ns = c.ns;
        m->duration_ns = c.ns;
        if (++m->nevents >= next_progress) {
            next_progress += 1u << 20;
            if (p->opts->progress) {
                uint64_t done = m->nevents < events_guess ? m->nevents : events_guess - 1;
                p->opts->progress(p->opts->progress_ctx, done, events_guess);
            }
        }
    }
    run_merge_free(mg);
    free(bases);
    free(ordered);
    if (mrc < 0) {
        rc = -1;
        goto out;
    }

    finish(m);
out:
    return rc;
}

void model_free(struct model *m)
{
    struct model_priv *p = m->priv;
    if (p) {
        for (size_t i = 0; i < m->nthreads && p->ts; i++) {
            free(p->ts[i].held);
            free(p->ts[i].memo);
            free(p->ts[i].exit_facts);
            hb_vc_free(&p->ts[i].create_vc);
            hb_free(&p->ts[i].hb);
        }
        free(p->ts);
        for (size_t i = 0; i < m->nlocks && p->ls; i++) {
            free(p->ls[i].waits);
            free(p->ls[i].signals);
        }
        free(p->ls);
        for (size_t i = 0; i < m->nprocs && p->ps; i++) {
            hb_vc_free(&p->ps[i].fork_vc);
            free(p->ps[i].lock_map);
            free(p->ps[i].thread_map);
            free(p->ps[i].stack_map);
            struct addr_entry *a, *atmp;
            HASH_ITER (hh, p->ps[i].addrs, a, atmp) {
                HASH_DEL(p->ps[i].addrs, a);
                free(a);
            }
        }
        free(p->ps);
        free(p->fork_checks);
        free(p->edge_keys);
        free(p->edge_vals);
        struct fact_entry *f, *ftmp;
        HASH_ITER (hh, p->fact_hash, f, ftmp) {
            HASH_DEL(p->fact_hash, f);
            free(f);
        }
        struct shared_entry *s, *stmp;
        HASH_ITER (hh, p->shared, s, stmp) {
            HASH_DEL(p->shared, s);
            free(s);
        }
        free(p);
    }
    for (size_t i = 0; i < m->nprocs; i++) {
        for (size_t k = 0; k < m->procs[i].nmodules; k++) {
            free(m->procs[i].modules[k].build_id);
            free(m->procs[i].modules[k].path);
        }
        free(m->procs[i].modules);
    }
    free(m->procs);
    for (size_t i = 0; i < m->nthreads; i++) {
        free(m->threads[i].name);
        free(m->threads[i].held);
        free(m->threads[i].table_full_note);
    }
    free(m->threads);
    for (size_t i = 0; i < m->nlocks; i++) {
        free(m->locks[i].sem_name);
        free(m->locks[i].name);
    }
    free(m->locks);
    for (size_t i = 0; i < m->nstacks; i++)
        free(m->stacks[i].ips);
    free(m->stacks);
    for (size_t i = 0; i < m->nedges; i++)
        free(m->edges[i].variants);
    free(m->edges);
    free(m->facts);
    memset(m, 0, sizeof *m);
}
