/* /usr/bin/python3 under the shim (hooks_prog_threading.py): threading's
 * Lock, RLock, Condition, Semaphore and Event are sem_t locks of value 1
 * (architecture.md fact 16), seen as sem_init, sem_trywait acquisitions, sem_post
 * releases (also by a thread that did not acquire), and a timed acquire
 * that times out (sem_clockwait, ETIMEDOUT). */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

#ifndef HK_PY_PROG
#error "HK_PY_PROG (path of hooks_prog_threading.py) must be defined by the build"
#endif

/* The kind of lock id, from its LOCK_NEW. */
static unsigned kind_of(uint64_t lock)
{
    for (size_t i = 0; i < hk_group.nrecs; i++)
        if (hk_group.recs[i].type == SWT_REC_LOCK_NEW && hk_group.recs[i].f[0] == lock)
            return (unsigned)hk_group.recs[i].f[1];
    return 0;
}

static size_t count_on_sems(unsigned type, unsigned with)
{
    size_t n = 0;
    for (size_t i = 0; i < hk_group.nrecs; i++) {
        const struct swt_rec *r = &hk_group.recs[i];
        if (r->type == type && kind_of(r->f[0]) == SWT_KIND_SEM &&
            (type == SWT_REC_SEM_POST || (r->f[1] & with) == with))
            n++;
    }
    return n;
}

static void test_python_locks_are_value_one_semaphores(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < hk_group.nrecs; i++) {
        const struct swt_rec *r = &hk_group.recs[i];
        if (r->type == SWT_REC_LOCK_NEW && r->f[1] == SWT_KIND_SEM && r->f[10] == 1)
            n++;
    }
    /* lock, rlock, the Condition's lock, the Semaphore's and the Event's
     * conditions' locks, and the waiter locks. */
    assert_true(n >= 6);
}

static void test_acquire_is_trywait_release_is_post(void **state)
{
    (void)state;
    assert_true(count_on_sems(SWT_REC_ACQUIRE, SWT_ACQ_TRY) >= 6);
    assert_true(count_on_sems(SWT_REC_SEM_POST, 0) >= 6);
}

static void test_timed_acquire_times_out(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < hk_group.nrecs; i++) {
        const struct swt_rec *r = &hk_group.recs[i];
        if (r->type == SWT_REC_FAIL && kind_of(r->f[0]) == SWT_KIND_SEM &&
            (r->f[1] & SWT_ACQ_TIMED) && r->f[3] == ETIMEDOUT)
            n++;
    }
    assert_true(n >= 1);
}

static void test_release_by_another_thread(void **state)
{
    (void)state;
    /* A post on a semaphore whose latest acquisition was by another thread:
     * Condition.notify releasing the waiter's lock. */
    int found = 0;
    for (size_t i = 0; i < hk_group.nrecs && !found; i++) {
        const struct swt_rec *p = &hk_group.recs[i];
        if (p->type != SWT_REC_SEM_POST)
            continue;
        const struct swt_rec *last = NULL;
        for (size_t j = 0; j < hk_group.nrecs; j++) {
            const struct swt_rec *a = &hk_group.recs[j];
            if (a->type == SWT_REC_ACQUIRE && a->f[0] == p->f[0] && a->ns <= p->ns &&
                (!last || a->ns >= last->ns))
                last = a;
        }
        found = last && last->thread != p->thread;
    }
    assert_true(found);
}

int main(int argc, char **argv)
{
    if (access("/usr/bin/python3", X_OK) != 0) {
        print_error("/usr/bin/python3 is required by this test\n");
        return 1;
    }
    static char *argv_run[] = {"/usr/bin/python3", "-S", HK_PY_PROG, NULL};
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_locks_are_value_one_semaphores),
        cmocka_unit_test(test_acquire_is_trywait_release_is_post),
        cmocka_unit_test(test_timed_acquire_times_out),
        cmocka_unit_test(test_release_by_another_thread),
    };
    const struct hk_suite suite = {
        .argv = argv_run,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
