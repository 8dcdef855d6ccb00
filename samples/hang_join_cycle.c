/* hang_join_cycle: main joins a worker that waits for a lock main holds.
 *
 * main takes registry_lock, starts a worker, and joins it while still
 * holding the lock; the worker's first step is to take registry_lock.
 * Neither can go on (the test harness kills the process after 2 s).  No
 * lock-order cycle exists: one wait is a pthread_join.
 *
 * The report on the trace of the killed process must show: a deadlock of
 * main (in pthread_join for the worker) and the worker (waiting for
 * registry_lock, held by main); exit code 1. */
#include "sample_util.h"

pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static int registered;

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&registry_lock); /* blocks: main holds it, and joins us */
    registered++;
    pthread_mutex_unlock(&registry_lock);
    return NULL;
}

int main(void)
{
    pthread_mutex_lock(&registry_lock);
    pthread_t t = sample_start(worker, NULL);
    puts("hang_join_cycle: about to hang (kill me)");
    fflush(stdout);
    sample_join(t); /* the bug: joining with registry_lock held */
    pthread_mutex_unlock(&registry_lock);
    return registered == 1 ? 0 : 3;
}
