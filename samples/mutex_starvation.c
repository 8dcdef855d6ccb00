/* mutex_starvation: a thread re-takes a mutex again and again while another
 * one waits (barging).
 *
 * The hog takes starved_lock 200 times, holds it 1 ms each time and takes
 * it again right after releasing it.  glibc mutexes are not fair: the
 * waiter that an unlock wakes must still win the lock, and here it never
 * can, because both threads share one CPU and the hog runs with a real-time
 * priority (SCHED_FIFO): the woken victim only runs once the hog sleeps,
 * and by then the hog holds the lock again.  (Without that the outcome
 * would depend on scheduling luck; the sample needs CAP_SYS_NICE, i.e.
 * root, and says so if it does not have it.)
 *
 * The report must show: starvation on starved_lock (the victim waited far
 * longer than the threshold while the hog acquired it about 200 times in a
 * row); exit code 1. */
#define _GNU_SOURCE /* CPU_SET, pthread_setaffinity_np */
#include <sched.h>

#include "sample_util.h"

#define ROUNDS 200

pthread_mutex_t starved_lock = PTHREAD_MUTEX_INITIALIZER;

static void pin_to_cpu0(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sample_check(pthread_setaffinity_np(pthread_self(), sizeof one, &one), "pthread_setaffinity_np");
}

static void *hog(void *arg)
{
    (void)arg;
    pin_to_cpu0();
    struct sched_param prio = {.sched_priority = 1};
    int rc = pthread_setschedparam(pthread_self(), SCHED_FIFO, &prio);
    if (rc != 0) {
        fprintf(stderr, "mutex_starvation: SCHED_FIFO refused (%s): run as root\n", strerror(rc));
        exit(3);
    }
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&starved_lock);
        if (i == 0)
            sample_give_turn(1); /* the victim may ask now */
        sample_sleep_us(1000);
        pthread_mutex_unlock(&starved_lock); /* wakes the victim, which cannot run yet */
    }
    return NULL;
}

static void *victim(void *arg)
{
    (void)arg;
    pin_to_cpu0();
    sample_wait_turn(1);
    pthread_mutex_lock(&starved_lock); /* waits until the hog is done */
    pthread_mutex_unlock(&starved_lock);
    return NULL;
}

int main(void)
{
    pthread_t h = sample_start(hog, NULL);
    pthread_t v = sample_start(victim, NULL);
    sample_join(h);
    sample_join(v);
    puts("mutex_starvation: done");
    return 0;
}
