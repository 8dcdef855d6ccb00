/* clean_order: the same two locks as abba, always taken in one order.
 *
 * Two threads, each takes lock_a then lock_b a few times.  They take turns
 * (an atomic flag the shim cannot see), so no thread ever waits.
 *
 * The report must show: no findings; exit code 0. */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *take_a_then_b(void *arg)
{
    int me = *(int *)arg;
    sample_wait_turn(me);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&lock_a);
        pthread_mutex_lock(&lock_b);
        pthread_mutex_unlock(&lock_b);
        pthread_mutex_unlock(&lock_a);
    }
    sample_give_turn(me + 1);
    return NULL;
}

int main(void)
{
    int first = 0, second = 1;
    pthread_t t1 = sample_start(take_a_then_b, &first);
    pthread_t t2 = sample_start(take_a_then_b, &second);
    sample_join(t1);
    sample_join(t2);
    puts("clean_order: done");
    return 0;
}
