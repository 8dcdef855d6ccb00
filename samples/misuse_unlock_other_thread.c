/* misuse_unlock_other_thread: a thread unlocks a mutex another thread holds.
 *
 * The main thread locks owner_lock; a worker unlocks it.  A default glibc
 * mutex does not stop that, but it breaks mutual exclusion: the owner still
 * believes it holds the lock.
 *
 * The report must show: misuse, an unlock of owner_lock by a thread that
 * does not hold it (another thread does); exit code 1. */
#include "sample_util.h"

pthread_mutex_t owner_lock = PTHREAD_MUTEX_INITIALIZER;

static void *unlock_someone_elses(void *arg)
{
    (void)arg;
    pthread_mutex_unlock(&owner_lock); /* the bug */
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&owner_lock);
    sample_join(sample_start(unlock_someone_elses, NULL));
    puts("misuse_unlock_other_thread: done");
    return 0;
}
