/* The semaphore hooks under the shim: LOCK_NEW with the initial value,
 * errno exactly as glibc sets it (EAGAIN, ETIMEDOUT, EINVAL for a bad
 * deadline even when the semaphore is available, untouched on success),
 * a post by another thread waking a waiter, the value after a post,
 * cancellation (in a blocked wait, and pending at an available one), and
 * named semaphores (one identity per address however often it is opened,
 * destroyed at the last close). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

/* ---- workload (runs under the shim) ---- */

static sem_t s1; /* value 1: a lock, as CPython uses it */
static sem_t s0; /* value 0: a signal */
static sem_t s2; /* value 2, process-shared */
static sem_t ea, eb; /* two locks, for the lock-order edges */
static volatile pid_t helper_tid;

static void *wait_s0(void *arg)
{
    (void)arg;
    helper_tid = gettid();
    return (void *)(intptr_t)(sem_wait(&s0) == 0);
}

static void *cancel_self_then_wait(void *arg)
{
    (void)arg;
    pthread_cancel(pthread_self());
    sem_wait(&s1); /* a cancellation point even though s1 is available */
    return NULL;
}

static int value_of(sem_t *s)
{
    int v = -1;
    sem_getvalue(s, &v);
    return v;
}

static int workload_sem(void)
{
    HK_CHECK(sem_init(&s1, 0, 1) == 0);
    HK_CHECK(sem_init(&s0, 0, 0) == 0);
    HK_CHECK(sem_init(&s2, 1, 2) == 0);
    printf("s1=%p\ns0=%p\ns2=%p\n", (void *)&s1, (void *)&s0, (void *)&s2);

    /* Success leaves errno alone. */
    errno = 1234;
    HK_CHECK(sem_wait(&s1) == 0);
    HK_CHECK(errno == 1234);
    HK_CHECK(sem_post(&s1) == 0);
    HK_CHECK(errno == 1234);

    /* Failures set exactly glibc's errno. */
    errno = 0;
    HK_CHECK(sem_trywait(&s0) == -1 && errno == EAGAIN);
    struct timespec past;
    clock_gettime(CLOCK_REALTIME, &past);
    past.tv_sec -= 1;
    errno = 0;
    HK_CHECK(sem_timedwait(&s0, &past) == -1 && errno == ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &past);
    past.tv_sec -= 1;
    errno = 0;
    HK_CHECK(sem_clockwait(&s0, CLOCK_MONOTONIC, &past) == -1 && errno == ETIMEDOUT);
    struct timespec bad = {.tv_sec = 0, .tv_nsec = 1000000000L};
    errno = 0;
    HK_CHECK(sem_timedwait(&s1, &bad) == -1 && errno == EINVAL);
    errno = 0;
    HK_CHECK(sem_clockwait(&s1, CLOCK_PROCESS_CPUTIME_ID, &past) == -1 && errno == EINVAL);
    HK_CHECK(value_of(&s1) == 1); /* not taken by the rejected calls */

    /* Value after a post. */
    HK_CHECK(sem_post(&s2) == 0);
    HK_CHECK(value_of(&s2) == 3);

    /* A waiter woken by main's post. */
    pthread_t th;
    void *res = NULL;
    HK_CHECK(pthread_create(&th, NULL, wait_s0, NULL) == 0);
    while (helper_tid == 0)
        usleep(1000);
    hk_wait_blocked(helper_tid);
    HK_CHECK(sem_post(&s0) == 0);
    pthread_join(th, &res);
    HK_CHECK(res != NULL);

    /* Cancelled while blocked. */
    helper_tid = 0;
    HK_CHECK(pthread_create(&th, NULL, wait_s0, NULL) == 0);
    while (helper_tid == 0)
        usleep(1000);
    hk_wait_blocked(helper_tid);
    HK_CHECK(pthread_cancel(th) == 0);
    pthread_join(th, &res);
    HK_CHECK(res == PTHREAD_CANCELED);

    /* A pending cancellation acts at sem_wait even when it would not block. */
    HK_CHECK(pthread_create(&th, NULL, cancel_self_then_wait, NULL) == 0);
    pthread_join(th, &res);
    HK_CHECK(res == PTHREAD_CANCELED);
    HK_CHECK(value_of(&s1) == 1);

    /* Named: opened twice (same address), closed twice. */
    char name[64];
    snprintf(name, sizeof name, "/swhk-%d", (int)getpid());
    sem_unlink(name);
    errno = 0;
    HK_CHECK(sem_open(name, 0) == SEM_FAILED && errno == ENOENT);
    sem_t *a = sem_open(name, O_CREAT | O_EXCL, 0600, 3);
    HK_CHECK(a != SEM_FAILED);
    sem_t *b = sem_open(name, 0);
    HK_CHECK(b == a);
    printf("named=%p\nname=%s\n", (void *)a, name);
    HK_CHECK(sem_wait(a) == 0);
    HK_CHECK(sem_post(b) == 0);
    HK_CHECK(sem_close(a) == 0);
    HK_CHECK(sem_close(b) == 0);
    HK_CHECK(sem_unlink(name) == 0);

    /* A holder's own post ends its hold: taking eb after posting ea is no
     * ea -> eb order; taking eb while holding ea is. */
    HK_CHECK(sem_init(&ea, 0, 1) == 0);
    HK_CHECK(sem_init(&eb, 0, 1) == 0);
    printf("ea=%p\neb=%p\n", (void *)&ea, (void *)&eb);
    HK_CHECK(sem_wait(&ea) == 0);
    HK_CHECK(sem_post(&ea) == 0);
    HK_CHECK(sem_wait(&eb) == 0);
    HK_CHECK(sem_post(&eb) == 0);
    HK_CHECK(sem_wait(&eb) == 0);
    HK_CHECK(sem_wait(&ea) == 0);
    HK_CHECK(sem_post(&ea) == 0);
    HK_CHECK(sem_post(&eb) == 0);

    HK_CHECK(sem_destroy(&s1) == 0);
    return 0;
}

