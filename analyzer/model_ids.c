/* The model's ids: growing arrays, the per-process maps from trace ids to
 * dense model indices (threads, stacks, locks), the STACK records, and the
 * T<n> / L<n> numbers and labels the output shows.  The lowest layer of the
 * pass (model_state.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model_state.h"
#include "analyzer/rec_fields.h"
#include "common/trace_encode.h"

/* ---- growing arrays and id maps ---- */

void ids_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    *arr = xrealloc(*arr, n * elem);
    memset((char *)*arr + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
}

uint32_t *ids_map_slot(uint32_t **map, size_t *cap, uint64_t id)
{
    if (id == 0 || id >= MAX_ID)
        return NULL;
    if (id >= *cap) {
        size_t old = *cap;
        size_t n = old ? old : 64;
        while (n <= id)
            n *= 2;
        *map = xrealloc(*map, n * sizeof **map);
        for (size_t i = old; i < n; i++)
            (*map)[i] = MODEL_NONE;
        *cap = n;
    }
    return &(*map)[id];
}

/* ---- threads ---- */

static uint32_t new_thread(struct model *m, uint32_t proc, uint32_t tindex)
{
    struct model_priv *p = m->priv;
    ids_grow((void **)&m->threads, &p->threads_cap, m->nthreads + 1, sizeof *m->threads);
    ids_grow((void **)&p->ts, &p->ts_cap, m->nthreads + 1, sizeof *p->ts);
    uint32_t idx = (uint32_t)m->nthreads++;
    struct model_thread *t = &m->threads[idx];
    memset(t, 0, sizeof *t);
    t->index = idx;
    t->display = ++p->next_thread_display;
    t->proc = proc;
    t->tindex = tindex;
    t->tid = swt_thread_tid(p->ps[proc].trace, tindex);
    t->parent = MODEL_NONE;
    t->create_site = MODEL_NONE;
    t->joined_by = MODEL_NONE;
    t->waiting_lock = MODEL_NONE;
    t->waiting_site = MODEL_NONE;
    t->waiting_join = MODEL_NONE;
    struct tstate *ts = &p->ts[idx];
    memset(ts, 0, sizeof *ts);
    ts->waiting_lock = MODEL_NONE;
    ts->obj_wait = MODEL_NONE;
    ts->join_wait = MODEL_NONE;
    ts->cond_unheld_mutex = MODEL_NONE;
    hb_init(&ts->hb);
    if (m->nthreads > HB_MAX_THREADS)
        m->hb_disabled = true;
    return idx;
}

bool model_hb_before(const struct model *m, const struct model_edge_variant *a,
                     const struct model_edge_variant *b)
{
    if (m->hb_disabled || !m->priv || a->thread == b->thread || b->thread >= m->nthreads)
        return false;
    return hb_before(&m->priv->ts[b->thread].hb, b->epoch_first, a->thread, a->epoch_last);
}

uint32_t ids_thread_of_slow(struct model *m, uint32_t proc, uint64_t tindex)
{
    struct pstate *ps = &m->priv->ps[proc];
    uint32_t *slot = ids_map_slot(&ps->thread_map, &ps->thread_cap, tindex);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE) {
        *slot = new_thread(m, proc, (uint32_t)tindex);
        /* A forked child's first thread continues the forking thread. */
        uint32_t idx = *slot;
        struct model_process *pr = &m->procs[proc];
        if (pr->parent_proc != MODEL_NONE && pr->fork_thread == MODEL_NONE && tindex == 1 &&
            pr->hdr.fork_parent_thread) {
            /* thread_of may grow m->procs' threads: keep no pointers across */
            uint32_t ft = ids_thread_of(m, pr->parent_proc, pr->hdr.fork_parent_thread);
            m->procs[proc].fork_thread = ft;
            struct pstate *cps = &m->priv->ps[proc];
            ids_vc_inherit(m, idx, ft,
                           cps->fork_epoch_set ? cps->fork_epoch : m->priv->ts[ft].hb.epoch,
                           cps->has_fork_vc ? &cps->fork_vc : NULL);
            hb_vc_free(&cps->fork_vc);
            cps->has_fork_vc = false;
        } else {
            ids_vc_snapshot(m, idx);
        }
        return idx;
    }
    return *slot;
}

/* ---- stacks ---- */

uint32_t ids_stack_of_slow(struct model *m, uint32_t proc, uint64_t id)
{
    struct model_priv *p = m->priv;
    struct pstate *ps = &p->ps[proc];
    uint32_t *slot = ids_map_slot(&ps->stack_map, &ps->stack_cap, id);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE) {
        ids_grow((void **)&m->stacks, &p->stacks_cap, m->nstacks + 1, sizeof *m->stacks);
        struct model_stack *s = &m->stacks[m->nstacks];
        memset(s, 0, sizeof *s);
        s->proc = proc;
        s->id = (uint32_t)id;
        *slot = (uint32_t)m->nstacks++;
    }
    return *slot;
}

