/* libbench: what libsyncwatch-sync's checks cost.  For each primitive, the
 * uncontended lock+unlock (or wait+post) in ns next to its pthread/glibc
 * peer, and the contended throughput of two threads hammering one lock
 * (million ops/s).  Run without the shim (the library records nothing
 * then): bench/README.md "The primitives library".
 *
 *     sw_libbench [ITERATIONS]      (default 20000000 uncontended, /10 contended) */
#define _GNU_SOURCE
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "syncwatch/sync.h"

static long iters = 20000000;

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t prm;
static pthread_rwlock_t prw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_spinlock_t psp;
static sem_t psem;
static sw_mutex_t sm = SW_MUTEX_INITIALIZER("bench_mutex");
static sw_mutex_t srm = SW_RECURSIVE_MUTEX_INITIALIZER("bench_recursive");
static sw_rwlock_t srw = SW_RWLOCK_INITIALIZER("bench_rwlock");
static sw_spin_t ssp = SW_SPIN_INITIALIZER("bench_spin");
static sw_sem_t ssem = SW_SEM_INITIALIZER("bench_sem", 1);
static sw_lock_class_t bench_class = SW_LOCK_CLASS("bench", 2);
static sw_lock_class_t outer_class = SW_LOCK_CLASS("outer", 1);
static sw_mutex_t sranked = SW_MUTEX_INITIALIZER_FLAGS("bench_ranked", 0, &bench_class);
static sw_mutex_t souter = SW_MUTEX_INITIALIZER_FLAGS("bench_outer", 0, &outer_class);

/* One operation pair per primitive; `noinline` keeps each loop honest. */
#define PAIR(name, lock, unlock)                        \
    static __attribute__((noinline)) void name(long n)  \
    {                                                   \
        for (long i = 0; i < n; i++) {                  \
            lock;                                       \
            unlock;                                     \
        }                                               \
    }
PAIR(p_mutex, pthread_mutex_lock(&pm), pthread_mutex_unlock(&pm))
PAIR(s_mutex, sw_mutex_lock(&sm), sw_mutex_unlock(&sm))
PAIR(p_rmutex, pthread_mutex_lock(&prm), pthread_mutex_unlock(&prm))
PAIR(s_rmutex, sw_mutex_lock(&srm), sw_mutex_unlock(&srm))
PAIR(p_rd, pthread_rwlock_rdlock(&prw), pthread_rwlock_unlock(&prw))
PAIR(s_rd, sw_rwlock_rdlock(&srw), sw_rwlock_unlock(&srw))
PAIR(p_wr, pthread_rwlock_wrlock(&prw), pthread_rwlock_unlock(&prw))
PAIR(s_wr, sw_rwlock_wrlock(&srw), sw_rwlock_unlock(&srw))
PAIR(p_spin, pthread_spin_lock(&psp), pthread_spin_unlock(&psp))
PAIR(s_spin, sw_spin_lock(&ssp), sw_spin_unlock(&ssp))
PAIR(p_sem, sem_wait(&psem), sem_post(&psem))
PAIR(s_sem, sw_sem_wait(&ssem), sw_sem_post(&ssem))
PAIR(s_ranked, sw_mutex_lock(&sranked), sw_mutex_unlock(&sranked))

static double per_op(void (*fn)(long), long n)
{
    fn(n / 10); /* warm up */
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = now_ns();
        fn(n);
        double ns = (now_ns() - t0) / (double)n;
        if (ns < best)
            best = ns;
    }
    return best;
}

struct contended {
    void (*fn)(long);
    long n;
};

static void *run_contended(void *arg)
{
    struct contended *c = arg;
    c->fn(c->n);
    return NULL;
}

/* Two threads, each doing n lock+unlock pairs on the same lock. */
static double mops_2threads(void (*fn)(long), long n)
{
    struct contended c = {fn, n};
    pthread_t t[2];
    double t0 = now_ns();
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, run_contended, &c);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    return 2.0 * (double)n / ((now_ns() - t0) / 1e9) / 1e6;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        iters = atol(argv[1]);
    if (iters <= 0) {
        fprintf(stderr, "usage: sw_libbench [ITERATIONS]\n");
        return 2;
    }
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&prm, &a);
    pthread_spin_init(&psp, PTHREAD_PROCESS_PRIVATE);
    sem_init(&psem, 0, 1);

    struct {
        const char *what;
        void (*p)(long), (*s)(long);
    } rows[] = {
        {"mutex", p_mutex, s_mutex},
        {"recursive mutex", p_rmutex, s_rmutex},
        {"rwlock read", p_rd, s_rd},
        {"rwlock write", p_wr, s_wr},
        {"spinlock", p_spin, s_spin},
        {"semaphore wait+post", p_sem, s_sem},
    };
    printf("uncontended lock+unlock, ns per pair (best of 3 x %ld)\n", iters);
    printf("%-22s %10s %10s %8s\n", "primitive", "pthread", "syncwatch", "delta");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        double p = per_op(rows[i].p, iters), s = per_op(rows[i].s, iters);
        printf("%-22s %10.2f %10.2f %+8.2f\n", rows[i].what, p, s, s - p);
    }
    /* A ranked lock taken while a lower-ranked one is held: the order
     * check walks the held stack. */
    sw_mutex_lock(&souter);
    double r = per_op(s_ranked, iters);
    sw_mutex_unlock(&souter);
    printf("%-22s %10s %10.2f\n", "mutex, ranked, 1 held", "-", r);

    long n = iters / 10;
    printf("\ncontended, 2 threads on one lock, million lock+unlock pairs per second\n");
    printf("%-22s %10s %10s\n", "primitive", "pthread", "syncwatch");
    struct {
        const char *what;
        void (*p)(long), (*s)(long);
    } crow[] = {
        {"mutex", p_mutex, s_mutex},
        {"rwlock write", p_wr, s_wr},
        {"spinlock", p_spin, s_spin},
        {"semaphore wait+post", p_sem, s_sem},
    };
    for (size_t i = 0; i < sizeof crow / sizeof crow[0]; i++)
        printf("%-22s %10.2f %10.2f\n", crow[i].what, mops_2threads(crow[i].p, n),
               mops_2threads(crow[i].s, n));
    return 0;
}
