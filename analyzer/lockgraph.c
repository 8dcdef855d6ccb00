/* Elementary cycles of the lock-order graph.  Edges that can never close a
 * deadlock (taken only with a trylock) are left out first, then Tarjan's
 * strongly connected components (iterative: graphs of thousands of locks
 * must not overflow the stack), then, per component and with its own
 * budget, a search by increasing length from each node that only visits
 * larger nodes of the same component, so every cycle is found exactly once,
 * rotated to start at its smallest node, and the shortest ones first.  With
 * a length bound this is cheaper than Johnson's algorithm and enough: real
 * lock-order deadlocks involve few locks, and the bound is reported when it
 * cut; a budget that cut a component is reported with its counts. */
#include "analyzer/lockgraph.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

struct graph {
    size_t n;          /* model locks (node space) */
    size_t *first;     /* adjacency: edges of node v are [first[v], first[v+1]) in m->edges */
    const struct model_edge *edges;
    bool *ok;          /* per model edge: a lock-to-lock edge that can block */
    uint32_t *scc;
    /* reverse adjacency over the ok edges: the edges into node v are
     * rev[rfirst[v] .. rfirst[v+1]) (model edge indices) */
    size_t *rfirst;
    size_t *rev;
};

bool lockgraph_variant_can_block(const struct model *m, const struct model_edge *e,
                                 const struct model_edge_variant *v)
{
    if (!(v->to_flags & SWT_ACQ_TRY))
        return true;
    const struct model_lock *to = &m->locks[e->to];
    return to->kind == SWT_KIND_SEM || to->kind == SWT_KIND_SEM_NAMED;
}

bool lockgraph_edge_can_block(const struct model *m, const struct model_edge *e)
{
    /* no variants kept (a hand-built graph) or more than were kept: the
     * unseen ones may block */
    if (!e->nvariants || e->variants_overflow)
        return true;
    for (uint32_t k = 0; k < e->nvariants; k++)
        if (lockgraph_variant_can_block(m, e, &e->variants[k]))
            return true;
    return false;
}

static bool usable(const struct model *m, const struct model_edge *e)
{
    return e->from < m->nlocks && e->to < m->nlocks && m->locks[e->from].is_lock &&
           m->locks[e->to].is_lock && e->from != e->to;
}

static void build(const struct model *m, struct graph *g, size_t *dropped_try)
{
    g->ok = xcalloc(m->nedges ? m->nedges : 1, sizeof *g->ok);
    for (size_t i = 0; i < m->nedges; i++) {
        bool lock = usable(m, &m->edges[i]);
        g->ok[i] = lock && lockgraph_edge_can_block(m, &m->edges[i]);
        *dropped_try += lock && !g->ok[i];
    }
    g->n = m->nlocks;
    g->edges = m->edges;
    g->first = xcalloc(g->n + 1, sizeof *g->first);
    /* m->edges is sorted by (from, to) */
    size_t k = 0;
    for (size_t v = 0; v <= g->n; v++) {
        while (k < m->nedges && m->edges[k].from < v)
            k++;
        g->first[v] = k;
    }
    g->rfirst = xcalloc(g->n + 2, sizeof *g->rfirst);
    g->rev = xmalloc((m->nedges ? m->nedges : 1) * sizeof *g->rev);
    for (size_t i = 0; i < m->nedges; i++)
        if (g->ok[i])
            g->rfirst[m->edges[i].to + 2]++;
    for (size_t v = 0; v < g->n; v++)
        g->rfirst[v + 2] += g->rfirst[v + 1];
    for (size_t i = 0; i < m->nedges; i++)
        if (g->ok[i])
            g->rev[g->rfirst[m->edges[i].to + 1]++] = i;
}

static void tarjan(const struct model *m, struct graph *g)
{
    size_t n = g->n;
    uint32_t *index = xmalloc((n ? n : 1) * sizeof *index);
    uint32_t *low = xmalloc((n ? n : 1) * sizeof *low);
    bool *on = xcalloc(n ? n : 1, sizeof *on);
    uint32_t *stack = xmalloc((n ? n : 1) * sizeof *stack);
    uint32_t *cs_v = xmalloc((n ? n : 1) * sizeof *cs_v);   /* call stack: node */
    size_t *cs_e = xmalloc((n ? n : 1) * sizeof *cs_e);     /* call stack: next edge */
    g->scc = xmalloc((n ? n : 1) * sizeof *g->scc);
    for (size_t i = 0; i < n; i++)
        index[i] = UINT32_MAX, g->scc[i] = UINT32_MAX;
    uint32_t counter = 0, nscc = 0;
    size_t sp = 0;
    for (size_t root = 0; root < n; root++) {
        if (index[root] != UINT32_MAX)
            continue;
        size_t csp = 0;
        cs_v[csp] = (uint32_t)root;
        cs_e[csp++] = g->first[root];
        index[root] = low[root] = counter++;
        stack[sp++] = (uint32_t)root;
        on[root] = true;
        while (csp) {
            uint32_t v = cs_v[csp - 1];
            size_t e = cs_e[csp - 1];
            if (e < g->first[v + 1]) {
                cs_e[csp - 1]++;
                const struct model_edge *ed = &m->edges[e];
                if (!g->ok[e])
                    continue;
                uint32_t w = ed->to;
                if (index[w] == UINT32_MAX) {
                    index[w] = low[w] = counter++;
                    stack[sp++] = w;
                    on[w] = true;
                    cs_v[csp] = w;
                    cs_e[csp++] = g->first[w];
                } else if (on[w] && index[w] < low[v]) {
                    low[v] = index[w];
                }
                continue;
            }
            if (low[v] == index[v]) {
                uint32_t w;
                do {
                    w = stack[--sp];
                    on[w] = false;
                    g->scc[w] = nscc;
                } while (w != v);
                nscc++;
            }
            csp--;
            if (csp) {
                uint32_t u = cs_v[csp - 1];
                if (low[v] < low[u])
                    low[u] = low[v];
            }
        }
    }
    free(index);
    free(low);
    free(on);
    free(stack);
    free(cs_v);
    free(cs_e);
}

