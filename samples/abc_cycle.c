/* abc_cycle: a lock-order cycle of length three.
 *
 * Three threads, alive together, take (lock_a, lock_b), (lock_b, lock_c) and
 * (lock_c, lock_a) in turn.  No two of them invert one pair, so a checker
 * that only looks at pairs misses it; all three together can deadlock.
 *
 * The report must show: one potential deadlock through lock_a, lock_b and
 * lock_c, with three threads; exit code 1. */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;

struct step {
    int turn;
    pthread_mutex_t *outer, *inner;
};

static void *take_pair(void *arg)
{
    const struct step *s = arg;
    sample_wait_turn(s->turn);
    pthread_mutex_lock(s->outer);
    pthread_mutex_lock(s->inner);
    pthread_mutex_unlock(s->inner);
    pthread_mutex_unlock(s->outer);
    sample_give_turn(s->turn + 1);
    return NULL;
}

int main(void)
{
    struct step steps[3] = {
        {0, &lock_a, &lock_b},
        {1, &lock_b, &lock_c},
        {2, &lock_c, &lock_a},
    };
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        t[i] = sample_start(take_pair, &steps[i]);
    for (int i = 0; i < 3; i++)
        sample_join(t[i]);
    puts("abc_cycle: done");
    return 0;
}
