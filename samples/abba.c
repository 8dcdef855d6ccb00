/* abba: the classic lock-order inversion, caught before it ever hangs.
 *
 * Two threads are alive at the same time; the first takes lock_a then
 * lock_b, the second lock_b then lock_a.  They take turns (an atomic flag the
 * shim cannot see), so this run never deadlocks, but another interleaving
 * would.
 *
 * The report must show: one potential deadlock (a cycle) through lock_a and
 * lock_b, with both threads; exit code 1. */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *take_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    sample_give_turn(1);
    return NULL;
}

static void *take_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(take_a_then_b, NULL);
    pthread_t t2 = sample_start(take_b_then_a, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("abba: done (no hang this time)");
    return 0;
}
