/* Threads and processes: their start, creation, join, name and end, fork
 * (and the locks a child inherits held), the end of a process and what its
 * threads still held, and the final state of every thread from its block
 * or the stream. */
#include <stdlib.h>
#include <string.h>

#include "analyzer/model_state.h"
#include "analyzer/rec_fields.h"
#include "common/trace_encode.h"

void life_on_thread_exit(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    struct tstate *ts = &m->priv->ts[c->thread];
    struct model_thread *t = &m->threads[c->thread];
    if (ts->nexit_facts)
        facts_withdraw_exit(m, c->thread, MODEL_NONE);
    t->end =
        r->f[RF_THREAD_EXIT_HOW] == SWT_THREAD_CANCELED ? MODEL_END_CANCELED : MODEL_END_EXITED;
    t->end_ns = c->ns;
    /* Profile mode has no ACQUIRE records: take the held ids of the record. */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS) && !ts->nheld && r->blob_len) {
        const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
        uint64_t id;
        while (p < end && swt_get_varint(&p, end, &id) == 0) {
            uint32_t lock = ids_lock_of(m, c->proc, id);
            if (lock != MODEL_NONE && kind_holdable(&m->locks[lock])) {
                holds_push(m, c->thread, lock, 0, MODEL_NONE, 0);
                holds_taken(m, c->thread, lock, 0, MODEL_NONE);
            }
        }
    }
    facts_held_at_end(m, MODEL_FACT_HELD_AT_THREAD_END, c->thread, c->ns, MODEL_NONE, MODEL_NONE);
    ts->ended = true;
    ts->exit_seen = true;
}

void life_on_thread_start(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (r->f[RF_THREAD_START_PARENT]) {
        uint32_t parent =
            ids_thread_of(m, c->proc, r->f[RF_THREAD_START_PARENT]); /* may move m->threads */
        m->threads[c->thread].parent = parent;
        if (parent != MODEL_NONE) {
            struct tstate *ct = &m->priv->ts[c->thread];
            ids_vc_inherit(m, c->thread, parent,
                           ct->create_epoch ? ct->create_epoch : m->priv->ts[parent].hb.epoch,
                           ct->has_create_vc ? &ct->create_vc : NULL);
            hb_vc_free(&ct->create_vc);
            ct->has_create_vc = false;
        }
        m->priv->ts[c->thread].started = true;
    }
    struct model_thread *t = &m->threads[c->thread];
    t->create_site = ids_stack_of(m, c->proc, r->f[RF_THREAD_START_CREATE_SITE]);
    t->start_ns = c->ns;
}

void life_on_thread_create(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (!r->f[RF_THREAD_CREATE_CHILD] || r->f[RF_THREAD_CREATE_ERROR])
        return;
    uint32_t child = ids_thread_of(m, c->proc, r->f[RF_THREAD_CREATE_CHILD]);
    if (child == MODEL_NONE || child == c->thread)
        return;
    struct tstate *ts = &m->priv->ts[c->thread], *cs = &m->priv->ts[child];
    if (!cs->create_epoch && !cs->started) {
        /* the creator's clock now, not when the child's first record
         * comes (the creator may join others in between) */
        cs->create_epoch = ts->hb.epoch;
        if (!m->hb_disabled) {
            hb_vc_copy(&cs->create_vc, &ts->hb);
            cs->has_create_vc = true;
        }
    }
    ts->hb.epoch++;
}

/* A join under way: if it never returns, the thread was blocked waiting
 * for the joined one to end (the hang findings follow it there). */
void life_on_join_begin(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    struct tstate *ts = &m->priv->ts[c->thread];
    uint64_t joined = r->f[RF_JOIN_BEGIN_THREAD];
    ts->join_wait = joined ? ids_thread_of(m, c->proc, joined) : MODEL_NONE;
    ts->join_site = ids_stack_of(m, c->proc, r->f[RF_JOIN_BEGIN_SITE]);
    ts->join_since = c->ns;
}

