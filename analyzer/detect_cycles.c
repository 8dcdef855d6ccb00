/* Potential deadlocks: elementary cycles of the lock-order graph that some
 * interleaving of the recorded threads could turn into a real deadlock.
 *
 * An edge keeps its occurrences apart by thread, read/write/try mode and the
 * other locks held (model_edge_variant).  A cycle is reported when one
 * variant per edge can be chosen such that all of these hold:
 *   - no edge was taken with a trylock (it cannot block; semaphores excepted:
 *     CPython's blocking acquire starts with sem_trywait),
 *   - no two adjacent edges meet as -(*R)-> L -(S*)->: L acquired as a
 *     recursive read (reader-preferring rwlock) right where the next edge
 *     holds L shared (the kernel lockdep "strong path" rule),
 *   - no lock is held exclusively across every edge (a gate lock),
 *   - at least two different threads take part,
 *   - no chosen occurrence happened before another (thread create/join,
 *     fork), so they could overlap in time.
 * When only the first three hold (the inversion was seen in one thread, or
 * in threads that never overlapped) it is reported as a note: the same code
 * paths usually run in other threads too (lockdep, Helgrind and TSan report
 * it), but this run does not show two threads doing it
 * (--single-thread-cycles=warn makes it a warning).  Otherwise it is kept
 * as a pruned finding naming the first rule, in that order, that made it
 * impossible; --verbose shows those. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "analyzer/detect.h"
#include "analyzer/lockgraph.h"
#include "analyzer/xalloc.h"

enum {
    C_TRY = 1u << 0,
    C_RR = 1u << 1,
    C_MULTI = 1u << 2,   /* at least two threads */
    C_DISTINCT = 1u << 3, /* every edge its own thread (a cleaner scenario) */
    C_GATE = 1u << 4,
    C_HB = 1u << 5,
    C_ALL = C_TRY | C_RR | C_MULTI | C_GATE | C_HB,
};

#define SEARCH_BUDGET 200000u
/* over all cycles of a report: a dense graph must not take hours */
#define TOTAL_SEARCH_BUDGET 100000000ull

struct choose {
    const struct model *m;
    const uint32_t *nodes;
    const struct model_edge *const *edges;
    size_t n;
    unsigned rules;
    const struct model_edge_variant **pick;
    unsigned long steps;
    bool budget_hit;
    unsigned long long *total; /* steps over every cycle so far */
};

/* glibc ignores PTHREAD_RWLOCK_PREFER_WRITER_NP (it would make recursive
 * read locks deadlock) and treats it as reader-preferring; only
 * PREFER_WRITER_NONRECURSIVE_NP makes a waiting writer block new readers. */
static bool reader_preferring(const struct model_lock *l)
{
    return l->kind == SWT_KIND_RWLOCK && l->type != SWT_TYPE_RW_PREFER_WRITER_NONREC;
}

static bool try_usable(const struct model *m, const struct model_edge *e,
                       const struct model_edge_variant *v)
{
    return lockgraph_variant_can_block(m, e, v);
}

/* Edge a (acquiring L) followed by edge b (holding L). */
static bool rr_broken(const struct model *m, const struct model_edge *a,
                      const struct model_edge_variant *va, const struct model_edge_variant *vb)
{
    return (va->to_flags & SWT_ACQ_READ) && reader_preferring(&m->locks[a->to]) &&
           (vb->from_flags & SWT_ACQ_READ);
}

static bool gates_common(const struct choose *c)
{
    const struct model_edge_variant *v0 = c->pick[0];
    for (uint32_t g = 0; g < v0->ngates; g++) {
        bool all = true;
        for (size_t i = 1; i < c->n && all; i++) {
            bool has = false;
            for (uint32_t k = 0; k < c->pick[i]->ngates; k++)
                has |= c->pick[i]->gates[k] == v0->gates[g];
            all = has;
        }
        if (all)
            return true;
    }
    return false;
}

