/* Contention hotspot detector: exact scenarios written with swgen, in trace
 * and profile mode, through the model pass and the lockstats observer. */
#include <stdio.h>

#include "tests/unit/test_detect_stats.h"

/* hot (A, id 1): T2 holds it 20 ms at site hold_a while T3 waits at wait_a,
 * five times; cold (B, id 2): taken by T1 alone. */
static void hot_and_cold(const char *mode)
{
    script_len = 0;
    say("header pid=100 run=1 mode=%s", mode);
    say("lock A ; lock B");
    say("T2 start parent=T1 ; T1 create T2 ; T3 start parent=T1 ; T1 create T3");
    for (unsigned i = 0; i < 5; i++) {
        unsigned t = 1 + 30 * i;
        say("T2 acquire A site=hold_a @%ums", t);
        say("T3 wait A site=wait_a @%ums", t + 1);
        say("T2 release A site=hold_a @%ums", t + 21);
        say("T3 acquire A contended site=wait_a @%ums", t + 21);
        say("T3 release A site=wait_a @%ums", t + 22);
    }
    for (unsigned i = 0; i < 20; i++)
        say("T1 acquire B site=cold @%uus ; T1 release B site=cold @+1us", 160000 + 10 * i);
    say("T2 exit @170ms ; T3 exit @170ms ; T1 join T2 ; T1 join T3 ; T1 proc-exit status=0");
}

static void test_hotspot_trace_mode(void **state)
{
    (void)state;
    struct scenario s;
    hot_and_cold("trace");
    scenario_run(&s, script, false);
    uint32_t a = scenario_lock(&s, 1);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 1);
    const struct finding *f = scenario_find(&s, FINDING_CONTENTION, 0);
    assert_string_equal(f->code, "contention-hotspot");
    assert_int_equal(f->nlocks, 1);
    assert_int_equal(f->locks[0], a);
    assert_int_equal(f->sort_key, 1);
    assert_int_equal(scenario_metric(f, "acquisitions")->v.u, 10);
    assert_int_equal(scenario_metric(f, "contentions")->v.u, 5);
    assert_int_equal(scenario_metric(f, "owner_changes")->v.u, 9);
    assert_int_equal(scenario_metric(f, "wait_total")->v.u, 5 * 20 * 1000000ull);
    assert_int_equal(scenario_metric(f, "wait_max")->v.u, 20 * 1000000ull);
    assert_int_equal(scenario_metric(f, "hold_max")->v.u, 21 * 1000000ull);
    assert_int_equal(scenario_metric(f, "long_holds")->v.u, 5);
    assert_string_equal(scenario_metric(f, "source")->v.s, "events");
    /* the first item blames the holder's site */
    assert_true(f->nitems >= 2);
    assert_string_equal(f->items[0].role, "holder site");
    assert_int_not_equal(f->items[0].stack, MODEL_NONE);
    assert_string_equal(f->items[1].role, "waiter site");
    assert_int_not_equal(f->items[0].stack, f->items[1].stack);
    /* rows: two sites, then the two threads */
    assert_int_equal(f->nrows, 4);
    assert_int_equal(f->rows[0].cells[0].type, FV_STACK);
    assert_int_equal(f->rows[2].cells[0].type, FV_THREAD);
    assert_int_equal(f->rows[2].cells[0].v.u, scenario_thread(&s, 2));
    assert_int_equal(f->rows[0].ncells, f->ncolumns);
    /* measured numbers stay out of the prose */
    assert_string_equal(f->title, "L1 is a contention hotspot: threads queued for it again and "
                                  "again");
    assert_non_null(f->why);
    assert_true(strstr(f->fix, "longer than 1.0 ms made other threads wait") != NULL);
    assert_string_equal(f->items[0].note, "holds taken here made others wait, some for longer "
                                          "than 1.0 ms");
    /* nothing else: no starvation, nothing about the cold lock */
    assert_int_equal(s.a.fs.n, 1);
    assert_int_equal(scenario_reported(&s), 1);
    scenario_free(&s);
}

