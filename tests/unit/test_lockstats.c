/* Unit tests of the lock statistics accumulator: exact event sequences with
 * chosen timestamps, so every number is known in advance. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/lockstats.h"

#define MS (1000ull * 1000)
#define L 7u
#define T1 1u
#define T2 2u
#define T3 3u
#define S1 11u
#define S2 12u
#define S3 13u

static const struct lockstats_thread_row *thread_row(const struct lockstats_lock_row *r,
                                                     uint32_t thread)
{
    for (size_t i = 0; i < r->nthreads; i++)
        if (r->threads[i]->thread == thread)
            return r->threads[i];
    return NULL;
}

static const struct lockstats_site_row *site_row(const struct lockstats_lock_row *r,
                                                 uint32_t site)
{
    for (size_t i = 0; i < r->nsites; i++)
        if (r->sites[i]->site == site)
            return r->sites[i];
    return NULL;
}

static void test_hist_buckets(void **state)
{
    (void)state;
    uint64_t values[] = {0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 1023, 1024, 123456789,
                         UINT64_MAX / 3, UINT64_MAX};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint64_t v = values[i];
        unsigned b = lockstats_hist_bucket(v);
        assert_true(b < LOCKSTATS_HIST_BUCKETS);
        uint64_t up = lockstats_hist_upper(b);
        assert_true(v <= up);
        /* the bucket is narrow: its upper bound is within 1/8 of v */
        assert_true(up - v <= v / 8);
        if (b > 0)
            assert_true(lockstats_hist_upper(b - 1) < v);
    }
    assert_int_equal(lockstats_hist_bucket(UINT64_MAX), LOCKSTATS_HIST_BUCKETS - 1);
}

/* T1 holds L from 0 to 110 (site S1); T2 waits from 10, gets it at 120
 * (site S2), releases at 150. */
static void test_simple_contention(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    assert_non_null(s);
    assert_int_equal(lockstats_acquire(s, 0, T1, L, 0, S1), 0);
    assert_int_equal(lockstats_wait(s, 10, T2, L, 0, S2), 0);
    assert_int_equal(lockstats_release(s, 110, T1, L, 0, S1), 0);
    assert_int_equal(lockstats_acquire(s, 120, T2, L, SWT_ACQ_CONTENDED, S2), 0);
    assert_int_equal(lockstats_release(s, 150, T2, L, 0, S2), 0);
    assert_int_equal(lockstats_finish(s, 200), 0);

    size_t n;
    const struct lockstats_lock_row *const *rows = lockstats_locks(s, &n);
    assert_int_equal(n, 1);
    const struct lockstats_lock_row *r = rows[0];
    assert_ptr_equal(r, lockstats_lock(s, L));
    assert_int_equal(r->lock, L);
    assert_int_equal(r->c.acquisitions, 2);
    assert_int_equal(r->c.contentions, 1);
    assert_int_equal(r->c.owner_changes, 1);
    assert_int_equal(r->c.wait_count, 1);
    assert_int_equal(r->c.wait_total_ns, 110);
    assert_int_equal(r->c.wait_min_ns, 110);
    assert_int_equal(r->c.wait_max_ns, 110);
    assert_int_equal(r->c.hold_count, 2);
    assert_int_equal(r->c.hold_total_ns, 140);
    assert_int_equal(r->c.hold_min_ns, 30);
    assert_int_equal(r->c.hold_max_ns, 110);
    assert_int_equal(r->unheld_wait_ns, 10);
    assert_int_equal(r->unheld_waits, 0);
    assert_int_equal(r->nthreads, 2);
    assert_int_equal(r->threads[0]->thread, T1);
    assert_int_equal(r->threads[1]->thread, T2);
    assert_int_equal(r->nsites, 2);

    const struct lockstats_site_row *s1 = site_row(r, S1), *s2 = site_row(r, S2);
    assert_non_null(s1);
    assert_non_null(s2);
    /* blame the holder: T2's wait from 10 to 110 was spent on S1's hold */
    assert_int_equal(s1->blamed_ns, 100);
    assert_int_equal(s1->blamed_waits, 1);
    assert_int_equal(s2->blamed_ns, 0);
    assert_int_equal(s1->c.acquisitions, 1);
    assert_int_equal(s2->c.contentions, 1);
    assert_int_equal(s2->c.wait_total_ns, 110);
    assert_int_equal(s2->wait.count, 1);
    assert_int_equal(s2->wait.p99_ns, 110);
    assert_int_equal(s1->wait.count, 0);
    assert_int_equal(thread_row(r, T1)->blocked_others_ns, 100);

    const struct lockstats_thread_row *t2 = thread_row(r, T2);
    assert_int_equal(t2->wait.count, 1);
    assert_int_equal(t2->wait.p50_ns, 110);
    assert_int_equal(t2->wait.p99_ns, 110);
    assert_int_equal(t2->wait.max_ns, 110);
    assert_false(t2->worst.valid);
    assert_false(t2->waiting_at_end);
    assert_int_equal(r->long_holds, 0);
    assert_int_equal(r->barge.length, 0); /* nobody waited when T2 took it */
    assert_int_equal(r->barge.thread, LOCKSTATS_NONE);
    lockstats_free(s);
}

