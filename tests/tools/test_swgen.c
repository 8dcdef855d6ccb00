/* Unit tests of swgen: the traces it writes, read back with the real
 * reader, hold exactly the records, thread blocks and profile slots the
 * text describes, laid out as the shim lays them out; errors in the text
 * name their line. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_reader.h"
#include "tests/tools/swgen.h"

struct gen_trace {
    uint8_t *buf;
    size_t len;
    struct swt_trace *t;
};

static void gen(struct gen_trace *g, const char *text)
{
    char err[512];
    if (swgen_compile(text, "test", &g->buf, &g->len, err, sizeof err))
        fail_msg("swgen: %s", err);
    g->t = swt_open_buffer(g->buf, g->len, "test", err, sizeof err);
    if (!g->t)
        fail_msg("reader: %s", err);
}

static void done(struct gen_trace *g)
{
    swt_close(g->t);
    free(g->buf);
}

/* All records in merge order. */
static size_t records(struct gen_trace *g, struct swt_rec *out, size_t max)
{
    struct swt_merge *m = swt_merge_new(g->t);
    assert_non_null(m);
    char err[512];
    size_t n = 0;
    struct swt_rec r = {0};
    int rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1) {
        assert_true(n < max);
        out[n++] = r;
    }
    assert_int_equal(rc, 0);
    swt_merge_free(m);
    return n;
}

static const struct swt_rec *find(const struct swt_rec *r, size_t n, unsigned type, size_t nth)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].type == type && nth-- == 0)
            return &r[i];
    return NULL;
}

static void compile_error(const char *text, const char *expect)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    char err[512] = "";
    assert_int_equal(swgen_compile(text, "in.swg", &buf, &len, err, sizeof err), -1);
    assert_null(buf);
    if (!strstr(err, expect))
        fail_msg("error '%s' does not contain '%s'", err, expect);
}

static void test_abba_records_and_edges(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "header pid=200 run=7\n"
            "T2 start parent=T1 ; T1 create T2\n"
            "T2 acquire A site=sa ; T2 acquire B site=sb ; T2 release B ; T2 release A\n"
            "T2 acquire A ; T2 acquire B ; T2 release B ; T2 release A # same: no new edge\n"
            "T1 acquire B @1us ; T1 acquire A try ; T1 release A ; T1 release B\n");
    const struct swt_file_header *h = swt_header(g.t);
    assert_int_equal(h->pid, 200);
    assert_int_equal(h->run_id, 7);
    assert_int_equal(h->threads_started, 2);
    assert_int_equal(h->locks_registered, 2);
    assert_int_equal(h->state, SWT_PROC_RUNNING);
    assert_int_equal(swt_thread_count(g.t), 2);
    assert_int_equal(swt_thread_tid(g.t, 2), 201);

    struct swt_rec r[64];
    size_t n = records(&g, r, 64);
    /* as from the shim: a start record for T2, none for the main thread */
    const struct swt_rec *st = find(r, n, SWT_REC_THREAD_START, 0);
    assert_int_equal(st->f[0], 2);
    assert_int_equal(st->f[1], 1);
    assert_int_equal(st->ns, 10);
    assert_null(find(r, n, SWT_REC_THREAD_START, 1));

    const struct swt_rec *e1 = find(r, n, SWT_REC_EDGE, 0);
    const struct swt_rec *e2 = find(r, n, SWT_REC_EDGE, 1);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_null(find(r, n, SWT_REC_EDGE, 2));
    assert_int_equal(e1->thread, 2);
    assert_int_equal(e1->f[0], 1); /* A */
    assert_int_equal(e1->f[1], 2); /* B */
    assert_int_equal(e1->f[3], 1); /* from_site sa */
    assert_int_equal(e1->f[4], 2); /* to_site sb */
    assert_int_equal(e1->blob_len, 0);
    assert_int_equal(e2->thread, 1);
    assert_int_equal(e2->f[0], 2);
    assert_int_equal(e2->f[1], 1);
    assert_int_equal(SWT_EDGE_TO(e2->f[2]), SWT_ACQ_TRY);
    assert_int_equal(e2->ns, 1010);

    const struct swt_rec *a = find(r, n, SWT_REC_ACQUIRE, 0);
    assert_int_equal(a->f[0], 1);
    assert_int_equal(a->f[2], 1);
    done(&g);
}

