/* Lock-order edges: `to` acquired (or waited for) while `from` was held.
 * Each edge keeps its variants (thread, modes, gates), because the pruning
 * rules of detect_cycles look at exactly these.  Nested acquisitions are
 * the hottest path of the pass after the id lookups. */
#include <stdlib.h>
#include <string.h>

#include "analyzer/model_state.h"
#include "analyzer/rec_fields.h"
#include "common/trace_encode.h"

static inline size_t edge_slot(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & mask;
}

/* The hot path of nested acquisitions: a plain open-addressing table keyed
 * by (from, to) is several times cheaper than a general hash here. */
static size_t edge_index(struct model *m, uint32_t from, uint32_t to)
{
    struct model_priv *p = m->priv;
    uint64_t key = (uint64_t)from << 32 | to;
    if (p->edge_slots) {
        size_t mask = p->edge_slots - 1;
        for (size_t i = edge_slot(key, mask);; i = (i + 1) & mask) {
            if (!p->edge_vals[i])
                break;
            if (p->edge_keys[i] == key)
                return p->edge_vals[i] - 1;
        }
    }
    if ((m->nedges + 1) * 2 > p->edge_slots) {
        size_t n = p->edge_slots ? p->edge_slots * 2 : 1024;
        uint64_t *keys = xcalloc(n, sizeof *keys);
        uint32_t *vals = xcalloc(n, sizeof *vals);
        for (size_t i = 0; i < p->edge_slots; i++)
            if (p->edge_vals[i]) {
                size_t j = edge_slot(p->edge_keys[i], n - 1);
                while (vals[j])
                    j = (j + 1) & (n - 1);
                keys[j] = p->edge_keys[i];
                vals[j] = p->edge_vals[i];
            }
        free(p->edge_keys);
        free(p->edge_vals);
        p->edge_keys = keys;
        p->edge_vals = vals;
        p->edge_slots = n;
    }
    ids_grow((void **)&m->edges, &p->edges_cap, m->nedges + 1, sizeof *m->edges);
    struct model_edge *ed = &m->edges[m->nedges];
    memset(ed, 0, sizeof *ed);
    ed->from = from;
    ed->to = to;
    size_t mask = p->edge_slots - 1, i = edge_slot(key, mask);
    while (p->edge_vals[i])
        i = (i + 1) & mask;
    p->edge_keys[i] = key;
    p->edge_vals[i] = (uint32_t)(m->nedges + 1);
    return m->nedges++;
}

#define VARIANT_FROM_MASK (SWT_ACQ_READ | SWT_ACQ_WRITE)
#define VARIANT_TO_MASK (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY)

/* Notes one occurrence of from -> to.  gates are the other graph nodes
 * held exclusively at the time (unsorted; may be modified). */
