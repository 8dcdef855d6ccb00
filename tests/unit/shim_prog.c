/* A program run under the shim by test_shim_e2e: it checks by itself that
 * the mutex hooks return what glibc returns and leave errno alone, and
 * produces thread, fork and exit events whose records the driver checks.
 * Usage: shim_prog mutex|threads|fork|exit|locks|closefds|deepbind|c11|pshared|runpath|joinwait */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK_RC(call, want)                                                              \
    do {                                                                                  \
        errno = 4242;                                                                     \
        int rc_ = (call);                                                                 \
        if (rc_ != (want) || errno != 4242) {                                             \
            fprintf(stderr, "shim_prog:%d: %s = %d (want %d), errno %d (want 4242)\n",    \
                    __LINE__, #call, rc_, (want), errno);                                 \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

static pthread_mutex_t m_static = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t m_robust;

static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m_robust);
    return NULL; /* the robust mutex's owner dies */
}

static int briefly_holding; /* hold_briefly holds its mutex */

static void *hold_briefly(void *arg)
{
    pthread_mutex_t *m = arg;
    pthread_mutex_lock(m);
    __atomic_store_n(&briefly_holding, 1, __ATOMIC_RELEASE);
    /* Held until the main thread's timed lock has timed out, then a while
     * longer so that its next lock has to wait. */
    while (__atomic_load_n(&briefly_holding, __ATOMIC_ACQUIRE) != 2)
        sched_yield();
    usleep(100000);
    pthread_mutex_unlock(m);
    return NULL;
}

static int mutex_checks(void)
{
    pthread_mutexattr_t a;
    pthread_mutex_t normal, rec, err;
    pthread_mutexattr_init(&a);
    CHECK_RC(pthread_mutex_init(&normal, NULL), 0);
    CHECK_RC(pthread_mutex_lock(&normal), 0);
    CHECK_RC(pthread_mutex_trylock(&normal), EBUSY);
    CHECK_RC(pthread_mutex_unlock(&normal), 0);
    CHECK_RC(pthread_mutex_destroy(&normal), 0);

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    CHECK_RC(pthread_mutex_init(&rec, &a), 0);
    CHECK_RC(pthread_mutex_lock(&rec), 0);
    CHECK_RC(pthread_mutex_lock(&rec), 0);
    CHECK_RC(pthread_mutex_trylock(&rec), 0);
    CHECK_RC(pthread_mutex_unlock(&rec), 0);
    CHECK_RC(pthread_mutex_unlock(&rec), 0);
    CHECK_RC(pthread_mutex_unlock(&rec), 0);
    CHECK_RC(pthread_mutex_unlock(&rec), EPERM);

    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    CHECK_RC(pthread_mutex_init(&err, &a), 0);
    CHECK_RC(pthread_mutex_unlock(&err), EPERM);
    CHECK_RC(pthread_mutex_lock(&err), 0);
    CHECK_RC(pthread_mutex_lock(&err), EDEADLK);
    CHECK_RC(pthread_mutex_trylock(&err), EBUSY);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    CHECK_RC(pthread_mutex_timedlock(&err, &ts), EDEADLK);
    CHECK_RC(pthread_mutex_unlock(&err), 0);

    /* A timed lock that times out while another thread holds it. */
    pthread_t th;
    CHECK_RC(pthread_mutex_init(&normal, NULL), 0);
    pthread_create(&th, NULL, hold_briefly, &normal);
    while (!__atomic_load_n(&briefly_holding, __ATOMIC_ACQUIRE))
        sched_yield();
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    CHECK_RC(pthread_mutex_timedlock(&normal, &ts), ETIMEDOUT);
    __atomic_store_n(&briefly_holding, 2, __ATOMIC_RELEASE);
    CHECK_RC(pthread_mutex_lock(&normal), 0); /* contended: waits for the holder */
    CHECK_RC(pthread_mutex_unlock(&normal), 0);
    pthread_join(th, NULL);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    CHECK_RC(pthread_mutex_clocklock(&normal, CLOCK_MONOTONIC, &ts), 0);
    CHECK_RC(pthread_mutex_unlock(&normal), 0);
    CHECK_RC(pthread_mutex_clocklock(&normal, 12345, &ts), EINVAL);

    /* Robust: the owner dies, the next locker gets EOWNERDEAD. */
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    CHECK_RC(pthread_mutex_init(&m_robust, &a), 0);
    pthread_create(&th, NULL, die_holding, NULL);
    pthread_join(th, NULL);
    CHECK_RC(pthread_mutex_lock(&m_robust), EOWNERDEAD);
    CHECK_RC(pthread_mutex_consistent(&m_robust), 0);
    CHECK_RC(pthread_mutex_unlock(&m_robust), 0);

    /* A statically initialised mutex is registered on first sight. */
    CHECK_RC(pthread_mutex_lock(&m_static), 0);
    CHECK_RC(pthread_mutex_unlock(&m_static), 0);
    return failures ? 1 : 0;
}

static pthread_mutex_t ma = PTHREAD_MUTEX_INITIALIZER, mb = PTHREAD_MUTEX_INITIALIZER,
                       mc = PTHREAD_MUTEX_INITIALIZER;

static void *end_by_return(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ma);
    return NULL;
}

