/* Unit test of the lazily computed sites of ambiguous return addresses
 * (preload/rec_sites.h), with the recorder core linked directly.  A fake
 * "C library" function reaches the fake semaphore hooks from one return
 * address and is called from two "Python call sites": once that address is
 * ambiguous and learned, uncontended acquisitions take the verified site
 * of (address, lock), while waits and acquisitions that write an EDGE must
 * still carry the exact stacks. */
#define _GNU_SOURCE
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/trace_reader.h"
#include "tests/unit/test_tmpdir.h"
#include "preload/recorder.h"

static int sem_x, sem_y;

/* Keeps calls from becoming tail calls, which would drop the frames the
 * test tells apart. */
#define NO_TAIL() __asm__ volatile("" ::: "memory")

/* The hooks: the site of their caller's return address. */
__attribute__((noinline)) static void hook_acquire(struct rec_thread *t, uint32_t id, int wait)
{
    uint32_t site = rec_site(t, __builtin_return_address(0));
    if (wait)
        rec_wait(t, id, 0, site);
    rec_acquired(t, id, wait ? SWT_ACQ_CONTENDED : SWT_ACQ_TRY, site);
    NO_TAIL();
}

__attribute__((noinline)) static void hook_post(struct rec_thread *t, uint32_t id)
{
    rec_sem_post(t, id, rec_site(t, __builtin_return_address(0)), 1);
    NO_TAIL();
}

/* The C library: one return address into each hook for every caller. */
__attribute__((noinline)) static void c_acquire(struct rec_thread *t, uint32_t id, int wait)
{
    hook_acquire(t, id, wait);
    NO_TAIL();
}

__attribute__((noinline)) static void c_release(struct rec_thread *t, uint32_t id)
{
    hook_post(t, id);
    NO_TAIL();
}

/* Two call sites of the program. */
__attribute__((noinline)) static void site_one(struct rec_thread *t, uint32_t id, int wait)
{
    c_acquire(t, id, wait);
    NO_TAIL();
}

__attribute__((noinline)) static void site_two(struct rec_thread *t, uint32_t id, int wait)
{
    c_acquire(t, id, wait);
    NO_TAIL();
}

static uint32_t new_sem(struct rec_thread *t, const void *addr)
{
    struct rec_lock_attr a = {SWT_KIND_SEM, 0, 0, 1, NULL};
    return rec_lock_init(t, addr, &a, SWT_NO_SITE);
}

/* One step of the scenario: acquire (at site 1 or 2, waiting or not) or
 * release.  All steps go through the same two call statements, so each
 * site always has the same stack. */
struct step {
    int sem;  /* 0: x, 1: y */
    int site; /* 1 or 2: acquire there; 0: release */
    int wait;
};

static int steps(struct step *s)
{
    int n = 0;
    /* 1st use: a miss; 2nd: the re-check finds another stack (ambiguous);
     * 3rd: unwound, and learned as a semaphore address; then guessed. */
    static const int first[3] = {1, 2, 1};
    for (int i = 0; i < 3; i++) {
        s[n++] = (struct step){0, first[i], 0};
        s[n++] = (struct step){0, 0, 0};
    }
    for (int i = 0; i < 200; i++) {
        s[n++] = (struct step){0, 1, 0};
        s[n++] = (struct step){0, 0, 0};
    }
    s[n++] = (struct step){0, 2, 1}; /* contended: exact */
    s[n++] = (struct step){0, 0, 0};
    s[n++] = (struct step){0, 1, 0}; /* held: the nested acquisition writes an EDGE */
    s[n++] = (struct step){1, 2, 0};
    s[n++] = (struct step){1, 0, 0};
    s[n++] = (struct step){0, 0, 0};
    return n;
}

static void scenario(void)
{
    struct rec_thread *t = rec_enter();
    uint32_t ids[2] = {new_sem(t, &sem_x), new_sem(t, &sem_y)};
    static struct step s[512];
    int n = steps(s);
    for (int i = 0; i < n; i++) {
        if (s[i].site) {
            void (*at)(struct rec_thread *, uint32_t, int) = s[i].site == 1 ? site_one : site_two;
            at(t, ids[s[i].sem], s[i].wait);
        } else {
            c_release(t, ids[s[i].sem]);
        }
    }
    rec_proc_exit(t, SWT_EXIT__EXIT, 0);
    rec_leave(t);
    _exit(0);
}

static struct swt_trace *run(void)
{
    char path[PATH_MAX], err[SWT_ERR_LEN];
    snprintf(path, sizeof path, "%s/lazy.swt", dir);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("SYNCWATCH_OUTPUT", path, 1);
        setenv("SYNCWATCH_MODE", "trace", 1);
        setenv("SYNCWATCH_STACK_DEPTH", "16", 1);
        unsetenv("SYNCWATCH_RUN_ID");
        scenario();
    }
    int st = 0;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    struct swt_trace *t = swt_open(path, err, sizeof err);
    if (!t)
        fail_msg("%s", err);
    return t;
}

static void test_lazy_sites(void **state)
{
    (void)state;
    struct swt_trace *t = run();
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r;
    char err[SWT_ERR_LEN];
    uint32_t acq[256], nacq = 0, wait_site = 0, edges = 0;
    uint64_t edge[5] = {0};
    int rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1) {
        if (r.type == SWT_REC_ACQUIRE && nacq < 256)
            acq[nacq++] = (uint32_t)r.f[2];
        if (r.type == SWT_REC_WAIT)
            wait_site = (uint32_t)r.f[2];
        if (r.type == SWT_REC_EDGE) {
            memcpy(edge, r.f, sizeof edge);
            edges++;
        }
    }
    swt_merge_free(m);
    assert_int_equal(rc, 0);
    assert_int_equal(nacq, 3 + 200 + 1 + 2);
    uint32_t one = acq[0], two = acq[1];
    assert_true(one != SWT_NO_SITE && two != SWT_NO_SITE);
    assert_int_not_equal(one, two); /* the two call sites are not merged */
    assert_int_equal(acq[2], one);
    for (uint32_t i = 3; i < 203; i++) /* guessed: the pair's verified site */
        assert_int_equal(acq[i], one);
    /* The wait and its acquisition: site two's exact stack. */
    assert_int_equal(wait_site, two);
    assert_int_equal(acq[203], two);
    /* The EDGE x -> y: held at site one, acquired at site two (the same
     * frames as x's acquisitions there). */
    assert_int_equal(edges, 1);
    assert_int_equal(acq[204], one);
    assert_int_equal(acq[205], two);
    assert_int_equal(edge[3], one);
    assert_int_equal(edge[4], two);
    swt_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_sites),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
