/* barrier_phases: threads that work in phases separated by a barrier.
 *
 * Four workers update their own slot under their own mutex, then meet at a
 * pthread barrier; one of them (the "serial" thread, whose wait returns
 * PTHREAD_BARRIER_SERIAL_THREAD, which is success) sums the slots under
 * sum_lock.  Ten phases.  A barrier is not a lock: waiting at it holds
 * nothing and orders nothing in the lock graph.
 *
 * The report must show: no findings; exit code 0. */
#include "sample_util.h"

#define WORKERS 4
#define PHASES 10

static pthread_barrier_t phase_end;
pthread_mutex_t sum_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t slot_lock[WORKERS];
static long slot[WORKERS], total;

static void *worker(void *arg)
{
    int me = (int)(long)arg;
    for (int p = 0; p < PHASES; p++) {
        pthread_mutex_lock(&slot_lock[me]);
        slot[me] += me + 1;
        pthread_mutex_unlock(&slot_lock[me]);
        int rc = pthread_barrier_wait(&phase_end);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            pthread_mutex_lock(&sum_lock);
            for (int i = 0; i < WORKERS; i++)
                total += slot[i];
            pthread_mutex_unlock(&sum_lock);
        } else if (rc != 0) {
            sample_check(rc, "pthread_barrier_wait");
        }
        pthread_barrier_wait(&phase_end); /* the sum is done before the next phase */
    }
    return NULL;
}

int main(void)
{
    sample_check(pthread_barrier_init(&phase_end, NULL, WORKERS), "pthread_barrier_init");
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        sample_check(pthread_mutex_init(&slot_lock[i], NULL), "pthread_mutex_init");
        t[i] = sample_start(worker, (void *)(long)i);
    }
    for (int i = 0; i < WORKERS; i++)
        sample_join(t[i]);
    pthread_barrier_destroy(&phase_end);
    /* phase p adds (p+1) * (1+2+3+4) = 10 (p+1) */
    printf("barrier_phases: total %ld\n", total);
    return total == 10L * PHASES * (PHASES + 1) / 2 ? 0 : 3;
}
