/* abandoned_cancel: a thread is cancelled while it holds a mutex.
 *
 * The worker locks job_lock and then sleeps (a cancellation point) without a
 * cleanup handler; the main thread cancels it.  job_lock stays locked
 * forever; main sees that with a trylock (EBUSY).
 *
 * The report must show: an abandoned lock, job_lock, held when its thread
 * was cancelled; exit code 1. */
#include <unistd.h>

#include "sample_util.h"

pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;

static void *work_under_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&job_lock);
    sample_give_turn(1);
    for (;;)
        sleep(1); /* cancelled here, still holding job_lock */
    return NULL;
}

int main(void)
{
    pthread_t t = sample_start(work_under_lock, NULL);
    sample_wait_turn(1);
    sample_check(pthread_cancel(t), "pthread_cancel");
    void *res = NULL;
    sample_check(pthread_join(t, &res), "pthread_join");
    int rc = pthread_mutex_trylock(&job_lock);
    printf("abandoned_cancel: %s; trylock: %s\n", res == PTHREAD_CANCELED ? "cancelled" : "not cancelled",
           rc == EBUSY ? "EBUSY (abandoned)" : strerror(rc));
    return res == PTHREAD_CANCELED && rc == EBUSY ? 0 : 3;
}