void life_on_thread_join(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    m->priv->ts[c->thread].join_wait = MODEL_NONE;
    if (!r->f[RF_THREAD_JOIN_THREAD] || r->f[RF_THREAD_JOIN_ERROR])
        return;
    uint32_t joined = ids_thread_of(m, c->proc, r->f[RF_THREAD_JOIN_THREAD]);
    if (joined == MODEL_NONE)
        return;
    m->threads[joined].joined_by = c->thread;
    m->threads[joined].join_ns = c->ns;
    ids_vc_join(m, c->thread, joined);
}

void life_on_thread_name(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t t = r->f[RF_THREAD_NAME_THREAD]
                     ? ids_thread_of(m, c->proc, r->f[RF_THREAD_NAME_THREAD])
                     : c->thread;
    if (t != MODEL_NONE && r->blob_len) {
        free(m->threads[t].name);
        m->threads[t].name = xstrndup((const char *)r->blob, r->blob_len);
    }
}

/* The recorder lost events: counted in the report, and this thread's
 * unlocks without a hold accuse nobody (facts_add). */
void life_on_dropped(struct model_ctx *c)
{
    struct model *m = c->m;
    m->dropped_events += c->r->f[RF_DROPPED_COUNT];
    if (c->thread != MODEL_NONE) {
        m->priv->ts[c->thread].dropped = true;
        m->threads[c->thread].dropped_events += c->r->f[RF_DROPPED_COUNT];
    }
}

/* The recorder could not keep something of this thread (a held list it
 * could not extend): the first such note is kept for the report
 * (detect_limits.c). */
void life_on_note(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (r->f[RF_NOTE_CODE] == SWT_NOTE_TABLE_FULL && c->thread != MODEL_NONE &&
        !m->threads[c->thread].table_full_note)
        m->threads[c->thread].table_full_note = xstrndup((const char *)r->blob, r->blob_len);
}

void life_on_fork(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (r->f[RF_FORK_ROLE] != 0 || r->f[RF_FORK_ERROR] != 0)
        return;
    uint32_t child = MODEL_NONE;
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].pid == (int32_t)r->f[RF_FORK_PID] && m->procs[i].parent_proc == c->proc)
            child = (uint32_t)i;
    if (child != MODEL_NONE) {
        m->procs[child].fork_ns = c->ns;
        struct pstate *cps = &m->priv->ps[child];
        const struct tstate *ft = &m->priv->ts[c->thread];
        if (!cps->fork_epoch_set) {
            cps->fork_epoch_set = true;
            cps->fork_epoch = ft->hb.epoch;
            if (!m->hb_disabled && m->procs[child].fork_thread == MODEL_NONE) {
                hb_vc_copy(&cps->fork_vc, &ft->hb);
                cps->has_fork_vc = true;
            }
        }
    }
    m->priv->ts[c->thread].hb.epoch++;
    /* Profile mode has no ACQUIRE records: a shim that knows the other
     * threads' holds at the fork lists them in the record's blob as varint
     * pairs (holder thread index, lock id). */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS) && r->blob_len) {
        const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
        uint64_t th, id;
        while (p < end && swt_get_varint(&p, end, &th) == 0 && swt_get_varint(&p, end, &id) == 0) {
            uint32_t holder = ids_thread_of(m, c->proc, th), lock = ids_lock_of(m, c->proc, id);
            if (holder == MODEL_NONE || lock == MODEL_NONE || holder == c->thread ||
                (m->locks[lock].flags & SWT_LOCK_PSHARED))
                continue;
            struct model_fact *f =
                facts_add(m, MODEL_FACT_HELD_AT_FORK, holder, lock, MODEL_NONE, c->ns);
            if (f) {
                f->other = c->thread;
                f->other_site = c->ev.site;
                f->proc2 = child;
            }
        }
        return;
    }
    /* Locks other threads hold stay locked forever in the child, which has
     * only a copy of the forking thread. */
    for (size_t i = 0; i < m->nthreads; i++) {
        if (i == c->thread || m->threads[i].proc != c->proc || m->priv->ts[i].ended)
            continue;
        struct tstate *ts = &m->priv->ts[i];
        for (size_t k = 0; k < ts->nheld; k++) {
            const struct model_held *h = &ts->held[k];
            if (m->locks[h->lock].flags & SWT_LOCK_PSHARED)
                continue;
            /* The forking thread released this lock after its last
             * acquisition and the holder took it since: the forker held it
             * across the fork (pthread_atfork prepare/parent handlers) and
             * this hold began after the fork. */
            const struct tstate *ft = &m->priv->ts[c->thread];
            bool after = false;
            for (uint32_t k2 = 0; k2 < ft->ntrail; k2++)
                if (ft->trail_lock[k2] == m->locks[h->lock].node && h->since_ns >= ft->trail_ns[k2])
                    after = true;
            if (after)
                continue;
            struct model_fact *f =
                facts_add(m, MODEL_FACT_HELD_AT_FORK, (uint32_t)i, h->lock, h->site, c->ns);
            if (f) {
                f->other = c->thread;
                f->other_site = c->ev.site;
                f->proc2 = child;
                /* The FORK record is stamped between the program's atfork
                 * prepare and parent handlers (whose own lock calls are not
                 * recorded), so a hold seen now existed at the fork.  A
                 * child that took the lock at once says otherwise (a trace
                 * of an older shim stamped FORK after the parent handlers). */
                struct model_priv *p = m->priv;
                p->fork_checks =
                    xrealloc(p->fork_checks, (p->nfork_checks + 1) * sizeof *p->fork_checks);
                struct fork_check *fc = &p->fork_checks[p->nfork_checks++];
                fc->fact = (size_t)(f - m->facts);
                fc->child = child;
                fc->addr = m->locks[h->lock].addr;
                fc->ambiguous = false;
            }
        }
    }
}

