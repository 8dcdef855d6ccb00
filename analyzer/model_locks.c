/* The handlers of lock records: registration (LOCK_NEW), the hold life
 * cycle (WAIT, ACQUIRE, FAIL, RELEASE, SEM_POST), condvars and DESTROY.
 * They keep the holds, note lock-order edges and nested monitors, and
 * record the misuse facts as they happen. */
#include <errno.h>
#include <string.h>

#include "analyzer/model_state.h"
#include "analyzer/rec_fields.h"

static void use_check(struct model *m, uint32_t thread, uint32_t lock, uint32_t site, uint64_t ns)
{
    struct lstate *s = &m->priv->ls[lock];
    struct model_lock *l = &m->locks[lock];
    if ((l->destroyed || s->reuse_after_destroy) && !s->uad_reported) {
        s->uad_reported = true;
        facts_add(m, MODEL_FACT_USE_AFTER_DESTROY, thread, lock, site, ns);
    }
    if (l->first_thread == MODEL_NONE) {
        l->first_thread = thread;
        l->first_ns = ns;
        if (l->init_site == MODEL_NONE)
            l->init_site = site;
    }
}

void locks_on_lock_new(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    struct pstate *ps = &m->priv->ps[c->proc];
    uint32_t *slot = ids_map_slot(&ps->lock_map, &ps->lock_cap, r->f[RF_LOCK_NEW_LOCK]);
    if (!slot)
        return;
    uint32_t idx = *slot;
    if (idx == MODEL_NONE || m->priv->ls[idx].defined)
        idx = *slot = ids_new_lock(m, c->proc, (uint32_t)r->f[RF_LOCK_NEW_LOCK]);
    struct model_lock *l = &m->locks[idx];
    struct lstate *s = &m->priv->ls[idx];
    s->defined = true;
    l->kind = (uint32_t)r->f[RF_LOCK_NEW_KIND];
    l->type = (uint32_t)r->f[RF_LOCK_NEW_TYPE];
    l->flags = (uint32_t)r->f[RF_LOCK_NEW_FLAGS];
    l->addr = r->f[RF_LOCK_NEW_ADDR];
    l->generation = r->f[RF_LOCK_NEW_GENERATION];
    l->init_site = ids_stack_of(m, c->proc, r->f[RF_LOCK_NEW_SITE]);
    l->dev = r->f[RF_LOCK_NEW_DEV];
    l->ino = r->f[RF_LOCK_NEW_INO];
    l->offset = r->f[RF_LOCK_NEW_OFFSET];
    l->value = r->f[RF_LOCK_NEW_VALUE];
    if (r->blob_len)
        l->sem_name = xstrndup((const char *)r->blob, r->blob_len);
    switch (l->kind) {
    case SWT_KIND_MUTEX:
    case SWT_KIND_RWLOCK:
    case SWT_KIND_SPIN:
    case SWT_KIND_C11_MTX:
        l->is_lock = true;
        break;
    case SWT_KIND_SEM:
    case SWT_KIND_SEM_NAMED:
        /* CPython's threading.Lock and multiprocessing.Lock: value 1. */
        l->is_lock = l->binary_sem = l->value == 1;
        break;
    default:
        l->is_lock = false;
    }
    /* The same object seen by several processes is one graph node. */
    if (((l->flags & SWT_LOCK_PSHARED) || l->kind == SWT_KIND_SEM_NAMED) && l->ino) {
        struct shared_key key = {m->procs[l->proc].hdr.run_id, l->dev, l->ino, l->offset};
        struct shared_entry *e;
        HASH_FIND(hh, m->priv->shared, &key, sizeof key, e);
        if (e) {
            l->node = e->lock;
        } else {
            e = xcalloc(1, sizeof *e);
            e->key = key;
            e->lock = idx;
            HASH_ADD(hh, m->priv->shared, key, sizeof e->key, e);
        }
    }
    /* Registered without init where a destroyed lock lived: the program
     * uses it after destroy (or reused the memory with a static
     * initialiser, which the trace cannot tell apart). */
    struct addr_entry *a;
    HASH_FIND(hh, ps->addrs, &l->addr, sizeof l->addr, a);
    if (a) {
        if ((l->flags & SWT_LOCK_STATIC) && m->locks[a->lock].destroyed &&
            m->locks[a->lock].kind == l->kind)
            s->reuse_after_destroy = true;
        a->lock = idx;
    } else if (l->addr) {
        a = xcalloc(1, sizeof *a);
        a->addr = l->addr;
        a->lock = idx;
        HASH_ADD(hh, ps->addrs, addr, sizeof a->addr, a);
    }
}

