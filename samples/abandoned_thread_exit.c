/* abandoned_thread_exit: a thread returns while still holding a mutex.
 *
 * The worker locks orphan_lock and returns without unlocking it.  Nobody
 * can ever take orphan_lock again; main sees that with a trylock (EBUSY)
 * instead of hanging.
 *
 * The report must show: an abandoned lock, orphan_lock, held when its
 * thread ended; exit code 1. */
#include "sample_util.h"

pthread_mutex_t orphan_lock = PTHREAD_MUTEX_INITIALIZER;

static void *forget_to_unlock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&orphan_lock);
    return NULL; /* the bug */
}

int main(void)
{
    sample_join(sample_start(forget_to_unlock, NULL));
    int rc = pthread_mutex_trylock(&orphan_lock);
    printf("abandoned_thread_exit: trylock after the thread ended: %s\n",
           rc == EBUSY ? "EBUSY (abandoned)" : strerror(rc));
    return rc == EBUSY ? 0 : 3;
}
