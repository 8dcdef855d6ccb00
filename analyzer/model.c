/* Building the model: one time-ordered pass over the records of every trace
 * of a run.  Per event the work is a few array lookups (per-process maps
 * from trace ids to model indices) and, for nested acquisitions, one hash
 * lookup per held lock to note the lock-order edge; nothing is kept per
 * event, so memory follows locks, threads, stacks and edges only. */
#include "analyzer/model.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uthash.h>

#include "analyzer/hbclock.h"
#include "analyzer/run_merge.h"
#include "analyzer/xalloc.h"
#include "common/trace_encode.h"

/* Ids in a trace are dense counters; anything beyond this is corruption
 * that must not make us allocate gigabytes. */
#define MAX_ID (1u << 24)
/* Happens-before clocks cost threads^2 in the worst case. */
#define HB_MAX_THREADS 4096

#define TRAIL_MAX 16
#define LATE_MAX 8
#define EDGE_MEMO_SIZE 256 /* per thread, power of two */

struct edge_memo {
    uint64_t key;
    uint32_t modes, gate, epoch;
    bool valid;
};

struct tstate {
    struct model_held *held;
    size_t nheld, cap;
    uint32_t waiting_lock, waiting_flags, waiting_site;
    uint64_t waiting_since;
    bool ended;
    bool exit_seen;
    struct hb_clock hb;
    /* Releases since this thread's last acquisition: pthread_atfork parent
     * handlers unlock here between the fork and its FORK record. */
    uint32_t trail_lock[TRAIL_MAX];
    uint64_t trail_ns[TRAIL_MAX];
    uint32_t ntrail;
    /* A condvar wait's synthetic release found the mutex not held. */
    uint32_t cond_unheld_mutex;
    uint32_t cond_unheld_site;
    uint32_t create_epoch; /* the creator's epoch at THREAD_CREATE, 0 = not seen yet */
    struct hb_vc create_vc; /* the creator's clock then, until THREAD_START takes it */
    bool has_create_vc;
    bool started;          /* THREAD_START seen */
    uint64_t last_ns;      /* time of this thread's previous record */
    struct edge_memo *memo; /* note_edge's shortcut, allocated on first use */
    bool dropped;           /* the recorder lost events of this thread */
    /* HELD_AT_PROC_END facts of this thread: exit() runs on while other
     * threads finish, and a release or thread exit recorded after it
     * withdraws them (a race at exit, not an abandoned lock). */
    size_t *exit_facts;
    size_t nexit_facts;
    /* Holds that another thread's acquisition ended before this thread's
     * release record came (a release stamped late): that release is no
     * misuse when it comes. */
    uint32_t late_release[LATE_MAX];
    uint32_t nlate;
};

struct lstate {
    uint32_t owner;       /* model thread holding it exclusively (or last reader) */
    uint32_t owner_site;
    uint32_t readers;     /* read holds outstanding */
    uint32_t released_by; /* thread whose release left it free, MODEL_NONE once retaken */
    bool uad_reported;
    bool defined;         /* LOCK_NEW seen */
    bool reuse_after_destroy; /* registered without init where a destroyed lock was */
    /* condvars */
    uint64_t cond_mutex_addr;
    uint32_t cond_mutex;
    bool cond_two_reported;
    uint32_t cond_first_waiter;
    bool cond_many_waiters;
    uint64_t cond_waits, cond_timeouts;
    /* Condvars and counting semaphores: locks held by threads while they
     * waited on it, and by threads while they signalled / posted it. */
    struct monitor_note *waits, *signals;
    uint8_t nwaits, nsignals;
};

/* What a fork child's first use of a lock at this address showed. */
enum child_use { CHILD_UNUSED = 0, CHILD_TOOK_IT, CHILD_FOUND_IT_HELD };

#define MONITOR_NOTES 8

struct monitor_note {
    uint32_t lock;   /* model lock held (its node decides) */
    uint32_t thread;
    uint32_t site;   /* the wait / signal */
    uint32_t hold_site;
};

struct addr_entry {
    uint64_t addr;
    uint32_t lock;
    uint8_t child_use; /* enum child_use, in fork children */
    UT_hash_handle hh;
};

/* A HELD_AT_FORK fact waiting for the child's evidence. */
struct fork_check {
    size_t fact;
    uint32_t child;   /* model process, or MODEL_NONE */
    uint64_t addr;
    bool ambiguous;   /* the hold may have begun during fork() */
};

struct shared_key {
    uint64_t dev, ino, offset;
};
struct shared_entry {
    struct shared_key key;
    uint32_t lock;
    UT_hash_handle hh;
};

struct fact_key {
    uint32_t kind, thread, lock, site;
};
struct fact_entry {
    struct fact_key key;
    size_t index;
    UT_hash_handle hh;
};

struct pstate {
    struct swt_trace *trace;
    uint64_t base_ns;     /* absolute ns of the header's start_ticks */
    uint32_t *lock_map;
    size_t lock_cap;
    uint32_t *thread_map;
    size_t thread_cap;
    uint32_t *stack_map;
    size_t stack_cap;
    struct addr_entry *addrs;
    bool saw_proc_exit;
    bool fork_epoch_set;  /* the parent's FORK record of this process was seen */
    uint32_t fork_epoch;  /* the forking thread's epoch then */
    bool final_holds_due; /* profile mode: exit holds come from the blocks at the end */
    struct hb_vc fork_vc; /* and its clock, until the child's first thread takes it */
    bool has_fork_vc;
};

struct model_priv {
    struct pstate *ps;
    struct tstate *ts;
    size_t ts_cap;
    struct lstate *ls;
    size_t ls_cap;
    size_t threads_cap, locks_cap, stacks_cap, edges_cap, facts_cap;
    /* edges by (from, to): open addressing, value = index + 1 (0 = empty) */
    uint64_t *edge_keys;
    uint32_t *edge_vals;
    size_t edge_slots;
    struct fact_entry *fact_hash;
    struct shared_entry *shared;
    struct fork_check *fork_checks;
    size_t nfork_checks;
    uint32_t next_thread_display, next_lock_display;
    uint64_t run_base_ns;
    const struct model_observer *obs;
    size_t nobs;
    const struct model_opts *opts;
};

/* ---- growing arrays and id maps ---- */

static void grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    *arr = xrealloc(*arr, n * elem);
    memset((char *)*arr + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
}

static uint32_t *map_slot(uint32_t **map, size_t *cap, uint64_t id)
{
    if (id == 0 || id >= MAX_ID)
        return NULL;
    if (id >= *cap) {
        size_t old = *cap;
        size_t n = old ? old : 64;
        while (n <= id)
            n *= 2;
        *map = xrealloc(*map, n * sizeof **map);
        for (size_t i = old; i < n; i++)
            (*map)[i] = MODEL_NONE;
        *cap = n;
    }
    return &(*map)[id];
}

/* ---- threads ---- */

static uint32_t new_thread(struct model *m, uint32_t proc, uint32_t tindex)
{
    struct model_priv *p = m->priv;
    grow((void **)&m->threads, &p->threads_cap, m->nthreads + 1, sizeof *m->threads);
    grow((void **)&p->ts, &p->ts_cap, m->nthreads + 1, sizeof *p->ts);
    uint32_t idx = (uint32_t)m->nthreads++;
    struct model_thread *t = &m->threads[idx];
    memset(t, 0, sizeof *t);
    t->index = idx;
    t->display = ++p->next_thread_display;
    t->proc = proc;
    t->tindex = tindex;
    t->tid = swt_thread_tid(p->ps[proc].trace, tindex);
    t->parent = MODEL_NONE;
    t->create_site = MODEL_NONE;
    t->joined_by = MODEL_NONE;
    t->waiting_lock = MODEL_NONE;
    t->waiting_site = MODEL_NONE;
    struct tstate *ts = &p->ts[idx];
    memset(ts, 0, sizeof *ts);
    ts->waiting_lock = MODEL_NONE;
    ts->cond_unheld_mutex = MODEL_NONE;
    hb_init(&ts->hb);
    if (m->nthreads > HB_MAX_THREADS)
        m->hb_disabled = true;
    return idx;
}

/* Clocks are dropped above HB_MAX_THREADS threads (model.hb_disabled). */
static void vc_snapshot(struct model *m, uint32_t thread)
{
    if (!m->hb_disabled)
        hb_snapshot(&m->priv->ts[thread].hb);
}

/* The parent's epoch moves on at its THREAD_CREATE / FORK record, which may
 * come before or after the child's first record: the caller passes the
 * parent's epoch (and clock, if taken) as of that record. */
static void vc_inherit(struct model *m, uint32_t child, uint32_t parent, uint32_t parent_epoch,
                       const struct hb_vc *at)
{
    if (m->hb_disabled || parent == MODEL_NONE || parent == child)
        return;
    hb_inherit(&m->priv->ts[child].hb, parent, &m->priv->ts[parent].hb, parent_epoch, at);
}

static void vc_join(struct model *m, uint32_t joiner, uint32_t joined)
{
    if (m->hb_disabled || joined == MODEL_NONE || joined == joiner)
        return;
    hb_join(&m->priv->ts[joiner].hb, &m->priv->ts[joined].hb, joined);
}

bool model_hb_before(const struct model *m, const struct model_edge_variant *a,
                     const struct model_edge_variant *b)
{
    if (m->hb_disabled || !m->priv || a->thread == b->thread || b->thread >= m->nthreads)
        return false;
    return hb_before(&m->priv->ts[b->thread].hb, b->epoch_first, a->thread, a->epoch_last);
}

static uint32_t thread_of_slow(struct model *m, uint32_t proc, uint64_t tindex);

static inline uint32_t thread_of(struct model *m, uint32_t proc, uint64_t tindex)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (tindex < ps->thread_cap && ps->thread_map[tindex] != MODEL_NONE)
        return ps->thread_map[tindex]; /* the per-event path */
    return thread_of_slow(m, proc, tindex);
}

