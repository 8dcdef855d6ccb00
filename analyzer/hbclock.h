/* Happens-before clocks of threads, over thread create, join and fork only
 * (never through locks: that would hide the very inversions the analyzer
 * looks for).  Each thread has its own epoch counter and a vector of what
 * it knows of the others' epochs; a snapshot is kept whenever the vector
 * changes, so that "did occurrence a happen before occurrence b?" can be
 * answered after the pass from (thread, epoch) pairs alone. */
#ifndef SYNCWATCH_ANALYZER_HBCLOCK_H
#define SYNCWATCH_ANALYZER_HBCLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hb_vc {
    uint32_t *v; /* v[i] = epoch of thread i known here; missing entries are 0 */
    uint32_t n;
};

struct hb_snap {
    uint32_t epoch; /* valid from this epoch of its thread on */
    struct hb_vc vc;
};

struct hb_clock {
    uint32_t epoch; /* starts at 1; moves on at the thread's create, join and fork records */
    struct hb_vc vc;
    struct hb_snap *snaps;
    size_t nsnaps;
};

void hb_init(struct hb_clock *c);
void hb_free(struct hb_clock *c);
void hb_vc_free(struct hb_vc *v);

/* A copy of c's vector as it is now (taken at a create or fork record). */
void hb_vc_copy(struct hb_vc *dst, const struct hb_clock *c);
/* Records c's current vector as valid from its current epoch on. */
void hb_snapshot(struct hb_clock *c);

/* child starts after parent's epoch parent_epoch: everything the parent
 * (thread parent_id) did up to then happened before anything child does.
 * at: the parent's vector at the create/fork record, or NULL for now. */
void hb_inherit(struct hb_clock *child, uint32_t parent_id, const struct hb_clock *parent,
                uint32_t parent_epoch, const struct hb_vc *at);
/* joiner learned that thread joined_id (clock joined) ended. */
void hb_join(struct hb_clock *joiner, struct hb_clock *joined, uint32_t joined_id);

/* Whether thread a_id's occurrence at epoch a_epoch happened before an
 * occurrence at epoch b_epoch of the thread whose clock is b. */
bool hb_before(const struct hb_clock *b, uint32_t b_epoch, uint32_t a_id, uint32_t a_epoch);

#endif
