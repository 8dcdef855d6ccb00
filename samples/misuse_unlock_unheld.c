/* misuse_unlock_unheld: unlock of a mutex that nobody holds.
 *
 * The main thread unlocks idle_lock, which was never locked.  glibc lets a
 * default mutex get away with it, but it is undefined behaviour and usually
 * means the lock/unlock pairing is wrong somewhere.
 *
 * The report must show: misuse, an unlock of idle_lock not held by the
 * caller (held by nobody); exit code 1. */
#include "sample_util.h"

pthread_mutex_t idle_lock = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&idle_lock); /* a correct pair first: the lock is known */
    pthread_mutex_unlock(&idle_lock);
    pthread_mutex_unlock(&idle_lock); /* the bug */
    puts("misuse_unlock_unheld: done");
    return 0;
}
