/* Exact detector tests: small traces written in swgen's text form
 * (docs/testing.md), analyzed in memory, findings checked by kind, code and
 * pruning rule.  No thread timing is involved anywhere. */
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
    struct analysis a; /* a.m, a.fs: the model and the sorted findings */
    struct report_opts o;
};

static struct run *analyze_files(const char *const *texts, size_t n, unsigned max_len)
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
    if (max_len)
        r->o.max_cycle_len = max_len;
    r->o.symbols = false;
    if (analysis_run(&r->a, r->t, n, &r->o, NULL, err, sizeof err) != 0)
        fail_msg("analysis: %s", err);
    return r;
}

static struct run *analyze(const char *text) { return analyze_files(&text, 1, 0); }

static void done(struct run *r)
{
    analysis_free(&r->a);
    for (size_t i = 0; i < r->n; i++) {
        swt_close(r->t[i]);
        free(r->buf[i]);
    }
    free(r);
}

/* Findings with this code (NULL: any) that are (not) pruned. */
static size_t count(const struct run *r, const char *code, bool pruned)
{
    size_t n = 0;
    for (size_t i = 0; i < r->a.fs.n; i++) {
        const struct finding *f = r->a.fs.list[i];
        if (f->pruned == pruned && (!code || !strcmp(f->code, code)))
            n++;
    }
    return n;
}

static const struct finding *first(const struct run *r, const char *code)
{
    for (size_t i = 0; i < r->a.fs.n; i++)
        if (!strcmp(r->a.fs.list[i]->code, code))
            return r->a.fs.list[i];
    return NULL;
}

static void expect_pruned(const char *text, const char *rule)
{
    struct run *r = analyze(text);
    assert_int_equal(count(r, NULL, false), 0);
    const struct finding *f = first(r, "lock-order-cycle");
    if (!f)
        f = first(r, "lock-order-cycle-rw");
    assert_non_null(f);
    assert_true(f->pruned);
    assert_string_equal(f->prune_rule, rule);
    assert_non_null(f->prune_reason);
    done(r);
}

/* A lock-order inversion seen in one thread (seen = "one thread") or in
 * threads ordered by create/join/fork ("ordered threads"): a note-level
 * cycle that does not fail the default --fail-on; with
 * --single-thread-cycles=warn a warning that does. */
static void expect_note(const char *text, const char *seen)
{
    struct run *r = analyze(text);
    assert_int_equal(count(r, NULL, false), 1);
    const struct finding *f = first(r, "lock-order-cycle");
    assert_non_null(f);
    assert_false(f->pruned);
    assert_int_equal(f->severity, SEV_INFO);
    assert_true(f->note_only);
    assert_int_equal(findings_count(&r->a.fs, r->o.fail_on), 0);
    assert_int_equal(findings_count(&r->a.fs, 1u << FINDING_CYCLE), 0);
    bool found = false;
    for (size_t i = 0; i < f->nmetrics; i++)
        if (!strcmp(f->metrics[i].key, "seen")) {
            assert_string_equal(f->metrics[i].v.s, seen);
            found = true;
        }
    assert_true(found);
    assert_non_null(strstr(f->why, !strcmp(seen, "one thread") ? "Seen in one thread"
                                                               : "never overlapped"));
    done(r);

    struct run *w = calloc(1, sizeof *w);
    assert_non_null(w);
    char err[512];
    size_t len;
    if (swgen_compile(text, "test", &w->buf[0], &len, err, sizeof err) != 0)
        fail_msg("swgen: %s", err);
    w->t[0] = swt_open_buffer(w->buf[0], len, "test", err, sizeof err);
    assert_non_null(w->t[0]);
    w->n = 1;
    report_opts_init(&w->o);
    w->o.symbols = false;
    w->o.single_thread_cycles = ST_CYCLES_WARN;
    if (analysis_run(&w->a, w->t, 1, &w->o, NULL, err, sizeof err) != 0)
        fail_msg("analysis: %s", err);
    f = first(w, "lock-order-cycle");
    assert_non_null(f);
    assert_int_equal(f->severity, SEV_WARNING);
    assert_int_equal(findings_count(&w->a.fs, 1u << FINDING_CYCLE), 1);
    done(w);
}

#define THREADS2 "header run=7\nT2 start parent=T1 ; T1 create T2\nT3 start parent=T1 ; T1 create T3\n"
#define JOINS2 "T2 exit ; T3 exit ; T1 join T2 ; T1 join T3 ; T1 proc-exit status=0\n"

static void test_abba_is_one_cycle(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire A site=a1 ; T2 acquire B site=b1 ; T2 release B ; T2 release A\n"
                            "T3 acquire B site=b2 ; T3 acquire A site=a2 ; T3 release A ; T3 release B\n"
                            JOINS2);
    assert_int_equal(count(r, NULL, false), 1);
    const struct finding *f = first(r, "lock-order-cycle");
    assert_non_null(f);
    assert_false(f->pruned);
    assert_int_equal(f->nlocks, 2);
    assert_int_equal(f->nthreads, 2);
    assert_int_equal(f->nscen, 2);
    assert_int_equal(f->kind, FINDING_CYCLE);
    /* every edge shows the held and the acquired lock with its stack */
    assert_int_equal(f->nitems, 4);
    assert_string_equal(f->items[0].role, "holds");
    assert_int_not_equal(f->items[0].stack, MODEL_NONE);
    assert_int_not_equal(f->items[1].stack, MODEL_NONE);
    assert_int_equal(findings_count(&r->a.fs, 1u << FINDING_CYCLE), 1);
    done(r);
}

static void test_clean_order_has_nothing(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
                            "T3 acquire A ; T3 acquire B ; T3 release B ; T3 release A\n" JOINS2);
    assert_int_equal(r->a.fs.n, 0);
    done(r);
}

static void test_abc_cycle_of_three(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\n"
                            "T2 start parent=T1 ; T3 start parent=T1 ; T4 start parent=T1\n"
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
                            "T3 acquire B ; T3 acquire C ; T3 release C ; T3 release B\n"
                            "T4 acquire C ; T4 acquire A ; T4 release A ; T4 release C\n");
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_int_equal(first(r, "lock-order-cycle")->nlocks, 3);
    assert_int_equal(first(r, "lock-order-cycle")->nscen, 3);
    done(r);
}

static void test_each_cycle_once(void **state)
{
    (void)state;
    /* A<->B and B<->C and A->B->C->A: three elementary cycles, each once */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T3 start parent=T1\n"
                            "T2 acquire A ; T2 acquire B ; T2 acquire C ; T2 release C ; T2 release B ; T2 release A\n"
                            "T3 acquire C ; T3 acquire B ; T3 release B ; T3 release C\n"
                            "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B\n"
                            "T3 acquire C ; T3 acquire A ; T3 release A ; T3 release C\n");
    /* edges A->B, A->C, B->C (T2); C->B, B->A, C->A (T3): cycles AB, AC, BC, A->B->C->A,
     * A->C->B->A */
    assert_int_equal(count(r, "lock-order-cycle", false), 5);
    done(r);
}