static void test_flags_as_the_recorder_sets_them(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "lock R kind=mutex type=recursive ; lock RW kind=rwlock\n"
            "T1 acquire R ; T1 acquire R ; T1 release R ; T1 release R\n"
            "T1 acquire RW read ; T1 release RW\n"
            "T2 wait R ; T2 acquire R ; T2 acquire RW write ; T2 release RW ; T2 release R\n");
    struct swt_rec r[32];
    size_t n = records(&g, r, 32);
    /* the re-lock deepens the hold: RECURSIVE, and no edge R -> R */
    assert_int_equal(find(r, n, SWT_REC_ACQUIRE, 0)->f[1], 0);
    assert_int_equal(find(r, n, SWT_REC_ACQUIRE, 1)->f[1], SWT_ACQ_RECURSIVE);
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 0)->f[1], SWT_ACQ_RECURSIVE);
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 1)->f[1], 0);
    /* the release of a read hold says READ */
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 2)->f[1], SWT_ACQ_READ);
    /* after a WAIT the ACQUIRE is CONTENDED; the edge comes before the acquire */
    assert_int_equal(find(r, n, SWT_REC_ACQUIRE, 3)->f[1], SWT_ACQ_CONTENDED);
    const struct swt_rec *e = find(r, n, SWT_REC_EDGE, 0);
    assert_non_null(e);
    assert_null(find(r, n, SWT_REC_EDGE, 1));
    assert_int_equal(SWT_EDGE_TO(e->f[2]), SWT_ACQ_WRITE);
    assert_true(e < find(r, n, SWT_REC_ACQUIRE, 4));
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 3)->f[1], SWT_ACQ_WRITE);
    /* the hold kept in the block has no CONTENDED flag */
    assert_int_equal(swt_thread_block(g.t, 2)->nheld, 0);
    done(&g);
}

static void test_times_and_tsc_clock(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "header clock=tsc tick-q32=2147483648 start=5000 auto-start=0\n" /* 0.5 ns per tick */
            "T1 acquire A @1ms ; T1 release A @+2.5us ; T1 acquire A\n");
    struct swt_rec r[16];
    size_t n = records(&g, r, 16);
    assert_int_equal(n, 4); /* lock_new, acquire, release, acquire */
    assert_int_equal(r[1].ticks, 5000 + 2000000);
    assert_int_equal(r[1].ns, 1000000);
    assert_int_equal(r[2].ns, 1002500);
    assert_int_equal(r[3].ns, 1002510);
    done(&g);
}

static void test_profile_mode_writes_no_events_but_counts(void **state)
{
    (void)state;
    const char *scenario = "T1 acquire L site=s @100 ; T1 release L @600\n"
                           "T2 wait L site=s @700 ; T1 acquire L site=s @710\n"
                           "T1 release L @800 ; T2 acquire L site=s contended @1700\n"
                           "T2 release L @1800 ; T2 fail L try site=s\n";
    struct gen_trace g;
    char text[1024];
    snprintf(text, sizeof text, "header mode=profile\n%s", scenario);
    gen(&g, text);
    assert_int_equal(swt_header(g.t)->mode, SWT_MODE_PROFILE);
    assert_int_equal(swt_header(g.t)->features & SWT_FEAT_EVENTS, 0);
    struct swt_rec r[32];
    size_t n = records(&g, r, 32);
    for (size_t i = 0; i < n; i++)
        assert_true(r[i].type >= SWT_EXT_BASE);

    const struct swt_thread_block *b1 = swt_thread_block(g.t, 1), *b2 = swt_thread_block(g.t, 2);
    const struct swt_stat_slot *s1 = NULL, *s2 = NULL;
    for (uint32_t i = 0; i < b1->nstats; i++)
        if (b1->stats[i].lock)
            s1 = &b1->stats[i];
    for (uint32_t i = 0; i < b2->nstats; i++)
        if (b2->stats[i].lock)
            s2 = &b2->stats[i];
    assert_non_null(s1);
    assert_non_null(s2);
    assert_int_equal(s1->acquisitions, 2);
    assert_int_equal(s1->contentions, 0);
    assert_int_equal(s1->hold_samples, 2);
    assert_int_equal(s1->hold_total_ns, 500 + 90);
    assert_int_equal(s1->hold_max_ns, 500);
    assert_int_equal(s1->hold_min_ns, 90);
    assert_int_equal(s2->acquisitions, 1);
    assert_int_equal(s2->contentions, 1);
    assert_int_equal(s2->wait_total_ns, 1000);
    assert_int_equal(s2->wait_hist[9], 1); /* 1000 ns in [512, 1024) */
    assert_int_equal(s2->failures, 1);
    assert_int_equal(s2->owner_changes, 1);
    done(&g);

    /* the same text in trace mode: the events are there */
    snprintf(text, sizeof text, "header mode=trace\n%s", scenario);
    gen(&g, text);
    n = records(&g, r, 32);
    assert_non_null(find(r, n, SWT_REC_WAIT, 0));
    assert_int_equal(find(r, n, SWT_REC_FAIL, 0)->f[3], EBUSY);
    done(&g);
}

