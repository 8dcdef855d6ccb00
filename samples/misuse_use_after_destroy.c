/* misuse_use_after_destroy: a mutex locked after it was destroyed.
 *
 * The main thread destroys gone_lock and then locks it again (glibc returns
 * EINVAL for a destroyed mutex instead of hanging).  In real programs the
 * memory has often been freed and reused by then.
 *
 * The report must show: misuse, use of gone_lock after destroy; exit 1. */
#include "sample_util.h"

pthread_mutex_t gone_lock;

int main(void)
{
    sample_check(pthread_mutex_init(&gone_lock, NULL), "pthread_mutex_init");
    pthread_mutex_lock(&gone_lock);
    pthread_mutex_unlock(&gone_lock);
    sample_check(pthread_mutex_destroy(&gone_lock), "pthread_mutex_destroy");
    int rc = pthread_mutex_lock(&gone_lock); /* the bug */
    printf("misuse_use_after_destroy: lock after destroy returned %s\n", rc ? strerror(rc) : "0");
    if (rc == 0)
        pthread_mutex_unlock(&gone_lock);
    return 0;
}
