/* The lock graph's cycle enumeration and the happens-before clocks, on
 * hand-built inputs: every elementary cycle exactly once, the length bound
 * reported, and the clock rules of create, join and fork. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/hbclock.h"
#include "analyzer/lockgraph.h"
#include "analyzer/model.h"

/* A model with n locks and an edge for every ordered pair (complete graph). */
static void complete_graph(struct model *m, size_t n)
{
    memset(m, 0, sizeof *m);
    m->nlocks = n;
    m->locks = calloc(n, sizeof *m->locks);
    m->edges = calloc(n * n, sizeof *m->edges);
    assert_non_null(m->locks);
    assert_non_null(m->edges);
    for (size_t i = 0; i < n; i++) {
        m->locks[i].index = m->locks[i].node = (uint32_t)i;
        m->locks[i].is_lock = true;
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = 0; b < n; b++)
            if (a != b) {
                struct model_edge *e = &m->edges[m->nedges++];
                e->from = (uint32_t)a;
                e->to = (uint32_t)b;
            }
}

struct seen {
    size_t count;
    size_t by_len[8];
    char keys[64][16];
};

static bool collect(void *ctx, const uint32_t *nodes, const struct model_edge *const *edges,
                    size_t n)
{
    struct seen *s = ctx;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(edges[i]->from, nodes[i]);
        assert_int_equal(edges[i]->to, nodes[(i + 1) % n]);
        assert_true(nodes[0] <= nodes[i]); /* rotated to its smallest node */
    }
    char key[16] = {0};
    for (size_t i = 0; i < n; i++)
        key[i] = (char)('a' + nodes[i]);
    for (size_t i = 0; i < s->count && i < 64; i++)
        assert_string_not_equal(s->keys[i], key); /* each once */
    if (s->count < 64)
        memcpy(s->keys[s->count], key, sizeof key);
    s->count++;
    s->by_len[n]++;
    return true;
}

static void test_complete_graph_cycles(void **state)
{
    (void)state;
    struct model m;
    complete_graph(&m, 4);
    struct seen s = {0};
    struct lockgraph_result res;
    lockgraph_cycles(&m, 8, collect, &s, &res);
    /* K4: 6 two-cycles, 8 three-cycles, 6 four-cycles */
    assert_int_equal(s.count, 20);
    assert_int_equal(s.by_len[2], 6);
    assert_int_equal(s.by_len[3], 8);
    assert_int_equal(s.by_len[4], 6);
    assert_false(res.cut_by_length);
    assert_false(res.cut_by_budget);

    memset(&s, 0, sizeof s);
    lockgraph_cycles(&m, 3, collect, &s, &res);
    assert_int_equal(s.count, 14);
    assert_true(res.cut_by_length);
    free(m.locks);
    free(m.edges);
}

static void test_non_locks_are_skipped(void **state)
{
    (void)state;
    struct model m;
    complete_graph(&m, 3);
    m.locks[2].is_lock = false; /* a counting semaphore, say */
    struct seen s = {0};
    struct lockgraph_result res;
    lockgraph_cycles(&m, 8, collect, &s, &res);
    assert_int_equal(s.count, 1); /* only a <-> b */
    free(m.locks);
    free(m.edges);
}

/* Records the length of each cycle in the order found, and whether the
 * separate pair (nodes 12, 13) was found. */
struct order {
    size_t count;
    size_t last_len;
    bool decreased;
    bool pair;
};

static bool by_order(void *ctx, const uint32_t *nodes, const struct model_edge *const *edges,
                     size_t n)
{
    (void)edges;
    struct order *o = ctx;
    if (nodes[0] >= 12) {
        o->pair = true;
        return true;
    }
    o->decreased |= n < o->last_len;
    o->last_len = n;
    o->count++;
    return true;
}

static void test_budget_per_component(void **state)
{
    (void)state;
    /* a complete graph of 12 locks, then a separate 2-cycle 12 <-> 13 */
    struct model m;
    complete_graph(&m, 14);
    size_t k = 0;
    for (size_t i = 0; i < m.nedges; i++) {
        const struct model_edge *e = &m.edges[i];
        bool big = e->from < 12 && e->to < 12, pair = e->from >= 12 && e->to >= 12;
        if (big || pair)
            m.edges[k++] = *e;
    }
    m.nedges = k;
    struct order o = {0};
    struct lockgraph_result res;
    lockgraph_cycles(&m, 16, by_order, &o, &res);
    /* by increasing length: 66 + 440 + 2970 cycles of 2..4 locks (C(12,k)
     * (k-1)!), then the budget stops the big component among its 19008
     * cycles of 5 */
    assert_false(o.decreased);
    assert_int_equal(o.count, LOCKGRAPH_CYCLE_BUDGET);
    assert_true(o.pair); /* its own budget: the other component is searched */
    assert_true(res.cut_by_budget);
    assert_int_equal(res.ncuts, 1);
    assert_int_equal(res.cuts[0].nnodes, 12);
    assert_int_equal(res.cuts[0].nedges, 132);
    assert_int_equal(res.cuts[0].complete_len, 4);
    assert_int_equal(res.cuts[0].cycles, LOCKGRAPH_CYCLE_BUDGET);
    lockgraph_result_free(&res);
    free(m.locks);
    free(m.edges);
}

static void test_trylock_only_edges_dropped(void **state)
{
    (void)state;
    struct model m;
    complete_graph(&m, 2);
    struct model_edge_variant v = {.to_flags = SWT_ACQ_TRY};
    m.edges[1].variants = &v; /* b -> a: only a trylock */
    m.edges[1].nvariants = 1;
    struct seen s = {0};
    struct lockgraph_result res;
    lockgraph_cycles(&m, 8, collect, &s, &res);
    assert_int_equal(s.count, 0);
    assert_int_equal(res.dropped_try, 1);
    lockgraph_result_free(&res);
    free(m.locks);
    free(m.edges);
}

static void test_hb_create_and_join(void **state)
{
    (void)state;
    struct hb_clock main_c, t2, t3;
    hb_init(&main_c);
    hb_init(&t2);
    hb_init(&t3);
    hb_snapshot(&main_c);
    /* main (0) at epoch 1 creates T2 (1) */
    uint32_t e_create = main_c.epoch;
    struct hb_vc at;
    hb_vc_copy(&at, &main_c);
    main_c.epoch++;
    hb_inherit(&t2, 0, &main_c, e_create, &at);
    hb_vc_free(&at);
    assert_true(hb_before(&t2, t2.epoch, 0, e_create));      /* main before create -> T2 */
    assert_false(hb_before(&t2, t2.epoch, 0, main_c.epoch)); /* main after create: concurrent */
    /* main creates T3 before joining T2; T3's first record comes after the join */
    uint32_t e3 = main_c.epoch;
    hb_vc_copy(&at, &main_c);
    main_c.epoch++;
    uint32_t t2_last = t2.epoch;
    hb_join(&main_c, &t2, 1);
    hb_inherit(&t3, 0, &main_c, e3, &at);
    hb_vc_free(&at);
    assert_false(hb_before(&t3, t3.epoch, 1, t2_last)); /* T2 and T3 overlap */
    assert_true(hb_before(&main_c, main_c.epoch, 1, t2_last)); /* joined: before main now */
    hb_free(&main_c);
    hb_free(&t2);
    hb_free(&t3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_graph_cycles),
        cmocka_unit_test(test_non_locks_are_skipped),
        cmocka_unit_test(test_budget_per_component),
        cmocka_unit_test(test_trylock_only_edges_dropped),
        cmocka_unit_test(test_hb_create_and_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