static void test_same_places_grouped(void **state)
{
    (void)state;
    /* transfer(a, b) / transfer(b, a) over three accounts created at one
     * place: two cycles through the same code are one finding */
    struct run *r = analyze(THREADS2 "lock X1 site=init\nlock X2 site=init\nlock X3 site=init\n"
                            "T2 acquire X1 site=s1 ; T2 acquire X2 site=s2 ; T2 release X2 ; T2 release X1\n"
                            "T3 acquire X2 site=s1 ; T3 acquire X1 site=s2 ; T3 release X1 ; T3 release X2\n"
                            "T2 acquire X2 site=s1 ; T2 acquire X3 site=s2 ; T2 release X3 ; T2 release X2\n"
                            "T3 acquire X3 site=s1 ; T3 acquire X2 site=s2 ; T3 release X2 ; T3 release X3\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    const struct finding *f = first(r, "lock-order-cycle");
    bool found = false;
    for (size_t i = 0; i < f->nmetrics; i++)
        if (!strcmp(f->metrics[i].key, "instances")) {
            assert_int_equal(f->metrics[i].v.u, 2);
            found = true;
        }
    assert_true(found);
    done(r);
}

static void test_max_cycle_len_notes_cut(void **state)
{
    (void)state;
    const char *text = "header run=7\n"
                       "T2 start parent=T1 ; T3 start parent=T1 ; T4 start parent=T1\n"
                       "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
                       "T3 acquire B ; T3 acquire C ; T3 release C ; T3 release B\n"
                       "T4 acquire C ; T4 acquire A ; T4 release A ; T4 release C\n";
    struct run *r = analyze_files(&text, 1, 2);
    assert_int_equal(count(r, NULL, false), 0);
    assert_true(r->a.fs.nnotes >= 1);
    assert_non_null(strstr(r->a.fs.notes[0], "max-cycle-len"));
    done(r);
}

static void test_single_thread_is_note(void **state)
{
    (void)state;
    expect_note("header run=7\n"
                "T1 acquire A ; T1 acquire B ; T1 release B ; T1 release A\n"
                "T1 acquire B ; T1 acquire A ; T1 release A ; T1 release B\n",
                "one thread");
}

static void test_single_thread_gate_pruned(void **state)
{
    (void)state;
    /* one thread, both orders under G: even in two threads G would serialize them */
    expect_pruned("header run=7\n"
                  "T1 acquire G ; T1 acquire A ; T1 acquire B ; T1 release B ; T1 release A ; T1 release G\n"
                  "T1 acquire G ; T1 acquire B ; T1 acquire A ; T1 release A ; T1 release B ; T1 release G\n",
                  "gate-lock");
}

static void test_gate_lock_pruned(void **state)
{
    (void)state;
    expect_pruned(THREADS2
                  "T2 acquire G ; T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A ; T2 release G\n"
                  "T3 acquire G ; T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B ; T3 release G\n"
                  JOINS2,
                  "gate-lock");
}

static void test_gate_read_held_is_no_gate(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "lock G kind=rwlock\n"
                            "T2 acquire G read ; T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A ; T2 release G\n"
                            "T3 acquire G read ; T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B ; T3 release G\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_join_order_is_note(void **state)
{
    (void)state;
    /* T2 runs A->B and is joined before T3, which runs B->A, is created */
    expect_note("header run=7\n"
                  "T2 start parent=T1 ; T1 create T2\n"
                  "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A ; T2 exit\n"
                  "T1 join T2\n"
                  "T3 start parent=T1 ; T1 create T3\n"
                  "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B ; T3 exit\n"
                  "T1 join T3 ; T1 proc-exit\n",
                  "ordered threads");
}

static void test_parent_before_create_is_note(void **state)
{
    (void)state;
    /* main takes A->B, then creates T2 which takes B->A */
    expect_note("header run=7\n"
                  "T1 acquire A ; T1 acquire B ; T1 release B ; T1 release A\n"
                  "T2 start parent=T1 ; T1 create T2\n"
                  "T2 acquire B ; T2 acquire A ; T2 release A ; T2 release B\n",
                  "ordered threads");
}

static void test_concurrent_parent_child_reported(void **state)
{
    (void)state;
    /* main creates T2 first, then takes A->B while T2 takes B->A */
    struct run *r = analyze("header run=7\n"
                            "T2 start parent=T1 ; T1 create T2\n"
                            "T1 acquire A ; T1 acquire B ; T1 release B ; T1 release A\n"
                            "T2 acquire B ; T2 acquire A ; T2 release A ; T2 release B\n");
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_parent_after_create_is_concurrent(void **state)
{
    (void)state;
    /* the child's first record comes after the parent's A->B: still concurrent */
    struct run *r = analyze("header run=7 auto-start=0\n"
                            "T1 start\nT1 create T2\n"
                            "T1 acquire A ; T1 acquire B ; T1 release B ; T1 release A\n"
                            "T2 start parent=T1\n"
                            "T2 acquire B ; T2 acquire A ; T2 release A ; T2 release B\n");
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_join_after_create_does_not_order(void **state)
{
    /* main creates T3, joins T2, and only then T3's first record comes:
     * T3 was created before the join, so T2 does not happen before T3 */
    (void)state;
    struct run *r = analyze("header run=7 auto-start=0\n"
                            "T1 start\nT1 create T2\nT2 start parent=T1\n"
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A ; T2 exit\n"
                            "T1 create T3\nT1 join T2\nT3 start parent=T1\n"
                            "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B ; T3 exit\n"
                            "T1 join T3\n");
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_pshared_cycle_across_fork(void **state)
{
    (void)state;
    const char *texts[] = {
        "header run=9 pid=100\n"
        "lock P flags=pshared dev=1 ino=7 offset=0\nlock Q flags=pshared dev=1 ino=7 offset=64\n"
        "T1 fork child=101\n"
        "T1 acquire P @1000 ; T1 acquire Q ; T1 release Q ; T1 release P ; T1 proc-exit\n",
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock Q flags=pshared dev=1 ino=7 offset=64\nlock P flags=pshared dev=1 ino=7 offset=0\n"
        "T1 fork parent=100 ; T1 acquire Q @2000 ; T1 acquire P ; T1 release P ; T1 release Q\n"
        "T1 proc-exit how=_exit\n",
    };
    struct run *r = analyze_files(texts, 2, 0);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_int_equal(first(r, "lock-order-cycle")->nthreads, 2);
    done(r);
}

static void test_fork_before_is_ordered(void **state)
{
    (void)state;
    /* the parent's A->B ran before the fork: the child's B->A cannot overlap */
    const char *texts[] = {
        "header run=9 pid=100\n"
        "lock P flags=pshared dev=1 ino=7 offset=0\nlock Q flags=pshared dev=1 ino=7 offset=64\n"
        "T1 acquire P ; T1 acquire Q ; T1 release Q ; T1 release P\n"
        "T1 fork child=101 @500 ; T1 proc-exit\n",
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock Q flags=pshared dev=1 ino=7 offset=64 @600\nlock P flags=pshared dev=1 ino=7 offset=0\n"
        "T1 fork parent=100 ; T1 acquire Q ; T1 acquire P ; T1 release P ; T1 release Q\n"
        "T1 proc-exit how=_exit\n",
    };
    struct run *r = analyze_files(texts, 2, 0);
    /* a note only: the two processes' parts never overlapped */
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_true(first(r, "lock-order-cycle")->note_only);
    assert_int_equal(findings_count(&r->a.fs, r->o.fail_on), 0);
    done(r);
}

static void test_atfork_handlers_are_no_held_at_fork(void **state)
{
    (void)state;
    /* prepare takes L, parent handler releases it, the worker retakes it
     * before the FORK record is written */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T3 start parent=T1\n"
                            "T2 acquire L ; T2 release L\n"
                            "T3 acquire L ; T3 release L\n"
                            "T2 acquire L\n"
                            "T3 acquire X ; T3 release X\n"
                            "T3 fork child=555\n"
                            "T2 release L ; T2 exit ; T3 exit\n");
    assert_int_equal(count(r, "held-at-fork", false), 1);
    done(r);
    r = analyze("header run=7\nT2 start parent=T1 ; T3 start parent=T1\n"
                "T3 acquire L ; T3 release L\n"
                "T2 acquire L\n"
                "T3 fork child=555\n"
                "T2 release L ; T2 exit ; T3 exit\n");
    assert_int_equal(count(r, "held-at-fork", false), 0);
    done(r);
}

static void test_trylock_edges_left_out(void **state)
{
    (void)state;
    /* B -> A was only ever a trylock: left out of the graph, no cycle at all */
    struct run *r = analyze(THREADS2
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
                            "T3 acquire B ; T3 fail A try ; T3 release B\n"
                            "T3 acquire B ; T3 acquire A try ; T3 release A ; T3 release B\n" JOINS2);
    assert_int_equal(r->a.fs.n, 0);
    done(r);
}

/* A growing text buffer for generated scenarios. */
struct text {
    char *s;
    size_t len, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        assert_true(n >= 0);
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        t->cap = (t->cap + (size_t)n + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

static size_t count_sev(const struct run *r, const char *code, enum finding_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < r->a.fs.n; i++) {
        const struct finding *f = r->a.fs.list[i];
        if (!f->pruned && !strcmp(f->code, code) && f->severity == sev)
            n++;
    }
    return n;
}

static uint64_t metric(const struct finding *f, const char *key)
{
    for (size_t i = 0; i < f->nmetrics; i++)
        if (!strcmp(f->metrics[i].key, key))
            return f->metrics[i].v.u;
    fail_msg("no metric %s", key);
    return 0;
}

/* 64 accounts moved between by lock + trylock back-off (std::lock) from
 * four threads, and a real x/y inversion between two others: the
 * trylock-only edges cannot hide it. */
static void test_trylock_bank_hides_no_inversion(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "header run=7\n");
    for (int k = 2; k <= 7; k++)
        add(&t, "T%d start parent=T1 ; T1 create T%d\n", k, k);
    unsigned seed = 1;
    for (int op = 0; op < 4000; op++) {
        seed = seed * 1103515245u + 12345u;
        int a = (int)(seed >> 16) % 64, b = (int)(seed >> 8) % 64, th = 2 + op % 4;
        if (a == b)
            continue;
        add(&t, "T%d acquire A%d ; T%d acquire A%d try ; T%d release A%d ; T%d release A%d\n", th,
            a, th, b, th, b, th, a);
    }
    add(&t, "T6 acquire X ; T6 acquire Y ; T6 release Y ; T6 release X\n"
            "T7 acquire Y ; T7 acquire X ; T7 release X ; T7 release Y\n");
    struct run *r = analyze(t.s);
    free(t.s);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_int_equal(count_sev(r, "lock-order-cycle", SEV_ERROR), 1);
    assert_int_equal(first(r, "lock-order-cycle")->nlocks, 2);
    assert_int_equal(count(r, "cycle-search-incomplete", false), 0);
    assert_true(findings_count(&r->a.fs, 1u << FINDING_CYCLE) >= 1);
    done(r);
}

/* One thread takes 45 locks in every order: many cycles, all notes; the
 * budget cuts the search (a note too: only one thread's edges), and
 * nothing fails. */
static void test_one_thread_45_locks_no_error(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "header run=7\n");
    for (int a = 0; a < 45; a++)
        for (int b = 0; b < 45; b++)
            if (a != b)
                add(&t, "T1 acquire L%d ; T1 acquire L%d ; T1 release L%d ; T1 release L%d\n", a, b,
                    b, a);
    add(&t, "T1 acquire L0 ; T1 acquire L1 ; T1 acquire L2 ; T1 acquire L3\n"
            "T1 release L3 ; T1 release L2 ; T1 release L1 ; T1 release L0\n");
    struct run *r = analyze(t.s);
    free(t.s);
    assert_int_equal(count_sev(r, "lock-order-cycle", SEV_ERROR), 0);
    assert_int_equal(count_sev(r, "lock-order-cycle", SEV_WARNING), 0);
    assert_true(count_sev(r, "lock-order-cycle", SEV_INFO) >= 990); /* every 2-cycle */
    assert_int_equal(count_sev(r, "cycle-search-incomplete", SEV_INFO), 1);
    assert_int_equal(findings_count(&r->a.fs, r->o.fail_on), 0);
    /* the shortest first */
    assert_int_equal(r->a.fs.list[0]->nlocks, 2);
    done(r);
}

/* T2 nests 100 locks, T3 takes the last then the first: the direct
 * inversion (2 locks) is listed first, before the budget cuts the longer
 * ones, and the cut is a warning with counts. */
static void test_shortest_cycle_listed_first(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, THREADS2);
    for (int i = 1; i <= 100; i++)
        add(&t, "T2 acquire L%d\n", i);
    for (int i = 100; i >= 1; i--)
        add(&t, "T2 release L%d\n", i);
    add(&t, "T3 acquire L100 ; T3 acquire L1 ; T3 release L1 ; T3 release L100\n" JOINS2);
    struct run *r = analyze(t.s);
    free(t.s);
    const struct finding *f = r->a.fs.list[0];
    assert_string_equal(f->code, "lock-order-cycle");
    assert_int_equal(f->severity, SEV_ERROR);
    assert_int_equal(f->nlocks, 2);
    assert_int_equal(metric(f, "length"), 2);
    /* every cycle of length 3 and 4 listed (98 and 98*97/2), then the budget */
    assert_true(count(r, "lock-order-cycle", false) >= 1 + 98 + 4753);
    const struct finding *cut = first(r, "cycle-search-incomplete");
    assert_non_null(cut);
    assert_int_equal(cut->severity, SEV_WARNING);
    assert_false(cut->note_only);
    assert_int_equal(metric(cut, "locks"), 100);
    assert_int_equal(metric(cut, "complete_up_to_length"), 4);
    assert_int_equal(metric(cut, "cycles_listed"), 10000);
    done(r);
}

/* Two threads take 20 locks in every order, all under one gate: every
 * cycle is pruned, but the budget cuts the search, and that cut (which could
 * hide a cycle that is not gated) fails --fail-on cycle. */
static void test_cut_search_fails(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, THREADS2);
    for (int a = 0; a < 20; a++)
        for (int b = 0; b < 20; b++)
            if (a != b)
                add(&t, "T%d acquire G ; T%d acquire L%d ; T%d acquire L%d ; T%d release L%d ; "
                        "T%d release L%d ; T%d release G\n",
                    2 + (a + b) % 2, 2 + (a + b) % 2, a, 2 + (a + b) % 2, b, 2 + (a + b) % 2, b,
                    2 + (a + b) % 2, a, 2 + (a + b) % 2);
    add(&t, JOINS2);
    struct run *r = analyze(t.s);
    free(t.s);
    assert_int_equal(count(r, "lock-order-cycle", false), 0);
    assert_true(count(r, "lock-order-cycle", true) > 0);
    const struct finding *cut = first(r, "cycle-search-incomplete");
    assert_non_null(cut);
    assert_int_equal(cut->severity, SEV_WARNING);
    assert_int_equal(findings_count(&r->a.fs, 1u << FINDING_CYCLE), 1);
    done(r);
}

/* A ring of 16 locks, one thread per edge: found with the default bound. */
static void test_ring_of_16_found(void **state)
{
    (void)state;
    struct text t = {0};
    add(&t, "header run=7\n");
    for (int i = 0; i < 16; i++)
        add(&t, "T%d start parent=T1 ; T1 create T%d\n", i + 2, i + 2);
    for (int i = 0; i < 16; i++)
        add(&t, "T%d acquire C%d ; T%d acquire C%d ; T%d release C%d ; T%d release C%d\n", i + 2,
            i, i + 2, (i + 1) % 16, i + 2, (i + 1) % 16, i + 2, i);
    struct run *r = analyze(t.s);
    free(t.s);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_int_equal(first(r, "lock-order-cycle")->nlocks, 16);
    assert_int_equal(r->a.fs.nnotes, 0); /* the bound did not cut */
    done(r);
}

static void test_rwlock_read_read_pruned(void **state)
{
    (void)state;
    expect_pruned(THREADS2 "lock A kind=rwlock\nlock B kind=rwlock\n"
                  "T2 acquire A read ; T2 acquire B read ; T2 release B ; T2 release A\n"
                  "T3 acquire B read ; T3 acquire A read ; T3 release A ; T3 release B\n" JOINS2,
                  "read-read");
}

static void test_prefer_writer_np_read_read_pruned(void **state)
{
    (void)state;
    /* glibc ignores PTHREAD_RWLOCK_PREFER_WRITER_NP: readers never block */
    expect_pruned(THREADS2 "lock A kind=rwlock type=prefer-writer\n"
                  "lock B kind=rwlock type=prefer-writer\n"
                  "T2 acquire A read ; T2 acquire B read ; T2 release B ; T2 release A\n"
                  "T3 acquire B read ; T3 acquire A read ; T3 release A ; T3 release B\n" JOINS2,
                  "read-read");
}

static void test_rwlock_write_then_read_is_cycle(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "lock A kind=rwlock\nlock B kind=rwlock\n"
                            "T2 acquire A write ; T2 acquire B read ; T2 release B ; T2 release A\n"
                            "T3 acquire B write ; T3 acquire A read ; T3 release A ; T3 release B\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle-rw", false), 1);
    done(r);
}