static __attribute__((noinline)) uint32_t thread_of_slow(struct model *m, uint32_t proc,
                                                         uint64_t tindex)
{
    struct pstate *ps = &m->priv->ps[proc];
    uint32_t *slot = map_slot(&ps->thread_map, &ps->thread_cap, tindex);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE) {
        *slot = new_thread(m, proc, (uint32_t)tindex);
        /* A forked child's first thread continues the forking thread. */
        uint32_t idx = *slot;
        struct model_process *pr = &m->procs[proc];
        if (pr->parent_proc != MODEL_NONE && pr->fork_thread == MODEL_NONE && tindex == 1 &&
            pr->hdr.fork_parent_thread) {
            /* thread_of may grow m->procs' threads: keep no pointers across */
            uint32_t ft = thread_of(m, pr->parent_proc, pr->hdr.fork_parent_thread);
            m->procs[proc].fork_thread = ft;
            struct pstate *cps = &m->priv->ps[proc];
            vc_inherit(m, idx, ft,
                       cps->fork_epoch_set ? cps->fork_epoch : m->priv->ts[ft].hb.epoch,
                       cps->has_fork_vc ? &cps->fork_vc : NULL);
            hb_vc_free(&cps->fork_vc);
            cps->has_fork_vc = false;
        } else {
            vc_snapshot(m, idx);
        }
        return idx;
    }
    return *slot;
}

/* ---- stacks ---- */

static uint32_t stack_of_slow(struct model *m, uint32_t proc, uint64_t id);

static inline uint32_t stack_of(struct model *m, uint32_t proc, uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (id < ps->stack_cap && ps->stack_map[id] != MODEL_NONE)
        return ps->stack_map[id]; /* the per-event path */
    return stack_of_slow(m, proc, id);
}

static __attribute__((noinline)) uint32_t stack_of_slow(struct model *m, uint32_t proc,
                                                        uint64_t id)
{
    struct model_priv *p = m->priv;
    struct pstate *ps = &p->ps[proc];
    uint32_t *slot = map_slot(&ps->stack_map, &ps->stack_cap, id);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE) {
        grow((void **)&m->stacks, &p->stacks_cap, m->nstacks + 1, sizeof *m->stacks);
        struct model_stack *s = &m->stacks[m->nstacks];
        memset(s, 0, sizeof *s);
        s->proc = proc;
        s->id = (uint32_t)id;
        *slot = (uint32_t)m->nstacks++;
    }
    return *slot;
}

/* ---- locks ---- */

static void lock_setup(struct model *m, uint32_t idx, uint32_t proc, uint32_t id)
{
    struct model_priv *p = m->priv;
    struct model_lock *l = &m->locks[idx];
    memset(l, 0, sizeof *l);
    l->index = idx;
    l->display = ++p->next_lock_display;
    l->proc = proc;
    l->id = id;
    l->node = idx;
    l->kind = SWT_KIND_MUTEX;
    l->is_lock = true;
    l->init_site = MODEL_NONE;
    l->first_thread = MODEL_NONE;
    struct lstate *s = &p->ls[idx];
    memset(s, 0, sizeof *s);
    s->owner = s->owner_site = s->released_by = MODEL_NONE;
    s->cond_mutex = s->cond_first_waiter = MODEL_NONE;
}

static uint32_t new_lock(struct model *m, uint32_t proc, uint32_t id)
{
    struct model_priv *p = m->priv;
    grow((void **)&m->locks, &p->locks_cap, m->nlocks + 1, sizeof *m->locks);
    grow((void **)&p->ls, &p->ls_cap, m->nlocks + 1, sizeof *p->ls);
    uint32_t idx = (uint32_t)m->nlocks++;
    lock_setup(m, idx, proc, id);
    return idx;
}

/* The model lock of a trace lock id; a use before its LOCK_NEW (another
 * thread's registration raced ahead in time) gets a placeholder that the
 * LOCK_NEW fills in. */
static uint32_t lock_of_slow(struct model *m, uint32_t proc, uint64_t id);

static inline uint32_t lock_of(struct model *m, uint32_t proc, uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (id < ps->lock_cap && ps->lock_map[id] != MODEL_NONE)
        return ps->lock_map[id]; /* the per-event path */
    return lock_of_slow(m, proc, id);
}

static __attribute__((noinline)) uint32_t lock_of_slow(struct model *m, uint32_t proc,
                                                       uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    uint32_t *slot = map_slot(&ps->lock_map, &ps->lock_cap, id);
    if (!slot)
        return MODEL_NONE;
    if (*slot == MODEL_NONE)
        *slot = new_lock(m, proc, (uint32_t)id);
    return *slot;
}

static struct lstate *lst(struct model *m, uint32_t lock)
{
    return &m->priv->ls[m->locks[lock].node];
}

static bool is_sem(const struct model_lock *l)
{
    return l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED;
}

static bool is_recursive(const struct model_lock *l)
{
    return (l->kind == SWT_KIND_MUTEX || l->kind == SWT_KIND_C11_MTX) &&
           l->type == SWT_TYPE_RECURSIVE;
}

/* Objects that a thread holds: locks and binary semaphores. */
static bool holdable(const struct model_lock *l) { return l->is_lock; }

/* ---- nested monitors ---- */

/* Notes the locks thread holds (except `except`) while it waits on or
 * signals the condvar / counting semaphore obj. */
static void note_monitor(struct model *m, uint32_t obj, uint32_t thread, uint32_t site,
                         uint32_t except, bool waiting)
{
    struct lstate *s = &m->priv->ls[obj];
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        if (h->lock == except || !m->locks[h->lock].is_lock ||
            (except != MODEL_NONE && m->locks[h->lock].node == m->locks[except].node))
            continue;
        struct monitor_note **arr = waiting ? &s->waits : &s->signals;
        uint8_t *n = waiting ? &s->nwaits : &s->nsignals;
        bool dup = false;
        for (uint8_t k = 0; k < *n && !dup; k++)
            dup = m->locks[(*arr)[k].lock].node == m->locks[h->lock].node &&
                  (*arr)[k].thread == thread;
        if (dup || *n >= MONITOR_NOTES)
            continue;
        if (!*arr)
            *arr = xcalloc(MONITOR_NOTES, sizeof **arr);
        (*arr)[(*n)++] = (struct monitor_note){h->lock, thread, site, h->site};
    }
}

/* ---- facts ---- */

static struct model_fact *add_fact(struct model *m, enum model_fact_kind kind, uint32_t thread,
                                   uint32_t lock, uint32_t site, uint64_t ns)
{
    struct model_priv *p = m->priv;
    /* With events of this thread lost, an unlock without a hold may just
     * have lost its lock record: no accusation then. */
    if (thread != MODEL_NONE && p->ts[thread].dropped &&
        (kind == MODEL_FACT_UNLOCK_UNHELD || kind == MODEL_FACT_DOUBLE_UNLOCK ||
         kind == MODEL_FACT_UNLOCK_NOT_OWNER || kind == MODEL_FACT_COND_NO_MUTEX))
        return NULL;
    struct fact_key key = {kind, thread, lock, site};
    struct fact_entry *e;
    HASH_FIND(hh, p->fact_hash, &key, sizeof key, e);
    if (e) {
        m->facts[e->index].count++;
        return NULL;
    }
    grow((void **)&m->facts, &p->facts_cap, m->nfacts + 1, sizeof *m->facts);
    struct model_fact *f = &m->facts[m->nfacts];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->thread = thread;
    f->lock = lock;
    f->lock2 = f->lock3 = f->other = f->other_site = f->proc2 = MODEL_NONE;
    f->site = site;
    f->ns = ns;
    f->count = 1;
    e = xcalloc(1, sizeof *e);
    e->key = key;
    e->index = m->nfacts++;
    HASH_ADD(hh, p->fact_hash, key, sizeof e->key, e);
    return f;
}

/* lock MODEL_NONE: all of the thread's */
static void withdraw_exit_facts(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nexit_facts; i++) {
        struct model_fact *f = &m->facts[ts->exit_facts[i]];
        if (f->kind == MODEL_FACT_HELD_AT_PROC_END &&
            (lock == MODEL_NONE || m->locks[f->lock].node == m->locks[lock].node))
            f->kind = MODEL_FACT_NONE;
    }
}

/* ---- edges ---- */

static inline size_t edge_slot(uint64_t key, size_t mask)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    return (size_t)key & mask;
}

/* The hot path of nested acquisitions: a plain open-addressing table keyed
 * by (from, to) is several times cheaper than a general hash here. */
static size_t edge_index(struct model *m, uint32_t from, uint32_t to)
{
    struct model_priv *p = m->priv;
    uint64_t key = (uint64_t)from << 32 | to;
    if (p->edge_slots) {
        size_t mask = p->edge_slots - 1;
        for (size_t i = edge_slot(key, mask);; i = (i + 1) & mask) {
            if (!p->edge_vals[i])
                break;
            if (p->edge_keys[i] == key)
                return p->edge_vals[i] - 1;
        }
    }
    if ((m->nedges + 1) * 2 > p->edge_slots) {
        size_t n = p->edge_slots ? p->edge_slots * 2 : 1024;
        uint64_t *keys = xcalloc(n, sizeof *keys);
        uint32_t *vals = xcalloc(n, sizeof *vals);
        for (size_t i = 0; i < p->edge_slots; i++)
            if (p->edge_vals[i]) {
                size_t j = edge_slot(p->edge_keys[i], n - 1);
                while (vals[j])
                    j = (j + 1) & (n - 1);
                keys[j] = p->edge_keys[i];
                vals[j] = p->edge_vals[i];
            }
        free(p->edge_keys);
        free(p->edge_vals);
        p->edge_keys = keys;
        p->edge_vals = vals;
        p->edge_slots = n;
    }
    grow((void **)&m->edges, &p->edges_cap, m->nedges + 1, sizeof *m->edges);
    struct model_edge *ed = &m->edges[m->nedges];
    memset(ed, 0, sizeof *ed);
    ed->from = from;
    ed->to = to;
    size_t mask = p->edge_slots - 1, i = edge_slot(key, mask);
    while (p->edge_vals[i])
        i = (i + 1) & mask;
    p->edge_keys[i] = key;
    p->edge_vals[i] = (uint32_t)(m->nedges + 1);
    return m->nedges++;
}

#define VARIANT_FROM_MASK (SWT_ACQ_READ | SWT_ACQ_WRITE)
#define VARIANT_TO_MASK (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY)

/* Notes one occurrence of from -> to.  gates are the other graph nodes
 * held exclusively at the time (unsorted; may be modified). */
