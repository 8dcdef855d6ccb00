/* The C11 <threads.h> hooks under the shim: mtx_* and cnd_* are recorded
 * with their own kinds and SWT_ACQ_C11 (glibc does not route them through
 * pthread_mutex_lock); thrd_* results come back untouched and failures are
 * recorded as errno values; the condvar wait protocol holds for cnd_*. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static mtx_t m_plain;
static mtx_t m_rec;
static cnd_t cv;
static cnd_t cv_cancel;
static int ready;
static volatile pid_t helper_tid;

static int try_busy(void *arg)
{
    (void)arg;
    return mtx_trylock(&m_plain) == thrd_busy;
}

static int lock_blocking(void *arg)
{
    (void)arg;
    helper_tid = gettid();
    if (mtx_lock(&m_plain) != thrd_success)
        return 0;
    return mtx_unlock(&m_plain) == thrd_success;
}

static int timed_out(void *arg)
{
    (void)arg;
    struct timespec past;
    timespec_get(&past, TIME_UTC);
    past.tv_sec -= 1;
    return mtx_timedlock(&m_rec, &past) == thrd_timedout;
}

static int signaller(void *arg)
{
    (void)arg;
    mtx_lock(&m_plain);
    ready = 1;
    cnd_signal(&cv);
    mtx_unlock(&m_plain);
    return 1;
}

static void unlock_plain(void *arg)
{
    (void)arg;
    mtx_unlock(&m_plain);
}

/* Waits until cancelled; its cleanup handler unlocks the re-acquired mutex. */
static int wait_forever(void *arg)
{
    (void)arg;
    mtx_lock(&m_plain);
    helper_tid = gettid();
    pthread_cleanup_push(unlock_plain, NULL);
    for (;;)
        cnd_wait(&cv_cancel, &m_plain);
    pthread_cleanup_pop(1);
    return 0;
}

static int run_thread(thrd_start_t fn)
{
    thrd_t th;
    int ok = 0;
    if (thrd_create(&th, fn, NULL) != thrd_success)
        return 0;
    thrd_join(th, &ok);
    return ok;
}

static int workload_c11(void)
{
    HK_CHECK(mtx_init(&m_plain, mtx_plain) == thrd_success);
    HK_CHECK(mtx_init(&m_rec, mtx_timed | mtx_recursive) == thrd_success);
    HK_CHECK(cnd_init(&cv) == thrd_success);
    printf("m_plain=%p\nm_rec=%p\ncv=%p\n", (void *)&m_plain, (void *)&m_rec, (void *)&cv);

    errno = 555;
    HK_CHECK(mtx_lock(&m_plain) == thrd_success);
    HK_CHECK(mtx_unlock(&m_plain) == thrd_success);
    HK_CHECK(mtx_trylock(&m_plain) == thrd_success);
    HK_CHECK(run_thread(try_busy));

    /* Contended: the helper blocks until main unlocks. */
    thrd_t th;
    int ok = 0;
    HK_CHECK(thrd_create(&th, lock_blocking, NULL) == thrd_success);
    while (helper_tid == 0)
        usleep(1000);
    hk_wait_blocked(helper_tid);
    HK_CHECK(mtx_unlock(&m_plain) == thrd_success);
    thrd_join(th, &ok);
    HK_CHECK(ok);

    /* Recursive re-lock, and a timed lock that times out behind it. */
    HK_CHECK(mtx_lock(&m_rec) == thrd_success);
    HK_CHECK(mtx_lock(&m_rec) == thrd_success);
    HK_CHECK(run_thread(timed_out));
    HK_CHECK(mtx_unlock(&m_rec) == thrd_success);
    HK_CHECK(mtx_unlock(&m_rec) == thrd_success);

    /* cnd: a signalled wait, a timeout, and glibc's early thrd_error. */
    HK_CHECK(mtx_lock(&m_plain) == thrd_success);
    HK_CHECK(thrd_create(&th, signaller, NULL) == thrd_success);
    while (!ready)
        HK_CHECK(cnd_wait(&cv, &m_plain) == thrd_success);
    thrd_join(th, NULL);
    struct timespec past;
    timespec_get(&past, TIME_UTC);
    past.tv_sec -= 1;
    HK_CHECK(cnd_timedwait(&cv, &m_plain, &past) == thrd_timedout);
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000L};
    HK_CHECK(cnd_timedwait(&cv, &m_plain, &bad) == thrd_error);
    HK_CHECK(cnd_broadcast(&cv) == thrd_success);
    HK_CHECK(mtx_unlock(&m_plain) == thrd_success);
    HK_CHECK(errno == 555);

    /* cnd_wait is a cancellation point (a thrd_t is a pthread_t in glibc). */
    HK_CHECK(cnd_init(&cv_cancel) == thrd_success);
    printf("cv_cancel=%p\n", (void *)&cv_cancel);
    helper_tid = 0;
    HK_CHECK(thrd_create(&th, wait_forever, NULL) == thrd_success);
    while (helper_tid == 0)
        usleep(1000);
    hk_wait_blocked(helper_tid);
    HK_CHECK(pthread_cancel((pthread_t)th) == 0);
    void *res = NULL;
    HK_CHECK(pthread_join((pthread_t)th, &res) == 0);
    HK_CHECK(res == PTHREAD_CANCELED);
    HK_CHECK(mtx_trylock(&m_plain) == thrd_success);
    HK_CHECK(mtx_unlock(&m_plain) == thrd_success);

    cnd_destroy(&cv);
    mtx_destroy(&m_plain);
    mtx_destroy(&m_rec);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"c11", workload_c11},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static uint32_t plain_id, rec_id, cv_id;

