/* A program with its own checks, run under the shim by test_shim_unwind.c:
 * the shim's unwinding and what it must leave alone (docs/shim.md,
 * "Guarantees: unwinding and the program's descriptors").
 *
 *   unwind_prog MODE [OUT]
 *
 *   libunwind  two threads call the program's own libunwind (unw_backtrace)
 *              with a mutex held
 *   firstfd    after locking in two threads, the first file opened is fd 3
 *              (the driver starts it with only 0, 1 and 2 open)
 *   daemon     closes every descriptor but 0-2, reopens two files on 3 and
 *              4, locks in new threads and at new call sites, and checks
 *              that both files are untouched
 *   nofile     opens files until EMFILE (the driver sets RLIMIT_NOFILE 6):
 *              3 of them, as without the shim
 *   wrapper    two call sites lock through one lock/unlock helper pair;
 *              writes the helpers' return addresses to OUT
 *   signal     a timer interrupts the thread 20,000 times a second and the
 *              handler locks a mutex; writes the handler's runs to OUT
 *
 * Exit status 0 when every check passed; each failure prints one line. */
#define _GNU_SOURCE
#define UNW_LOCAL_ONLY
#include <errno.h>
#include <fcntl.h>
#include <libunwind.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                 \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "unwind_prog: " __VA_ARGS__);                                \
            fputc('\n', stderr);                                                         \
            failures++;                                                                  \
        }                                                                                \
    } while (0)

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

/* ---- libunwind: the program's own unwinder, under the program's lock */

static void *unwind_under_lock(void *arg)
{
    (void)arg;
    long ok = 0;
    for (int i = 0; i < 1000; i++) {
        void *buf[32];
        pthread_mutex_lock(&m);
        ok += unw_backtrace(buf, 32) > 0;
        pthread_mutex_unlock(&m);
    }
    return (void *)ok;
}

static int own_libunwind(void)
{
    pthread_t th[2];
    long ok = 0;
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, unwind_under_lock, NULL);
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(th[i], &r);
        ok += (long)r;
    }
    CHECK(ok == 2000, "%ld of 2000 unw_backtrace calls found frames", ok);
    return failures;
}

/* ---- descriptors */

static void *lock_at_two_sites(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&m);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void lock_in_new_thread(void)
{
    pthread_t th;
    pthread_create(&th, NULL, lock_at_two_sites, NULL);
    pthread_join(th, NULL);
}

/* Threads on fresh stacks (all alive at once, each stack of its own size,
 * so none is a reused one): each one's first unwinds validate memory that
 * libunwind has not validated before. */
static void lock_in_fresh_threads(int n)
{
    pthread_t th[16];
    for (int i = 0; i < n && i < 16; i++) {
        pthread_attr_t a;
        pthread_attr_init(&a);
        pthread_attr_setstacksize(&a, (size_t)(256 + 64 * i) * 1024);
        pthread_create(&th[i], &a, lock_at_two_sites, NULL);
        pthread_attr_destroy(&a);
    }
    for (int i = 0; i < n && i < 16; i++)
        pthread_join(th[i], NULL);
}

static int first_fd(void)
{
    lock_in_new_thread();
    lock_at_two_sites(NULL);
    int fd = open("/dev/null", O_RDONLY);
    CHECK(fd == 3, "the first file opened is fd %d, not 3", fd);
    return failures;
}

static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

static int daemon_like(const char *dir)
{
    lock_in_new_thread(); /* the shim has unwound: its libunwind is set up */
    for (int fd = 3; fd < 1024; fd++)
        close(fd);
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/daemon-a.txt", dir);
    snprintf(b, sizeof b, "%s/daemon-b.txt", dir);
    int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int fb = open(b, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fa == 3 && fb == 4, "reopened files on %d and %d, not 3 and 4", fa, fb);
    CHECK(write(fa, "alpha\n", 6) == 6, "write a");
    /* New threads and new call sites: new unwinds, each with libunwind's
     * memory validation in a fresh thread. */
    lock_in_fresh_threads(8);
    lock_at_two_sites(NULL);
    CHECK(same_file(fa, a), "fd %d is no longer %s", fa, a);
    CHECK(same_file(fb, b), "fd %d is no longer %s", fb, b);
    CHECK(lseek(fa, 0, SEEK_CUR) == 6, "the offset of %s moved: %ld", a,
          (long)lseek(fa, 0, SEEK_CUR));
    CHECK(write(fb, "beta\n", 5) == 5, "write b");
    close(fa);
    close(fb);
    struct stat sa, sb;
    CHECK(stat(a, &sa) == 0 && sa.st_size == 6, "%s has %ld bytes, not 6", a, (long)sa.st_size);
    CHECK(stat(b, &sb) == 0 && sb.st_size == 5, "%s has %ld bytes, not 5", b, (long)sb.st_size);
    return failures;
}