struct search {
    const struct model *m;
    struct graph *g;
    unsigned max_len;
    lockgraph_cycle_fn fn;
    void *ctx;
    struct lockgraph_result *res;
    uint32_t *path;
    const struct model_edge **pedges;
    size_t *next;          /* per depth: next edge index to try */
    bool *on_path;
    uint32_t *dist;        /* hops from a node to the start (UINT32_MAX: none) */
    uint32_t *queue;       /* the nodes dist was set for */
    bool far;              /* some nodes beyond the distances' limit were not marked */
    /* the component being searched */
    unsigned long long steps;
    size_t cycles;
    bool cut;              /* its budget ran out */
    bool by_steps;
    bool longer;           /* a path reached the current length without closing */
    bool stop;             /* the callback asked to stop */
};

/* Distances to start, backwards over the edges among start's component's
 * nodes >= start, up to limit hops: a node that cannot reach start in the
 * hops a path has left is not worth visiting (without it, the search from
 * each node would walk every path of the tangle, cycle or not).  Returns
 * how many nodes got a distance. */
static size_t distances(struct search *s, uint32_t start, unsigned limit)
{
    const struct model *m = s->m;
    struct graph *g = s->g;
    size_t head = 0, tail = 0;
    s->far = false;
    s->dist[start] = 0;
    s->queue[tail++] = start;
    while (head < tail) {
        uint32_t v = s->queue[head++];
        if (s->dist[v] >= limit) {
            /* nodes farther away are not marked: they may reach start */
            s->far |= g->rfirst[v] < g->rfirst[v + 1];
            continue;
        }
        for (size_t k = g->rfirst[v]; k < g->rfirst[v + 1]; k++) {
            s->steps++;
            uint32_t u = m->edges[g->rev[k]].from;
            if (g->scc[u] != g->scc[start] || u < start || s->dist[u] != UINT32_MAX)
                continue;
            s->dist[u] = s->dist[v] + 1;
            s->queue[tail++] = u;
        }
    }
    return tail;
}

/* The cycles of exactly len locks through start, its smallest node. */
static void search_from(struct search *s, uint32_t start, unsigned len)
{
    const struct model *m = s->m;
    struct graph *g = s->g;
    size_t reached = distances(s, start, len - 1);
    size_t depth = 0;
    s->path[0] = start;
    s->next[0] = g->first[start];
    s->on_path[start] = true;
    while (!s->stop && !s->cut) {
        uint32_t v = s->path[depth];
        if (s->next[depth] >= g->first[v + 1]) {
            s->on_path[v] = false;
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        size_t ei = s->next[depth]++;
        if (++s->steps > LOCKGRAPH_STEP_BUDGET) {
            s->cut = s->by_steps = true;
            break;
        }
        if (!g->ok[ei])
            continue;
        const struct model_edge *e = &m->edges[ei];
        uint32_t w = e->to;
        if (g->scc[w] != g->scc[start] || w < start)
            continue;
        if (w == start) {
            if (depth + 1 != len)
                continue; /* a shorter cycle: listed in an earlier round */
            s->pedges[depth] = e;
            s->res->cycles++;
            s->cycles++;
            if (!s->fn(s->ctx, s->path, s->pedges, depth + 1))
                s->stop = true;
            else if (s->cycles >= LOCKGRAPH_CYCLE_BUDGET)
                s->cut = true;
            continue;
        }
        if (s->on_path[w] || (s->dist[w] == UINT32_MAX && !s->far))
            continue;
        if (s->dist[w] == UINT32_MAX || s->dist[w] > len - depth - 1) {
            /* only a longer cycle through start can use w (or none: the
             * distance ignores the path's nodes) */
            s->longer = true;
            if (len >= s->max_len)
                s->res->cut_by_length = true;
            continue;
        }
        s->pedges[depth] = e;
        depth++;
        s->path[depth] = w;
        s->next[depth] = g->first[w];
        s->on_path[w] = true;
    }
    /* on a stop, clear what is left on the path */
    for (size_t i = 0; i <= depth; i++)
        s->on_path[s->path[i]] = false;
    for (size_t i = 0; i < reached; i++)
        s->dist[s->queue[i]] = UINT32_MAX;
}

static void record_cut(struct search *s, const uint32_t *nodes, size_t n, unsigned len)
{
    struct lockgraph_result *res = s->res;
    res->cut_by_budget = true;
    res->cuts = xrealloc(res->cuts, (res->ncuts + 1) * sizeof *res->cuts);
    struct lockgraph_cut *c = &res->cuts[res->ncuts++];
    c->nodes = xmalloc(n * sizeof *c->nodes);
    memcpy(c->nodes, nodes, n * sizeof *nodes);
    c->nnodes = n;
    c->nedges = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t k = s->g->first[nodes[i]]; k < s->g->first[nodes[i] + 1]; k++)
            c->nedges += s->g->ok[k] && s->g->scc[s->m->edges[k].to] == s->g->scc[nodes[i]];
    c->cycles = s->cycles;
    c->complete_len = len - 1;
    c->by_steps = s->by_steps;
}

