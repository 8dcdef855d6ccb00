/* fork_busy_parent: fork repeatedly while the parent keeps locking.
 *
 * A worker locks and unlocks a ring of mutexes, two at a time in ring
 * order, and the main thread takes fresh mutexes (created with
 * pthread_mutex_init, so each gets a new lock id) right after every fork
 * returns in the parent.  Every child locks child_first then child_second,
 * always in that order, and leaves with _exit.  Nothing here is ever
 * inverted, and no child inherits a lock held by another thread: the main
 * thread holds nothing when it forks, and the worker's pair is never held
 * across a fork (the forking thread waits until the worker is between
 * pairs, through a C11 atomic the shim does not see).
 *
 * A fork child must start from the held list the forking thread had at the
 * fork, not from the parent's live list a moment later (issue 9 item 3).
 * The report (over the parent's and the children's traces) must show
 * nothing; exit code 0. */
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sample_util.h"

#define RING 8
#define FORKS 20

static pthread_mutex_t ring[RING];
pthread_mutex_t child_first = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t child_second = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stop, worker_between_pairs, fork_wanted;

static void *lock_ring(void *arg)
{
    (void)arg;
    for (unsigned i = 0; !atomic_load(&stop); i++) {
        if (atomic_load(&fork_wanted)) {
            atomic_store(&worker_between_pairs, 1);
            while (atomic_load(&fork_wanted) && !atomic_load(&stop))
                sample_sleep_us(50);
            atomic_store(&worker_between_pairs, 0);
        }
        pthread_mutex_t *a = &ring[i % RING], *b = &ring[(i + 1) % RING];
        if (i % RING == RING - 1)
            continue; /* ring[RING-1] -> ring[0] would close the ring */
        pthread_mutex_lock(a);
        pthread_mutex_lock(b);
        pthread_mutex_unlock(b);
        pthread_mutex_unlock(a);
    }
    return NULL;
}

static void child(void)
{
    pthread_mutex_lock(&child_first);
    pthread_mutex_lock(&child_second);
    pthread_mutex_unlock(&child_second);
    pthread_mutex_unlock(&child_first);
    _exit(0);
}

int main(void)
{
    for (int i = 0; i < RING; i++)
        sample_check(pthread_mutex_init(&ring[i], NULL), "pthread_mutex_init");
    pthread_t worker = sample_start(lock_ring, NULL);
    pid_t pids[FORKS];
    for (int f = 0; f < FORKS; f++) {
        atomic_store(&fork_wanted, 1);
        while (!atomic_load(&worker_between_pairs))
            sample_sleep_us(50);
        pid_t pid = fork();
        if (pid == 0)
            child();
        atomic_store(&fork_wanted, 0);
        if (pid < 0) {
            perror("fork_busy_parent: fork");
            return 3;
        }
        pids[f] = pid;
        /* The parent's forking thread takes new locks while the child sets
         * up its trace: none of them is the child's. */
        pthread_mutex_t fresh[4];
        for (int k = 0; k < 4; k++) {
            sample_check(pthread_mutex_init(&fresh[k], NULL), "pthread_mutex_init");
            pthread_mutex_lock(&fresh[k]);
        }
        sample_sleep_us(3000);
        for (int k = 4; k-- > 0;) {
            pthread_mutex_unlock(&fresh[k]);
            pthread_mutex_destroy(&fresh[k]);
        }
    }
    atomic_store(&stop, 1);
    sample_join(worker);
    for (int f = 0; f < FORKS; f++) {
        int status = 0;
        if (waitpid(pids[f], &status, 0) != pids[f] || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork_busy_parent: child %d failed\n", f);
            return 3;
        }
    }
    puts("fork_busy_parent: done");
    return 0;
}
