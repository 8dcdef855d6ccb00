/* Robustness of the trace reader against damaged files: every truncation
 * length and thousands of deterministic random byte mutations of small valid
 * traces (made by swgen) are opened and read through cursors and the merge.
 * The reader may refuse a file or report corruption, but must never crash,
 * read outside the buffer (ASan sees that: every input is its own exact-size
 * allocation) or break a promise of its API (tests/fuzz/reader_walk.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_encode.h"
#include "common/trace_reader.h"
#include "tests/fuzz/reader_walk.h"
#include "tests/tools/swgen.h"

/* Small traces that between them hold every record type, every chunk kind,
 * chunk rollover, spilled stat slots, unknown ext types and a torn tail. */
static const char *const scenarios[] = {
    /* trace mode, all record types */
    "header pid=300 run=3 stack-depth=4\n"
    "module /usr/bin/app start=0x400000 end=0x480000 offset=0 build-id=0123456789abcdef\n"
    "stack S1 0x401000 0x401234 0x7f0000001000\n"
    "lock A kind=mutex type=recursive site=S1 ; lock RW kind=rwlock type=prefer-reader\n"
    "lock C kind=cond ; lock S kind=sem value=1 ; lock B kind=barrier value=2\n"
    "lock N kind=named-sem semname=/mp-1 flags=pshared dev=5 ino=77 offset=16\n"
    "T2 start parent=T1 site=S1 ; T1 create T2 site=S1 ; T2 name worker\n"
    "T1 acquire A site=S1 ; T1 acquire A recursive ; T1 acquire RW read ; T1 release RW\n"
    "T1 release A recursive ; T1 release A\n"
    "T2 wait A ; T2 acquire A contended @+2us ; T2 release A cond ; T2 cond-wait C A\n"
    "T1 signal C ; T1 broadcast C ; T2 cond-wake C A ; T2 acquire A cond ; T2 release A\n"
    "T1 fail A try ; T1 fail A timed err=ETIMEDOUT ; T2 acquire S ; T2 post S value=1\n"
    "T1 barrier-wait B ; T2 barrier-wait B ; T1 barrier-done B ; T2 barrier-done B err=-1\n"
    "T1 edge A RW read held=S from-site=S1 ; T1 dlopen /lib/x.so flags=258 ok=1\n"
    "T1 note code=deepbind text=\"/lib/x.so bypasses\" ; T1 dropped 3\n"
    "T1 raw 0x70 1 2 3 blob=deadbeef ; T1 raw 0x4d 5 6 7\n"
    "T1 fork child=301 ; T2 exit held=A ; T1 join T2 ; T1 detach T2 ; T1 destroy A\n"
    "T1 acquire A ; T1 acquire N ; T1 proc-exit how=_exit status=3\n",
    /* profile mode: stat slots spill into STATS chunks, killed mid-wait */
    "header mode=profile pid=400\n"
    "T1 acquire L1 ; T1 acquire L2 ; T1 acquire L3 ; T1 acquire L4 ; T1 acquire L5\n"
    "T1 acquire L6 ; T1 acquire L7 ; T1 acquire L8 ; T1 acquire L9 ; T1 acquire L10\n"
    "T1 acquire L11 ; T1 acquire L12 ; T1 acquire L13\n"
    "stat T1 L1 site=7 acq=5 cont=2 wait-total=100 hist=3:1,5:1 spill\n"
    "T2 wait L1 ; thread-state T2 waiting=L1 held=L14\n",
    /* many records: event chunk rollover in two threads, torn tail */
    NULL, /* filled in by make_long() */
};

#define NSCEN (sizeof scenarios / sizeof scenarios[0])

static char *make_long(void)
{
    size_t cap = 64 * 1024, n = 0;
    char *s = malloc(cap);
    assert_non_null(s);
    n += (size_t)snprintf(s + n, cap - n, "header pid=500\n");
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(s + n, cap - n,
                              "T1 acquire A ; T1 acquire B site=%d ; T1 release B ; T1 release A\n"
                              "T2 acquire B @+1us ; T2 release B\n",
                              i % 7);
    snprintf(s + n, cap - n, "tear T2\n");
    return s;
}

struct trace_buf {
    uint8_t *data;
    size_t len;
};

static struct trace_buf traces[NSCEN];

static int setup(void **state)
{
    (void)state;
    char err[512];
    for (size_t i = 0; i < NSCEN; i++) {
        char *owned = scenarios[i] ? NULL : make_long();
        const char *text = scenarios[i] ? scenarios[i] : owned;
        int rc = swgen_compile(text, "scenario", &traces[i].data, &traces[i].len, err, sizeof err);
        if (rc) {
            print_error("scenario %zu: %s\n", i, err);
            free(owned);
            return -1;
        }
        free(owned);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSCEN; i++)
        free(traces[i].data);
    return 0;
}

