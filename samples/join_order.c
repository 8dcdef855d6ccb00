/* join_order: opposite orders separated by a join.
 *
 * Thread 1 takes lock_a then lock_b and is joined; only then is thread 2
 * created, and it takes lock_b then lock_a.  The join orders everything
 * thread 1 did before everything thread 2 does, so in this run they never
 * overlap; if the two paths ever run at the same time they deadlock.
 *
 * The report must show: one note-level potential deadlock on lock_a and
 * lock_b that says it was seen in threads that never overlapped; exit code 0
 * (a note does not fail --fail-on). */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *take_a_then_b(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    return NULL;
}

static void *take_b_then_a(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

int main(void)
{
    sample_join(sample_start(take_a_then_b, NULL));
    sample_join(sample_start(take_b_then_a, NULL));
    puts("join_order: done");
    return 0;
}
