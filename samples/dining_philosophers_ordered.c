/* dining_philosophers_ordered: the fix for dining_philosophers: every
 * philosopher takes the lower-numbered fork first.
 *
 * Philosopher 4 now takes fork[0] before fork[4]; all orders agree with the
 * fork numbering, so no cycle exists, whatever the timing.
 *
 * The report must show: no findings; exit code 0. */
#include "sample_util.h"

#define N 5

pthread_mutex_t fork_lock[N];

static void *philosopher(void *arg)
{
    int i = (int)(long)arg, j = (i + 1) % N;
    pthread_mutex_t *first = &fork_lock[i < j ? i : j], *second = &fork_lock[i < j ? j : i];
    sample_wait_turn(i);
    pthread_mutex_lock(first);
    pthread_mutex_lock(second);
    pthread_mutex_unlock(second);
    pthread_mutex_unlock(first);
    sample_give_turn(i + 1);
    return NULL;
}

int main(void)
{
    pthread_t t[N];
    for (int i = 0; i < N; i++)
        sample_check(pthread_mutex_init(&fork_lock[i], NULL), "pthread_mutex_init");
    for (int i = 0; i < N; i++)
        t[i] = sample_start(philosopher, (void *)(long)i);
    for (int i = 0; i < N; i++)
        sample_join(t[i]);
    puts("dining_philosophers_ordered: everybody ate");
    return 0;
}