static void test_rwlock_read_then_write_is_cycle(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "lock A kind=rwlock\nlock B kind=rwlock\n"
                            "T2 acquire A read ; T2 acquire B write ; T2 release B ; T2 release A\n"
                            "T3 acquire B read ; T3 acquire A write ; T3 release A ; T3 release B\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle-rw", false), 1);
    done(r);
}

static void test_writer_preferring_read_read_is_cycle(void **state)
{
    (void)state;
    /* non-recursive readers can block behind a waiting writer */
    struct run *r = analyze(THREADS2 "lock A kind=rwlock type=prefer-writer-nonrec\n"
                            "lock B kind=rwlock type=prefer-writer-nonrec\n"
                            "T2 acquire A read ; T2 acquire B read ; T2 release B ; T2 release A\n"
                            "T3 acquire B read ; T3 acquire A read ; T3 release A ; T3 release B\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle-rw", false), 1);
    done(r);
}

static void test_profile_mode_cycle_from_edges(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7 mode=profile\n"
                            "T2 start parent=T1 ; T3 start parent=T1\n"
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A\n"
                            "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B\n");
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_python_sem_abba(void **state)
{
    (void)state;
    /* threading.Lock: a value-1 semaphore, uncontended acquire = sem_trywait */
    struct run *r = analyze(THREADS2 "lock A kind=sem value=1\nlock B kind=sem value=1\n"
                            "T2 acquire A try ; T2 acquire B try ; T2 post B value=2 ; T2 post A value=2\n"
                            "T3 acquire B try ; T3 acquire A try ; T3 post A value=2 ; T3 post B value=2\n"
                            JOINS2);
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    assert_int_equal(count(r, NULL, false), 1);
    done(r);
}

