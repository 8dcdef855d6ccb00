/* Walks everything the trace reader offers over one buffer, the way the
 * analyzer does, and checks the promises of common/trace_reader.h that a
 * caller relies on: an error message whenever opening fails, records and
 * blobs that lie inside the buffer, thread indices that exist, stat slots
 * inside the file.  Shared by the libFuzzer harness (fuzz_reader.c) and the
 * robustness unit test (tests/unit/test_reader_robust.c).  Header-only so
 * each of them stays one file. */
#ifndef SYNCWATCH_TESTS_FUZZ_READER_WALK_H
#define SYNCWATCH_TESTS_FUZZ_READER_WALK_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/trace_reader.h"

struct walk_result {
    int opened;            /* swt_open_buffer succeeded */
    int corrupt;           /* a cursor or the merge reported a corrupt record */
    uint64_t records;      /* records delivered by the merge */
    uint64_t sum;          /* touches every delivered byte, so nothing is optimised away */
    char violation[256];   /* empty unless a promise of the reader API was broken */
};

struct walk_stat_ctx {
    const uint8_t *lo, *hi;
    struct walk_result *res;
};

static inline void walk_violation(struct walk_result *res, const char *what)
{
    if (!res->violation[0])
        snprintf(res->violation, sizeof res->violation, "%s", what);
}

static inline int walk_inside(const void *p, size_t n, const uint8_t *lo, const uint8_t *hi)
{
    const uint8_t *q = p;
    return q >= lo && q <= hi && n <= (size_t)(hi - q);
}

static inline void walk_stat(void *ctx, uint32_t thread, const struct swt_stat_slot *slot)
{
    struct walk_stat_ctx *c = ctx;
    if (!walk_inside(slot, sizeof *slot, c->lo, c->hi))
        walk_violation(c->res, "stat slot outside the buffer");
    else
        c->res->sum += slot->acquisitions + slot->wait_hist[SWT_HIST_BUCKETS - 1] + thread;
}

static inline void walk_record(const struct swt_trace *t, const struct swt_rec *r,
                               const uint8_t *lo, const uint8_t *hi, struct walk_result *res)
{
    res->sum += r->type + r->ns + r->nfields;
    if (r->nfields > SWT_MAX_FIELDS)
        walk_violation(res, "record with more than SWT_MAX_FIELDS fields");
    if (r->offset >= (uint64_t)(hi - lo))
        walk_violation(res, "record offset outside the file");
    if (!swt_schema_of(r->type))
        walk_violation(res, "record of a type the reader does not know was delivered");
    if (r->blob_len) {
        if (!walk_inside(r->blob, r->blob_len, lo, hi))
            walk_violation(res, "record blob outside the buffer");
        else
            for (size_t i = 0; i < r->blob_len; i++)
                res->sum += r->blob[i];
    }
    size_t i;
    for (i = 0; i < swt_thread_count(t); i++)
        if (swt_thread_at(t, i) == r->thread)
            break;
    if (i == swt_thread_count(t))
        walk_violation(res, "record of a thread the trace does not list");
}

/* Opens data as a trace and reads all of it.  Returns 0, or -1 with
 * res->violation set when the reader broke a promise. */
static inline int walk_trace(const uint8_t *data, size_t size, struct walk_result *res)
{
    char err[SWT_ERR_LEN];
    const uint8_t *lo = data, *hi = data + size;
    memset(res, 0, sizeof *res);
    err[0] = 0;
    struct swt_trace *t = swt_open_buffer(data, size, "walk", err, sizeof err);
    if (!t) {
        if (!err[0])
            walk_violation(res, "open failed without a message");
        return res->violation[0] ? -1 : 0;
    }
    res->opened = 1;
    const struct swt_file_header *h = swt_header(t);
    res->sum += h->pid + h->chunk_size + strlen(h->exe) + strlen(h->cmdline);
    res->sum += swt_file_size(t) + swt_ticks_to_ns(t, h->end_ticks);

    /* thread blocks: the API hands out the block in place */
    for (size_t i = 0; i < swt_thread_count(t); i++) {
        uint32_t th = swt_thread_at(t, i);
        res->sum += swt_thread_tid(t, th);
        const struct swt_thread_block *b = swt_thread_block(t, th);
        if (!b)
            continue;
        if (!walk_inside(b, sizeof *b, lo, hi)) {
            walk_violation(res, "thread block outside the buffer");
            continue;
        }
        uint32_t nheld = b->nheld < SWT_MAX_HELD ? b->nheld : SWT_MAX_HELD;
        for (uint32_t k = 0; k < nheld; k++)
            res->sum += b->held[k].lock + b->held[k].since_ticks;
        res->sum += b->waiting_lock + b->state;
    }
    struct walk_stat_ctx sc = {lo, hi, res};
    swt_foreach_stat(t, walk_stat, &sc);

    /* each thread's cursor, then the merge of all */
    for (size_t i = 0; i < swt_thread_count(t); i++) {
        struct swt_cursor c;
        struct swt_rec r = {0};
        if (swt_cursor_init(t, swt_thread_at(t, i), &c) < 0) {
            walk_violation(res, "cursor_init failed for a listed thread");
            break;
        }
        int rc;
        while ((rc = swt_cursor_next(&c, &r, err, sizeof err)) == 1)
            walk_record(t, &r, lo, hi, res);
        if (rc < 0 && !err[0])
            walk_violation(res, "cursor error without a message");
    }
    struct swt_merge *m = swt_merge_new(t);
    if (m) {
        struct swt_rec r = {0};
        int rc;
        err[0] = 0;
        while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1) {
            walk_record(t, &r, lo, hi, res);
            res->records++;
        }
        if (rc < 0) {
            res->corrupt = 1;
            if (!err[0])
                walk_violation(res, "merge error without a message");
        }
        swt_merge_free(m);
    }
    for (size_t i = 0; i < swt_warning_count(t); i++) {
        const struct swt_warning *w = swt_warning_at(t, i);
        res->sum += w->offset + strlen(w->text);
    }
    swt_close(t);
    return res->violation[0] ? -1 : 0;
}

#endif
