/* Unit tests of libsyncwatch-sync's checks: each misuse is reported at the
 * call that does it, through the violation handler (replaced here; the
 * default one is run in child processes), and the call returns its error
 * without doing anything -- except an ORDER violation, which still locks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syncwatch/sync.h"

#define MS 1000000ull

/* What the test handler saw. */
static struct {
    int count;
    enum sw_violation_kind kind;
    int error;
    char op[64];
    char name[64];
    char other[64];
    unsigned nheld;
} seen;

static void record(const sw_violation_t *v, void *arg)
{
    (void)arg;
    seen.count++;
    seen.kind = v->kind;
    seen.error = v->error;
    snprintf(seen.op, sizeof seen.op, "%s", v->op);
    snprintf(seen.name, sizeof seen.name, "%s", v->name);
    snprintf(seen.other, sizeof seen.other, "%s", v->other ? v->other->name : "");
    seen.nheld = v->nheld;
}

static int setup(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof seen);
    sw_set_violation_handler(record, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sw_set_violation_handler(NULL, NULL);
    return 0;
}

static void expect_violation(enum sw_violation_kind kind, int error, const char *name)
{
    assert_int_equal(seen.count, 1);
    assert_string_equal(sw_violation_name(seen.kind), sw_violation_name(kind));
    assert_int_equal(seen.error, error);
    assert_string_equal(seen.name, name);
    memset(&seen, 0, sizeof seen);
}

static void *unlock_it(void *arg)
{
    return (void *)(intptr_t)sw_mutex_unlock(arg);
}

static void unlock_by_other_thread(void **state)
{
    (void)state;
    sw_mutex_t m = SW_MUTEX_INITIALIZER("cache_lock");
    sw_mutex_lock(&m);
    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, unlock_it, &m);
    pthread_join(t, &ret);
    assert_int_equal((intptr_t)ret, SW_EPERM);
    expect_violation(SW_V_UNLOCK_NOT_OWNER, SW_EPERM, "cache_lock");
    assert_int_equal(sw_mutex_assert_held(&m), 0); /* still ours */
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(seen.count, 0);
}

static void double_unlock(void **state)
{
    (void)state;
    sw_mutex_t m = SW_MUTEX_INITIALIZER("cache_lock");
    sw_mutex_lock(&m);
    sw_mutex_unlock(&m);
    assert_int_equal(sw_mutex_unlock(&m), SW_EPERM);
    expect_violation(SW_V_UNLOCK_NOT_LOCKED, SW_EPERM, "cache_lock");
    sw_spin_t s = SW_SPIN_INITIALIZER("spin");
    assert_int_equal(sw_spin_unlock(&s), SW_EPERM);
    expect_violation(SW_V_UNLOCK_NOT_LOCKED, SW_EPERM, "spin");
    sw_rwlock_t rw = SW_RWLOCK_INITIALIZER("rw");
    assert_int_equal(sw_rwlock_unlock(&rw), SW_EPERM);
    expect_violation(SW_V_UNLOCK_NOT_LOCKED, SW_EPERM, "rw");
}

static void relock_is_reported_not_hung(void **state)
{
    (void)state;
    sw_mutex_t m = SW_MUTEX_INITIALIZER("config_lock");
    sw_mutex_lock(&m);
    assert_int_equal(sw_mutex_lock(&m), SW_EDEADLK);
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "config_lock");
    assert_int_equal(sw_mutex_timedlock(&m, MS), SW_EDEADLK);
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "config_lock");
    assert_int_equal(sw_mutex_unlock(&m), 0);
    assert_int_equal(seen.count, 0); /* held once, released once */

    sw_spin_t s = SW_SPIN_INITIALIZER("spin");
    sw_spin_lock(&s);
    assert_int_equal(sw_spin_lock(&s), SW_EDEADLK);
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "spin");
    sw_spin_unlock(&s);

    sw_rwlock_t rw = SW_RWLOCK_INITIALIZER("rw");
    sw_rwlock_rdlock(&rw);
    assert_int_equal(sw_rwlock_wrlock(&rw), SW_EDEADLK); /* upgrade */
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "rw");
    sw_rwlock_unlock(&rw);
    sw_rwlock_wrlock(&rw);
    assert_int_equal(sw_rwlock_rdlock(&rw), SW_EDEADLK);
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "rw");
    assert_int_equal(sw_rwlock_wrlock(&rw), SW_EDEADLK);
    expect_violation(SW_V_RELOCK, SW_EDEADLK, "rw");
    sw_rwlock_unlock(&rw);
    assert_int_equal(seen.count, 0);
}

