/* sw_microbench: one lock pattern, run by N threads, timed from the inside.
 *
 *   sw_microbench BENCH THREADS ITERS
 *
 * The same binary runs natively, under LD_PRELOAD=libsyncwatch.so (profile
 * or trace mode), under valgrind (helgrind, drd, callgrind) and, built with
 * clang -fsanitize=thread, as the TSan peer; bench/driver.py compares them.
 * Only the loop is timed (after a warm-up and a start barrier), so process
 * start-up, the shim's first-use set-up and valgrind's JIT warm-up stay out of
 * the figure and ns/op is comparable across tools that run different counts.
 *
 * One "op" per thread per iteration:
 *   uncontended  lock+unlock of the thread's own mutex
 *   contended    lock+unlock of one mutex shared by all threads
 *   nested       lock A, lock B, unlock B, unlock A (shared, always that order)
 *   rwlock       rdlock+unlock of one shared rwlock; every 16th is a wrlock
 *   sem          ring of semaphores: wait on mine, post the next thread's
 *   cond         ring on one mutex: wait for my turn on my condvar, pass the
 *                turn on and signal the next thread's condvar
 *   wrapper      lock+unlock of the thread's own mutex through one pair of
 *                lock/unlock helper functions called from four call sites
 *                in turn (a lock wrapper: one return address, many stacks)
 *   direct4      the same four call sites calling pthread_mutex_* directly
 *   signal       uncontended, while a timer interrupts the thread 20,000
 *                times a second and the signal handler locks and unlocks a
 *                mutex of its own (ns_per_op: the interrupted loop's pair;
 *                also handler_ns_per_pair, the handler's own timed pair)
 * The rings hand a token around all threads, so with one thread they never
 * block and with more every op is a cross-thread wake-up.
 *
 * Output: one JSON line, ns_per_op = (last end - first start) / ITERS, i.e.
 * the time each thread spends per op (with more threads than cores it
 * includes time spent descheduled), and cpu_ns_per_op = the threads' CPU
 * time in the loop / (ITERS * THREADS), which other processes on a busy
 * machine disturb less (it leaves out time spent blocked or preempted). */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
#define WRITE_EVERY 16

struct bench_shared {
    pthread_mutex_t mutex_a;
    pthread_mutex_t mutex_b;
    pthread_rwlock_t rwlock;
    pthread_mutex_t ring_mutex;
    unsigned turn;
    char pad0[64];
    uint64_t counter; /* touched under the shared locks only */
    char pad1[64];
    pthread_barrier_t barrier;
    sem_t sems[MAX_THREADS];
    pthread_cond_t conds[MAX_THREADS];
};

/* Own cache line per worker so that "uncontended" shares nothing. */
struct worker {
    pthread_mutex_t own;
    uint64_t own_counter;
    uint64_t t_start, t_end;
    uint64_t cpu_start, cpu_end;
    unsigned idx;
    pthread_t tid;
} __attribute__((aligned(64)));

typedef void (*bench_fn)(struct worker *w, uint64_t iters);

static struct bench_shared g;
static unsigned g_threads;

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what, int err)
{
    fprintf(stderr, "sw_microbench: %s: %s\n", what, strerror(err));
    exit(2);
}

static void run_uncontended(struct worker *w, uint64_t iters)
{
    for (uint64_t i = 0; i < iters; i++) {
        pthread_mutex_lock(&w->own);
        w->own_counter++;
        pthread_mutex_unlock(&w->own);
    }
}

static void run_contended(struct worker *w, uint64_t iters)
{
    (void)w;
    for (uint64_t i = 0; i < iters; i++) {
        pthread_mutex_lock(&g.mutex_a);
        g.counter++;
        pthread_mutex_unlock(&g.mutex_a);
    }
}

static void run_nested(struct worker *w, uint64_t iters)
{
    (void)w;
    for (uint64_t i = 0; i < iters; i++) {
        pthread_mutex_lock(&g.mutex_a);
        pthread_mutex_lock(&g.mutex_b);
        g.counter++;
        pthread_mutex_unlock(&g.mutex_b);
        pthread_mutex_unlock(&g.mutex_a);
    }
}

static void run_rwlock(struct worker *w, uint64_t iters)
{
    uint64_t seen = 0;
    for (uint64_t i = 0; i < iters; i++) {
        if (i % WRITE_EVERY == w->idx % WRITE_EVERY) {
            pthread_rwlock_wrlock(&g.rwlock);
            g.counter++;
        } else {
            pthread_rwlock_rdlock(&g.rwlock);
            seen += g.counter;
        }
        pthread_rwlock_unlock(&g.rwlock);
    }
    w->own_counter += seen;
}

