/* The holds and waits of a run, by a second pass (timeline.h). */
#include "analyzer/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/rec_fields.h"
#include "analyzer/xalloc.h"

struct open_hold {
    uint32_t lock, site;
    uint64_t since;
};

struct tstate {
    struct open_hold *holds;
    uint32_t nholds, cap;
    bool waiting;
    uint32_t wait_lock, wait_site;
    uint64_t wait_since;
};

struct lstate {
    uint32_t last_releaser; /* MODEL_NONE: never released */
    uint64_t last_release;
    uint32_t last_acquirer; /* semaphores used as locks: whose hold a post ends */
};

struct pass {
    timeline_fn fn;
    void *ctx;
    struct tstate *threads; /* per model thread */
    struct lstate *locks;   /* per model lock */
    size_t nthreads, nlocks;
};

static void piece(struct pass *c, enum timeline_kind k, uint32_t thread, uint32_t thread2,
                  uint32_t lock, uint32_t site, uint64_t start, uint64_t end)
{
    struct timeline_piece p = {.kind = (uint8_t)k, .thread = thread, .thread2 = thread2, .lock = lock,
                      .site = site, .start = start, .end = end < start ? start : end};
    c->fn(c->ctx, &p);
}

static void end_hold(struct pass *c, uint32_t thread, uint32_t lock, uint64_t ns)
{
    struct tstate *t = &c->threads[thread];
    for (uint32_t i = t->nholds; i-- > 0;)
        if (t->holds[i].lock == lock) {
            piece(c, TIMELINE_HOLD, thread, MODEL_NONE, lock, t->holds[i].site, t->holds[i].since,
                  ns);
            t->holds[i] = t->holds[--t->nholds];
            c->locks[lock].last_releaser = thread;
            c->locks[lock].last_release = ns;
            return;
        }
}

static void on_event(void *ctx, const struct model *m, const struct model_event *ev)
{
    struct pass *c = ctx;
    unsigned type = ev->rec->type;
    if (ev->thread == MODEL_NONE || ev->thread >= c->nthreads)
        return;
    uint32_t lock = ev->lock;
    if (lock == MODEL_NONE || lock >= c->nlocks)
        return;
    struct tstate *t = &c->threads[ev->thread];
    unsigned flags = (unsigned)ev->rec->f[RF_LOCKOP_FLAGS];
    switch (type) {
    case SWT_REC_WAIT:
        t->waiting = true;
        t->wait_lock = lock;
        t->wait_site = ev->site;
        t->wait_since = ev->ns;
        break;
    case SWT_REC_COND_WAIT:
        t->waiting = true;
        t->wait_lock = lock;
        t->wait_site = ev->site;
        t->wait_since = ev->ns;
        break;
    case SWT_REC_COND_WAKE:
    case SWT_REC_FAIL:
        if (t->waiting && t->wait_lock == lock) {
            piece(c, TIMELINE_WAIT, ev->thread, MODEL_NONE, lock, t->wait_site, t->wait_since,
                  ev->ns);
            t->waiting = false;
        }
        break;
    case SWT_REC_ACQUIRE: {
        if (t->waiting && t->wait_lock == lock) {
            piece(c, TIMELINE_WAIT, ev->thread, MODEL_NONE, lock, t->wait_site, t->wait_since,
                  ev->ns);
            t->waiting = false;
            const struct lstate *l = &c->locks[lock];
            if (l->last_releaser != MODEL_NONE && l->last_releaser != ev->thread &&
                l->last_release >= t->wait_since)
                piece(c, TIMELINE_FLOW, l->last_releaser, ev->thread, lock, MODEL_NONE,
                      l->last_release, ev->ns);
        }
        if (flags & SWT_ACQ_RECURSIVE)
            break; /* a deeper hold of the same slice */
        if (t->nholds == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 4;
            t->holds = xrealloc(t->holds, t->cap * sizeof *t->holds);
        }
        t->holds[t->nholds++] = (struct open_hold){lock, ev->site, ev->ns};
        c->locks[lock].last_acquirer = ev->thread;
        break;
    }
    case SWT_REC_RELEASE:
        if (!(flags & SWT_ACQ_RECURSIVE))
            end_hold(c, ev->thread, lock, ev->ns);
        break;
    case SWT_REC_SEM_POST:
        /* a semaphore used as a lock: the post ends its acquirer's hold */
        if (m->locks[lock].binary_sem || m->locks[lock].is_lock) {
            uint32_t owner = c->locks[lock].last_acquirer;
            if (owner != MODEL_NONE) {
                end_hold(c, owner, lock, ev->ns);
                c->locks[lock].last_releaser = ev->thread;
            }
        }
        break;
    default:
        break;
    }
}


int timeline_pass(const struct model *m, struct swt_trace *const *traces, size_t ntraces,
                  timeline_fn fn, void *ctx, char *err, size_t errlen)
{
    struct pass c = {.fn = fn, .ctx = ctx};
    c.threads = xcalloc(m->nthreads ? m->nthreads : 1, sizeof *c.threads);
    c.locks = xcalloc(m->nlocks ? m->nlocks : 1, sizeof *c.locks);
    for (size_t i = 0; i < m->nlocks; i++)
        c.locks[i].last_releaser = c.locks[i].last_acquirer = MODEL_NONE;
    c.nthreads = m->nthreads;
    c.nlocks = m->nlocks;
    struct model m2;
    struct model_opts mo = {.derive_edges = true};
    struct model_observer obs = {.ctx = &c, .event = on_event};
    int rc = model_build(&m2, traces, ntraces, &mo, &obs, 1, err, errlen);
    /* what is still open at the end of the run ends there */
    for (uint32_t t = 0; t < m->nthreads; t++) {
        struct tstate *s = &c.threads[t];
        while (s->nholds)
            end_hold(&c, t, s->holds[s->nholds - 1].lock, m->duration_ns);
        if (s->waiting)
            piece(&c, TIMELINE_WAIT, t, MODEL_NONE, s->wait_lock, s->wait_site, s->wait_since,
                  m->duration_ns);
        free(s->holds);
    }
    model_free(&m2);
    free(c.threads);
    free(c.locks);
    return rc < 0 ? -1 : 0;
}