static void note_edge(struct model *m, uint32_t thread, uint32_t from_lock, uint32_t to_lock,
                      uint32_t from_flags, uint32_t to_flags, uint32_t from_site,
                      uint32_t to_site, uint32_t *gates, uint32_t ngates, bool gates_overflow,
                      uint64_t ns, bool count)
{
    uint32_t from = m->locks[from_lock].node, to = m->locks[to_lock].node;
    if (from == to)
        return;
    if (ngates > MODEL_MAX_GATES) {
        ngates = MODEL_MAX_GATES;
        gates_overflow = true;
    }
    for (uint32_t i = 1; i < ngates; i++) /* a handful: insertion sort */
        for (uint32_t j = i; j > 0 && gates[j - 1] > gates[j]; j--) {
            uint32_t tmp = gates[j];
            gates[j] = gates[j - 1];
            gates[j - 1] = tmp;
        }
    /* A thread repeats the same nested acquisitions: when this exact
     * occurrence (edge, modes, at most one gate) was noted in the same
     * happens-before epoch, nothing would change but counters. */
    struct tstate *ts = &m->priv->ts[thread];
    struct edge_memo *memo = NULL;
    uint64_t key = (uint64_t)from << 32 | to;
    uint32_t modes = (from_flags & VARIANT_FROM_MASK) | (to_flags & VARIANT_TO_MASK) << 16;
    uint32_t gate = ngates ? gates[0] : MODEL_NONE;
    if (ngates <= 1 && !gates_overflow) {
        if (!ts->memo)
            ts->memo = xcalloc(EDGE_MEMO_SIZE, sizeof *ts->memo);
        memo = &ts->memo[edge_slot(key ^ modes ^ (uint64_t)gate << 20, EDGE_MEMO_SIZE - 1)];
        if (memo->key == key && memo->modes == modes && memo->gate == gate &&
            memo->epoch == ts->hb.epoch && memo->valid)
            return;
    }
    size_t ei = edge_index(m, from, to); /* may move m->edges */
    struct model_edge *e = &m->edges[ei];
    if (count)
        e->count++;
    uint32_t epoch = ts->hb.epoch;
    if (memo) {
        memo->key = key;
        memo->modes = modes;
        memo->gate = gate;
        memo->epoch = epoch;
        memo->valid = true;
    }
    /* Most occurrences repeat the previous one: try it first. */
    for (uint32_t k = 0; k <= e->nvariants; k++) {
        uint32_t i = k == 0 ? e->last_variant : k - 1;
        if (i >= e->nvariants || (k > 0 && i == e->last_variant))
            continue;
        struct model_edge_variant *v = &e->variants[i];
        if (v->thread == thread && ((v->from_flags ^ from_flags) & VARIANT_FROM_MASK) == 0 &&
            ((v->to_flags ^ to_flags) & VARIANT_TO_MASK) == 0 && v->ngates == ngates &&
            v->gates_overflow == gates_overflow &&
            (!ngates || !memcmp(v->gates, gates, ngates * sizeof *gates))) {
            if (count)
                v->count++;
            v->last_ns = ns;
            v->epoch_last = epoch;
            e->last_variant = i;
            return;
        }
    }
    if (e->nvariants >= MODEL_MAX_VARIANTS) {
        e->variants_overflow = true;
        return;
    }
    e->variants = xrealloc(e->variants, (e->nvariants + 1) * sizeof *e->variants);
    e->last_variant = e->nvariants;
    struct model_edge_variant *v = &e->variants[e->nvariants++];
    memset(v, 0, sizeof *v);
    v->thread = thread;
    v->from_flags = from_flags;
    v->to_flags = to_flags;
    v->from_site = from_site;
    v->to_site = to_site;
    v->first_ns = v->last_ns = ns;
    v->epoch_first = v->epoch_last = epoch;
    v->count = count ? 1 : 0;
    v->ngates = ngates;
    memcpy(v->gates, gates, ngates * sizeof *gates);
    v->gates_overflow = gates_overflow;
}

/* A gate must exclude the other thread: a read hold of an rwlock does not. */
static bool gate_exclusive(const struct model_lock *l, uint32_t flags)
{
    return l->is_lock && !(flags & SWT_ACQ_READ);
}

static void derive_edges(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags,
                         uint32_t site, uint64_t ns)
{
    struct tstate *ts = &m->priv->ts[thread];
    if (!ts->nheld || !m->locks[lock].is_lock || !m->priv->opts->derive_edges)
        return;
    uint32_t gates[MODEL_MAX_GATES + 1];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        if (!m->locks[h->lock].is_lock)
            continue;
        uint32_t ng = 0;
        bool over = false;
        for (size_t j = 0; j < ts->nheld; j++) {
            const struct model_held *g = &ts->held[j];
            const struct model_lock *gl = &m->locks[g->lock];
            if (j == i || gl->node == m->locks[h->lock].node || !gate_exclusive(gl, g->flags))
                continue;
            bool dup = false;
            for (uint32_t k = 0; k < ng; k++)
                dup |= gates[k] == gl->node;
            if (dup)
                continue;
            if (ng < MODEL_MAX_GATES)
                gates[ng++] = gl->node;
            else
                over = true;
        }
        note_edge(m, thread, h->lock, lock, h->flags, flags, h->site, site, gates, ng, over, ns,
                  true);
    }
}

/* ---- holds ---- */

static inline void push_held(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags,
                             uint32_t site, uint64_t ns)
{
    struct tstate *ts = &m->priv->ts[thread];
    if (ts->nheld == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 8;
        ts->held = xrealloc(ts->held, ts->cap * sizeof *ts->held);
    }
    struct model_held *h = &ts->held[ts->nheld++];
    h->lock = lock;
    h->flags = flags;
    h->site = site;
    h->depth = 1;
    h->since_ns = ns;
}

/* Index of thread's most recent hold of lock's object, or -1. */
static inline long find_held(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    uint32_t node = m->locks[lock].node;
    for (size_t i = ts->nheld; i-- > 0;)
        if (m->locks[ts->held[i].lock].node == node)
            return (long)i;
    return -1;
}

static inline void drop_held(struct model *m, uint32_t thread, long i)
{
    struct tstate *ts = &m->priv->ts[thread];
    if ((size_t)i + 1 < ts->nheld) /* an outer hold released first: rare */
        memmove(&ts->held[i], &ts->held[i + 1], (ts->nheld - (size_t)i - 1) * sizeof *ts->held);
    ts->nheld--;
}

/* Who else holds the object: the owner, or for read holds the last reader. */
static uint32_t holder_of(struct model *m, uint32_t lock) { return lst(m, lock)->owner; }

/* Removes the hold of lock from whichever thread has it (an unlock by a
 * non-owner of a default mutex, or a semaphore posted by another thread). */
static void drop_any_holder(struct model *m, uint32_t lock)
{
    uint32_t owner = lst(m, lock)->owner;
    if (owner == MODEL_NONE)
        return;
    long i = find_held(m, owner, lock);
    if (i >= 0)
        drop_held(m, owner, i);
}

static void lock_taken(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags,
                       uint32_t site)
{
    struct lstate *s = lst(m, lock);
    if (flags & SWT_ACQ_READ)
        s->readers++;
    s->owner = thread;
    s->owner_site = site;
    s->released_by = MODEL_NONE;
}

static void use_check(struct model *m, uint32_t thread, uint32_t lock, uint32_t site, uint64_t ns)
{
    struct lstate *s = &m->priv->ls[lock];
    struct model_lock *l = &m->locks[lock];
    if ((l->destroyed || s->reuse_after_destroy) && !s->uad_reported) {
        s->uad_reported = true;
        add_fact(m, MODEL_FACT_USE_AFTER_DESTROY, thread, lock, site, ns);
    }
    if (l->first_thread == MODEL_NONE) {
        l->first_thread = thread;
        l->first_ns = ns;
        if (l->init_site == MODEL_NONE)
            l->init_site = site;
    }
}

/* ---- the event handlers ---- */

struct ctx {
    struct model *m;
    uint32_t proc;
    uint32_t thread;
    const struct swt_rec *r;
    uint64_t ns;
    struct model_event ev;
};

static void on_lock_new(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    struct pstate *ps = &m->priv->ps[c->proc];
    uint32_t *slot = map_slot(&ps->lock_map, &ps->lock_cap, r->f[0]);
    if (!slot)
        return;
    uint32_t idx = *slot;
    if (idx == MODEL_NONE || m->priv->ls[idx].defined)
        idx = *slot = new_lock(m, c->proc, (uint32_t)r->f[0]);
    struct model_lock *l = &m->locks[idx];
    struct lstate *s = &m->priv->ls[idx];
    s->defined = true;
    l->kind = (uint32_t)r->f[1];
    l->type = (uint32_t)r->f[2];
    l->flags = (uint32_t)r->f[3];
    l->addr = r->f[4];
    l->generation = r->f[5];
    l->init_site = stack_of(m, c->proc, r->f[6]);
    l->dev = r->f[7];
    l->ino = r->f[8];
    l->offset = r->f[9];
    l->value = r->f[10];
    if (r->blob_len)
        l->sem_name = xstrndup((const char *)r->blob, r->blob_len);
    switch (l->kind) {
    case SWT_KIND_MUTEX:
    case SWT_KIND_RWLOCK:
    case SWT_KIND_SPIN:
    case SWT_KIND_C11_MTX:
        l->is_lock = true;
        break;
    case SWT_KIND_SEM:
    case SWT_KIND_SEM_NAMED:
        /* CPython's threading.Lock and multiprocessing.Lock: value 1. */
        l->is_lock = l->binary_sem = l->value == 1;
        break;
    default:
        l->is_lock = false;
    }
    /* The same object seen by several processes is one graph node. */
    if (((l->flags & SWT_LOCK_PSHARED) || l->kind == SWT_KIND_SEM_NAMED) && l->ino) {
        struct shared_key key = {l->dev, l->ino, l->offset};
        struct shared_entry *e;
        HASH_FIND(hh, m->priv->shared, &key, sizeof key, e);
        if (e) {
            l->node = e->lock;
        } else {
            e = xcalloc(1, sizeof *e);
            e->key = key;
            e->lock = idx;
            HASH_ADD(hh, m->priv->shared, key, sizeof e->key, e);
        }
    }
    /* Registered without init where a destroyed lock lived: the program
     * uses it after destroy (or reused the memory with a static
     * initialiser, which the trace cannot tell apart). */
    struct addr_entry *a;
    HASH_FIND(hh, ps->addrs, &l->addr, sizeof l->addr, a);
    if (a) {
        if ((l->flags & SWT_LOCK_STATIC) && m->locks[a->lock].destroyed &&
            m->locks[a->lock].kind == l->kind)
            s->reuse_after_destroy = true;
        a->lock = idx;
    } else if (l->addr) {
        a = xcalloc(1, sizeof *a);
        a->addr = l->addr;
        a->lock = idx;
        HASH_ADD(hh, ps->addrs, addr, sizeof a->addr, a);
    }
}

