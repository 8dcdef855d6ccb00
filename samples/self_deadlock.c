/* self_deadlock: a thread locks a default (non-recursive) mutex it already
 * holds, and hangs forever (the test harness kills it after 2 s).
 *
 * The worker locks config_lock, then calls a helper that locks it again:
 * the classic "a function that takes the lock calls another one that takes
 * it too".  A default glibc mutex does not check: the thread waits for
 * itself.
 *
 * The report on the trace of the killed process must show: the thread
 * blocked on config_lock, which it holds itself (a self-deadlock: re-lock
 * of a non-recursive mutex); exit code 1. */
#include "sample_util.h"

pthread_mutex_t config_lock = PTHREAD_MUTEX_INITIALIZER;
static int config_value;

static int read_config(void)
{
    pthread_mutex_lock(&config_lock); /* hangs: the caller holds it */
    int v = config_value;
    pthread_mutex_unlock(&config_lock);
    return v;
}

static void *update_config(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&config_lock);
    config_value = read_config() + 1;
    pthread_mutex_unlock(&config_lock);
    return NULL;
}

int main(void)
{
    puts("self_deadlock: about to hang (kill me)");
    fflush(stdout);
    sample_join(sample_start(update_config, NULL));
    return 0;
}
