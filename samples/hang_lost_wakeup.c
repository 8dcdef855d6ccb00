/* hang_lost_wakeup: a condvar signal sent before anyone waits is lost.
 *
 * The producer sets `ready`, signals `ready_cond` and ends; the consumer,
 * which checks nothing under the mutex, only then waits, without a
 * predicate loop and without a deadline.  Nobody is left to signal: it
 * waits forever (the test harness kills it after 2 s), and main waits in
 * pthread_join for the consumer.
 *
 * The report on the trace of the killed process must show: a hang
 * (deadlock/lost-wakeup) on ready_cond, whose only signaller has ended;
 * exit code 1. */
#include "sample_util.h"

pthread_mutex_t ready_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static int ready;

static void *producer(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&ready_lock);
    ready = 1;
    pthread_cond_signal(&ready_cond); /* nobody waits yet: the signal is lost */
    pthread_mutex_unlock(&ready_lock);
    sample_give_turn(1);
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&ready_lock);
    pthread_cond_wait(&ready_cond, &ready_lock); /* the bug: no `while (!ready)` */
    pthread_mutex_unlock(&ready_lock);
    return NULL;
}

int main(void)
{
    pthread_t p = sample_start(producer, NULL);
    pthread_t c = sample_start(consumer, NULL);
    sample_join(p);
    puts("hang_lost_wakeup: about to hang (kill me)");
    fflush(stdout);
    sample_join(c);
    return ready ? 0 : 3;
}