static void note_child_use(struct model *m, uint32_t proc, uint32_t lock, enum child_use use)
{
    if (m->procs[proc].parent_proc == MODEL_NONE || !m->locks[lock].addr)
        return;
    struct addr_entry *a;
    HASH_FIND(hh, m->priv->ps[proc].addrs, &m->locks[lock].addr, sizeof(uint64_t), a);
    if (a && a->child_use == CHILD_UNUSED)
        a->child_use = (uint8_t)use;
}

static void end_wait(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    if (ts->waiting_lock == lock)
        ts->waiting_lock = MODEL_NONE;
}

/* A wait or acquisition by the holder itself. */
static bool self_deadlock(const struct model_lock *l, uint32_t held_flags, uint32_t flags)
{
    if (is_sem(l) || is_recursive(l))
        return false;
    if (l->kind == SWT_KIND_RWLOCK) {
        if ((held_flags & SWT_ACQ_READ) && (flags & SWT_ACQ_READ))
            return l->type == SWT_TYPE_RW_PREFER_WRITER_NONREC;
        return true;
    }
    return true;
}

static void on_wait(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct tstate *ts = &m->priv->ts[c->thread];
    ts->ntrail = 0;
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    if (is_sem(&m->locks[lock]) && !m->locks[lock].binary_sem)
        note_monitor(m, lock, c->thread, c->ev.site, MODEL_NONE, true);
    /* The order exists from the attempt on: a thread that hangs here never
     * gets to the ACQUIRE. */
    if (find_held(m, c->thread, lock) < 0)
        derive_edges(m, c->thread, lock, (uint32_t)r->f[1], c->ev.site, c->ns);
    ts->waiting_lock = lock;
    ts->waiting_flags = (uint32_t)r->f[1];
    ts->waiting_site = c->ev.site;
    ts->waiting_since = c->ns;
    long h = find_held(m, c->thread, lock);
    if (h >= 0 && self_deadlock(&m->locks[lock], ts->held[h].flags, (uint32_t)r->f[1])) {
        struct model_fact *f = add_fact(m, MODEL_FACT_RELOCK, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = c->thread;
            f->other_site = ts->held[h].site;
        }
    }
}

static void on_acquire(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    uint32_t flags = (uint32_t)r->f[1];
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = lst(m, lock);
    /* Profile mode writes an ACQUIRE only for EOWNERDEAD, with no RELEASE
     * after it: it is the owner-dead fact and nothing else.  Holds there
     * come from the thread blocks (a hold pushed here would be reported
     * held at exit, or its unlock as unheld). */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
        if (flags & SWT_ACQ_OWNER_DEAD) {
            struct model_fact *f =
                add_fact(m, MODEL_FACT_OWNER_DEAD, c->thread, lock, c->ev.site, c->ns);
            if (f && s->owner != c->thread) {
                f->other = s->owner;
                f->other_site = s->owner_site;
            }
            drop_any_holder(m, lock);
        }
        return;
    }
    m->priv->ts[c->thread].ntrail = 0;
    note_child_use(m, c->proc, lock, CHILD_TOOK_IT);
    end_wait(m, c->thread, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    l->acquisitions++;
    if (flags & SWT_ACQ_CONTENDED)
        l->contentions++;
    if (flags & SWT_ACQ_OWNER_DEAD) {
        struct model_fact *f =
            add_fact(m, MODEL_FACT_OWNER_DEAD, c->thread, lock, c->ev.site, c->ns);
        if (f && s->owner != c->thread) {
            f->other = s->owner;
            f->other_site = s->owner_site;
        }
        drop_any_holder(m, lock);
    }
    if (!holdable(l))
        return;
    if (flags & SWT_ACQ_RECURSIVE) {
        long h = find_held(m, c->thread, lock);
        if (h >= 0) {
            m->priv->ts[c->thread].held[h].depth++;
            return;
        }
    }
    /* An exclusive lock has one holder: if another thread takes it, the
     * previous holder's release (or post) was not recorded (a shim that
     * stopped recording a dying thread); its hold is over. */
    if (s->owner != MODEL_NONE && s->owner != c->thread && !(flags & SWT_ACQ_OWNER_DEAD) &&
        (l->binary_sem ||
         (!(flags & SWT_ACQ_READ) && !s->readers && !m->priv->ts[s->owner].ended &&
          l->kind != SWT_KIND_RWLOCK))) {
        struct tstate *old = &m->priv->ts[s->owner];
        if (!l->binary_sem && old->nlate < LATE_MAX)
            old->late_release[old->nlate++] = l->node;
        drop_any_holder(m, lock);
    }
    derive_edges(m, c->thread, lock, flags, c->ev.site, c->ns);
    push_held(m, c->thread, lock, flags, c->ev.site, c->ns);
    lock_taken(m, c->thread, lock, flags, c->ev.site);
}

static void on_fail(struct ctx *c)
{
    struct model *m = c->m;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct tstate *ts = &m->priv->ts[c->thread];
    bool waited = ts->waiting_lock == lock;
    if (c->r->f[3] == EBUSY || c->r->f[3] == ETIMEDOUT || c->r->f[3] == EDEADLK)
        note_child_use(m, c->proc, lock, CHILD_FOUND_IT_HELD);
    end_wait(m, c->thread, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    uint32_t owner = holder_of(m, lock);
    if (owner != MODEL_NONE && owner != c->thread && m->priv->ts[owner].ended &&
        (waited || (c->r->f[1] & SWT_ACQ_TIMED))) {
        struct model_fact *f =
            add_fact(m, MODEL_FACT_WAIT_ON_ABANDONED, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = owner;
            f->other_site = lst(m, lock)->owner_site;
        }
    }
    /* errorcheck mutexes answer a relock with EDEADLK (once, if the WAIT
     * before it did not already say so). */
    if (c->r->f[3] == EDEADLK && !waited && find_held(m, c->thread, lock) >= 0)
        add_fact(m, MODEL_FACT_RELOCK, c->thread, lock, c->ev.site, c->ns);
}

static void on_release(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    uint32_t flags = (uint32_t)r->f[1];
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = lst(m, lock);
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    if (!holdable(l))
        return;
    long h = find_held(m, c->thread, lock);
    if (h >= 0) {
        struct model_held *hd = &m->priv->ts[c->thread].held[h];
        if ((flags & SWT_ACQ_RECURSIVE) && hd->depth > 1) {
            hd->depth--;
            return;
        }
        if (hd->flags & SWT_ACQ_READ && s->readers)
            s->readers--;
        drop_held(m, c->thread, h);
        struct tstate *ts = &m->priv->ts[c->thread];
        if (ts->nexit_facts)
            withdraw_exit_facts(m, c->thread, lock);
        if (ts->ntrail < TRAIL_MAX) {
            ts->trail_lock[ts->ntrail] = m->locks[lock].node;
            ts->trail_ns[ts->ntrail++] = c->ns;
        }
        if (!s->readers || s->owner == c->thread) {
            s->owner = MODEL_NONE;
            s->owner_site = MODEL_NONE;
        }
        s->released_by = c->thread;
        return;
    }
    struct tstate *rt = &m->priv->ts[c->thread];
    for (uint32_t k = 0; k < rt->nlate; k++)
        if (rt->late_release[k] == l->node) {
            rt->late_release[k] = rt->late_release[--rt->nlate];
            return; /* the late record of a hold another thread's acquisition ended */
        }
    if (flags & SWT_ACQ_COND) {
        /* reported at the COND_WAIT that follows, which names the condvar */
        m->priv->ts[c->thread].cond_unheld_mutex = lock;
        m->priv->ts[c->thread].cond_unheld_site = c->ev.site;
        return;
    }
    uint32_t owner = s->owner;
    if (owner != MODEL_NONE && owner != c->thread) {
        struct model_fact *f =
            add_fact(m, MODEL_FACT_UNLOCK_NOT_OWNER, c->thread, lock, c->ev.site, c->ns);
        if (f) {
            f->other = owner;
            f->other_site = s->owner_site;
        }
        /* glibc's default mutex really unlocks; errorcheck and recursive
         * ones refuse with EPERM. */
        if (l->type != SWT_TYPE_ERRORCHECK && l->type != SWT_TYPE_RECURSIVE) {
            drop_any_holder(m, lock);
            if (s->readers)
                s->readers--;
            s->owner = MODEL_NONE;
        }
    } else if (s->released_by == c->thread) {
        add_fact(m, MODEL_FACT_DOUBLE_UNLOCK, c->thread, lock, c->ev.site, c->ns);
    } else {
        add_fact(m, MODEL_FACT_UNLOCK_UNHELD, c->thread, lock, c->ev.site, c->ns);
    }
}

static void on_sem_post(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct model_lock *l = &m->locks[lock];
    use_check(m, c->thread, lock, c->ev.site, c->ns);
    /* value is "value after the post + 1"; a binary semaphore never
     * exceeds 1, else it counts something and is no lock. */
    if (l->binary_sem && r->f[2] > 2) {
        /* Taken as a lock before: a second release, not a counter. */
        if (l->acquisitions)
            add_fact(m, MODEL_FACT_SEM_OVERPOST, c->thread, lock, c->ev.site, c->ns);
        l->binary_sem = false;
        l->is_lock = false;
    }
    if (!l->binary_sem) {
        note_monitor(m, lock, c->thread, c->ev.site, MODEL_NONE, false);
        return;
    }
    /* Semaphores have no owner: a post by any thread ends the hold. */
    long h = find_held(m, c->thread, lock);
    if (h >= 0)
        drop_held(m, c->thread, h);
    else
        drop_any_holder(m, lock);
    struct lstate *s = lst(m, lock);
    s->owner = s->owner_site = MODEL_NONE;
    s->released_by = c->thread;
}

static void on_cond_wait(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t cond = c->ev.lock;
    uint32_t mutex = lock_of(m, c->proc, r->f[1]);
    if (cond == MODEL_NONE || mutex == MODEL_NONE)
        return;
    use_check(m, c->thread, cond, c->ev.site, c->ns);
    note_monitor(m, cond, c->thread, c->ev.site, mutex, true);
    struct tstate *ts = &m->priv->ts[c->thread];
    if (ts->cond_unheld_mutex == mutex) {
        struct model_fact *f = add_fact(m, MODEL_FACT_COND_NO_MUTEX, c->thread, mutex,
                                        ts->cond_unheld_site, c->ns);
        if (f)
            f->lock2 = cond;
    }
    ts->cond_unheld_mutex = MODEL_NONE;
    struct lstate *s = &m->priv->ls[cond];
    s->cond_waits++;
    if (s->cond_first_waiter == MODEL_NONE)
        s->cond_first_waiter = c->thread;
    else if (s->cond_first_waiter != c->thread)
        s->cond_many_waiters = true;
    uint64_t addr = m->locks[mutex].addr ? m->locks[mutex].addr : mutex;
    if (s->cond_mutex == MODEL_NONE) {
        s->cond_mutex = mutex;
        s->cond_mutex_addr = addr;
    } else if (s->cond_mutex_addr != addr && !s->cond_two_reported) {
        s->cond_two_reported = true;
        struct model_fact *f =
            add_fact(m, MODEL_FACT_COND_TWO_MUTEXES, c->thread, cond, c->ev.site, c->ns);
        if (f) {
            f->lock2 = s->cond_mutex;
            f->lock3 = mutex;
        }
    }
}

static void on_cond_wake(struct ctx *c)
{
    struct model *m = c->m;
    uint32_t cond = c->ev.lock;
    if (cond != MODEL_NONE && c->r->f[2] == ETIMEDOUT)
        m->priv->ls[cond].cond_timeouts++;
}

static void on_destroy(struct ctx *c)
{
    struct model *m = c->m;
    uint32_t lock = c->ev.lock;
    if (lock == MODEL_NONE)
        return;
    struct model_lock *l = &m->locks[lock];
    struct lstate *s = lst(m, lock);
    if (holdable(l) && (s->owner != MODEL_NONE || s->readers)) {
        /* threading.Condition destroys a per-waiter lock while it is
         * taken: legal for a semaphore, which has no owner.  Without
         * ACQUIRE records (profile mode) the holder is a guess. */
        if (!is_sem(l) && (m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
            struct model_fact *f =
                add_fact(m, MODEL_FACT_DESTROY_HELD, c->thread, lock, c->ev.site, c->ns);
            if (f) {
                f->other = s->owner;
                f->other_site = s->owner_site;
            }
        }
        if (c->r->f[2] == 0) {
            drop_any_holder(m, lock);
            s->owner = MODEL_NONE;
            s->readers = 0;
        }
    }
    if (c->r->f[2] == 0)
        l->destroyed = true;
}

static void held_at_end(struct model *m, enum model_fact_kind kind, uint32_t thread, uint64_t ns,
                        uint32_t proc2, uint32_t other)
{
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        struct model_fact *f = add_fact(m, kind, thread, h->lock, h->site, ns);
        if (f) {
            f->proc2 = proc2;
            f->other = other;
            f->other_site = MODEL_NONE;
            if (kind == MODEL_FACT_HELD_AT_PROC_END) {
                ts->exit_facts =
                    xrealloc(ts->exit_facts, (ts->nexit_facts + 1) * sizeof *ts->exit_facts);
                ts->exit_facts[ts->nexit_facts++] = (size_t)(f - m->facts);
            }
        }
    }
}


static void on_thread_exit(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    struct tstate *ts = &m->priv->ts[c->thread];
    struct model_thread *t = &m->threads[c->thread];
    if (ts->nexit_facts)
        withdraw_exit_facts(m, c->thread, MODEL_NONE);
    t->end = r->f[0] == SWT_THREAD_CANCELED ? MODEL_END_CANCELED : MODEL_END_EXITED;
    t->end_ns = c->ns;
    /* Profile mode has no ACQUIRE records: take the held ids of the record. */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS) && !ts->nheld && r->blob_len) {
        const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
        uint64_t id;
        while (p < end && swt_get_varint(&p, end, &id) == 0) {
            uint32_t lock = lock_of(m, c->proc, id);
            if (lock != MODEL_NONE && holdable(&m->locks[lock])) {
                push_held(m, c->thread, lock, 0, MODEL_NONE, 0);
                lock_taken(m, c->thread, lock, 0, MODEL_NONE);
            }
        }
    }
    held_at_end(m, MODEL_FACT_HELD_AT_THREAD_END, c->thread, c->ns, MODEL_NONE, MODEL_NONE);
    ts->ended = true;
    ts->exit_seen = true;
}