/* Walks a private exact-size copy, so that ASan catches any overread. */
static void walk_copy(const uint8_t *data, size_t len, struct walk_result *res, const char *what,
                      size_t a, size_t b)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    if (len)
        memcpy(copy, data, len);
    if (walk_trace(copy, len, res) < 0)
        fail_msg("%s %zu/%zu: %s", what, a, b, res->violation);
    free(copy);
}

static void test_valid_traces_read_whole(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSCEN; i++) {
        struct walk_result res;
        walk_copy(traces[i].data, traces[i].len, &res, "scenario", i, 0);
        assert_true(res.opened);
        assert_false(res.corrupt);
        assert_true(res.records > 10);
    }
}

static void test_every_truncation(void **state)
{
    (void)state;
    for (size_t i = 0; i < NSCEN; i++)
        for (size_t len = 0; len <= traces[i].len; len++) {
            struct walk_result res;
            walk_copy(traces[i].data, len, &res, "truncation of scenario", i, len);
            if (len < SWT_HEADER_REGION)
                assert_false(res.opened);
        }
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, so a failure names its iteration */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static uint8_t interesting_byte(void)
{
    static const uint8_t v[] = {0x00, 0xff, 0x80, 0x7f, 0x01, 0x40, 0x4e, 0x4f, 0x0b, 0x0c};
    return rnd() % 2 ? (uint8_t)rnd() : v[rnd() % sizeof v];
}

/* Where a change matters: the header fields, and the start of each chunk
 * (its header, the first records, the thread block's counters). */
static size_t pick_offset(size_t len)
{
    size_t nchunks = len > SWT_HEADER_REGION ? (len - SWT_HEADER_REGION) / SWT_MIN_CHUNK_SIZE : 0;
    size_t r = rnd();
    if (r % 4 == 0 || !nchunks)
        return (size_t)(rnd() % (len < 1024 ? len : 1024));
    size_t base = SWT_HEADER_REGION + (size_t)(rnd() % nchunks) * SWT_MIN_CHUNK_SIZE;
    size_t span = r % 4 == 1 ? SWT_MIN_CHUNK_SIZE : 400;
    size_t off = base + (size_t)(rnd() % span);
    return off < len ? off : len - 1;
}

static void test_random_mutations(void **state)
{
    (void)state;
    rng_state = 0x9e3779b97f4a7c15ull;
    uint64_t opened = 0, corrupt = 0;
    for (size_t i = 0; i < NSCEN; i++) {
        size_t len = traces[i].len;
        uint8_t *m = malloc(len);
        assert_non_null(m);
        for (size_t iter = 0; iter < 4000; iter++) {
            memcpy(m, traces[i].data, len);
            unsigned nchanges = 1 + (unsigned)(rnd() % 6);
            for (unsigned c = 0; c < nchanges; c++) {
                size_t off = pick_offset(len);
                switch (rnd() % 4) {
                case 0:
                    m[off] ^= (uint8_t)(1u << (rnd() % 8));
                    break;
                case 1:
                    m[off] = interesting_byte();
                    break;
                case 2: { /* a 32-bit field set to an edge value */
                    static const uint32_t v[] = {0, 1, 0x7fffffff, 0xffffffff, 4096, 65,
                                                 0x80000000};
                    uint32_t x = v[rnd() % (sizeof v / sizeof v[0])];
                    size_t o = off & ~(size_t)3;
                    if (o + 4 <= len)
                        memcpy(m + o, &x, 4);
                    break;
                }
                default: /* an over-long varint run */
                    for (size_t k = off; k < len && k < off + 11; k++)
                        m[k] = 0xff;
                    break;
                }
            }
            size_t cut = rnd() % 8 == 0 ? (size_t)(rnd() % len) : len;
            struct walk_result res;
            walk_copy(m, cut, &res, "mutation of scenario", i, iter);
            opened += (uint64_t)res.opened;
            corrupt += (uint64_t)res.corrupt;
        }
        free(m);
    }
    /* the mutations must reach past the header checks to be worth anything */
    assert_true(opened > 1000);
    assert_true(corrupt > 10);
}

static void test_decode_random_bytes(void **state)
{
    (void)state;
    rng_state = 12345;
    for (int iter = 0; iter < 200000; iter++) {
        size_t n = (size_t)(rnd() % 24);
        uint8_t *p = malloc(n ? n : 1);
        assert_non_null(p);
        for (size_t k = 0; k < n; k++)
            p[k] = rnd() % 3 ? (uint8_t)rnd() : interesting_byte();
        uint64_t ticks = 0;
        struct swt_rec r = {0};
        char err[200];
        long got = swt_decode(p, p + n, &ticks, &r, err, sizeof err);
        assert_true(got >= -1 && got <= (long)n);
        if (got > 0 && r.blob_len)
            assert_true(r.blob >= p && r.blob + r.blob_len <= p + n);
        free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_traces_read_whole),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_decode_random_bytes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