void locks_note_child_use(struct model *m, uint32_t proc, uint32_t lock, enum child_use use)
{
    if (m->procs[proc].parent_proc == MODEL_NONE || !m->locks[lock].addr)
        return;
    struct addr_entry *a;
    HASH_FIND(hh, m->priv->ps[proc].addrs, &m->locks[lock].addr, sizeof(uint64_t), a);
    if (a && a->child_use == CHILD_UNUSED)
        a->child_use = (uint8_t)use;
}

static void end_wait(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    if (ts->waiting_lock == lock)
        ts->waiting_lock = MODEL_NONE;
}

/* A wait or acquisition by the holder itself. */
static bool self_deadlock(const struct model_lock *l, uint32_t held_flags, uint32_t flags)
{
    if (kind_is_sem(l) || kind_is_recursive(l))
        return false;
    if (l->kind == SWT_KIND_RWLOCK) {
        if ((held_flags & SWT_ACQ_READ) && (flags & SWT_ACQ_READ))
            return l->type == SWT_TYPE_RW_PREFER_WRITER_NONREC;
        return true;
    }
    return true;
}

void locks_on_wait(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct tstate *ts = &m->priv->ts[c->thread];
    ts->ntrail = 0;
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    if (kind_is_sem(&m->locks[lock]) && !m->locks[lock].binary_sem)
        monitors_note(m, lock, c->thread, c->ev.site, MODEL_NONE, true);
    /* The order exists from the attempt on: a thread that hangs here never
     * gets to the ACQUIRE. */
    if (holds_find(m, c->thread, lock) < 0)
        edges_derive(m, c->thread, lock, (uint32_t)r->f[RF_LOCKOP_FLAGS], c->ev.site, c->ns);
    ts->waiting_lock = lock;
    ts->waiting_flags = (uint32_t)r->f[RF_LOCKOP_FLAGS];
    ts->waiting_site = c->ev.site;
    ts->waiting_since = c->ns;
    long h = holds_find(m, c->thread, lock);
    if (h >= 0 &&
        self_deadlock(&m->locks[lock], ts->held[h].flags, (uint32_t)r->f[RF_LOCKOP_FLAGS])) {
        struct model_fact *f = facts_add(m, MODEL_FACT_RELOCK, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = c->thread;
            f->other_site = ts->held[h].site;
        }
    }
}