static void test_recursive_and_unheld_release(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_acquire(s, 5, T1, L, SWT_ACQ_RECURSIVE, S2);
    lockstats_release(s, 10, T1, L, SWT_ACQ_RECURSIVE, S2);
    lockstats_release(s, 20, T1, L, 0, S1);
    lockstats_release(s, 30, T2, L, 0, S3); /* misuse: ignored by the statistics */
    lockstats_finish(s, 40);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->c.acquisitions, 1);
    assert_int_equal(r->c.hold_count, 1);
    assert_int_equal(r->c.hold_total_ns, 20);
    assert_int_equal(r->c.contentions, 0);
    assert_int_equal(r->c.owner_changes, 0);
    assert_false(thread_row(r, T1)->holding_at_end);
    lockstats_free(s);
}

/* T2 waits 200 ms while T1 takes the lock 12 times. */
static void test_starvation_and_barging(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_wait(s, 1 * MS, T2, L, 0, S2);
    lockstats_release(s, 2 * MS, T1, L, 0, S1);
    for (unsigned i = 0; i < 12; i++) {
        lockstats_acquire(s, (10 + 15 * i) * MS, T1, L, 0, S1);
        lockstats_release(s, (11 + 15 * i) * MS, T1, L, 0, S1);
    }
    lockstats_acquire(s, 201 * MS, T2, L, SWT_ACQ_CONTENDED, S2);
    lockstats_release(s, 202 * MS, T2, L, 0, S2);
    assert_int_equal(lockstats_finish(s, 300 * MS), 0);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    const struct lockstats_thread_row *t2 = thread_row(r, T2);
    assert_int_equal(r->starved_waits, 1);
    assert_int_equal(t2->starved_waits, 1);
    assert_true(t2->worst.valid);
    assert_false(t2->worst.unfinished);
    assert_int_equal(t2->worst.duration_ns, 200 * MS);
    assert_int_equal(t2->worst.start_ns, 1 * MS);
    assert_int_equal(t2->worst.others_acquired, 12);
    assert_int_equal(t2->worst.reads_acquired, 0);
    assert_int_equal(t2->worst.site, S2);
    assert_int_equal(r->barge.thread, T1);
    assert_int_equal(r->barge.site, S1);
    assert_int_equal(r->barge.waiter, T2);
    assert_int_equal(r->barge.length, 12);
    assert_int_equal(r->barge.start_ns, 10 * MS);
    assert_int_equal(r->barge.end_ns, 175 * MS);
    /* T1 held 1 ms out of every 15: little blame, much hand-off time */
    assert_int_equal(site_row(r, S1)->blamed_ns, 13 * MS);
    assert_int_equal(r->unheld_wait_ns, 187 * MS);
    lockstats_free(s);
}