static void proc_end_holds(struct model *m, uint32_t proc, uint64_t ns, bool killed)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        if (m->threads[i].proc != proc || m->priv->ts[i].ended)
            continue;
        facts_held_at_end(m, MODEL_FACT_HELD_AT_PROC_END, (uint32_t)i, ns, MODEL_NONE, MODEL_NONE);
        m->threads[i].end = killed ? MODEL_END_KILLED : MODEL_END_PROC_EXIT;
        if (!m->threads[i].end_ns)
            m->threads[i].end_ns = ns;
        m->priv->ts[i].ended = true;
    }
}

/* After a kill, or an exit in profile mode (no ACQUIRE records), the
 * threads' final state (their blocks) says what stayed held. */
void life_final_holds(struct model *m, uint32_t proc, uint64_t ns, bool killed)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        struct model_thread *t = &m->threads[i];
        if (t->proc != proc || m->priv->ts[i].ended)
            continue;
        for (size_t k = 0; k < t->nheld; k++) {
            struct model_fact *f = facts_add(m, MODEL_FACT_HELD_AT_PROC_END, (uint32_t)i,
                                             t->held[k].lock, t->held[k].site, ns);
            if (f)
                f->count = 1;
        }
        t->end = killed ? MODEL_END_KILLED : MODEL_END_PROC_EXIT;
        m->priv->ts[i].ended = true;
    }
}

void life_on_proc_exit(struct model_ctx *c)
{
    struct model *m = c->m;
    struct model_process *p = &m->procs[c->proc];
    p->exit_how = (uint32_t)c->r->f[RF_PROC_EXIT_HOW];
    p->exit_status = (int32_t)c->r->f[RF_PROC_EXIT_STATUS];
    p->ended = true;
    p->end_ns = c->ns;
    m->priv->ps[c->proc].saw_proc_exit = true;
    if (p->exit_how == SWT_EXIT_EXEC)
        return;
    if (!(p->hdr.features & SWT_FEAT_EVENTS)) {
        m->priv->ps[c->proc].final_holds_due = true; /* from the blocks, after the pass */
        return;
    }
    /* The records of other threads of this process that are still to come
     * (same timestamp) are few; the holds as of now are what exit left. */
    proc_end_holds(m, c->proc, c->ns, p->exit_how == SWT_EXIT_SIGNAL);
}

/* An exec after PROC_EXIT(EXEC) failed: the image goes on, its end is
 * still to come. */
void life_on_exec_failed(struct model_ctx *c)
{
    struct model_process *p = &c->m->procs[c->proc];
    p->ended = false;
    p->exit_how = 0;
    c->m->priv->ps[c->proc].saw_proc_exit = false;
}

