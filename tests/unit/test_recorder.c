/* Unit tests of the recorder core, linked directly (no LD_PRELOAD).  The
 * recorder is one per process and reads its configuration once, so each
 * test runs its scenario in a forked child that sets the environment,
 * drives the rec_* API the way a hook would, and ends; the parent then
 * reads the child's trace with the common reader and checks it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/trace_reader.h"
#include "tests/unit/test_tmpdir.h"
#include "preload/recorder.h"


/* Runs fn in a child with SYNCWATCH_OUTPUT=DIR/name and the extra
 * variables (NAME=VALUE strings, NULL-terminated).  Returns the child's
 * wait status. */
static int run_child(const char *name, void (*fn)(void), ...)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("SYNCWATCH_OUTPUT", path, 1);
        unsetenv("SYNCWATCH_MODE");
        unsetenv("SYNCWATCH_RUN_ID");
        va_list ap;
        va_start(ap, fn);
        const char *kv;
        while ((kv = va_arg(ap, const char *))) {
            char buf[256];
            snprintf(buf, sizeof buf, "%s", kv);
            char *eq = strchr(buf, '=');
            *eq = 0;
            setenv(buf, eq + 1, 1);
        }
        va_end(ap);
        fn();
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static struct swt_trace *open_trace(const char *name)
{
    char path[PATH_MAX], err[SWT_ERR_LEN];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct swt_trace *t = swt_open(path, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    return t;
}

/* Records of one type, in time order; fields of the n-th in out. */
static int count_type(struct swt_trace *t, unsigned type, int nth, struct swt_rec *out)
{
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    int n = 0, rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1)
        if (r.type == type) {
            if (n == nth && out)
                *out = r;
            n++;
        }
    swt_merge_free(m);
    assert_int_equal(rc, 0);
    return n;
}

static void end_process(struct rec_thread *t, int status)
{
    rec_proc_exit(t, SWT_EXIT__EXIT, status);
    rec_leave(t);
    _exit(status);
}

static uint32_t new_mutex(struct rec_thread *t, const void *addr, unsigned type)
{
    struct rec_lock_attr a = {SWT_KIND_MUTEX, type, 0, 0, NULL};
    return rec_lock_init(t, addr, &a, SWT_NO_SITE);
}

static void lock(struct rec_thread *t, uint32_t id) { rec_acquired(t, id, 0, SWT_NO_SITE); }
static void unlock(struct rec_thread *t, uint32_t id) { rec_released(t, id, 0, SWT_NO_SITE); }

/* ---- the writer produces a trace the reader decodes ---- */

static int mutex_a, mutex_b, mutex_c;

static void scenario_basic(void)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        _exit(3);
    uint32_t a = new_mutex(t, &mutex_a, SWT_TYPE_DEFAULT);
    lock(t, a);
    unlock(t, a);
    end_process(t, 7);
}

static void test_basic_trace(void **state)
{
    (void)state;
    int st = run_child("basic.swt", scenario_basic, "SYNCWATCH_STACK_DEPTH=0", NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 7);
    struct swt_trace *t = open_trace("basic.swt");
    const struct swt_file_header *h = swt_header(t);
    assert_memory_equal(h->magic, SWT_MAGIC, SWT_MAGIC_LEN);
    assert_int_equal(h->mode, SWT_MODE_TRACE);
    assert_true(h->features & SWT_FEAT_EVENTS);
    assert_true(h->features & SWT_FEAT_EDGES);
    assert_int_equal(h->state, SWT_PROC_EXITED);
    assert_int_equal(h->exit_status, 7);
    assert_true(h->run_id != 0);
    assert_true(h->pid > 0);
    assert_int_equal(swt_warning_count(t), 0);
    struct swt_rec r = {0};
    assert_int_equal(count_type(t, SWT_REC_LOCK_NEW, 0, &r), 1);
    assert_int_equal(r.f[1], SWT_KIND_MUTEX);
    assert_int_equal(r.f[4], (uintptr_t)&mutex_a);
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 1);
    assert_int_equal(count_type(t, SWT_REC_RELEASE, 0, NULL), 1);
    assert_int_equal(count_type(t, SWT_REC_PROC_EXIT, 0, &r), 1);
    assert_int_equal(r.f[0], SWT_EXIT__EXIT);
    assert_int_equal(r.f[1], 7);
    swt_close(t);
}

