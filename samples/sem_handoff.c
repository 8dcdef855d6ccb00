/* sem_handoff: a binary semaphore taken by one thread and posted by another.
 *
 * token (a sem_t with value 1) is taken with sem_wait by the worker and
 * posted back by the main thread.  Semaphores have no owner, so that is
 * legal (it is also what CPython's threading.Lock does when another thread
 * releases it).
 *
 * The report must show: no findings (no "unlock by a non-owner" misuse for
 * semaphores, no abandoned lock); exit code 0. */
#include <semaphore.h>

#include "sample_util.h"

sem_t token;

static void *take_token(void *arg)
{
    (void)arg;
    while (sem_wait(&token) != 0 && errno == EINTR) {
    }
    sample_give_turn(1);
    return NULL;
}

int main(void)
{
    if (sem_init(&token, 0, 1) != 0)
        return 3;
    sample_join(sample_start(take_token, NULL));
    sample_wait_turn(1);
    sem_post(&token); /* the hand-off: posted by a thread that never waited */
    int value = -1;
    sem_getvalue(&token, &value);
    sem_destroy(&token);
    printf("sem_handoff: done, final value %d\n", value);
    return value == 1 ? 0 : 3;
}
