/* The trace reader against traces laid out byte by byte here: decoding of
 * every field, chunk order, the time-ordered merge, and the damage a killed
 * or copied program leaves (torn tail, truncation, wrong version). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_encode.h"
#include "common/trace_reader.h"

#define CHUNK 4096u

struct builder {
    uint8_t *buf;
    size_t size;
    uint32_t nchunks;
};

static void b_init(struct builder *b, uint32_t nchunks)
{
    b->size = SWT_HEADER_REGION + (size_t)nchunks * CHUNK;
    b->buf = calloc(1, b->size);
    b->nchunks = nchunks;
    struct swt_file_header *h = (void *)b->buf;
    memcpy(h->magic, SWT_MAGIC, SWT_MAGIC_LEN);
    h->version_major = SWT_VERSION_MAJOR;
    h->version_minor = SWT_VERSION_MINOR;
    h->header_size = sizeof *h;
    h->chunk_size = CHUNK;
    h->mode = SWT_MODE_TRACE;
    h->clock = SWT_CLOCK_MONOTONIC;
    h->tick_ns_q32 = 1ull << 32;
    h->start_ticks = 1000;
    h->chunks_allocated = nchunks;
    h->pid = 42;
}

static uint8_t *b_chunk(struct builder *b, uint32_t k, uint16_t kind, uint32_t thread, uint32_t seq,
                        uint64_t base)
{
    uint8_t *c = b->buf + SWT_HEADER_REGION + (size_t)k * CHUNK;
    struct swt_chunk_header *ch = (void *)c;
    ch->magic = SWT_CHUNK_MAGIC;
    ch->kind = kind;
    ch->thread = thread;
    ch->seq = seq;
    ch->tid = 1000 + thread;
    ch->base_ticks = base;
    return c + sizeof *ch;
}

static uint8_t *put3(uint8_t *p, unsigned type, uint64_t dt, uint64_t a, uint64_t f, uint64_t s)
{
    uint64_t v[3] = {a, f, s};
    return p + swt_encode_core(p, type, dt, v, 3);
}

/* Main thread: A then B in chunk 0 and 2 (seq 0, 1); thread 2 in chunk 1. */
static struct builder abba(void)
{
    struct builder b;
    b_init(&b, 3);
    uint8_t *p = b_chunk(&b, 0, SWT_CHUNK_EVENTS, 1, 0, 1000);
    uint64_t lk[11] = {1, SWT_KIND_MUTEX, SWT_TYPE_NORMAL, 0, 0x601000, 1, 0, 0, 0, 0, 0};
    p += swt_encode_ext(p, SWT_REC_LOCK_NEW, 5, lk, 11, "lock_a", 6);
    p = put3(p, SWT_REC_ACQUIRE, 10, 1, 0, 1);
    p = put3(p, SWT_REC_ACQUIRE, 10, 2, 0, 2);
    uint8_t *q = b_chunk(&b, 2, SWT_CHUNK_EVENTS, 1, 1, 1100);
    q = put3(q, SWT_REC_RELEASE, 0, 2, 0, 3);
    q = put3(q, SWT_REC_RELEASE, 10, 1, 0, 4);
    uint8_t *r = b_chunk(&b, 1, SWT_CHUNK_EVENTS, 2, 0, 1050);
    r = put3(r, SWT_REC_ACQUIRE, 0, 2, 0, 5);
    r = put3(r, SWT_REC_ACQUIRE, 100, 1, SWT_ACQ_TRY, 6);
    (void)p, (void)q, (void)r;
    return b;
}