static void test_python_condition_is_clean(void **state)
{
    (void)state;
    /* threading.Condition: the waiter takes its own lock W twice, the
     * notifier posts W, the waiter then drops W by destroying it. */
    struct run *r = analyze(THREADS2 "lock L kind=sem value=1\nlock W kind=sem value=1\n"
                            "T2 acquire L try ; T2 acquire W try ; T2 post L value=2\n"
                            "T2 wait W\n"
                            "T3 acquire L try ; T3 post W value=2 ; T3 post L value=2\n"
                            "T2 acquire W contended ; T2 acquire L try ; T2 destroy W\n"
                            "T2 post L value=2\n" JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    /* L -> W -> L in T2 alone, through W, destroyed after use: pruned,
     * not a one-thread note (another waiter gets its own W) */
    const struct finding *f = first(r, "lock-order-cycle");
    assert_non_null(f);
    assert_true(f->pruned);
    assert_string_equal(f->prune_rule, "single-thread");
    done(r);
}

static void test_sem_handoff_is_clean(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "lock S kind=sem value=1\n"
                            "T2 acquire S ; T3 post S value=2 ; T2 acquire S ; T3 post S value=2\n"
                            JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_counting_sem_is_no_lock(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "lock A kind=sem value=3\n"
                            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 post A value=4\n"
                            "T3 acquire B ; T3 acquire A ; T3 post A value=4 ; T3 release B\n"
                            JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

/* ---- hangs other than lock cycles (detect_hangs.c) ---- */

/* A signal sent before the wait, by a thread that has ended since. */
static void test_hang_lost_wakeup(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 signal C ; T2 release M ; T2 exit\n"
                            "T3 acquire M ; T3 release M cond ; T3 cond-wait C M\n");
    assert_int_equal(count(r, "lost-wakeup", false), 1);
    const struct finding *f = first(r, "lost-wakeup");
    assert_int_equal(f->kind, FINDING_DEADLOCK);
    assert_int_equal(f->severity, SEV_ERROR);
    assert_int_equal(f->nthreads, 2); /* the waiter and the signaller that left */
    done(r);
}

/* The same while the signaller still runs (the kill came first): no hang. */
static void test_hang_needs_the_signaller_gone(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 signal C ; T2 release M\n"
                            "T3 acquire M ; T3 release M cond ; T3 cond-wait C M\n");
    assert_int_equal(count(r, "lost-wakeup", false), 0);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

/* A process that exited normally has idle waiters, not a hang. */
static void test_hang_not_after_exit(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 signal C ; T2 release M ; T2 exit\n"
                            "T3 acquire M ; T3 release M cond ; T3 cond-wait C M\n"
                            "T1 proc-exit status=0\n");
    assert_int_equal(count(r, "lost-wakeup", false), 0);
    done(r);
}

/* A timed wait ends by itself. */
static void test_hang_not_for_timed_wait(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 signal C ; T2 release M ; T2 exit\n"
                            "T3 acquire M ; T3 release M cond timed ; T3 cond-wait C M\n");
    assert_int_equal(count(r, "lost-wakeup", false), 0);
    done(r);
}