static void test_thresholds_are_options(void **state)
{
    (void)state;
    struct lockstats_config cfg;
    lockstats_config_default(&cfg);
    assert_int_equal(cfg.wait_threshold_ns, LOCKSTATS_DEFAULT_WAIT_NS);
    cfg.wait_threshold_ns = 300 * MS; /* the same 200 ms wait is now fine */
    struct lockstats *s = lockstats_new(&cfg);
    assert_int_equal(lockstats_config(s)->wait_threshold_ns, 300 * MS);
    lockstats_wait(s, 0, T2, L, 0, S2);
    for (unsigned i = 0; i < 20; i++) {
        lockstats_acquire(s, (1 + 5 * i) * MS, T1, L, 0, S1);
        lockstats_release(s, (2 + 5 * i) * MS, T1, L, 0, S1);
    }
    lockstats_acquire(s, 200 * MS, T2, L, 0, S2);
    lockstats_finish(s, 300 * MS);
    assert_int_equal(lockstats_lock(s, L)->starved_waits, 0);
    assert_false(thread_row(lockstats_lock(s, L), T2)->worst.valid);
    lockstats_free(s);
}

/* A writer waits while two readers keep taking read holds. */
static void test_writer_starvation(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    assert_int_equal(lockstats_declare(s, L, SWT_KIND_RWLOCK, SWT_TYPE_RW_PREFER_READER, true), 0);
    lockstats_acquire(s, 0, T1, L, SWT_ACQ_READ, S1);
    lockstats_wait(s, 1 * MS, T3, L, SWT_ACQ_WRITE, S3);
    for (unsigned i = 0; i < 10; i++) {
        uint32_t t = i % 2 ? T1 : T2;
        uint64_t at = (5 + 20 * i) * MS;
        if (i % 2)
            lockstats_release(s, at - MS, T1, L, 0, S1);
        lockstats_acquire(s, at, t, L, SWT_ACQ_READ, t == T1 ? S1 : S2);
        if (!(i % 2))
            lockstats_release(s, at + 30 * MS, T2, L, 0, S2);
    }
    lockstats_release(s, 200 * MS, T1, L, 0, S1);
    lockstats_acquire(s, 201 * MS, T3, L, SWT_ACQ_WRITE | SWT_ACQ_CONTENDED, S3);
    lockstats_release(s, 202 * MS, T3, L, 0, S3);
    lockstats_finish(s, 300 * MS);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->kind, SWT_KIND_RWLOCK);
    assert_int_equal(r->read_acquisitions, 11);
    const struct lockstats_thread_row *w = thread_row(r, T3);
    assert_true(w->worst.valid);
    assert_true(w->worst.flags & SWT_ACQ_WRITE);
    assert_int_equal(w->worst.duration_ns, 200 * MS);
    assert_int_equal(w->worst.others_acquired, 10);
    assert_int_equal(w->worst.reads_acquired, 10);
    /* readers overlapping: both holders' sites are charged */
    assert_true(site_row(r, S1)->blamed_ns > 0);
    assert_true(site_row(r, S2)->blamed_ns > 0);
    assert_int_equal(site_row(r, S1)->blamed_waits, 1);
    lockstats_free(s);
}

static void test_unfinished_wait(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_wait(s, 0, T2, L, 0, S2);
    for (unsigned i = 0; i < 10; i++) {
        lockstats_acquire(s, (1 + 10 * i) * MS, T1, L, 0, S1);
        lockstats_release(s, (2 + 10 * i) * MS, T1, L, 0, S1);
    }
    lockstats_acquire(s, 120 * MS, T3, L, 0, S3); /* still holding at the end */
    lockstats_finish(s, 150 * MS);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    const struct lockstats_thread_row *t2 = thread_row(r, T2);
    assert_true(t2->waiting_at_end);
    assert_int_equal(r->waiting_at_end, 1);
    assert_true(t2->worst.valid);
    assert_true(t2->worst.unfinished);
    assert_int_equal(t2->worst.duration_ns, 150 * MS);
    assert_int_equal(t2->worst.others_acquired, 11);
    /* an unfinished wait is not in the lock_stat columns */
    assert_int_equal(r->c.contentions, 1);
    assert_int_equal(r->c.wait_count, 0);
    assert_int_equal(t2->wait.count, 0);
    assert_true(thread_row(r, T3)->holding_at_end);
    /* T3 held from 120 to the end while T2 waited */
    assert_int_equal(site_row(r, S3)->blamed_ns, 30 * MS);
    lockstats_free(s);
}