static void test_open_and_decode(void **state)
{
    (void)state;
    struct builder b = abba();
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "abba", err, sizeof err);
    assert_non_null(t);
    assert_int_equal(swt_header(t)->pid, 42);
    assert_int_equal(swt_thread_count(t), 2);
    assert_int_equal(swt_thread_tid(t, 2), 1002);

    struct swt_cursor c;
    struct swt_rec r = {0};
    assert_int_equal(swt_cursor_init(t, 1, &c), 0);
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 1);
    assert_int_equal(r.type, SWT_REC_LOCK_NEW);
    assert_int_equal(r.f[4], 0x601000);
    assert_int_equal(r.blob_len, 6);
    assert_memory_equal(r.blob, "lock_a", 6);
    assert_int_equal(r.ns, 5);
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 1);
    assert_int_equal(r.type, SWT_REC_ACQUIRE);
    assert_int_equal(r.ns, 15);
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 1);
    assert_int_equal(r.f[0], 2);
    /* seq 1 comes next although it lies after thread 2's chunk in the file */
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 1);
    assert_int_equal(r.type, SWT_REC_RELEASE);
    assert_int_equal(r.ns, 100);
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 1);
    assert_int_equal(swt_cursor_next(&c, &r, err, sizeof err), 0);
    assert_int_equal(swt_warning_count(t), 0);
    swt_close(t);
    free(b.buf);
}

static void test_merge_orders_by_time(void **state)
{
    (void)state;
    struct builder b = abba();
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "abba", err, sizeof err);
    assert_non_null(t);
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    uint64_t expect_ns[] = {5, 15, 25, 50, 100, 110, 150};
    uint32_t expect_thread[] = {1, 1, 1, 2, 1, 1, 2};
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(swt_merge_next(m, &r, err, sizeof err), 1);
        assert_int_equal(r.ns, expect_ns[i]);
        assert_int_equal(r.thread, expect_thread[i]);
    }
    assert_int_equal(swt_merge_next(m, &r, err, sizeof err), 0);
    swt_merge_free(m);
    swt_close(t);
    free(b.buf);
}

static void test_torn_tail_is_a_warning(void **state)
{
    (void)state;
    struct builder b = abba();
    /* A record whose body was written but whose type byte never was. */
    uint8_t *c = b.buf + SWT_HEADER_REGION + 1 * CHUNK + sizeof(struct swt_chunk_header);
    struct swt_rec r = {0};
    uint64_t ticks = 0;
    char err[SWT_ERR_LEN];
    long n1 = swt_decode(c, c + CHUNK, &ticks, &r, err, sizeof err);
    long n2 = swt_decode(c + n1, c + CHUNK, &ticks, &r, err, sizeof err);
    uint8_t *tail = c + n1 + n2;
    put3(tail, SWT_REC_RELEASE, 5, 1, 0, 7);
    tail[0] = 0;

    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "torn", err, sizeof err);
    assert_non_null(t);
    struct swt_cursor cur;
    swt_cursor_init(t, 2, &cur);
    int n = 0;
    while (swt_cursor_next(&cur, &r, err, sizeof err) == 1)
        n++;
    assert_int_equal(n, 2);
    assert_int_equal(swt_warning_count(t), 1);
    assert_non_null(strstr(swt_warning_at(t, 0)->text, "torn tail"));
    swt_close(t);
    free(b.buf);
}

static void test_truncated_chunks_warn(void **state)
{
    (void)state;
    struct builder b = abba();
    char err[SWT_ERR_LEN];
    /* Cut inside the last chunk: two whole chunks remain. */
    struct swt_trace *t = swt_open_buffer(b.buf, b.size - 100, "cut", err, sizeof err);
    assert_non_null(t);
    assert_true(swt_warning_count(t) >= 1);
    assert_non_null(strstr(swt_warning_at(t, 0)->text, "truncated"));
    swt_close(t);
    free(b.buf);
}

static void test_chunks_handed_out_but_not_grown(void **state)
{
    (void)state;
    struct builder b = abba();
    char err[SWT_ERR_LEN];
    struct swt_file_header *h = (void *)b.buf;
    /* Killed between handing out chunk 3 and growing the file over it. */
    h->chunks_allocated = 4;
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "killed", err, sizeof err);
    assert_non_null(t);
    assert_int_equal(swt_warning_count(t), 1);
    assert_null(strstr(swt_warning_at(t, 0)->text, "truncated"));
    assert_non_null(strstr(swt_warning_at(t, 0)->text, "never added"));
    swt_close(t);
    /* The same after a normal exit without dropped events: cut short. */
    h->state = SWT_PROC_EXITED;
    t = swt_open_buffer(b.buf, b.size, "cut", err, sizeof err);
    assert_non_null(t);
    assert_non_null(strstr(swt_warning_at(t, 0)->text, "truncated file"));
    swt_close(t);
    free(b.buf);
}