/* Nobody ever posts, and every thread is blocked: a main thread waits for
 * a semaphore-lock held by a worker that waits for one it holds itself
 * (CPython's join over an Event.wait).  One finding, rooted at the worker,
 * with main in it. */
static void test_hang_self_wait_chain(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T1 create T2\n"
                            "lock S kind=sem value=1\nlock W kind=sem value=1\n"
                            "T2 acquire S ; T2 acquire W ; T2 wait W\n"
                            "T1 wait S\n");
    assert_int_equal(count(r, "self-wait", false), 1);
    const struct finding *f = first(r, "self-wait");
    assert_int_equal(f->nthreads, 2);
    assert_int_equal(count(r, NULL, false), 1);
    done(r);
}

/* The same with a thread still running: it could post, so no hang. */
static void test_hang_self_wait_needs_everyone_blocked(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T1 create T2\n"
                            "T3 start parent=T1 ; T1 create T3\n"
                            "lock S kind=sem value=1\nlock W kind=sem value=1\n"
                            "T2 acquire S ; T2 acquire W ; T2 wait W\n"
                            "T1 wait S\nT3 acquire X ; T3 release X\n");
    assert_int_equal(count(r, "self-wait", false), 0);
    done(r);
}

/* A join on a thread that waits for a lock the joiner holds: a deadlock,
 * though no lock-order cycle exists. */
static void test_hang_join_cycle(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire L\nT2 start parent=T1 ; T1 create T2\n"
                            "T1 join-begin T2\nT2 wait L\n");
    assert_int_equal(count(r, "deadlock", false), 1);
    assert_int_equal(first(r, "deadlock")->nthreads, 2);
    assert_int_equal(count(r, "lock-order-cycle", false), 0);
    done(r);
    /* the same join on a thread that is running: nothing */
    r = analyze("header run=7\nT1 acquire L\nT2 start parent=T1 ; T1 create T2\n"
                "T1 join-begin T2\nT2 acquire M ; T2 release M\n");
    assert_int_equal(count(r, "deadlock", false), 0);
    done(r);
}

/* Joining a thread stuck on a lost wake-up: one finding, the joiner in it. */
static void test_hang_join_chain(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 signal C ; T2 release M ; T2 exit ; T1 join T2\n"
                            "T3 acquire M ; T3 release M cond ; T3 cond-wait C M\n"
                            "T1 join-begin T3\n");
    assert_int_equal(count(r, "lost-wakeup", false), 1);
    assert_int_equal(first(r, "lost-wakeup")->nthreads, 3);
    assert_int_equal(count(r, NULL, false), 1);
    done(r);
}

/* Threads already explained by a lock cycle get no second finding. */
static void test_hang_not_twice(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "T2 acquire A ; T3 acquire B ; T2 wait B ; T3 wait A\n");
    assert_int_equal(count(r, "deadlock", false), 1);
    assert_int_equal(count(r, "hang", false), 0);
    assert_int_equal(count(r, "lost-wakeup", false), 0);
    done(r);
}

/* ---- actual deadlocks ---- */

static void test_real_deadlock_from_blocks(void **state)
{
    (void)state;
    /* killed while hung: the thread blocks say who holds and who waits */
    struct run *r = analyze(THREADS2
                            "T2 acquire A ; T3 acquire B ; T2 wait B ; T3 wait A\n");
    assert_int_equal(count(r, "deadlock", false), 1);
    const struct finding *f = first(r, "deadlock");
    assert_int_equal(f->kind, FINDING_DEADLOCK);
    assert_int_equal(f->nthreads, 2);
    assert_int_equal(f->nscen, 2);
    /* the lock-order cycle is also there */
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_deadlock_from_thread_state_only(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7 mode=profile\n"
                            "T2 start parent=T1 ; T3 start parent=T1\nlock A\nlock B\n"
                            "thread-state T2 held=A waiting=B\n"
                            "thread-state T3 held=B waiting=A\n");
    assert_int_equal(count(r, "deadlock", false), 1);
    /* the orders of the hang are a lock-order cycle too, as in trace mode */
    assert_int_equal(count(r, "lock-order-cycle", false), 1);
    done(r);
}