static void run_sem(struct worker *w, uint64_t iters)
{
    sem_t *mine = &g.sems[w->idx];
    sem_t *next = &g.sems[(w->idx + 1) % g_threads];
    for (uint64_t i = 0; i < iters; i++) {
        while (sem_wait(mine) != 0 && errno == EINTR)
            ;
        sem_post(next);
    }
}

static void run_cond(struct worker *w, uint64_t iters)
{
    unsigned next = (w->idx + 1) % g_threads;
    for (uint64_t i = 0; i < iters; i++) {
        pthread_mutex_lock(&g.ring_mutex);
        while (g.turn != w->idx)
            pthread_cond_wait(&g.conds[w->idx], &g.ring_mutex);
        g.turn = next;
        pthread_cond_signal(&g.conds[next]);
        pthread_mutex_unlock(&g.ring_mutex);
    }
}

/* A lock helper, as programs wrap their locks: the hooks see one return
 * address (inside the helper) for every caller. */
__attribute__((noinline)) static void wrapped_lock(pthread_mutex_t *m)
{
    pthread_mutex_lock(m);
    __asm__ volatile("" ::: "memory"); /* no tail call: the helper stays a frame */
}

__attribute__((noinline)) static void wrapped_unlock(pthread_mutex_t *m)
{
    pthread_mutex_unlock(m);
    __asm__ volatile("" ::: "memory");
}

/* One op = one pair; four call sites take turns. */
static void run_wrapper(struct worker *w, uint64_t iters)
{
    uint64_t rounds = iters / 4, rest = iters % 4;
    for (uint64_t i = 0; i < rounds; i++) {
        wrapped_lock(&w->own);
        w->own_counter++;
        wrapped_unlock(&w->own);
        wrapped_lock(&w->own);
        w->own_counter += 2;
        wrapped_unlock(&w->own);
        wrapped_lock(&w->own);
        w->own_counter += 3;
        wrapped_unlock(&w->own);
        wrapped_lock(&w->own);
        w->own_counter += 4;
        wrapped_unlock(&w->own);
    }
    for (uint64_t i = 0; i < rest; i++) {
        wrapped_lock(&w->own);
        w->own_counter++;
        wrapped_unlock(&w->own);
    }
}

static void run_direct4(struct worker *w, uint64_t iters)
{
    uint64_t rounds = iters / 4, rest = iters % 4;
    for (uint64_t i = 0; i < rounds; i++) {
        pthread_mutex_lock(&w->own);
        w->own_counter++;
        pthread_mutex_unlock(&w->own);
        pthread_mutex_lock(&w->own);
        w->own_counter += 2;
        pthread_mutex_unlock(&w->own);
        pthread_mutex_lock(&w->own);
        w->own_counter += 3;
        pthread_mutex_unlock(&w->own);
        pthread_mutex_lock(&w->own);
        w->own_counter += 4;
        pthread_mutex_unlock(&w->own);
    }
    for (uint64_t i = 0; i < rest; i++) {
        pthread_mutex_lock(&w->own);
        w->own_counter++;
        pthread_mutex_unlock(&w->own);
    }
}

#define SIGNAL_HZ 20000
static pthread_mutex_t handler_mutex = PTHREAD_MUTEX_INITIALIZER;
static volatile uint64_t handler_runs, handler_ns;

static uint64_t clock_ns(clockid_t id);

/* Times its own lock pair (clock_gettime is async-signal-safe): the cost of
 * a lock taken in a signal handler, apart from the signal's delivery. */
static void lock_in_handler(int sig)
{
    (void)sig;
    int saved = errno;
    uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&handler_mutex);
    handler_runs++;
    pthread_mutex_unlock(&handler_mutex);
    handler_ns += clock_ns(CLOCK_MONOTONIC) - t0;
    errno = saved;
}

/* The timer interrupts this thread only (SIGEV_THREAD_ID). */
static void run_signal(struct worker *w, uint64_t iters)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = lock_in_handler;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        die("sigaction", errno);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGUSR1;
    sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0)
        die("timer_create", errno);
    struct itimerspec its = {{0, 1000000000 / SIGNAL_HZ}, {0, 1000000000 / SIGNAL_HZ}};
    timer_settime(timer, 0, &its, NULL);
    run_uncontended(w, iters);
    timer_delete(timer);
}