static void on_thread_start(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (r->f[1]) {
        uint32_t parent = thread_of(m, c->proc, r->f[1]); /* may move m->threads */
        m->threads[c->thread].parent = parent;
        if (parent != MODEL_NONE) {
            struct tstate *ct = &m->priv->ts[c->thread];
            vc_inherit(m, c->thread, parent,
                       ct->create_epoch ? ct->create_epoch : m->priv->ts[parent].hb.epoch,
                       ct->has_create_vc ? &ct->create_vc : NULL);
            hb_vc_free(&ct->create_vc);
            ct->has_create_vc = false;
        }
        m->priv->ts[c->thread].started = true;
    }
    struct model_thread *t = &m->threads[c->thread];
    t->create_site = stack_of(m, c->proc, r->f[2]);
    t->start_ns = c->ns;
}

static void on_thread_create(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (!r->f[0] || r->f[2])
        return;
    uint32_t child = thread_of(m, c->proc, r->f[0]);
    if (child == MODEL_NONE || child == c->thread)
        return;
    struct tstate *ts = &m->priv->ts[c->thread], *cs = &m->priv->ts[child];
    if (!cs->create_epoch && !cs->started) {
        /* the creator's clock now, not when the child's first record
         * comes (the creator may join others in between) */
        cs->create_epoch = ts->hb.epoch;
        if (!m->hb_disabled) {
            hb_vc_copy(&cs->create_vc, &ts->hb);
            cs->has_create_vc = true;
        }
    }
    ts->hb.epoch++;
}

static void on_thread_join(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (!r->f[0] || r->f[2])
        return;
    uint32_t joined = thread_of(m, c->proc, r->f[0]);
    if (joined == MODEL_NONE)
        return;
    m->threads[joined].joined_by = c->thread;
    m->threads[joined].join_ns = c->ns;
    vc_join(m, c->thread, joined);
}

static void on_fork(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    if (r->f[0] != 0 || r->f[2] != 0)
        return;
    uint32_t child = MODEL_NONE;
    for (size_t i = 0; i < m->nprocs; i++)
        if (m->procs[i].pid == (int32_t)r->f[1] && m->procs[i].parent_proc == c->proc)
            child = (uint32_t)i;
    if (child != MODEL_NONE) {
        m->procs[child].fork_ns = c->ns;
        struct pstate *cps = &m->priv->ps[child];
        const struct tstate *ft = &m->priv->ts[c->thread];
        if (!cps->fork_epoch_set) {
            cps->fork_epoch_set = true;
            cps->fork_epoch = ft->hb.epoch;
            if (!m->hb_disabled && m->procs[child].fork_thread == MODEL_NONE) {
                hb_vc_copy(&cps->fork_vc, &ft->hb);
                cps->has_fork_vc = true;
            }
        }
    }
    m->priv->ts[c->thread].hb.epoch++;
    /* Profile mode has no ACQUIRE records: a shim that knows the other
     * threads' holds at the fork lists them in the record's blob as varint
     * pairs (holder thread index, lock id). */
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS) && r->blob_len) {
        const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
        uint64_t th, id;
        while (p < end && swt_get_varint(&p, end, &th) == 0 &&
               swt_get_varint(&p, end, &id) == 0) {
            uint32_t holder = thread_of(m, c->proc, th), lock = lock_of(m, c->proc, id);
            if (holder == MODEL_NONE || lock == MODEL_NONE || holder == c->thread ||
                (m->locks[lock].flags & SWT_LOCK_PSHARED))
                continue;
            struct model_fact *f =
                add_fact(m, MODEL_FACT_HELD_AT_FORK, holder, lock, MODEL_NONE, c->ns);
            if (f) {
                f->other = c->thread;
                f->other_site = c->ev.site;
                f->proc2 = child;
            }
        }
        return;
    }
    /* Locks other threads hold stay locked forever in the child, which has
     * only a copy of the forking thread. */
    for (size_t i = 0; i < m->nthreads; i++) {
        if (i == c->thread || m->threads[i].proc != c->proc || m->priv->ts[i].ended)
            continue;
        struct tstate *ts = &m->priv->ts[i];
        for (size_t k = 0; k < ts->nheld; k++) {
            const struct model_held *h = &ts->held[k];
            if (m->locks[h->lock].flags & SWT_LOCK_PSHARED)
                continue;
            /* The forking thread released this lock after its last
             * acquisition and the holder took it since: the forker held it
             * across the fork (pthread_atfork prepare/parent handlers) and
             * this hold began after the fork. */
            const struct tstate *ft = &m->priv->ts[c->thread];
            bool after = false;
            for (uint32_t k2 = 0; k2 < ft->ntrail; k2++)
                if (ft->trail_lock[k2] == m->locks[h->lock].node && h->since_ns >= ft->trail_ns[k2])
                    after = true;
            if (after)
                continue;
            struct model_fact *f =
                add_fact(m, MODEL_FACT_HELD_AT_FORK, (uint32_t)i, h->lock, h->site, c->ns);
            if (f) {
                f->other = c->thread;
                f->other_site = c->ev.site;
                f->proc2 = child;
                /* The FORK record is stamped between the program's atfork
                 * prepare and parent handlers (whose own lock calls are not
                 * recorded), so a hold seen now existed at the fork.  A
                 * child that took the lock at once says otherwise (a trace
                 * of an older shim stamped FORK after the parent handlers). */
                struct model_priv *p = m->priv;
                p->fork_checks = xrealloc(p->fork_checks,
                                          (p->nfork_checks + 1) * sizeof *p->fork_checks);
                struct fork_check *fc = &p->fork_checks[p->nfork_checks++];
                fc->fact = (size_t)(f - m->facts);
                fc->child = child;
                fc->addr = m->locks[h->lock].addr;
                fc->ambiguous = false;
            }
        }
    }
}

static void proc_end_holds(struct model *m, uint32_t proc, uint64_t ns, bool killed)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        if (m->threads[i].proc != proc || m->priv->ts[i].ended)
            continue;
        held_at_end(m, MODEL_FACT_HELD_AT_PROC_END, (uint32_t)i, ns, MODEL_NONE, MODEL_NONE);
        m->threads[i].end = killed ? MODEL_END_KILLED : MODEL_END_PROC_EXIT;
        if (!m->threads[i].end_ns)
            m->threads[i].end_ns = ns;
        m->priv->ts[i].ended = true;
    }
}

/* After a kill, or an exit in profile mode (no ACQUIRE records), the
 * threads' final state (their blocks) says what stayed held. */