static void test_profile_mode_samples_holds(void **state)
{
    (void)state;
    struct gen_trace g;
    /* 1 in 3 timed: acquisitions 1, 4 and 7 (the countdown starts at 1) */
    gen(&g, "header mode=profile hold-sample=3\n"
            "T1 acquire A ; T1 release A ; T1 acquire A ; T1 release A ; T1 acquire A\n"
            "T1 release A ; T1 acquire A ; T1 release A ; T1 acquire A ; T1 release A\n"
            "T1 acquire A ; T1 release A ; T1 acquire A ; T1 release A\n");
    assert_true(swt_header(g.t)->features & SWT_FEAT_HOLD_SAMPLED);
    const struct swt_thread_block *b = swt_thread_block(g.t, 1);
    const struct swt_stat_slot *s = NULL;
    for (uint32_t i = 0; i < b->nstats; i++)
        if (b->stats[i].lock)
            s = &b->stats[i];
    assert_non_null(s);
    assert_int_equal(s->acquisitions, 7);
    assert_int_equal(s->hold_samples, 3);
    assert_int_equal(s->hold_total_ns, 30);
    done(&g);
}

static void count_stat(void *ctx, uint32_t thread, const struct swt_stat_slot *slot)
{
    (void)thread;
    (void)slot;
    (*(int *)ctx)++;
}

static void test_stat_slots_spill_into_stats_chunks(void **state)
{
    (void)state;
    char text[4096];
    size_t k = (size_t)snprintf(text, sizeof text, "header mode=profile\n");
    for (int i = 0; i < 25; i++)
        k += (size_t)snprintf(text + k, sizeof text - k, "T1 acquire L%d ; T1 release L%d\n", i, i);
    snprintf(text + k, sizeof text - k, "stat T1 X acq=9 spill\n");
    struct gen_trace g;
    gen(&g, text);
    int count = 0;
    swt_foreach_stat(g.t, count_stat, &count);
    assert_int_equal(count, 26);
    const struct swt_thread_block *b = swt_thread_block(g.t, 1);
    int in_block = 0;
    for (uint32_t i = 0; i < b->nstats; i++)
        in_block += b->stats[i].lock != 0;
    assert_int_equal(in_block, (int)b->nstats); /* full, the rest spilled */
    done(&g);
}

static void test_chunk_rollover_keeps_order(void **state)
{
    (void)state;
    char *text = malloc(200000);
    assert_non_null(text);
    size_t k = 0;
    for (int i = 0; i < 2000; i++)
        k += (size_t)snprintf(text + k, 200000 - k, "T1 acquire A ; T1 release A\n");
    struct gen_trace g;
    gen(&g, text);
    free(text);
    assert_true(swt_header(g.t)->chunks_allocated > 3);
    struct swt_rec *r = malloc(5000 * sizeof *r);
    assert_non_null(r);
    size_t n = records(&g, r, 5000);
    assert_int_equal(n, 1 + 4000); /* lock_new, then the pairs */
    for (size_t i = 2; i < n; i++) {
        assert_int_equal(r[i].type, i % 2 ? SWT_REC_ACQUIRE : SWT_REC_RELEASE);
        assert_int_equal(r[i].ns, r[i - 1].ns + 10);
    }
    free(r);
    assert_int_equal(swt_warning_count(g.t), 0);
    done(&g);
}

static void test_thread_blocks(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "T1 acquire A ; T1 acquire B ; T1 acquire R recursive ; T1 acquire R recursive\n"
            "T2 acquire C ; T2 wait A site=w\n"
            "T3 acquire D ; T3 exit\n"
            "T4 wait A ; thread-state T4 waiting=B held=C,D state=canceled\n");
    const struct swt_thread_block *b = swt_thread_block(g.t, 1);
    assert_int_equal(b->state, SWT_THREAD_RUNNING);
    assert_int_equal(b->nheld, 3);
    assert_int_equal(b->held[2].depth, 2);
    b = swt_thread_block(g.t, 2);
    assert_int_equal(b->nheld, 1);
    assert_int_equal(b->waiting_lock, 1);
    assert_int_equal(b->waiting_site, 1);
    b = swt_thread_block(g.t, 3);
    assert_int_equal(b->state, SWT_THREAD_EXITED);
    assert_int_equal(b->nheld, 1); /* held at exit: abandoned */
    b = swt_thread_block(g.t, 4);
    assert_int_equal(b->state, SWT_THREAD_CANCELED);
    assert_int_equal(b->waiting_lock, 2);
    assert_int_equal(b->nheld, 2);

    struct swt_rec r[64];
    size_t n = records(&g, r, 64);
    const struct swt_rec *ex = find(r, n, SWT_REC_THREAD_EXIT, 0);
    assert_int_equal(ex->f[1], 1);
    assert_int_equal(ex->blob_len, 1);
    assert_int_equal(ex->blob[0], 5); /* D is the 5th lock */
    done(&g);
}