static void test_hotspot_profile_mode(void **state)
{
    (void)state;
    struct scenario s;
    hot_and_cold("profile");
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 1);
    const struct finding *f = scenario_find(&s, FINDING_CONTENTION, 0);
    assert_int_equal(f->locks[0], scenario_lock(&s, 1));
    assert_int_equal(scenario_metric(f, "acquisitions")->v.u, 10);
    assert_int_equal(scenario_metric(f, "contentions")->v.u, 5);
    assert_int_equal(scenario_metric(f, "wait_total")->v.u, 5 * 20 * 1000000ull);
    assert_string_equal(scenario_metric(f, "source")->v.s, "profile counters");
    /* starvation needs every event: nothing in profile mode */
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 0);
    scenario_free(&s);
}

/* Three contended locks, --top 2: the two with most waiting, in order. */
static void test_top_n(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    say("lock A ; lock B ; lock C");
    const char *names[] = {"A", "B", "C"};
    unsigned waits[] = {10, 30, 20};
    unsigned t = 1;
    for (unsigned k = 0; k < 3; k++) {
        for (unsigned twice = 0; twice < 2; twice++) {
            say("T2 acquire %s @%ums", names[k], t);
            say("T3 wait %s @%ums", names[k], t);
            say("T2 release %s @%ums", names[k], t + waits[k]);
            say("T3 acquire %s @%ums ; T3 release %s", names[k], t + waits[k], names[k]);
            t += waits[k] + 1;
        }
    }
    scenario_default_opts(&s.o);
    s.o.top = 2;
    scenario_run(&s, script, true);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 2);
    assert_int_equal(scenario_find(&s, FINDING_CONTENTION, 0)->locks[0], scenario_lock(&s, 2));
    assert_int_equal(scenario_find(&s, FINDING_CONTENTION, 1)->locks[0], scenario_lock(&s, 3));
    assert_int_equal(scenario_find(&s, FINDING_CONTENTION, 1)->sort_key, 2);
    assert_true(scenario_has_note(&s, "1 more contended lock"));
    scenario_free(&s);
}

/* Two 100 us waits in a one-second run: below the noise floor. */
static void test_noise_floor(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    say("T2 acquire A @1ms ; T3 wait A @1ms ; T2 release A @1100us ; T3 acquire A @1100us");
    say("T3 release A @2ms");
    say("T2 acquire A @3ms ; T3 wait A @3ms ; T2 release A @3100us ; T3 acquire A @3100us");
    say("T3 release A @4ms");
    say("T1 proc-exit status=0 @1s");
    scenario_run(&s, script, false);
    assert_int_equal(scenario_reported(&s), 0);
    /* kept for --verbose, with the rule that dropped it */
    assert_int_equal(scenario_pruned(&s, "noise-floor"), 1);
    scenario_free(&s);
}

/* CPython's GIL: timed condvar waits by two threads on a mutex that is also
 * contended.  Labelled and noted, never a finding. */
static void test_gil_is_labelled(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1 exe=/usr/bin/python3.11 cmdline=\"python3 app.py\"");
    say("lock G ; lock C kind=cond");
    unsigned t = 1000;
    for (unsigned i = 0; i < 10; i++) {
        unsigned a = i % 2 ? 2 : 3, b = i % 2 ? 3 : 2;
        say("T%u acquire G site=take @%uus", a, t);
        say("T%u wait G site=take @%uus", b, t + 10);
        say("T%u release G cond site=take @%uus", a, t + 3000);
        say("T%u acquire G contended site=take @%uus", b, t + 3000);
        say("T%u cond-wait C G site=take @%uus", a, t + 3000);
        say("T%u release G cond site=take @%uus", b, t + 3010);
        say("T%u cond-wait C G site=take @%uus", b, t + 3010);
        say("T%u cond-wake C G err=ETIMEDOUT @%uus", a, t + 8000);
        say("T%u acquire G cond site=take @%uus", a, t + 8000);
        say("T%u release G site=take @%uus", a, t + 8001);
        say("T%u cond-wake C G err=0 @%uus", b, t + 8010);
        say("T%u acquire G cond site=take @%uus", b, t + 8010);
        say("T%u release G site=take @%uus", b, t + 8011);
        t += 9000;
    }
    scenario_run(&s, script, false);
    uint32_t g = scenario_lock(&s, 1);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 0);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 0);
    assert_non_null(s.a.m.locks[g].label);
    assert_string_equal(s.a.m.locks[g].label, "GIL");
    assert_true(scenario_has_note(&s, "GIL"));
    const struct lockstats_lock_row *r = lockstats_lock(s.a.ls, g);
    assert_non_null(r);
    assert_true(r->gil);
    assert_int_equal(r->cond_threads, 2);
    assert_int_equal(r->cond_waits, 20);
    assert_int_equal(r->cond_timeouts, 10);
    scenario_free(&s);
}

