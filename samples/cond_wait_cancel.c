/* cond_wait_cancel: a thread cancelled while it waits on a condvar.
 *
 * POSIX: a cancelled pthread_cond_wait re-acquires the mutex before the
 * cancellation cleanup handlers run, and the program's handler unlocks it.
 * The worker pushes such a handler, waits on wake_cond (which nobody
 * signals), and is cancelled by main.  Afterwards wake_lock is free.
 *
 * The report must show: no findings (the re-acquisition on cancellation and
 * the handler's unlock balance out: no abandoned lock, no misuse); exit 0. */
#include "sample_util.h"

pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;

static void unlock_on_cancel(void *m) { pthread_mutex_unlock(m); }

static void *wait_forever(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&wake_lock);
    pthread_cleanup_push(unlock_on_cancel, &wake_lock);
    sample_give_turn(1);
    for (;;)
        pthread_cond_wait(&wake_cond, &wake_lock); /* cancelled here */
    pthread_cleanup_pop(1);
    return NULL;
}

int main(void)
{
    pthread_t t = sample_start(wait_forever, NULL);
    sample_wait_turn(1);
    /* The worker released wake_lock inside the wait once we can take it. */
    pthread_mutex_lock(&wake_lock);
    pthread_mutex_unlock(&wake_lock);
    sample_check(pthread_cancel(t), "pthread_cancel");
    void *res = NULL;
    sample_check(pthread_join(t, &res), "pthread_join");
    int rc = pthread_mutex_trylock(&wake_lock);
    if (rc == 0)
        pthread_mutex_unlock(&wake_lock);
    printf("cond_wait_cancel: %s; wake_lock afterwards: %s\n",
           res == PTHREAD_CANCELED ? "cancelled" : "not cancelled", rc == 0 ? "free" : strerror(rc));
    return res == PTHREAD_CANCELED && rc == 0 ? 0 : 3;
}
