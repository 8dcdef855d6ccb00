/* Time-ordered merge of a run's traces (see run_merge.h). */
#include "analyzer/run_merge.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

struct merge_key {
    uint64_t key;    /* absolute ns of the cursor's pending record */
    uint32_t cursor; /* cursors are laid out by trace, then thread: ties in that order */
};

struct merge_cursor {
    struct swt_cursor cur;
    struct swt_rec rec;
    uint32_t trace;
};

struct run_merge {
    struct merge_cursor *cur;
    struct merge_key *heap;
    const uint64_t *base_ns;
    size_t n, ncur;
    bool advance; /* the top was handed out: load its successor first */
};

static inline bool key_less(const struct merge_key *a, const struct merge_key *b)
{
    return a->key != b->key ? a->key < b->key : a->cursor < b->cursor;
}

static void sift(struct run_merge *mg, size_t i)
{
    struct merge_key x = mg->heap[i];
    for (;;) {
        size_t l = 2 * i + 1, best = i;
        const struct merge_key *bk = &x;
        if (l < mg->n && key_less(&mg->heap[l], bk)) {
            best = l;
            bk = &mg->heap[l];
        }
        if (l + 1 < mg->n && key_less(&mg->heap[l + 1], bk))
            best = l + 1;
        if (best == i)
            break;
        mg->heap[i] = mg->heap[best];
        i = best;
    }
    mg->heap[i] = x;
}

/* Loads the next record of heap slot i's cursor: 1, 0 (cursor done), -1. */
static int load(struct run_merge *mg, size_t i, char *err, size_t errlen)
{
    struct merge_key *k = &mg->heap[i];
    struct merge_cursor *mc = &mg->cur[k->cursor];
    int rc = swt_cursor_next(&mc->cur, &mc->rec, err, errlen);
    if (rc > 0)
        k->key = mg->base_ns[mc->trace] + mc->rec.ns;
    return rc;
}

struct run_merge *run_merge_new(struct swt_trace *const *traces, const uint64_t *base_ns,
                                size_t n, char *err, size_t errlen)
{
    struct run_merge *mg = xcalloc(1, sizeof *mg);
    mg->base_ns = base_ns;
    for (size_t i = 0; i < n; i++)
        mg->ncur += swt_thread_count(traces[i]);
    mg->cur = xcalloc(mg->ncur ? mg->ncur : 1, sizeof *mg->cur);
    mg->heap = xcalloc(mg->ncur ? mg->ncur : 1, sizeof *mg->heap);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < swt_thread_count(traces[i]); t++, k++) {
            swt_cursor_init(traces[i], swt_thread_at(traces[i], t), &mg->cur[k].cur);
            mg->cur[k].trace = (uint32_t)i;
            mg->heap[mg->n].cursor = (uint32_t)k;
            int rc = load(mg, mg->n, err, errlen);
            if (rc < 0) {
                run_merge_free(mg);
                return NULL;
            }
            if (rc > 0)
                mg->n++;
        }
    for (size_t i = mg->n / 2; i-- > 0;)
        sift(mg, i);
    return mg;
}

int run_merge_next(struct run_merge *mg, const struct swt_rec **rec, uint32_t *trace,
                   uint64_t *abs_ns, char *err, size_t errlen)
{
    if (mg->advance && mg->n) {
        int rc = load(mg, 0, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 0)
            mg->heap[0] = mg->heap[--mg->n];
        if (mg->n)
            sift(mg, 0);
    }
    mg->advance = false;
    if (!mg->n)
        return 0;
    const struct merge_cursor *mc = &mg->cur[mg->heap[0].cursor];
    *rec = &mc->rec;
    *trace = mc->trace;
    *abs_ns = mg->heap[0].key;
    mg->advance = true;
    return 1;
}

void run_merge_free(struct run_merge *mg)
{
    if (!mg)
        return;
    free(mg->cur);
    free(mg->heap);
    free(mg);
}