static void test_long_hold(void **state)
{
    (void)state;
    struct lockstats_config cfg;
    lockstats_config_default(&cfg);
    cfg.hold_threshold_ns = 10 * MS;
    struct lockstats *s = lockstats_new(&cfg);
    /* long but nobody waited: not flagged */
    lockstats_acquire(s, 0, T1, L, 0, S3);
    lockstats_release(s, 50 * MS, T1, L, 0, S3);
    /* long and T2 waited */
    lockstats_acquire(s, 60 * MS, T1, L, 0, S1);
    lockstats_wait(s, 61 * MS, T2, L, 0, S2);
    lockstats_release(s, 80 * MS, T1, L, 0, S1);
    lockstats_acquire(s, 80 * MS, T2, L, 0, S2);
    lockstats_release(s, 81 * MS, T2, L, 0, S2);
    /* short while T1 waited */
    lockstats_acquire(s, 90 * MS, T2, L, 0, S2);
    lockstats_wait(s, 90 * MS, T1, L, 0, S1);
    lockstats_release(s, 91 * MS, T2, L, 0, S2);
    lockstats_acquire(s, 91 * MS, T1, L, 0, S1);
    lockstats_release(s, 92 * MS, T1, L, 0, S1);
    lockstats_finish(s, 100 * MS);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->long_holds, 1);
    assert_int_equal(site_row(r, S1)->long_holds, 1);
    assert_int_equal(site_row(r, S1)->long_hold_max_ns, 20 * MS);
    assert_int_equal(site_row(r, S2)->long_holds, 0);
    assert_int_equal(site_row(r, S3)->long_holds, 0);
    assert_int_equal(thread_row(r, T1)->long_holds, 1);
    assert_int_equal(thread_row(r, T2)->long_holds, 0);
    assert_int_equal(site_row(r, S1)->blamed_ns, 19 * MS);
    assert_int_equal(site_row(r, S2)->blamed_ns, 1 * MS);
    lockstats_free(s);
}

/* 100 waits of 1..100 us: p50 and p99 within the histogram's 1/16. */
static void test_percentiles(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    uint64_t t = 0;
    for (unsigned i = 1; i <= 100; i++) {
        uint64_t d = i * 1000ull;
        lockstats_wait(s, t, T2, L, 0, S2);
        lockstats_acquire(s, t + d, T2, L, 0, S2);
        lockstats_release(s, t + d + 1, T2, L, 0, S2);
        t += d + 10;
    }
    lockstats_finish(s, t);
    const struct lockstats_thread_row *r = thread_row(lockstats_lock(s, L), T2);
    assert_int_equal(r->wait.count, 100);
    assert_int_equal(r->wait.max_ns, 100000);
    assert_true(r->wait.p50_ns >= 50000 - 50000 / 16 && r->wait.p50_ns <= 50000 + 50000 / 16);
    assert_true(r->wait.p99_ns >= 99000 - 99000 / 16 && r->wait.p99_ns <= 100000);
    lockstats_free(s);
}