static void test_nested_monitor(void **state)
{
    (void)state;
    /* T2 waits on C (mutex M) while holding OUTER; T3 signals C holding OUTER */
    struct run *r = analyze(THREADS2
                            "T2 acquire OUTER ; T2 acquire M ; T2 release M cond ; T2 cond-wait C M\n"
                            "T3 acquire OUTER ; T3 acquire M ; T3 signal C ; T3 release M ; "
                            "T3 release OUTER\n"
                            "T2 cond-wake C M ; T2 acquire M cond ; T2 release M ; T2 release OUTER\n"
                            JOINS2);
    assert_int_equal(count(r, "wait-holding-lock", false), 1);
    assert_int_equal(first(r, "wait-holding-lock")->kind, FINDING_CYCLE);
    done(r);
    /* the same without the outer lock around the wait: clean */
    r = analyze(THREADS2
                "T2 acquire M ; T2 release M cond ; T2 cond-wait C M\n"
                "T3 acquire OUTER ; T3 acquire M ; T3 signal C ; T3 release M ; T3 release OUTER\n"
                "T2 cond-wake C M ; T2 acquire M cond ; T2 release M\n" JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_self_deadlock(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire A ; T1 wait A\n");
    assert_int_equal(count(r, "self-deadlock", false), 1);
    assert_int_equal(count(r, "relock", false), 0);
    done(r);
}

static void test_recursive_relock_is_fine(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nlock R type=recursive\n"
                            "T1 acquire R ; T1 acquire R recursive ; T1 release R recursive ; "
                            "T1 release R ; T1 proc-exit\n");
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_errorcheck_relock_is_misuse(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nlock E type=errorcheck\n"
                            "T1 acquire E ; T1 fail E err=EDEADLK ; T1 release E ; T1 proc-exit\n");
    assert_int_equal(count(r, "relock", false), 1);
    done(r);
}

/* ---- abandoned ---- */

static void test_abandoned_thread_exit(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT2 start parent=T1\nT2 acquire A ; T2 exit\n"
                            "T1 join T2 ; T1 proc-exit\n");
    assert_int_equal(count(r, "held-at-thread-exit", false), 1);
    assert_int_equal(first(r, "held-at-thread-exit")->kind, FINDING_ABANDONED);
    done(r);
}

static void test_abandoned_cancel(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT2 start parent=T1\nT2 acquire A ; T2 exit how=canceled\n"
                            "T1 proc-exit\n");
    assert_int_equal(count(r, "held-at-thread-cancel", false), 1);
    done(r);
}

static void test_held_at_kill(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire K\n");
    assert_int_equal(count(r, "held-at-kill", false), 1);
    assert_int_equal(first(r, "held-at-kill")->severity, SEV_ERROR);
    done(r);
}

static void test_exit_race_withdrawn(void **state)
{
    (void)state;
    /* main calls exit while T2 holds A for a moment; T2 releases it and
     * ends after: no abandoned lock.  T3 keeps B: abandoned. */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T3 start parent=T1\n"
                            "T2 acquire A ; T3 acquire B\nT1 proc-exit\n"
                            "T2 release A ; T2 exit\n");
    assert_int_equal(count(r, "held-at-exit", false), 1);
    assert_int_equal(first(r, "held-at-exit")->locks[0], 1); /* B is the second lock */
    done(r);
}

static void test_lost_release_ends_the_hold(void **state)
{
    (void)state;
    /* T2's release of A was not recorded; T3 then took A: T2 no longer
     * holds it, so nothing is abandoned at T2's exit */
    struct run *r = analyze(THREADS2 "T2 acquire A\nT3 acquire A ; T3 release A\n" JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
    /* the release came, but stamped after the other thread's acquisition */
    r = analyze(THREADS2 "T2 acquire A\nT3 acquire A ; T3 release A\nT2 release A\n" JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_joined_thread_at_exit(void **state)
{
    (void)state;
    /* T2 was joined, but its teardown still held M when main exited */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T1 create T2\n"
                            "T2 acquire M\nT1 join T2\nT1 proc-exit\n");
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_profile_mode_held_at_exit(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7 mode=profile\nT2 start parent=T1\n"
                            "T2 acquire F\nT1 proc-exit\n");
    assert_int_equal(count(r, "held-at-exit", false), 1);
    done(r);
}

static void test_wait_on_abandoned(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT2 start parent=T1\nT2 acquire A ; T2 exit\n"
                            "T1 wait A\n");
    assert_int_equal(count(r, "wait-on-abandoned", false), 1);
    done(r);
}

static void test_held_at_fork(void **state)
{
    (void)state;
    const char *texts[] = {
        "header run=9 pid=100\nT2 start parent=T1\nT2 acquire LOG\nT1 fork child=101\n"
        "T2 release LOG ; T2 exit ; T1 join T2 ; T1 proc-exit\n",
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock LOG addr=0x10040\n"
        "T1 fork parent=100\nT1 fail LOG try err=EBUSY\nT1 proc-exit how=_exit\n",
    };
    struct run *r = analyze_files(texts, 2, 0);
    assert_int_equal(count(r, "held-at-fork", false), 1);
    done(r);
    /* the child took the lock at once: it was not held at the fork */
    const char *texts2[] = {
        texts[0],
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock LOG addr=0x10040\n"
        "T1 fork parent=100\nT1 acquire LOG\nT1 release LOG\nT1 proc-exit how=_exit\n",
    };
    r = analyze_files(texts2, 2, 0);
    assert_int_equal(count(r, "held-at-fork", false), 0);
    done(r);
}

static void test_wait_on_lock_of_dead_process(void **state)
{
    (void)state;
    /* the child exits holding a process-shared (non-robust) mutex; the
     * parent then hangs on it and is killed */
    const char *texts[] = {
        "header run=9 pid=100\nlock M flags=pshared dev=1 ino=42 offset=0\n"
        "T1 fork child=101\nT1 wait M @1000\n",
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock M flags=pshared dev=1 ino=42 offset=0\n"
        "T1 fork parent=100 ; T1 acquire M ; T1 proc-exit how=_exit\n",
    };
    struct run *r = analyze_files(texts, 2, 0);
    assert_int_equal(count(r, "wait-on-abandoned", false), 1);
    assert_int_equal(count(r, "held-at-exit", false), 1);
    done(r);
}

static void test_held_at_fork_profile_blob(void **state)
{
    (void)state;
    /* profile mode: the FORK record lists (holder thread, lock) pairs */
    struct run *r = analyze("header run=9 pid=100 mode=profile\nT2 start parent=T1\nlock LOG\n"
                            "T1 raw 0x49 0 101 0 1 blob=0201\nT1 proc-exit\n");
    assert_int_equal(count(r, "held-at-fork", false), 1);
    done(r);
}

static void test_abandoned_after_lost_events_is_note(void **state)
{
    (void)state;
    /* T2's release of A may be among its lost events: a note, not an error */
    const char *texts[] = {
        "header run=7\nT2 start parent=T1 ; T1 create T2\n"
        "T2 acquire A ; T2 dropped 5 ; T2 exit ; T1 join T2 ; T1 proc-exit\n",
        /* a full disk: only the header counts the drops (no DROPPED record) */
        "header run=7 dropped=5\nT2 start parent=T1 ; T1 create T2\n"
        "T2 acquire A ; T2 exit ; T1 join T2 ; T1 proc-exit\n",
    };
    for (size_t i = 0; i < 2; i++) {
        struct run *r = analyze(texts[i]);
        const struct finding *f = first(r, "held-at-thread-exit");
        assert_non_null(f);
        assert_int_equal(f->severity, SEV_INFO);
        assert_true(f->note_only);
        assert_non_null(strstr(f->why, "lost events"));
        assert_int_equal(findings_count(&r->a.fs, r->o.fail_on), 0);
        done(r);
    }
    /* nothing lost: an error */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T1 create T2\n"
                            "T2 acquire A ; T2 exit ; T1 join T2 ; T1 proc-exit\n");
    assert_int_equal(first(r, "held-at-thread-exit")->severity, SEV_ERROR);
    done(r);
}