static int named; /* set once the main thread has named end_by_exit's thread */

static void *end_by_exit(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mb);
    /* Stay alive until named: naming a thread that has ended fails. */
    while (!__atomic_load_n(&named, __ATOMIC_ACQUIRE))
        sched_yield();
    pthread_exit(NULL);
}

static int cancel_holding; /* end_by_cancel holds mc */

static void *end_by_cancel(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mc);
    __atomic_store_n(&cancel_holding, 1, __ATOMIC_RELEASE);
    for (;;)
        pause(); /* a cancellation point */
    return NULL;
}

static int thread_ends(void)
{
    pthread_t t1, t2, t3;
    pthread_create(&t1, NULL, end_by_return, NULL);
    pthread_join(t1, NULL);
    pthread_create(&t2, NULL, end_by_exit, NULL);
    if (pthread_setname_np(t2, "exiter") != 0)
        return 1;
    __atomic_store_n(&named, 1, __ATOMIC_RELEASE);
    pthread_join(t2, NULL);
    pthread_create(&t3, NULL, end_by_cancel, NULL);
    while (!__atomic_load_n(&cancel_holding, __ATOMIC_ACQUIRE))
        sched_yield();
    pthread_cancel(t3);
    pthread_join(t3, NULL);
    return 0;
}

static int forks(void)
{
    pthread_mutex_lock(&ma);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_unlock(&ma);
        _exit(5);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    pthread_mutex_unlock(&ma);
    return WIFEXITED(st) && WEXITSTATUS(st) == 5 ? 0 : 1;
}

/* A daemon-like program closes every descriptor (the shim's trace file
 * among them) and opens its own files, which may get that number. */
static int close_fds(const char *victim)
{
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&ma);
        pthread_mutex_unlock(&ma);
    }
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    int last = -1;
    for (int i = 0; i < 800; i++) {
        int fd = open(victim, O_RDWR | O_CREAT, 0644);
        if (fd < 0)
            break;
        last = fd;
    }
    if (last < 0 || write(last, "victim\n", 7) != 7)
        return 1;
    for (int i = 0; i < 100000; i++) { /* enough records for new chunks */
        pthread_mutex_lock(&ma);
        pthread_mutex_unlock(&ma);
    }
    return 0;
}

/* A library opened with RTLD_DEEPBIND binds to libc directly: warned. */
static int deepbind(void)
{
    void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_DEEPBIND);
    if (!h)
        h = dlopen("libm.so.6", RTLD_NOW | RTLD_DEEPBIND);
    return h ? 0 : 1;
}

static int c11_returns(void *arg)
{
    (void)arg;
    return 7;
}

static int c11_exits(void *arg)
{
    (void)arg;
    thrd_exit(9);
}

/* C11 threads keep their results through the shim's start trampoline. */
static int c11_threads(void)
{
    thrd_t a, b;
    int ra = 0, rb = 0;
    if (thrd_create(&a, c11_returns, NULL) != thrd_success ||
        thrd_create(&b, c11_exits, NULL) != thrd_success)
        return 1;
    if (thrd_join(a, &ra) != thrd_success || thrd_join(b, &rb) != thrd_success)
        return 1;
    if (ra != 7 || rb != 9) {
        fprintf(stderr, "shim_prog: thread results %d %d (want 7 9)\n", ra, rb);
        return 1;
    }
    return 0;
}

/* A process-shared mutex in a shared file mapping, used by a fork child
 * and by an unrelated mapping of the same file at another address. */