static void test_profile_slot(void **state)
{
    (void)state;
    struct swt_stat_slot a = {
        .lock = 3, .site = 4, .acquisitions = 100, .contentions = 4, .failures = 1,
        .wait_total_ns = 4000, .wait_min_ns = 500, .wait_max_ns = 2000,
        .hold_samples = 10, .hold_total_ns = 1000, .hold_min_ns = 50, .hold_max_ns = 300,
        .owner_changes = 7,
    };
    a.wait_hist[8] = 1;  /* [256, 512) -> at least min 500 */
    a.wait_hist[9] = 2;  /* [512, 1024) */
    a.wait_hist[10] = 1; /* [1024, 2048) */
    struct swt_stat_slot b = a;
    b.site = 5;
    b.contentions = 0;
    b.wait_total_ns = b.wait_min_ns = b.wait_max_ns = 0;
    memset(b.wait_hist, 0, sizeof(b.wait_hist));
    struct lockstats *s = lockstats_new(NULL);
    assert_int_equal(lockstats_add_slot(s, T1, L, S1, &a), 0);
    assert_int_equal(lockstats_add_slot(s, T2, L, S2, &b), 0);
    lockstats_finish(s, 0);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_true(r->from_profile);
    assert_int_equal(r->c.acquisitions, 200);
    assert_int_equal(r->c.contentions, 4);
    assert_int_equal(r->c.failures, 2);
    assert_int_equal(r->c.owner_changes, 14);
    assert_int_equal(r->c.wait_count, 4);
    assert_int_equal(r->c.wait_min_ns, 500);
    assert_int_equal(r->c.wait_max_ns, 2000);
    assert_int_equal(r->c.hold_count, 20);
    assert_int_equal(r->c.hold_total_ns, 2000);
    assert_int_equal(r->c.hold_min_ns, 50);
    assert_int_equal(site_row(r, S1)->c.contentions, 4);
    assert_int_equal(site_row(r, S2)->c.contentions, 0);
    const struct lockstats_thread_row *t1 = thread_row(r, T1);
    assert_int_equal(t1->wait.count, 4);
    assert_int_equal(t1->wait.max_ns, 2000);
    assert_true(t1->wait.p50_ns >= 512 && t1->wait.p50_ns < 1024);
    /* log2 resolution from profile counters */
    assert_true(t1->wait.p99_ns >= 1024 && t1->wait.p99_ns <= 2000);
    assert_int_equal(thread_row(r, T2)->wait.count, 0);
    lockstats_free(s);
}

/* Two threads doing 5 ms timed condvar waits on one mutex, half timing out. */
static void test_gil_pattern(void **state)
{
    (void)state;
    const uint32_t cond = 9, other = 8;
    struct lockstats *s = lockstats_new(NULL);
    uint64_t t = 0;
    for (unsigned i = 0; i < 20; i++) {
        uint32_t th = i % 2 ? T1 : T2;
        lockstats_acquire(s, t, th, L, 0, S1);
        lockstats_release(s, t + 1000, th, L, SWT_ACQ_COND, S1);
        lockstats_cond_wait(s, t + 1000, th, cond, L, S1);
        lockstats_cond_wake(s, t + 1000 + 5 * MS, th, cond, L, i % 2 ? ETIMEDOUT : 0);
        lockstats_acquire(s, t + 1000 + 5 * MS, th, L, SWT_ACQ_COND, S1);
        lockstats_release(s, t + 2000 + 5 * MS, th, L, 0, S1);
        t += 6 * MS;
    }
    /* a plain producer/consumer condvar: untimed, signalled */
    for (unsigned i = 0; i < 20; i++) {
        uint32_t th = i % 2 ? T1 : T2;
        lockstats_acquire(s, t, th, other, 0, S2);
        lockstats_release(s, t + 10, th, other, SWT_ACQ_COND, S2);
        lockstats_cond_wait(s, t + 10, th, cond + 1, other, S2);
        lockstats_cond_wake(s, t + 20 * MS, th, cond + 1, other, 0);
        lockstats_acquire(s, t + 20 * MS, th, other, SWT_ACQ_COND, S2);
        lockstats_release(s, t + 21 * MS, th, other, 0, S2);
        t += 22 * MS;
    }
    lockstats_finish(s, t);
    const struct lockstats_lock_row *gil = lockstats_lock(s, L);
    assert_true(gil->gil);
    assert_int_equal(gil->cond_waits, 20);
    assert_int_equal(gil->cond_timeouts, 10);
    assert_int_equal(gil->cond_threads, 2);
    assert_int_equal(thread_row(gil, T1)->cond_timeouts, 10);
    assert_int_equal(thread_row(gil, T2)->cond_wait_ns, 10 * 5 * MS);
    assert_int_equal(gil->c.acquisitions, 40);
    assert_false(lockstats_lock(s, other)->gil);
    lockstats_free(s);
}