void locks_on_acquire(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    uint32_t flags = (uint32_t)r->f[RF_LOCKOP_FLAGS];
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = holds_state(m, lock);
    /* Profile mode writes an ACQUIRE only for EOWNERDEAD, with no RELEASE
     * after it: it is the owner-dead fact and nothing else.  Holds there
     * come from the thread blocks (a hold pushed here would be reported
     * held at exit, or its unlock as unheld). */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
        if (flags & SWT_ACQ_OWNER_DEAD) {
            struct model_fact *f =
                facts_add(m, MODEL_FACT_OWNER_DEAD, c->thread, lock, c->ev.site, c->ns);
            if (f && s->owner != c->thread) {
                f->other = s->owner;
                f->other_site = s->owner_site;
            }
            holds_drop_any(m, lock);
        }
        return;
    }
    m->priv->ts[c->thread].ntrail = 0;
    locks_note_child_use(m, c->proc, lock, CHILD_TOOK_IT);
    end_wait(m, c->thread, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    l->acquisitions++;
    if (flags & SWT_ACQ_CONTENDED)
        l->contentions++;
    if (flags & SWT_ACQ_OWNER_DEAD) {
        struct model_fact *f =
            facts_add(m, MODEL_FACT_OWNER_DEAD, c->thread, lock, c->ev.site, c->ns);
        if (f && s->owner != c->thread) {
            f->other = s->owner;
            f->other_site = s->owner_site;
        }
        holds_drop_any(m, lock);
    }
    if (!kind_holdable(l))
        return;
    if (flags & SWT_ACQ_RECURSIVE) {
        long h = holds_find(m, c->thread, lock);
        if (h >= 0) {
            m->priv->ts[c->thread].held[h].depth++;
            return;
        }
    }
    /* An exclusive lock has one holder: if another thread takes it, the
     * previous holder's release (or post) was not recorded (a shim that
     * stopped recording a dying thread); its hold is over. */
    if (s->owner != MODEL_NONE && s->owner != c->thread && !(flags & SWT_ACQ_OWNER_DEAD) &&
        (l->binary_sem || (!(flags & SWT_ACQ_READ) && !s->readers && !m->priv->ts[s->owner].ended &&
                           l->kind != SWT_KIND_RWLOCK))) {
        struct tstate *old = &m->priv->ts[s->owner];
        if (!l->binary_sem && old->nlate < LATE_MAX)
            old->late_release[old->nlate++] = l->node;
        holds_drop_any(m, lock);
    }
    edges_derive(m, c->thread, lock, flags, c->ev.site, c->ns);
    holds_push(m, c->thread, lock, flags, c->ev.site, c->ns);
    holds_taken(m, c->thread, lock, flags, c->ev.site);
}

