/* rwlock_write_read: a write-then-read inversion, which does deadlock.
 *
 * Thread 1 write-locks rw_a then read-locks rw_b; thread 2 write-locks rw_b
 * then read-locks rw_a.  If both hold their write lock, each reader waits
 * for the other's writer: a real deadlock even on reader-preferring rwlocks.
 * They take turns here, so this run does not hang.
 *
 * The report must show: one potential deadlock through rw_a and rw_b, with
 * two threads; exit code 1. */
#include "sample_util.h"

pthread_rwlock_t rw_a = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t rw_b = PTHREAD_RWLOCK_INITIALIZER;

static void *write_a_read_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_rwlock_wrlock(&rw_a);
    pthread_rwlock_rdlock(&rw_b);
    pthread_rwlock_unlock(&rw_b);
    pthread_rwlock_unlock(&rw_a);
    sample_give_turn(1);
    return NULL;
}

static void *write_b_read_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_rwlock_wrlock(&rw_b);
    pthread_rwlock_rdlock(&rw_a);
    pthread_rwlock_unlock(&rw_a);
    pthread_rwlock_unlock(&rw_b);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(write_a_read_b, NULL);
    pthread_t t2 = sample_start(write_b_read_a, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("rwlock_write_read: done");
    return 0;
}