/* As the recorder (issue 9): holds beyond the block's 64 make edges too;
 * the block lists the first 64 and counts the rest; join-begin marks the
 * block until the join. */
static void test_deep_holds_and_join_begin(void **state)
{
    (void)state;
    char text[8192];
    size_t n = 0;
    for (int i = 0; i < 70; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "T1 acquire L%d\n", i);
    snprintf(text + n, sizeof text - n,
             "T2 join-begin T3 site=J ; T4 join-begin T3 ; T4 join T3\n"
             "T5 cond-destroy-begin C site=D\n");
    struct gen_trace g;
    gen(&g, text);
    const struct swt_thread_block *b = swt_thread_block(g.t, 1);
    assert_int_equal(b->nheld, 64);
    assert_int_equal(b->held_overflow, 6);
    assert_int_equal(b->held[63].lock, 64);
    assert_int_equal(swt_thread_block(g.t, 2)->waiting_join, 3);
    assert_int_equal(swt_thread_block(g.t, 2)->waiting_site, 1);
    assert_int_equal(swt_thread_block(g.t, 4)->waiting_join, 0);
    static struct swt_rec r[4096];
    size_t nr = records(&g, r, 4096);
    int deep_edge = 0;
    for (size_t i = 0; i < nr; i++)
        if (r[i].type == SWT_REC_EDGE && r[i].f[0] == 66 && r[i].f[1] == 70)
            deep_edge = 1; /* L65 -> L69: both beyond the 64th */
    assert_true(deep_edge);
    const struct swt_rec *jb = find(r, nr, SWT_REC_JOIN_BEGIN, 0);
    assert_non_null(jb);
    assert_int_equal(jb->f[0], 3);
    const struct swt_rec *cd = find(r, nr, SWT_REC_COND_DESTROY_BEGIN, 0);
    assert_non_null(cd);
    assert_int_equal(cd->f[0], 71);
    done(&g);
}

static void test_damage(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "T1 acquire A ; T1 release A\nT2 acquire B\ntear T2\n");
    struct swt_rec r[16];
    size_t n = records(&g, r, 16);
    assert_null(find(r, n, SWT_REC_ACQUIRE, 1));
    assert_int_equal(swt_warning_count(g.t), 1);
    assert_non_null(strstr(swt_warning_at(g.t, 0)->text, "torn tail"));
    done(&g);

    uint8_t *buf;
    size_t len;
    char err[512];
    assert_int_equal(
        swgen_compile("T1 acquire A\ncut -100\n", "t", &buf, &len, err, sizeof err), 0);
    assert_int_equal(len, 4096 + 2 * 4096 - 100);
    free(buf);
    assert_int_equal(swgen_compile("cut 0", "t", &buf, &len, err, sizeof err), 0);
    assert_int_equal(len, 0);
    free(buf);
    assert_int_equal(swgen_compile("header major=3\npoke 16 u32=7", "t", &buf, &len, err,
                                   sizeof err),
                     0);
    uint16_t major;
    memcpy(&major, buf + 8, 2);
    assert_int_equal(major, 3);
    assert_int_equal(len, 4096);
    free(buf);
}

static void test_unknown_ext_record_is_skipped(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "T1 acquire A ; T1 raw 0x7e 1 2 3 blob=0102 @+5ns ; T1 raw 0x4d 9 8 7\n"
            "T1 release A\n");
    struct swt_rec r[16];
    size_t n = records(&g, r, 16);
    const struct swt_rec *d = find(r, n, SWT_REC_DROPPED, 0);
    assert_non_null(d);
    assert_int_equal(d->f[0], 9); /* extra fields of a newer minor version are ignored */
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 0)->ns, 35); /* 10, 15 (+5), 25, 35 */
    done(&g);
}

/* Found by fuzz_swgen: a statement that declares two locks at once must
 * survive the lock table growing in between (ASan watches). */