/* ---- chunk rollover ---- */

#define ROLL_PAIRS 20000

static void scenario_rollover(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, SWT_TYPE_DEFAULT);
    for (int i = 0; i < ROLL_PAIRS; i++) {
        lock(t, a);
        unlock(t, a);
    }
    end_process(t, 0);
}

static void test_chunk_rollover(void **state)
{
    (void)state;
    run_child("roll.swt", scenario_rollover, "SYNCWATCH_CHUNK_SIZE=4096",
              "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("roll.swt");
    const struct swt_file_header *h = swt_header(t);
    assert_int_equal(h->chunk_size, 4096);
    assert_true(h->chunks_allocated > 10);
    assert_int_equal(h->dropped_events, 0);
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), ROLL_PAIRS);
    assert_int_equal(count_type(t, SWT_REC_RELEASE, 0, NULL), ROLL_PAIRS);
    assert_int_equal(swt_warning_count(t), 0);
    /* The trace-mode size target: a lock/unlock pair's two records. */
    uint64_t bytes = swt_file_size(t) - SWT_HEADER_REGION;
    assert_true(bytes / (2 * ROLL_PAIRS) <= 12);
    swt_close(t);
}

/* ---- a full disk: events are dropped and counted, the program runs on ---- */

static void scenario_file_limit(void)
{
    /* Room for the header, the THREAD chunk and one EVENTS chunk.  The
     * default SIGXFSZ action would kill the program: the recorder must
     * never trigger it. */
    struct rlimit rl = {SWT_HEADER_REGION + 2 * 65536, RLIM_INFINITY};
    setrlimit(RLIMIT_FSIZE, &rl);
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, SWT_TYPE_DEFAULT);
    for (int i = 0; i < ROLL_PAIRS; i++) {
        lock(t, a);
        unlock(t, a);
    }
    end_process(t, 0);
}

static void test_dropped_events(void **state)
{
    (void)state;
    int st = run_child("limit.swt", scenario_file_limit, "SYNCWATCH_STACK_DEPTH=0", NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_trace("limit.swt");
    const struct swt_file_header *h = swt_header(t);
    int written = count_type(t, SWT_REC_ACQUIRE, 0, NULL) + count_type(t, SWT_REC_RELEASE, 0, NULL);
    assert_true(h->dropped_events > 0);
    assert_true(written > 0);
    /* Every event is either in the file or counted as dropped. */
    assert_true((uint64_t)written + h->dropped_events >= 2 * ROLL_PAIRS);
    assert_int_equal(h->state, SWT_PROC_EXITED);
    swt_close(t);
}

/* ---- recursive depth, held list, waiting lock, kill -9 ---- */

static void scenario_recursive_killed(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, SWT_TYPE_RECURSIVE);
    uint32_t b = new_mutex(t, &mutex_b, SWT_TYPE_DEFAULT);
    uint32_t c = new_mutex(t, &mutex_c, SWT_TYPE_DEFAULT);
    lock(t, a);
    lock(t, a); /* recursive re-lock: depth 2, not a new hold */
    lock(t, a);
    unlock(t, a);
    lock(t, b);
    rec_wait(t, c, 0, SWT_NO_SITE);
    raise(SIGKILL);
}

static void test_recursive_held_kill(void **state)
{
    (void)state;
    int st = run_child("kill.swt", scenario_recursive_killed, "SYNCWATCH_STACK_DEPTH=0", NULL);
    assert_true(WIFSIGNALED(st));
    struct swt_trace *t = open_trace("kill.swt");
    assert_int_equal(swt_header(t)->state, SWT_PROC_RUNNING);
    const struct swt_thread_block *blk = swt_thread_block(t, 1);
    assert_non_null(blk);
    assert_int_equal(blk->nheld, 2);
    assert_int_equal(blk->held[0].depth, 2);
    assert_int_equal(blk->held[1].depth, 1);
    assert_true(blk->waiting_lock != 0);
    assert_int_equal(blk->waiting_lock, 3);
    assert_int_equal(blk->held[0].lock, 1);
    assert_int_equal(blk->held[1].lock, 2);
    /* Every record written before the kill is there. */
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 4);
    struct swt_rec r = {0};
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 1, &r), 4);
    assert_true(r.f[1] & SWT_ACQ_RECURSIVE);
    assert_int_equal(count_type(t, SWT_REC_WAIT, 0, NULL), 1);
    swt_close(t);
}