/* The same pattern outside Python is a plain lock: its contention counts. */
static void test_gil_pattern_needs_python(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1 exe=/usr/bin/server");
    say("lock G ; lock C kind=cond");
    unsigned t = 1000;
    for (unsigned i = 0; i < 10; i++) {
        say("T2 acquire G @%uus ; T3 wait G @%uus", t, t + 10);
        say("T2 release G cond @%uus ; T3 acquire G contended @%uus", t + 3000, t + 3000);
        say("T2 cond-wait C G @%uus ; T3 release G cond @%uus", t + 3000, t + 3010);
        say("T3 cond-wait C G @%uus", t + 3010);
        say("T2 cond-wake C G err=ETIMEDOUT @%uus ; T2 acquire G cond @%uus", t + 8000, t + 8000);
        say("T2 release G @%uus", t + 8001);
        say("T3 cond-wake C G err=ETIMEDOUT @%uus ; T3 acquire G cond @%uus", t + 8010, t + 8010);
        say("T3 release G @%uus", t + 8011);
        t += 9000;
    }
    scenario_run(&s, script, false);
    assert_null(s.a.m.locks[scenario_lock(&s, 1)].label);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 1);
    scenario_free(&s);
}

/* A consumer waiting on a counting semaphore is not lock contention. */
static void test_counting_semaphore_is_not_a_hotspot(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    say("lock S kind=sem value=0");
    for (unsigned i = 0; i < 5; i++) {
        say("T2 wait S @%ums", 1 + 20 * i);
        say("T3 post S @%ums", 20 + 20 * i);
        say("T2 acquire S @%ums", 20 + 20 * i);
    }
    scenario_run(&s, script, false);
    assert_int_equal(s.a.fs.n, 0); /* not a lock: not even a pruned finding */
    scenario_free(&s);
}

/* Python's threading.Lock: a binary semaphore, contended, is a hotspot. */
static void test_binary_semaphore_hotspot(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    say("lock S kind=sem value=1");
    for (unsigned i = 0; i < 5; i++) {
        say("T2 acquire S site=hold @%ums", 1 + 20 * i);
        say("T3 wait S site=waiter @%ums", 2 + 20 * i);
        say("T2 post S site=hold @%ums", 15 + 20 * i);
        say("T3 acquire S site=waiter @%ums", 15 + 20 * i);
        say("T3 post S site=waiter @%ums", 16 + 20 * i);
    }
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_CONTENTION, NULL), 1);
    const struct finding *f = scenario_find(&s, FINDING_CONTENTION, 0);
    assert_int_equal(scenario_metric(f, "wait_total")->v.u, 5 * 13 * 1000000ull);
    assert_int_equal(scenario_metric(f, "hold_max")->v.u, 14 * 1000000ull);
    assert_string_equal(f->items[0].role, "holder site");
    scenario_free(&s);
}

/* CPython's Thread.join: the thread holds its sentinel lock (a binary
 * semaphore) for its whole life; join waits once for it.  Three joins of
 * 200 ms each are not contention. */
static void test_join_on_sentinel_is_not_a_hotspot(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1 exe=/usr/bin/python3.11");
    say("lock S2 kind=sem value=1 ; lock S3 kind=sem value=1 ; lock S4 kind=sem value=1");
    for (unsigned t = 2; t <= 4; t++)
        say("T%u acquire S%u site=bootstrap @%uus", t, t, t);
    for (unsigned t = 2; t <= 4; t++) {
        say("T1 wait S%u site=join @%ums", t, 2 + 200 * (t - 2));
        say("T%u post S%u site=bootstrap @%ums", t, t, 201 + 200 * (t - 2));
        say("T1 acquire S%u site=join @%ums ; T1 post S%u site=join", t, 201 + 200 * (t - 2), t);
        say("T%u exit", t);
    }
    scenario_run(&s, script, false);
    assert_int_equal(scenario_reported(&s), 0);
    assert_int_equal(scenario_pruned(&s, "one-shot-wait"), 3);
    scenario_free(&s);
}