static void test_release_by_cleanup_handler_after_exit(void **state)
{
    (void)state;
    /* pthread_exit: the shim's exit record comes before the cleanup
     * handlers run, and a handler releases A: not abandoned */
    struct run *r = analyze("header run=7\nT2 start parent=T1 ; T1 create T2\n"
                            "T2 acquire A ; T2 exit ; T2 release A ; T1 join T2 ; T1 proc-exit\n");
    assert_int_equal(count(r, "held-at-thread-exit", false), 0);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_robust_owner_dead_across_processes(void **state)
{
    (void)state;
    const char *texts[] = {
        "header run=9 pid=100\nlock M flags=robust,pshared dev=1 ino=42 offset=0\n"
        "T1 fork child=101\nT1 acquire M owner-dead @100 ; T1 release M ; T1 proc-exit\n",
        "header run=9 pid=101 ppid=100 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock M flags=robust,pshared dev=1 ino=42 offset=0\n"
        "T1 fork parent=100 ; T1 acquire M ; T1 proc-exit how=_exit\n",
    };
    struct run *r = analyze_files(texts, 2, 0);
    assert_int_equal(count(r, "owner-dead", false), 1);
    assert_int_equal(count(r, "held-at-exit", false), 1);
    /* the child's lock and the parent's are one object */
    const struct finding *f = first(r, "owner-dead");
    assert_int_not_equal(f->nthreads, 0);
    done(r);
}

/* Profile mode: the EOWNERDEAD acquisition is the trace's one ACQUIRE
 * record, with no RELEASE after it; it gives the owner-dead finding, while
 * the holds stay the blocks' (no held-at-exit, no unlock of an unheld lock). */
static void test_robust_owner_dead_profile(void **state)
{
    (void)state;
    const char *scenario = "lock M flags=robust\nT2 start parent=T1\nT2 acquire M ; T2 exit\n"
                           "T1 acquire M owner-dead @100 ; T1 release M ; T1 proc-exit\n";
    const char *modes[] = {"header run=9 pid=100 mode=trace\n", "header run=9 pid=100 mode=profile\n"};
    for (size_t i = 0; i < 2; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s", modes[i], scenario);
        struct run *r = analyze(text);
        assert_int_equal(count(r, "owner-dead", false), 1);
        assert_int_equal(count(r, "held-at-thread-exit", false), 1);
        assert_int_equal(count(r, "held-at-exit", false), 0);
        assert_int_equal(count(r, "unlock-unheld", false), 0);
        const struct finding *f = first(r, "owner-dead");
        assert_int_equal(f->nthreads, 2);
        done(r);
    }
}

/* ---- misuse ---- */

static void test_misuse_unlock_unheld(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 release A ; T1 proc-exit\n");
    assert_int_equal(count(r, "unlock-unheld", false), 1);
    done(r);
}

static void test_no_unlock_accusation_after_dropped_events(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 dropped 5\nT1 release A ; T1 proc-exit\n");
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_misuse_double_unlock(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire A ; T1 release A ; T1 release A ; "
                            "T1 proc-exit\n");
    assert_int_equal(count(r, "double-unlock", false), 1);
    assert_int_equal(count(r, NULL, false), 1);
    done(r);
}

static void test_misuse_unlock_other_thread(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2 "T2 acquire A ; T3 release A\n" JOINS2);
    assert_int_equal(count(r, "unlock-not-owner", false), 1);
    /* the hold is gone: no abandoned lock at T2's exit */
    assert_int_equal(count(r, "held-at-thread-exit", false), 0);
    done(r);
}

static void test_misuse_destroy_held(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire A ; T1 destroy A err=EBUSY ; "
                            "T1 release A ; T1 proc-exit\n");
    assert_int_equal(count(r, "destroy-held", false), 1);
    done(r);
}

static void test_misuse_cond_two_mutexes(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M1 ; T2 release M1 cond ; T2 cond-wait C M1 ; "
                            "T2 cond-wake C M1 ; T2 acquire M1 cond ; T2 release M1\n"
                            "T3 acquire M2 ; T3 release M2 cond ; T3 cond-wait C M2 ; "
                            "T3 cond-wake C M2 ; T3 acquire M2 cond ; T3 release M2\n" JOINS2);
    assert_int_equal(count(r, "cond-two-mutexes", false), 1);
    done(r);
}

static void test_misuse_cond_wait_unheld(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nlock M\nT1 release M cond ; T1 cond-wait C M ; "
                            "T1 cond-wake C M err=ETIMEDOUT ; T1 acquire M cond ; T1 release M ; "
                            "T1 proc-exit\n");
    assert_int_equal(count(r, "cond-wait-unheld", false), 1);
    assert_int_equal(count(r, "unlock-unheld", false), 0);
    done(r);
}

static void test_correct_cond_wait_is_clean(void **state)
{
    (void)state;
    struct run *r = analyze(THREADS2
                            "T2 acquire M ; T2 release M cond ; T2 cond-wait C M\n"
                            "T3 acquire M ; T3 signal C ; T3 release M\n"
                            "T2 cond-wake C M ; T2 acquire M cond ; T2 release M\n" JOINS2);
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_misuse_use_after_destroy(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nT1 acquire A ; T1 release A ; T1 destroy A ; "
                            "T1 acquire A ; T1 release A ; T1 proc-exit\n");
    assert_int_equal(count(r, "use-after-destroy", false), 1);
    done(r);
}

