/* The model observer that feeds lockstats (see lockstats_feed.h). */
#include "analyzer/lockstats_feed.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/rec_fields.h"

struct feed {
    struct lockstats *ls;
    uint16_t *declared; /* per model lock: what lockstats_declare was told, 0 = nothing */
    size_t ndeclared;
};

static void feed_free(void *p)
{
    struct feed *f = p;
    if (!f)
        return;
    free(f->declared);
    free(f);
}

void lockstats_config_from_opts(struct lockstats_config *c, const struct report_opts *o)
{
    lockstats_config_default(c);
    if (!o)
        return;
    c->wait_threshold_ns = o->wait_threshold_ns;
    c->starve_count = o->starve_count;
    c->hold_threshold_ns = o->hold_threshold_ns;
}

static inline bool sem_kind(unsigned kind)
{
    return kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED;
}

/* A semaphore of initial value 1 is treated as a lock while the pass
 * runs; the detectors ask the model (is_lock) in the end. */
static inline bool lock_like(const struct model_lock *l)
{
    return !sem_kind(l->kind) || l->binary_sem || l->value == 1;
}

/* What lockstats_declare was told about l, never 0.  A lock is declared
 * again whenever this changes (a LOCK_NEW after the first use, a semaphore
 * found to be binary). */
static inline uint16_t lock_sig(const struct model_lock *l)
{
    return (uint16_t)((((l->kind & 0xff) << 4) | ((l->type & 7) << 1) | lock_like(l)) + 1);
}

static uint32_t declare_lock(struct lockstats *ls, struct feed *f, const struct model *m,
                             uint32_t node);

/* The key lockstats knows lock by (its graph node), declared on first use.
 * LOCKSTATS_NONE when lock is unknown or memory ran out. */
static inline uint32_t stats_lock(struct lockstats *ls, struct feed *f, const struct model *m,
                                  uint32_t lock)
{
    if (lock == MODEL_NONE || lock >= m->nlocks)
        return LOCKSTATS_NONE;
    uint32_t node = m->locks[lock].node;
    if (node == MODEL_NONE || node >= m->nlocks)
        node = lock;
    /* The per-event path: declared already, and nothing changed since. */
    if (node < f->ndeclared && f->declared[node] == lock_sig(&m->locks[node]))
        return node;
    return declare_lock(ls, f, m, node);
}

static __attribute__((noinline)) uint32_t declare_lock(struct lockstats *ls, struct feed *f,
                                                       const struct model *m, uint32_t node)
{
    if (node >= f->ndeclared) {
        size_t n = f->ndeclared ? f->ndeclared : 64;
        while (n <= node)
            n *= 2;
        uint16_t *d = realloc(f->declared, n * sizeof(*d));
        if (!d) {
            lockstats_mark_failed(ls);
            return LOCKSTATS_NONE;
        }
        for (size_t i = f->ndeclared; i < n; i++)
            d[i] = 0;
        f->declared = d;
        f->ndeclared = n;
    }
    const struct model_lock *l = &m->locks[node];
    uint16_t sig = lock_sig(l);
    if (f->declared[node] != sig) {
        if (lockstats_declare(ls, node, l->kind, l->type, lock_like(l)))
            return LOCKSTATS_NONE;
        f->declared[node] = sig;
    }
    return node;
}

static uint32_t stats_site(uint32_t site)
{
    return site == MODEL_NONE ? LOCKSTATS_NONE : site;
}

