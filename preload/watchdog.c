/* The watchdog: a thread of the shim's own that reports a hang while the
 * program hangs.
 *
 * Once a second it reads the live per-thread blocks (held locks, the object
 * each thread waits for and since when) that the lock path keeps anyway, so
 * it costs nothing per lock operation.  When threads have been blocked for
 * SYNCWATCH_HANG_TIMEOUT in a wait-for cycle (each waits, untimed, for a
 * lock that the next one holds; one thread waiting for a lock it holds
 * itself is a cycle of one), or when every thread of the process has been
 * blocked that long in untimed waits, it says so on stderr, runs
 * syncwatch-report on the live trace (names, stacks, the cycle), and acts
 * per SYNCWATCH_ON_HANG.
 *
 * Reading other threads' blocks races with their owners; a wait counts only
 * when two scans a second apart saw the same object and the same start, so
 * a wait that ended and began again in between is never taken for one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "preload/clock.h"
#include "preload/lock_table.h"
#include "preload/log.h"
#include "preload/real.h"
#include "preload/rec_internal.h"
#include "preload/watchdog.h"

#define WD_MAX_THREADS 1024u
#define WD_PERIOD_NS 1000000000ull

struct wd_thread {
    uint32_t index, tid;
    uint32_t state;
    uint32_t waiting, flags;
    uint32_t join; /* thread index it is blocked joining (SWT_JOIN_UNKNOWN: not known), or 0 */
    uint32_t shared; /* the waited-for object is process-shared */
    uint32_t sem;    /* ... is a semaphore (any thread may post it) */
    uint32_t kind;   /* enum swt_lock_kind of it, 0 if unknown */
    uint64_t since;
    uint32_t nheld;
    uint32_t held[SWT_MAX_HELD];
};

/* Two scans, the previous and the current one; the watchdog's own memory
 * (bss), touched only once it runs. */
static struct wd_thread scan_a[WD_MAX_THREADS], scan_b[WD_MAX_THREADS];
/* The waits already reported, by (thread index, since): reported once. */
static struct {
    uint32_t index;
    uint64_t since;
} reported[WD_MAX_THREADS];
static size_t nreported;
static int started_pid;

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);

static uint64_t ticks_ns(uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)ticks * rec_g.hdr->tick_ns_q32) >> 32);
}

struct scan {
    struct wd_thread *out;
    size_t n;
};

/* Under the thread registry's lock (rec_threads_visit): copies one block. */
static void take_one(void *ctx, uint32_t index, uint32_t tid, const struct swt_thread_block *b)
{
    struct scan *sc = ctx;
    if (sc->n == WD_MAX_THREADS)
        return;
    struct wd_thread *w = &sc->out[sc->n++];
    w->index = index;
    w->tid = tid;
    w->state = __atomic_load_n(&b->state, __ATOMIC_ACQUIRE);
    w->waiting = __atomic_load_n(&b->waiting_lock, __ATOMIC_ACQUIRE);
    w->flags = __atomic_load_n(&b->waiting_flags, __ATOMIC_RELAXED);
    w->join = __atomic_load_n(&b->waiting_join, __ATOMIC_ACQUIRE);
    w->since = __atomic_load_n(&b->waiting_since_ticks, __ATOMIC_RELAXED);
    const struct lt_info *li = lt_info(w->waiting);
    w->shared = li && (li->lock_flags & SWT_LOCK_PSHARED);
    w->sem = li && (li->meta & LT_META_SEM);
    w->kind = li ? (li->meta & LT_META_KIND_MASK) : 0;
    uint32_t nheld = __atomic_load_n(&b->nheld, __ATOMIC_ACQUIRE);
    if (nheld > SWT_MAX_HELD)
        nheld = SWT_MAX_HELD;
    w->nheld = 0;
    for (uint32_t k = 0; k < nheld; k++) {
        uint32_t lock = __atomic_load_n(&b->held[k].lock, __ATOMIC_RELAXED);
        if (lock)
            w->held[w->nheld++] = lock;
    }
}

static size_t take_scan(struct wd_thread *out)
{
    struct scan sc = {out, 0};
    rec_threads_visit(take_one, &sc);
    return sc.n;
}

static const struct wd_thread *find_index(const struct wd_thread *s, size_t n, uint32_t index)
{
    for (size_t i = 0; i < n; i++)
        if (s[i].index == index)
            return &s[i];
    return NULL;
}

/* A wait that nothing but another thread's progress can end (no timeout),
 * seen unchanged by two scans and older than the timeout. */