static bool pick_edge(struct choose *c, size_t i)
{
    if (i == c->n) {
        if (c->rules & C_RR && rr_broken(c->m, c->edges[c->n - 1], c->pick[c->n - 1], c->pick[0]))
            return false;
        if (c->rules & (C_MULTI | C_DISTINCT)) {
            bool multi = false;
            for (size_t k = 1; k < c->n; k++)
                multi |= c->pick[k]->thread != c->pick[0]->thread;
            if (!multi)
                return false;
        }
        if ((c->rules & C_GATE) && gates_common(c))
            return false;
        return true;
    }
    const struct model_edge *e = c->edges[i];
    for (uint32_t k = 0; k < e->nvariants; k++) {
        if (++c->steps > SEARCH_BUDGET) {
            c->budget_hit = true;
            return false;
        }
        const struct model_edge_variant *v = &e->variants[k];
        if ((c->rules & C_TRY) && !try_usable(c->m, e, v))
            continue;
        if ((c->rules & C_RR) && i > 0 && rr_broken(c->m, c->edges[i - 1], c->pick[i - 1], v))
            continue;
        bool ok = true;
        for (size_t j = 0; j < i && ok; j++) {
            if ((c->rules & C_DISTINCT) && c->pick[j]->thread == v->thread)
                ok = false;
            if ((c->rules & C_HB) &&
                (model_hb_before(c->m, c->pick[j], v) || model_hb_before(c->m, v, c->pick[j])))
                ok = false;
        }
        if (!ok)
            continue;
        c->pick[i] = v;
        if (pick_edge(c, i + 1))
            return true;
        if (c->budget_hit)
            return false;
    }
    return false;
}

enum feas { F_NO, F_YES, F_UNKNOWN };

/* Whether one variant per edge satisfies the rules; F_UNKNOWN when the
 * budget ran out first (c->pick is then no valid choice). */
static enum feas feas(struct choose *c, unsigned rules)
{
    c->rules = rules;
    c->steps = 0;
    c->budget_hit = *c->total > TOTAL_SEARCH_BUDGET;
    if (c->budget_hit)
        return F_UNKNOWN;
    bool ok = pick_edge(c, 0);
    *c->total += c->steps;
    return ok ? F_YES : c->budget_hit ? F_UNKNOWN : F_NO;
}

/* For explanations of a decided cycle: feasible, or not known to be not. */
static bool feasible(struct choose *c, unsigned rules)
{
    return feas(c, rules) != F_NO;
}

/* The rules decided from the edges alone, before any choice is enumerated
 * (so that no budget can turn a prunable cycle into a reported one). */
static bool one_thread_only(const struct choose *c)
{
    uint32_t t = c->edges[0]->variants[0].thread;
    for (size_t i = 0; i < c->n; i++)
        for (uint32_t k = 0; k < c->edges[i]->nvariants; k++)
            if (c->edges[i]->variants[k].thread != t)
                return false;
    return true;
}

/* A lock held exclusively in every occurrence of every edge. */
static bool always_gated(const struct choose *c)
{
    const struct model_edge_variant *v0 = &c->edges[0]->variants[0];
    for (uint32_t g = 0; g < v0->ngates; g++) {
        bool all = true;
        for (size_t i = 0; i < c->n && all; i++)
            for (uint32_t k = 0; k < c->edges[i]->nvariants && all; k++) {
                const struct model_edge_variant *v = &c->edges[i]->variants[k];
                bool has = false;
                for (uint32_t j = 0; j < v->ngates; j++)
                    has |= v->gates[j] == v0->gates[g];
                all = has;
            }
        if (all)
            return true;
    }
    return false;
}

/* Two adjacent edges whose every pair of usable occurrences meets read to
 * read on a reader-preferring rwlock. */
static bool always_read_read(const struct choose *c)
{
    for (size_t i = 0; i < c->n; i++) {
        const struct model_edge *a = c->edges[i], *b = c->edges[(i + 1) % c->n];
        bool all = true;
        for (uint32_t x = 0; x < a->nvariants && all; x++) {
            if (!try_usable(c->m, a, &a->variants[x]))
                continue;
            for (uint32_t y = 0; y < b->nvariants && all; y++)
                if (try_usable(c->m, b, &b->variants[y]))
                    all = rr_broken(c->m, a, &a->variants[x], &b->variants[y]);
        }
        if (all)
            return true;
    }
    return false;
}

/* Cycles through other instances of the same lock classes taken at the
 * same places (per-object locks: transfer(a, b) and transfer(b, a) over
 * many accounts) are one finding with an "instances" count. */
