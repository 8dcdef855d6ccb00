/* Unit tests of the primitives of libsyncwatch-sync doing their job:
 * exclusion, recursion, timeouts, readers together, permits, wakeups,
 * phases, once.  The checks have their own tests (test_lib_checks.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "syncwatch/sync.h"

#define MS 1000000ull
#define THREADS 4
#define ROUNDS 20000

static void run_threads(int n, void *(*fn)(void *), void *arg)
{
    pthread_t t[16];
    for (int i = 0; i < n; i++)
        assert_int_equal(pthread_create(&t[i], NULL, fn, arg), 0);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

/* ---- mutex ---- */

static sw_mutex_t counter_lock = SW_MUTEX_INITIALIZER("counter_lock");
static long counter SW_GUARDED_BY(&counter_lock);

static void *count_with_mutex(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_mutex_lock(&counter_lock);
        counter++;
        sw_mutex_unlock(&counter_lock);
    }
    return NULL;
}

static void mutex_excludes(void **state)
{
    (void)state;
    counter = 0;
    run_threads(THREADS, count_with_mutex, NULL);
    assert_int_equal(counter, (long)THREADS * ROUNDS);
}

static void *try_from_other_thread(void *arg)
{
    return (void *)(intptr_t)sw_mutex_trylock(arg);
}

static void *timed_from_other_thread(void *arg)
{
    return (void *)(intptr_t)sw_mutex_timedlock(arg, 10 * MS);
}

static void mutex_try_and_timed(void **state)
{
    (void)state;
    sw_mutex_t m;
    assert_int_equal(sw_mutex_init(&m, "try_lock", 0), 0);
    assert_int_equal(sw_mutex_lock(&m), 0);
    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, try_from_other_thread, &m);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, SW_EBUSY);
    pthread_create(&t, NULL, timed_from_other_thread, &m);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, SW_ETIMEDOUT);
    /* A trylock of a lock the thread holds is busy, like an error-checking
     * pthread mutex, not a violation. */
    assert_int_equal(sw_mutex_trylock(&m), SW_EBUSY);
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(sw_mutex_timedlock(&m, 10 * MS), 0);
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(sw_mutex_trylock(&m), 0);
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(sw_mutex_destroy(&m), 0);
}

static void mutex_recursive(void **state)
{
    (void)state;
    sw_mutex_t m = SW_RECURSIVE_MUTEX_INITIALIZER("recursive");
    assert_int_equal(sw_mutex_lock(&m), 0);
    assert_int_equal(sw_mutex_lock(&m), 0);
    assert_int_equal(sw_mutex_trylock(&m), 0);
    assert_int_equal(sw_mutex_timedlock(&m, MS), 0);
    sw_held_lock_t held[4];
    assert_int_equal(sw_held_locks(held, 4), 1); /* one hold, counted */
    for (int i = 0; i < 4; i++)
        assert_int_equal(sw_mutex_unlock(&m), 0);
    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, timed_from_other_thread, &m);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, 0); /* it locked it (and exited holding it) */
}

static void mutex_init_rejects_bad_flags(void **state)
{
    (void)state;
    sw_mutex_t m;
    assert_int_equal(sw_mutex_init(&m, "bad", 0x80), SW_EINVAL);
    assert_int_equal(sw_mutex_init(NULL, "bad", 0), SW_EINVAL);
}

/* ---- rwlock ---- */

static sw_rwlock_t rw = SW_RWLOCK_INITIALIZER("table_lock");
static sw_barrier_t readers_meet;

static void *read_together(void *arg)
{
    (void)arg;
    sw_rwlock_rdlock(&rw);
    /* Both readers inside at once, or this barrier never opens. */
    sw_barrier_wait(&readers_meet);
    sw_rwlock_unlock(&rw);
    return NULL;
}

static void rwlock_readers_share(void **state)
{
    (void)state;
    sw_barrier_init(&readers_meet, "readers_meet", 2);
    run_threads(2, read_together, NULL);
    sw_barrier_destroy(&readers_meet);
}

static void *try_write(void *arg)
{
    return (void *)(intptr_t)sw_rwlock_trywrlock(arg);
}

static void *try_read(void *arg)
{
    intptr_t rc = sw_rwlock_tryrdlock(arg);
    if (rc == 0)
        sw_rwlock_unlock(arg);
    return (void *)rc;
}