static void *wait_on_cond(void *arg)
{
    sw_cond_t *c = arg;
    static sw_mutex_t m = SW_MUTEX_INITIALIZER("waiter_lock");
    sw_mutex_lock(&m);
    sw_cond_wait(c, &m);
    sw_mutex_unlock(&m);
    return NULL;
}

static void *wait_on_sem(void *arg)
{
    sw_sem_wait(arg);
    return NULL;
}

static void *wait_on_event(void *arg)
{
    sw_event_wait(arg);
    return NULL;
}

/* Spins until the object's waiter count (a field the destroy check reads)
 * shows the thread asleep: tests never sleep for a time. */
static void until_waiting(const uint32_t *waiters)
{
    while (__atomic_load_n(waiters, __ATOMIC_SEQ_CST) == 0)
        sched_yield();
}

static void destroy_held_or_waited(void **state)
{
    (void)state;
    sw_mutex_t m;
    sw_mutex_init(&m, "held", 0);
    sw_mutex_lock(&m);
    assert_int_equal(sw_mutex_destroy(&m), SW_EBUSY);
    expect_violation(SW_V_DESTROY_HELD, SW_EBUSY, "held");
    sw_mutex_unlock(&m);
    assert_int_equal(sw_mutex_destroy(&m), 0);

    sw_rwlock_t rw;
    sw_rwlock_init(&rw, "rw_held", 0);
    sw_rwlock_rdlock(&rw);
    assert_int_equal(sw_rwlock_destroy(&rw), SW_EBUSY);
    expect_violation(SW_V_DESTROY_HELD, SW_EBUSY, "rw_held");
    sw_rwlock_unlock(&rw);
    assert_int_equal(sw_rwlock_destroy(&rw), 0);

    sw_spin_t s;
    sw_spin_init(&s, "spin_held", 0);
    sw_spin_lock(&s);
    assert_int_equal(sw_spin_destroy(&s), SW_EBUSY);
    expect_violation(SW_V_DESTROY_HELD, SW_EBUSY, "spin_held");
    sw_spin_unlock(&s);
    assert_int_equal(sw_spin_destroy(&s), 0);

    pthread_t t;
    sw_cond_t c;
    sw_cond_init(&c, "cond_waited", 0);
    pthread_create(&t, NULL, wait_on_cond, &c);
    until_waiting(&c.waiters);
    assert_int_equal(sw_cond_destroy(&c), SW_EBUSY);
    expect_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "cond_waited");
    while (__atomic_load_n(&c.waiters, __ATOMIC_SEQ_CST) != 0)
        sw_cond_signal(&c);
    pthread_join(t, NULL);
    assert_int_equal(sw_cond_destroy(&c), 0);

    sw_sem_t sem;
    sw_sem_init(&sem, "sem_waited", 0);
    pthread_create(&t, NULL, wait_on_sem, &sem);
    until_waiting(&sem.waiters);
    assert_int_equal(sw_sem_destroy(&sem), SW_EBUSY);
    expect_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sem_waited");
    sw_sem_post(&sem);
    pthread_join(t, NULL);
    assert_int_equal(sw_sem_destroy(&sem), 0);

    sw_event_t e;
    sw_event_init(&e, "event_waited", 0);
    pthread_create(&t, NULL, wait_on_event, &e);
    until_waiting(&e.waiters);
    assert_int_equal(sw_event_destroy(&e), SW_EBUSY);
    expect_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "event_waited");
    sw_event_set(&e);
    pthread_join(t, NULL);
    assert_int_equal(sw_event_destroy(&e), 0);
}

static void use_before_init_and_after_destroy(void **state)
{
    (void)state;
    sw_mutex_t m;
    memset(&m, 0, sizeof m);
    assert_int_equal(sw_mutex_lock(&m), SW_EUNINIT);
    expect_violation(SW_V_UNINIT, SW_EUNINIT, "?");
    sw_mutex_init(&m, "gone", 0);
    sw_mutex_destroy(&m);
    assert_int_equal(sw_mutex_lock(&m), SW_EDESTROYED);
    expect_violation(SW_V_DESTROYED, SW_EDESTROYED, "?");
    assert_int_equal(sw_mutex_destroy(&m), SW_EDESTROYED);
    expect_violation(SW_V_DESTROYED, SW_EDESTROYED, "?");

    sw_sem_t s;
    memset(&s, 0, sizeof s);
    assert_int_equal(sw_sem_post(&s), SW_EUNINIT);
    expect_violation(SW_V_UNINIT, SW_EUNINIT, "?");
    sw_event_t e;
    memset(&e, 0, sizeof e);
    assert_int_equal(sw_event_set(&e), SW_EUNINIT);
    expect_violation(SW_V_UNINIT, SW_EUNINIT, "?");
    sw_rwlock_t rw;
    memset(&rw, 0, sizeof rw);
    assert_int_equal(sw_rwlock_rdlock(&rw), SW_EUNINIT);
    expect_violation(SW_V_UNINIT, SW_EUNINIT, "?");
    /* A mutex is not a spinlock. */
    sw_mutex_t not_spin = SW_MUTEX_INITIALIZER("m");
    assert_int_equal(sw_spin_lock((sw_spin_t *)(void *)&not_spin), SW_EUNINIT);
    expect_violation(SW_V_UNINIT, SW_EUNINIT, "?");
}