/* sem_post is async-signal-safe: a handler posting while the interrupted
 * thread may be inside a semaphore hook itself must neither deadlock nor
 * lose a post.  The signal is the CPU-time profiling timer, so it lands
 * wherever the thread is busy: mostly inside the hooks. */
#define SIGNALS_WANTED 20

static sem_t sig_sem;
static volatile sig_atomic_t handled;

static void on_prof(int sig)
{
    (void)sig;
    int saved = errno;
    sem_post(&sig_sem);
    handled = handled + 1;
    errno = saved;
}

static int workload_signal(void)
{
    static sem_t lock;
    HK_CHECK(sem_init(&lock, 0, 1) == 0);
    HK_CHECK(sem_init(&sig_sem, 0, 0) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_prof;
    sa.sa_flags = SA_RESTART;
    HK_CHECK(sigaction(SIGPROF, &sa, NULL) == 0);
    struct itimerval every = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
    HK_CHECK(setitimer(ITIMER_PROF, &every, NULL) == 0);
    while (handled < SIGNALS_WANTED) {
        while (sem_wait(&lock) != 0)
            HK_CHECK(errno == EINTR);
        HK_CHECK(sem_post(&lock) == 0);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    HK_CHECK(setitimer(ITIMER_PROF, &off, NULL) == 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* a stable count from here */
    int value = -1;
    HK_CHECK(sem_getvalue(&sig_sem, &value) == 0);
    HK_CHECK(value == (int)handled);
    return 0;
}

/* Process-shared semaphores used by a fork child: an unnamed one in a
 * MAP_SHARED mapping and a named one (unlinked at once, as
 * multiprocessing does under fork).  Both traces must agree on which lock
 * is which: the same (device, inode, offset). */
static int workload_pshared(void)
{
    sem_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    HK_CHECK(shm != MAP_FAILED);
    sem_t *anon = shm + 1; /* a nonzero offset in the mapping */
    HK_CHECK(sem_init(anon, 1, 1) == 0);
    char name[64];
    snprintf(name, sizeof name, "/swhk-ps-%d", (int)getpid());
    sem_t *named = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    HK_CHECK(named != SEM_FAILED);
    HK_CHECK(sem_unlink(name) == 0);
    printf("anon=%p\nnamed=%p\n", (void *)anon, (void *)named);
    fflush(stdout);
    pid_t pid = fork();
    HK_CHECK(pid >= 0);
    if (pid == 0) {
        int ok = sem_wait(anon) == 0 && sem_post(anon) == 0 && sem_wait(named) == 0 &&
                 sem_post(named) == 0;
        _exit(ok ? 0 : 1);
    }
    printf("child=%d\n", (int)pid);
    int status = 0;
    HK_CHECK(waitpid(pid, &status, 0) == pid);
    HK_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    HK_CHECK(sem_wait(anon) == 0 && sem_post(anon) == 0);
    HK_CHECK(sem_close(named) == 0);
    return 0;
}

static const struct hk_workload workloads[] = {
    {"sem", workload_sem},
    {"pshared", workload_pshared},
    {"signal", workload_signal},
    {NULL, NULL},
};

/* ---- tests (read the trace) ---- */

static uint32_t s1_id, s0_id, s2_id;

static void look_up(void)
{
    s1_id = hk_id("s1");
    s0_id = hk_id("s0");
    s2_id = hk_id("s2");
}

static void test_lock_new_values(void **state)
{
    (void)state;
    const struct swt_rec *l1 = hk_new("s1");
    const struct swt_rec *l2 = hk_new("s2");
    assert_non_null(l1);
    assert_non_null(l2);
    assert_int_equal(l1->f[1], SWT_KIND_SEM);
    assert_int_equal(l1->f[10], 1);
    assert_int_equal(l1->f[3] & SWT_LOCK_PSHARED, 0);
    assert_int_equal(l2->f[10], 2);
    assert_true(l2->f[3] & SWT_LOCK_PSHARED);
}

static void test_failures_carry_glibc_errno(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, s0_id, SWT_ACQ_TRY, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], EAGAIN);
    /* Both timeouts waited first, in the same thread. */
    pos = 0;
    for (int i = 0; i < 2; i++) {
        const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, s0_id, SWT_ACQ_TIMED, 0);
        assert_non_null(w);
        f = hk_next(&hk_group, &pos, w->thread, SWT_REC_FAIL, s0_id, SWT_ACQ_TIMED, 0);
        assert_non_null(f);
        assert_int_equal(f->f[3], ETIMEDOUT);
    }
    /* The calls glibc rejects are forwarded untouched: nothing on s1 but
     * main's one acquisition (the cancelled thread took nothing). */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_FAIL, s1_id, 0, 0), 0);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, s1_id, 0, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_WAIT, s1_id, 0, 0), 0);
}