static void rwlock_writer_excludes(void **state)
{
    (void)state;
    sw_rwlock_t l;
    sw_rwlock_init(&l, "excl", 0);
    pthread_t t;
    void *ret;
    assert_int_equal(sw_rwlock_rdlock(&l), 0);
    assert_int_equal(sw_rwlock_rdlock(&l), 0); /* a second read hold */
    pthread_create(&t, NULL, try_write, &l);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, SW_EBUSY);
    pthread_create(&t, NULL, try_read, &l);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, 0);
    assert_int_equal(sw_rwlock_unlock(&l), 0);
    assert_int_equal(sw_rwlock_unlock(&l), 0);
    assert_int_equal(sw_rwlock_wrlock(&l), 0);
    pthread_create(&t, NULL, try_read, &l);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, SW_EBUSY);
    assert_int_equal(sw_rwlock_unlock(&l), 0);
    assert_int_equal(sw_rwlock_destroy(&l), 0);
}

static long rw_counter;

static void *rw_mixed(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS / 4; i++) {
        sw_rwlock_wrlock(&rw);
        rw_counter++;
        sw_rwlock_unlock(&rw);
        sw_rwlock_rdlock(&rw);
        long seen = rw_counter;
        sw_rwlock_unlock(&rw);
        (void)seen;
    }
    return NULL;
}

static void rwlock_writers_exclude_under_load(void **state)
{
    (void)state;
    rw_counter = 0;
    run_threads(THREADS, rw_mixed, NULL);
    assert_int_equal(rw_counter, (long)THREADS * (ROUNDS / 4));
}

/* ---- spinlock ---- */

static sw_spin_t spin = SW_SPIN_INITIALIZER("stats_spin");
static long spin_counter;

static void *count_with_spin(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_spin_lock(&spin);
        spin_counter++;
        sw_spin_unlock(&spin);
    }
    return NULL;
}

static void spin_excludes(void **state)
{
    (void)state;
    spin_counter = 0;
    run_threads(THREADS, count_with_spin, NULL);
    assert_int_equal(spin_counter, (long)THREADS * ROUNDS);
    assert_int_equal(sw_spin_trylock(&spin), 0);
    assert_int_equal(sw_spin_trylock(&spin), SW_EBUSY);
    assert_int_equal(sw_spin_unlock(&spin), 0);
}

/* ---- semaphores ---- */

static void *post_it(void *arg)
{
    sw_sem_post(arg);
    return NULL;
}

static void sem_counts(void **state)
{
    (void)state;
    sw_sem_t s;
    assert_int_equal(sw_sem_init(&s, "slots", 2), 0);
    assert_int_equal(sw_sem_trywait(&s), 0);
    assert_int_equal(sw_sem_wait(&s), 0);
    assert_int_equal(sw_sem_trywait(&s), SW_EAGAIN);
    assert_int_equal(sw_sem_timedwait(&s, 5 * MS), SW_ETIMEDOUT);
    pthread_t t;
    pthread_create(&t, NULL, post_it, &s);
    assert_int_equal(sw_sem_wait(&s), 0); /* woken by the post */
    pthread_join(t, NULL);
    assert_int_equal(sw_sem_value(&s), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(sw_sem_post(&s), 0);
    assert_int_equal(sw_sem_value(&s), 5);
    assert_int_equal(sw_sem_destroy(&s), 0);
}

static void sem_bounded_up_to_bound(void **state)
{
    (void)state;
    sw_sem_t s;
    assert_int_equal(sw_sem_init_bounded(&s, "pool", 3, 2), SW_EINVAL);
    assert_int_equal(sw_sem_init_bounded(&s, "pool", 0, 2), 0);
    assert_int_equal(sw_sem_post(&s), 0);
    assert_int_equal(sw_sem_post(&s), 0);
    assert_int_equal(sw_sem_value(&s), 2);
    assert_int_equal(sw_sem_wait(&s), 0);
    assert_int_equal(sw_sem_post(&s), 0);
}

/* ---- condition variable ---- */

static sw_mutex_t q_lock = SW_MUTEX_INITIALIZER("queue_lock");
static sw_cond_t q_cond = SW_COND_INITIALIZER("queue_nonempty");
static int q_items SW_GUARDED_BY(&q_lock);
static int q_taken;

static void *consume(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        sw_mutex_lock(&q_lock);
        while (q_items == 0)
            sw_cond_wait(&q_cond, &q_lock);
        q_items--;
        q_taken++;
        sw_mutex_unlock(&q_lock);
    }
    return NULL;
}