void life_on_module(struct model_ctx *c)
{
    const struct swt_rec *r = c->r;
    struct model_process *p = &c->m->procs[c->proc];
    uint64_t bl = r->f[RF_MODULE_BUILD_ID_LEN];
    if (bl > r->blob_len)
        return;
    p->modules = xrealloc(p->modules, (p->nmodules + 1) * sizeof *p->modules);
    struct model_module *mod = &p->modules[p->nmodules++];
    mod->start = r->f[RF_MODULE_START];
    mod->end = r->f[RF_MODULE_END];
    mod->offset = r->f[RF_MODULE_OFFSET];
    mod->build_id_len = (uint32_t)bl;
    mod->build_id = xmalloc(bl ? bl : 1);
    memcpy(mod->build_id, r->blob, bl);
    mod->path = xstrndup((const char *)r->blob + bl, r->blob_len - bl);
}

void life_finalize_thread(struct model *m, uint32_t idx)
{
    struct model_priv *p = m->priv;
    struct model_thread *t = &m->threads[idx];
    struct tstate *ts = &p->ts[idx];
    struct pstate *ps = &p->ps[t->proc];
    const struct swt_thread_block *b = swt_thread_block(ps->trace, t->tindex);
    uint64_t base = ps->base_ns > p->run_base_ns ? ps->base_ns - p->run_base_ns : 0;
    /* With every event recorded the stream knows best (an unlock by another
     * thread ends a hold the holder's block still lists); without events,
     * or with some dropped, the block is the live state the recorder kept
     * up to date even through a kill. */
    const struct swt_file_header *hdr = &m->procs[t->proc].hdr;
    bool stream = (hdr->features & SWT_FEAT_EVENTS) && !hdr->dropped_events && t->nevents;
    if (b && !stream) {
        uint32_t n = b->nheld < SWT_MAX_HELD ? b->nheld : SWT_MAX_HELD;
        t->held = xcalloc(n ? n : 1, sizeof *t->held);
        t->nheld = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t lock = ids_lock_of(m, t->proc, b->held[i].lock);
            if (lock == MODEL_NONE)
                continue;
            struct model_held *h = &t->held[t->nheld++];
            h->lock = lock;
            h->flags = b->held[i].flags;
            h->site = ids_stack_of(m, t->proc, b->held[i].site);
            h->depth = b->held[i].depth;
            h->since_ns = b->held[i].since_ticks
                              ? swt_ticks_to_ns(ps->trace, b->held[i].since_ticks) + base
                              : 0;
        }
        t->held_overflow = b->held_overflow;
        t->waiting_lock = b->waiting_lock ? ids_lock_of(m, t->proc, b->waiting_lock) : MODEL_NONE;
        t->waiting_flags = b->waiting_flags;
        t->waiting_site = b->waiting_lock ? ids_stack_of(m, t->proc, b->waiting_site) : MODEL_NONE;
        t->waiting_since_ns =
            b->waiting_since_ticks ? swt_ticks_to_ns(ps->trace, b->waiting_since_ticks) + base : 0;
        if (b->waiting_join && b->waiting_join != SWT_JOIN_UNKNOWN && t->waiting_lock == MODEL_NONE) {
            t->waiting_join = ids_thread_of(m, t->proc, b->waiting_join);
            t->waiting_site = ids_stack_of(m, t->proc, b->waiting_site);
        }
        if (t->end == MODEL_END_UNKNOWN || t->end == MODEL_END_KILLED ||
            t->end == MODEL_END_PROC_EXIT) {
            if (b->state == SWT_THREAD_EXITED)
                t->end = MODEL_END_EXITED;
            else if (b->state == SWT_THREAD_CANCELED)
                t->end = MODEL_END_CANCELED;
        }
    } else {
        if (b && t->end == MODEL_END_UNKNOWN) {
            if (b->state == SWT_THREAD_EXITED)
                t->end = MODEL_END_EXITED;
            else if (b->state == SWT_THREAD_CANCELED)
                t->end = MODEL_END_CANCELED;
        }
        t->held = xcalloc(ts->nheld ? ts->nheld : 1, sizeof *t->held);
        if (ts->nheld)
            memcpy(t->held, ts->held, ts->nheld * sizeof *t->held);
        t->nheld = ts->nheld;
        t->waiting_lock = ts->waiting_lock;
        t->waiting_flags = ts->waiting_flags;
        t->waiting_site = ts->waiting_lock != MODEL_NONE ? ts->waiting_site : MODEL_NONE;
        t->waiting_since_ns = ts->waiting_since;
        if (ts->waiting_lock == MODEL_NONE && ts->obj_wait == MODEL_NONE &&
            ts->join_wait != MODEL_NONE) {
            t->waiting_join = ts->join_wait;
            t->waiting_site = ts->join_site;
            t->waiting_since_ns = ts->join_since;
        }
        if (ts->waiting_lock == MODEL_NONE && ts->obj_wait != MODEL_NONE) {
            /* Blocked on a condvar or barrier, as the thread block says too. */
            t->waiting_lock = ts->obj_wait;
            t->waiting_flags = ts->obj_wait_flags;
            t->waiting_site = ts->obj_wait_site;
            t->waiting_since_ns = ts->obj_wait_since;
        }
    }
}