struct cycle_group {
    char *sig;
    struct finding *f;
    size_t metric; /* index of its "instances" metric */
    UT_hash_handle hh;
};

struct cycles_ctx {
    const struct model *m;
    const struct report_opts *o;
    struct findings *out;
    uint64_t seq;
    struct cycle_group *groups;
    unsigned long long search_steps;
};

/* The places of a cycle: per edge (the acquiring stacks, the modes, the
 * init sites of both locks), sorted; NULL when a place is unknown. */
static char *cycle_signature(const struct model *m, const uint32_t *nodes,
                             const struct model_edge_variant *const *pick, size_t n, char level)
{
    uint64_t part[n * 2];
    for (size_t i = 0; i < n; i++) {
        const struct model_edge_variant *v = pick[i];
        uint32_t a = m->locks[nodes[i]].init_site, b = m->locks[nodes[(i + 1) % n]].init_site;
        /* CPython takes every lock from the same C call sites: its locks
         * (semaphores) are never grouped by place */
        if (v->from_site == MODEL_NONE || v->to_site == MODEL_NONE || a == MODEL_NONE ||
            b == MODEL_NONE || m->locks[nodes[i]].kind == SWT_KIND_SEM ||
            m->locks[nodes[i]].kind == SWT_KIND_SEM_NAMED)
            return NULL;
        uint64_t modes = (v->from_flags & (SWT_ACQ_READ | SWT_ACQ_WRITE)) |
                         (v->to_flags & (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY)) << 4;
        part[2 * i] = (uint64_t)v->from_site << 32 | v->to_site;
        part[2 * i + 1] = (uint64_t)a << 40 | (uint64_t)b << 16 | modes;
    }
    /* sort edges as (site pair, classes) units */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && (part[2 * (j - 1)] > part[2 * j] ||
                                     (part[2 * (j - 1)] == part[2 * j] &&
                                      part[2 * j - 1] > part[2 * j + 1]));
             j--) {
            uint64_t t0 = part[2 * j], t1 = part[2 * j + 1];
            part[2 * j] = part[2 * (j - 1)];
            part[2 * j + 1] = part[2 * j - 1];
            part[2 * (j - 1)] = t0;
            part[2 * j - 1] = t1;
        }
    size_t cap = 32 + n * 40, len = 0;
    char *sig = xmalloc(cap);
    len += (size_t)snprintf(sig, cap, "%c%zu", level, n);
    for (size_t i = 0; i < 2 * n; i++)
        len += (size_t)snprintf(sig + len, cap - len, ":%" PRIx64, part[i]);
    return sig;
}

static const char *lk(const struct model *m, uint32_t lock, char *buf, size_t len)
{
    return model_lock_label(m, lock, buf, len);
}

static const char *th(const struct model *m, uint32_t t, char *buf, size_t len)
{
    return model_thread_label(m, t, buf, len);
}

static char *cycle_text(const struct model *m, const uint32_t *nodes, size_t n)
{
    size_t cap = 64 * (n + 1), len = 0;
    char *s = xmalloc(cap);
    s[0] = 0;
    char b[160];
    for (size_t i = 0; i <= n; i++) {
        const char *l = lk(m, nodes[i % n], b, sizeof b);
        size_t need = strlen(l) + 5;
        if (len + need >= cap) {
            cap = (len + need) * 2;
            s = xrealloc(s, cap);
        }
        len += (size_t)snprintf(s + len, cap - len, "%s%s", i ? " -> " : "", l);
    }
    return s;
}

/* A lock of a cycle seen in one thread that was destroyed after use (a
 * per-use lock: CPython's Condition makes one per wait): another thread
 * running the same path takes its own instance, so the cycle cannot close
 * between them.  MODEL_NONE when there is none. */
static uint32_t per_use_lock(const struct model *m, const struct choose *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (m->locks[c->nodes[i]].destroyed)
            return c->nodes[i];
    return MODEL_NONE;
}