static void cond_producer_consumer(void **state)
{
    (void)state;
    q_items = 0;
    q_taken = 0;
    pthread_t t;
    pthread_create(&t, NULL, consume, NULL);
    for (int i = 0; i < 100; i++) {
        sw_mutex_lock(&q_lock);
        q_items++;
        sw_cond_signal(&q_cond);
        sw_mutex_unlock(&q_lock);
    }
    pthread_join(t, NULL);
    assert_int_equal(q_taken, 100);
    assert_int_equal(q_items, 0);
}

static void cond_timedwait_times_out_holding(void **state)
{
    (void)state;
    sw_mutex_t m = SW_RECURSIVE_MUTEX_INITIALIZER("rec_for_cond");
    sw_cond_t c;
    sw_cond_init(&c, "never", 0);
    sw_mutex_lock(&m);
    sw_mutex_lock(&m);
    assert_int_equal(sw_cond_timedwait(&c, &m, 5 * MS), SW_ETIMEDOUT);
    /* Back with both recursion levels. */
    assert_int_equal(sw_mutex_assert_held(&m), 0);
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(sw_mutex_assert_held(&m), 0);
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(sw_cond_destroy(&c), 0);
}

static int go;

static void *wait_for_go(void *arg)
{
    (void)arg;
    sw_mutex_lock(&q_lock);
    q_taken++;
    while (!go)
        sw_cond_wait(&q_cond, &q_lock);
    q_taken--;
    sw_mutex_unlock(&q_lock);
    return NULL;
}

static void cond_broadcast_wakes_all(void **state)
{
    (void)state;
    go = 0;
    q_taken = 0;
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, wait_for_go, NULL);
    for (;;) {
        sw_mutex_lock(&q_lock);
        int in = q_taken;
        if (in == 3) {
            go = 1;
            sw_cond_broadcast(&q_cond);
        }
        sw_mutex_unlock(&q_lock);
        if (in == 3)
            break;
        sched_yield();
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    assert_int_equal(q_taken, 0);
}

/* ---- event ---- */

static sw_event_t ready = SW_EVENT_INITIALIZER("ready");
static int payload;

static void *wait_ready(void *arg)
{
    (void)arg;
    sw_event_wait(&ready);
    return (void *)(intptr_t)payload;
}

static void event_set_wakes_and_stays(void **state)
{
    (void)state;
    assert_int_equal(sw_event_is_set(&ready), 0);
    assert_int_equal(sw_event_timedwait(&ready, 5 * MS), SW_ETIMEDOUT);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, wait_ready, NULL);
    payload = 42;
    assert_int_equal(sw_event_set(&ready), 0);
    for (int i = 0; i < 3; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        assert_int_equal((intptr_t)ret, 42);
    }
    assert_int_equal(sw_event_is_set(&ready), 1);
    assert_int_equal(sw_event_wait(&ready), 0);
    assert_int_equal(sw_event_timedwait(&ready, 0), 0);
    assert_int_equal(sw_event_clear(&ready), 0);
    assert_int_equal(sw_event_is_set(&ready), 0);
    assert_int_equal(sw_event_timedwait(&ready, MS), SW_ETIMEDOUT);
}

/* ---- barrier ---- */

static sw_barrier_t phases;
static int serials[3];
static int arrived[3];