static void look_up(void)
{
    plain_id = hk_id("m_plain");
    rec_id = hk_id("m_rec");
    cv_id = hk_id("cv");
}

static void test_lock_new_kinds(void **state)
{
    (void)state;
    const struct swt_rec *p = hk_new("m_plain");
    const struct swt_rec *r = hk_new("m_rec");
    const struct swt_rec *c = hk_new("cv");
    assert_non_null(p);
    assert_non_null(r);
    assert_non_null(c);
    assert_int_equal(p->f[1], SWT_KIND_C11_MTX);
    assert_int_equal(p->f[2], SWT_TYPE_DEFAULT);
    assert_int_equal(r->f[1], SWT_KIND_C11_MTX);
    assert_int_equal(r->f[2], SWT_TYPE_RECURSIVE);
    assert_int_equal(c->f[1], SWT_KIND_C11_CND);
    /* One identity per object: nothing registered them as pthread mutexes. */
    assert_null(hk_lock_new(&hk_group, hk_addr(&hk_group, "m_plain"), 1));
}

static void test_every_acquisition_is_c11(void **state)
{
    (void)state;
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, plain_id, 0, SWT_ACQ_C11), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_RELEASE, plain_id, 0, SWT_ACQ_C11), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, plain_id, SWT_ACQ_TRY, 0), 2);
}

static void test_try_busy_and_contended(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, plain_id, SWT_ACQ_TRY, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EBUSY);
    pos = 0;
    const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, plain_id, SWT_ACQ_C11, 0);
    assert_non_null(w);
    assert_non_null(hk_next(&hk_group, &pos, w->thread, SWT_REC_ACQUIRE, plain_id,
                            SWT_ACQ_C11 | SWT_ACQ_CONTENDED, 0));
}

static void test_timed_lock_times_out(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *f =
        hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, rec_id, SWT_ACQ_C11 | SWT_ACQ_TIMED, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], ETIMEDOUT);
    /* Main's two acquisitions of the recursive mutex are both recorded. */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, rec_id, SWT_ACQ_C11, 0), 2);
}

static void test_cnd_wait_protocol(void **state)
{
    (void)state;
    size_t waits = hk_check_cond_waits(&hk_group, cv_id, SWT_ACQ_C11, (uint64_t)-1);
    assert_true(waits >= 2);
    assert_int_equal(hk_count_wakes(&hk_group, cv_id, ETIMEDOUT), 1);
    assert_int_equal(hk_count_wakes(&hk_group, cv_id, EINVAL), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_COND_SIGNAL, cv_id, SWT_ACQ_C11 | SWT_ACQ_BROADCAST,
                              0),
                     1);
}

static void test_cancelled_cnd_wait_reacquires(void **state)
{
    (void)state;
    uint32_t cv_cancel = hk_id("cv_cancel");
    assert_int_equal(hk_check_cond_waits(&hk_group, cv_cancel, SWT_ACQ_C11, (uint64_t)-1), 1);
    assert_int_equal(hk_count_wakes(&hk_group, cv_cancel, ECANCELED), 1);
    size_t pos = 0;
    const struct swt_rec *a = hk_next(&hk_group, &pos, 0, SWT_REC_ACQUIRE, plain_id,
                                      SWT_ACQ_COND | SWT_ACQ_CANCELED | SWT_ACQ_C11, 0);
    assert_non_null(a);
    assert_non_null(hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, plain_id, SWT_ACQ_C11, 0));
}

static void test_destroy(void **state)
{
    (void)state;
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, plain_id, 0, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, rec_id, 0, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, cv_id, 0, 0), 1);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new_kinds),
        cmocka_unit_test(test_every_acquisition_is_c11),
        cmocka_unit_test(test_try_busy_and_contended),
        cmocka_unit_test(test_timed_lock_times_out),
        cmocka_unit_test(test_cnd_wait_protocol),
        cmocka_unit_test(test_cancelled_cnd_wait_reacquires),
        cmocka_unit_test(test_destroy),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "c11",
        .loaded = look_up,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
