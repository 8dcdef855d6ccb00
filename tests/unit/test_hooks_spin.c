/* The spinlock hooks under the shim: every record carries SWT_ACQ_SPIN;
 * plain, try and contended acquisitions; destroy. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static pthread_spinlock_t sp;
static volatile int about_to_lock;

static void *try_busy(void *arg)
{
    (void)arg;
    return (void *)(intptr_t)(pthread_spin_trylock(&sp) == EBUSY);
}

static void *lock_spinning(void *arg)
{
    (void)arg;
    __atomic_store_n(&about_to_lock, 1, __ATOMIC_SEQ_CST);
    if (pthread_spin_lock(&sp) != 0)
        return NULL;
    pthread_spin_unlock(&sp);
    return (void *)1;
}

static int workload_spin(void)
{
    HK_CHECK(pthread_spin_init(&sp, PTHREAD_PROCESS_PRIVATE) == 0);
    printf("sp=%p\n", (void *)&sp);
    errno = 777;
    HK_CHECK(pthread_spin_lock(&sp) == 0);
    HK_CHECK(pthread_spin_unlock(&sp) == 0);
    HK_CHECK(pthread_spin_trylock(&sp) == 0);
    HK_CHECK(pthread_spin_unlock(&sp) == 0);
    HK_CHECK(errno == 777);

    /* Held by main: a try from another thread is EBUSY, and a lock spins
     * until main lets go. */
    HK_CHECK(pthread_spin_lock(&sp) == 0);
    pthread_t th;
    void *ok = NULL;
    HK_CHECK(pthread_create(&th, NULL, try_busy, NULL) == 0);
    pthread_join(th, &ok);
    HK_CHECK(ok != NULL);
    HK_CHECK(pthread_create(&th, NULL, lock_spinning, NULL) == 0);
    while (!__atomic_load_n(&about_to_lock, __ATOMIC_SEQ_CST))
        sched_yield();
    hk_wait_spinning(th, 20);
    HK_CHECK(pthread_spin_unlock(&sp) == 0);
    ok = NULL;
    pthread_join(th, &ok);
    HK_CHECK(ok != NULL);
    HK_CHECK(pthread_spin_destroy(&sp) == 0);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"spin", workload_spin},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static uint32_t sp_id;

static void look_up(void)
{
    sp_id = hk_id("sp");
}

static void test_lock_new(void **state)
{
    (void)state;
    const struct swt_rec *l = hk_new("sp");
    assert_non_null(l);
    assert_int_equal(l->f[1], SWT_KIND_SPIN);
    assert_int_equal(l->f[3] & (SWT_LOCK_PSHARED | SWT_LOCK_FAILED_INIT), 0);
}

static void test_every_record_is_spin(void **state)
{
    (void)state;
    unsigned types[] = {SWT_REC_ACQUIRE, SWT_REC_WAIT, SWT_REC_FAIL, SWT_REC_RELEASE};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        assert_int_equal(hk_count(&hk_group, 0, types[i], sp_id, 0, SWT_ACQ_SPIN), 0);
    /* main: lock, trylock, lock; helper: contended lock */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, sp_id, SWT_ACQ_SPIN, 0), 4);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_RELEASE, sp_id, SWT_ACQ_SPIN, 0), 4);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, sp_id, SWT_ACQ_TRY, 0), 1);
}

static void test_try_busy(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, sp_id, SWT_ACQ_TRY, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EBUSY);
}

static void test_contended_lock_waits_first(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, sp_id, SWT_ACQ_SPIN, 0);
    assert_non_null(w);
    const struct swt_rec *a =
        hk_next(&hk_group, &pos, w->thread, SWT_REC_ACQUIRE, sp_id, SWT_ACQ_CONTENDED, SWT_ACQ_TRY);
    assert_non_null(a);
    assert_non_null(hk_next(&hk_group, &pos, w->thread, SWT_REC_RELEASE, sp_id, SWT_ACQ_SPIN, 0));
}

static void test_destroy(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *d = hk_next(&hk_group, &pos, 0, SWT_REC_DESTROY, sp_id, 0, 0);
    assert_non_null(d);
    assert_int_equal(d->f[2], 0);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new),
        cmocka_unit_test(test_every_record_is_spin),
        cmocka_unit_test(test_try_busy),
        cmocka_unit_test(test_contended_lock_waits_first),
        cmocka_unit_test(test_destroy),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "spin",
        .loaded = look_up,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