static void on_event(void *ctx, const struct model *m, const struct model_event *ev)
{
    struct feed *f = ctx;
    const struct swt_rec *r = ev->rec;
    unsigned type = r->type;
    switch (type) {
    case SWT_REC_WAIT:
    case SWT_REC_ACQUIRE:
    case SWT_REC_FAIL:
    case SWT_REC_RELEASE:
    case SWT_REC_SEM_POST:
    case SWT_REC_COND_WAIT:
    case SWT_REC_COND_WAKE:
        break;
    default:
        return;
    }
    /* Once the accumulator has failed every lockstats_* call returns -1
     * without doing anything: no lockstats_failed check per event. */
    struct lockstats *ls = f->ls;
    if (ev->thread == MODEL_NONE)
        return;
    if (type == SWT_REC_COND_WAIT || type == SWT_REC_COND_WAKE) {
        uint32_t mutex = stats_lock(ls, f, m, ev->lock2);
        if (mutex == LOCKSTATS_NONE)
            return;
        uint32_t cond = ev->lock == MODEL_NONE ? LOCKSTATS_NONE : ev->lock;
        if (type == SWT_REC_COND_WAIT)
            lockstats_cond_wait(ls, ev->ns, ev->thread, cond, mutex, stats_site(ev->site));
        else
            lockstats_cond_wake(ls, ev->ns, ev->thread, cond, mutex,
                                (int)r->f[RF_COND_WAKE_ERROR]);
        return;
    }
    uint32_t lock = stats_lock(ls, f, m, ev->lock);
    if (lock == LOCKSTATS_NONE)
        return;
    uint32_t site = stats_site(ev->site);
    unsigned flags = (unsigned)r->f[RF_LOCKOP_FLAGS];
    switch (type) {
    case SWT_REC_WAIT:
        lockstats_wait(ls, ev->ns, ev->thread, lock, flags, site);
        break;
    case SWT_REC_ACQUIRE:
        /* A profile trace's lone EOWNERDEAD ACQUIRE: its slots count it. */
        if (__builtin_expect(flags & SWT_ACQ_OWNER_DEAD, 0) &&
            !(m->procs[m->threads[ev->thread].proc].hdr.features & SWT_FEAT_EVENTS))
            break;
        lockstats_acquire(ls, ev->ns, ev->thread, lock, flags, site);
        break;
    case SWT_REC_FAIL:
        lockstats_fail(ls, ev->ns, ev->thread, lock, flags, site);
        break;
    case SWT_REC_RELEASE:
        lockstats_release(ls, ev->ns, ev->thread, lock, flags, site);
        break;
    case SWT_REC_SEM_POST:
        lockstats_sem_post(ls, ev->ns, ev->thread, lock, site);
        break;
    default:
        break;
    }
}

static void on_stat_slot(void *ctx, const struct model *m, uint32_t thread, uint32_t lock,
                         uint32_t site, const struct swt_stat_slot *slot)
{
    struct feed *f = ctx;
    struct lockstats *ls = f->ls;
    if (lockstats_failed(ls) || thread == MODEL_NONE || thread >= m->nthreads)
        return;
    /* A trace with every event already fed them: counting its slots too
     * would count each acquisition twice. */
    uint32_t proc = m->threads[thread].proc;
    if (proc < m->nprocs && (m->procs[proc].hdr.features & SWT_FEAT_EVENTS))
        return;
    uint32_t key = stats_lock(ls, f, m, lock);
    if (key != LOCKSTATS_NONE)
        lockstats_add_slot(ls, thread, key, stats_site(site), slot);
}

static void on_done(void *ctx, const struct model *m)
{
    struct feed *f = ctx;
    if (!lockstats_failed(f->ls))
        lockstats_finish(f->ls, m->duration_ns);
}

void lockstats_observer(struct lockstats *ls, struct model_observer *obs)
{
    memset(obs, 0, sizeof(*obs));
    struct feed *f = lockstats_aux(ls);
    if (!f) {
        f = calloc(1, sizeof(*f));
        if (!f) {
            /* Nothing is fed, and lockstats_failed says why. */
            lockstats_mark_failed(ls);
            return;
        }
        f->ls = ls;
        lockstats_set_aux(ls, f, feed_free);
    }
    obs->ctx = f;
    obs->event = on_event;
    obs->stat_slot = on_stat_slot;
    obs->done = on_done;
}

bool lockstats_is_gil(const struct model *m, const struct lockstats_lock_row *r)
{
    if (r->lock >= m->nlocks)
        return false;
    const struct model_lock *l = &m->locks[r->lock];
    if (l->label && strcmp(l->label, "GIL") == 0)
        return true;
    return r->gil && model_gil_process(m, l->proc);
}

void lockstats_label_model(struct model *m, const struct lockstats *ls)
{
    if (!ls)
        return;
    size_t n;
    const struct lockstats_lock_row *const *rows = lockstats_locks(ls, &n);
    for (size_t i = 0; i < n; i++) {
        if (!rows[i]->gil || !lockstats_is_gil(m, rows[i]))
            continue;
        for (size_t j = 0; j < m->nlocks; j++)
            if (j == rows[i]->lock || m->locks[j].node == rows[i]->lock)
                m->locks[j].label = "GIL";
    }
}

bool lockstats_reportable(const struct model *m, uint32_t lock)
{
    if (lock >= m->nlocks)
        return false;
    const struct model_lock *l = &m->locks[lock];
    switch (l->kind) {
    case SWT_KIND_SEM:
    case SWT_KIND_SEM_NAMED:
        return l->is_lock || l->binary_sem;
    case SWT_KIND_COND:
    case SWT_KIND_BARRIER:
    case SWT_KIND_C11_CND:
        return false;
    default:
        return true;
    }
}
