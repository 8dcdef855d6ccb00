/* rwlock_read_read: opposite orders of two read locks.
 *
 * Thread 1 read-locks rw_a then rw_b, thread 2 read-locks rw_b then rw_a.
 * Both are glibc's default rwlocks, which prefer readers: a reader never
 * waits for another reader, so read/read inversions cannot deadlock
 * (lockdep's recursive-read rule).
 *
 * The report must show: no findings (the cycle runs only through read
 * acquisitions of reader-preferring rwlocks; --verbose says so); exit 0. */
#include "sample_util.h"

pthread_rwlock_t rw_a = PTHREAD_RWLOCK_INITIALIZER;
pthread_rwlock_t rw_b = PTHREAD_RWLOCK_INITIALIZER;

static void *read_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_rwlock_rdlock(&rw_a);
    pthread_rwlock_rdlock(&rw_b);
    pthread_rwlock_unlock(&rw_b);
    pthread_rwlock_unlock(&rw_a);
    sample_give_turn(1);
    return NULL;
}

static void *read_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_rwlock_rdlock(&rw_b);
    pthread_rwlock_rdlock(&rw_a);
    pthread_rwlock_unlock(&rw_a);
    pthread_rwlock_unlock(&rw_b);
    return NULL;
}

int main(void)
{
    pthread_t t1 = sample_start(read_a_then_b, NULL);
    pthread_t t2 = sample_start(read_b_then_a, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("rwlock_read_read: done");
    return 0;
}
