/* Who holds what while the pass runs: the out-of-line halves of the held
 * lists and lock owners (the per-event ones are inline in model_state.h). */
#include "analyzer/model_state.h"

/* Removes the hold of lock from whichever thread has it (an unlock by a
 * non-owner of a default mutex, or a semaphore posted by another thread). */
void holds_drop_any(struct model *m, uint32_t lock)
{
    uint32_t owner = holds_state(m, lock)->owner;
    if (owner == MODEL_NONE)
        return;
    long i = holds_find(m, owner, lock);
    if (i >= 0)
        holds_drop(m, owner, i);
}

void holds_taken(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags, uint32_t site)
{
    struct lstate *s = holds_state(m, lock);
    if (flags & SWT_ACQ_READ)
        s->readers++;
    s->owner = thread;
    s->owner_site = site;
    s->released_by = MODEL_NONE;
}
