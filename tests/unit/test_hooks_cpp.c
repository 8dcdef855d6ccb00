/* A C++ program under the shim (hooks_prog_cpp.cpp): std::mutex,
 * std::timed_mutex::try_lock_for, std::shared_mutex and
 * std::condition_variable::wait_for all show up as the pthread records they
 * are made of (architecture.md fact 4). */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/unit/hooks_harness.h"

#ifndef HK_CPP_PROG
#error "HK_CPP_PROG (path of hooks_prog_cpp) must be defined by the build"
#endif

static void test_std_mutex(void **state)
{
    (void)state;
    uint32_t m = hk_id("m");
    size_t pos = 0;
    const struct swt_rec *a = hk_next(&hk_group, &pos, 0, SWT_REC_ACQUIRE, m, 0, 0);
    assert_non_null(a);
    assert_non_null(hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, m, 0, 0));
}

static void test_timed_mutex_try_lock_for_times_out(void **state)
{
    (void)state;
    uint32_t tm = hk_id("tm");
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, tm, SWT_ACQ_TIMED, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], ETIMEDOUT);
}

static void test_shared_mutex_is_an_rwlock(void **state)
{
    (void)state;
    const struct swt_rec *l = hk_new("sm");
    assert_non_null(l);
    assert_int_equal(l->f[1], SWT_KIND_RWLOCK);
    uint32_t sm = (uint32_t)l->f[0];
    size_t pos = 0;
    const struct swt_rec *a = hk_next(&hk_group, &pos, 0, SWT_REC_ACQUIRE, sm, SWT_ACQ_READ, 0);
    assert_non_null(a);
    assert_non_null(hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, sm, SWT_ACQ_READ, 0));
    assert_non_null(hk_next(&hk_group, &pos, a->thread, SWT_REC_ACQUIRE, sm, SWT_ACQ_WRITE, 0));
    assert_non_null(hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, sm, SWT_ACQ_WRITE, 0));
}

static void test_condition_variable_wait_for(void **state)
{
    (void)state;
    uint32_t cv = hk_id("cv");
    uint32_t cvm = hk_id("cvm");
    assert_true(hk_check_cond_waits(&hk_group, cv, SWT_ACQ_TIMED, (uint64_t)-1) >= 1);
    assert_true(hk_count_wakes(&hk_group, cv, ETIMEDOUT) >= 1);
    size_t pos = 0;
    const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_COND_WAIT, cv, 0, 0);
    assert_non_null(w);
    assert_int_equal(w->f[1], cvm);
}

int main(int argc, char **argv)
{
    static char *argv_run[] = {HK_CPP_PROG, NULL};
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_std_mutex),
        cmocka_unit_test(test_timed_mutex_try_lock_for_times_out),
        cmocka_unit_test(test_shared_mutex_is_an_rwlock),
        cmocka_unit_test(test_condition_variable_wait_for),
    };
    const struct hk_suite suite = {
        .argv = argv_run,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