void ids_on_stack(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t idx = ids_stack_of(m, c->proc, r->f[RF_STACK_STACK]);
    if (idx == MODEL_NONE)
        return;
    struct model_stack *s = &m->stacks[idx];
    if (s->ips)
        return;
    uint64_t n = r->f[RF_STACK_NFRAMES];
    if (n > r->blob_len)
        n = r->blob_len; /* each ip is at least one byte */
    s->ips = xcalloc(n ? n : 1, sizeof *s->ips);
    const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
    uint32_t k = 0;
    while (k < n && swt_get_varint(&p, end, &s->ips[k]) == 0)
        k++;
    s->nframes = k;
}

/* ---- locks ---- */

static void lock_setup(struct model *m, uint32_t idx, uint32_t proc, uint32_t id)
{
    struct model_priv *p = m->priv;
    struct model_lock *l = &m->locks[idx];
    memset(l, 0, sizeof *l);
    l->index = idx;
    l->display = ++p->next_lock_display;
    l->proc = proc;
    l->id = id;
    l->node = idx;
    l->kind = SWT_KIND_MUTEX;
    l->is_lock = true;
    l->init_site = MODEL_NONE;
    l->first_thread = MODEL_NONE;
    struct lstate *s = &p->ls[idx];
    memset(s, 0, sizeof *s);
    s->owner = s->owner_site = s->released_by = MODEL_NONE;
    s->cond_mutex = s->cond_first_waiter = MODEL_NONE;
}

uint32_t ids_new_lock(struct model *m, uint32_t proc, uint32_t id)
{
    struct model_priv *p = m->priv;
    ids_grow((void **)&m->locks, &p->locks_cap, m->nlocks + 1, sizeof *m->locks);
    ids_grow((void **)&p->ls, &p->ls_cap, m->nlocks + 1, sizeof *p->ls);
    uint32_t idx = (uint32_t)m->nlocks++;
    lock_setup(m, idx, proc, id);
    return idx;
}

uint32_t ids_lock_of_slow(struct model *m, uint32_t proc, uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    uint32_t *slot = ids_map_slot(&ps->lock_map, &ps->lock_cap, id);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE)
        *slot = ids_new_lock(m, proc, (uint32_t)id);
    return *slot;
}

/* ---- numbers and labels ---- */

/* T<n>: by process (in start order), then thread index, so that the main
 * thread of the first process is T1 and numbers match the program's own
 * creation order; stable across runs of the same program. */
static const struct model *sort_threads_model;

static int cmp_thread_order(const void *a, const void *b)
{
    const struct model_thread *x = &sort_threads_model->threads[*(const uint32_t *)a];
    const struct model_thread *y = &sort_threads_model->threads[*(const uint32_t *)b];
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    return x->tindex < y->tindex ? -1 : x->tindex > y->tindex;
}

void ids_number_threads(struct model *m)
{
    if (!m->nthreads)
        return;
    uint32_t *order = xmalloc(m->nthreads * sizeof *order);
    for (size_t i = 0; i < m->nthreads; i++)
        order[i] = (uint32_t)i;
    sort_threads_model = m;
    qsort(order, m->nthreads, sizeof *order, cmp_thread_order);
    sort_threads_model = NULL;
    for (size_t i = 0; i < m->nthreads; i++)
        m->threads[order[i]].display = (uint32_t)i + 1;
    free(order);
}

/* Labels are for people and terminals: a control byte in a name from the
 * traced program (pthread_setname_np, sem_open) becomes '?', so no name can
 * move a terminal's cursor or change its colours.  The JSON keeps the raw
 * name, escaped. */
static const char *label_clean(char *buf)
{
    for (unsigned char *p = (unsigned char *)buf; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            *p = '?';
    return buf;
}

const char *model_thread_label(const struct model *m, uint32_t thread, char *buf, size_t len)
{
    if (thread == MODEL_NONE || thread >= m->nthreads) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct model_thread *t = &m->threads[thread];
    if (t->name && *t->name)
        snprintf(buf, len, "T%u (%s)", t->display, t->name);
    else
        snprintf(buf, len, "T%u", t->display);
    return label_clean(buf);
}

const char *model_lock_label(const struct model *m, uint32_t lock, char *buf, size_t len)
{
    if (lock == MODEL_NONE || lock >= m->nlocks) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct model_lock *l = &m->locks[lock];
    if (l->name && *l->name)
        snprintf(buf, len, "L%u (%s)", l->display, l->name);
    else
        snprintf(buf, len, "L%u", l->display);
    return label_clean(buf);
}