static int stuck(const struct wd_thread *w, const struct wd_thread *prev, size_t nprev,
                 uint64_t now)
{
    if (w->state != SWT_THREAD_RUNNING)
        return 0;
    if (!w->join && (!w->waiting || (w->flags & SWT_ACQ_TIMED)))
        return 0;
    const struct wd_thread *p = find_index(prev, nprev, w->index);
    if (!p || p->waiting != w->waiting || p->join != w->join || p->since != w->since)
        return 0;
    return now > w->since && ticks_ns(now - w->since) >= rec_g.cfg.hang_timeout_ns;
}

/* Waits of this kind can be part of a cycle: a lock (a holder exists) or a
 * join (the joined thread). */
static int lock_wait(const struct wd_thread *w)
{
    return (w->join && w->join != SWT_JOIN_UNKNOWN) || (!(w->flags & SWT_ACQ_COND) && w->waiting);
}

static int holds(const struct wd_thread *w, uint32_t lock)
{
    for (uint32_t k = 0; k < w->nheld; k++)
        if (w->held[k] == lock)
            return 1;
    return 0;
}

static int already_reported(const struct wd_thread *w)
{
    for (size_t i = 0; i < nreported; i++)
        if (reported[i].index == w->index && reported[i].since == w->since)
            return 1;
    return 0;
}

static void mark_reported(const struct wd_thread *w)
{
    if (nreported < WD_MAX_THREADS) {
        reported[nreported].index = w->index;
        reported[nreported].since = w->since;
        nreported++;
    }
}

/* ---- the report ---- */

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case SWT_KIND_MUTEX:
    case SWT_KIND_C11_MTX:
        return "mutex";
    case SWT_KIND_RWLOCK:
        return "rwlock";
    case SWT_KIND_SPIN:
        return "spinlock";
    case SWT_KIND_COND:
    case SWT_KIND_C11_CND:
        return "condition variable";
    case SWT_KIND_BARRIER:
        return "barrier";
    case SWT_KIND_SEM:
    case SWT_KIND_SEM_NAMED:
        return "semaphore";
    default:
        return "lock";
    }
}

/* One line per stuck thread: what it waits for, whether it holds that
 * itself, for how long. */
static void say_waits(const struct wd_thread *s, size_t n, const int *is_stuck, uint64_t now)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_stuck[i])
            continue;
        if (s[i].join) {
            log_always("syncwatch:   thread %u waits in pthread_join since %llu s, holding %u "
                       "lock%s",
                       s[i].tid, (unsigned long long)(ticks_ns(now - s[i].since) / 1000000000ull),
                       s[i].nheld, s[i].nheld == 1 ? "" : "s");
            continue;
        }
        log_always("syncwatch:   thread %u waits for %s #%u%s since %llu s, holding %u lock%s",
                   s[i].tid, kind_name(s[i].kind), s[i].waiting,
                   holds(&s[i], s[i].waiting) ? " (which it holds itself)" : "",
                   (unsigned long long)(ticks_ns(now - s[i].since) / 1000000000ull), s[i].nheld,
                   s[i].nheld == 1 ? "" : "s");
    }
}

/* syncwatch-report next to the shim: the build tree (preload/ beside
 * analyzer/) or an installed prefix (lib/ or lib/<triplet>/ beside bin/). */
static int find_report(char *out, size_t len)
{
    Dl_info info;
    if (!dladdr((void *)&wd_start, &info) || !info.dli_fname || info.dli_fname[0] != '/')
        return -1;
    char dir[PATH_MAX - 64];
    if (snprintf(dir, sizeof dir, "%s", info.dli_fname) >= (int)sizeof dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    static const char *const rel[] = {"../analyzer/syncwatch-report", "../bin/syncwatch-report",
                                      "../../bin/syncwatch-report"};
    for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
        if (snprintf(out, len, "%s/%s", dir, rel[i]) >= (int)len)
            continue;
        if (access(out, X_OK) == 0)
            return 0;
    }
    return -1;
}

struct spawn_args {
    const char *path;
    char *const *argv;
    char *const *envp;
};

/* In the clone child (own descriptor table, shared memory until exec):
 * stdout is the program's stderr, nothing else of the program's stays
 * open, and the analyzer is not traced itself. */
static int spawn_child(void *arg)
{
    const struct spawn_args *a = arg;
    if (dup2(2, 1) < 0)
        syscall(SYS_exit, 127);
    syscall(SYS_close_range, 3u, ~0u, 0u);
    /* The system call itself: the shim's execve hook (the program's exec
     * bookkeeping) is not for this child. */
    syscall(SYS_execve, a->path, a->argv, a->envp);
    syscall(SYS_exit, 127);
    return 0;
}

