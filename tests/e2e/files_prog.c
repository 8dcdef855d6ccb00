/* The program that tests/e2e/test_shim_files.py runs under the shim to check
 * the trace-file guarantees of docs/shim.md ("Guarantees: trace files, exec
 * and a full disk").  It checks its own results (return values, errno) and
 * exits non-zero when one is wrong, so a test sees both the program's
 * result and the report.
 *
 *   files_prog abba                 lock_a/lock_b in opposite orders in two
 *                                   threads that take turns (a cycle, no hang)
 *   files_prog clean                one lock, taken in one order
 *   files_prog exec FN [NEXT...]    abba, then FN (execve, execv, execvp,
 *                                   execvpe, execl, execle, execlp, fexecve)
 *                                   of this program with the arguments NEXT
 *                                   (default: clean)
 *   files_prog exec-fail FN         abba, then FN of a missing file: must
 *                                   return -1 with errno ENOENT; then clean
 *   files_prog exec-noenv           abba, then execve with an environment
 *                                   that keeps LD_PRELOAD but drops every
 *                                   SYNCWATCH_* variable
 *   files_prog exec-env             abba, then execve of "env-check": the
 *                                   new image checks that the program's own
 *                                   variable FILES_PROG_MARK came through
 *   files_prog exec-chdir           abba, chdir("/"), then execv "clean"
 *   files_prog env-check            exits 0 when FILES_PROG_MARK=kept; prints
 *                                   SYNCWATCH_RUN_ID
 *   files_prog lockloop N           N lock/unlock pairs in each of 2 threads
 *   files_prog threads N            N short threads, one lock each
 *   files_prog vfork-exec           vfork, the child execv's "clean"; then
 *                                   abba in the parent; exits with the
 *                                   child's status
 *   files_prog maps                 says whether libsyncwatch is mapped in
 *                                   this process and how many threads it
 *                                   has before starting any, then abba
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
static atomic_int turn;

static void wait_turn(int t)
{
    while (atomic_load(&turn) != t)
        usleep(100);
}

static void *a_then_b(void *arg)
{
    (void)arg;
    wait_turn(0);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    atomic_store(&turn, 1);
    return NULL;
}

static void *b_then_a(void *arg)
{
    (void)arg;
    wait_turn(1);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    return NULL;
}

static void abba(void)
{
    pthread_t t1, t2;
    if (pthread_create(&t1, NULL, a_then_b, NULL) || pthread_create(&t2, NULL, b_then_a, NULL)) {
        fprintf(stderr, "files_prog: pthread_create failed\n");
        exit(2);
    }
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
}

static long loops;
static atomic_long loop_total;
static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;

static void *lockloop(void *arg)
{
    (void)arg;
    for (long i = 0; i < loops; i++) {
        pthread_mutex_lock(&loop_lock);
        atomic_fetch_add(&loop_total, 1);
        pthread_mutex_unlock(&loop_lock);
    }
    return NULL;
}

static void *one_lock(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&loop_lock);
    atomic_fetch_add(&loop_total, 1);
    pthread_mutex_unlock(&loop_lock);
    return NULL;
}

static int clean(void)
{
    static pthread_mutex_t only = PTHREAD_MUTEX_INITIALIZER;
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&only);
        pthread_mutex_unlock(&only);
    }
    puts("files_prog: clean done");
    return 0;
}

/* Calls exec function fn on prog with argv (NULL terminated, argv[0]
 * included); returns only if it failed. */
