/* contention_hotspot: one lock, four threads, long holds.
 *
 * Four workers each take hot_lock 25 times and hold it for 2 ms (a sleep
 * standing in for slow work done under the lock), so most of their time is
 * spent waiting for each other.  A quiet lock (cold_lock, one thread, no
 * waiting) sits beside it and must not be reported.
 *
 * The report must show: a contention hotspot on hot_lock (acquisitions,
 * contentions, wait and hold times, the holder's site) and nothing for
 * cold_lock; exit code 1. */
#include "sample_util.h"

pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t cold_lock = PTHREAD_MUTEX_INITIALIZER;
static long shared_counter;

static void slow_update(void)
{
    pthread_mutex_lock(&hot_lock);
    sample_sleep_us(2000); /* the long hold the report must blame */
    shared_counter++;
    pthread_mutex_unlock(&hot_lock);
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 25; i++)
        slow_update();
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        t[i] = sample_start(worker, NULL);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&cold_lock);
        pthread_mutex_unlock(&cold_lock);
    }
    for (int i = 0; i < 4; i++)
        sample_join(t[i]);
    printf("contention_hotspot: counter %ld\n", shared_counter);
    return 0;
}
