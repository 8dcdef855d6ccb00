/* hang_barrier: a barrier of three parties that only two ever reach.
 *
 * Two workers wait at `phase_barrier` (count 3); the third worker returns
 * early on an error path and never arrives.  Both waiters block forever
 * (the test harness kills the process after 2 s); main waits in
 * pthread_join.
 *
 * The report on the trace of the killed process must show: a hang
 * (deadlock/barrier) at phase_barrier; exit code 1. */
#include "sample_util.h"

pthread_barrier_t phase_barrier;

static void *worker(void *arg)
{
    long id = (long)arg;
    if (id == 2)
        return NULL; /* the bug: an early return skips the barrier */
    pthread_barrier_wait(&phase_barrier);
    return NULL;
}

int main(void)
{
    sample_check(pthread_barrier_init(&phase_barrier, NULL, 3), "pthread_barrier_init");
    pthread_t t[3];
    for (long i = 0; i < 3; i++)
        t[i] = sample_start(worker, (void *)i);
    puts("hang_barrier: about to hang (kill me)");
    fflush(stdout);
    for (int i = 0; i < 3; i++)
        sample_join(t[i]);
    return 0;
}