/* Python's threading.Lock: a binary semaphore released by another thread. */
static void test_sem_as_lock(void **state)
{
    (void)state;
    const uint32_t counting = 4;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_declare(s, L, SWT_KIND_SEM, 0, true);
    lockstats_declare(s, counting, SWT_KIND_SEM, 0, false);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_wait(s, 10, T2, L, 0, S2);
    lockstats_sem_post(s, 100, T3, L, S3); /* another thread releases */
    lockstats_acquire(s, 105, T2, L, 0, S2);
    lockstats_sem_post(s, 200, T2, L, S2);
    /* a counting semaphore: a consumer waits, a producer posts */
    lockstats_wait(s, 300, T1, counting, 0, S1);
    lockstats_sem_post(s, 400, T2, counting, S2);
    lockstats_acquire(s, 401, T1, counting, 0, S1);
    lockstats_finish(s, 500);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->c.hold_count, 2);
    assert_int_equal(r->c.hold_total_ns, 100 + 95);
    assert_int_equal(site_row(r, S1)->blamed_ns, 90);
    assert_false(thread_row(r, T1)->holding_at_end);
    const struct lockstats_lock_row *c = lockstats_lock(s, counting);
    assert_false(c->lock_like);
    assert_int_equal(c->c.contentions, 1);
    assert_int_equal(c->c.hold_count, 0);
    assert_false(thread_row(c, T1)->holding_at_end);
    lockstats_free(s);
}

/* CPython's Condition: the waiter takes its own lock, then waits on it
 * until the notifier posts it.  That is a signal, not contention. */
static void test_self_wait_is_not_contention(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_declare(s, L, SWT_KIND_SEM, 0, true);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_wait(s, 10, T1, L, 0, S1);
    lockstats_sem_post(s, 500, T2, L, S2);
    lockstats_acquire(s, 500, T1, L, 0, S1);
    lockstats_sem_post(s, 510, T1, L, S1);
    lockstats_finish(s, 600);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->c.contentions, 0);
    assert_int_equal(r->self_waits, 1);
    assert_int_equal(r->c.wait_count, 0);
    assert_int_equal(r->unheld_wait_ns, 0);
    assert_false(thread_row(r, T1)->waiting_at_end);
    lockstats_free(s);
}

static void test_fail_and_after_finish(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_fail(s, 1, T2, L, SWT_ACQ_TRY, S2); /* trylock busy: no wait */
    lockstats_wait(s, 2, T2, L, SWT_ACQ_TIMED, S2);
    lockstats_fail(s, 52, T2, L, SWT_ACQ_TIMED, S2); /* timed out */
    lockstats_release(s, 60, T1, L, 0, S1);
    assert_int_equal(lockstats_finish(s, 70), 0);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->c.failures, 2);
    assert_int_equal(r->c.contentions, 1);
    assert_int_equal(r->c.wait_total_ns, 50);
    assert_int_equal(r->c.acquisitions, 1);
    assert_false(thread_row(r, T2)->waiting_at_end);
    assert_int_equal(lockstats_acquire(s, 80, T1, L, 0, S1), -1);
    assert_int_equal(lockstats_finish(s, 90), -1);
    assert_null(lockstats_lock(s, 12345));
    lockstats_free(s);
    lockstats_free(NULL);
}

static void test_parse_duration(void **state)
{
    (void)state;
    uint64_t ns = 0;
    assert_int_equal(lockstats_parse_duration("250", &ns), 0);
    assert_int_equal(ns, 250);
    assert_int_equal(lockstats_parse_duration("250ns", &ns), 0);
    assert_int_equal(ns, 250);
    assert_int_equal(lockstats_parse_duration("20us", &ns), 0);
    assert_int_equal(ns, 20000);
    assert_int_equal(lockstats_parse_duration("10ms", &ns), 0);
    assert_int_equal(ns, 10 * MS);
    assert_int_equal(lockstats_parse_duration("1.5s", &ns), 0);
    assert_int_equal(ns, 1500 * MS);
    assert_int_equal(lockstats_parse_duration("", &ns), -1);
    assert_int_equal(lockstats_parse_duration("ms", &ns), -1);
    assert_int_equal(lockstats_parse_duration("10 ms", &ns), -1);
    assert_int_equal(lockstats_parse_duration("-5ms", &ns), -1);
    assert_int_equal(lockstats_parse_duration("10min", &ns), -1);
    assert_int_equal(lockstats_parse_duration("1e30s", &ns), -1);
    assert_int_equal(lockstats_parse_duration("nan", &ns), -1);
}

/* A run of re-acquisitions ends when nobody waits any more, and starts
 * again from 1 when the waiting resumes. */
