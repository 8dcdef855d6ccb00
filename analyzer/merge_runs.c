/* Identical findings of different runs become one (merge_runs.h). */
#include <stdlib.h>
#include <string.h>

#include "analyzer/merge_runs.h"

/* The run of a finding: that of its first thread's process (a finding's
 * threads all come from one run: runs share no object). */
static uint64_t run_of(const struct finding *f, const struct model *m)
{
    if (!f->nthreads || f->threads[0] >= m->nthreads)
        return 0;
    return m->procs[m->threads[f->threads[0]].proc].hdr.run_id;
}

static bool several_runs(const struct model *m)
{
    for (size_t i = 1; i < m->nprocs; i++)
        if (m->procs[i].hdr.run_id != m->procs[0].hdr.run_id)
            return true;
    return false;
}

size_t findings_merge_runs(struct findings *fs, const struct model *m)
{
    if (!several_runs(m))
        return 0;
    size_t removed = 0, kept = 0;
    for (size_t i = 0; i < fs->n; i++) {
        struct finding *f = fs->list[i];
        struct finding *into = NULL;
        if (!f->pruned && f->fingerprint[0]) {
            /* The first kept finding with this fingerprint from another run. */
            for (size_t k = 0; k < kept && !into; k++) {
                struct finding *g = fs->list[k];
                if (!g->pruned && !strcmp(g->fingerprint, f->fingerprint) &&
                    run_of(g, m) != run_of(f, m))
                    into = g;
            }
        }
        if (into) {
            into->runs++;
            findings_drop(f);
            removed++;
            continue;
        }
        f->runs = 1;
        fs->list[kept++] = f;
    }
    fs->n = kept;
    return removed;
}
