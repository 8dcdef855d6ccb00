/* Starvation detector: exact scenarios written with swgen, through the
 * model pass and the lockstats observer. */
#include <stdio.h>

#include "tests/unit/test_detect_stats.h"

/* The hog (T2) takes A (id 1) every 15 ms for 1 ms; the victim (T3) asks at
 * 1 ms and gets it at 201 ms (or never, if finish is 0). */
static void hog_and_victim(bool finish)
{
    script_len = 0;
    say("header pid=100 run=1");
    say("T2 start parent=T1 ; T1 create T2 ; T3 start parent=T1 ; T1 create T3");
    say("T2 name hog ; T3 name victim");
    say("T2 acquire A site=hog_loop @100us");
    say("T3 wait A site=victim_take @1ms");
    say("T2 release A site=hog_loop @2ms");
    for (unsigned i = 0; i < 12; i++) {
        say("T2 acquire A site=hog_loop @%ums", 10 + 15 * i);
        say("T2 release A site=hog_loop @%ums", 11 + 15 * i);
    }
    if (finish) {
        say("T3 acquire A contended site=victim_take @201ms");
        say("T3 release A site=victim_take @202ms");
    }
    say("T1 note text=end @250ms");
}

static void test_starved_waiter(void **state)
{
    (void)state;
    struct scenario s;
    hog_and_victim(true);
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 1);
    const struct finding *f = scenario_find(&s, FINDING_STARVATION, 0);
    uint32_t hog = scenario_thread(&s, 2), victim = scenario_thread(&s, 3);
    assert_string_equal(f->code, "starved-waiter");
    assert_int_equal(f->severity, SEV_WARNING);
    assert_int_equal(f->locks[0], scenario_lock(&s, 1));
    assert_int_equal(f->threads[0], victim);
    assert_int_equal(scenario_metric(f, "wait")->v.u, 200 * 1000000ull);
    assert_int_equal(scenario_metric(f, "others_acquired")->v.u, 12);
    assert_int_equal(scenario_metric(f, "longest_run")->v.u, 12);
    assert_int_equal(f->nitems, 2);
    assert_string_equal(f->items[0].role, "waits");
    assert_int_equal(f->items[0].thread, victim);
    assert_int_not_equal(f->items[0].stack, MODEL_NONE);
    assert_int_equal(f->items[0].ns, 1000000);
    assert_string_equal(f->items[1].role, "barges");
    assert_int_equal(f->items[1].thread, hog);
    assert_true(strstr(f->title, "was starved of L1: it waited longer than 100.0 ms while other "
                                 "threads took the lock at least 10 times") != NULL);
    assert_null(strstr(f->title, "still waiting"));
    /* the lock's wait distribution: one row per thread */
    assert_int_equal(f->nrows, 2);
    assert_int_equal(f->rows[0].cells[0].type, FV_THREAD);
    assert_int_equal(f->rows[0].cells[0].v.u, hog);
    assert_int_equal(f->rows[1].cells[0].v.u, victim);
    assert_int_equal(f->rows[1].ncells, f->ncolumns);
    scenario_free(&s);
}

static void test_still_waiting_at_end(void **state)
{
    (void)state;
    struct scenario s;
    hog_and_victim(false);
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, "starved-waiter"), 1);
    const struct finding *f = scenario_find(&s, FINDING_STARVATION, 0);
    assert_true(strstr(f->title, "still waiting when the trace ended") != NULL);
    assert_int_equal(scenario_metric(f, "wait")->v.u, 249 * 1000000ull);
    scenario_free(&s);
}

static void test_thresholds_are_options(void **state)
{
    (void)state;
    struct scenario s;
    hog_and_victim(true);
    scenario_default_opts(&s.o);
    s.o.wait_threshold_ns = 300 * 1000000ull;
    scenario_run(&s, script, true);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 0);
    scenario_free(&s);

    hog_and_victim(true);
    scenario_default_opts(&s.o);
    s.o.starve_count = 13;
    scenario_run(&s, script, true);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 0);
    scenario_free(&s);
}