static void bounded_sem_over_release(void **state)
{
    (void)state;
    sw_sem_t s = SW_BOUNDED_SEM_INITIALIZER("conn_pool", 1, 1);
    assert_int_equal(sw_sem_post(&s), SW_EOVERFLOW);
    expect_violation(SW_V_OVER_RELEASE, SW_EOVERFLOW, "conn_pool");
    assert_int_equal(sw_sem_value(&s), 1);
    sw_sem_wait(&s);
    assert_int_equal(sw_sem_post(&s), 0);
    assert_int_equal(seen.count, 0);
}

static void asserts_held_and_not_held(void **state)
{
    (void)state;
    sw_mutex_t m = SW_MUTEX_INITIALIZER("asserted");
    assert_int_equal(sw_mutex_assert_not_held(&m), 0);
    assert_int_equal(sw_mutex_assert_held(&m), SW_EPERM);
    expect_violation(SW_V_ASSERT_HELD, SW_EPERM, "asserted");
    sw_mutex_lock(&m);
    assert_int_equal(sw_mutex_assert_held(&m), 0);
    assert_int_equal(sw_mutex_assert_not_held(&m), SW_EDEADLK);
    expect_violation(SW_V_ASSERT_NOT_HELD, SW_EDEADLK, "asserted");
    sw_mutex_unlock(&m);
}

static void cond_wait_without_mutex(void **state)
{
    (void)state;
    sw_mutex_t m = SW_MUTEX_INITIALIZER("q_lock");
    sw_cond_t c = SW_COND_INITIALIZER("q_cond");
    assert_int_equal(sw_cond_wait(&c, &m), SW_EPERM);
    expect_violation(SW_V_COND_NOT_HELD, SW_EPERM, "q_cond");
}

static const sw_lock_class_t db_class = SW_LOCK_CLASS("db", 1);
static const sw_lock_class_t cache_class = SW_LOCK_CLASS("cache", 2);
static const sw_lock_class_t log_class = SW_LOCK_CLASS("log", 2);

static void order_by_rank(void **state)
{
    (void)state;
    sw_mutex_t db = SW_MUTEX_INITIALIZER_FLAGS("db_lock", 0, &db_class);
    sw_mutex_t cache = SW_MUTEX_INITIALIZER("cache_lock");
    sw_mutex_set_class(&cache, &cache_class);
    sw_rwlock_t log = SW_RWLOCK_INITIALIZER_CLASS("log_lock", &log_class);

    /* In order: nothing. */
    sw_mutex_lock(&db);
    sw_mutex_lock(&cache);
    sw_mutex_unlock(&cache);
    sw_mutex_unlock(&db);
    assert_int_equal(seen.count, 0);

    /* Out of order, on the first wrong acquisition; the lock is taken. */
    sw_mutex_lock(&cache);
    assert_int_equal(sw_mutex_lock(&db), 0);
    assert_int_equal(seen.nheld, 1);
    assert_string_equal(seen.other, "cache_lock");
    expect_violation(SW_V_ORDER, SW_EORDER, "db_lock");
    assert_int_equal(sw_mutex_assert_held(&db), 0);
    sw_mutex_unlock(&db);

    /* The same rank nests neither way. */
    assert_int_equal(sw_rwlock_rdlock(&log), 0);
    expect_violation(SW_V_ORDER, SW_EORDER, "log_lock");
    sw_rwlock_unlock(&log);
    sw_mutex_unlock(&cache);
    assert_int_equal(seen.count, 0);

    /* A trylock never waits, so it is not checked. */
    sw_mutex_lock(&cache);
    assert_int_equal(sw_mutex_trylock(&db), 0);
    assert_int_equal(seen.count, 0);
    sw_mutex_unlock(&db);
    sw_mutex_unlock(&cache);
}

static const sw_lock_class_t table_class = SW_LOCK_CLASS("table", 0);
static const sw_lock_class_t row_class = SW_LOCK_CLASS_AFTER("row", 0, &table_class);