/* Explains why no choice of occurrences can deadlock. */
static void explain_prune(struct cycles_ctx *cx, struct finding *f, struct choose *c,
                          bool per_use)
{
    const struct model *m = cx->m;
    char b1[160], b2[160];
    if (!feasible(c, C_TRY)) {
        for (size_t i = 0; i < c->n; i++) {
            const struct model_edge *e = c->edges[i];
            bool any = false;
            for (uint32_t k = 0; k < e->nvariants; k++)
                any |= try_usable(m, e, &e->variants[k]);
            if (!any) {
                finding_prune(f, "trylock",
                              "%s was only ever acquired with a trylock while %s was held; a "
                              "trylock cannot block, so this order cannot deadlock",
                              lk(m, e->to, b1, sizeof b1), lk(m, e->from, b2, sizeof b2));
                return;
            }
        }
    }
    if (!feasible(c, C_TRY | C_RR)) {
        finding_prune(f, "read-read",
                      "the cycle only closes through read acquisitions of reader-preferring "
                      "rwlocks held for reading by the other side; readers do not block "
                      "readers (lockdep's recursive-read rule)");
        return;
    }
    if (per_use) {
        /* one thread, through a per-use lock (on_cycle) */
        uint32_t own = per_use_lock(m, c);
        finding_prune(f, "single-thread",
                      "every edge of the cycle was taken by %s alone, through %s, which it "
                      "destroyed after use: another thread running the same path would take its "
                      "own instance",
                      th(m, c->pick[0]->thread, b1, sizeof b1), lk(m, own, b2, sizeof b2));
        return;
    }
    /* name a gate of a representative choice */
    feasible(c, C_TRY | C_RR);
    uint32_t gate = MODEL_NONE;
    const struct model_edge_variant *v0 = c->pick[0];
    for (uint32_t g = 0; g < v0->ngates && gate == MODEL_NONE; g++) {
        bool all = true;
        for (size_t i = 1; i < c->n && all; i++) {
            bool has = false;
            for (uint32_t k = 0; k < c->pick[i]->ngates; k++)
                has |= c->pick[i]->gates[k] == v0->gates[g];
            all = has;
        }
        if (all)
            gate = v0->gates[g];
    }
    finding_prune(f, "gate-lock",
                  "every order of the cycle was taken while holding %s, which lets only "
                  "one of them run at a time",
                  lk(m, gate, b1, sizeof b1));
    if (gate != MODEL_NONE)
        finding_lock(f, gate);
}

/* Why an inversion seen in one thread, or in threads that never
 * overlapped, is less certain than one between two running threads. */
static void explain_one_thread(const struct model *m, struct finding *f, const struct choose *c,
                               bool ordered)
{
    char b1[160], b2[160], b3[160];
    const struct model_edge_variant *a = NULL, *bb = NULL;
    for (size_t i = 0; i < c->n && !a; i++)
        for (size_t j = 0; j < c->n && !a; j++)
            if (i != j && c->pick[i]->thread != c->pick[j]->thread &&
                model_hb_before(m, c->pick[i], c->pick[j])) {
                a = c->pick[i];
                bb = c->pick[j];
            }
    if (!ordered) {
        finding_metric_str(f, "seen", "one thread");
        finding_why(f,
                    "Seen in one thread: it deadlocks if these two paths ever run in two "
                    "threads. %s acquires %s while holding %s, and elsewhere takes the locks "
                    "of this cycle in the opposite order. The same code paths usually run in "
                    "other threads too (lockdep, Helgrind and TSan report this order as well); "
                    "then each thread can hold one lock and wait forever for the other.",
                    th(m, c->pick[0]->thread, b1, sizeof b1),
                    lk(m, c->nodes[1 % c->n], b2, sizeof b2), lk(m, c->nodes[0], b3, sizeof b3));
        return;
    }
    finding_metric_str(f, "seen", "ordered threads");
    if (!a) {
        finding_why(f, "Seen in threads that never overlapped (ordered by thread creation, join "
                       "or fork). It deadlocks if these paths ever run at the same time: each "
                       "thread can hold one lock and wait forever for the other.");
        return;
    }
    finding_why(f,
                "Seen in threads that never overlapped: %s's part of the cycle finished before "
                "%s's began (ordered by thread creation, join or fork). It deadlocks if these "
                "paths ever run at the same time: each thread can hold one lock and wait "
                "forever for the other.",
                th(m, a->thread, b1, sizeof b1), th(m, bb->thread, b2, sizeof b2));
}

