/* misuse_destroy_held: pthread_mutex_destroy on a locked mutex.
 *
 * The main thread destroys busy_lock while holding it.  glibc refuses
 * (EBUSY), many programs ignore the return value and free the memory anyway.
 *
 * The report must show: misuse, destroy of busy_lock while it is held;
 * exit code 1. */
#include "sample_util.h"

pthread_mutex_t busy_lock;

int main(void)
{
    sample_check(pthread_mutex_init(&busy_lock, NULL), "pthread_mutex_init");
    pthread_mutex_lock(&busy_lock);
    int rc = pthread_mutex_destroy(&busy_lock); /* the bug */
    printf("misuse_destroy_held: destroy of a held mutex returned %s\n",
           rc == EBUSY ? "EBUSY" : strerror(rc));
    pthread_mutex_unlock(&busy_lock);
    sample_check(pthread_mutex_destroy(&busy_lock), "pthread_mutex_destroy");
    return 0;
}
