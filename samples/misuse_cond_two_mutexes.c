/* misuse_cond_two_mutexes: one condition variable waited on with two
 * different mutexes.
 *
 * Two threads wait on shared_cond, one holding mutex_one, the other
 * mutex_two.  POSIX leaves that undefined; in practice the predicate is
 * protected by neither lock.  The waits time out after 20 ms, so nothing
 * hangs.
 *
 * The report must show: misuse, shared_cond waited with two different
 * mutexes (mutex_one and mutex_two); exit code 1. */
#include "sample_util.h"

pthread_cond_t shared_cond = PTHREAD_COND_INITIALIZER;
pthread_mutex_t mutex_one = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t mutex_two = PTHREAD_MUTEX_INITIALIZER;

static void wait_briefly(pthread_mutex_t *m)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000 * 1000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(m);
    int rc;
    do
        rc = pthread_cond_timedwait(&shared_cond, m, &until);
    while (rc == 0); /* spurious wake-up: wait again until the timeout */
    pthread_mutex_unlock(m);
}

static void *waiter(void *arg)
{
    int me = *(int *)arg;
    sample_wait_turn(me);
    wait_briefly(me == 0 ? &mutex_one : &mutex_two);
    sample_give_turn(me + 1);
    return NULL;
}

int main(void)
{
    int first = 0, second = 1;
    pthread_t t1 = sample_start(waiter, &first);
    pthread_t t2 = sample_start(waiter, &second);
    sample_join(t1);
    sample_join(t2);
    puts("misuse_cond_two_mutexes: done");
    return 0;
}
