/* real_deadlock: a program that truly deadlocks (it never ends on its own;
 * the test harness kills it after 2 s).
 *
 * Thread 1 holds lock_a and waits for lock_b; thread 2 holds lock_b and
 * waits for lock_a.  The steps are forced in that order, so the hang is
 * certain.  The main thread waits in pthread_join.
 *
 * The report on the trace of the killed process must show: an actual
 * deadlock, each thread with the lock it holds and the lock it waits for
 * (T holds lock_a, waits lock_b; T' holds lock_b, waits lock_a); exit 1. */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *hold_a_want_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    sample_give_turn(1);
    sample_wait_turn(2);
    pthread_mutex_lock(&lock_b); /* blocks forever */
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *hold_b_want_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&lock_b);
    sample_give_turn(2);
    pthread_mutex_lock(&lock_a); /* blocks forever */
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    puts("real_deadlock: about to hang (kill me)");
    fflush(stdout);
    pthread_t t1 = sample_start(hold_a_want_b, NULL);
    pthread_t t2 = sample_start(hold_b_want_a, NULL);
    sample_join(t1);
    sample_join(t2);
    return 0;
}
