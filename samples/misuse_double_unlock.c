/* misuse_double_unlock: a mutex unlocked twice after one lock.
 *
 * The report must show: misuse, a double unlock of twice_lock; exit code 1. */
#include "sample_util.h"

pthread_mutex_t twice_lock = PTHREAD_MUTEX_INITIALIZER;

static void release(void) { pthread_mutex_unlock(&twice_lock); }

int main(void)
{
    pthread_mutex_lock(&twice_lock);
    release();
    release(); /* the bug: an error path that unlocks once more */
    puts("misuse_double_unlock: done");
    return 0;
}
