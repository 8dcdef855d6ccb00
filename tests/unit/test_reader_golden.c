/* The golden traces of tests/data (made by swgen at build time) through
 * swt_open, the path the analyzer takes: the good ones read whole, the
 * damaged ones give the warning or the error docs/trace-format.md promises,
 * with the file name and offset in the message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_reader.h"

static const char *path_of(const char *name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s.swt", SW_TEST_DATA_DIR, name);
    return path;
}

struct readout {
    uint64_t records, edges;
    int corrupt;
    size_t warnings;
    char warning[256];
};

static void read_all(const char *name, struct readout *out)
{
    char err[SWT_ERR_LEN];
    memset(out, 0, sizeof *out);
    struct swt_trace *t = swt_open(path_of(name), err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    struct swt_merge *m = swt_merge_new(t);
    assert_non_null(m);
    struct swt_rec r = {0};
    int rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1) {
        out->records++;
        out->edges += r.type == SWT_REC_EDGE;
    }
    out->corrupt = rc < 0;
    swt_merge_free(m);
    out->warnings = swt_warning_count(t);
    if (out->warnings)
        snprintf(out->warning, sizeof out->warning, "%s", swt_warning_at(t, 0)->text);
    swt_close(t);
}

static void expect_error(const char *name, const char *what)
{
    char err[SWT_ERR_LEN] = "";
    struct swt_trace *t = swt_open(path_of(name), err, sizeof err);
    assert_null(t);
    if (!strstr(err, path_of(name)) || !strstr(err, what))
        fail_msg("%s: message '%s' lacks the path or '%s'", name, err, what);
}

static void test_abba_and_clean(void **state)
{
    (void)state;
    struct readout a, c;
    read_all("abba", &a);
    read_all("clean", &c);
    assert_false(a.corrupt);
    assert_int_equal(a.warnings, 0);
    assert_int_equal(a.edges, 2); /* A->B in T2, B->A in T3 */
    assert_false(c.corrupt);
    assert_int_equal(c.edges, 2); /* A->B, once per thread */
}

static void test_torn_tail_is_a_warning(void **state)
{
    (void)state;
    struct readout r;
    read_all("torn", &r);
    assert_false(r.corrupt);
    assert_int_equal(r.edges, 2);
    assert_non_null(strstr(r.warning, "torn tail"));
}

static void test_truncated_is_a_warning(void **state)
{
    (void)state;
    struct readout r;
    read_all("truncated", &r);
    assert_false(r.corrupt);
    assert_int_equal(r.edges, 1);
    assert_non_null(strstr(r.warning, "truncated"));
}

static void test_bad_files_are_errors(void **state)
{
    (void)state;
    expect_error("empty", "empty file");
    expect_error("bad_magic", "bad magic");
    expect_error("header_cut", "truncated");
    expect_error("wrong_major", "version 2.0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abba_and_clean),
        cmocka_unit_test(test_torn_tail_is_a_warning),
        cmocka_unit_test(test_truncated_is_a_warning),
        cmocka_unit_test(test_bad_files_are_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