static void final_holds(struct model *m, uint32_t proc, uint64_t ns, bool killed)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        struct model_thread *t = &m->threads[i];
        if (t->proc != proc || m->priv->ts[i].ended)
            continue;
        for (size_t k = 0; k < t->nheld; k++) {
            struct model_fact *f = add_fact(m, MODEL_FACT_HELD_AT_PROC_END, (uint32_t)i,
                                            t->held[k].lock, t->held[k].site, ns);
            if (f)
                f->count = 1;
        }
        t->end = killed ? MODEL_END_KILLED : MODEL_END_PROC_EXIT;
        m->priv->ts[i].ended = true;
    }
}

static void on_proc_exit(struct ctx *c)
{
    struct model *m = c->m;
    struct model_process *p = &m->procs[c->proc];
    p->exit_how = (uint32_t)c->r->f[0];
    p->exit_status = (int32_t)c->r->f[1];
    p->ended = true;
    p->end_ns = c->ns;
    m->priv->ps[c->proc].saw_proc_exit = true;
    if (p->exit_how == SWT_EXIT_EXEC)
        return;
    if (!(p->hdr.features & SWT_FEAT_EVENTS)) {
        m->priv->ps[c->proc].final_holds_due = true; /* from the blocks, after the pass */
        return;
    }
    /* The records of other threads of this process that are still to come
     * (same timestamp) are few; the holds as of now are what exit left. */
    proc_end_holds(m, c->proc, c->ns, p->exit_how == SWT_EXIT_SIGNAL);
}

static void on_stack(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t idx = stack_of(m, c->proc, r->f[0]);
    if (idx == MODEL_NONE)
        return;
    struct model_stack *s = &m->stacks[idx];
    if (s->ips)
        return;
    uint64_t n = r->f[1];
    if (n > r->blob_len)
        n = r->blob_len; /* each ip is at least one byte */
    s->ips = xcalloc(n ? n : 1, sizeof *s->ips);
    const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
    uint32_t k = 0;
    while (k < n && swt_get_varint(&p, end, &s->ips[k]) == 0)
        k++;
    s->nframes = k;
}

static void on_module(struct ctx *c)
{
    const struct swt_rec *r = c->r;
    struct model_process *p = &c->m->procs[c->proc];
    uint64_t bl = r->f[3];
    if (bl > r->blob_len)
        return;
    p->modules = xrealloc(p->modules, (p->nmodules + 1) * sizeof *p->modules);
    struct model_module *mod = &p->modules[p->nmodules++];
    mod->start = r->f[0];
    mod->end = r->f[1];
    mod->offset = r->f[2];
    mod->build_id_len = (uint32_t)bl;
    mod->build_id = xmalloc(bl ? bl : 1);
    memcpy(mod->build_id, r->blob, bl);
    mod->path = xstrndup((const char *)r->blob + bl, r->blob_len - bl);
}

static void on_edge(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t from = lock_of(m, c->proc, r->f[0]), to = lock_of(m, c->proc, r->f[1]);
    if (from == MODEL_NONE || to == MODEL_NONE || !m->locks[from].is_lock ||
        !m->locks[to].is_lock)
        return;
    uint32_t gates[MODEL_MAX_GATES];
    uint32_t ng = 0;
    bool over = false;
    const uint8_t *p = r->blob, *end = r->blob + r->blob_len;
    uint64_t id;
    while (p < end && swt_get_varint(&p, end, &id) == 0) {
        uint32_t g = lock_of(m, c->proc, id);
        /* The record does not say how a gate was held: an rwlock may have
         * been read-held, which excludes nobody, so it is no gate. */
        if (g == MODEL_NONE || !m->locks[g].is_lock || m->locks[g].kind == SWT_KIND_RWLOCK)
            continue;
        if (ng < MODEL_MAX_GATES)
            gates[ng++] = m->locks[g].node;
        else
            over = true;
    }
    note_edge(m, c->thread, from, to, SWT_EDGE_FROM(r->f[2]), SWT_EDGE_TO(r->f[2]),
              stack_of(m, c->proc, r->f[3]), stack_of(m, c->proc, r->f[4]), gates, ng, over,
              c->ns, !m->procs[c->proc].hdr.features ||
                         !(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS));
}

static void on_record(struct ctx *c)
{
    struct model *m = c->m;
    const struct swt_rec *r = c->r;
    uint32_t proc = c->proc;
    c->ev.lock = c->ev.lock2 = MODEL_NONE;
    c->ev.site = MODEL_NONE;
    c->ev.holder = c->ev.holder_site = MODEL_NONE;
    switch (r->type) {
    case SWT_REC_ACQUIRE:
    case SWT_REC_WAIT:
    case SWT_REC_FAIL:
    case SWT_REC_RELEASE:
        c->ev.lock = lock_of(m, proc, r->f[0]);
        c->ev.site = stack_of(m, proc, r->f[2]);
        if (c->ev.lock != MODEL_NONE && r->type != SWT_REC_RELEASE) {
            struct lstate *s = lst(m, c->ev.lock);
            c->ev.holder = s->owner;
            c->ev.holder_site = s->owner_site;
        }
        break;
    case SWT_REC_COND_WAIT:
        c->ev.lock2 = lock_of(m, proc, r->f[1]);
        /* fall through */
    case SWT_REC_COND_SIGNAL:
        c->ev.lock = lock_of(m, proc, r->f[0]);
        c->ev.site = stack_of(m, proc, r->f[2]);
        break;
    case SWT_REC_COND_WAKE:
        c->ev.lock2 = lock_of(m, proc, r->f[1]);
        c->ev.lock = lock_of(m, proc, r->f[0]);
        break;
    case SWT_REC_BARRIER_DONE:
        c->ev.lock = lock_of(m, proc, r->f[0]);
        break;
    case SWT_REC_SEM_POST:
    case SWT_REC_BARRIER_WAIT:
    case SWT_REC_DESTROY:
        c->ev.lock = lock_of(m, proc, r->f[0]);
        c->ev.site = stack_of(m, proc, r->f[1]);
        break;
    default:
        break;
    }
    switch (r->type) {
    case SWT_REC_ACQUIRE:
        on_acquire(c);
        break;
    case SWT_REC_WAIT:
        on_wait(c);
        break;
    case SWT_REC_FAIL:
        on_fail(c);
        break;
    case SWT_REC_RELEASE:
        on_release(c);
        break;
    case SWT_REC_COND_WAIT:
        on_cond_wait(c);
        break;
    case SWT_REC_COND_WAKE:
        on_cond_wake(c);
        break;
    case SWT_REC_COND_SIGNAL:
        if (c->ev.lock != MODEL_NONE)
            note_monitor(m, c->ev.lock, c->thread, c->ev.site, MODEL_NONE, false);
        break;
    case SWT_REC_SEM_POST:
        on_sem_post(c);
        break;
    case SWT_REC_DESTROY:
        on_destroy(c);
        break;
    case SWT_REC_LOCK_NEW:
        on_lock_new(c);
        c->ev.lock = m->priv->ps[proc].lock_map && r->f[0] < m->priv->ps[proc].lock_cap
                         ? m->priv->ps[proc].lock_map[r->f[0]]
                         : MODEL_NONE;
        break;
    case SWT_REC_THREAD_START:
        on_thread_start(c);
        break;
    case SWT_REC_THREAD_CREATE:
        on_thread_create(c);
        break;
    case SWT_REC_THREAD_EXIT:
        on_thread_exit(c);
        break;
    case SWT_REC_THREAD_JOIN:
        on_thread_join(c);
        break;
    case SWT_REC_THREAD_NAME: {
        uint32_t t = r->f[0] ? thread_of(m, proc, r->f[0]) : c->thread;
        if (t != MODEL_NONE && r->blob_len) {
            free(m->threads[t].name);
            m->threads[t].name = xstrndup((const char *)r->blob, r->blob_len);
        }
        break;
    }
    case SWT_REC_STACK:
        on_stack(c);
        break;
    case SWT_REC_MODULE:
        on_module(c);
        break;
    case SWT_REC_FORK:
        on_fork(c);
        break;
    case SWT_REC_PROC_EXIT:
        on_proc_exit(c);
        break;
    case SWT_REC_EDGE:
        on_edge(c);
        break;
    case SWT_REC_DROPPED:
        m->dropped_events += r->f[0];
        if (c->thread != MODEL_NONE)
            m->priv->ts[c->thread].dropped = true;
        break;
    default:
        break;
    }
}

/* ---- the pass ---- */

static uint64_t abs_ns(const struct swt_file_header *h, uint64_t ticks)
{
    unsigned __int128 v = (unsigned __int128)ticks * h->tick_ns_q32;
    v >>= 32;
    return v > UINT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* A trace without a clean end whose process is alive now (same pid, same
 * program): the analysis looks at a running program, not a killed one. */
static bool still_running(const struct swt_file_header *h)
{
    if (h->pid <= 0 || (kill(h->pid, 0) < 0 && errno != EPERM))
        return false;
    char link[64], exe[sizeof h->exe];
    snprintf(link, sizeof link, "/proc/%d/exe", h->pid);
    ssize_t n = readlink(link, exe, sizeof exe - 1);
    if (n <= 0)
        return false;
    exe[n] = 0;
    return strncmp(exe, h->exe, sizeof h->exe) == 0;
}

static int cmp_proc_pid(const void *a, const void *b)
{
    const struct swt_file_header *x = swt_header(*(struct swt_trace *const *)a);
    const struct swt_file_header *y = swt_header(*(struct swt_trace *const *)b);
    if (x->start_ticks != y->start_ticks && x->clock == y->clock)
        return x->start_ticks < y->start_ticks ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* A thread blocked at the end waits for a lock while holding others: those
 * orders are edges too.  Trace mode has them from the WAIT records; a
 * profile trace has only the thread blocks. */
static void final_wait_edges(struct model *m)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock == MODEL_NONE || !t->nheld ||
            (m->procs[t->proc].hdr.features & SWT_FEAT_EVENTS))
            continue;
        for (size_t k = 0; k < t->nheld; k++) {
            uint32_t gates[MODEL_MAX_GATES];
            uint32_t ng = 0;
            for (size_t g = 0; g < t->nheld && ng < MODEL_MAX_GATES; g++)
                if (g != k && m->locks[t->held[g].lock].is_lock &&
                    !(t->held[g].flags & SWT_ACQ_READ))
                    gates[ng++] = m->locks[t->held[g].lock].node;
            if (!m->locks[t->held[k].lock].is_lock || !m->locks[t->waiting_lock].is_lock)
                continue;
            note_edge(m, (uint32_t)i, t->held[k].lock, t->waiting_lock, t->held[k].flags,
                      t->waiting_flags, t->held[k].site, t->waiting_site, gates, ng,
                      t->nheld - 1 > MODEL_MAX_GATES, m->duration_ns, false);
        }
    }
}

