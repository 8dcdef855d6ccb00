/* The images of one process: exec replaces a traced image by a new one of
 * the same pid, which writes its own trace file (exec_generation 1, 2, ...
 * in its header, docs/trace-format.md).  Each image stays a process of the
 * model (its lock, stack and thread ids are its own); this links them in
 * exec order so that reports show one process's life. */
#include "analyzer/model.h"

void model_link_images(struct model *m)
{
    for (size_t i = 0; i < m->nprocs; i++)
        m->procs[i].exec_prev = m->procs[i].exec_next = MODEL_NONE;
    for (size_t i = 0; i < m->nprocs; i++) {
        struct model_process *p = &m->procs[i];
        uint32_t gen = p->hdr.exec_generation;
        if (!gen)
            continue;
        for (size_t k = 0; k < m->nprocs; k++) {
            struct model_process *q = &m->procs[k];
            if (k != i && q->pid == p->pid && q->hdr.exec_generation == gen - 1 &&
                q->exec_next == MODEL_NONE) {
                p->exec_prev = (uint32_t)k;
                q->exec_next = (uint32_t)i;
                break;
            }
        }
    }
}