/* ---- lock-order edges ---- */

static void scenario_edges(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, 0), b = new_mutex(t, &mutex_b, 0),
             c = new_mutex(t, &mutex_c, 0);
    for (int i = 0; i < 100; i++) { /* A->B, the same held set every time */
        lock(t, a);
        lock(t, b);
        unlock(t, b);
        unlock(t, a);
    }
    lock(t, c); /* A->B again, but with C held too: a new edge C->A, C->B, A->B */
    lock(t, a);
    lock(t, b);
    unlock(t, b);
    unlock(t, a);
    unlock(t, c);
    lock(t, a); /* a trylock of B under A: its own edge, flagged */
    rec_acquired(t, b, SWT_ACQ_TRY, SWT_NO_SITE);
    unlock(t, b);
    unlock(t, a);
    end_process(t, 0);
}

static void test_edges_dedup(void **state)
{
    (void)state;
    run_child("edges.swt", scenario_edges, "SYNCWATCH_STACK_DEPTH=0", "SYNCWATCH_MODE=profile",
              NULL);
    struct swt_trace *t = open_trace("edges.swt");
    assert_int_equal(swt_header(t)->mode, SWT_MODE_PROFILE);
    assert_false(swt_header(t)->features & SWT_FEAT_EVENTS);
    /* Profile mode writes no per-operation records... */
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 0);
    /* ...but the same edges as trace mode. */
    int n = count_type(t, SWT_REC_EDGE, 0, NULL);
    assert_int_equal(n, 5);
    int ab = 0, ab_try = 0, ab_with_c = 0;
    for (int i = 0; i < n; i++) {
        struct swt_rec r = {0};
        count_type(t, SWT_REC_EDGE, i, &r);
        if (r.f[0] == 1 && r.f[1] == 2) {
            if (SWT_EDGE_TO(r.f[2]) & SWT_ACQ_TRY)
                ab_try++;
            else if (r.blob_len)
                ab_with_c++; /* blob: the other held lock, C */
            else
                ab++;
        }
    }
    assert_int_equal(ab, 1);
    assert_int_equal(ab_try, 1);
    assert_int_equal(ab_with_c, 1);
    swt_close(t);
}

/* ---- profile counters ---- */

static void scenario_profile(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, 0);
    for (int i = 0; i < 1000; i++) {
        lock(t, a);
        unlock(t, a);
    }
    rec_wait(t, a, 0, SWT_NO_SITE);
    usleep(2000);
    lock(t, a);
    unlock(t, a);
    rec_failed(t, a, SWT_ACQ_TRY, SWT_NO_SITE, EBUSY);
    end_process(t, 0);
}

struct stat_sum {
    uint64_t acq, cont, fail, wait_max, holds;
};

static void sum_stat(void *ctx, uint32_t thread, const struct swt_stat_slot *s)
{
    (void)thread;
    struct stat_sum *sum = ctx;
    sum->acq += s->acquisitions;
    sum->cont += s->contentions;
    sum->fail += s->failures;
    sum->holds += s->hold_samples;
    if (s->wait_max_ns > sum->wait_max)
        sum->wait_max = s->wait_max_ns;
}

static void test_profile_counters(void **state)
{
    (void)state;
    run_child("prof.swt", scenario_profile, "SYNCWATCH_MODE=profile", "SYNCWATCH_HOLD_SAMPLE=10",
              "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("prof.swt");
    struct stat_sum sum = {0};
    swt_foreach_stat(t, sum_stat, &sum);
    assert_int_equal(sum.acq, 1001);
    assert_int_equal(sum.cont, 1);
    assert_int_equal(sum.fail, 1);
    assert_true(sum.wait_max >= 1000000); /* slept 2 ms while "waiting" */
    assert_true(sum.holds >= 100 && sum.holds <= 102); /* 1 in 10, plus the contended one */
    swt_close(t);
}

/* Full counter tables (issue 9 item 13): 4 KiB chunks hold 9 + 15 x 14
 * (lock, site) pairs; 500 locks taken 3 times each, plus one busy trylock
 * of each: every operation is still counted, the ones without room in the
 * SWT_STAT_UNCOUNTED slot. */
#define MANY_LOCKS 500
static char many_locks[MANY_LOCKS];

static void scenario_profile_full(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t id[MANY_LOCKS];
    for (int i = 0; i < MANY_LOCKS; i++)
        id[i] = new_mutex(t, &many_locks[i], 0);
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < MANY_LOCKS; i++) {
            lock(t, id[i]);
            unlock(t, id[i]);
        }
    for (int i = 0; i < MANY_LOCKS; i++)
        rec_failed(t, id[i], SWT_ACQ_TRY, SWT_NO_SITE, EBUSY);
    end_process(t, 0);
}

