/* The whole analysis (model, detectors, names, both renderers) over
 * thousands of deterministic random mutations of small valid traces: the
 * reader accepts many damaged files (a changed id or flag is still a valid
 * record), and nothing after it may crash, hang or leak on them.  Run under
 * ASan+UBSan by the `asan` label. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/render.h"
#include "analyzer/report_opts.h"
#include "common/trace_reader.h"
#include "tests/tools/swgen.h"

static const char *const bases[] = {
    "header run=7\nT2 start parent=T1 ; T1 create T2\nT3 start parent=T1 ; T1 create T3\n"
    "lock R kind=rwlock\nlock S kind=sem value=1\n"
    "T2 acquire A ; T2 acquire B ; T2 acquire R read ; T2 release R ; T2 release B ; T2 release A\n"
    "T3 acquire B ; T3 acquire A try ; T3 release A ; T3 wait A ; T3 acquire S ; T3 post S value=2\n"
    "T2 acquire M ; T2 release M cond ; T2 cond-wait C M ; T3 signal C ; T2 cond-wake C M\n"
    "T2 acquire M cond ; T2 release M ; T2 exit ; T1 join T2 ; T1 destroy A ; T1 fork child=9\n"
    "thread-state T3 held=B waiting=A\n",
    "header run=7 mode=profile\nT2 start parent=T1\nT2 acquire A ; T2 acquire B ; T2 release B\n"
    "T2 exit\nT1 acquire B ; T1 acquire A\nstat T1 A acq=5 cont=2 wait-total=100\n",
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static unsigned analyzed, opened;

static void analyze_buffer(const uint8_t *buf, size_t len, FILE *sink)
{
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open_buffer(buf, len, "mutant", err, sizeof err);
    if (!t)
        return;
    opened++;
    struct report_opts o;
    report_opts_init(&o);
    o.symbols = false;
    o.verbose = true;
    struct analysis a;
    if (analysis_run(&a, &t, 1, &o, NULL, err, sizeof err) == 0) {
        analyzed++;
        struct render_input ri = {.m = &a.m, .fs = &a.fs, .names = a.names, .o = &o};
        render_text(sink, &ri);
        render_json(sink, &ri);
    }
    analysis_free(&a);
    swt_close(t);
}

static void test_mutations(void **state)
{
    (void)state;
    FILE *sink = fopen("/dev/null", "w");
    assert_non_null(sink);
    for (size_t b = 0; b < sizeof bases / sizeof bases[0]; b++) {
        uint8_t *buf;
        size_t len;
        char err[512];
        if (swgen_compile(bases[b], "base", &buf, &len, err, sizeof err) != 0)
            fail_msg("swgen: %s", err);
        analyze_buffer(buf, len, sink);
        uint8_t *copy = malloc(len);
        assert_non_null(copy);
        for (int i = 0; i < 4000; i++) {
            memcpy(copy, buf, len);
            int flips = 1 + (int)(next_rand() % 4);
            for (int k = 0; k < flips; k++) {
                /* mostly the records; sometimes the header */
                size_t off = next_rand() % 8
                                 ? SWT_HEADER_REGION + next_rand() % (len - SWT_HEADER_REGION)
                                 : next_rand() % SWT_HEADER_REGION;
                copy[off] = (uint8_t)next_rand();
            }
            analyze_buffer(copy, len, sink);
        }
        free(copy);
        free(buf);
    }
    fclose(sink);
    print_message("%u mutants opened, %u analyzed to the end\n", opened, analyzed);
    assert_true(analyzed > 1000); /* the test must reach the analysis */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