/* A writer (T4) waits while two readers overlap their read holds. */
static void test_writer_starved_by_readers(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    say("lock R kind=rwlock type=prefer-reader");
    say("T2 acquire R read site=reader @0ms");
    say("T4 wait R write site=writer @1ms");
    for (unsigned i = 0; i < 12; i++) {
        unsigned r = i % 2 ? 2 : 3, other = i % 2 ? 3 : 2;
        say("T%u acquire R read site=reader @%ums", r, 10 + 15 * i);
        say("T%u release R site=reader @%ums", other, 11 + 15 * i);
    }
    say("T3 release R site=reader @200ms");
    say("T4 acquire R write contended site=writer @200ms");
    say("T4 release R site=writer @201ms");
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 1);
    const struct finding *f = scenario_find(&s, FINDING_STARVATION, 0);
    assert_string_equal(f->code, "writer-starved-by-readers");
    assert_int_equal(f->threads[0], scenario_thread(&s, 4));
    assert_int_equal(scenario_metric(f, "reads_acquired")->v.u, 12);
    assert_true(strstr(f->title, "readers took the lock at least 10 times") != NULL);
    assert_true(strstr(f->fix, "PREFER_WRITER") != NULL);
    /* readers taking turns are the story, not a barging thread */
    assert_int_equal(f->nitems, 1);
    assert_string_equal(f->items[0].role, "waits");
    scenario_free(&s);
}

/* One thread takes the lock 15 times in a row over 150 ms while a series of
 * short timed waiters give up: no wait crosses the threshold, but the run
 * is reported as barging. */
static void test_barging_alone(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    for (unsigned i = 0; i < 3; i++) {
        unsigned w = 3 + i;
        say("T%u wait A timed site=timed_take @%ums", w, 1 + 50 * i);
        for (unsigned k = 0; k < 5; k++) {
            unsigned t = 5 + 50 * i + 10 * k;
            say("T2 acquire A site=loop @%ums ; T2 release A site=loop @%ums", t, t + 1);
        }
        say("T%u fail A timed err=ETIMEDOUT site=timed_take @%ums", w, 49 + 50 * i);
        if (i < 2)
            say("T%u wait A timed site=timed_take @%ums", 3 + i + 1, 49 + 50 * i);
    }
    scenario_run(&s, script, false);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, "starved-waiter"), 0);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, "barging"), 1);
    const struct finding *f = scenario_find(&s, FINDING_STARVATION, 0);
    assert_int_equal(f->severity, SEV_INFO);
    assert_int_equal(scenario_metric(f, "longest_run")->v.u, 15);
    assert_int_equal(f->items[0].thread, scenario_thread(&s, 2));
    assert_string_equal(f->items[0].role, "barges");
    scenario_free(&s);
}

/* Fair hand-offs: every waiter gets the lock next.  Nothing to report. */
static void test_fair_lock_is_quiet(void **state)
{
    (void)state;
    struct scenario s;
    script_len = 0;
    say("header pid=100 run=1");
    for (unsigned i = 0; i < 30; i++) {
        unsigned a = 2 + i % 2, b = 2 + (i + 1) % 2, t = 10 * i;
        say("T%u acquire A @%ums ; T%u wait A @%ums", a, t, b, t + 1);
        say("T%u release A @%ums ; T%u acquire A @%ums ; T%u release A @%ums", a, t + 5, b, t + 5,
            b, t + 6);
    }
    scenario_default_opts(&s.o);
    s.o.wait_threshold_ns = 1000000; /* even with a low threshold */
    scenario_run(&s, script, true);
    assert_int_equal(scenario_count(&s, FINDING_STARVATION, NULL), 0);
    scenario_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starved_waiter),
        cmocka_unit_test(test_still_waiting_at_end),
        cmocka_unit_test(test_thresholds_are_options),
        cmocka_unit_test(test_writer_starved_by_readers),
        cmocka_unit_test(test_barging_alone),
        cmocka_unit_test(test_fair_lock_is_quiet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