static void note_edge(struct model *m, uint32_t thread, uint32_t from_lock, uint32_t to_lock,
                      uint32_t from_flags, uint32_t to_flags, uint32_t from_site, uint32_t to_site,
                      uint32_t *gates, uint32_t ngates, bool gates_overflow, uint64_t ns,
                      bool count)
{
    uint32_t from = m->locks[from_lock].node, to = m->locks[to_lock].node;
    if (from == to)
        return;
    if (ngates > MODEL_MAX_GATES) {
        ngates = MODEL_MAX_GATES;
        gates_overflow = true;
    }
    for (uint32_t i = 1; i < ngates; i++) /* a handful: insertion sort */
        for (uint32_t j = i; j > 0 && gates[j - 1] > gates[j]; j--) {
            uint32_t tmp = gates[j];
            gates[j] = gates[j - 1];
            gates[j - 1] = tmp;
        }
    /* A thread repeats the same nested acquisitions: when this exact
     * occurrence (edge, modes, at most one gate) was noted in the same
     * happens-before epoch, nothing would change but counters. */
    struct tstate *ts = &m->priv->ts[thread];
    struct edge_memo *memo = NULL;
    uint64_t key = (uint64_t)from << 32 | to;
    uint32_t modes = (from_flags & VARIANT_FROM_MASK) | (to_flags & VARIANT_TO_MASK) << 16;
    uint32_t gate = ngates ? gates[0] : MODEL_NONE;
    if (ngates <= 1 && !gates_overflow) {
        if (!ts->memo)
            ts->memo = xcalloc(EDGE_MEMO_SIZE, sizeof *ts->memo);
        memo = &ts->memo[edge_slot(key ^ modes ^ (uint64_t)gate << 20, EDGE_MEMO_SIZE - 1)];
        if (memo->key == key && memo->modes == modes && memo->gate == gate &&
            memo->epoch == ts->hb.epoch && memo->valid)
            return;
    }
    size_t ei = edge_index(m, from, to); /* may move m->edges */
    struct model_edge *e = &m->edges[ei];
    if (count)
        e->count++;
    uint32_t epoch = ts->hb.epoch;
    if (memo) {
        memo->key = key;
        memo->modes = modes;
        memo->gate = gate;
        memo->epoch = epoch;
        memo->valid = true;
    }
    /* Most occurrences repeat the previous one: try it first. */
    for (uint32_t k = 0; k <= e->nvariants; k++) {
        uint32_t i = k == 0 ? e->last_variant : k - 1;
        if (i >= e->nvariants || (k > 0 && i == e->last_variant))
            continue;
        struct model_edge_variant *v = &e->variants[i];
        if (v->thread == thread && ((v->from_flags ^ from_flags) & VARIANT_FROM_MASK) == 0 &&
            ((v->to_flags ^ to_flags) & VARIANT_TO_MASK) == 0 && v->ngates == ngates &&
            v->gates_overflow == gates_overflow &&
            (!ngates || !memcmp(v->gates, gates, ngates * sizeof *gates))) {
            if (count)
                v->count++;
            v->last_ns = ns;
            v->epoch_last = epoch;
            e->last_variant = i;
            return;
        }
    }
    if (e->nvariants >= MODEL_MAX_VARIANTS) {
        e->variants_overflow = true;
        return;
    }
    e->variants = xrealloc(e->variants, (e->nvariants + 1) * sizeof *e->variants);
    e->last_variant = e->nvariants;
    struct model_edge_variant *v = &e->variants[e->nvariants++];
    memset(v, 0, sizeof *v);
    v->thread = thread;
    v->from_flags = from_flags;
    v->to_flags = to_flags;
    v->from_site = from_site;
    v->to_site = to_site;
    v->first_ns = v->last_ns = ns;
    v->epoch_first = v->epoch_last = epoch;
    v->count = count ? 1 : 0;
    v->ngates = ngates;
    memcpy(v->gates, gates, ngates * sizeof *gates);
    v->gates_overflow = gates_overflow;
}

/* A gate must exclude the other thread: a read hold of an rwlock does not. */
static bool gate_exclusive(const struct model_lock *l, uint32_t flags)
{
    return l->is_lock && !(flags & SWT_ACQ_READ);
}

void edges_derive(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags, uint32_t site,
                  uint64_t ns)
{
    struct tstate *ts = &m->priv->ts[thread];
    if (!ts->nheld || !m->locks[lock].is_lock || !m->priv->opts->derive_edges)
        return;
    uint32_t gates[MODEL_MAX_GATES + 1];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        if (!m->locks[h->lock].is_lock)
            continue;
        uint32_t ng = 0;
        bool over = false;
        for (size_t j = 0; j < ts->nheld; j++) {
            const struct model_held *g = &ts->held[j];
            const struct model_lock *gl = &m->locks[g->lock];
            if (j == i || gl->node == m->locks[h->lock].node || !gate_exclusive(gl, g->flags))
                continue;
            bool dup = false;
            for (uint32_t k = 0; k < ng; k++)
                dup |= gates[k] == gl->node;
            if (dup)
                continue;
            if (ng < MODEL_MAX_GATES)
                gates[ng++] = gl->node;
            else
                over = true;
        }
        note_edge(m, thread, h->lock, lock, h->flags, flags, h->site, site, gates, ng, over, ns,
                  true);
    }
}