static void *three_phases(void *arg)
{
    (void)arg;
    for (int p = 0; p < 3; p++) {
        __atomic_fetch_add(&arrived[p], 1, __ATOMIC_SEQ_CST);
        int rc = sw_barrier_wait(&phases);
        /* Everyone has arrived at phase p before anyone leaves it. */
        if (__atomic_load_n(&arrived[p], __ATOMIC_SEQ_CST) != THREADS)
            __atomic_fetch_add(&serials[p], 100, __ATOMIC_SEQ_CST);
        if (rc == SW_BARRIER_SERIAL)
            __atomic_fetch_add(&serials[p], 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

static void barrier_phases(void **state)
{
    (void)state;
    assert_int_equal(sw_barrier_init(&phases, "phases", 0), SW_EINVAL);
    assert_int_equal(sw_barrier_init(&phases, "phases", THREADS), 0);
    run_threads(THREADS, three_phases, NULL);
    for (int p = 0; p < 3; p++)
        assert_int_equal(serials[p], 1);
    assert_int_equal(sw_barrier_destroy(&phases), 0);
}

/* ---- once ---- */

static sw_once_t init_once = SW_ONCE_INITIALIZER("init_once");
static int init_runs;

static void init_fn(void)
{
    __atomic_fetch_add(&init_runs, 1, __ATOMIC_SEQ_CST);
    sched_yield();
}

static void *call_once(void *arg)
{
    (void)arg;
    sw_once(&init_once, init_fn);
    return (void *)(intptr_t)__atomic_load_n(&init_runs, __ATOMIC_SEQ_CST);
}

static void once_runs_once(void **state)
{
    (void)state;
    run_threads(THREADS, call_once, NULL);
    assert_int_equal(init_runs, 1);
    assert_int_equal(sw_once(&init_once, init_fn), 0);
    assert_int_equal(init_runs, 1);
    assert_int_equal(sw_once(NULL, init_fn), SW_EINVAL);
}

/* ---- errors and the held list ---- */

static void strerror_from_one_list(void **state)
{
    (void)state;
    static const int codes[] = {
#define CODE(name, value, msg) SW_##name,
        SW_ERRNO_MAP(CODE)
#undef CODE
    };
    size_t n = sizeof codes / sizeof codes[0];
    for (size_t i = 0; i < n; i++) {
        assert_true(codes[i] < 0);
        assert_string_not_equal(sw_strerror(codes[i]), "unknown error");
        assert_string_not_equal(sw_errname(codes[i]), "E?");
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(sw_strerror(codes[i]), sw_strerror(codes[j]));
    }
    assert_string_equal(sw_errname(SW_EPERM), "EPERM");
    assert_string_equal(sw_strerror(0), "success");
    assert_string_equal(sw_strerror(12345), "unknown error");
    assert_string_equal(sw_errname(-999), "E?");
}

static void held_locks_oldest_first(void **state)
{
    (void)state;
    sw_mutex_t a = SW_MUTEX_INITIALIZER("a");
    sw_spin_t b = SW_SPIN_INITIALIZER("b");
    sw_rwlock_t c = SW_RWLOCK_INITIALIZER("c");
    sw_mutex_lock(&a);
    sw_spin_lock(&b);
    sw_rwlock_rdlock(&c);
    sw_held_lock_t held[8];
    assert_int_equal(sw_held_locks(held, 8), 3);
    assert_string_equal(held[0].obj->name, "a");
    assert_string_equal(held[1].obj->name, "b");
    assert_string_equal(held[2].obj->name, "c");
    assert_int_equal(held[2].shared, 1);
    /* Released out of order: the others stay in order. */
    sw_spin_unlock(&b);
    assert_int_equal(sw_held_locks(held, 8), 2);
    assert_string_equal(held[1].obj->name, "c");
    sw_rwlock_unlock(&c);
    sw_mutex_unlock(&a);
    assert_int_equal(sw_held_locks(held, 8), 0);
}

static void many_held_locks_overflow_the_stack(void **state)
{
    (void)state;
    enum { N = 40 };
    static sw_mutex_t m[N];
    for (int i = 0; i < N; i++)
        sw_mutex_init(&m[i], "many", 0);
    for (int i = 0; i < N; i++)
        assert_int_equal(sw_mutex_lock(&m[i]), 0);
    sw_held_lock_t held[N];
    assert_int_equal(sw_held_locks(held, N), N);
    for (int i = 0; i < N; i++)
        assert_int_equal(sw_mutex_unlock(&m[i]), 0);
    assert_int_equal(sw_held_locks(held, N), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mutex_excludes),
        cmocka_unit_test(mutex_try_and_timed),
        cmocka_unit_test(mutex_recursive),
        cmocka_unit_test(mutex_init_rejects_bad_flags),
        cmocka_unit_test(rwlock_readers_share),
        cmocka_unit_test(rwlock_writer_excludes),
        cmocka_unit_test(rwlock_writers_exclude_under_load),
        cmocka_unit_test(spin_excludes),
        cmocka_unit_test(sem_counts),
        cmocka_unit_test(sem_bounded_up_to_bound),
        cmocka_unit_test(cond_producer_consumer),
        cmocka_unit_test(cond_timedwait_times_out_holding),
        cmocka_unit_test(cond_broadcast_wakes_all),
        cmocka_unit_test(event_set_wakes_and_stays),
        cmocka_unit_test(barrier_phases),
        cmocka_unit_test(once_runs_once),
        cmocka_unit_test(strerror_from_one_list),
        cmocka_unit_test(held_locks_oldest_first),
        cmocka_unit_test(many_held_locks_overflow_the_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
