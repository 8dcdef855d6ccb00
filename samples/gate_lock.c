/* gate_lock: opposite orders that cannot deadlock, because a common outer
 * lock (the gate) is held around both.
 *
 * Thread 1 takes gate, lock_a, lock_b; thread 2 takes gate, lock_b, lock_a.
 * Whoever holds the gate is alone with lock_a and lock_b, so the inversion
 * is harmless (lockdep and Helgrind call this a gate lock).
 *
 * The report must show: no findings (the lock_a/lock_b cycle is dropped by
 * the gate-lock rule; --verbose says so); exit code 0. */
#include "sample_util.h"

pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *gated_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&gate);
    sample_give_turn(1);
    return NULL;
}

static void *gated_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&gate);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&gate);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(gated_a_then_b, NULL);
    pthread_t t2 = sample_start(gated_b_then_a, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("gate_lock: done");
    return 0;
}