static const struct {
    const char *name;
    bench_fn fn;
} benches[] = {
    {"uncontended", run_uncontended}, {"contended", run_contended}, {"nested", run_nested},
    {"rwlock", run_rwlock},           {"sem", run_sem},             {"cond", run_cond},
    {"wrapper", run_wrapper},         {"direct4", run_direct4},     {"signal", run_signal},
};

static bench_fn g_fn;
static uint64_t g_iters;

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    /* Warm-up: first-touch of the shim's per-thread state, valgrind's
     * translations and the caches.  Every thread does the same number of
     * ring steps, so the rings are back at their start state afterwards. */
    g_fn(w, g_iters / 10 + 1);
    pthread_barrier_wait(&g.barrier);
    w->cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    w->t_start = clock_ns(CLOCK_MONOTONIC);
    g_fn(w, g_iters);
    w->t_end = clock_ns(CLOCK_MONOTONIC);
    w->cpu_end = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    pthread_barrier_wait(&g.barrier);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: sw_microbench BENCH THREADS ITERS\n  BENCH:");
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        fprintf(stderr, " %s", benches[i].name);
    fprintf(stderr, "\n  THREADS: 1..%d\n", MAX_THREADS);
    exit(2);
}

static uint64_t parse_u64(const char *s, uint64_t min, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 4)
        usage();
    const char *name = argv[1];
    for (size_t i = 0; i < sizeof benches / sizeof benches[0]; i++)
        if (!strcmp(benches[i].name, name))
            g_fn = benches[i].fn;
    if (!g_fn)
        usage();
    g_threads = (unsigned)parse_u64(argv[2], 1, MAX_THREADS);
    g_iters = parse_u64(argv[3], 1, UINT64_C(1) << 40);

    int err;
    if ((err = pthread_mutex_init(&g.mutex_a, NULL)) || (err = pthread_mutex_init(&g.mutex_b, NULL)) ||
        (err = pthread_mutex_init(&g.ring_mutex, NULL)) ||
        (err = pthread_rwlock_init(&g.rwlock, NULL)) ||
        (err = pthread_barrier_init(&g.barrier, NULL, g_threads)))
        die("init", err);
    for (unsigned i = 0; i < g_threads; i++) {
        if (sem_init(&g.sems[i], 0, i == 0 ? 1 : 0) != 0)
            die("sem_init", errno);
        if ((err = pthread_cond_init(&g.conds[i], NULL)))
            die("pthread_cond_init", err);
    }

    static struct worker workers[MAX_THREADS];
    for (unsigned i = 0; i < g_threads; i++) {
        workers[i].idx = i;
        if ((err = pthread_mutex_init(&workers[i].own, NULL)))
            die("pthread_mutex_init", err);
    }
    /* Thread 0 is the main thread, so one-thread runs create no thread. */
    for (unsigned i = 1; i < g_threads; i++)
        if ((err = pthread_create(&workers[i].tid, NULL, worker_main, &workers[i])))
            die("pthread_create", err);
    worker_main(&workers[0]);
    for (unsigned i = 1; i < g_threads; i++)
        pthread_join(workers[i].tid, NULL);

    uint64_t first = UINT64_MAX, last = 0, cpu = 0;
    for (unsigned i = 0; i < g_threads; i++) {
        cpu += workers[i].cpu_end - workers[i].cpu_start;
        if (workers[i].t_start < first)
            first = workers[i].t_start;
        if (workers[i].t_end > last)
            last = workers[i].t_end;
    }
    double ns = (double)(last - first) / (double)g_iters;
    printf("{\"bench\":\"%s\",\"threads\":%u,\"iters\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64
           ",\"ns_per_op\":%.3f,\"cpu_ns_per_op\":%.3f",
           name, g_threads, g_iters, last - first, ns,
           (double)cpu / ((double)g_iters * g_threads));
    if (g_fn == run_signal)
        printf(",\"handler_pairs\":%" PRIu64 ",\"handler_ns_per_pair\":%.3f", handler_runs,
               handler_runs ? (double)handler_ns / (double)handler_runs : 0.0);
    printf("}\n");

    for (unsigned i = 0; i < g_threads; i++) {
        sem_destroy(&g.sems[i]);
        pthread_cond_destroy(&g.conds[i]);
        pthread_mutex_destroy(&workers[i].own);
    }
    pthread_barrier_destroy(&g.barrier);
    pthread_rwlock_destroy(&g.rwlock);
    pthread_mutex_destroy(&g.ring_mutex);
    pthread_mutex_destroy(&g.mutex_b);
    pthread_mutex_destroy(&g.mutex_a);
    return 0;
}