struct uncounted_sum {
    struct stat_sum all, uncounted;
    int nuncounted;
};

static void sum_uncounted(void *ctx, uint32_t thread, const struct swt_stat_slot *s)
{
    struct uncounted_sum *u = ctx;
    sum_stat(&u->all, thread, s);
    if (s->lock == SWT_STAT_UNCOUNTED) {
        u->nuncounted++;
        sum_stat(&u->uncounted, thread, s);
        assert_int_equal(s->site, SWT_NO_SITE);
    }
}

static void test_profile_tables_full(void **state)
{
    (void)state;
    run_child("full.swt", scenario_profile_full, "SYNCWATCH_MODE=profile",
              "SYNCWATCH_CHUNK_SIZE=4096", "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("full.swt");
    struct uncounted_sum u = {0};
    swt_foreach_stat(t, sum_uncounted, &u);
    assert_int_equal(u.all.acq, 3 * MANY_LOCKS);
    assert_int_equal(u.all.fail, MANY_LOCKS);
    assert_int_equal(u.nuncounted, 1);
    assert_int_equal(u.uncounted.acq, 3 * (MANY_LOCKS - (9 + 15 * 14)));
    assert_int_equal(u.uncounted.fail, MANY_LOCKS - (9 + 15 * 14));
    swt_close(t);
}

/* Holds beyond the block's 64 (issue 9 item 14): 100 nested locks make
 * edges among the last ones too; releasing the oldest first moves the
 * extension's holds into the block, which keeps making their edges. */
#define DEEP 100
static char deep_locks[DEEP + 1];
static uint32_t deep_id[DEEP + 1];

static void scenario_deep(void)
{
    struct rec_thread *t = rec_enter();
    for (int i = 0; i <= DEEP; i++)
        deep_id[i] = new_mutex(t, &deep_locks[i], 0);
    for (int i = 0; i < DEEP; i++)
        lock(t, deep_id[i]);
    for (int i = 0; i < 50; i++)
        unlock(t, deep_id[i]);
    lock(t, deep_id[DEEP]); /* held: 50..99, all in the block again */
    unlock(t, deep_id[DEEP]);
    for (int i = 50; i < DEEP; i++)
        unlock(t, deep_id[i]);
    for (int i = 0; i < DEEP; i++)
        lock(t, deep_id[i]);
    end_process(t, 0); /* holding all 100 */
}

static int has_edge(struct swt_trace *t, uint32_t from, uint32_t to)
{
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    int found = 0, rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1)
        if (r.type == SWT_REC_EDGE && r.f[0] == from && r.f[1] == to)
            found = 1;
    swt_merge_free(m);
    assert_int_equal(rc, 0);
    return found;
}

static void test_held_beyond_block(void **state)
{
    (void)state;
    run_child("deep.swt", scenario_deep, "SYNCWATCH_MODE=profile", "SYNCWATCH_STACK_DEPTH=0",
              NULL);
    /* The child's ids: the same order of registration in a fresh process. */
    for (int i = 0; i <= DEEP; i++)
        deep_id[i] = (uint32_t)i + 1;
    struct swt_trace *t = open_trace("deep.swt");
    assert_true(has_edge(t, deep_id[63], deep_id[64]));
    assert_true(has_edge(t, deep_id[80], deep_id[81]));
    assert_true(has_edge(t, deep_id[90], deep_id[99]));
    assert_true(has_edge(t, deep_id[99], deep_id[DEEP]));
    assert_true(has_edge(t, deep_id[50], deep_id[DEEP]));
    assert_false(has_edge(t, deep_id[49], deep_id[DEEP]));
    const struct swt_thread_block *b = swt_thread_block(t, 1);
    assert_non_null(b);
    assert_int_equal(b->nheld, 64);
    assert_int_equal(b->held_overflow, 36);
    for (int i = 0; i < 64; i++)
        assert_int_equal(b->held[i].lock, deep_id[i]);
    swt_close(t);
}

