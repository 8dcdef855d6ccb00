/* Damaged traces through the whole analysis (analysis_run: the model pass
 * with the lockstats observer, every detector) with low statistics
 * thresholds: every truncation length of a small scenario and
 * deterministic random byte mutations.  Nothing may crash or leak (the
 * test runs under ASan+UBSan with label asan); what the analysis says about
 * garbage does not matter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "common/trace_reader.h"
#include "tests/tools/swgen.h"

/* Every kind of event the stats look at: contention with blame, a
 * starving waiter, a writer behind readers, a binary semaphore posted by
 * another thread, timed condvar waits, a wait open at the end. */
static const char scenario[] =
    "header pid=100 run=1 exe=/usr/bin/python3\n"
    "lock R kind=rwlock type=prefer-reader ; lock S kind=sem value=1 ; lock C kind=cond\n"
    "T2 acquire A site=hold @1ms ; T3 wait A site=w @2ms ; T2 release A site=hold @20ms\n"
    "T3 acquire A contended site=w @20ms ; T3 release A site=w @21ms\n"
    "T2 acquire R read @22ms ; T4 wait R write @23ms ; T3 acquire R read @24ms\n"
    "T2 release R @25ms ; T3 release R @26ms ; T4 acquire R write contended @26ms\n"
    "T4 release R @27ms\n"
    "T2 acquire S @28ms ; T3 wait S @29ms ; T4 post S @30ms ; T3 acquire S @30ms ; T3 post S\n"
    "T2 acquire A @31ms ; T2 release A cond @31ms ; T2 cond-wait C A @31ms\n"
    "T3 acquire A @32ms ; T3 release A cond @32ms ; T3 cond-wait C A @32ms\n"
    "T2 cond-wake C A err=ETIMEDOUT @37ms ; T2 acquire A cond @37ms ; T2 release A @38ms\n"
    "T3 cond-wake C A err=ETIMEDOUT @38ms ; T3 acquire A cond @38ms ; T3 release A @39ms\n"
    "T2 acquire A @40ms ; T3 wait A @41ms\n";

static void analyze(const uint8_t *data, size_t len)
{
    char err[512];
    struct swt_trace *t = swt_open_buffer(data, len, "robust", err, sizeof(err));
    if (!t)
        return;
    struct report_opts o;
    report_opts_init(&o);
    o.symbols = false;
    o.top = 10;
    o.wait_threshold_ns = 1000000;
    o.hold_threshold_ns = 1000000;
    o.starve_count = 1;
    struct model_opts mo;
    memset(&mo, 0, sizeof(mo));
    mo.derive_edges = true;
    struct analysis a;
    analysis_run(&a, &t, 1, &o, &mo, err, sizeof(err));
    analysis_free(&a);
    swt_close(t);
}

static uint8_t *compile(size_t *len)
{
    uint8_t *buf;
    char err[512];
    if (swgen_compile(scenario, "robust", &buf, len, err, sizeof(err)) != 0)
        fail_msg("swgen: %s", err);
    return buf;
}

static void test_intact(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = compile(&len);
    analyze(buf, len);
    free(buf);
}

static void test_every_truncation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = compile(&len);
    /* Every length through the header and the first chunks, then a stride:
     * the records live in the first few chunks, the rest is padding. */
    for (size_t n = 0; n <= len; n += n < 4096 + 3 * 4096 ? 1 : 61) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        analyze(copy, n);
        free(copy);
    }
    free(buf);
}

static void test_random_mutations(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = compile(&len);
    uint8_t *copy = malloc(len);
    uint64_t x = 0x9e3779b97f4a7c15ull; /* xorshift: the same mutations every run */
    for (unsigned round = 0; round < 1500; round++) {
        memcpy(copy, buf, len);
        unsigned flips = 1 + round % 8;
        for (unsigned k = 0; k < flips; k++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly inside the header and the first chunks, where the
             * records are */
            size_t limit = len < 4096 * 6 ? len : 4096 * 6;
            size_t at = (size_t)(x % limit);
            copy[at] ^= (uint8_t)(x >> 32 | 1);
        }
        analyze(copy, len);
    }
    free(copy);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_random_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