static void test_value_after_post(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *p = hk_next(&hk_group, &pos, 0, SWT_REC_SEM_POST, s2_id, 0, 0);
    assert_non_null(p);
    assert_int_equal(p->f[2], 3 + 1); /* the format stores value + 1; 0 = unknown */
}

static void test_post_by_another_thread_wakes_waiter(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *w = hk_next(&hk_group, &pos, 0, SWT_REC_WAIT, s0_id, 0, SWT_ACQ_TIMED);
    assert_non_null(w);
    const struct swt_rec *a =
        hk_next(&hk_group, &pos, w->thread, SWT_REC_ACQUIRE, s0_id, SWT_ACQ_CONTENDED, 0);
    assert_non_null(a);
    pos = 0;
    const struct swt_rec *p = hk_next(&hk_group, &pos, 0, SWT_REC_SEM_POST, s0_id, 0, 0);
    assert_non_null(p);
    assert_int_not_equal(p->thread, w->thread);
    /* Stamped before the real post, so never after the wake-up. */
    assert_true(p->ns <= a->ns);
}

static void test_cancelled_wait(void **state)
{
    (void)state;
    size_t pos = 0;
    const struct swt_rec *f = hk_next(&hk_group, &pos, 0, SWT_REC_FAIL, s0_id, SWT_ACQ_CANCELED, 0);
    assert_non_null(f);
    assert_int_equal(f->f[3], ECANCELED);
}

static void test_named_semaphore_identity(void **state)
{
    (void)state;
    uint64_t addr = hk_addr(&hk_group, "named");
    const struct swt_rec *l = hk_lock_new(&hk_group, addr, 0);
    assert_non_null(l);
    assert_null(hk_lock_new(&hk_group, addr, 1)); /* the second open is the same object */
    assert_int_equal(l->f[1], SWT_KIND_SEM_NAMED);
    assert_true(l->f[3] & SWT_LOCK_PSHARED);
    assert_int_equal(l->f[10], 3);
    assert_true(l->f[8] != 0); /* inode of the mapping, resolved by the recorder */
    /* The name is the blob. */
    const char *name = strstr(hk_group.out, "name=");
    assert_non_null(name);
    name += 5;
    size_t len = strcspn(name, "\n");
    assert_int_equal(l->blob_len, len);
    assert_memory_equal(l->blob, name, len);
    uint32_t id = (uint32_t)l->f[0];
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_ACQUIRE, id, 0, 0), 1);
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_SEM_POST, id, 0, 0), 1);
    /* One destroy: at the last close, not the first. */
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, id, 0, 0), 1);
    size_t pos = 0;
    assert_non_null(hk_next(&hk_group, &pos, 0, SWT_REC_SEM_POST, id, 0, 0));
    assert_non_null(hk_next(&hk_group, &pos, 0, SWT_REC_DESTROY, id, 0, 0));
}