static void finalize_thread(struct model *m, uint32_t idx)
{
    struct model_priv *p = m->priv;
    struct model_thread *t = &m->threads[idx];
    struct tstate *ts = &p->ts[idx];
    struct pstate *ps = &p->ps[t->proc];
    const struct swt_thread_block *b = swt_thread_block(ps->trace, t->tindex);
    uint64_t base = ps->base_ns > p->run_base_ns ? ps->base_ns - p->run_base_ns : 0;
    /* With every event recorded the stream knows best (an unlock by another
     * thread ends a hold the holder's block still lists); without events,
     * or with some dropped, the block is the live state the recorder kept
     * up to date even through a kill. */
    const struct swt_file_header *hdr = &m->procs[t->proc].hdr;
    bool stream = (hdr->features & SWT_FEAT_EVENTS) && !hdr->dropped_events && t->nevents;
    if (b && !stream) {
        uint32_t n = b->nheld < SWT_MAX_HELD ? b->nheld : SWT_MAX_HELD;
        t->held = xcalloc(n ? n : 1, sizeof *t->held);
        t->nheld = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t lock = lock_of(m, t->proc, b->held[i].lock);
            if (lock == MODEL_NONE)
                continue;
            struct model_held *h = &t->held[t->nheld++];
            h->lock = lock;
            h->flags = b->held[i].flags;
            h->site = stack_of(m, t->proc, b->held[i].site);
            h->depth = b->held[i].depth;
            h->since_ns = b->held[i].since_ticks
                              ? swt_ticks_to_ns(ps->trace, b->held[i].since_ticks) + base
                              : 0;
        }
        t->held_overflow = b->held_overflow;
        t->waiting_lock = b->waiting_lock ? lock_of(m, t->proc, b->waiting_lock) : MODEL_NONE;
        t->waiting_flags = b->waiting_flags;
        t->waiting_site = b->waiting_lock ? stack_of(m, t->proc, b->waiting_site) : MODEL_NONE;
        t->waiting_since_ns = b->waiting_since_ticks
                                  ? swt_ticks_to_ns(ps->trace, b->waiting_since_ticks) + base
                                  : 0;
        if (t->end == MODEL_END_UNKNOWN || t->end == MODEL_END_KILLED ||
            t->end == MODEL_END_PROC_EXIT) {
            if (b->state == SWT_THREAD_EXITED)
                t->end = MODEL_END_EXITED;
            else if (b->state == SWT_THREAD_CANCELED)
                t->end = MODEL_END_CANCELED;
        }
    } else {
        if (b && t->end == MODEL_END_UNKNOWN) {
            if (b->state == SWT_THREAD_EXITED)
                t->end = MODEL_END_EXITED;
            else if (b->state == SWT_THREAD_CANCELED)
                t->end = MODEL_END_CANCELED;
        }
        t->held = xcalloc(ts->nheld ? ts->nheld : 1, sizeof *t->held);
        if (ts->nheld)
            memcpy(t->held, ts->held, ts->nheld * sizeof *t->held);
        t->nheld = ts->nheld;
        t->waiting_lock = ts->waiting_lock;
        t->waiting_flags = ts->waiting_flags;
        t->waiting_site = ts->waiting_lock != MODEL_NONE ? ts->waiting_site : MODEL_NONE;
        t->waiting_since_ns = ts->waiting_since;
    }
}

/* Keeps a held-at-fork fact when the child found the lock held, drops it
 * when the child took it at once, and drops an ambiguous one without
 * evidence (no false alarm from atfork handlers). */
static void resolve_fork_checks(struct model *m)
{
    struct model_priv *p = m->priv;
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock != MODEL_NONE)
            note_child_use(m, t->proc, t->waiting_lock, CHILD_FOUND_IT_HELD);
    }
    for (size_t i = 0; i < p->nfork_checks; i++) {
        const struct fork_check *fc = &p->fork_checks[i];
        enum child_use use = CHILD_UNUSED;
        if (fc->child != MODEL_NONE) {
            struct addr_entry *a;
            HASH_FIND(hh, p->ps[fc->child].addrs, &fc->addr, sizeof fc->addr, a);
            if (a)
                use = a->child_use;
        }
        if (use == CHILD_TOOK_IT || (use == CHILD_UNUSED && fc->ambiguous))
            m->facts[fc->fact].kind = MODEL_FACT_NONE;
    }
}

/* A thread that waits on a condvar or semaphore while holding L, and a
 * thread that signals / posts it while holding L: the signaller may block
 * on L while the waiter waits for the signal (a nested-monitor lockout). */
static void match_monitors(struct model *m)
{
    for (size_t i = 0; i < m->nlocks; i++) {
        const struct lstate *s = &m->priv->ls[i];
        const struct model_lock *obj = &m->locks[i];
        if (!s->nwaits || !s->nsignals || obj->label ||
            (s->cond_mutex != MODEL_NONE && m->locks[s->cond_mutex].label))
            continue;
        for (uint8_t w = 0; w < s->nwaits; w++)
            for (uint8_t g = 0; g < s->nsignals; g++) {
                const struct monitor_note *a = &s->waits[w], *b = &s->signals[g];
                if (a->thread == b->thread ||
                    m->locks[a->lock].node != m->locks[b->lock].node)
                    continue;
                struct model_fact *f = add_fact(m, MODEL_FACT_WAIT_HOLDING, a->thread, a->lock,
                                                a->site, 0);
                if (f) {
                    f->lock2 = (uint32_t)i;
                    f->other = b->thread;
                    f->other_site = b->site;
                    f->lock3 = MODEL_NONE;
                }
            }
    }
}

static void label_gil(struct model *m)
{
    for (size_t i = 0; i < m->nlocks; i++) {
        const struct lstate *s = &m->priv->ls[i];
        struct model_lock *l = &m->locks[i];
        if (l->kind != SWT_KIND_COND || s->cond_mutex == MODEL_NONE || !s->cond_many_waiters ||
            !s->cond_timeouts)
            continue;
        const struct model_process *p = &m->procs[l->proc];
        const char *exe = strrchr(p->hdr.exe, '/');
        exe = exe ? exe + 1 : p->hdr.exe;
        if (strncmp(exe, "python", 6) != 0 && !strstr(p->hdr.cmdline, "python"))
            continue;
        /* CPython's take_gil: timed waits on gil->cond under gil->mutex. */
        l->label = "GIL";
        m->locks[s->cond_mutex].label = "GIL";
    }
}

/* T<n>: by process (in start order), then thread index, so that the main
 * thread of the first process is T1 and numbers match the program's own
 * creation order; stable across runs of the same program. */
static const struct model *sort_threads_model;

static int cmp_thread_order(const void *a, const void *b)
{
    const struct model_thread *x = &sort_threads_model->threads[*(const uint32_t *)a];
    const struct model_thread *y = &sort_threads_model->threads[*(const uint32_t *)b];
    if (x->proc != y->proc)
        return x->proc < y->proc ? -1 : 1;
    return x->tindex < y->tindex ? -1 : x->tindex > y->tindex;
}

static void number_threads(struct model *m)
{
    if (!m->nthreads)
        return;
    uint32_t *order = xmalloc(m->nthreads * sizeof *order);
    for (size_t i = 0; i < m->nthreads; i++)
        order[i] = (uint32_t)i;
    sort_threads_model = m;
    qsort(order, m->nthreads, sizeof *order, cmp_thread_order);
    sort_threads_model = NULL;
    for (size_t i = 0; i < m->nthreads; i++)
        m->threads[order[i]].display = (uint32_t)i + 1;
    free(order);
}

static int cmp_edge(const void *a, const void *b)
{
    const struct model_edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->to < y->to ? -1 : x->to > y->to;
}

static void stat_cb(void *vctx, uint32_t thread, const struct swt_stat_slot *slot)
{
    struct ctx *c = vctx;
    struct model *m = c->m;
    uint32_t t = thread_of(m, c->proc, thread);
    uint32_t lock = lock_of(m, c->proc, slot->lock);
    uint32_t site = stack_of(m, c->proc, slot->site);
    if (t == MODEL_NONE || lock == MODEL_NONE)
        return;
    if (!(m->procs[c->proc].hdr.features & SWT_FEAT_EVENTS)) {
        m->locks[lock].acquisitions += slot->acquisitions;
        m->locks[lock].contentions += slot->contentions;
    }
    for (size_t i = 0; i < m->priv->nobs; i++)
        if (m->priv->obs[i].stat_slot)
            m->priv->obs[i].stat_slot(m->priv->obs[i].ctx, m, t, lock, site, slot);
}