/* ---- fork: the child writes its own file ---- */

static int fork_sem;

static void scenario_fork(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t a = new_mutex(t, &mutex_a, 0);
    struct rec_lock_attr sa = {SWT_KIND_SEM_NAMED, 0, SWT_LOCK_PSHARED, 1, "/sem"};
    rec_lock_init(t, &fork_sem, &sa, SWT_NO_SITE);
    lock(t, a);
    pid_t pid = fork(); /* runs the recorder's atfork handlers */
    if (pid == 0) {
        struct rec_thread *c = rec_current();
        if (!c)
            _exit(9);
        rec_fork_done(c, 1, getppid(), 0);
        unlock(c, a);
        /* An inherited semaphore is announced again with its value. */
        lock(c, rec_lock_id(c, &fork_sem, SWT_KIND_SEM_NAMED));
        end_process(c, 0);
    }
    rec_fork_done(t, 0, pid, 0);
    int st;
    waitpid(pid, &st, 0);
    unlock(t, a);
    end_process(t, WIFEXITED(st) ? WEXITSTATUS(st) : 99);
}

static void test_fork_child_trace(void **state)
{
    (void)state;
    int st = run_child("fork.swt", scenario_fork, "SYNCWATCH_STACK_DEPTH=0", NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *p = open_trace("fork.swt");
    struct swt_rec r = {0};
    assert_int_equal(count_type(p, SWT_REC_FORK, 0, &r), 1);
    assert_int_equal(r.f[0], 0);
    char child_name[64];
    snprintf(child_name, sizeof child_name, "fork.swt.%u", (unsigned)r.f[1]);
    struct swt_trace *c = open_trace(child_name);
    const struct swt_file_header *ph = swt_header(p), *ch = swt_header(c);
    assert_int_equal(ch->fork_parent_pid, ph->pid);
    assert_int_equal(ch->fork_parent_thread, 1);
    assert_true(ch->run_id == ph->run_id);
    assert_int_equal(count_type(c, SWT_REC_FORK, 0, &r), 1);
    assert_int_equal(r.f[0], 1);
    assert_int_equal(r.f[1], (uint64_t)ph->pid);
    /* The lock held at fork is announced again in the child's own trace
     * and released there. */
    assert_int_equal(count_type(c, SWT_REC_LOCK_NEW, 0, &r), 2);
    assert_int_equal(r.f[4], (uintptr_t)&mutex_a);
    count_type(c, SWT_REC_LOCK_NEW, 1, &r);
    assert_int_equal(r.f[1], SWT_KIND_SEM_NAMED);
    assert_int_equal(r.f[10], 1); /* value */
    assert_int_equal(count_type(c, SWT_REC_RELEASE, 0, &r), 1);
    assert_int_equal(r.f[0], 1);
    assert_int_equal(swt_thread_block(c, 1)->nheld, 1); /* the semaphore */
    assert_int_equal(swt_thread_block(c, 1)->held[0].lock, 2);
    assert_int_equal(count_type(p, SWT_REC_ACQUIRE, 0, NULL), 1);
    swt_close(c);
    swt_close(p);
}

/* ---- profile mode: the FORK record names the locks other threads hold ---- */

static pthread_barrier_t fork_barrier;

static void *hold_b_across_fork(void *arg)
{
    struct rec_thread *t = rec_thread_begin((uint32_t)(uintptr_t)arg, 1, SWT_NO_SITE);
    lock(t, rec_lock_id(t, &mutex_b, SWT_KIND_MUTEX));
    rec_leave(t);
    pthread_barrier_wait(&fork_barrier); /* holds B ... */
    pthread_barrier_wait(&fork_barrier); /* ... until the fork is done */
    return NULL;
}

static void scenario_fork_profile(void)
{
    struct rec_thread *t = rec_enter();
    new_mutex(t, &mutex_b, 0);
    uint32_t idx = rec_thread_reserve();
    rec_leave(t);
    pthread_barrier_init(&fork_barrier, NULL, 2);
    pthread_t th;
    pthread_create(&th, NULL, hold_b_across_fork, (void *)(uintptr_t)idx);
    pthread_barrier_wait(&fork_barrier);
    t = rec_enter();
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    rec_fork_done(t, 0, pid, 0);
    rec_leave(t);
    waitpid(pid, NULL, 0);
    pthread_barrier_wait(&fork_barrier);
    pthread_join(th, NULL);
    t = rec_enter();
    end_process(t, 0);
}

static void test_fork_profile_held_blob(void **state)
{
    (void)state;
    run_child("forkp.swt", scenario_fork_profile, "SYNCWATCH_MODE=profile",
              "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("forkp.swt");
    struct swt_rec r = {0};
    assert_int_equal(count_type(t, SWT_REC_FORK, 0, &r), 1);
    /* One pair: thread 2 holds lock 1 (B). */
    assert_int_equal(r.blob_len, 2);
    assert_int_equal(r.blob[0], 2);
    assert_int_equal(r.blob[1], 1);
    swt_close(t);
}

/* ---- threads: held locks at exit, semaphore ownership ---- */

static int sem_obj;

static void *thread_body(void *arg)
{
    struct rec_thread *t = rec_thread_begin((uint32_t)(uintptr_t)arg, 1, SWT_NO_SITE);
    lock(t, rec_lock_id(t, &mutex_b, SWT_KIND_MUTEX));
    /* Posts the semaphore the main thread took (CPython releases a
     * threading.Lock from any thread): the main thread's hold ends. */
    rec_sem_post(t, rec_lock_id(t, &sem_obj, SWT_KIND_SEM), SWT_NO_SITE, 1);
    rec_thread_exit(t, SWT_THREAD_EXITED); /* exits holding B */
    rec_leave(t);
    return NULL;
}

static void scenario_threads(void)
{
    struct rec_thread *t = rec_enter();
    struct rec_lock_attr sa = {SWT_KIND_SEM, 0, 0, 1, NULL};
    uint32_t s = rec_lock_init(t, &sem_obj, &sa, SWT_NO_SITE);
    uint32_t a = new_mutex(t, &mutex_a, 0);
    new_mutex(t, &mutex_b, 0);
    lock(t, s);
    uint32_t idx = rec_thread_reserve();
    rec_leave(t);
    pthread_t th;
    pthread_create(&th, NULL, thread_body, (void *)(uintptr_t)idx);
    pthread_join(th, NULL);
    t = rec_enter();
    lock(t, a); /* no edge from the semaphore: its hold is over */
    end_process(t, 0);
}

static void test_thread_exit_held(void **state)
{
    (void)state;
    run_child("threads.swt", scenario_threads, "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("threads.swt");
    const struct swt_thread_block *b2 = swt_thread_block(t, 2);
    assert_non_null(b2);
    assert_int_equal(b2->state, SWT_THREAD_EXITED);
    assert_int_equal(b2->nheld, 1);
    assert_int_equal(b2->held[0].lock, 3);
    struct swt_rec r = {0};
    assert_int_equal(count_type(t, SWT_REC_THREAD_EXIT, 0, &r), 1);
    assert_int_equal(r.thread, 2);
    assert_int_equal(r.f[1], 1);
    assert_int_equal(r.blob_len, 1);
    assert_int_equal(count_type(t, SWT_REC_THREAD_START, 0, &r), 1);
    assert_int_equal(r.f[0], 2);
    assert_int_equal(r.f[1], 1);
    const struct swt_thread_block *b1 = swt_thread_block(t, 1);
    assert_int_equal(b1->nheld, 1);
    assert_int_equal(b1->held[0].lock, 2);
    assert_int_equal(count_type(t, SWT_REC_EDGE, 0, NULL), 0);
    assert_int_equal(count_type(t, SWT_REC_SEM_POST, 0, NULL), 1);
    swt_close(t);
}

/* CPython's Condition.wait: the per-waiter lock (a value-1 semaphore) is
 * taken, taken again after the notify, and destroyed still taken.  The
 * destruction ends the hold: later acquisitions are not nested in it. */
static int waiter_sem;

static void scenario_destroyed_while_held(void)
{
    struct rec_thread *t = rec_enter();
    struct rec_lock_attr sa = {SWT_KIND_SEM, 0, 0, 1, NULL};
    uint32_t w = rec_lock_init(t, &waiter_sem, &sa, SWT_NO_SITE);
    uint32_t a = new_mutex(t, &mutex_a, 0);
    lock(t, w);
    rec_lock_destroy(t, w, SWT_NO_SITE, 0);
    lock(t, a);
    end_process(t, 0);
}

static void test_sem_destroyed_while_held(void **state)
{
    (void)state;
    run_child("destroyed.swt", scenario_destroyed_while_held, "SYNCWATCH_STACK_DEPTH=0", NULL);
    struct swt_trace *t = open_trace("destroyed.swt");
    const struct swt_thread_block *b1 = swt_thread_block(t, 1);
    assert_non_null(b1);
    assert_int_equal(b1->nheld, 1); /* only the mutex */
    assert_int_equal(count_type(t, SWT_REC_EDGE, 0, NULL), 0);
    assert_int_equal(count_type(t, SWT_REC_DESTROY, 0, NULL), 1);
    swt_close(t);
}

/* ---- bad configuration and unwritable output ---- */

static void scenario_untraced(void)
{
    struct rec_thread *t = rec_enter();
    _exit(t == NULL ? 0 : 1);
}

static int stderr_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int n = 0, c;
    while ((c = fgetc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static void redirect_and_run_untraced(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/stderr.txt", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    scenario_untraced();
}

static void test_unwritable_output(void **state)
{
    (void)state;
    int st = run_child("no/such/dir/trace.log", redirect_and_run_untraced, NULL);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0); /* untraced: rec_enter returns NULL */
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/stderr.txt", dir);
    assert_int_equal(stderr_lines(p), 1);
    FILE *f = fopen(p, "r");
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_non_null(strstr(line, "syncwatch: cannot create trace file"));
    assert_non_null(strstr(line, "running untraced"));
}

static void scenario_disabled(void) { scenario_untraced(); }

static void test_disabled(void **state)
{
    (void)state;
    int st = run_child("disabled.swt", scenario_disabled, "SYNCWATCH_DISABLE=1", NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/disabled.swt", dir);
    assert_int_equal(access(p, F_OK), -1);
}

static void scenario_traced(void)
{
    struct rec_thread *t = rec_enter();
    _exit(t != NULL ? 0 : 1);
}

static void test_filter(void **state)
{
    (void)state;
    int st = run_child("filtered.swt", scenario_untraced, "SYNCWATCH_FILTER=not-this-program",
                       NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
    st = run_child("matching.swt", scenario_traced, "SYNCWATCH_FILTER=test_recorder", NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/matching.swt", dir);
    assert_int_equal(access(p, F_OK), 0);
}

/* The in-hook guard: a nested entry (libunwind, a signal handler) only
 * forwards. */
static void scenario_reentry(void)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        _exit(1);
    if (rec_enter() != NULL)
        _exit(2);
    rec_leave(t);
    struct rec_thread *again = rec_enter();
    _exit(again == t ? 0 : 3);
}

static void test_reentry_guard(void **state)
{
    (void)state;
    int st = run_child("reentry.swt", scenario_reentry, NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_trace),
        cmocka_unit_test(test_chunk_rollover),
        cmocka_unit_test(test_dropped_events),
        cmocka_unit_test(test_recursive_held_kill),
        cmocka_unit_test(test_edges_dedup),
        cmocka_unit_test(test_profile_counters),
        cmocka_unit_test(test_profile_tables_full),
        cmocka_unit_test(test_held_beyond_block),
        cmocka_unit_test(test_fork_child_trace),
        cmocka_unit_test(test_fork_profile_held_blob),
        cmocka_unit_test(test_thread_exit_held),
        cmocka_unit_test(test_sem_destroyed_while_held),
        cmocka_unit_test(test_unwritable_output),
        cmocka_unit_test(test_disabled),
        cmocka_unit_test(test_filter),
        cmocka_unit_test(test_reentry_guard),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