static void test_bad_files_are_refused(void **state)
{
    (void)state;
    struct builder b = abba();
    char err[SWT_ERR_LEN];

    assert_null(swt_open_buffer(b.buf, 0, "empty", err, sizeof err));
    assert_non_null(strstr(err, "empty"));

    assert_null(swt_open_buffer(b.buf, 100, "short", err, sizeof err));
    assert_non_null(strstr(err, "truncated"));

    struct swt_file_header *h = (void *)b.buf;
    h->version_major = SWT_VERSION_MAJOR + 1;
    assert_null(swt_open_buffer(b.buf, b.size, "newer", err, sizeof err));
    assert_non_null(strstr(err, "newer"));
    h->version_major = SWT_VERSION_MAJOR;

    h->chunk_size = 12345;
    assert_null(swt_open_buffer(b.buf, b.size, "chunk", err, sizeof err));
    assert_non_null(strstr(err, "chunk size"));
    h->chunk_size = CHUNK;

    b.buf[0] = 'X';
    assert_null(swt_open_buffer(b.buf, b.size, "magic", err, sizeof err));
    assert_non_null(strstr(err, "not a syncwatch trace"));

    assert_null(swt_open("/nonexistent/trace.swt", err, sizeof err));
    assert_non_null(strstr(err, "cannot open"));
    free(b.buf);
}

static void test_corrupt_record_is_an_error(void **state)
{
    (void)state;
    struct builder b = abba();
    uint8_t *c = b.buf + SWT_HEADER_REGION + 1 * CHUNK + sizeof(struct swt_chunk_header);
    c[0] = 0x3f; /* not a core type this version knows */
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "bad", err, sizeof err);
    assert_non_null(t);
    struct swt_cursor cur;
    struct swt_rec r = {0};
    swt_cursor_init(t, 2, &cur);
    assert_int_equal(swt_cursor_next(&cur, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "offset 8224"));
    assert_non_null(strstr(err, "unknown core record type"));
    swt_close(t);
    free(b.buf);
}

static void test_unknown_ext_records_are_skipped(void **state)
{
    (void)state;
    struct builder b;
    b_init(&b, 1);
    uint8_t *p = b_chunk(&b, 0, SWT_CHUNK_EVENTS, 1, 0, 1000);
    uint64_t f[2] = {7, 8};
    p += swt_encode_ext(p, 0x7e, 3, f, 2, "future", 6); /* a newer minor version's record */
    uint64_t g[4] = {1, 2, 3, 99}; /* thread_exit with one appended field */
    p += swt_encode_ext(p, SWT_REC_THREAD_EXIT, 4, g, 4, NULL, 0);
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "future", err, sizeof err);
    assert_non_null(t);
    struct swt_cursor cur;
    struct swt_rec r = {0};
    swt_cursor_init(t, 1, &cur);
    assert_int_equal(swt_cursor_next(&cur, &r, err, sizeof err), 1);
    assert_int_equal(r.type, SWT_REC_THREAD_EXIT);
    assert_int_equal(r.ns, 7); /* the skipped record's dt still counts */
    assert_int_equal(r.f[0], 1);
    assert_int_equal(r.blob_len, 0);
    assert_int_equal(swt_cursor_next(&cur, &r, err, sizeof err), 0);
    swt_close(t);
    free(b.buf);
}

struct stat_sum {
    int n;
    uint64_t sum;
};

static void add_stat(void *ctx, uint32_t thread, const struct swt_stat_slot *s)
{
    (void)thread;
    struct stat_sum *acc = ctx;
    acc->n++;
    acc->sum += s->acquisitions;
}