static void order_by_declared_after(void **state)
{
    (void)state;
    sw_spin_t table = SW_SPIN_INITIALIZER_CLASS("table_lock", &table_class);
    sw_mutex_t row = SW_MUTEX_INITIALIZER_FLAGS("row_lock", 0, &row_class);
    sw_mutex_t plain = SW_MUTEX_INITIALIZER("plain");
    sw_spin_lock(&table);
    sw_mutex_lock(&row);
    sw_mutex_lock(&plain); /* no class: no order */
    sw_mutex_unlock(&plain);
    sw_mutex_unlock(&row);
    sw_spin_unlock(&table);
    assert_int_equal(seen.count, 0);

    sw_mutex_lock(&row);
    assert_int_equal(sw_spin_lock(&table), 0);
    assert_string_equal(seen.other, "row_lock");
    expect_violation(SW_V_ORDER, SW_EORDER, "table_lock");
    sw_spin_unlock(&table);
    sw_mutex_unlock(&row);
}

static void report_names_lock_and_holds(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    sw_mutex_t db = SW_MUTEX_INITIALIZER_FLAGS("db_lock", 0, &db_class);
    sw_mutex_t cache = SW_MUTEX_INITIALIZER_FLAGS("cache_lock", 0, &cache_class);
    sw_held_lock_t held[2];
    sw_mutex_lock(&cache);
    unsigned n = sw_held_locks(held, 2);
    sw_violation_t v = {
        .kind = SW_V_ORDER, .error = SW_EORDER, .what = sw_violation_what(SW_V_ORDER),
        .op = "sw_mutex_lock", .object = &db, .type = "mutex", .name = "db_lock",
        .other = &cache.obj, .held = held, .nheld = n,
    };
    sw_violation_write(p[1], &v);
    sw_mutex_unlock(&cache);
    close(p[1]);
    char buf[2048];
    ssize_t len = read(p[0], buf, sizeof buf - 1);
    close(p[0]);
    assert_true(len > 0);
    buf[len] = 0;
    assert_non_null(strstr(buf, "violation ORDER"));
    assert_non_null(strstr(buf, "sw_mutex_lock on mutex \"db_lock\""));
    assert_non_null(strstr(buf, "taken while holding mutex \"cache_lock\""));
    assert_non_null(strstr(buf, "class \"cache\" rank 2"));
    assert_non_null(strstr(buf, "#0 mutex \"cache_lock\""));
}

/* The default handler, in a child: a report on stderr, then abort unless
 * SYNCWATCH_ON_VIOLATION=report. */
static int run_default_handler(const char *on_violation, char *err, size_t errlen)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        if (on_violation)
            setenv("SYNCWATCH_ON_VIOLATION", on_violation, 1);
        sw_set_violation_handler(NULL, NULL);
        sw_mutex_t m = SW_MUTEX_INITIALIZER("twice_unlocked");
        int rc = sw_mutex_unlock(&m);
        _exit(rc == SW_EPERM ? 7 : 8);
    }
    close(p[1]);
    size_t off = 0;
    ssize_t r;
    while (off + 1 < errlen && (r = read(p[0], err + off, errlen - 1 - off)) > 0)
        off += (size_t)r;
    err[off] = 0;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    return status;
}

static void default_handler_reports_and_aborts(void **state)
{
    (void)state;
    char err[8192];
    int status = run_default_handler(NULL, err, sizeof err);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    assert_non_null(strstr(err, "violation UNLOCK_NOT_LOCKED"));
    assert_non_null(strstr(err, "\"twice_unlocked\""));
    assert_non_null(strstr(err, "backtrace:"));
    assert_non_null(strstr(err, "aborting"));

    status = run_default_handler("report", err, sizeof err);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
    assert_non_null(strstr(err, "violation UNLOCK_NOT_LOCKED"));
    assert_null(strstr(err, "aborting"));
}

static void violation_names_from_one_list(void **state)
{
    (void)state;
    assert_string_equal(sw_violation_name(SW_V_RELOCK), "RELOCK");
    assert_string_equal(sw_violation_name(SW_V_COUNT), "?");
    for (int k = 0; k < SW_V_COUNT; k++)
        assert_true(strlen(sw_violation_what((enum sw_violation_kind)k)) > 10);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(unlock_by_other_thread),
        T(double_unlock),
        T(relock_is_reported_not_hung),
        T(destroy_held_or_waited),
        T(use_before_init_and_after_destroy),
        T(bounded_sem_over_release),
        T(asserts_held_and_not_held),
        T(cond_wait_without_mutex),
        T(order_by_rank),
        T(order_by_declared_after),
        T(report_names_lock_and_holds),
        T(default_handler_reports_and_aborts),
        T(violation_names_from_one_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