int model_build(struct model *m, struct swt_trace *const *traces_in, size_t ntraces,
                const struct model_opts *opts, const struct model_observer *obs, size_t nobs,
                char *err, size_t errlen)
{
    static const struct model_opts defaults = {.derive_edges = true};
    memset(m, 0, sizeof *m);
    struct model_priv *p = xcalloc(1, sizeof *p);
    m->priv = p;
    p->opts = opts ? opts : &defaults;
    p->obs = obs;
    p->nobs = nobs;
    if (!ntraces) {
        snprintf(err, errlen, "no trace files");
        return -1;
    }
    struct swt_trace **traces = xmalloc(ntraces * sizeof *traces);
    memcpy(traces, traces_in, ntraces * sizeof *traces);
    qsort(traces, ntraces, sizeof *traces, cmp_proc_pid);

    m->nprocs = ntraces;
    m->procs = xcalloc(ntraces, sizeof *m->procs);
    p->ps = xcalloc(ntraces, sizeof *p->ps);
    p->run_base_ns = UINT64_MAX;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < ntraces; i++) {
        const struct swt_file_header *h = swt_header(traces[i]);
        struct model_process *pr = &m->procs[i];
        pr->index = (uint32_t)i;
        pr->file = swt_path(traces[i]);
        pr->hdr = *h;
        pr->pid = h->pid;
        pr->ppid = h->ppid;
        pr->parent_proc = pr->fork_thread = MODEL_NONE;
        pr->exit_status = h->exit_status;
        pr->ended = h->state != SWT_PROC_RUNNING;
        pr->killed = h->state == SWT_PROC_RUNNING;
        pr->running = pr->killed && still_running(h);
        if (pr->running)
            pr->killed = false;
        p->ps[i].trace = traces[i];
        p->ps[i].base_ns = abs_ns(h, h->start_ticks);
        if (p->ps[i].base_ns < p->run_base_ns)
            p->run_base_ns = p->ps[i].base_ns;
        m->dropped_events += h->dropped_events;
        if (h->features & SWT_FEAT_EVENTS)
            m->has_events = true;
        if (h->features & SWT_FEAT_PROFILE)
            m->has_profile = true;
        total_bytes += swt_file_size(traces[i]);
    }
    /* Fork children: their first thread continues the forking thread. */
    for (size_t i = 0; i < ntraces; i++) {
        struct model_process *pr = &m->procs[i];
        if (!pr->hdr.fork_parent_pid)
            continue;
        for (size_t k = 0; k < ntraces; k++)
            if (k != i && m->procs[k].pid == pr->hdr.fork_parent_pid) {
                pr->parent_proc = (uint32_t)k;
            }
    }
    free(traces);

    int rc = 0;
    uint64_t *bases = xmalloc(ntraces * sizeof *bases);
    struct swt_trace **ordered = xmalloc(ntraces * sizeof *ordered);
    for (size_t i = 0; i < ntraces; i++) {
        bases[i] = p->ps[i].base_ns;
        ordered[i] = p->ps[i].trace;
    }
    struct run_merge *mg = run_merge_new(ordered, bases, ntraces, err, errlen);
    if (!mg) {
        free(bases);
        free(ordered);
        rc = -1;
        goto out;
    }

    struct ctx c = {.m = m};
    uint64_t next_progress = 1u << 20;
    /* about 5 bytes per record: good enough for a progress bar */
    uint64_t events_guess = total_bytes / 5 + 1;
    const struct swt_rec *r;
    uint32_t trace_index;
    uint64_t abs;
    int mrc;
    while ((mrc = run_merge_next(mg, &r, &trace_index, &abs, err, errlen)) > 0) {
        size_t best = trace_index;
        c.proc = (uint32_t)best;
        c.r = r;
        c.ns = abs - p->run_base_ns;
        c.thread = thread_of(m, c.proc, r->thread);
        if (c.thread != MODEL_NONE) {
            struct model_thread *t = &m->threads[c.thread];
            if (!t->nevents++)
                t->start_ns = c.ns;
            t->end_ns = t->end_ns > c.ns ? t->end_ns : c.ns;
            on_record(&c);
            if (nobs) {
                c.ev.rec = r;
                c.ev.proc = c.proc;
                c.ev.thread = c.thread;
                c.ev.ns = c.ns;
                for (size_t i = 0; i < nobs; i++)
                    if (obs[i].event)
                        obs[i].event(obs[i].ctx, m, &c.ev);
            }
            p->ts[c.thread].last_ns = c.ns;
        }
        m->procs[best].nevents++;
        m->procs[best].end_ns = c.ns;
        m->duration_ns = c.ns;
        if (++m->nevents >= next_progress) {
            next_progress += 1u << 20;
            if (p->opts->progress) {
                uint64_t done = m->nevents < events_guess ? m->nevents : events_guess - 1;
                p->opts->progress(p->opts->progress_ctx, done, events_guess);
            }
        }
    }
    run_merge_free(mg);
    free(bases);
    free(ordered);
    if (mrc < 0) {
        rc = -1;
        goto out;
    }

    /* Threads known only from their blocks (profile mode, no records). */
    for (size_t i = 0; i < ntraces; i++)
        for (size_t k = 0; k < swt_thread_count(p->ps[i].trace); k++)
            thread_of(m, (uint32_t)i, swt_thread_at(p->ps[i].trace, k));
    bool *killed_procs = xcalloc(ntraces, sizeof *killed_procs);
    /* A process that never ended cleanly was killed (or is still running):
     * whatever its threads held stays held. */
    for (size_t i = 0; i < ntraces; i++) {
        struct model_process *pr = &m->procs[i];
        if (pr->running)
            continue; /* a live trace: holds now are no abandonment */
        if (pr->killed && !p->ps[i].saw_proc_exit) {
            for (size_t t = 0; t < m->nthreads; t++)
                if (m->threads[t].proc == i && !p->ts[t].ended) {
                    /* the thread blocks are the final word after a kill */
                    const struct swt_thread_block *b =
                        swt_thread_block(p->ps[i].trace, m->threads[t].tindex);
                    if (b && b->state != SWT_THREAD_RUNNING)
                        p->ts[t].ended = true;
                }
            killed_procs[i] = true;
        } else if (pr->ended && !p->ps[i].saw_proc_exit) {
            if (pr->hdr.features & SWT_FEAT_EVENTS)
                proc_end_holds(m, (uint32_t)i, pr->end_ns, pr->hdr.state == SWT_PROC_SIGNALED);
            else
                p->ps[i].final_holds_due = true;
        }
    }
    for (size_t i = 0; i < m->nthreads; i++)
        finalize_thread(m, (uint32_t)i);
    final_wait_edges(m);
    for (size_t i = 0; i < ntraces; i++)
        if (killed_procs[i] || p->ps[i].final_holds_due)
            final_holds(m, (uint32_t)i, m->procs[i].end_ns,
                        killed_procs[i] || m->procs[i].exit_how == SWT_EXIT_SIGNAL ||
                            m->procs[i].hdr.state == SWT_PROC_SIGNALED);
    free(killed_procs);
    /* Waits that never ended on a lock whose holder is gone. */
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (t->waiting_lock == MODEL_NONE)
            continue;
        uint32_t owner = holder_of(m, t->waiting_lock);
        /* gone: the holder's thread ended, or its process did (a
         * process-shared lock waited for from another process) */
        bool gone = owner != MODEL_NONE && owner != i &&
                    (p->ts[owner].exit_seen ||
                     (p->ts[owner].ended && m->threads[owner].proc != t->proc));
        if (gone) {
            struct model_fact *f = add_fact(m, MODEL_FACT_WAIT_ON_ABANDONED, (uint32_t)i,
                                            t->waiting_lock, t->waiting_site, m->duration_ns);
            if (f) {
                f->other = owner;
                f->other_site = lst(m, t->waiting_lock)->owner_site;
            }
        }
    }
    resolve_fork_checks(m);
    for (size_t i = 0; i < ntraces; i++) {
        c.proc = (uint32_t)i;
        swt_foreach_stat(p->ps[i].trace, stat_cb, &c);
    }
    label_gil(m);
    match_monitors(m);
    number_threads(m);
    /* The table's indices die with the sort below. */
    free(p->edge_keys);
    free(p->edge_vals);
    p->edge_keys = NULL;
    p->edge_vals = NULL;
    p->edge_slots = 0;
    if (m->nedges > 1)
        qsort(m->edges, m->nedges, sizeof *m->edges, cmp_edge);
    for (size_t i = 0; i < nobs; i++)
        if (obs[i].done)
            obs[i].done(obs[i].ctx, m);
out:
    return rc;
}

const struct model_edge *model_edge_find(const struct model *m, uint32_t from, uint32_t to)
{
    size_t lo = 0, hi = m->nedges;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct model_edge *e = &m->edges[mid];
        if (e->from == from && e->to == to)
            return e;
        if (e->from < from || (e->from == from && e->to < to))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *model_thread_label(const struct model *m, uint32_t thread, char *buf, size_t len)
{
    if (thread == MODEL_NONE || thread >= m->nthreads) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct model_thread *t = &m->threads[thread];
    if (t->name && *t->name)
        snprintf(buf, len, "T%u (%s)", t->display, t->name);
    else
        snprintf(buf, len, "T%u", t->display);
    return buf;
}

const char *model_lock_label(const struct model *m, uint32_t lock, char *buf, size_t len)
{
    if (lock == MODEL_NONE || lock >= m->nlocks) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct model_lock *l = &m->locks[lock];
    if (l->name && *l->name)
        snprintf(buf, len, "L%u (%s)", l->display, l->name);
    else
        snprintf(buf, len, "L%u", l->display);
    return buf;
}

void model_free(struct model *m)
{
    struct model_priv *p = m->priv;
    if (p) {
        for (size_t i = 0; i < m->nthreads && p->ts; i++) {
            free(p->ts[i].held);
            free(p->ts[i].memo);
            free(p->ts[i].exit_facts);
            hb_vc_free(&p->ts[i].create_vc);
            hb_free(&p->ts[i].hb);
        }
        free(p->ts);
        for (size_t i = 0; i < m->nlocks && p->ls; i++) {
            free(p->ls[i].waits);
            free(p->ls[i].signals);
        }
        free(p->ls);
        for (size_t i = 0; i < m->nprocs && p->ps; i++) {
            hb_vc_free(&p->ps[i].fork_vc);
            free(p->ps[i].lock_map);
            free(p->ps[i].thread_map);
            free(p->ps[i].stack_map);
            struct addr_entry *a, *atmp;
            HASH_ITER(hh, p->ps[i].addrs, a, atmp)
            {
                HASH_DEL(p->ps[i].addrs, a);
                free(a);
            }
        }
        free(p->ps);
        free(p->fork_checks);
        free(p->edge_keys);
        free(p->edge_vals);
        struct fact_entry *f, *ftmp;
        HASH_ITER(hh, p->fact_hash, f, ftmp)
        {
            HASH_DEL(p->fact_hash, f);
            free(f);
        }
        struct shared_entry *s, *stmp;
        HASH_ITER(hh, p->shared, s, stmp)
        {
            HASH_DEL(p->shared, s);
            free(s);
        }
        free(p);
    }
    for (size_t i = 0; i < m->nprocs; i++) {
        for (size_t k = 0; k < m->procs[i].nmodules; k++) {
            free(m->procs[i].modules[k].build_id);
            free(m->procs[i].modules[k].path);
        }
        free(m->procs[i].modules);
    }
    free(m->procs);
    for (size_t i = 0; i < m->nthreads; i++) {
        free(m->threads[i].name);
        free(m->threads[i].held);
    }
    free(m->threads);
    for (size_t i = 0; i < m->nlocks; i++) {
        free(m->locks[i].sem_name);
        free(m->locks[i].name);
    }
    free(m->locks);
    for (size_t i = 0; i < m->nstacks; i++)
        free(m->stacks[i].ips);
    free(m->stacks);
    for (size_t i = 0; i < m->nedges; i++)
        free(m->edges[i].variants);
    free(m->edges);
    free(m->facts);
    memset(m, 0, sizeof *m);
}
