/* robust_process_dead: a process dies holding a process-shared robust mutex.
 *
 * The mutex lives in a MAP_SHARED mapping.  A forked child locks it and
 * leaves with _exit without unlocking; the parent's next lock returns
 * EOWNERDEAD, it marks the mutex consistent and unlocks it.
 *
 * The report over both traces must show: an abandoned lock (the shared
 * robust mutex: held at the child's exit, then EOWNERDEAD in the parent);
 * exit code 1. */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sample_util.h"

int main(void)
{
    pthread_mutex_t *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 3;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
    sample_check(pthread_mutex_init(m, &attr), "pthread_mutex_init");
    pthread_mutexattr_destroy(&attr);

    pid_t pid = fork();
    if (pid == 0) {
        pthread_mutex_lock(m);
        _exit(0); /* dies holding it */
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return 3;
    int rc = pthread_mutex_lock(m);
    printf("robust_process_dead: lock returned %s\n", rc == EOWNERDEAD ? "EOWNERDEAD" : strerror(rc));
    if (rc != EOWNERDEAD)
        return 3;
    sample_check(pthread_mutex_consistent(m), "pthread_mutex_consistent");
    sample_check(pthread_mutex_unlock(m), "pthread_mutex_unlock");
    return 0;
}
