/* The images of one process (exec, docs/trace-format.md 1.1): traces of
 * one pid with exec_generation 0, 1, ... are linked in that order
 * (model_images.c), a fork child finds the image that forked it, and a
 * failed exec (an EXEC record after PROC_EXIT(exec)) takes the end back.
 * Traces in swgen's text form, analyzed in memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/findings.h"
#include "analyzer/model.h"
#include "analyzer/report_opts.h"
#include "common/trace_reader.h"
#include "tests/tools/swgen.h"

#define MAX_FILES 4

struct run {
    uint8_t *buf[MAX_FILES];
    struct swt_trace *t[MAX_FILES];
    size_t n;
    struct analysis a;
    struct report_opts o;
};

static struct run *analyze_files(const char *const *texts, size_t n)
{
    struct run *r = calloc(1, sizeof *r);
    assert_non_null(r);
    char err[512];
    for (size_t i = 0; i < n; i++) {
        size_t len;
        if (swgen_compile(texts[i], "test", &r->buf[i], &len, err, sizeof err) != 0)
            fail_msg("swgen: %s", err);
        r->t[i] = swt_open_buffer(r->buf[i], len, "test", err, sizeof err);
        if (!r->t[i])
            fail_msg("open: %s", err);
    }
    r->n = n;
    report_opts_init(&r->o);
    r->o.symbols = false;
    if (analysis_run(&r->a, r->t, n, &r->o, NULL, err, sizeof err) != 0)
        fail_msg("analysis: %s", err);
    return r;
}

static void done(struct run *r)
{
    analysis_free(&r->a);
    for (size_t i = 0; i < r->n; i++) {
        swt_close(r->t[i]);
        free(r->buf[i]);
    }
    free(r);
}

static size_t count(const struct run *r, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < r->a.fs.n; i++)
        if (!r->a.fs.list[i]->pruned && !strcmp(r->a.fs.list[i]->code, code))
            n++;
    return n;
}

static const struct model_process *proc_of(const struct run *r, int pid, uint32_t gen)
{
    for (size_t i = 0; i < r->a.m.nprocs; i++)
        if (r->a.m.procs[i].pid == pid && r->a.m.procs[i].hdr.exec_generation == gen)
            return &r->a.m.procs[i];
    fail_msg("no process %d generation %u", pid, gen);
    return NULL;
}

/* The first image takes A then B and B then A, then execs; the second is
 * clean.  Given in any order, the images are linked 0 -> 1 and the cycle of
 * the first is reported. */
static const char *const image0 =
    "header pid=300 run=9 start=1000000000\n"
    "T2 start parent=T1 ; T1 create T2\nT3 start parent=T1 ; T1 create T3\n"
    "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
    "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B\n"
    "T2 exit ; T3 exit ; T1 join T2 ; T1 join T3 ; T1 proc-exit how=exec\n";
static const char *const image1 =
    "header pid=300 run=9 exec-gen=1 start=2000000000\n"
    "T1 acquire C ; T1 release C ; T1 proc-exit status=0\n";

static void test_images_are_linked(void **state)
{
    (void)state;
    const char *const texts[] = {image1, image0};
    struct run *r = analyze_files(texts, 2);
    const struct model_process *p0 = proc_of(r, 300, 0), *p1 = proc_of(r, 300, 1);
    assert_int_equal(p0->exec_prev, MODEL_NONE);
    assert_int_equal(p0->exec_next, p1->index);
    assert_int_equal(p1->exec_prev, p0->index);
    assert_int_equal(p1->exec_next, MODEL_NONE);
    assert_int_equal(p0->exit_how, SWT_EXIT_EXEC);
    assert_int_equal(count(r, "lock-order-cycle"), 1);
    assert_int_equal(r->a.m.nlocks, 3);
    done(r);
}

/* A fork child is the child of the image that forked it (either one). */
static void fork_child_of(unsigned gen)
{
    char child[256];
    snprintf(child, sizeof child,
             "header pid=301 ppid=300 run=9 fork-parent-pid=300 fork-parent-thread=1 "
             "fork-parent-gen=%u start=%s\n"
             "T1 fork parent=300 ; T1 proc-exit status=0\n",
             gen, gen ? "2000500000" : "1000500000");
    const char *const texts[] = {image0, image1, child};
    struct run *r = analyze_files(texts, 3);
    assert_int_equal(proc_of(r, 301, 0)->parent_proc, proc_of(r, 300, gen)->index);
    done(r);
}

static void test_fork_child_of_each_image(void **state)
{
    (void)state;
    fork_child_of(0);
    fork_child_of(1);
}

/* exec failed: the image goes on, takes K and is killed holding it; the
 * failed exec's PROC_EXIT must not hide that. */
static void test_failed_exec_takes_the_end_back(void **state)
{
    (void)state;
    const char *const texts[] = {
        "header pid=300 run=9\n"
        "T1 proc-exit how=exec\n"
        "T1 raw 0x50 2 1\n"
        "T1 acquire K\n"
        /* killed: the header says running, no end */
        "poke 104 u32=0\npoke 112 u64=0\n",
    };
    struct run *r = analyze_files(texts, 1);
    const struct model_process *p = proc_of(r, 300, 0);
    assert_false(p->ended);
    assert_int_equal(p->exit_how, 0);
    assert_int_equal(count(r, "held-at-kill"), 1);
    done(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_images_are_linked),
        cmocka_unit_test(test_fork_child_of_each_image),
        cmocka_unit_test(test_failed_exec_takes_the_end_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
