/* robust_owner_dead: a robust mutex whose owner died.
 *
 * A worker locks the robust mutex robust_lock and ends without unlocking.
 * The next pthread_mutex_lock returns EOWNERDEAD; main repairs the state it
 * protects, marks the mutex consistent and unlocks it.
 *
 * The report must show: an abandoned lock, robust_lock (held when its thread
 * ended, then acquired with EOWNERDEAD); exit code 1. */
#include "sample_util.h"

pthread_mutex_t robust_lock;

static void *die_holding(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&robust_lock);
    return NULL; /* the owner dies */
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    sample_check(pthread_mutex_init(&robust_lock, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);

    sample_join(sample_start(die_holding, NULL));
    int rc = pthread_mutex_lock(&robust_lock);
    printf("robust_owner_dead: lock returned %s\n", rc == EOWNERDEAD ? "EOWNERDEAD" : strerror(rc));
    if (rc != EOWNERDEAD)
        return 3;
    sample_check(pthread_mutex_consistent(&robust_lock), "pthread_mutex_consistent");
    sample_check(pthread_mutex_unlock(&robust_lock), "pthread_mutex_unlock");
    sample_check(pthread_mutex_destroy(&robust_lock), "pthread_mutex_destroy");
    return 0;
}
