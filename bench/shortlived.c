/* The cost of many processes and threads that do little lock work (issue 9
 * item 8: CPython's test suites start about 1,100 processes and 5,600
 * threads).  bench/driver.py (run_shortlived) times it native, in profile
 * and in trace mode and reports system and wall time.
 *
 *   sw_shortlived procs N     N times: fork, exec this program as "one",
 *                             wait (each child takes one mutex once)
 *   sw_shortlived threads N   N threads one after another, each takes one
 *                             mutex once
 *   sw_shortlived one         the child of "procs"
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long count;

static void *one_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    count++;
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    long n = argc > 2 ? atol(argv[2]) : 0;
    if (!strcmp(mode, "one")) {
        one_lock(NULL);
        return count == 1 ? 0 : 1;
    }
    if (!strcmp(mode, "procs") && n > 0) {
        char self[4096];
        ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
        if (len <= 0)
            return 2;
        self[len] = 0;
        for (long i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid < 0)
                return 2;
            if (pid == 0) {
                execl(self, "sw_shortlived", "one", (char *)NULL);
                _exit(127);
            }
            int st;
            if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
                return 3;
        }
        return 0;
    }
    if (!strcmp(mode, "threads") && n > 0) {
        for (long i = 0; i < n; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, one_lock, NULL))
                return 2;
            pthread_join(t, NULL);
        }
        return count == n ? 0 : 3;
    }
    fprintf(stderr, "usage: sw_shortlived procs N | threads N\n");
    return 2;
}