static void test_statement_declaring_several_locks(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "lock L1 ; lock L2 ; lock L3 ; lock L4 ; lock L5 ; lock L6 ; lock L7\n"
            "T1 cond-wait C M\n"
            "lock L10 ; lock L11 ; lock L12 ; lock L13 ; lock L14 ; lock L15\n"
            "T1 edge E1 E2 held=E3,E4\n");
    struct swt_rec r[32];
    size_t n = records(&g, r, 32);
    const struct swt_rec *cw = find(r, n, SWT_REC_COND_WAIT, 0);
    assert_int_equal(cw->f[0], 8);
    assert_int_equal(cw->f[1], 9);
    const struct swt_rec *e = find(r, n, SWT_REC_EDGE, 0);
    assert_int_equal(e->f[0], 16);
    assert_int_equal(e->f[1], 17);
    assert_int_equal(e->blob_len, 2);
    done(&g);
}

static void test_lock_generations(void **state)
{
    (void)state;
    struct gen_trace g;
    gen(&g, "lock A type=errorcheck\n"
            "T1 acquire A ; T1 release A ; T1 destroy A ; T1 acquire A # use after destroy\n"
            "T1 release A ; T1 init A ; T1 acquire B\n");
    struct swt_rec r[32];
    size_t n = records(&g, r, 32);
    const struct swt_rec *l0 = find(r, n, SWT_REC_LOCK_NEW, 0);
    const struct swt_rec *l1 = find(r, n, SWT_REC_LOCK_NEW, 1);
    const struct swt_rec *l2 = find(r, n, SWT_REC_LOCK_NEW, 2);
    const struct swt_rec *l3 = find(r, n, SWT_REC_LOCK_NEW, 3);
    assert_int_equal(l0->f[0], 1);
    assert_int_equal(l0->f[3], 0);           /* declared: not static */
    assert_int_equal(l0->f[5], 0);           /* generation 0 */
    assert_int_equal(l1->f[0], 2);           /* after destroy: a new id */
    assert_int_equal(l1->f[3], SWT_LOCK_STATIC);
    assert_int_equal(l1->f[4], l0->f[4]);    /* same address */
    assert_int_equal(l1->f[5], 1);
    assert_int_equal(l2->f[0], 3);           /* re-init: another new id */
    assert_int_equal(l2->f[3], 0);
    assert_int_equal(l2->f[5], 2);
    assert_int_equal(l3->f[0], 4);           /* B, first seen without init */
    assert_int_equal(l3->f[3], SWT_LOCK_STATIC);
    assert_int_equal(find(r, n, SWT_REC_ACQUIRE, 1)->f[0], 2);
    assert_int_equal(find(r, n, SWT_REC_RELEASE, 1)->f[0], 2);
    assert_int_equal(swt_header(g.t)->locks_registered, 4);
    done(&g);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    compile_error("T1 acquire A\n\nT1 frob A\n", "in.swg:3: unknown verb 'frob'");
    compile_error("T1 acquire A @20 ; T1 release A @10", "in.swg:1: time goes backwards in T1");
    compile_error("T1 acquire A colour=red", "unexpected 'colour=red'");
    compile_error("T0 acquire A", "thread 'T0' out of range");
    compile_error("T1 acquire", "acquire: missing lock name");
    compile_error("T1 acquire A\nheader pid=3", "in.swg:2: header must come before");
    compile_error("lock A kind=futex", "kind: unknown value 'futex'");
    compile_error("T1 fail A err=EWHAT", "err: unknown value 'EWHAT'");
    compile_error("T1 acquire A @5parsecs", "time unit");
    compile_error("lock A ; lock A", "already declared");
    compile_error("T1 name \"unterminated", "unterminated quote");
    compile_error("T1 acquire A ; T1 start", "start must be its first");
    compile_error("header chunk=5000", "multiple of 4096");
    compile_error("tear", "the trace has no records");
    compile_error("T1 raw 0x01 blob=00", "a core record has no blob");
    compile_error("poke 99999 1", "past the end");
    compile_error("poke -1 12", "past the end"); /* found by fuzz_swgen: offset overflow */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_abba_records_and_edges),
        cmocka_unit_test(test_flags_as_the_recorder_sets_them),
        cmocka_unit_test(test_times_and_tsc_clock),
        cmocka_unit_test(test_profile_mode_writes_no_events_but_counts),
        cmocka_unit_test(test_profile_mode_samples_holds),
        cmocka_unit_test(test_stat_slots_spill_into_stats_chunks),
        cmocka_unit_test(test_chunk_rollover_keeps_order),
        cmocka_unit_test(test_thread_blocks),
        cmocka_unit_test(test_deep_holds_and_join_begin),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_unknown_ext_record_is_skipped),
        cmocka_unit_test(test_statement_declaring_several_locks),
        cmocka_unit_test(test_lock_generations),
        cmocka_unit_test(test_errors_name_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
