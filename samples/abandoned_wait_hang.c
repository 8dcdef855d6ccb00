/* abandoned_wait_hang: a thread waits forever for a lock whose owner is
 * gone (it hangs; the test harness kills it after 2 s).
 *
 * The worker locks state_lock and returns without unlocking it; the main
 * thread then locks state_lock and blocks for ever: nobody is left to
 * unlock it.  A lock-order checker sees nothing here (one lock, no order);
 * only the abandoned-lock view explains the hang.
 *
 * The report on the trace of the killed process must show: state_lock
 * abandoned by the worker when it ended, and the main thread's wait on it
 * that never ended; exit code 1. */
#include "sample_util.h"

pthread_mutex_t state_lock = PTHREAD_MUTEX_INITIALIZER;

static void *forget_to_unlock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&state_lock);
    return NULL; /* the bug */
}

int main(void)
{
    puts("abandoned_wait_hang: about to hang (kill me)");
    fflush(stdout);
    sample_join(sample_start(forget_to_unlock, NULL));
    pthread_mutex_lock(&state_lock); /* waits for ever */
    pthread_mutex_unlock(&state_lock);
    return 0;
}
