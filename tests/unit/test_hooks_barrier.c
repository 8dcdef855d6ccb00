/* The barrier hooks under the shim: LOCK_NEW with the count, a
 * BARRIER_WAIT then a BARRIER_DONE per thread, each a success (error 0,
 * also for the serial thread: PTHREAD_BARRIER_SERIAL_THREAD is a success,
 * docs/trace-format.md), while the program gets the real return values
 * (exactly one serial thread per round, checked by the workload). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tests/unit/hooks_harness.h"

#define PARTIES 3

/* ---- workload (runs under the shim) ---- */

static pthread_barrier_t bar;
static pthread_barrier_t solo;
static int serials;

static void *arrive(void *arg)
{
    (void)arg;
    int rc = pthread_barrier_wait(&bar);
    if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
        __atomic_add_fetch(&serials, 1, __ATOMIC_SEQ_CST);
    return (void *)(intptr_t)(rc == 0 || rc == PTHREAD_BARRIER_SERIAL_THREAD);
}

static int workload_barrier(void)
{
    HK_CHECK(pthread_barrier_init(&bar, NULL, PARTIES) == 0);
    HK_CHECK(pthread_barrier_init(&solo, NULL, 1) == 0);
    printf("bar=%p\nsolo=%p\n", (void *)&bar, (void *)&solo);
    pthread_t th[PARTIES - 1];
    for (int i = 0; i < PARTIES - 1; i++)
        HK_CHECK(pthread_create(&th[i], NULL, arrive, NULL) == 0);
    HK_CHECK(arrive(NULL) != NULL);
    for (int i = 0; i < PARTIES - 1; i++) {
        void *ok = NULL;
        pthread_join(th[i], &ok);
        HK_CHECK(ok != NULL);
    }
    HK_CHECK(serials == 1);
    errno = 99;
    HK_CHECK(pthread_barrier_wait(&solo) == PTHREAD_BARRIER_SERIAL_THREAD);
    HK_CHECK(errno == 99);
    HK_CHECK(pthread_barrier_destroy(&bar) == 0);
    HK_CHECK(pthread_barrier_destroy(&solo) == 0);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"barrier", workload_barrier},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static void test_lock_new_has_count(void **state)
{
    (void)state;
    const struct swt_rec *l = hk_new("bar");
    assert_non_null(l);
    assert_int_equal(l->f[1], SWT_KIND_BARRIER);
    assert_int_equal(l->f[10], PARTIES);
}

static void test_each_thread_waits_then_is_done(void **state)
{
    (void)state;
    uint32_t id = hk_id("bar");
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_BARRIER_WAIT, id, 0, 0), PARTIES);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_BARRIER_DONE, id, 0, 0), PARTIES);
    size_t pos = 0;
    const struct swt_rec *w;
    while ((w = hk_next(&hk_group, &pos, 0, SWT_REC_BARRIER_WAIT, id, 0, 0)) != NULL) {
        size_t p2 = pos;
        const struct swt_rec *d = hk_next(&hk_group, &p2, w->thread, SWT_REC_BARRIER_DONE, id, 0, 0);
        assert_non_null(d);
        assert_int_equal(d->f[1], 0);
    }
}

static void test_single_party_is_serial(void **state)
{
    (void)state;
    uint32_t id = hk_id("solo");
    size_t pos = 0;
    const struct swt_rec *d = hk_next(&hk_group, &pos, 0, SWT_REC_BARRIER_DONE, id, 0, 0);
    assert_non_null(d);
    assert_int_equal(d->f[1], 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, id, 0, 0), 1);
}

static void test_barrier_is_never_held(void **state)
{
    (void)state;
    uint32_t id = hk_id("bar");
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, id, 0, 0), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_RELEASE, id, 0, 0), 0);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new_has_count),
        cmocka_unit_test(test_each_thread_waits_then_is_done),
        cmocka_unit_test(test_single_party_is_serial),
        cmocka_unit_test(test_barrier_is_never_held),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "barrier",
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
