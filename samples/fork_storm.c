/* fork_storm: one thread forks 500 times while three others lock.
 *
 * Three lockers keep taking their own mutex.  A fourth thread forks 500
 * children; a pthread_atfork handler takes every locker mutex before the
 * fork and releases it after, in parent and child (the correct way to fork
 * a threaded program), so no child inherits a mutex held by a thread it
 * does not have.  Each child takes its copy of the first mutex once and
 * leaves with _exit.
 *
 * It checks that the shim survives fork under load (every child writes its
 * own trace) and that the analyzer reads all 501 traces of the run.  The
 * report must show: no findings except, possibly, contention from the
 * lockers waiting while the fork handler holds their mutexes; exit code 0
 * or 1 with only contention findings. */
#include <sys/wait.h>
#include <unistd.h>

#include "sample_util.h"

#define LOCKERS 3
#define FORKS 500

static pthread_mutex_t locker_lock[LOCKERS];
static atomic_int stop;

static void prepare(void)
{
    for (int i = 0; i < LOCKERS; i++)
        pthread_mutex_lock(&locker_lock[i]);
}

static void release_all(void)
{
    for (int i = LOCKERS - 1; i >= 0; i--)
        pthread_mutex_unlock(&locker_lock[i]);
}

static void *locker(void *arg)
{
    pthread_mutex_t *mine = arg;
    long n = 0;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(mine);
        n++;
        pthread_mutex_unlock(mine);
        if (n % 64 == 0)
            sample_sleep_us(50);
    }
    return NULL;
}

static void *forker(void *arg)
{
    (void)arg;
    for (int i = 0; i < FORKS; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            pthread_mutex_lock(&locker_lock[0]);
            pthread_mutex_unlock(&locker_lock[0]);
            _exit(0);
        }
        if (pid < 0) {
            perror("fork_storm: fork");
            exit(3);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "fork_storm: child %d failed\n", (int)pid);
            exit(3);
        }
    }
    return NULL;
}

int main(void)
{
    for (int i = 0; i < LOCKERS; i++)
        sample_check(pthread_mutex_init(&locker_lock[i], NULL), "pthread_mutex_init");
    sample_check(pthread_atfork(prepare, release_all, release_all), "pthread_atfork");
    pthread_t l[LOCKERS];
    for (int i = 0; i < LOCKERS; i++)
        l[i] = sample_start(locker, &locker_lock[i]);
    sample_join(sample_start(forker, NULL));
    atomic_store(&stop, 1);
    for (int i = 0; i < LOCKERS; i++)
        sample_join(l[i]);
    printf("fork_storm: %d children\n", FORKS);
    return 0;
}
