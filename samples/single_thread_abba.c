/* single_thread_abba: one thread takes lock_a then lock_b, later lock_b then
 * lock_a.  With only one thread there is nobody to deadlock with.
 *
 * The report must show: no findings (the cycle is dropped because all its
 * edges come from one thread; --verbose says so); exit code 0. */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

int main(void)
{
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);

    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    puts("single_thread_abba: done");
    return 0;
}