static bool on_cycle(void *vctx, const uint32_t *nodes, const struct model_edge *const *edges,
                     size_t n)
{
    struct cycles_ctx *cx = vctx;
    const struct model *m = cx->m;
    const struct model_edge_variant *pick[n];
    struct choose c = {.m = m, .nodes = nodes, .edges = edges, .n = n, .pick = pick,
                       .total = &cx->search_steps};
    /* What the edges alone decide comes first, then the choices are
     * enumerated under a budget; a budget that runs out leaves a cycle
     * "unknown" (a warning), never a reported error. */
    bool sure_one = one_thread_only(&c);
    bool sure_pruned = always_gated(&c) || always_read_read(&c);
    enum feas full = F_NO;
    if (!sure_one && !sure_pruned) {
        full = feas(&c, C_ALL | C_DISTINCT);
        if (full != F_YES) /* a relaxation: it decides */
            full = feas(&c, C_ALL);
    }
    enum feas single = F_NO;
    if (full != F_YES && !sure_pruned)
        single = feas(&c, C_TRY | C_RR | C_GATE);
    bool ok = full == F_YES;
    /* seen in threads ordered by create/join/fork, or in one thread */
    bool ordered = false, one = false, unknown = false, per_use = false;
    if (full == F_NO && single != F_NO) {
        ordered = !sure_one && single == F_YES && feas(&c, C_TRY | C_RR | C_GATE | C_MULTI) == F_YES;
        if (!ordered && single == F_YES)
            feas(&c, C_TRY | C_RR | C_GATE); /* its choice again */
        one = ordered || per_use_lock(m, &c) == MODEL_NONE;
        per_use = !one;
        if (single == F_UNKNOWN) /* no valid choice: show the first occurrences */
            for (size_t i = 0; i < n; i++)
                pick[i] = &edges[i]->variants[0];
    } else if (full == F_UNKNOWN && single != F_NO) {
        unknown = true;
    }
    bool budget = c.budget_hit || *c.total > TOTAL_SEARCH_BUDGET;
    if (!ok && (!one || single == F_UNKNOWN))
        for (size_t i = 0; i < n; i++)
            pick[i] = &edges[i]->variants[0];
    char *sig = cycle_signature(m, nodes, pick, n, ok ? 'r' : one ? 'o' : unknown ? 'u' : 'p');
    if (sig) {
        struct cycle_group *g;
        HASH_FIND_STR(cx->groups, sig, g);
        if (g) {
            g->f->metrics[g->metric].v.u++;
            free(sig);
            return true;
        }
    }

    bool warn = cx->o->single_thread_cycles == ST_CYCLES_WARN;
    struct finding *f = findings_add(cx->out, FINDING_CYCLE, "lock-order-cycle",
                                     ok                    ? SEV_ERROR
                                     : unknown || (one && warn) ? SEV_WARNING
                                                                : SEV_INFO);
    f->note_only = one && !warn;
    if (sig) {
        struct cycle_group *g = xcalloc(1, sizeof *g);
        g->sig = sig;
        g->f = f;
        g->metric = 1; /* after "length" below */
        HASH_ADD_KEYPTR(hh, cx->groups, g->sig, strlen(g->sig), g);
    }
    f->sort_key = cx->seq++;
    char *text = cycle_text(m, nodes, n);
    finding_title(f, "potential deadlock: lock-order cycle %s%s", text,
                  ordered   ? " (seen in threads that never overlapped)"
                  : one     ? " (seen in one thread)"
                  : unknown ? " (not fully checked)"
                            : "");
    free(text);
    for (size_t i = 0; i < n; i++)
        finding_lock(f, nodes[i]);
    finding_metric_u64(f, "length", n);
    if (sig)
        finding_metric_u64(f, "instances", 1);
    if (!ok && !one && !unknown) {
        explain_prune(cx, f, &c, per_use);
        /* a representative occurrence for each edge */
        for (size_t i = 0; i < n; i++)
            pick[i] = &edges[i]->variants[0];
    }
    char b1[160], b2[160], b3[160];
    bool rw = false;
    for (size_t i = 0; i < n; i++) {
        const struct model_edge_variant *v = pick[i];
        uint32_t to = nodes[(i + 1) % n];
        rw |= m->locks[nodes[i]].kind == SWT_KIND_RWLOCK;
        finding_thread(f, v->thread);
        char hnote[64], anote[64];
        snprintf(hnote, sizeof hnote, "%s", (v->from_flags & SWT_ACQ_READ)    ? "for reading"
                                           : (v->from_flags & SWT_ACQ_WRITE) ? "for writing"
                                                                             : "");
        snprintf(anote, sizeof anote, "%s%s",
                 (v->to_flags & SWT_ACQ_READ)    ? "for reading"
                 : (v->to_flags & SWT_ACQ_WRITE) ? "for writing"
                                                 : "",
                 (v->to_flags & SWT_ACQ_TRY) ? ((v->to_flags & (SWT_ACQ_READ | SWT_ACQ_WRITE))
                                                    ? ", trylock"
                                                    : "trylock")
                                             : "");
        finding_item(f, "holds", v->thread, nodes[i], v->from_site, 0, hnote[0] ? hnote : NULL);
        finding_item(f, "then acquires", v->thread, to, v->to_site, v->first_ns,
                     anote[0] ? anote : NULL);
        finding_scenario(f, v->thread, nodes[i], to);
    }
    if (rw)
        f->code = "lock-order-cycle-rw";
    const struct model_edge_variant *v0 = pick[0], *v1 = pick[1 % n];
    if (one) {
        explain_one_thread(m, f, &c, ordered);
    } else if (unknown) {
        finding_why(f,
                    "The edges of this cycle were seen in too many different ways (threads, "
                    "modes, other locks held) to check every combination within the search "
                    "budget (%u steps per cycle), so whether two of them can run at the same "
                    "time is not known: it is reported, as a warning, rather than dropped. "
                    "%s acquires %s while holding %s, and the locks of this cycle are also "
                    "taken in the opposite order.",
                    SEARCH_BUDGET, th(m, v0->thread, b1, sizeof b1),
                    lk(m, nodes[1 % n], b2, sizeof b2), lk(m, nodes[0], b3, sizeof b3));
    } else if (v1->thread != v0->thread) {
        char who[160];
        th(m, v1->thread, who, sizeof who);
        finding_why(f,
                    "%s acquires %s while holding %s, and %s takes the locks of this cycle in "
                    "the opposite order. If both run at the same time, each can hold its first "
                    "lock and wait forever for the other's: the program hangs.",
                    th(m, v0->thread, b1, sizeof b1), lk(m, nodes[1 % n], b2, sizeof b2),
                    lk(m, nodes[0], b3, sizeof b3), who);
    } else {
        finding_why(f,
                    "%s acquires %s while holding %s, and the locks of this cycle are also "
                    "taken in the opposite order. Two threads running these paths at the same "
                    "time can each hold one lock and wait forever for the other: the program "
                    "hangs.",
                    th(m, v0->thread, b1, sizeof b1), lk(m, nodes[1 % n], b2, sizeof b2),
                    lk(m, nodes[0], b3, sizeof b3));
    }
    finding_fix(f,
                "Pick one global order for these locks and take them in that order on every "
                "path (for example always %s first), or protect them with a single lock, or "
                "take the later lock with a trylock and back off (release everything, retry) "
                "when it is busy.",
                lk(m, nodes[0], b1, sizeof b1));
    if (budget && unknown)
        findings_note(cx->out, "some cycles had too many recorded variants to check every "
                               "combination; they are reported as warnings (not fully checked)");
    for (size_t i = 0; i < n; i++)
        if (edges[i]->variants_overflow) {
            findings_note(cx->out, "some lock-order edges were seen in more than %d "
                                   "different ways; only the first %d are weighed",
                          MODEL_MAX_VARIANTS, MODEL_MAX_VARIANTS);
            break;
        }
    return true;
}