/* A process-shared mutex contended by a parent and its fork child is one
 * lock: the child's waits are blamed on the parent's holds. */
static void test_pshared_across_processes(void **state)
{
    (void)state;
    const char *parent =
        "header pid=100 run=9\n"
        "lock P kind=mutex flags=pshared dev=8 ino=77 offset=64 addr=0x7000\n"
        "T1 fork child=101 @1ms\n"
        "T1 acquire P site=parent_hold @2ms ; T1 release P site=parent_hold @22ms\n"
        "T1 acquire P site=parent_hold @30ms ; T1 release P site=parent_hold @50ms\n"
        "T1 proc-exit status=0 @60ms\n";
    const char *child =
        "header pid=101 ppid=100 run=9 fork-parent-pid=100 fork-parent-thread=1\n"
        "lock P kind=mutex flags=pshared dev=8 ino=77 offset=64 addr=0x9000 @1ms\n"
        "T1 fork parent=100 @1ms\n"
        "T1 wait P site=child_wait @3ms ; T1 acquire P contended site=child_wait @22ms\n"
        "T1 release P site=child_wait @23ms\n"
        "T1 wait P site=child_wait @31ms ; T1 acquire P contended site=child_wait @50ms\n"
        "T1 release P site=child_wait @51ms\n"
        "T1 proc-exit status=0 @55ms\n";
    const char *texts[2] = {parent, child};
    uint8_t *bufs[2];
    struct swt_trace *traces[2];
    char err[512];
    for (int i = 0; i < 2; i++) {
        size_t len;
        if (swgen_compile(texts[i], "pshared", &bufs[i], &len, err, sizeof(err)))
            fail_msg("swgen: %s", err);
        traces[i] = swt_open_buffer(bufs[i], len, "pshared", err, sizeof(err));
        if (!traces[i])
            fail_msg("open: %s", err);
    }
    struct report_opts o;
    scenario_default_opts(&o);
    struct model_opts mo;
    memset(&mo, 0, sizeof(mo));
    struct analysis a;
    if (analysis_run(&a, traces, 2, &o, &mo, err, sizeof(err)))
        fail_msg("analysis: %s", err);
    assert_int_equal(a.fs.n, 1);
    const struct finding *f = a.fs.list[0];
    assert_false(f->pruned);
    assert_int_equal(scenario_metric(f, "acquisitions")->v.u, 4);
    assert_int_equal(scenario_metric(f, "contentions")->v.u, 2);
    assert_int_equal(scenario_metric(f, "wait_total")->v.u, 38 * 1000000ull);
    assert_string_equal(f->items[0].role, "holder site");
    assert_int_equal(a.m.stacks[f->items[0].stack].proc, 0); /* the parent's site */
    analysis_free(&a);
    for (int i = 0; i < 2; i++) {
        swt_close(traces[i]);
        free(bufs[i]);
    }
}

static void test_no_stats(void **state)
{
    (void)state;
    struct findings fs;
    struct model m;
    memset(&m, 0, sizeof(m));
    findings_init(&fs);
    detect_contention(&m, NULL, NULL, &fs);
    detect_starvation(&m, NULL, NULL, &fs);
    assert_int_equal(fs.n, 0);
    findings_free(&fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hotspot_trace_mode),
        cmocka_unit_test(test_hotspot_profile_mode),
        cmocka_unit_test(test_top_n),
        cmocka_unit_test(test_noise_floor),
        cmocka_unit_test(test_gil_is_labelled),
        cmocka_unit_test(test_gil_pattern_needs_python),
        cmocka_unit_test(test_counting_semaphore_is_not_a_hotspot),
        cmocka_unit_test(test_binary_semaphore_hotspot),
        cmocka_unit_test(test_join_on_sentinel_is_not_a_hotspot),
        cmocka_unit_test(test_pshared_across_processes),
        cmocka_unit_test(test_no_stats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
