/* writer_starvation: readers that never let a writer in.
 *
 * Two reader threads hold table_lock (a default, reader-preferring glibc
 * rwlock) for reading, 1 ms at a time, 150 times each, and hand over so that
 * at every instant at least one of them holds it: a reader releases only
 * while the other one holds (an atomic handshake the shim cannot see).
 * New readers may always join a read-held, reader-preferring rwlock, so the
 * writer, which asks once the readers are going, waits until they are done.
 * Unlike barging on a mutex, this starvation is certain, not a matter of
 * scheduling luck.
 *
 * The report must show: starvation on table_lock (the writer waited far
 * longer than the threshold while the readers acquired it hundreds of
 * times); exit code 1. */
#include "sample_util.h"

#define ROUNDS 150

pthread_rwlock_t table_lock = PTHREAD_RWLOCK_INITIALIZER;
static atomic_int holding[2];
static atomic_int release_turn;
static atomic_int readers_done;

static void *reader(void *arg)
{
    int me = *(int *)arg, other = 1 - me;
    pthread_rwlock_rdlock(&table_lock);
    atomic_store(&holding[me], 1);
    if (me == 1)
        sample_give_turn(1); /* both readers hold it: the writer may ask now */
    for (int i = 0; i < ROUNDS; i++) {
        /* Release only on my turn and while the other reader holds it, so
         * the rwlock is never free for the waiting writer. */
        while (atomic_load(&release_turn) != me || !atomic_load(&holding[other]))
            sample_sleep_us(50);
        sample_sleep_us(1000);
        atomic_store(&holding[me], 0);
        pthread_rwlock_unlock(&table_lock);
        pthread_rwlock_rdlock(&table_lock);
        atomic_store(&holding[me], 1);
        atomic_store(&release_turn, other);
    }
    /* Last round: the two readers leave in turn. */
    while (atomic_load(&release_turn) != me)
        sample_sleep_us(50);
    atomic_store(&holding[me], 0);
    pthread_rwlock_unlock(&table_lock);
    atomic_fetch_add(&readers_done, 1);
    atomic_store(&release_turn, other);
    return NULL;
}

static void *writer(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_rwlock_wrlock(&table_lock); /* starved until both readers stop */
    int done = atomic_load(&readers_done);
    pthread_rwlock_unlock(&table_lock);
    printf("writer_starvation: the writer got in after %d of 2 readers finished\n", done);
    return NULL;
}

int main(void)
{
    int ids[2] = {0, 1};
    pthread_t r0 = sample_start(reader, &ids[0]);
    pthread_t r1 = sample_start(reader, &ids[1]);
    pthread_t w = sample_start(writer, NULL);
    sample_join(r0);
    sample_join(r1);
    sample_join(w);
    return 0;
}
