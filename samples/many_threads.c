/* many_threads: 64 threads x 10,000 lock operations.
 *
 * Each thread owns two mutexes and takes them nested, always in the same
 * order (outer, inner), 5,000 times: 10,000 lock operations per thread,
 * 640,000 in all, with no lock shared between threads.  It checks that the
 * shim and the analyzer keep up with many threads and many events.
 *
 * The report must show: no findings; 65 threads (64 workers + main);
 * exit code 0. */
#include "sample_util.h"

#define THREADS 64
#define PAIRS 5000

struct own_locks {
    pthread_mutex_t outer, inner;
    long count;
};

static struct own_locks locks[THREADS];

static void *work(void *arg)
{
    struct own_locks *l = arg;
    for (int i = 0; i < PAIRS; i++) {
        pthread_mutex_lock(&l->outer);
        pthread_mutex_lock(&l->inner);
        l->count++;
        pthread_mutex_unlock(&l->inner);
        pthread_mutex_unlock(&l->outer);
    }
    return NULL;
}

int main(void)
{
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        sample_check(pthread_mutex_init(&locks[i].outer, NULL), "pthread_mutex_init");
        sample_check(pthread_mutex_init(&locks[i].inner, NULL), "pthread_mutex_init");
        t[i] = sample_start(work, &locks[i]);
    }
    long total = 0;
    for (int i = 0; i < THREADS; i++) {
        sample_join(t[i]);
        total += locks[i].count;
    }
    printf("many_threads: %ld nested pairs\n", total);
    return total == (long)THREADS * PAIRS ? 0 : 3;
}
