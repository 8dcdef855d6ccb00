/* sigkill_midrun: the process is killed with SIGKILL while threads lock.
 *
 * Four workers lock and unlock their own mutex in a loop; after a while the
 * main thread takes kill_lock and sends itself SIGKILL.  Nothing runs after
 * that: no exit hook, no destructor, no flush.
 *
 * The trace must still load (a torn last record is at most a warning).  The
 * report must show: kill_lock abandoned (held when the process was killed);
 * exit code 1.  A worker may also have held its own lock at that instant. */
#include <signal.h>
#include <unistd.h>

#include "sample_util.h"

pthread_mutex_t kill_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t worker_lock[4];

static void *churn(void *arg)
{
    pthread_mutex_t *mine = arg;
    for (;;) {
        pthread_mutex_lock(mine);
        pthread_mutex_unlock(mine);
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < 4; i++) {
        sample_check(pthread_mutex_init(&worker_lock[i], NULL), "pthread_mutex_init");
        sample_start(churn, &worker_lock[i]);
    }
    sample_sleep_us(100 * 1000);
    pthread_mutex_lock(&kill_lock);
    kill(getpid(), SIGKILL);
    pause();
    return 3;
}
