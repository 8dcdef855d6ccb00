/* abandoned_at_exit: the process exits while a thread holds a mutex.
 *
 * A worker takes flush_lock and keeps it (it would write a file under it);
 * main calls exit(0) without stopping the worker.  Whatever flush_lock
 * protected may be half written.
 *
 * The report must show: an abandoned lock, flush_lock, held by the worker
 * when the process exited; exit code 1. */
#include "sample_util.h"

pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;

static void *flush_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&flush_lock);
    sample_give_turn(1);
    for (;;)
        sample_sleep_us(100 * 1000); /* "writing" */
    return NULL;
}

int main(void)
{
    sample_start(flush_forever, NULL);
    sample_wait_turn(1);
    puts("abandoned_at_exit: exiting while the worker holds flush_lock");
    exit(0);
}
