/* Helpers shared by the samples.  The samples must show lock-order problems
 * without hanging, so threads take turns; the turn is handed over through a
 * C11 atomic that the shim does not see (no lock, no condvar, no semaphore),
 * so it neither adds lock-order edges nor hides a cycle behind a
 * happens-before relation the analyzer knows about (create/join/fork). */
#ifndef SYNCWATCH_SAMPLES_SAMPLE_UTIL_H
#define SYNCWATCH_SAMPLES_SAMPLE_UTIL_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int sample_turn;

static inline void sample_sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Blocks (politely) until it is turn number `turn`. */
static inline void sample_wait_turn(int turn)
{
    while (atomic_load(&sample_turn) != turn)
        sample_sleep_us(200);
}

static inline void sample_give_turn(int turn) { atomic_store(&sample_turn, turn); }

/* Dies loudly if a pthread call that must succeed did not. */
static inline void sample_check(int rc, const char *what)
{
    if (rc != 0) {
        fprintf(stderr, "sample: %s failed: %s\n", what, strerror(rc));
        exit(3);
    }
}

static inline pthread_t sample_start(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    sample_check(pthread_create(&t, NULL, fn, arg), "pthread_create");
    return t;
}

static inline void sample_join(pthread_t t) { sample_check(pthread_join(t, NULL), "pthread_join"); }

#endif
