/* deep_nesting_abba: an inversion between two locks taken deep inside a
 * nest of 100 held mutexes.
 *
 * The first thread takes nest[0] .. nest[99] in order (100 locks held at
 * once) and lets them go in the same order (oldest first); then the second
 * takes nest[81] and, holding it, nest[80]: the opposite order of the first
 * thread's.  The threads take turns (sample_util.h), so nothing hangs.
 *
 * Both modes must report the one cycle between nest[80] and nest[81],
 * beyond the 64 holds a thread block lists (issue 9 item 14), and nothing
 * held at exit; exit code 1. */
#include "sample_util.h"

#define DEPTH 100

pthread_mutex_t nest[DEPTH];

static void *deep(void *arg)
{
    (void)arg;
    for (int i = 0; i < DEPTH; i++)
        pthread_mutex_lock(&nest[i]);
    for (int i = 0; i < DEPTH; i++)
        pthread_mutex_unlock(&nest[i]);
    sample_give_turn(1);
    return NULL;
}

static void *inverted(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&nest[81]);
    pthread_mutex_lock(&nest[80]);
    pthread_mutex_unlock(&nest[80]);
    pthread_mutex_unlock(&nest[81]);
    return NULL;
}

int main(void)
{
    for (int i = 0; i < DEPTH; i++)
        sample_check(pthread_mutex_init(&nest[i], NULL), "pthread_mutex_init");
    pthread_t a = sample_start(deep, NULL);
    pthread_t b = sample_start(inverted, NULL);
    sample_join(a);
    sample_join(b);
    puts("deep_nesting_abba: done");
    return 0;
}
