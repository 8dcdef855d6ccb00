/* rwlock_writer_pref_read_read: a read/read inversion on writer-preferring
 * rwlocks, which CAN deadlock.
 *
 * Same orders as rwlock_read_read (thread 1 reads rw_a then rw_b, thread 2
 * reads rw_b then rw_a), but both rwlocks prefer writers
 * (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP), and a third thread
 * write-locks each of them now and then.  With a writer queued on each lock,
 * a new reader waits: T1 holds rw_a for reading and waits to read rw_b
 * behind the queued writer of rw_b, T2 the other way round: deadlock.
 * The read/read rule (readers never block readers) does not hold here.
 * Everything takes turns, so this run never hangs.
 *
 * The report must show: one potential deadlock through rw_a and rw_b, with
 * the two reader threads; exit code 1. */
#include "sample_util.h"

pthread_rwlock_t rw_a, rw_b;

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
    sample_give_turn(2);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    sample_wait_turn(2);
    pthread_rwlock_wrlock(&rw_a); /* one lock at a time: no order of its own */
    pthread_rwlock_unlock(&rw_a);
    pthread_rwlock_wrlock(&rw_b);
    pthread_rwlock_unlock(&rw_b);
    return NULL;
}

int main(void)
{
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    sample_check(pthread_rwlock_init(&rw_a, &attr), "pthread_rwlock_init");
    sample_check(pthread_rwlock_init(&rw_b, &attr), "pthread_rwlock_init");
    pthread_rwlockattr_destroy(&attr);
    pthread_t t1 = sample_start(read_a_then_b, NULL);
    pthread_t t2 = sample_start(read_b_then_a, NULL);
    pthread_t t3 = sample_start(writer, NULL);
    sample_join(t1);
    sample_join(t2);
    sample_join(t3);
    puts("rwlock_writer_pref_read_read: done (no hang this time)");
    return 0;
}