static void test_stats_and_thread_block(void **state)
{
    (void)state;
    struct builder b;
    b_init(&b, 2);
    b_chunk(&b, 0, SWT_CHUNK_THREAD, 1, 0, 0);
    struct swt_thread_block *blk = (void *)(b.buf + SWT_HEADER_REGION);
    blk->nheld = 1;
    blk->held[0].lock = 3;
    blk->waiting_lock = 4;
    blk->nstats = 2;
    blk->stats[1].lock = 3;
    blk->stats[1].acquisitions = 10;
    b_chunk(&b, 1, SWT_CHUNK_STATS, 1, 0, 0);
    struct swt_stat_slot *more =
        (void *)(b.buf + SWT_HEADER_REGION + CHUNK + sizeof(struct swt_chunk_header));
    more[0].lock = 4;
    more[0].acquisitions = 5;
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "stats", err, sizeof err);
    assert_non_null(t);
    const struct swt_thread_block *got = swt_thread_block(t, 1);
    assert_non_null(got);
    assert_int_equal(got->waiting_lock, 4);
    struct stat_sum acc = {0, 0};
    swt_foreach_stat(t, add_stat, &acc);
    assert_int_equal(acc.n, 2);
    assert_int_equal(acc.sum, 15);
    swt_close(t);
    free(b.buf);
}

static void test_corrupt_times_are_errors(void **state)
{
    (void)state;
    char err[SWT_ERR_LEN];
    struct swt_rec r = {0};
    struct swt_cursor cur;
    /* A damaged chunk base puts thread 2 centuries after the start. */
    struct builder b = abba();
    struct swt_chunk_header *ch = (void *)(b.buf + SWT_HEADER_REGION + 1 * CHUNK);
    ch->base_ticks = 0xffffffffffffff00ull;
    struct swt_trace *t = swt_open_buffer(b.buf, b.size, "late", err, sizeof err);
    assert_non_null(t);
    swt_cursor_init(t, 2, &cur);
    assert_int_equal(swt_cursor_next(&cur, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "corrupt record time"));
    swt_close(t);
    /* ... or long before it. */
    ch->base_ticks = 1;
    ((struct swt_file_header *)b.buf)->start_ticks = 5000000000ull;
    t = swt_open_buffer(b.buf, b.size, "early", err, sizeof err);
    assert_non_null(t);
    swt_cursor_init(t, 2, &cur);
    assert_int_equal(swt_cursor_next(&cur, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "before the trace's start"));
    swt_close(t);
    free(b.buf);
}

static void test_varints(void **state)
{
    (void)state;
    uint8_t buf[16];
    uint64_t vals[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t *end = swt_put_varint(buf, vals[i]);
        assert_int_equal((size_t)(end - buf), swt_varint_len(vals[i]));
        const uint8_t *p = buf;
        uint64_t got;
        assert_int_equal(swt_get_varint(&p, end, &got), 0);
        assert_true(got == vals[i]);
        p = buf;
        assert_int_equal(swt_get_varint(&p, end - 1, &got), -1); /* cut short */
    }
    memset(buf, 0xff, sizeof buf);
    const uint8_t *p = buf;
    uint64_t got;
    assert_int_equal(swt_get_varint(&p, buf + sizeof buf, &got), -1); /* over-long */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_varints),
        cmocka_unit_test(test_open_and_decode),
        cmocka_unit_test(test_merge_orders_by_time),
        cmocka_unit_test(test_torn_tail_is_a_warning),
        cmocka_unit_test(test_truncated_chunks_warn),
        cmocka_unit_test(test_chunks_handed_out_but_not_grown),
        cmocka_unit_test(test_bad_files_are_refused),
        cmocka_unit_test(test_corrupt_record_is_an_error),
        cmocka_unit_test(test_unknown_ext_records_are_skipped),
        cmocka_unit_test(test_stats_and_thread_block),
        cmocka_unit_test(test_corrupt_times_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
