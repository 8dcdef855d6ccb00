/* sem_overpost: a binary semaphore used as a lock and posted twice.
 *
 * gate_sem starts at 1 and is used as a lock (wait ... post).  An error path
 * posts it a second time, so its value becomes 2 and two threads can now be
 * "inside" at once.
 *
 * The report must show: misuse, gate_sem posted past its bound (value 2 on a
 * binary semaphore; a double release); exit code 1. */
#include <semaphore.h>

#include "sample_util.h"

sem_t gate_sem;

static void leave(void) { sem_post(&gate_sem); }

int main(void)
{
    if (sem_init(&gate_sem, 0, 1) != 0)
        return 3;
    while (sem_wait(&gate_sem) != 0 && errno == EINTR) {
    }
    leave();
    leave(); /* the bug */
    int value = -1;
    sem_getvalue(&gate_sem, &value);
    printf("sem_overpost: value is now %d\n", value);
    return 0;
}
