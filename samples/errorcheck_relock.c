/* errorcheck_relock: a non-recursive mutex re-locked by its own holder.
 *
 * The main thread locks self_lock and locks it again.  With a normal mutex
 * that hangs forever; this one is an error-checking mutex, so glibc returns
 * EDEADLK instead and the sample carries on.
 *
 * The report must show: a self-deadlock (re-lock of a non-recursive mutex)
 * on self_lock by one thread; exit code 1. */
#include "sample_util.h"

pthread_mutex_t self_lock;

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK);
    sample_check(pthread_mutex_init(&self_lock, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);

    sample_check(pthread_mutex_lock(&self_lock), "first lock");
    int rc = pthread_mutex_lock(&self_lock); /* the bug: would hang if normal */
    printf("errorcheck_relock: second lock returned %s\n", rc == EDEADLK ? "EDEADLK" : strerror(rc));
    sample_check(pthread_mutex_unlock(&self_lock), "unlock");
    sample_check(pthread_mutex_destroy(&self_lock), "pthread_mutex_destroy");
    return rc == EDEADLK ? 0 : 3;
}
