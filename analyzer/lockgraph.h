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

struct lockgraph_result {
    size_t cycles;          /* cycles reported */
    bool cut_by_length;     /* some path was not followed because of max_len */
    bool cut_by_budget;     /* the search stopped at its work or cycle budget */
};

/* Enumerates every elementary cycle of at most max_len locks (each once,
 * in a stable order: by smallest node, then lexicographically by path). */
void lockgraph_cycles(const struct model *m, unsigned max_len, lockgraph_cycle_fn fn, void *ctx,
                      struct lockgraph_result *res);

#endif