/* A component of the graph whose search its budget cut short: the cycles
 * not listed may hide a deadlock, so it is a finding (a warning that fails
 * --fail-on cycle), unless every edge in it was taken by one thread (then
 * nothing worse than a note can be hidden). */
static void report_cut(const struct model *m, const struct lockgraph_cut *cut,
                       struct findings *out)
{
    bool *in = xcalloc(m->nlocks ? m->nlocks : 1, sizeof *in);
    for (size_t i = 0; i < cut->nnodes; i++)
        in[cut->nodes[i]] = true;
    uint32_t t = MODEL_NONE;
    bool one_thread = true;
    for (size_t i = 0; i < m->nedges && one_thread; i++) {
        const struct model_edge *e = &m->edges[i];
        if (e->from >= m->nlocks || e->to >= m->nlocks || !in[e->from] || !in[e->to] ||
            !lockgraph_edge_can_block(m, e))
            continue;
        for (uint32_t k = 0; k < e->nvariants && one_thread; k++) {
            if (t == MODEL_NONE)
                t = e->variants[k].thread;
            one_thread = e->variants[k].thread == t;
        }
    }
    free(in);
    struct finding *f = findings_add(out, FINDING_CYCLE, "cycle-search-incomplete",
                                     one_thread ? SEV_INFO : SEV_WARNING);
    f->note_only = one_thread;
    f->sort_key = UINT64_MAX; /* after the cycles it listed */
    char b1[160];
    finding_title(f,
                  "lock-order cycle search cut short: %zu locks, %zu lock-order edges in one "
                  "tangle; every cycle of up to %u locks listed, longer ones not",
                  cut->nnodes, cut->nedges, cut->complete_len);
    for (size_t i = 0; i < cut->nnodes; i++)
        finding_lock(f, cut->nodes[i]);
    if (t != MODEL_NONE && one_thread)
        finding_thread(f, t);
    finding_metric_u64(f, "locks", cut->nnodes);
    finding_metric_u64(f, "edges", cut->nedges);
    finding_metric_u64(f, "cycles_listed", cut->cycles);
    finding_metric_u64(f, "complete_up_to_length", cut->complete_len);
    finding_metric_str(f, "budget", cut->by_steps ? "search steps" : "cycles");
    if (one_thread)
        finding_why(f,
                    "These locks are taken in so many orders that the search for lock-order "
                    "cycles among them stopped at its budget (%u cycles or %llu steps per group "
                    "of locks) after listing %zu. Every edge among them was taken by %s alone, "
                    "so the cycles not listed are, like those listed, seen in one thread.",
                    LOCKGRAPH_CYCLE_BUDGET, (unsigned long long)LOCKGRAPH_STEP_BUDGET,
                    cut->cycles, model_thread_label(m, t, b1, sizeof b1));
    else
        finding_why(f,
                    "These locks are taken in so many orders that the search for lock-order "
                    "cycles among them stopped at its budget (%u cycles or %llu steps per group "
                    "of locks) after listing %zu: a cycle of more than %u locks among them that "
                    "can deadlock may not be shown.",
                    LOCKGRAPH_CYCLE_BUDGET, (unsigned long long)LOCKGRAPH_STEP_BUDGET,
                    cut->cycles, cut->complete_len);
    finding_fix(f, "Take these locks in one global order (by rank or address), or fewer of them "
                   "at a time, so that the graph has few cycles and each one is checked; or take "
                   "them with trylock back-off (std::lock, std::scoped_lock), which cannot "
                   "deadlock and is left out of the search.");
}

void detect_cycles(const struct model *m, const struct report_opts *o, struct findings *out)
{
    struct cycles_ctx cx = {.m = m, .o = o, .out = out};
    struct lockgraph_result res;
    lockgraph_cycles(m, o->max_cycle_len, on_cycle, &cx, &res);
    struct cycle_group *g, *tmp;
    HASH_ITER(hh, cx.groups, g, tmp)
    {
        if (g->f->metrics[g->metric].v.u > 1 && !g->f->pruned)
            findings_note(out, "cycles through other locks created and taken at the same places "
                               "are counted in one finding (its \"instances\")");
        HASH_DEL(cx.groups, g);
        free(g->sig);
        free(g);
    }
    if (res.cut_by_length)
        findings_note(out,
                      "the cycle search stopped at %u locks per cycle (--max-cycle-len); "
                      "longer cycles may exist",
                      o->max_cycle_len);
    for (size_t i = 0; i < res.ncuts; i++)
        report_cut(m, &res.cuts[i], out);
    lockgraph_result_free(&res);
    if (m->hb_disabled)
        findings_note(out, "too many threads for happens-before ordering; cycles between "
                           "threads ordered by create/join are reported as if they overlapped");
}
