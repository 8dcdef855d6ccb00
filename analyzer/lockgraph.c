/* Elementary cycles of the lock-order graph.  Tarjan's strongly connected
 * components first (iterative: graphs of thousands of locks must not
 * overflow the stack), then a depth-bounded search from each node that
 * only visits larger nodes of the same component, so every cycle is found
 * exactly once, rotated to start at its smallest node.  With a length bound
 * this is cheaper than Johnson's algorithm and enough: real lock-order
 * deadlocks involve few locks, and the bound is reported when it cut. */
#include "analyzer/lockgraph.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

/* Stops pathological graphs: a dense graph of 100 locks has astronomically
 * many cycles. */
#define CYCLE_BUDGET 10000
#define STEP_BUDGET 50000000ull

struct graph {
    size_t n;          /* model locks (node space) */
    size_t *first;     /* adjacency: edges of node v are [first[v], first[v+1]) in m->edges */
    const struct model_edge *edges;
    uint32_t *scc;
};

static bool usable(const struct model *m, const struct model_edge *e)
{
    return e->from < m->nlocks && e->to < m->nlocks && m->locks[e->from].is_lock &&
           m->locks[e->to].is_lock && e->from != e->to;
}

static void build(const struct model *m, struct graph *g)
{
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
                if (!usable(m, ed))
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
    size_t *next;      /* per depth: next edge index to try */
    bool *on_path;
    unsigned long long steps;
    bool stop;
};

static void search_from(struct search *s, uint32_t start)
{
    const struct model *m = s->m;
    struct graph *g = s->g;
    size_t depth = 0;
    s->path[0] = start;
    s->next[0] = g->first[start];
    s->on_path[start] = true;
    while (!s->stop) {
        uint32_t v = s->path[depth];
        if (s->next[depth] >= g->first[v + 1]) {
            s->on_path[v] = false;
            if (depth == 0)
                break;
            depth--;
            continue;
        }
        const struct model_edge *e = &m->edges[s->next[depth]++];
        if (++s->steps > STEP_BUDGET) {
            s->res->cut_by_budget = true;
            s->stop = true;
            break;
        }
        if (!usable(m, e))
            continue;
        uint32_t w = e->to;
        if (g->scc[w] != g->scc[start] || w < start)
            continue;
        if (w == start) {
            s->pedges[depth] = e;
            s->res->cycles++;
            if (!s->fn(s->ctx, s->path, s->pedges, depth + 1) ||
                s->res->cycles >= CYCLE_BUDGET) {
                if (s->res->cycles >= CYCLE_BUDGET)
                    s->res->cut_by_budget = true;
                s->stop = true;
            }
            continue;
        }
        if (s->on_path[w])
            continue;
        if (depth + 1 >= s->max_len) {
            s->res->cut_by_length = true;
            continue;
        }
        s->pedges[depth] = e;
        depth++;
        s->path[depth] = w;
        s->next[depth] = g->first[w];
        s->on_path[w] = true;
    }
    /* on stop, clear what is left on the path */
    for (size_t i = 0; i <= depth; i++)
        s->on_path[s->path[i]] = false;
}

void lockgraph_cycles(const struct model *m, unsigned max_len, lockgraph_cycle_fn fn, void *ctx,
                      struct lockgraph_result *res)
{
    memset(res, 0, sizeof *res);
    if (!m->nlocks || !m->nedges || max_len < 2)
        return;
    struct graph g;
    build(m, &g);
    tarjan(m, &g);
    struct search s = {.m = m, .g = &g, .max_len = max_len, .fn = fn, .ctx = ctx, .res = res};
    s.path = xcalloc(max_len + 1, sizeof *s.path);
    s.pedges = xcalloc(max_len + 1, sizeof *s.pedges);
    s.next = xcalloc(max_len + 1, sizeof *s.next);
    s.on_path = xcalloc(g.n, sizeof *s.on_path);
    /* A component of one node has no cycle (self edges are not kept). */
    uint32_t *size = xcalloc(g.n, sizeof *size);
    for (size_t v = 0; v < g.n; v++)
        if (g.scc[v] != UINT32_MAX)
            size[g.scc[v]]++;
    for (size_t v = 0; v < g.n && !s.stop; v++)
        if (g.scc[v] != UINT32_MAX && size[g.scc[v]] > 1)
            search_from(&s, (uint32_t)v);
    free(size);
    free(s.path);
    free(s.pedges);
    free(s.next);
    free(s.on_path);
    free(g.first);
    free(g.scc);
}
