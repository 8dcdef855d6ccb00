/* The lock-order graph over the model's edges: strongly connected
 * components and the elementary cycles up to a length bound.  Nodes are the
 * graph nodes of the model (model_lock.node == index) that are locks. */
#ifndef SYNCWATCH_ANALYZER_LOCKGRAPH_H
#define SYNCWATCH_ANALYZER_LOCKGRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"

/* Called once per elementary cycle: nodes[0..n) with nodes[0] the smallest
 * model index, edges[i] = the model edge nodes[i] -> nodes[(i+1) % n].
 * Return false to stop the search. */
typedef bool (*lockgraph_cycle_fn)(void *ctx, const uint32_t *nodes,
                                   const struct model_edge *const *edges, size_t n);

/* A strongly connected component whose search its budget cut short. */
struct lockgraph_cut {
    uint32_t *nodes;        /* its locks, ascending (owned) */
    size_t nnodes;
    size_t nedges;          /* edges between them that can close a cycle */
    size_t cycles;          /* cycles listed in it */
    unsigned complete_len;  /* every cycle of at most this many locks was listed */
    bool by_steps;          /* the step budget stopped it (else the cycle budget) */
};

struct lockgraph_result {
    size_t cycles;          /* cycles reported */
    bool cut_by_length;     /* some path was not followed because of max_len */
    bool cut_by_budget;     /* some component's search stopped at its budget */
    struct lockgraph_cut *cuts; /* those components (owned: lockgraph_result_free) */
    size_t ncuts;
    size_t dropped_try;     /* edges left out: taken only with a trylock */
};

/* Per strongly connected component: at most this many cycles and search
 * steps (edges followed), so one dense tangle cannot starve the others. */
#define LOCKGRAPH_CYCLE_BUDGET 10000u
#define LOCKGRAPH_STEP_BUDGET 20000000ull

/* Whether an edge can be part of a deadlock: some occurrence may block.
 * A trylock returns EBUSY instead of blocking, so an edge taken only with
 * trylocks (lock + trylock back-off, what std::lock does) never closes
 * one; semaphores excepted (CPython's blocking acquire starts with
 * sem_trywait). */
bool lockgraph_variant_can_block(const struct model *m, const struct model_edge *e,
                                 const struct model_edge_variant *v);
bool lockgraph_edge_can_block(const struct model *m, const struct model_edge *e);

/* Enumerates every elementary cycle of at most max_len locks (each once),
 * component by component (by smallest lock), each by increasing length,
 * then by smallest node and lexicographically by path: a budget that stops
 * a component leaves its shortest cycles listed. */
void lockgraph_cycles(const struct model *m, unsigned max_len, lockgraph_cycle_fn fn, void *ctx,
                      struct lockgraph_result *res);
void lockgraph_result_free(struct lockgraph_result *res);

#endif
