/* fork_held_lock: fork while another thread holds a mutex.
 *
 * A worker holds log_lock while the main thread forks.  The child gets a
 * copy of log_lock in the locked state, but not the thread that would
 * unlock it: in the child it is locked forever.  The child finds that out
 * with a trylock (EBUSY) and leaves with _exit.
 *
 * The report (over the parent's and the child's traces) must show: an
 * abandoned lock, log_lock, held by another thread at fork; exit code 1. */
#include <sys/wait.h>
#include <unistd.h>

#include "sample_util.h"

pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static void *hold_during_fork(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&log_lock);
    sample_give_turn(1);  /* "I hold it: fork now" */
    sample_wait_turn(2);  /* until the fork is done */
    pthread_mutex_unlock(&log_lock);
    return NULL;
}

int main(void)
{
    pthread_t worker = sample_start(hold_during_fork, NULL);
    sample_wait_turn(1);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = pthread_mutex_trylock(&log_lock);
        printf("fork_held_lock: child trylock: %s\n", rc == EBUSY ? "EBUSY (locked forever)" : strerror(rc));
        fflush(stdout);
        _exit(rc == EBUSY ? 0 : 3);
    }
    sample_give_turn(2);
    sample_join(worker);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "fork_held_lock: child failed\n");
        return 3;
    }
    puts("fork_held_lock: done");
    return 0;
}