static void test_barging_run_resets(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_wait(s, 0, T2, L, 0, S2);
    for (unsigned i = 0; i < 3; i++) {
        lockstats_acquire(s, 10 + 10 * i, T1, L, 0, S1);
        lockstats_release(s, 15 + 10 * i, T1, L, 0, S1);
    }
    lockstats_fail(s, 50, T2, L, SWT_ACQ_TIMED, S2); /* T2 gives up */
    lockstats_acquire(s, 60, T1, L, 0, S1);          /* nobody waits: no run */
    lockstats_release(s, 65, T1, L, 0, S1);
    lockstats_wait(s, 70, T3, L, 0, S3);
    for (unsigned i = 0; i < 2; i++) {
        lockstats_acquire(s, 80 + 10 * i, T1, L, 0, S1);
        lockstats_release(s, 85 + 10 * i, T1, L, 0, S1);
    }
    lockstats_finish(s, 100);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->barge.length, 3);
    assert_int_equal(r->barge.waiter, T2);
    assert_int_equal(r->barge.start_ns, 10);
    assert_int_equal(r->barge.end_ns, 30);
    assert_true(thread_row(r, T3)->waiting_at_end);
    lockstats_free(s);
}

/* The holder took the lock before the trace began (or its acquisition was
 * not recorded): the wait is charged to "no holder known". */
static void test_wait_without_known_holder(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_wait(s, 100, T2, L, 0, S2);
    lockstats_release(s, 300, T1, L, 0, S1); /* no hold known: ignored */
    lockstats_acquire(s, 300, T2, L, SWT_ACQ_CONTENDED, S2);
    lockstats_release(s, 310, T2, L, 0, S2);
    lockstats_finish(s, 400);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->unheld_waits, 1);
    assert_int_equal(r->unheld_wait_ns, 200);
    assert_int_equal(r->c.wait_total_ns, 200);
    assert_int_equal(r->c.acquisitions, 1);
    assert_int_equal(r->c.owner_changes, 0);
    lockstats_free(s);
}

/* A damaged trace: a second WAIT before the first one's outcome ends the
 * first wait there. */
static void test_duplicate_wait(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    lockstats_acquire(s, 0, T1, L, 0, S1);
    lockstats_wait(s, 10, T2, L, 0, S2);
    lockstats_wait(s, 30, T2, L, 0, S2);
    lockstats_release(s, 50, T1, L, 0, S1);
    lockstats_acquire(s, 50, T2, L, 0, S2);
    lockstats_finish(s, 60);
    const struct lockstats_lock_row *r = lockstats_lock(s, L);
    assert_int_equal(r->c.contentions, 2);
    assert_int_equal(r->c.wait_count, 2);
    assert_int_equal(r->c.wait_total_ns, 20 + 20);
    assert_int_equal(site_row(r, S1)->blamed_ns, 40);
    lockstats_free(s);
}

static void test_empty(void **state)
{
    (void)state;
    struct lockstats *s = lockstats_new(NULL);
    assert_int_equal(lockstats_finish(s, 0), 0);
    size_t n = 99;
    lockstats_locks(s, &n);
    assert_int_equal(n, 0);
    lockstats_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hist_buckets),
        cmocka_unit_test(test_simple_contention),
        cmocka_unit_test(test_recursive_and_unheld_release),
        cmocka_unit_test(test_starvation_and_barging),
        cmocka_unit_test(test_thresholds_are_options),
        cmocka_unit_test(test_writer_starvation),
        cmocka_unit_test(test_unfinished_wait),
        cmocka_unit_test(test_long_hold),
        cmocka_unit_test(test_percentiles),
        cmocka_unit_test(test_profile_slot),
        cmocka_unit_test(test_gil_pattern),
        cmocka_unit_test(test_sem_as_lock),
        cmocka_unit_test(test_self_wait_is_not_contention),
        cmocka_unit_test(test_fail_and_after_finish),
        cmocka_unit_test(test_barging_run_resets),
        cmocka_unit_test(test_wait_without_known_holder),
        cmocka_unit_test(test_duplicate_wait),
        cmocka_unit_test(test_parse_duration),
        cmocka_unit_test(test_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
