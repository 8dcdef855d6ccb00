/* slow_not_hung: long waits that are not a hang, for the hang watchdog.
 *
 * A worker holds slow_lock for 3 s while sleeping (not waiting on
 * anything); a second worker waits for slow_lock all that time, untimed;
 * then main waits 2 s on a condvar with a deadline that nobody signals, and
 * the wait times out.  Nothing here is stuck: the holder runs, and the
 * timed wait ends by itself.
 *
 * With SYNCWATCH_HANG_TIMEOUT=1s the watchdog must say nothing; the report
 * must show no deadlock and no hang (the 3 s hold may be a long-hold or
 * contention note); exit code 0. */
#include "sample_util.h"

pthread_mutex_t slow_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t never_signalled = PTHREAD_COND_INITIALIZER;

static void *sleepy_holder(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&slow_lock);
    sample_give_turn(1);
    sample_sleep_us(3000000);
    pthread_mutex_unlock(&slow_lock);
    return NULL;
}

static void *patient_waiter(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&slow_lock); /* waits about 3 s: its holder sleeps */
    pthread_mutex_unlock(&slow_lock);
    return NULL;
}

int main(void)
{
    pthread_t h = sample_start(sleepy_holder, NULL);
    pthread_t w = sample_start(patient_waiter, NULL);
    sample_join(h);
    sample_join(w);

    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 2;
    pthread_mutex_lock(&tick_lock);
    int rc = 0;
    while (rc == 0)
        rc = pthread_cond_timedwait(&never_signalled, &tick_lock, &deadline);
    pthread_mutex_unlock(&tick_lock);
    if (rc != ETIMEDOUT) {
        fprintf(stderr, "slow_not_hung: the timed wait ended with %s\n", strerror(rc));
        return 3;
    }
    puts("slow_not_hung: done");
    return 0;
}
