/* The GLib hooks under the shim (preload/hooks_glib.c): GMutex init, lock
 * (contended: WAIT then ACQUIRE), trylock (busy and free), unlock, clear;
 * GCond waits recorded as RELEASE COND / COND_WAIT / COND_WAKE / ACQUIRE
 * COND (libglib relocks by direct calls the hooks never see), a timed-out
 * g_cond_wait_until flagged TIMED with ETIMEDOUT, signal and broadcast; a
 * static GMutex first seen without init; GRecMutex and GRWLock seen once,
 * through their pthread objects (no GLib hook, no double count). */
#define _GNU_SOURCE
#include <errno.h>
#include <glib.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static GMutex gm;         /* g_mutex_init'ed */
static GMutex gm_static;  /* never initialised: valid when zeroed */
static GCond gc;
static GRecMutex grec;
static GRWLock grw;
static int ready;
static volatile pid_t main_tid;

static gpointer hold_until_main_waits(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&gm);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    hk_wait_blocked(main_tid); /* main is blocked in g_mutex_lock(&gm) */
    g_mutex_unlock(&gm);
    return NULL;
}

static gpointer signal_ready(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&gm);
    ready = 2;
    g_cond_signal(&gc);
    g_mutex_unlock(&gm);
    return NULL;
}

static int workload_glib(void)
{
    g_mutex_init(&gm);
    g_cond_init(&gc);
    g_rec_mutex_init(&grec);
    g_rw_lock_init(&grw);
    printf("gm=%p\ngm_static=%p\ngc=%p\ngrec=%p\ngrw=%p\n", (void *)&gm, (void *)&gm_static,
           (void *)&gc, (void *)&grec, (void *)&grw);
    main_tid = gettid();

    /* A contended lock. */
    GThread *h = g_thread_new("holder", hold_until_main_waits, NULL);
    while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE))
        usleep(1000);
    HK_CHECK(!g_mutex_trylock(&gm)); /* busy */
    g_mutex_lock(&gm);
    g_mutex_unlock(&gm);
    g_thread_join(h);

    /* A wait woken by a signal, then a timeout; the mutex is held after. */
    g_mutex_lock(&gm);
    GThread *s = g_thread_new("signaller", signal_ready, NULL);
    while (ready != 2)
        g_cond_wait(&gc, &gm);
    HK_CHECK(!g_cond_wait_until(&gc, &gm, g_get_monotonic_time() - 1000));
    g_cond_broadcast(&gc);
    g_mutex_unlock(&gm);
    g_thread_join(s);

    HK_CHECK(g_mutex_trylock(&gm_static)); /* free */
    g_mutex_unlock(&gm_static);

    g_rec_mutex_lock(&grec);
    g_rec_mutex_lock(&grec);
    g_rec_mutex_unlock(&grec);
    g_rec_mutex_unlock(&grec);
    g_rw_lock_writer_lock(&grw);
    g_rw_lock_writer_unlock(&grw);

    g_cond_clear(&gc);
    g_mutex_clear(&gm);
    g_rec_mutex_clear(&grec);
    g_rw_lock_clear(&grw);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"glib", workload_glib},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static uint32_t gm_id, gc_id;

static void look_up(void)
{
    gm_id = hk_id("gm");
    gc_id = hk_id("gc");
}

static void test_lock_new(void **state)
{
    (void)state;
    const struct swt_rec *m = hk_new("gm");
    assert_int_equal(m->f[1], SWT_KIND_MUTEX);
    assert_int_equal(m->f[2], SWT_TYPE_NORMAL);
    assert_int_equal(m->f[3] & SWT_LOCK_STATIC, 0);
    const struct swt_rec *st = hk_new("gm_static");
    assert_int_equal(st->f[1], SWT_KIND_MUTEX);
    assert_true(st->f[3] & SWT_LOCK_STATIC);
    assert_int_equal(hk_new("gc")->f[1], SWT_KIND_COND);
}

static void test_contended_and_try(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, gm_id, 0, 0);
    assert_non_null(w);
    assert_non_null(hk_next(&hk_group, &pos, w->thread, SWT_REC_ACQUIRE, gm_id,
                            SWT_ACQ_CONTENDED, 0));
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_FAIL, gm_id, SWT_ACQ_TRY, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, hk_id("gm_static"), SWT_ACQ_TRY, 0),
                     1);
    /* Every hold ends: as many releases as acquisitions (waits relock). */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, gm_id, 0, 0),
                     hk_count(&hk_group, 0, SWT_REC_RELEASE, gm_id, 0, 0));
}

static void test_cond_waits(void **state)
{
    (void)state;
    size_t waits = hk_check_cond_waits(&hk_group, gc_id, 0, (uint64_t)-1);
    assert_true(waits >= 2);
    assert_int_equal(hk_count_wakes(&hk_group, gc_id, ETIMEDOUT), 1);
    assert_int_equal(
        hk_count(&hk_group, 0, SWT_REC_ACQUIRE, gm_id, SWT_ACQ_COND | SWT_ACQ_TIMED, 0), 1);
    assert_true(hk_count(&hk_group, 0, SWT_REC_COND_SIGNAL, gc_id, 0, SWT_ACQ_BROADCAST) >= 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_COND_SIGNAL, gc_id, SWT_ACQ_BROADCAST, 0), 1);
}

static void test_clear_is_destroy(void **state)
{
    (void)state;
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, gm_id, 0, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, gc_id, 0, 0), 1);
}

/* GRecMutex and GRWLock: nothing at their own addresses (not hooked); one
 * recursive re-acquisition and one write hold, of GLib's pthread objects. */
static void test_rec_mutex_and_rwlock_once(void **state)
{
    (void)state;
    assert_null(hk_lock_new(&hk_group, hk_addr(&hk_group, "grec"), 0));
    assert_null(hk_lock_new(&hk_group, hk_addr(&hk_group, "grw"), 0));
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, 0, SWT_ACQ_RECURSIVE, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, 0, SWT_ACQ_WRITE, 0), 1);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new),
        cmocka_unit_test(test_contended_and_try),
        cmocka_unit_test(test_cond_waits),
        cmocka_unit_test(test_clear_is_destroy),
        cmocka_unit_test(test_rec_mutex_and_rwlock_once),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "glib",
        .loaded = look_up,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
