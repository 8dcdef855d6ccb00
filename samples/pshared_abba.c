/* pshared_abba: a lock-order inversion across two processes.
 *
 * Two process-shared mutexes live in a MAP_SHARED anonymous mapping.  After
 * fork, the parent takes first then second, the child second then first
 * (in turn, through an atomic flag in the same mapping, so nothing hangs).
 * Each process writes its own trace; the shim identifies the mutexes by
 * their mapping, so both traces agree on which lock is which.
 *
 * The report over both traces must show: one potential deadlock through the
 * two shared mutexes, with two threads (one per process); exit code 1. */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sample_util.h"

struct shared_area {
    pthread_mutex_t first, second;
    atomic_int turn;
};

static void wait_for(struct shared_area *s, int turn)
{
    while (atomic_load(&s->turn) != turn)
        sample_sleep_us(200);
}

static void take(pthread_mutex_t *outer, pthread_mutex_t *inner)
{
    pthread_mutex_lock(outer);
    pthread_mutex_lock(inner);
    pthread_mutex_unlock(inner);
    pthread_mutex_unlock(outer);
}

int main(void)
{
    struct shared_area *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED)
        return 3;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    sample_check(pthread_mutex_init(&s->first, &attr), "pthread_mutex_init");
    sample_check(pthread_mutex_init(&s->second, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);
    atomic_store(&s->turn, 0);

    pid_t pid = fork();
    if (pid == 0) {
        wait_for(s, 1);
        take(&s->second, &s->first);
        _exit(0);
    }
    if (pid < 0)
        return 3;
    take(&s->first, &s->second);
    atomic_store(&s->turn, 1);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 3;
    puts("pshared_abba: done (no hang this time)");
    return 0;
}