static void test_reinit_after_destroy_is_fine(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nlock A\nT1 acquire A ; T1 release A ; T1 destroy A\n"
                            "T1 init A\nT1 acquire A ; T1 release A ; T1 proc-exit\n");
    assert_int_equal(count(r, NULL, false), 0);
    done(r);
}

static void test_sem_overpost(void **state)
{
    (void)state;
    struct run *r = analyze("header run=7\nlock S kind=sem value=1\n"
                            "T1 acquire S ; T1 post S value=2 ; T1 post S value=3 ; T1 proc-exit\n");
    assert_int_equal(count(r, "sem-overpost", false), 1);
    done(r);
}

static void test_stable_order(void **state)
{
    (void)state;
    /* the same trace twice gives the same findings in the same order */
    const char *text = THREADS2
        "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A ; T2 release A\n"
        "T3 acquire B ; T3 acquire A ; T3 release A ; T3 release B ; T3 acquire C\n" JOINS2;
    struct run *ra = analyze(text), *rb = analyze(text);
    assert_int_equal(ra->a.fs.n, rb->a.fs.n);
    for (size_t i = 0; i < ra->a.fs.n; i++) {
        assert_string_equal(ra->a.fs.list[i]->code, rb->a.fs.list[i]->code);
        assert_string_equal(ra->a.fs.list[i]->title, rb->a.fs.list[i]->title);
    }
    assert_true(ra->a.fs.n >= 3);
    /* kinds in order: cycle before abandoned before misuse */
    for (size_t i = 1; i < ra->a.fs.n; i++)
        assert_true(ra->a.fs.list[i - 1]->kind <= ra->a.fs.list[i]->kind);
    done(ra);
    done(rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abba_is_one_cycle),
        cmocka_unit_test(test_clean_order_has_nothing),
        cmocka_unit_test(test_abc_cycle_of_three),
        cmocka_unit_test(test_each_cycle_once),
        cmocka_unit_test(test_same_places_grouped),
        cmocka_unit_test(test_max_cycle_len_notes_cut),
        cmocka_unit_test(test_single_thread_is_note),
        cmocka_unit_test(test_single_thread_gate_pruned),
        cmocka_unit_test(test_gate_lock_pruned),
        cmocka_unit_test(test_gate_read_held_is_no_gate),
        cmocka_unit_test(test_join_order_is_note),
        cmocka_unit_test(test_parent_before_create_is_note),
        cmocka_unit_test(test_concurrent_parent_child_reported),
        cmocka_unit_test(test_parent_after_create_is_concurrent),
        cmocka_unit_test(test_join_after_create_does_not_order),
        cmocka_unit_test(test_pshared_cycle_across_fork),
        cmocka_unit_test(test_fork_before_is_ordered),
        cmocka_unit_test(test_atfork_handlers_are_no_held_at_fork),
        cmocka_unit_test(test_trylock_edges_left_out),
        cmocka_unit_test(test_trylock_bank_hides_no_inversion),
        cmocka_unit_test(test_one_thread_45_locks_no_error),
        cmocka_unit_test(test_shortest_cycle_listed_first),
        cmocka_unit_test(test_cut_search_fails),
        cmocka_unit_test(test_ring_of_16_found),
        cmocka_unit_test(test_rwlock_read_read_pruned),
        cmocka_unit_test(test_prefer_writer_np_read_read_pruned),
        cmocka_unit_test(test_rwlock_write_then_read_is_cycle),
        cmocka_unit_test(test_rwlock_read_then_write_is_cycle),
        cmocka_unit_test(test_writer_preferring_read_read_is_cycle),
        cmocka_unit_test(test_profile_mode_cycle_from_edges),
        cmocka_unit_test(test_python_sem_abba),
        cmocka_unit_test(test_python_condition_is_clean),
        cmocka_unit_test(test_sem_handoff_is_clean),
        cmocka_unit_test(test_counting_sem_is_no_lock),
        cmocka_unit_test(test_hang_lost_wakeup),
        cmocka_unit_test(test_hang_needs_the_signaller_gone),
        cmocka_unit_test(test_hang_not_after_exit),
        cmocka_unit_test(test_hang_not_for_timed_wait),
        cmocka_unit_test(test_hang_self_wait_chain),
        cmocka_unit_test(test_hang_self_wait_needs_everyone_blocked),
        cmocka_unit_test(test_hang_not_twice),
        cmocka_unit_test(test_hang_join_cycle),
        cmocka_unit_test(test_hang_join_chain),
        cmocka_unit_test(test_real_deadlock_from_blocks),
        cmocka_unit_test(test_deadlock_from_thread_state_only),
        cmocka_unit_test(test_nested_monitor),
        cmocka_unit_test(test_self_deadlock),
        cmocka_unit_test(test_recursive_relock_is_fine),
        cmocka_unit_test(test_errorcheck_relock_is_misuse),
        cmocka_unit_test(test_abandoned_thread_exit),
        cmocka_unit_test(test_abandoned_cancel),
        cmocka_unit_test(test_held_at_kill),
        cmocka_unit_test(test_exit_race_withdrawn),
        cmocka_unit_test(test_lost_release_ends_the_hold),
        cmocka_unit_test(test_joined_thread_at_exit),
        cmocka_unit_test(test_profile_mode_held_at_exit),
        cmocka_unit_test(test_wait_on_abandoned),
        cmocka_unit_test(test_held_at_fork),
        cmocka_unit_test(test_wait_on_lock_of_dead_process),
        cmocka_unit_test(test_held_at_fork_profile_blob),
        cmocka_unit_test(test_abandoned_after_lost_events_is_note),
        cmocka_unit_test(test_release_by_cleanup_handler_after_exit),
        cmocka_unit_test(test_robust_owner_dead_across_processes),
        cmocka_unit_test(test_robust_owner_dead_profile),
        cmocka_unit_test(test_misuse_unlock_unheld),
        cmocka_unit_test(test_no_unlock_accusation_after_dropped_events),
        cmocka_unit_test(test_misuse_double_unlock),
        cmocka_unit_test(test_misuse_unlock_other_thread),
        cmocka_unit_test(test_misuse_destroy_held),
        cmocka_unit_test(test_misuse_cond_two_mutexes),
        cmocka_unit_test(test_misuse_cond_wait_unheld),
        cmocka_unit_test(test_correct_cond_wait_is_clean),
        cmocka_unit_test(test_misuse_use_after_destroy),
        cmocka_unit_test(test_reinit_after_destroy_is_fine),
        cmocka_unit_test(test_sem_overpost),
        cmocka_unit_test(test_stable_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