static void run_report(void)
{
    static char report[PATH_MAX];
    if (find_report(report, sizeof report) != 0) {
        log_always("syncwatch: syncwatch-report was not found next to the shim; run "
                   "syncwatch-report %s for the names and stacks",
                   rec_g.path);
        return;
    }
    /* The environment without LD_PRELOAD, and the shim off in any case. */
    static char *envp[512];
    size_t n = 0;
    extern char **environ;
    for (char **e = environ; e && *e && n < sizeof envp / sizeof envp[0] - 2; e++)
        if (strncmp(*e, "LD_PRELOAD=", 11) != 0 && strncmp(*e, "SYNCWATCH_", 10) != 0)
            envp[n++] = *e;
    envp[n++] = (char *)"SYNCWATCH_DISABLE=1";
    envp[n] = NULL;
    char *argv[] = {report, (char *)"--no-color", rec_g.path, NULL};
    struct spawn_args a = {report, argv, envp};
    static char stack[64 * 1024] __attribute__((aligned(16)));
    /* Exit signal 0: the program gets no SIGCHLD for this child and its
     * wait() never reaps it (only __WALL does). */
    pid_t pid = clone(spawn_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK, &a);
    if (pid < 0) {
        log_always("syncwatch: could not run %s: %s", report, strerror(errno));
        return;
    }
    int st;
    while (waitpid(pid, &st, __WALL) < 0 && errno == EINTR) {
    }
}

/* The trace remembers the report, for the analysis afterwards. */
static void note_in_trace(unsigned kind, uint64_t now)
{
    struct swt_file_header *h = rec_g.hdr;
    __atomic_store_n(&h->hang_kind, kind, __ATOMIC_RELAXED);
    __atomic_fetch_add(&h->hang_count, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&h->hang_ticks, now, __ATOMIC_RELEASE);
}

static void act(void)
{
    switch (rec_g.cfg.on_hang) {
    case CFG_HANG_ABORT:
        log_always("syncwatch: SYNCWATCH_ON_HANG=abort: aborting the process");
        /* abort() in this thread; SIGABRT is unblocked for it. */
        {
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGABRT);
            pthread_sigmask(SIG_UNBLOCK, &s, NULL);
        }
        abort();
    case CFG_HANG_EXIT:
        log_always("syncwatch: SYNCWATCH_ON_HANG=exit=%u: ending the process", rec_g.cfg.on_hang_status);
        /* _exit: a hung program's atexit handlers could wait forever on the
         * very locks that hang it. */
        _exit((int)rec_g.cfg.on_hang_status);
    default:
        break;
    }
}

/* ---- detection ---- */

/* Follows the wait-for chain from s[i]: each stuck thread waits for a lock
 * that exactly the next thread holds.  Returns the cycle's length (its
 * members in cyc[]), or 0. */
static size_t find_cycle(const struct wd_thread *s, size_t n, const int *is_stuck, size_t i,
                         size_t *cyc)
{
    size_t len = 0;
    size_t cur = i;
    for (;;) {
        if (!is_stuck[cur] || !lock_wait(&s[cur]))
            return 0;
        for (size_t k = 0; k < len; k++)
            if (cyc[k] == cur)
                return k == 0 ? len : 0; /* closed at the start, or a tail into a cycle */
        if (len == WD_MAX_THREADS)
            return 0;
        cyc[len++] = cur;
        /* The holder of what cur waits for (itself, for a self-wait).  A
         * thread waiting for a semaphore it "holds" is no self-deadlock:
         * another thread may post it, which is how CPython's
         * Condition.wait blocks (architecture.md fact 16); when nobody
         * does, the all-waiting rule below speaks. */
        size_t next = n;
        for (size_t j = 0; j < n; j++) {
            if (s[cur].join) {
                if (s[j].index == s[cur].join) {
                    next = j; /* a join waits for the joined thread */
                    break;
                }
                continue;
            }
            if (holds(&s[j], s[cur].waiting) && !(j == cur && s[cur].sem)) {
                next = j;
                if (j == cur)
                    break;
            }
        }
        if (next == n)
            return 0;
        cur = next;
    }
}