/* One component, nodes ascending: by increasing length, each length from
 * every start node, until no path is left longer or a budget runs out. */
static void search_component(struct search *s, const uint32_t *nodes, size_t n)
{
    s->steps = 0;
    s->cycles = 0;
    s->cut = s->by_steps = false;
    unsigned top = s->max_len < n ? s->max_len : (unsigned)n;
    for (unsigned len = 2; len <= top && !s->stop; len++) {
        s->longer = false;
        for (size_t i = 0; i < n && !s->stop && !s->cut; i++)
            search_from(s, nodes[i], len);
        if (s->cut) {
            record_cut(s, nodes, n, len);
            return;
        }
        if (!s->longer)
            return; /* no simple path reached len locks: none is longer */
    }
}

void lockgraph_cycles(const struct model *m, unsigned max_len, lockgraph_cycle_fn fn, void *ctx,
                      struct lockgraph_result *res)
{
    memset(res, 0, sizeof *res);
    if (!m->nlocks || !m->nedges || max_len < 2)
        return;
    struct graph g;
    build(m, &g, &res->dropped_try);
    tarjan(m, &g);
    struct search s = {.m = m, .g = &g, .max_len = max_len, .fn = fn, .ctx = ctx, .res = res};
    s.path = xcalloc(max_len + 1, sizeof *s.path);
    s.pedges = xcalloc(max_len + 1, sizeof *s.pedges);
    s.next = xcalloc(max_len + 1, sizeof *s.next);
    s.on_path = xcalloc(g.n, sizeof *s.on_path);
    s.dist = xmalloc(g.n * sizeof *s.dist);
    memset(s.dist, 0xff, g.n * sizeof *s.dist);
    s.queue = xmalloc(g.n * sizeof *s.queue);
    /* The nodes of each component, ascending, in one array: start[c] is
     * where component c begins.  A component of one node has no cycle
     * (self edges are not kept). */
    size_t ncomp = 0;
    for (size_t v = 0; v < g.n; v++)
        if (g.scc[v] != UINT32_MAX && g.scc[v] + 1 > ncomp)
            ncomp = g.scc[v] + 1;
    size_t *start = xcalloc(ncomp + 1, sizeof *start);
    for (size_t v = 0; v < g.n; v++)
        if (g.scc[v] != UINT32_MAX)
            start[g.scc[v] + 1]++;
    for (size_t c = 0; c < ncomp; c++)
        start[c + 1] += start[c];
    size_t *fill = xmalloc((ncomp ? ncomp : 1) * sizeof *fill);
    memcpy(fill, start, ncomp * sizeof *fill);
    uint32_t *members = xmalloc((g.n ? g.n : 1) * sizeof *members);
    for (size_t v = 0; v < g.n; v++)
        if (g.scc[v] != UINT32_MAX)
            members[fill[g.scc[v]]++] = (uint32_t)v;
    /* components in order of their smallest node */
    for (size_t v = 0; v < g.n && !s.stop; v++) {
        uint32_t c = g.scc[v];
        if (c == UINT32_MAX || members[start[c]] != v || start[c + 1] - start[c] < 2)
            continue;
        search_component(&s, members + start[c], start[c + 1] - start[c]);
    }
    free(members);
    free(fill);
    free(start);
    free(s.path);
    free(s.pedges);
    free(s.next);
    free(s.on_path);
    free(s.dist);
    free(s.queue);
    free(g.first);
    free(g.rfirst);
    free(g.rev);
    free(g.ok);
    free(g.scc);
}

void lockgraph_result_free(struct lockgraph_result *res)
{
    for (size_t i = 0; i < res->ncuts; i++)
        free(res->cuts[i].nodes);
    free(res->cuts);
    res->cuts = NULL;
    res->ncuts = 0;
}