void edges_on_edge(struct model_ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t from = ids_lock_of(m, c->proc, r->f[RF_EDGE_FROM]),
             to = ids_lock_of(m, c->proc, r->f[RF_EDGE_TO]);
    if (from == MODEL_NONE || to == MODEL_NONE || !m->locks[from].is_lock || !m->locks[to].is_lock)
        return;
    uint32_t gates[MODEL_MAX_GATES];
    uint32_t ng = 0;
    bool over = false;
    const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
    uint64_t id;
    while (p < end && swt_get_varint(&p, end, &id) == 0) {
        uint32_t g = ids_lock_of(m, c->proc, id);
        /* The record does not say how a gate was held: an rwlock may have
         * been read-held, which excludes nobody, so it is no gate. */
        if (g == MODEL_NONE || !m->locks[g].is_lock || m->locks[g].kind == SWT_KIND_RWLOCK)
            continue;
        if (ng < MODEL_MAX_GATES)
            gates[ng++] = m->locks[g].node;
        else
            over = true;
    }
    note_edge(m, c->thread, from, to, SWT_EDGE_FROM(r->f[RF_EDGE_FLAGS]),
              SWT_EDGE_TO(r->f[RF_EDGE_FLAGS]), ids_stack_of(m, c->proc, r->f[RF_EDGE_FROM_SITE]),
              ids_stack_of(m, c->proc, r->f[RF_EDGE_TO_SITE]), gates, ng, over, c->ns,
              !m->procs[c->proc].hdr.features ||
                  !(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS));
}

/* A thread blocked at the end waits for a lock while holding others: those
 * orders are edges too.  Trace mode has them from the WAIT records; a
 * profile trace has only the thread blocks. */
void edges_final_waits(struct model *m)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock == MODEL_NONE || !t->nheld ||
            (m->procs[t->proc].hdr.features & SWT_FEAT_EVENTS))
            continue;
        for (size_t k = 0; k < t->nheld; k++) {
            uint32_t gates[MODEL_MAX_GATES];
            uint32_t ng = 0;
            for (size_t g = 0; g < t->nheld && ng < MODEL_MAX_GATES; g++)
                if (g != k && m->locks[t->held[g].lock].is_lock &&
                    !(t->held[g].flags & SWT_ACQ_READ))
                    gates[ng++] = m->locks[t->held[g].lock].node;
            if (!m->locks[t->held[k].lock].is_lock || !m->locks[t->waiting_lock].is_lock)
                continue;
            note_edge(m, (uint32_t)i, t->held[k].lock, t->waiting_lock, t->held[k].flags,
                      t->waiting_flags, t->held[k].site, t->waiting_site, gates, ng,
                      t->nheld - 1 > MODEL_MAX_GATES, m->duration_ns, false);
        }
    }
}

static int cmp_edge(const void *a, const void *b)
{
    const struct model_edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->to < y->to ? -1 : x->to > y->to;
}

void edges_sort(struct model *m)
{
    struct model_priv *p = m->priv;
    /* The table's indices die with the sort below. */
    free(p->edge_keys);
    free(p->edge_vals);
    p->edge_keys = NULL;
    p->edge_vals = NULL;
    p->edge_slots = 0;
    if (m->nedges > 1)
        qsort(m->edges, m->nedges, sizeof *m->edges, cmp_edge);
}

const struct model_edge *model_edge_find(const struct model *m, uint32_t from, uint32_t to)
{
    size_t lo = 0, hi = m->nedges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct model_edge *e = &m->edges[mid];
        if (e->from == from && e->to == to)
            return e;
        if (e->from < from || (e->from == from && e->to < to))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}
