/* dining_philosophers: five threads, five forks, each takes its left fork
 * then its right one: a lock-order cycle of length five.
 *
 * Philosopher i takes fork[i] then fork[(i+1) % 5].  If all five pick up
 * their left fork at once, nobody gets a right one: the classic deadlock.
 * They eat in turn here, so this run never hangs.
 *
 * The report must show: one potential deadlock through the five forks
 * (the five elements of fork_lock), with five
 * threads; exit code 1.  dining_philosophers_ordered is the fixed version. */
#include "sample_util.h"

#define N 5

pthread_mutex_t fork_lock[N];

static void *philosopher(void *arg)
{
    int i = (int)(long)arg;
    pthread_mutex_t *left = &fork_lock[i], *right = &fork_lock[(i + 1) % N];
    sample_wait_turn(i);
    pthread_mutex_lock(left);
    pthread_mutex_lock(right);
    pthread_mutex_unlock(right);
    pthread_mutex_unlock(left);
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
    puts("dining_philosophers: everybody ate (this time)");
    return 0;
}