static void check(const struct wd_thread *s, size_t n, const struct wd_thread *prev, size_t nprev)
{
    static int is_stuck[WD_MAX_THREADS];
    static size_t cyc[WD_MAX_THREADS];
    uint64_t now = clock_ticks();
    size_t nstuck = 0, nlive = 0, nlocal = 0;
    for (size_t i = 0; i < n; i++)
        is_stuck[i] = stuck(&s[i], prev, nprev, now);
    /* A join on a thread that has ended (or is gone) returns at once. */
    for (size_t i = 0; i < n; i++) {
        if (!is_stuck[i] || !s[i].join)
            continue;
        const struct wd_thread *j = find_index(s, n, s[i].join);
        if (!j || j->state != SWT_THREAD_RUNNING)
            is_stuck[i] = 0;
    }
    for (size_t i = 0; i < n; i++) {
        nstuck += is_stuck[i];
        /* Another process may post a shared semaphore or signal a shared
         * condvar: such a wait does not make the process hopeless. */
        nlocal += is_stuck[i] && !s[i].shared;
        nlive += s[i].state == SWT_THREAD_RUNNING;
    }
    if (!nstuck)
        return;
    for (size_t i = 0; i < n; i++) {
        size_t len = find_cycle(s, n, is_stuck, i, cyc);
        if (!len || already_reported(&s[i]))
            continue;
        char line[400];
        int off = 0;
        int has_join = 0;
        for (size_t k = 0; k < len; k++)
            has_join |= s[cyc[k]].join != 0;
        for (size_t k = 0; k < len && off < (int)sizeof line - 40; k++) {
            const struct wd_thread *w = &s[cyc[k]];
            if (w->join)
                off += snprintf(line + off, sizeof line - (size_t)off,
                                "%sthread %u waits in pthread_join", k ? ", " : "", w->tid);
            else
                off += snprintf(line + off, sizeof line - (size_t)off,
                                "%sthread %u waits for L#%u", k ? ", " : "", w->tid, w->waiting);
        }
        uint64_t secs = ticks_ns(now - s[i].since) / 1000000000ull;
        if (len == 1 && s[i].join)
            log_always("syncwatch: HANG: deadlock: thread %u has waited %llu s to join itself",
                       s[i].tid, (unsigned long long)secs);
        else if (len == 1)
            log_always("syncwatch: HANG: deadlock: thread %u has waited %llu s for a lock it "
                       "holds itself (%s)",
                       s[i].tid, (unsigned long long)secs, line);
        else
            log_always("syncwatch: HANG: deadlock: %zu threads have waited %llu s, each for a "
                       "lock the next one holds%s (%s)",
                       len, (unsigned long long)secs,
                       has_join ? " or for the next one to end" : "", line);
        for (size_t k = 0; k < len; k++)
            mark_reported(&s[cyc[k]]);
        note_in_trace(SWT_HANG_CYCLE, now);
        log_always("syncwatch: the report of the trace %s as it stands:", rec_g.path);
        run_report();
        act();
        return;
    }
    /* Every live thread blocked, untimed, for the timeout: nothing that
     * runs in this process can wake any of them. */
    if (nlocal == nlive) {
        /* Once per hang: not when any of these waits was reported already
         * (threads joining a reported deadlock's threads add nothing). */
        for (size_t i = 0; i < n; i++)
            if (is_stuck[i] && already_reported(&s[i]))
                return;
        log_always("syncwatch: HANG: all %zu threads of process %d have been waiting for at "
                   "least %llu s, and none of them can wake the others",
                   nlive, rec_g.pid,
                   (unsigned long long)(rec_g.cfg.hang_timeout_ns / 1000000000ull));
        say_waits(s, n, is_stuck, now);
        for (size_t i = 0; i < n; i++)
            if (is_stuck[i])
                mark_reported(&s[i]);
        note_in_trace(SWT_HANG_ALL_WAITING, now);
        log_always("syncwatch: the report of the trace %s as it stands:", rec_g.path);
        run_report();
        act();
    }
}

static void *watch(void *arg)
{
    (void)arg;
    /* The shim's own thread: every hook it might reach only forwards, as
     * inside a hook (no event of the program is lost: none is its). */
    rec_tls.flags = REC_TLS_BUSY;
    prctl(PR_SET_NAME, "syncwatch-wd", 0, 0, 0);
    struct wd_thread *prev = scan_a, *cur = scan_b;
    size_t nprev = 0;
    for (;;) {
        struct timespec ts = {(time_t)(WD_PERIOD_NS / 1000000000ull), 0};
        while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR) {
        }
        if (__atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY || getpid() != rec_g.pid)
            return NULL;
        size_t n = take_scan(cur);
        check(cur, n, prev, nprev);
        struct wd_thread *t = prev;
        prev = cur;
        cur = t;
        nprev = n;
    }
    return NULL;
}

void wd_start(void)
{
    if (!rec_g.cfg.hang_timeout_ns || __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    int pid = getpid();
    if (__atomic_exchange_n(&started_pid, pid, __ATOMIC_ACQ_REL) == pid)
        return;
    nreported = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    /* Every signal blocked in the watchdog, so that none meant for the
     * program is delivered to it. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    int rc = REAL(real_pthread_create, "pthread_create")(&th, &attr, watch, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        log_msg("syncwatch: could not start the hang watchdog (%s); hangs are reported only "
                "afterwards, by syncwatch-report",
                strerror(rc));
}