static void do_exec(const char *fn, const char *prog, char **argv)
{
    /* argv has at most 4 entries here: files_prog's modes take few. */
    char *a0 = argv[0], *a1 = argv[1], *a2 = a1 ? argv[2] : NULL;
    if (!strcmp(fn, "execve"))
        execve(prog, argv, environ);
    else if (!strcmp(fn, "execv"))
        execv(prog, argv);
    else if (!strcmp(fn, "execvp"))
        execvp(prog, argv);
    else if (!strcmp(fn, "execvpe"))
        execvpe(prog, argv, environ);
    else if (!strcmp(fn, "execl"))
        execl(prog, a0, a1, a2, (char *)NULL);
    else if (!strcmp(fn, "execle") && a2)
        execle(prog, a0, a1, a2, (char *)NULL, environ);
    else if (!strcmp(fn, "execle"))
        execle(prog, a0, a1, (char *)NULL, environ);
    else if (!strcmp(fn, "execlp"))
        execlp(prog, a0, a1, a2, (char *)NULL);
    else if (!strcmp(fn, "fexecve")) {
        int fd = open(prog, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return; /* errno from open: ENOENT for a missing file */
        fexecve(fd, argv, environ);
        int e = errno;
        close(fd);
        errno = e;
    } else {
        fprintf(stderr, "files_prog: unknown exec function %s\n", fn);
        exit(2);
    }
}

static const char *self_path(void)
{
    static char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        exit(2);
    buf[n] = 0;
    return buf;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "abba";
    if (!strcmp(mode, "abba")) {
        abba();
        puts("files_prog: abba done");
        return 0;
    }
    if (!strcmp(mode, "clean"))
        return clean();
    if (!strcmp(mode, "vfork-exec")) {
        const char *self = self_path();
        char *next[3] = {(char *)"files_prog", (char *)"clean", NULL};
        pid_t pid = vfork();
        if (pid == 0) {
            execv(self, next);
            _exit(127);
        }
        int st = 0;
        if (pid < 0 || waitpid(pid, &st, 0) != pid)
            return 2;
        abba();
        return WIFEXITED(st) ? WEXITSTATUS(st) : 3;
    }
    if (!strcmp(mode, "maps")) {
        char line[4096];
        int mapped = 0;
        FILE *f = fopen("/proc/self/maps", "r");
        while (f && fgets(line, sizeof line, f))
            mapped |= strstr(line, "libsyncwatch") != NULL;
        if (f)
            fclose(f);
        int threads = 0;
        f = fopen("/proc/self/status", "r");
        while (f && fgets(line, sizeof line, f))
            if (!strncmp(line, "Threads:", 8))
                threads = atoi(line + 8);
        if (f)
            fclose(f);
        printf("files_prog: shim %s\n", mapped ? "mapped" : "not mapped");
        printf("files_prog: %d thread%s before any\n", threads, threads == 1 ? "" : "s");
        abba();
        return 0;
    }
    if (!strcmp(mode, "env-check")) {
        const char *m = getenv("FILES_PROG_MARK"), *run = getenv("SYNCWATCH_RUN_ID");
        printf("files_prog: SYNCWATCH_RUN_ID=%s\n", run ? run : "(unset)");
        return m && !strcmp(m, "kept") ? clean() : 4;
    }
    if (!strcmp(mode, "exec") && argc > 2) {
        abba();
        char *next[4] = {(char *)"files_prog", (char *)"clean", NULL, NULL};
        for (int i = 3; i < argc && i < 5; i++)
            next[i - 2] = argv[i];
        do_exec(argv[2], self_path(), next);
        fprintf(stderr, "files_prog: %s failed: %s\n", argv[2], strerror(errno));
        return 3;
    }
    if (!strcmp(mode, "exec-chdir")) {
        abba();
        char self[4096];
        snprintf(self, sizeof self, "%s", self_path());
        char *next[3] = {(char *)"files_prog", (char *)"clean", NULL};
        if (chdir("/") != 0)
            return 2;
        execv(self, next);
        return 3;
    }
    if (!strcmp(mode, "exec-fail") && argc > 2) {
        abba();
        char *next[3] = {(char *)"files_prog", (char *)"clean", NULL};
        errno = 0;
        do_exec(argv[2], "/nonexistent/files_prog", next);
        if (errno != ENOENT) {
            fprintf(stderr, "files_prog: %s of a missing file: errno %d, not ENOENT\n",
                    argv[2], errno);
            return 3;
        }
        return clean();
    }
    if (!strcmp(mode, "exec-noenv") || !strcmp(mode, "exec-env")) {
        abba();
        int keep_ours = !strcmp(mode, "exec-env");
        char *env[256];
        size_t n = 0;
        for (char **e = environ; *e && n < 255; e++)
            if (keep_ours || strncmp(*e, "SYNCWATCH_", 10) != 0)
                env[n++] = *e;
        env[n] = NULL;
        char *next[3] = {(char *)"files_prog", (char *)(keep_ours ? "env-check" : "clean"),
                         NULL};
        execve(self_path(), next, env);
        fprintf(stderr, "files_prog: execve failed: %s\n", strerror(errno));
        return 3;
    }
    if (!strcmp(mode, "lockloop") && argc > 2) {
        loops = atol(argv[2]);
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            if (pthread_create(&t[i], NULL, lockloop, NULL))
                return 2;
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        long want = 2 * loops;
        if (atomic_load(&loop_total) != want) {
            fprintf(stderr, "files_prog: %ld lock loops, not %ld\n", atomic_load(&loop_total),
                    want);
            return 3;
        }
        printf("files_prog: %ld lock loops done\n", want);
        return 0;
    }
    if (!strcmp(mode, "threads") && argc > 2) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) {
            pthread_t t;
            if (pthread_create(&t, NULL, one_lock, NULL))
                return 2;
            pthread_join(t, NULL);
        }
        if (atomic_load(&loop_total) != n)
            return 3;
        printf("files_prog: %ld threads done\n", n);
        return 0;
    }
    fprintf(stderr, "usage: files_prog abba|clean|exec FN|exec-fail FN|exec-noenv|exec-env|"
                    "lockloop N|threads N\n");
    return 2;
}