static void test_post_by_holder_ends_its_hold(void **state)
{
    (void)state;
    uint32_t ea = hk_id("ea");
    uint32_t eb = hk_id("eb");
    size_t from_ea = 0, eb_to_ea = 0;
    for (size_t i = 0; i < hk_group.nrecs; i++) {
        const struct swt_rec *r = &hk_group.recs[i];
        if (r->type != SWT_REC_EDGE)
            continue;
        from_ea += r->f[0] == ea;
        eb_to_ea += r->f[0] == eb && r->f[1] == ea;
    }
    assert_int_equal(from_ea, 0);
    assert_int_equal(eb_to_ea, 1);
}

static void test_destroy(void **state)
{
    (void)state;
    assert_int_equal(hk_count(&hk_group, 0, SWT_REC_DESTROY, s1_id, 0, 0), 1);
}

static void test_posts_from_a_signal_handler(void **state)
{
    (void)state;
    hk_workload_passes("signal", NULL);
    hk_workload_passes("signal", "trace");
    hk_workload_passes("signal", "profile");
}

/* The LOCK_NEW of addr in r, which must exist and be process-shared. */
static const struct swt_rec *shared_lock_new(const struct hk_run *r, uint64_t addr)
{
    const struct swt_rec *l = hk_lock_new(r, addr, 0);
    assert_non_null(l);
    assert_true(l->f[3] & SWT_LOCK_PSHARED);
    assert_true(l->f[8] != 0); /* inode of the mapping */
    return l;
}

static void test_shared_semaphores_agree_across_fork(void **state)
{
    (void)state;
    hk_workload_passes("pshared", NULL);
    struct hk_run parent, child;
    hk_run_workload(&parent, "pshared");
    const char *c = strstr(parent.out, "child=");
    assert_non_null(c);
    hk_load_pid(&child, &parent, strtol(c + 6, NULL, 10));
    static const char *names[] = {"anon", "named"};
    for (size_t i = 0; i < 2; i++) {
        uint64_t addr = hk_addr(&parent, names[i]);
        const struct swt_rec *p = shared_lock_new(&parent, addr);
        const struct swt_rec *k = shared_lock_new(&child, addr);
        assert_int_equal(p->f[7], k->f[7]);
        assert_int_equal(p->f[8], k->f[8]);
        assert_int_equal(p->f[9], k->f[9]);
        /* A binary semaphore in the child too (the analyzer decides that
         * from the value). */
        assert_int_equal(p->f[10], 1);
        assert_int_equal(k->f[10], 1);
        /* The child used it: an acquisition and a post on its id. */
        assert_int_equal(hk_count(&child, 0, SWT_REC_ACQUIRE, (uint32_t)k->f[0], 0, 0), 1);
        assert_int_equal(hk_count(&child, 0, SWT_REC_SEM_POST, (uint32_t)k->f[0], 0, 0), 1);
    }
    assert_int_equal(shared_lock_new(&parent, hk_addr(&parent, "anon"))->f[9], sizeof(sem_t));
    hk_free(&child);
    hk_free(&parent);
}

int main(int argc, char **argv)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_new_values),
        cmocka_unit_test(test_failures_carry_glibc_errno),
        cmocka_unit_test(test_value_after_post),
        cmocka_unit_test(test_post_by_another_thread_wakes_waiter),
        cmocka_unit_test(test_cancelled_wait),
        cmocka_unit_test(test_named_semaphore_identity),
        cmocka_unit_test(test_post_by_holder_ends_its_hold),
        cmocka_unit_test(test_destroy),
        cmocka_unit_test(test_posts_from_a_signal_handler),
        cmocka_unit_test(test_shared_semaphores_agree_across_fork),
    };
    const struct hk_suite suite = {
        .workloads = workloads,
        .workload = "sem",
        .loaded = look_up,
        .tests = tests,
        .ntests = sizeof tests / sizeof tests[0],
    };
    return hk_main(argc, argv, &suite);
}
