/* The rwlock hooks under the shim: LOCK_NEW with the preference, read and
 * write holds and which one an unlock drops, try failures, a contended
 * acquisition (WAIT before ACQUIRE), timeouts, glibc's EINVAL for a bad
 * clock even when the lock is free, destroy. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static pthread_rwlock_t rw_def;
static pthread_rwlock_t rw_pref;
static pthread_rwlock_t rw_static = PTHREAD_RWLOCK_INITIALIZER;
static pthread_rwlock_t rw_static_wr = PTHREAD_RWLOCK_WRITER_NONRECURSIVE_INITIALIZER_NP;
static volatile pid_t helper_tid;

static void *try_both(void *arg)
{
    (void)arg;
    int a = pthread_rwlock_tryrdlock(&rw_def);
    int b = pthread_rwlock_trywrlock(&rw_def);
    return (void *)(intptr_t)(a == EBUSY && b == EBUSY);
}

static void *read_blocking(void *arg)
{
    (void)arg;
    helper_tid = gettid();
    if (pthread_rwlock_rdlock(&rw_def) != 0)
        return (void *)0;
    pthread_rwlock_unlock(&rw_def);
    return (void *)1;
}

static void *write_timeout(void *arg)
{
    (void)arg;
    struct timespec past;
    clock_gettime(CLOCK_REALTIME, &past);
    past.tv_sec -= 1;
    return (void *)(intptr_t)(pthread_rwlock_timedwrlock(&rw_def, &past) == ETIMEDOUT);
}

static int run_thread(void *(*fn)(void *))
{
    pthread_t th;
    void *ok = NULL;
    if (pthread_create(&th, NULL, fn, NULL) != 0)
        return 0;
    pthread_join(th, &ok);
    return ok != NULL;
}

static int workload_rwlock(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    HK_CHECK(pthread_rwlock_init(&rw_pref, &attr) == 0);
    pthread_rwlockattr_destroy(&attr);
    HK_CHECK(pthread_rwlock_init(&rw_def, NULL) == 0);
    printf("rw_def=%p\nrw_pref=%p\nrw_static=%p\nrw_static_wr=%p\n", (void *)&rw_def,
           (void *)&rw_pref, (void *)&rw_static, (void *)&rw_static_wr);

    /* Phase 1: read then write hold; the unlocks must say which. */
    errno = 4242;
    HK_CHECK(pthread_rwlock_rdlock(&rw_def) == 0);
    HK_CHECK(pthread_rwlock_unlock(&rw_def) == 0);
    HK_CHECK(pthread_rwlock_wrlock(&rw_def) == 0);
    HK_CHECK(pthread_rwlock_unlock(&rw_def) == 0);
    HK_CHECK(errno == 4242);

    /* Phase 2: try variants against a write hold fail with EBUSY. */
    HK_CHECK(pthread_rwlock_wrlock(&rw_def) == 0);
    HK_CHECK(run_thread(try_both));

    /* Phase 3: a reader blocks behind the write hold. */
    pthread_t th;
    void *ok = NULL;
    helper_tid = 0;
    HK_CHECK(pthread_create(&th, NULL, read_blocking, NULL) == 0);
    while (helper_tid == 0)
        usleep(1000);
    hk_wait_blocked(helper_tid);
    HK_CHECK(pthread_rwlock_unlock(&rw_def) == 0);
    pthread_join(th, &ok);
    HK_CHECK(ok != NULL);

    /* Phase 4: a timed write lock times out behind a read hold. */
    HK_CHECK(pthread_rwlock_rdlock(&rw_def) == 0);
    HK_CHECK(run_thread(write_timeout));
    HK_CHECK(pthread_rwlock_unlock(&rw_def) == 0);

    /* Phase 5: timed/clock variants on a free lock; a bad clock is EINVAL
     * even though the lock is free. */
    struct timespec future;
    clock_gettime(CLOCK_MONOTONIC, &future);
    future.tv_sec += 10;
    HK_CHECK(pthread_rwlock_clockrdlock(&rw_pref, CLOCK_MONOTONIC, &future) == 0);
    HK_CHECK(pthread_rwlock_unlock(&rw_pref) == 0);
    HK_CHECK(pthread_rwlock_clockrdlock(&rw_pref, CLOCK_PROCESS_CPUTIME_ID, &future) == EINVAL);
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 2000000000L};
    HK_CHECK(pthread_rwlock_timedwrlock(&rw_pref, &bad) == EINVAL);
    HK_CHECK(pthread_rwlock_trywrlock(&rw_pref) == 0); /* still free */
    HK_CHECK(pthread_rwlock_unlock(&rw_pref) == 0);

    /* Phase 6: a statically initialised rwlock, then destroy. */
    HK_CHECK(pthread_rwlock_wrlock(&rw_static) == 0);
    HK_CHECK(pthread_rwlock_unlock(&rw_static) == 0);
    HK_CHECK(pthread_rwlock_rdlock(&rw_static_wr) == 0);
    HK_CHECK(pthread_rwlock_unlock(&rw_static_wr) == 0);
    HK_CHECK(pthread_rwlock_destroy(&rw_def) == 0);
    HK_CHECK(pthread_rwlock_destroy(&rw_pref) == 0);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"rwlock", workload_rwlock},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static void test_lock_new_kind_and_preference(void **state)
{
    (void)state;
    const struct swt_rec *def = hk_new("rw_def");
    const struct swt_rec *pref = hk_new("rw_pref");
    assert_non_null(def);
    assert_non_null(pref);
    assert_int_equal(def->f[1], SWT_KIND_RWLOCK);
    assert_int_equal(def->f[2], SWT_TYPE_RW_PREFER_READER);
    assert_int_equal(pref->f[1], SWT_KIND_RWLOCK);
    assert_int_equal(pref->f[2], SWT_TYPE_RW_PREFER_WRITER_NONREC);
    assert_int_equal(def->f[3] & (SWT_LOCK_FAILED_INIT | SWT_LOCK_PSHARED), 0);
    assert_true(pref->f[3] & SWT_LOCK_PSHARED);
    /* Statically initialised: registered on first sight, with the
     * preference the recorder reads from the object. */
    const struct swt_rec *st = hk_new("rw_static");
    assert_non_null(st);
    assert_true(st->f[3] & SWT_LOCK_STATIC);
    assert_int_equal(st->f[2], SWT_TYPE_RW_PREFER_READER);
    const struct swt_rec *sw = hk_new("rw_static_wr");
    assert_non_null(sw);
    assert_true(sw->f[3] & SWT_LOCK_STATIC);
    assert_int_equal(sw->f[2], SWT_TYPE_RW_PREFER_WRITER_NONREC);
}