void locks_on_fail(struct model_ctx *c)
{
    struct model *m = c->m;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct tstate *ts = &m->priv->ts[c->thread];
    bool waited = ts->waiting_lock == lock;
    if (c->r->f[RF_FAIL_ERROR] == EBUSY || c->r->f[RF_FAIL_ERROR] == ETIMEDOUT ||
        c->r->f[RF_FAIL_ERROR] == EDEADLK)
        locks_note_child_use(m, c->proc, lock, CHILD_FOUND_IT_HELD);
    end_wait(m, c->thread, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    uint32_t owner = holds_holder(m, lock);
    if (owner != MODEL_NONE && owner != c->thread && m->priv->ts[owner].ended &&
        (waited || (c->r->f[RF_LOCKOP_FLAGS] & SWT_ACQ_TIMED))) {
        struct model_fact *f =
            facts_add(m, MODEL_FACT_WAIT_ON_ABANDONED, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = owner;
            f->other_site = holds_state(m, lock)->owner_site;
        }
    }
    /* errorcheck mutexes answer a relock with EDEADLK (once, if the WAIT
     * before it did not already say so). */
    if (c->r->f[RF_FAIL_ERROR] == EDEADLK && !waited && holds_find(m, c->thread, lock) >= 0)
        facts_add(m, MODEL_FACT_RELOCK, c->thread, lock, c->ev.site, c->ns);
}

void locks_on_release(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    uint32_t flags = (uint32_t)r->f[RF_LOCKOP_FLAGS];
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = holds_state(m, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    if (flags & SWT_ACQ_COND)
        m->priv->ts[c->thread].cond_release_flags = flags;
    if (!kind_holdable(l))
        return;
    long h = holds_find(m, c->thread, lock);
    if (h >= 0) {
        struct model_held *hd = &m->priv->ts[c->thread].held[h];
        if ((flags & SWT_ACQ_RECURSIVE) && hd->depth > 1) {
            hd->depth--;
            return;
        }
        if (hd->flags & SWT_ACQ_READ && s->readers)
            s->readers--;
        holds_drop(m, c->thread, h);
        struct tstate *ts = &m->priv->ts[c->thread];
        if (ts->nexit_facts)
            facts_withdraw_exit(m, c->thread, lock);
        if (ts->ntrail < TRAIL_MAX) {
            ts->trail_lock[ts->ntrail] = m->locks[lock].node;
            ts->trail_ns[ts->ntrail++] = c->ns;
        }
        if (!s->readers || s->owner == c->thread) {
            s->owner = MODEL_NONE;
            s->owner_site = MODEL_NONE;
        }
        s->released_by = c->thread;
        return;
    }
    struct tstate *rt = &m->priv->ts[c->thread];
    for (uint32_t k = 0; k < rt->nlate; k++)
        if (rt->late_release[k] == l->node) {
            rt->late_release[k] = rt->late_release[--rt->nlate];
            return; /* the late record of a hold another thread's acquisition ended */
        }
    if (flags & SWT_ACQ_COND) {
        /* reported at the COND_WAIT that follows, which names the condvar */
        m->priv->ts[c->thread].cond_unheld_mutex = lock;
        m->priv->ts[c->thread].cond_unheld_site = c->ev.site;
        return;
    }
    uint32_t owner = s->owner;
    if (owner != MODEL_NONE && owner != c->thread) {
        struct model_fact *f =
            facts_add(m, MODEL_FACT_UNLOCK_NOT_OWNER, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = owner;
            f->other_site = s->owner_site;
        }
        /* glibc's default mutex really unlocks; errorcheck and recursive
         * ones refuse with EPERM. */
        if (l->type != SWT_TYPE_ERRORCHECK && l->type != SWT_TYPE_RECURSIVE) {
            holds_drop_any(m, lock);
            if (s->readers)
                s->readers--;
            s->owner = MODEL_NONE;
        }
    } else if (s->released_by == c->thread) {
        facts_add(m, MODEL_FACT_DOUBLE_UNLOCK, c->thread, lock, c->ev.site, c->ns);
    } else {
        facts_add(m, MODEL_FACT_UNLOCK_UNHELD, c->thread, lock, c->ev.site, c->ns);
    }
}

/* A thread that posted or signalled lock: the hang findings ask whether
 * anyone who ever woke its waiters could still do it. */
static void note_poster(struct model_lock *l, uint32_t thread, uint32_t site)
{
    for (uint8_t i = 0; i < l->nposters; i++)
        if (l->posters[i] == thread)
            return;
    if (l->nposters < MODEL_MAX_POSTERS) {
        l->poster_sites[l->nposters] = site;
        l->posters[l->nposters++] = thread;
    } else {
        l->more_posters = true;
    }
}

void locks_on_sem_post(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct model_lock *l = &m->locks[lock];
    note_poster(l, c->thread, c->ev.site);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    /* value is "value after the post + 1"; a binary semaphore never
     * exceeds 1, else it counts something and is no lock. */
    if (l->binary_sem && r->f[RF_SEM_POST_VALUE] > 2) {
        /* Taken as a lock before: a second release, not a counter. */
        if (l->acquisitions)
            facts_add(m, MODEL_FACT_SEM_OVERPOST, c->thread, lock, c->ev.site, c->ns);
        l->binary_sem = false;
        l->is_lock = false;
    }
    if (!l->binary_sem) {
        monitors_note(m, lock, c->thread, c->ev.site, MODEL_NONE, false);
        return;
    }
    /* Semaphores have no owner: a post by any thread ends the hold. */
    long h = holds_find(m, c->thread, lock);
    if (h >= 0)
        holds_drop(m, c->thread, h);
    else
        holds_drop_any(m, lock);
    struct lstate *s = holds_state(m, lock);
    s->owner = s->owner_site = MODEL_NONE;
    s->released_by = c->thread;
}

void locks_on_cond_wait(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t cond = c->ev.lock;
    uint32_t mutex = ids_lock_of(m, c->proc, r->f[RF_COND_WAIT_MUTEX]);
    if (cond == MODEL_NONE || mutex == MODEL_NONE)
        return;
    use_check(m, c->thread, cond, c->ev.site, c->ns);
    monitors_note(m, cond, c->thread, c->ev.site, mutex, true);
    struct tstate *ts = &m->priv->ts[c->thread];
    if (ts->cond_unheld_mutex == mutex) {
        struct model_fact *f =
            facts_add(m, MODEL_FACT_COND_NO_MUTEX, c->thread, mutex, ts->cond_unheld_site, c->ns);
        if (f)
            f->lock2 = cond;
    }
    ts->cond_unheld_mutex = MODEL_NONE;
    /* The wait's deadline, if any, came with the synthetic release. */
    ts->obj_wait = cond;
    ts->obj_wait_flags = SWT_ACQ_COND | (ts->cond_release_flags & SWT_ACQ_TIMED);
    ts->obj_wait_site = c->ev.site;
    ts->obj_wait_since = c->ns;
    struct lstate *s = &m->priv->ls[cond];
    s->cond_waits++;
    if (s->cond_first_waiter == MODEL_NONE)
        s->cond_first_waiter = c->thread;
    else if (s->cond_first_waiter != c->thread)
        s->cond_many_waiters = true;
    uint64_t addr = m->locks[mutex].addr ? m->locks[mutex].addr : mutex;
    if (s->cond_mutex == MODEL_NONE) {
        s->cond_mutex = mutex;
        s->cond_mutex_addr = addr;
    } else if (s->cond_mutex_addr != addr && !s->cond_two_reported) {
        s->cond_two_reported = true;
        struct model_fact *f =
            facts_add(m, MODEL_FACT_COND_TWO_MUTEXES, c->thread, cond, c->ev.site, c->ns);
        if (f) {
            f->lock2 = s->cond_mutex;
            f->lock3 = mutex;
        }
    }
}

void locks_on_cond_wake(struct model_ctx *c)
{
    struct model *m = c->m;
    uint32_t cond = c->ev.lock;
    m->priv->ts[c->thread].obj_wait = MODEL_NONE;
    if (cond != MODEL_NONE && c->r->f[RF_COND_WAKE_ERROR] == ETIMEDOUT)
        m->priv->ls[cond].cond_timeouts++;
}

void locks_on_barrier_wait(struct model_ctx *c)
{
    if (c->ev.lock == MODEL_NONE)
        return;
    struct tstate *ts = &c->m->priv->ts[c->thread];
    ts->obj_wait = c->ev.lock;
    ts->obj_wait_flags = 0;
    ts->obj_wait_site = c->ev.site;
    ts->obj_wait_since = c->ns;
}

void locks_on_barrier_done(struct model_ctx *c)
{
    c->m->priv->ts[c->thread].obj_wait = MODEL_NONE;
}

void locks_on_cond_signal(struct model_ctx *c)
{
    if (c->ev.lock == MODEL_NONE)
        return;
    note_poster(&c->m->locks[c->ev.lock], c->thread, c->ev.site);
    monitors_note(c->m, c->ev.lock, c->thread, c->ev.site, MODEL_NONE, false);
}

void locks_on_destroy(struct model_ctx *c)
{
    struct model *m = c->m;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = holds_state(m, lock);
    if (kind_holdable(l) && (s->owner != MODEL_NONE || s->readers)) {
        /* threading.Condition destroys a per-waiter lock while it is
         * taken: legal for a semaphore, which has no owner.  Without
         * ACQUIRE records (profile mode) the holder is a guess. */
        if (!kind_is_sem(l) && (m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
            struct model_fact *f =
                facts_add(m, MODEL_FACT_DESTROY_HELD, c->thread, lock, c->ev.site, c->ns);
            if (f) {
                f->other = s->owner;
                f->other_site = s->owner_site;
            }
        }
        if (c->r->f[RF_DESTROY_ERROR] == 0) {
            holds_drop_any(m, lock);
            s->owner = MODEL_NONE;
            s->readers = 0;
        }
    }
    if (c->r->f[RF_DESTROY_ERROR] == 0)
        l->destroyed = true;
}
