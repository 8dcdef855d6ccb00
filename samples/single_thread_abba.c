/* single_thread_abba: one thread takes lock_a then lock_b, later lock_b then
 * lock_a.  This run cannot deadlock, but the same two paths in two threads
 * would (what a unit test of a threaded library sees).
 *
 * The report must show: one note-level potential deadlock on lock_a and
 * lock_b that says it was seen in one thread; exit code 0 (a note does not
 * fail --fail-on; --single-thread-cycles=warn makes it a warning, exit 1). */
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