static void test_unlock_says_read_or_write(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_def")->f[0];
    size_t pos = 0;
    const struct swt_rec *a = hk_next(&hk_group, &pos, 0, SWT_REC_ACQUIRE, rw, SWT_ACQ_READ,
                                      SWT_ACQ_WRITE | SWT_ACQ_TRY | SWT_ACQ_CONTENDED);
    assert_non_null(a);
    const struct swt_rec *r1 =
        hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, rw, SWT_ACQ_READ, SWT_ACQ_WRITE);
    assert_non_null(r1);
    const struct swt_rec *w = hk_next(&hk_group, &pos, a->thread, SWT_REC_ACQUIRE, rw, SWT_ACQ_WRITE,
                                      SWT_ACQ_READ);
    assert_non_null(w);
    const struct swt_rec *r2 =
        hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, rw, SWT_ACQ_WRITE, SWT_ACQ_READ);
    assert_non_null(r2);
}

static void test_try_failures_are_busy(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_def")->f[0];
    size_t pos = 0;
    const struct swt_rec *f =
        hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, rw, SWT_ACQ_READ | SWT_ACQ_TRY, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EBUSY);
    f = hk_next(&hk_group, &pos, f->thread, SWT_REC_FAIL, rw, SWT_ACQ_WRITE | SWT_ACQ_TRY, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EBUSY);
}

static void test_contended_read_waits_then_acquires(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_def")->f[0];
    size_t pos = 0;
    const struct swt_rec *wt =
        hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, rw, SWT_ACQ_READ, SWT_ACQ_TIMED);
    assert_non_null(wt);
    const struct swt_rec *acq = hk_next(&hk_group, &pos, wt->thread, SWT_REC_ACQUIRE, rw,
                                        SWT_ACQ_READ | SWT_ACQ_CONTENDED, 0);
    assert_non_null(acq);
    assert_true(acq->ns >= wt->ns);
    assert_non_null(hk_next(&hk_group, &pos, wt->thread, SWT_REC_RELEASE, rw, SWT_ACQ_READ, 0));
    /* The writer's release that let the reader in was stamped before the
     * real unlock: it is between the reader's WAIT and its ACQUIRE. */
    int handed_over = 0;
    for (size_t i = 0; i < hk_group.nrecs; i++) {
        const struct swt_rec *r = &hk_group.recs[i];
        if (r->type == SWT_REC_RELEASE && r->f[0] == rw && r->thread != wt->thread &&
            (r->f[1] & SWT_ACQ_WRITE) && r->ns >= wt->ns && r->ns <= acq->ns)
            handed_over = 1;
    }
    assert_true(handed_over);
}

static void test_timed_write_times_out(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_def")->f[0];
    size_t pos = 0;
    const struct swt_rec *wt =
        hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, rw, SWT_ACQ_WRITE | SWT_ACQ_TIMED, 0);
    assert_non_null(wt);
    const struct swt_rec *f =
        hk_next(&hk_group, &pos, wt->thread, SWT_REC_FAIL, rw, SWT_ACQ_WRITE | SWT_ACQ_TIMED, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], ETIMEDOUT);
    assert_int_equal(hk_count(&hk_group, wt->thread, SWT_REC_ACQUIRE, rw, SWT_ACQ_WRITE, 0), 0);
}

static void test_bad_clock_is_einval_without_acquire(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_pref")->f[0];
    /* clockrdlock on a free lock: one success, one EINVAL; timedwrlock with a
     * bad deadline: EINVAL; then the trywrlock succeeds. */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, rw, SWT_ACQ_READ | SWT_ACQ_TIMED, 0), 1);
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, rw, SWT_ACQ_READ, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EINVAL);
    f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, rw, SWT_ACQ_WRITE | SWT_ACQ_TIMED, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EINVAL);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_WAIT, rw, 0, 0), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, rw, SWT_ACQ_WRITE | SWT_ACQ_TRY, 0), 1);
}

static void test_destroy_recorded(void **state)
{
    (void)state;
    uint32_t rw = (uint32_t)hk_new("rw_def")->f[0];
    size_t pos = 0;
    const struct swt_rec *d = hk_next(&hk_group, &pos, 0, SWT_REC_DESTROY, rw, 0, 0);
    assert_non_null(d);
    assert_int_equal(d->f[2], 0);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new_kind_and_preference),
        cmocka_unit_test(test_unlock_says_read_or_write),
        cmocka_unit_test(test_try_failures_are_busy),
        cmocka_unit_test(test_contended_read_waits_then_acquires),
        cmocka_unit_test(test_timed_write_times_out),
        cmocka_unit_test(test_bad_clock_is_einval_without_acquire),
        cmocka_unit_test(test_destroy_recorded),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "rwlock",
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
