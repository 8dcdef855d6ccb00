/* The condvar hooks under the shim: around every wait the mutex is
 * released (RELEASE COND) before COND_WAIT and re-acquired (ACQUIRE COND)
 * after COND_WAKE, also on ETIMEDOUT and on cancellation; glibc's early
 * EINVAL and EPERM leave the mutex alone and record no re-acquisition;
 * signal and broadcast; errno untouched. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static pthread_cond_t cv;
static pthread_cond_t cv_perm;
static pthread_cond_t cv_cancel;
static pthread_mutex_t mu;
static pthread_mutex_t mu_check;
static int ready;
static volatile pid_t waiter_tid;

static void *signaller(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void unlock_mu(void *arg)
{
    pthread_mutex_unlock(arg);
}

static void *wait_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    waiter_tid = gettid();
    pthread_cleanup_push(unlock_mu, &mu);
    for (;;)
        pthread_cond_wait(&cv_cancel, &mu);
    pthread_cleanup_pop(1);
    return NULL;
}

static int workload_cond(void)
{
    HK_CHECK(pthread_cond_init(&cv, NULL) == 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    HK_CHECK(pthread_cond_init(&cv_perm, &ca) == 0);
    pthread_condattr_destroy(&ca);
    HK_CHECK(pthread_cond_init(&cv_cancel, NULL) == 0);
    HK_CHECK(pthread_mutex_init(&mu, NULL) == 0);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK);
    HK_CHECK(pthread_mutex_init(&mu_check, &ma) == 0);
    pthread_mutexattr_destroy(&ma);
    printf("cv=%p\ncv_perm=%p\ncv_cancel=%p\nmu=%p\nmu_check=%p\n", (void *)&cv,
           (void *)&cv_perm, (void *)&cv_cancel, (void *)&mu, (void *)&mu_check);

    /* Phase 1: a wait woken by a signal (main holds mu until it waits, so
     * it waits at least once). */
    HK_CHECK(pthread_mutex_lock(&mu) == 0);
    pthread_t th;
    HK_CHECK(pthread_create(&th, NULL, signaller, NULL) == 0);
    errno = 31337;
    while (!ready)
        HK_CHECK(pthread_cond_wait(&cv, &mu) == 0);
    HK_CHECK(errno == 31337);
    pthread_join(th, NULL);

    /* Phase 2: timeouts on both clocks; the mutex is held again after. */
    struct timespec past;
    clock_gettime(CLOCK_REALTIME, &past);
    past.tv_sec -= 1;
    HK_CHECK(pthread_cond_timedwait(&cv, &mu, &past) == ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &past);
    past.tv_sec -= 1;
    HK_CHECK(pthread_cond_clockwait(&cv, &mu, CLOCK_MONOTONIC, &past) == ETIMEDOUT);
    HK_CHECK(errno == 31337);

    /* Phase 3: rejected before the mutex is touched. */
    struct timespec bad = {.tv_sec = 0, .tv_nsec = -5};
    HK_CHECK(pthread_cond_timedwait(&cv, &mu, &bad) == EINVAL);
    HK_CHECK(pthread_cond_clockwait(&cv, &mu, CLOCK_PROCESS_CPUTIME_ID, &past) == EINVAL);
    HK_CHECK(pthread_mutex_trylock(&mu) == EBUSY); /* still held, by main */
    HK_CHECK(pthread_cond_broadcast(&cv) == 0);
    HK_CHECK(pthread_mutex_unlock(&mu) == 0);

    /* Phase 4: an errorcheck mutex the caller does not hold: EPERM, no wait. */
    HK_CHECK(pthread_cond_wait(&cv_perm, &mu_check) == EPERM);

    /* Phase 5: a waiter cancelled inside the wait re-acquires the mutex;
     * its own cleanup handler unlocks it. */
    HK_CHECK(pthread_create(&th, NULL, wait_forever, NULL) == 0);
    while (waiter_tid == 0)
        usleep(1000);
    hk_wait_blocked(waiter_tid);
    HK_CHECK(pthread_cancel(th) == 0);
    void *res = NULL;
    pthread_join(th, &res);
    HK_CHECK(res == PTHREAD_CANCELED);
    HK_CHECK(pthread_mutex_trylock(&mu) == 0);
    HK_CHECK(pthread_mutex_unlock(&mu) == 0);

    HK_CHECK(pthread_cond_destroy(&cv) == 0);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"cond", workload_cond},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static uint32_t cv_id, mu_id;

