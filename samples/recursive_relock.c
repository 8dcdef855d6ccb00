/* recursive_relock: a recursive mutex re-locked by its owner.
 *
 * The main thread locks rec_lock three levels deep and unlocks it three
 * times.  That is what recursive mutexes are for.
 *
 * The report must show: no findings (no self-deadlock, no misuse); exit 0. */
#include "sample_util.h"

pthread_mutex_t rec_lock;

static void nested(int depth)
{
    sample_check(pthread_mutex_lock(&rec_lock), "recursive relock");
    if (depth > 1)
        nested(depth - 1);
    sample_check(pthread_mutex_unlock(&rec_lock), "recursive unlock");
}

int main(void)
{
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    sample_check(pthread_mutex_init(&rec_lock, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
    nested(3);
    sample_check(pthread_mutex_destroy(&rec_lock), "pthread_mutex_destroy");
    puts("recursive_relock: done");
    return 0;
}
