/* trylock_backoff: the inverted order is taken with a trylock and backs off.
 *
 * Thread 1 takes lock_a then lock_b.  Thread 2 holds lock_b and only
 * *tries* lock_a; when that fails it drops lock_b and starts again.  A
 * trylock never blocks, so this is the standard deadlock-free pattern.
 *
 * The report must show: no findings (an edge taken only with a trylock is
 * left out of the lock-order graph before the cycle search, so there is no
 * cycle); exit code 0. */
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

static void *take_b_then_try_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    for (;;) {
        pthread_mutex_lock(&lock_b);
        if (pthread_mutex_trylock(&lock_a) == 0)
            break;
        pthread_mutex_unlock(&lock_b); /* back off and retry */
        sample_sleep_us(100);
    }
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(take_a_then_b, NULL);
    pthread_t t2 = sample_start(take_b_then_try_a, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("trylock_backoff: done");
    return 0;
}