static int no_file_limit(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    CHECK(rl.rlim_cur == 6, "RLIMIT_NOFILE is %ld, not 6", (long)rl.rlim_cur);
    lock_in_new_thread();
    lock_at_two_sites(NULL);
    int n = 0;
    while (open("/dev/null", O_RDONLY) >= 0)
        n++;
    CHECK(n == 3, "opened %d files under RLIMIT_NOFILE 6, not 3", n);
    return failures;
}

/* ---- a lock wrapper called from two places */

static uintptr_t lock_ret[2], unlock_ret[2];
static int wrapper_caller;

__attribute__((noinline)) static void wrapped_lock(pthread_mutex_t *mx)
{
    lock_ret[wrapper_caller] = (uintptr_t)__builtin_return_address(0);
    pthread_mutex_lock(mx);
    __asm__ volatile("" ::: "memory"); /* no tail call */
}

__attribute__((noinline)) static void wrapped_unlock(pthread_mutex_t *mx)
{
    unlock_ret[wrapper_caller] = (uintptr_t)__builtin_return_address(0);
    pthread_mutex_unlock(mx);
    __asm__ volatile("" ::: "memory");
}

static uint64_t counter;

__attribute__((noinline)) static void caller_a(void)
{
    wrapper_caller = 0;
    wrapped_lock(&m);
    counter++;
    wrapped_unlock(&m);
    __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) static void caller_b(void)
{
    wrapper_caller = 1;
    wrapped_lock(&m);
    counter += 2;
    wrapped_unlock(&m);
    __asm__ volatile("" ::: "memory");
}

#define WRAPPER_ROUNDS 5000

static int wrapper(const char *out)
{
    for (int i = 0; i < WRAPPER_ROUNDS; i++) {
        caller_a();
        caller_b();
        if (i % 7 == 0)
            caller_b();
    }
    uint64_t want = WRAPPER_ROUNDS * 3ull + 2ull * ((WRAPPER_ROUNDS + 6) / 7);
    CHECK(counter == want, "counter %llu, not %llu", (unsigned long long)counter,
          (unsigned long long)want);
    FILE *f = fopen(out, "w");
    CHECK(f != NULL, "cannot write %s", out);
    if (f) {
        fprintf(f, "%lx %lx %lx %lx %lx %d %d\n", (unsigned long)(uintptr_t)&m,
                (unsigned long)lock_ret[0], (unsigned long)lock_ret[1],
                (unsigned long)unlock_ret[0], (unsigned long)unlock_ret[1], WRAPPER_ROUNDS,
                WRAPPER_ROUNDS + (WRAPPER_ROUNDS + 6) / 7);
        fclose(f);
    }
    return failures;
}

/* ---- locks in a signal handler */

static pthread_mutex_t handler_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t handler_runs;

static void lock_in_handler(int sig)
{
    (void)sig;
    int saved = errno;
    pthread_mutex_lock(&handler_mutex);
    handler_runs++;
    pthread_mutex_unlock(&handler_mutex);
    errno = saved;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int signal_locks(const char *out)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lock_in_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGUSR1;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t timer;
    CHECK(timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0, "timer_create: %s",
          strerror(errno));
    struct itimerspec its = {{0, 50000}, {0, 50000}};
    timer_settime(timer, 0, &its, NULL);
    /* At least 2,000 interruptions, and at least 0.3 s (whichever is later). */
    uint64_t pairs = 0, own = 0;
    double end = now_s() + 0.3;
    while (handler_runs < 2000 || now_s() < end) {
        for (int i = 0; i < 1000; i++) {
            pthread_mutex_lock(&m);
            own++;
            pthread_mutex_unlock(&m);
        }
        pairs += 1000;
    }
    timer_delete(timer);
    signal(SIGUSR1, SIG_IGN);
    CHECK(own == pairs, "the loop counted %llu of %llu pairs", (unsigned long long)own,
          (unsigned long long)pairs);
    FILE *f = fopen(out, "w");
    CHECK(f != NULL, "cannot write %s", out);
    if (f) {
        fprintf(f, "%lx %d\n", (unsigned long)(uintptr_t)&handler_mutex, (int)handler_runs);
        fclose(f);
    }
    return failures;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *mode = argv[1], *out = argc > 2 ? argv[2] : ".";
    if (!strcmp(mode, "libunwind"))
        return own_libunwind() ? 1 : 0;
    if (!strcmp(mode, "firstfd"))
        return first_fd() ? 1 : 0;
    if (!strcmp(mode, "daemon"))
        return daemon_like(out) ? 1 : 0;
    if (!strcmp(mode, "nofile"))
        return no_file_limit() ? 1 : 0;
    if (!strcmp(mode, "wrapper"))
        return wrapper(out) ? 1 : 0;
    if (!strcmp(mode, "signal"))
        return signal_locks(out) ? 1 : 0;
    fprintf(stderr, "unwind_prog: unknown mode %s\n", mode);
    return 2;
}
