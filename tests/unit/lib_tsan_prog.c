/* The workloads ThreadSanitizer judges (run by test_lib_tsan, one mode per
 * process): in every clean mode two threads share plain data protected by
 * one primitive of libsyncwatch-sync, and TSan must see the happens-before
 * it gives (no report); "race" shares data unprotected (a data race
 * report); "inversion" takes two sw_mutexes in both orders, one after the
 * other, never deadlocking (TSan's lock-order-inversion report). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "syncwatch/sync.h"

#define ROUNDS 2000

static long shared; /* plain, never atomic */

static sw_mutex_t mutex = SW_MUTEX_INITIALIZER("tsan_mutex");
static sw_mutex_t rmutex = SW_RECURSIVE_MUTEX_INITIALIZER("tsan_recursive");
static sw_rwlock_t rwlock = SW_RWLOCK_INITIALIZER("tsan_rwlock");
static sw_spin_t spin = SW_SPIN_INITIALIZER("tsan_spin");
static sw_sem_t binary_sem = SW_SEM_INITIALIZER("tsan_sem", 1);
static sw_sem_t handoff = SW_SEM_INITIALIZER("tsan_handoff", 0);
static sw_cond_t cond = SW_COND_INITIALIZER("tsan_cond");
static sw_event_t event = SW_EVENT_INITIALIZER("tsan_event");
static sw_barrier_t barrier;
static sw_once_t once = SW_ONCE_INITIALIZER("tsan_once");
static int ready;

static void *with_mutex(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_mutex_lock(&mutex);
        shared++;
        sw_mutex_unlock(&mutex);
    }
    return NULL;
}

static void *with_trylock(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (sw_mutex_trylock(&mutex) != 0)
            sched_yield();
        shared++;
        sw_mutex_unlock(&mutex);
    }
    return NULL;
}

static void *with_timedlock(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (sw_mutex_timedlock(&mutex, 1000000) != 0) {
        }
        shared++;
        sw_mutex_unlock(&mutex);
    }
    return NULL;
}

static void *with_recursive(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_mutex_lock(&rmutex);
        sw_mutex_lock(&rmutex);
        shared++;
        sw_mutex_unlock(&rmutex);
        shared++;
        sw_mutex_unlock(&rmutex);
    }
    return NULL;
}

static void *with_rwlock(void *arg)
{
    long seen = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sw_rwlock_wrlock(&rwlock);
        shared++;
        sw_rwlock_unlock(&rwlock);
        sw_rwlock_rdlock(&rwlock);
        seen += shared;
        sw_rwlock_unlock(&rwlock);
    }
    (void)arg;
    return (void *)seen;
}

static void *with_spin(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_spin_lock(&spin);
        shared++;
        sw_spin_unlock(&spin);
    }
    return NULL;
}

static void *with_sem(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        sw_sem_wait(&binary_sem);
        shared++;
        sw_sem_post(&binary_sem);
    }
    return NULL;
}

/* One thread writes, then hands over through a primitive; the other
 * waits for the handover, then reads and writes. */
static void *handoff_sem(void *arg)
{
    (void)arg;
    sw_sem_wait(&handoff);
    shared++;
    return NULL;
}

static void *handoff_cond(void *arg)
{
    (void)arg;
    sw_mutex_lock(&mutex);
    while (!ready)
        sw_cond_wait(&cond, &mutex);
    sw_mutex_unlock(&mutex);
    shared++; /* after the mutex, ordered by it */
    return NULL;
}

static void *handoff_event(void *arg)
{
    (void)arg;
    sw_event_wait(&event);
    shared++;
    return NULL;
}

static void *across_barrier(void *arg)
{
    if (arg)
        shared++;
    sw_barrier_wait(&barrier);
    if (!arg)
        shared++;
    return NULL;
}

static void init_shared(void)
{
    shared = 100;
}

static void *with_once(void *arg)
{
    (void)arg;
    sw_once(&once, init_shared);
    return (void *)shared;
}

static void *unprotected(void *arg)
{
    (void)arg;
    shared++;
    return NULL;
}

static sw_mutex_t first = SW_MUTEX_INITIALIZER("tsan_first");
static sw_mutex_t second = SW_MUTEX_INITIALIZER("tsan_second");

static void *second_then_first(void *arg)
{
    (void)arg;
    sw_mutex_lock(&second);
    sw_mutex_lock(&first);
    sw_mutex_unlock(&first);
    sw_mutex_unlock(&second);
    return NULL;
}

static void two(void *(*a)(void *), void *(*b)(void *), void *arg)
{
    pthread_t t1, t2;
    pthread_create(&t1, NULL, a, arg);
    pthread_create(&t2, NULL, b, arg);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
}

/* The handover modes: the main thread writes, hands over, then a thread
 * writes after receiving it. */
static void handover(void *(*receiver)(void *), void (*give)(void))
{
    pthread_t t;
    pthread_create(&t, NULL, receiver, NULL);
    shared = 7;
    give();
    pthread_join(t, NULL);
}

static void give_sem(void)
{
    sw_sem_post(&handoff);
}

static void give_cond(void)
{
    sw_mutex_lock(&mutex);
    ready = 1;
    sw_cond_signal(&cond);
    sw_mutex_unlock(&mutex);
}

static void give_event(void)
{
    sw_event_set(&event);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lib_tsan_prog MODE\n");
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "mutex"))
        two(with_mutex, with_mutex, NULL);
    else if (!strcmp(mode, "trylock"))
        two(with_trylock, with_mutex, NULL);
    else if (!strcmp(mode, "timedlock"))
        two(with_timedlock, with_mutex, NULL);
    else if (!strcmp(mode, "recursive"))
        two(with_recursive, with_recursive, NULL);
    else if (!strcmp(mode, "rwlock"))
        two(with_rwlock, with_rwlock, NULL);
    else if (!strcmp(mode, "spin"))
        two(with_spin, with_spin, NULL);
    else if (!strcmp(mode, "sem"))
        two(with_sem, with_sem, NULL);
    else if (!strcmp(mode, "sem_handoff"))
        handover(handoff_sem, give_sem);
    else if (!strcmp(mode, "cond"))
        handover(handoff_cond, give_cond);
    else if (!strcmp(mode, "event"))
        handover(handoff_event, give_event);
    else if (!strcmp(mode, "barrier")) {
        sw_barrier_init(&barrier, "tsan_barrier", 2);
        pthread_t t1, t2;
        pthread_create(&t1, NULL, across_barrier, (void *)1);
        pthread_create(&t2, NULL, across_barrier, NULL);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
    } else if (!strcmp(mode, "once"))
        two(with_once, with_once, NULL);
    else if (!strcmp(mode, "race"))
        two(unprotected, unprotected, NULL);
    else if (!strcmp(mode, "inversion")) {
        sw_mutex_lock(&first);
        sw_mutex_lock(&second);
        sw_mutex_unlock(&second);
        sw_mutex_unlock(&first);
        pthread_t t;
        pthread_create(&t, NULL, second_then_first, NULL);
        pthread_join(t, NULL);
    } else {
        fprintf(stderr, "lib_tsan_prog: unknown mode %s\n", mode);
        return 2;
    }
    printf("shared=%ld\n", shared);
    return 0;
}
