/* misuse_cond_wait_unheld: a condition wait without holding its mutex.
 *
 * The main thread calls pthread_cond_timedwait(&cond, &cond_mutex) without
 * having locked cond_mutex: the wait no longer protects the predicate (a
 * lost wake-up).  glibc does not check; the wait times out after 20 ms and
 * returns with cond_mutex locked, which the sample then unlocks.
 *
 * The report must show: misuse, a wait on cond without holding cond_mutex;
 * exit code 1. */
#include "sample_util.h"

pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
pthread_mutex_t cond_mutex = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&cond_mutex); /* a correct pair first: the mutex is known */
    pthread_mutex_unlock(&cond_mutex);

    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 0;
    until.tv_nsec += 20 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    int rc = pthread_cond_timedwait(&cond, &cond_mutex, &until); /* the bug */
    printf("misuse_cond_wait_unheld: wait returned %s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : strerror(rc));
    pthread_mutex_unlock(&cond_mutex); /* the wait re-locked it */
    return 0;
}