/* Keeps a held-at-fork fact when the child found the lock held, drops it
 * when the child took it at once, and drops an ambiguous one without
 * evidence (no false alarm from atfork handlers). */
void life_resolve_fork_checks(struct model *m)
{
    struct model_priv *p = m->priv;
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock != MODEL_NONE)
            locks_note_child_use(m, t->proc, t->waiting_lock, CHILD_FOUND_IT_HELD);
    }
    for (size_t i = 0; i < p->nfork_checks; i++) {
        const struct fork_check *fc = &p->fork_checks[i];
        enum child_use use = CHILD_UNUSED;
        if (fc->child != MODEL_NONE) {
            struct addr_entry *a;
            HASH_FIND(hh, p->ps[fc->child].addrs, &fc->addr, sizeof fc->addr, a);
            if (a)
                use = a->child_use;
        }
        if (use == CHILD_TOOK_IT || (use == CHILD_UNUSED && fc->ambiguous))
            m->facts[fc->fact].kind = MODEL_FACT_NONE;
    }
}

/* A process that never ended cleanly was killed (or is still running):
 * whatever its threads held stays held.  One that ended (header state)
 * without a PROC_EXIT record left the holds of its last records, or in
 * profile mode those of its blocks (life_final_holds, later). */
void life_unrecorded_ends(struct model *m, bool *killed_procs)
{
    struct model_priv *p = m->priv;
    for (size_t i = 0; i < m->nprocs; i++) {
        struct model_process *pr = &m->procs[i];
        if (pr->running)
            continue; /* a live trace: holds now are no abandonment */
        if (pr->killed && !p->ps[i].saw_proc_exit) {
            for (size_t t = 0; t < m->nthreads; t++)
                if (m->threads[t].proc == i && !p->ts[t].ended) {
                    /* the thread blocks are the final word after a kill */
                    const struct swt_thread_block *b =
                        swt_thread_block(p->ps[i].trace, m->threads[t].tindex);
                    if (b && b->state != SWT_THREAD_RUNNING)
                        p->ts[t].ended = true;
                }
            killed_procs[i] = true;
        } else if (pr->ended && !p->ps[i].saw_proc_exit) {
            if (pr->hdr.features & SWT_FEAT_EVENTS)
                proc_end_holds(m, (uint32_t)i, pr->end_ns, pr->hdr.state == SWT_PROC_SIGNALED);
            else
                p->ps[i].final_holds_due = true;
        }
    }
}

/* Waits that never ended on a lock whose holder is gone. */
void life_abandoned_waits(struct model *m)
{
    struct model_priv *p = m->priv;
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock == MODEL_NONE)
            continue;
        uint32_t owner = holds_holder(m, t->waiting_lock);
        /* gone: the holder's thread ended, or its process did (a
         * process-shared lock waited for from another process) */
        bool gone =
            owner != MODEL_NONE && owner != i &&
            (p->ts[owner].exit_seen || (p->ts[owner].ended && m->threads[owner].proc != t->proc));
        if (gone) {
            struct model_fact *f = facts_add(m, MODEL_FACT_WAIT_ON_ABANDONED, (uint32_t)i,
                                             t->waiting_lock, t->waiting_site, m->duration_ns);
            if (f) {
                f->never_ended = true;
                f->other = owner;
                f->other_site = holds_state(m, t->waiting_lock)->owner_site;
            }
        }
    }
}