static int pshared(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 8192) != 0)
        return 1;
    char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return 1;
    pthread_mutex_t *m = (pthread_mutex_t *)(map + 4096 + 64);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(m, &a);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        pthread_mutex_unlock(m);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    /* The same object through a second mapping: another address. */
    char *map2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map2 == MAP_FAILED)
        return 1;
    pthread_mutex_t *m2 = (pthread_mutex_t *)(map2 + 4096 + 64);
    pthread_mutex_lock(m2);
    pthread_mutex_unlock(m2);
    return 0;
}

/* A library that dlopens another through its own RUNPATH ($ORIGIN). */
static int runpath(const char *lib)
{
    void *h = dlopen(lib, RTLD_NOW);
    if (!h) {
        fprintf(stderr, "shim_prog: %s\n", dlerror());
        return 1;
    }
    int (*load)(void) = (int (*)(void))dlsym(h, "shim_runpath_load");
    int v = load ? load() : -3;
    if (v != 42) {
        fprintf(stderr, "shim_prog: shim_runpath_load() = %d (want 42)\n", v);
        return 1;
    }
    return 0;
}

static int locks(void)
{
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&ma);
        pthread_mutex_lock(&mb);
        pthread_mutex_unlock(&mb);
        pthread_mutex_unlock(&ma);
    }
    return 0;
}

/* joinwait: a condvar is created and destroyed (COND_DESTROY_BEGIN, then
 * DESTROY); then the main thread holds join_lock and joins a worker that
 * waits for join_lock: a deadlock through a join.  A third thread SIGKILLs
 * the process once both are blocked in futex calls for a while, so the
 * trace keeps what the thread blocks said at that moment. */
static pthread_mutex_t join_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t main_tid, waiter_tid;

static void *wait_for_join_lock(void *arg)
{
    (void)arg;
    __atomic_store_n(&waiter_tid, gettid(), __ATOMIC_RELEASE);
    pthread_mutex_lock(&join_lock); /* held by the joiner: never returns */
    return NULL;
}

/* 1 if thread tid is inside a futex system call (x86-64: 202). */
static int in_futex(pid_t tid)
{
    char p[64], buf[64] = {0};
    snprintf(p, sizeof p, "/proc/self/task/%d/syscall", (int)tid);
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n > 4 && strncmp(buf, "202 ", 4) == 0;
}

static void *kill_when_stuck(void *arg)
{
    (void)arg;
    pid_t w;
    while (!(w = __atomic_load_n(&waiter_tid, __ATOMIC_ACQUIRE)))
        usleep(1000);
    /* Both blocked for 50 consecutive looks a millisecond apart: not a
     * futex call on the way. */
    for (int stuck = 0; stuck < 50;) {
        usleep(1000);
        stuck = in_futex(main_tid) && in_futex(w) ? stuck + 1 : 0;
    }
    kill(getpid(), SIGKILL);
    return NULL;
}

static int join_wait(void)
{
    pthread_cond_t c;
    pthread_cond_init(&c, NULL);
    pthread_cond_destroy(&c);
    main_tid = gettid();
    pthread_mutex_lock(&join_lock);
    pthread_t waiter, killer;
    pthread_create(&waiter, NULL, wait_for_join_lock, NULL);
    pthread_create(&killer, NULL, kill_when_stuck, NULL);
    pthread_join(waiter, NULL);
    return 3; /* not reached */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: shim_prog mutex|threads|fork|exit|locks|closefds|deepbind|c11|pshared|runpath|joinwait\n");
        return 2;
    }
    if (strcmp(argv[1], "mutex") == 0)
        return mutex_checks();
    if (strcmp(argv[1], "threads") == 0)
        return thread_ends();
    if (strcmp(argv[1], "fork") == 0)
        return forks();
    if (strcmp(argv[1], "exit") == 0)
        return 3;
    if (strcmp(argv[1], "locks") == 0)
        return locks();
    if (strcmp(argv[1], "runpath") == 0)
        return runpath(getenv("SHIM_PROG_VICTIM"));
    if (strcmp(argv[1], "pshared") == 0)
        return pshared(getenv("SHIM_PROG_VICTIM"));
    if (strcmp(argv[1], "c11") == 0)
        return c11_threads();
    if (strcmp(argv[1], "deepbind") == 0)
        return deepbind();
    if (strcmp(argv[1], "joinwait") == 0)
        return join_wait();
    if (strcmp(argv[1], "closefds") == 0)
        return close_fds(getenv("SHIM_PROG_VICTIM"));
    fprintf(stderr, "shim_prog: unknown mode %s\n", argv[1]);
    return 2;
}