static void look_up(void)
{
    cv_id = hk_id("cv");
    mu_id = hk_id("mu");
}

static void test_lock_new(void **state)
{
    (void)state;
    const struct swt_rec *l = hk_new("cv");
    assert_non_null(l);
    assert_int_equal(l->f[1], SWT_KIND_COND);
    assert_int_equal(l->f[3] & SWT_LOCK_PSHARED, 0);
    const struct swt_rec *ps = hk_new("cv_perm");
    assert_non_null(ps);
    assert_true(ps->f[3] & SWT_LOCK_PSHARED);
}

static void test_wait_protocol_for_every_return(void **state)
{
    (void)state;
    /* Plain waits (at least one), then the two timeouts; no EPERM here. */
    size_t waits = hk_check_cond_waits(&hk_group, cv_id, 0, (uint64_t)-1);
    assert_true(waits >= 3);
    assert_int_equal(hk_count_wakes(&hk_group, cv_id, ETIMEDOUT), 2);
    assert_true(hk_count_wakes(&hk_group, cv_id, 0) >= 1);
    /* Every wait is on mu. */
    size_t pos = 0;
    const struct swt_rec *w;
    while ((w = hk_next(&hk_group, &pos, 0, SWT_REC_COND_WAIT, cv_id, 0, 0)) != NULL)
        assert_int_equal(w->f[1], mu_id);
}

static void test_timed_waits_are_flagged(void **state)
{
    (void)state;
    assert_int_equal(
        hk_count(&hk_group, 0, SWT_REC_RELEASE, mu_id, SWT_ACQ_COND | SWT_ACQ_TIMED, 0), 2);
    assert_int_equal(
        hk_count(&hk_group, 0, SWT_REC_ACQUIRE, mu_id, SWT_ACQ_COND | SWT_ACQ_TIMED, 0), 2);
}

static void test_einval_records_no_wait(void **state)
{
    (void)state;
    assert_int_equal(hk_count_wakes(&hk_group, cv_id, EINVAL), 0);
    /* Waits recorded = plain + 2 timeouts; the EINVAL calls added none. */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_COND_WAIT, cv_id, 0, 0),
                     hk_count(&hk_group, 0, SWT_REC_COND_WAKE, cv_id, 0, 0));
}

static void test_eperm_is_not_a_reacquisition(void **state)
{
    (void)state;
    uint32_t cv_perm = hk_id("cv_perm");
    uint32_t mu_check = hk_id("mu_check");
    assert_int_equal(hk_check_cond_waits(&hk_group, cv_perm, 0, EPERM), 1);
    assert_int_equal(hk_count_wakes(&hk_group, cv_perm, EPERM), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, mu_check, 0, 0), 0);
}

static void test_cancelled_wait_reacquires(void **state)
{
    (void)state;
    uint32_t cv_cancel = hk_id("cv_cancel");
    assert_int_equal(hk_check_cond_waits(&hk_group, cv_cancel, 0, (uint64_t)-1), 1);
    assert_int_equal(hk_count_wakes(&hk_group, cv_cancel, ECANCELED), 1);
    size_t pos = 0;
    const struct swt_rec *a =
        hk_next(&hk_group, &pos, 0, SWT_REC_ACQUIRE, mu_id, SWT_ACQ_COND | SWT_ACQ_CANCELED, 0);
    assert_non_null(a);
    /* The application's cleanup handler unlocked it through the hooks: the
     * hook had left the recorder before the handler ran. */
    const struct swt_rec *rel = hk_next(&hk_group, &pos, a->thread, SWT_REC_RELEASE, mu_id, 0, 0);
    assert_non_null(rel);
}

static void test_signal_and_broadcast(void **state)
{
    (void)state;
    assert_true(hk_count(&hk_group, 0, SWT_REC_COND_SIGNAL, cv_id, 0, SWT_ACQ_BROADCAST) >= 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_COND_SIGNAL, cv_id, SWT_ACQ_BROADCAST, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, cv_id, 0, 0), 1);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new),
        cmocka_unit_test(test_wait_protocol_for_every_return),
        cmocka_unit_test(test_timed_waits_are_flagged),
        cmocka_unit_test(test_einval_records_no_wait),
        cmocka_unit_test(test_eperm_is_not_a_reacquisition),
        cmocka_unit_test(test_cancelled_wait_reacquires),
        cmocka_unit_test(test_signal_and_broadcast),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "cond",
        .loaded = look_up,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
