/* Lock statistics accumulator (see lockstats.h for what it keeps).
 *
 * Per lock it tracks the current holders and waiters.  Waiter time is
 * charged lazily: whenever the set of holders or waiters of a lock is about
 * to change, the time since the last change times the number of waiters is
 * added to the site of every current holder (or to "unheld" when nobody is
 * known to hold it, e.g. during a hand-off).  That makes the blame exact for
 * every interval of a wait, O(holders) per event, and independent of how
 * many holders a single wait lived through. */
#include "analyzer/lockstats.h"
#include "common/duration.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#include "analyzer/model.h"

struct ls_hist {
    uint64_t n[LOCKSTATS_HIST_BUCKETS];
};

struct ls_lock;
struct ls_site;

/* An open-addressing table from a (lock, thread) or (lock, site) key to its
 * entry: the per-event lookups cost a multiply and a compare or two
 * instead of a general hash of a struct key, and the slot of a key is known
 * before the lock's entry is read, so the two cache misses overlap (see
 * enter).  Memory grows with the entries (load at most 1/2), never with
 * events. */
struct ls_slot {
    uint64_t key;
    void *val; /* NULL: empty */
};

struct ls_tab {
    struct ls_slot *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
};

struct ls_pair_key {
    uint32_t lock, thread;
};

/* The structs below put what every event touches first, in the first
 * cache line, and the lookup structure (hh) last: with a thousand locks
 * the per-event cost is mostly cache misses on these (the entries are
 * allocated 64-byte aligned, see ls_alloc). */

/* One (lock, thread): its row, its hold and its wait in progress. */
struct ls_pair {
    struct ls_pair_key key;
    /* The hold in progress (depth > 0). */
    uint32_t depth;
    bool hold_saw_waiter;
    bool hold_owner_change; /* the hold's acquisition changed the owner */
    /* The wait in progress. */
    bool waiting;
    /* A condvar wait that released this mutex. */
    bool in_cond;
    struct ls_lock *lk;
    /* Lookup cache: a thread often reuses its last site of a lock.  The key
     * is kept here so that a hit does not read the site first. */
    struct ls_site *last_site;
    uint32_t last_site_key;
    struct ls_site *hold_site;
    uint64_t hold_since;
    struct ls_site *wait_site;
    uint64_t wait_since;
    unsigned wait_flags;
    uint64_t wait_acq_seq, wait_read_seq;
    uint64_t cond_since;
    struct ls_hist *hist; /* allocated at the first wait */
    struct lockstats_thread_row row;
    struct ls_pair *next; /* every pair, for finishing and freeing */
};

struct ls_site_key {
    uint32_t lock, site;
};

struct ls_site {
    struct lockstats_site_row row;
    struct ls_site_key key;
    struct ls_hist *hist; /* allocated at the first wait */
    struct ls_lock *lk;
    struct ls_site *next; /* every site, for finishing and freeing */
};

#define LS_INLINE_THREADS 16u

struct ls_lock {
    /* Lookup cache: acquire and release come in pairs (the key is kept here
     * so that a hit does not read the pair first). */
    struct ls_pair *last_pair;
    uint32_t last_pair_thread;
    /* The pairs of the first threads, indexed by thread key (model thread
     * indices are dense): no table lookup for most programs' threads. */
    struct ls_pair *by_thread[LS_INLINE_THREADS];
    uint64_t last_charge_ns;
    size_t nholders, nwaiters;
    struct ls_pair **holders;
    struct ls_pair **waiters; /* in the order they began waiting */
    uint64_t acq_seq, read_seq; /* acquisitions so far, and read ones */
    uint32_t last_acquirer;
    uint32_t key;
    size_t capholders, capwaiters;
    struct lockstats_run run;   /* the barging run in progress (thread NONE: none) */
    struct lockstats_lock_row row;
    uint64_t cond_timeout_ns;
    /* Row arrays built by lockstats_finish. */
    const struct lockstats_thread_row **thread_rows;
    const struct lockstats_site_row **site_rows;
    UT_hash_handle hh;
};

/* A zeroed entry aligned to a cache line; NULL on out of memory. */
static void *ls_alloc(size_t size)
{
    size = (size + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, size);
    if (p)
        memset(p, 0, size);
    return p;
}

struct lockstats {
    struct lockstats_config cfg;
    struct ls_lock *locks;
    struct ls_pair *pairs;
    struct ls_site *sites;
    struct ls_tab pair_tab; /* (lock, thread) -> struct ls_pair */
    struct ls_tab site_tab; /* (lock, site) -> struct ls_site */
    /* Lock keys are dense (model indices): a direct index in front of the
     * hash for keys below LS_DENSE_MAX. */
    struct ls_lock **dense;
    size_t ndense;
    bool finished;
    bool broken; /* out of memory: every later call fails */
    void *aux;
    void (*aux_free)(void *);
    const struct lockstats_lock_row **lock_rows;
    size_t nlock_rows;
};

void lockstats_config_default(struct lockstats_config *c)
{
    c->wait_threshold_ns = LOCKSTATS_DEFAULT_WAIT_NS;
    c->starve_count = LOCKSTATS_DEFAULT_STARVE_COUNT;
    c->hold_threshold_ns = LOCKSTATS_DEFAULT_HOLD_NS;
}

uint64_t lockstats_avg(uint64_t total, uint64_t count)
{
    return count ? total / count : 0;
}

/* Log-linear buckets: values below LOCKSTATS_HIST_SUB exactly, above that
 * LOCKSTATS_HIST_SUB linear sub-buckets per power of two. */
unsigned lockstats_hist_bucket(uint64_t ns)
{
    if (ns < LOCKSTATS_HIST_SUB)
        return (unsigned)ns;
    unsigned e = 63u - (unsigned)__builtin_clzll(ns); /* 3..63 */
    unsigned sub = (unsigned)(ns >> (e - 3)) & (LOCKSTATS_HIST_SUB - 1);
    return LOCKSTATS_HIST_SUB + (e - 3) * LOCKSTATS_HIST_SUB + sub;
}

uint64_t lockstats_hist_upper(unsigned bucket)
{
    if (bucket < LOCKSTATS_HIST_SUB)
        return bucket;
    if (bucket >= LOCKSTATS_HIST_BUCKETS)
        return UINT64_MAX;
    unsigned e = (bucket - LOCKSTATS_HIST_SUB) / LOCKSTATS_HIST_SUB + 3;
    unsigned sub = (bucket - LOCKSTATS_HIST_SUB) % LOCKSTATS_HIST_SUB;
    uint64_t lower = (uint64_t)(LOCKSTATS_HIST_SUB + sub) << (e - 3);
    return lower + ((1ull << (e - 3)) - 1);
}

struct lockstats *lockstats_new(const struct lockstats_config *c)
{
    struct lockstats *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (c)
        s->cfg = *c;
    else
        lockstats_config_default(&s->cfg);
    return s;
}

const struct lockstats_config *lockstats_config(const struct lockstats *s)
{
    return &s->cfg;
}

void lockstats_free(struct lockstats *s)
{
    if (!s)
        return;
    for (struct ls_pair *p = s->pairs, *next; p; p = next) {
        next = p->next;
        free(p->hist);
        free(p);
    }
    for (struct ls_site *st = s->sites, *next; st; st = next) {
        next = st->next;
        free(st->hist);
        free(st);
    }
    struct ls_lock *lk, *lktmp;
    HASH_ITER(hh, s->locks, lk, lktmp) {
        HASH_DEL(s->locks, lk);
        free(lk->holders);
        free(lk->waiters);
        free(lk->thread_rows);
        free(lk->site_rows);
        free(lk);
    }
    free(s->lock_rows);
    free(s->dense);
    free(s->pair_tab.slots);
    free(s->site_tab.slots);
    if (s->aux_free)
        s->aux_free(s->aux);
    free(s);
}

bool lockstats_failed(const struct lockstats *s)
{
    return s->broken;
}

const char *lockstats_format_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000ull * 1000)
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000ull * 1000 * 1000)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    return buf;
}

void lockstats_mark_failed(struct lockstats *s)
{
    s->broken = true;
}

void lockstats_set_aux(struct lockstats *s, void *aux, void (*aux_free)(void *))
{
    s->aux = aux;
    s->aux_free = aux_free;
}

void *lockstats_aux(const struct lockstats *s)
{
    return s->aux;
}

int lockstats_parse_duration(const char *str, uint64_t *ns)
{
    return sw_parse_duration(str, 1, ns); /* a bare number is nanoseconds */
}

/* ---- tables ---- */

#define LS_DENSE_MAX (1u << 22)

static struct ls_lock *find_or_add_lock(struct lockstats *s, uint32_t key);

/* The hot paths of the lookups are inline; the hash and the allocation are
 * not (every event goes through here). */
static inline struct ls_lock *get_lock(struct lockstats *s, uint32_t key)
{
    if (key < s->ndense && s->dense[key])
        return s->dense[key];
    return find_or_add_lock(s, key);
}

static __attribute__((noinline)) struct ls_lock *find_or_add_lock(struct lockstats *s,
                                                                  uint32_t key)
{
    struct ls_lock *lk;
    HASH_FIND(hh, s->locks, &key, sizeof(key), lk);
    if (lk)
        return lk;
    if (key < LS_DENSE_MAX && key >= s->ndense) {
        size_t n = s->ndense ? s->ndense : 64;
        while (n <= key)
            n *= 2;
        struct ls_lock **d = realloc(s->dense, n * sizeof(*d));
        if (!d)
            return NULL;
        memset(d + s->ndense, 0, (n - s->ndense) * sizeof(*d));
        s->dense = d;
        s->ndense = n;
    }
    lk = ls_alloc(sizeof(*lk));
    if (!lk)
        return NULL;
    lk->key = key;
    lk->row.lock = key;
    lk->row.kind = SWT_KIND_MUTEX;
    lk->row.lock_like = true;
    lk->row.barge.thread = LOCKSTATS_NONE;
    lk->row.barge.waiter = LOCKSTATS_NONE;
    lk->run.thread = LOCKSTATS_NONE;
    lk->last_acquirer = LOCKSTATS_NONE;
    HASH_ADD(hh, s->locks, key, sizeof(lk->key), lk);
    if (key < s->ndense)
        s->dense[key] = lk;
    return lk;
}

static inline uint64_t tab_key(uint32_t hi, uint32_t lo)
{
    return (uint64_t)hi << 32 | lo;
}

static inline size_t tab_home(uint64_t key, size_t cap)
{
    key *= 0x9e3779b97f4a7c15ull;
    return (size_t)(key >> 32) & (cap - 1);
}

static inline void tab_prefetch(const struct ls_tab *t, uint64_t key)
{
    if (t->cap)
        __builtin_prefetch(&t->slots[tab_home(key, t->cap)]);
}

static inline void *tab_find(const struct ls_tab *t, uint64_t key)
{
    if (!t->cap)
        return NULL;
    for (size_t i = tab_home(key, t->cap);; i = (i + 1) & (t->cap - 1)) {
        const struct ls_slot *sl = &t->slots[i];
        if (!sl->val)
            return NULL;
        if (sl->key == key)
            return sl->val;
    }
}

static void tab_put_slot(struct ls_slot *slots, size_t cap, uint64_t key, void *val)
{
    size_t i = tab_home(key, cap);
    while (slots[i].val)
        i = (i + 1) & (cap - 1);
    slots[i].key = key;
    slots[i].val = val;
}

/* Adds key (not in t yet).  Returns 0 or -1 (memory). */
static int tab_add(struct ls_tab *t, uint64_t key, void *val)
{
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        struct ls_slot *ns = calloc(ncap, sizeof(*ns));
        if (!ns)
            return -1;
        for (size_t i = 0; i < t->cap; i++)
            if (t->slots[i].val)
                tab_put_slot(ns, ncap, t->slots[i].key, t->slots[i].val);
        free(t->slots);
        t->slots = ns;
        t->cap = ncap;
    }
    tab_put_slot(t->slots, t->cap, key, val);
    t->n++;
    return 0;
}

static struct ls_pair *add_pair(struct lockstats *s, struct ls_lock *lk, uint32_t thread);

static inline struct ls_pair *get_pair(struct lockstats *s, struct ls_lock *lk, uint32_t thread)
{
    if (lk->last_pair && lk->last_pair_thread == thread)
        return lk->last_pair;
    struct ls_pair *p = thread < LS_INLINE_THREADS ? lk->by_thread[thread] : NULL;
    if (!p)
        p = tab_find(&s->pair_tab, tab_key(lk->key, thread));
    if (!p)
        p = add_pair(s, lk, thread);
    lk->last_pair = p;
    lk->last_pair_thread = thread;
    return p;
}

static __attribute__((noinline)) struct ls_pair *add_pair(struct lockstats *s, struct ls_lock *lk,
                                                          uint32_t thread)
{
    struct ls_pair *p = ls_alloc(sizeof(*p));
    if (!p)
        return NULL;
    p->key.lock = lk->key;
    p->key.thread = thread;
    p->lk = lk;
    p->row.thread = thread;
    if (tab_add(&s->pair_tab, tab_key(lk->key, thread), p)) {
        free(p);
        return NULL;
    }
    if (thread < LS_INLINE_THREADS)
        lk->by_thread[thread] = p;
    p->next = s->pairs;
    s->pairs = p;
    return p;
}

static struct ls_site *add_site(struct lockstats *s, struct ls_lock *lk, uint32_t site);

static inline struct ls_site *get_site(struct lockstats *s, struct ls_lock *lk, uint32_t site)
{
    struct ls_site *st = tab_find(&s->site_tab, tab_key(lk->key, site));
    return st ? st : add_site(s, lk, site);
}

static __attribute__((noinline)) struct ls_site *add_site(struct lockstats *s, struct ls_lock *lk,
                                                          uint32_t site)
{
    struct ls_site *st = ls_alloc(sizeof(*st));
    if (!st)
        return NULL;
    st->key.lock = lk->key;
    st->key.site = site;
    st->row.site = site;
    if (tab_add(&s->site_tab, tab_key(lk->key, site), st)) {
        free(st);
        return NULL;
    }
    st->lk = lk;
    st->next = s->sites;
    s->sites = st;
    return st;
}

static int push(struct ls_pair ***arr, size_t *n, size_t *cap, struct ls_pair *p)
{
    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct ls_pair **a = realloc(*arr, ncap * sizeof(*a));
        if (!a)
            return -1;
        *arr = a;
        *cap = ncap;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

/* Removes p keeping the order (waiters are kept oldest first). */
static inline void drop(struct ls_pair **arr, size_t *n, struct ls_pair *p)
{
    /* The usual case (one holder, or the last to come goes first). */
    if (*n && arr[*n - 1] == p) {
        (*n)--;
        return;
    }
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] == p) {
            memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
            (*n)--;
            return;
        }
    }
}

/* ---- counters ---- */

static uint64_t elapsed(uint64_t since, uint64_t now)
{
    return now > since ? now - since : 0;
}

static void add_wait(struct lockstats_counts *c, uint64_t d)
{
    if (!c->wait_count || d < c->wait_min_ns)
        c->wait_min_ns = d;
    if (d > c->wait_max_ns)
        c->wait_max_ns = d;
    c->wait_count++;
    c->wait_total_ns += d;
}

static void add_hold(struct lockstats_counts *c, uint64_t d)
{
    if (!c->hold_count || d < c->hold_min_ns)
        c->hold_min_ns = d;
    if (d > c->hold_max_ns)
        c->hold_max_ns = d;
    c->hold_count++;
    c->hold_total_ns += d;
}

static void add_slot(struct lockstats_counts *c, const struct swt_stat_slot *sl)
{
    c->acquisitions += sl->acquisitions;
    c->contentions += sl->contentions;
    c->failures += sl->failures;
    c->owner_changes += sl->owner_changes;
    if (sl->contentions) {
        if (!c->wait_count || sl->wait_min_ns < c->wait_min_ns)
            c->wait_min_ns = sl->wait_min_ns;
        if (sl->wait_max_ns > c->wait_max_ns)
            c->wait_max_ns = sl->wait_max_ns;
        c->wait_count += sl->contentions;
        c->wait_total_ns += sl->wait_total_ns;
    }
    if (sl->hold_samples) {
        if (!c->hold_count || sl->hold_min_ns < c->hold_min_ns)
            c->hold_min_ns = sl->hold_min_ns;
        if (sl->hold_max_ns > c->hold_max_ns)
            c->hold_max_ns = sl->hold_max_ns;
        c->hold_count += sl->hold_samples;
        c->hold_total_ns += sl->hold_total_ns;
    }
}

static int hist_add(struct ls_hist **h, uint64_t ns, uint64_t count)
{
    if (!*h) {
        *h = calloc(1, sizeof(**h));
        if (!*h)
            return -1;
    }
    (*h)->n[lockstats_hist_bucket(ns)] += count;
    return 0;
}

/* ---- the trace feed ---- */

/* Charges the waiter time since the last change of lk's holders or waiters
 * to its current holders (see the top of the file). */
static void charge_waiters(struct ls_lock *lk, uint64_t ns);

static inline void charge(struct ls_lock *lk, uint64_t ns)
{
    if (ns <= lk->last_charge_ns)
        return;
    if (lk->nwaiters)
        charge_waiters(lk, ns);
    lk->last_charge_ns = ns;
}

static void charge_waiters(struct ls_lock *lk, uint64_t ns)
{
    uint64_t w = (ns - lk->last_charge_ns) * lk->nwaiters;
    if (!lk->nholders) {
        lk->row.unheld_wait_ns += w;
        return;
    }
    for (size_t i = 0; i < lk->nholders; i++) {
        lk->holders[i]->hold_site->row.blamed_ns += w;
        lk->holders[i]->row.blocked_others_ns += w;
    }
}

static bool tracks_holds(const struct ls_lock *lk)
{
    bool sem = lk->row.kind == SWT_KIND_SEM || lk->row.kind == SWT_KIND_SEM_NAMED;
    return !sem || lk->row.lock_like;
}

static void judge_starvation(struct lockstats *s, struct ls_pair *p, uint64_t d, bool unfinished)
{
    struct ls_lock *lk = p->lk;
    uint64_t others = lk->acq_seq - p->wait_acq_seq;
    if (d < s->cfg.wait_threshold_ns || others < s->cfg.starve_count)
        return;
    p->row.starved_waits++;
    lk->row.starved_waits++;
    struct lockstats_wait_record *w = &p->row.worst;
    if (w->valid && d <= w->duration_ns)
        return;
    w->valid = true;
    w->unfinished = unfinished;
    w->flags = p->wait_flags;
    w->site = p->wait_site->row.site;
    w->start_ns = p->wait_since;
    w->duration_ns = d;
    w->others_acquired = others;
    w->reads_acquired = lk->read_seq - p->wait_read_seq;
}

static int end_wait(struct lockstats *s, struct ls_pair *p, uint64_t ns)
{
    struct ls_lock *lk = p->lk;
    uint64_t d = elapsed(p->wait_since, ns);
    p->waiting = false;
    drop(lk->waiters, &lk->nwaiters, p);
    add_wait(&lk->row.c, d);
    add_wait(&p->row.c, d);
    add_wait(&p->wait_site->row.c, d);
    judge_starvation(s, p, d, false);
    if (hist_add(&p->wait_site->hist, d, 1))
        return -1;
    return hist_add(&p->hist, d, 1);
}

static void count_site_acquisition(struct ls_site *st, bool owner_change)
{
    st->row.c.acquisitions++;
    if (owner_change)
        st->row.c.owner_changes++;
}

static void end_hold(struct lockstats *s, struct ls_pair *p, uint64_t ns)
{
    struct ls_lock *lk = p->lk;
    uint64_t d = elapsed(p->hold_since, ns);
    struct ls_site *st = p->hold_site;
    count_site_acquisition(st, p->hold_owner_change);
    add_hold(&lk->row.c, d);
    add_hold(&p->row.c, d);
    add_hold(&st->row.c, d);
    if (p->hold_saw_waiter && d >= s->cfg.hold_threshold_ns) {
        st->row.long_holds++;
        p->row.long_holds++;
        lk->row.long_holds++;
        if (d > st->row.long_hold_max_ns)
            st->row.long_hold_max_ns = d;
    }
    drop(lk->holders, &lk->nholders, p);
}

/* Looks up the lock and its pair with thread, and charges blame up to ns.
 * Returns -1 when out of memory or already finished. */
static inline __attribute__((always_inline)) int enter(struct lockstats *s, uint64_t ns,
                                                        uint32_t thread, uint32_t lock,
                                                        struct ls_lock **lkp, struct ls_pair **pp)
{
    if (s->broken || s->finished)
        return -1;
    /* The slot does not depend on the lock's entry: fetch both at once. */
    if (thread >= LS_INLINE_THREADS)
        tab_prefetch(&s->pair_tab, tab_key(lock, thread));
    struct ls_lock *lk = get_lock(s, lock);
    struct ls_pair *p = lk ? get_pair(s, lk, thread) : NULL;
    if (!p) {
        s->broken = true;
        return -1;
    }
    charge(lk, ns);
    *lkp = lk;
    *pp = p;
    return 0;
}

/* enter() plus the (lock, site) row, for the records counted per site.
 * Releases do not look their site up: their site is the unlock call, and
 * skipping it keeps the per-pair cache on the acquiring site. */
static inline __attribute__((always_inline)) int
enter_site(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock, uint32_t site,
           struct ls_lock **lkp, struct ls_pair **pp, struct ls_site **stp)
{
    tab_prefetch(&s->site_tab, tab_key(lock, site));
    if (enter(s, ns, thread, lock, lkp, pp))
        return -1;
    struct ls_pair *p = *pp;
    struct ls_site *st = p->last_site && p->last_site_key == site ? p->last_site
                                                                  : get_site(s, *lkp, site);
    if (!st) {
        s->broken = true;
        return -1;
    }
    p->last_site = st;
    p->last_site_key = site;
    *stp = st;
    return 0;
}

static int fail_oom(struct lockstats *s)
{
    s->broken = true;
    return -1;
}

int lockstats_declare(struct lockstats *s, uint32_t lock, unsigned kind, unsigned type,
                      bool lock_like)
{
    if (s->broken || s->finished)
        return -1;
    struct ls_lock *lk = get_lock(s, lock);
    if (!lk)
        return fail_oom(s);
    lk->row.kind = kind;
    lk->row.type = type;
    lk->row.lock_like = lock_like;
    return 0;
}

int lockstats_wait(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                   unsigned flags, uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    struct ls_site *st;
    if (enter_site(s, ns, thread, lock, site, &lk, &p, &st))
        return -1;
    /* A second WAIT without an outcome (a damaged trace): the first wait
     * ends here. */
    if (p->waiting && end_wait(s, p, ns))
        return fail_oom(s);
    /* A thread waiting for a lock it holds itself is not contending with
     * anyone: on a semaphore it waits for a signal (CPython's Condition
     * waits on a per-waiter lock it took itself), on a mutex it deadlocks
     * itself (the misuse detector's business). */
    if (p->depth && tracks_holds(lk)) {
        lk->row.self_waits++;
        return 0;
    }
    lk->row.c.contentions++;
    p->row.c.contentions++;
    st->row.c.contentions++;
    for (size_t i = 0; i < lk->nholders; i++) {
        lk->holders[i]->hold_site->row.blamed_waits++;
        lk->holders[i]->hold_saw_waiter = true;
    }
    if (!lk->nholders)
        lk->row.unheld_waits++;
    if (push(&lk->waiters, &lk->nwaiters, &lk->capwaiters, p))
        return fail_oom(s);
    p->waiting = true;
    p->wait_site = st;
    p->wait_flags = flags;
    p->wait_since = ns;
    p->wait_acq_seq = lk->acq_seq;
    p->wait_read_seq = lk->read_seq;
    return 0;
}

/* Barging: consecutive acquisitions by one thread while others wait. */
static void track_run(struct ls_lock *lk, uint32_t thread, uint32_t site, uint64_t ns)
{
    if (!lk->nwaiters) {
        lk->run.thread = LOCKSTATS_NONE;
        return;
    }
    if (lk->run.thread == thread) {
        lk->run.length++;
        lk->run.end_ns = ns;
    } else {
        lk->run.thread = thread;
        lk->run.site = site;
        lk->run.waiter = lk->waiters[0]->key.thread;
        lk->run.length = 1;
        lk->run.start_ns = ns;
        lk->run.end_ns = ns;
    }
    if (lk->run.length > lk->row.barge.length)
        lk->row.barge = lk->run;
}

int lockstats_acquire(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                      unsigned flags, uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    struct ls_site *st;
    if (enter_site(s, ns, thread, lock, site, &lk, &p, &st))
        return -1;
    if (p->waiting && end_wait(s, p, ns))
        return fail_oom(s);
    if (p->depth && tracks_holds(lk)) {
        p->depth++; /* recursive re-lock, or another read hold or unit */
        return 0;
    }
    lk->acq_seq++;
    lk->row.c.acquisitions++;
    p->row.c.acquisitions++;
    if (flags & SWT_ACQ_READ) {
        lk->read_seq++;
        lk->row.read_acquisitions++;
    }
    bool owner_change = lk->last_acquirer != LOCKSTATS_NONE && lk->last_acquirer != thread;
    if (owner_change) {
        lk->row.c.owner_changes++;
        p->row.c.owner_changes++;
    }
    lk->last_acquirer = thread;
    track_run(lk, thread, site, ns);
    if (!tracks_holds(lk)) {
        count_site_acquisition(st, owner_change);
        return 0;
    }
    if (push(&lk->holders, &lk->nholders, &lk->capholders, p))
        return fail_oom(s);
    p->depth = 1;
    p->hold_site = st;
    p->hold_since = ns;
    p->hold_saw_waiter = lk->nwaiters > 0;
    /* The site's acquisition is counted when the hold ends (end_hold, or
     * lockstats_finish for holds open at the end), together with the hold
     * time: the site's entry is then touched once per hold, and its cache
     * miss, started here, overlaps with the events in between. */
    p->hold_owner_change = owner_change;
    __builtin_prefetch(st, 1);
    __builtin_prefetch((const char *)st + 64, 1);
    return 0;
}

int lockstats_fail(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                   unsigned flags, uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    struct ls_site *st;
    (void)flags;
    if (enter_site(s, ns, thread, lock, site, &lk, &p, &st))
        return -1;
    lk->row.c.failures++;
    p->row.c.failures++;
    st->row.c.failures++;
    if (p->waiting && end_wait(s, p, ns))
        return fail_oom(s);
    return 0;
}

int lockstats_release(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                      unsigned flags, uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    (void)flags;
    (void)site;
    if (enter(s, ns, thread, lock, &lk, &p))
        return -1;
    /* A release without a hold is misuse (or a hold from before the trace):
     * the misuse detector reports it; the statistics ignore it. */
    if (!p->depth)
        return 0;
    if (--p->depth == 0)
        end_hold(s, p, ns);
    return 0;
}

int lockstats_sem_post(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t sem,
                       uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    (void)site;
    if (enter(s, ns, thread, sem, &lk, &p))
        return -1;
    if (!tracks_holds(lk))
        return 0;
    /* A semaphore has no owner: the post ends the poster's own hold if it
     * has one, else the oldest hold (Python: a lock released by another
     * thread, as threading.Condition does). */
    struct ls_pair *h = p->depth ? p : lk->nholders ? lk->holders[0] : NULL;
    if (h && --h->depth == 0)
        end_hold(s, h, ns);
    return 0;
}

int lockstats_cond_wait(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t cond,
                        uint32_t mutex, uint32_t site)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    (void)cond;
    (void)site;
    if (enter(s, ns, thread, mutex, &lk, &p))
        return -1;
    p->in_cond = true;
    p->cond_since = ns;
    return 0;
}

int lockstats_cond_wake(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t cond,
                        uint32_t mutex, int err)
{
    struct ls_lock *lk;
    struct ls_pair *p;
    (void)cond;
    if (enter(s, ns, thread, mutex, &lk, &p))
        return -1;
    if (!p->in_cond)
        return 0;
    p->in_cond = false;
    uint64_t d = elapsed(p->cond_since, ns);
    p->row.cond_waits++;
    p->row.cond_wait_ns += d;
    lk->row.cond_waits++;
    lk->row.cond_wait_ns += d;
    if (err == ETIMEDOUT) {
        p->row.cond_timeouts++;
        lk->row.cond_timeouts++;
        lk->cond_timeout_ns += d;
    }
    return 0;
}

/* ---- the profile feed ---- */

int lockstats_add_slot(struct lockstats *s, uint32_t thread, uint32_t lock, uint32_t site,
                       const struct swt_stat_slot *slot)
{
    if (s->broken || s->finished)
        return -1;
    struct ls_lock *lk = get_lock(s, lock);
    struct ls_pair *p = lk ? get_pair(s, lk, thread) : NULL;
    struct ls_site *st = p ? get_site(s, lk, site) : NULL;
    if (!st)
        return fail_oom(s);
    lk->row.from_profile = true;
    add_slot(&lk->row.c, slot);
    add_slot(&p->row.c, slot);
    add_slot(&st->row.c, slot);
    /* The recorder's histogram is log2: put each bucket's count at the
     * middle of its range, kept inside the slot's exact min and max. */
    for (unsigned b = 0; b < SWT_HIST_BUCKETS; b++) {
        if (!slot->wait_hist[b])
            continue;
        uint64_t v = b ? (3ull << b) >> 1 : 0;
        if (v < slot->wait_min_ns)
            v = slot->wait_min_ns;
        if (slot->wait_max_ns && v > slot->wait_max_ns)
            v = slot->wait_max_ns;
        if (hist_add(&p->hist, v, slot->wait_hist[b]) || hist_add(&st->hist, v, slot->wait_hist[b]))
            return fail_oom(s);
    }
    return 0;
}

/* ---- finishing ---- */

/* CPython's GIL: the condvar pattern of model_gil_pattern (the one rule),
 * with the wait times this accumulator measured; lockstats_is_gil adds
 * that the process is Python. */
static bool looks_like_gil(const struct ls_lock *lk)
{
    const struct lockstats_lock_row *r = &lk->row;
    struct model_gil_evidence e = {
        .waiter_threads = r->cond_threads,
        .waits = r->cond_waits,
        .timeouts = r->cond_timeouts,
        .timed = true,
        .timeout_ns = lk->cond_timeout_ns,
    };
    return model_gil_pattern(&e);
}

static void percentiles(const struct ls_hist *h, const struct lockstats_counts *c,
                        struct lockstats_dist *d)
{
    d->max_ns = c->wait_max_ns;
    if (!h)
        return;
    uint64_t n = 0;
    for (unsigned b = 0; b < LOCKSTATS_HIST_BUCKETS; b++)
        n += h->n[b];
    d->count = n;
    if (!n)
        return;
    /* The smallest value with at least q of the waits at or below it. */
    uint64_t rank50 = (n * 50 + 99) / 100, rank99 = (n * 99 + 99) / 100, seen = 0;
    bool got50 = false;
    for (unsigned b = 0; b < LOCKSTATS_HIST_BUCKETS; b++) {
        seen += h->n[b];
        /* The middle of the bucket: within 1/16 of any value in it. */
        uint64_t lo = b ? lockstats_hist_upper(b - 1) + 1 : 0, hi = lockstats_hist_upper(b);
        uint64_t v = lo + (hi - lo) / 2;
        if (v > c->wait_max_ns)
            v = c->wait_max_ns;
        if (v < c->wait_min_ns)
            v = c->wait_min_ns;
        if (!got50 && seen >= rank50) {
            d->p50_ns = v;
            got50 = true;
        }
        if (seen >= rank99) {
            d->p99_ns = v;
            break;
        }
    }
}

static int cmp_thread_row(const void *a, const void *b)
{
    uint32_t x = (*(const struct lockstats_thread_row *const *)a)->thread;
    uint32_t y = (*(const struct lockstats_thread_row *const *)b)->thread;
    return x < y ? -1 : x > y;
}

static int cmp_site_row(const void *a, const void *b)
{
    uint32_t x = (*(const struct lockstats_site_row *const *)a)->site;
    uint32_t y = (*(const struct lockstats_site_row *const *)b)->site;
    return x < y ? -1 : x > y;
}

static int cmp_lock_row(const void *a, const void *b)
{
    uint32_t x = (*(const struct lockstats_lock_row *const *)a)->lock;
    uint32_t y = (*(const struct lockstats_lock_row *const *)b)->lock;
    return x < y ? -1 : x > y;
}

static int build_rows(struct lockstats *s)
{
    struct ls_lock *lk, *lktmp;
    struct ls_pair *p;
    struct ls_site *st;
    size_t nlocks = HASH_COUNT(s->locks);
    s->lock_rows = calloc(nlocks ? nlocks : 1, sizeof(*s->lock_rows));
    if (!s->lock_rows)
        return -1;
    HASH_ITER(hh, s->locks, lk, lktmp) {
        s->lock_rows[s->nlock_rows++] = &lk->row;
        lk->row.nthreads = 0;
        lk->row.nsites = 0;
    }
    for (p = s->pairs; p; p = p->next)
        p->lk->row.nthreads++;
    for (st = s->sites; st; st = st->next)
        st->lk->row.nsites++;
    HASH_ITER(hh, s->locks, lk, lktmp) {
        lk->thread_rows = calloc(lk->row.nthreads + 1, sizeof(*lk->thread_rows));
        lk->site_rows = calloc(lk->row.nsites + 1, sizeof(*lk->site_rows));
        if (!lk->thread_rows || !lk->site_rows)
            return -1;
        lk->row.nthreads = 0;
        lk->row.nsites = 0;
    }
    for (p = s->pairs; p; p = p->next)
        p->lk->thread_rows[p->lk->row.nthreads++] = &p->row;
    for (st = s->sites; st; st = st->next)
        st->lk->site_rows[st->lk->row.nsites++] = &st->row;
    HASH_ITER(hh, s->locks, lk, lktmp) {
        qsort(lk->thread_rows, lk->row.nthreads, sizeof(*lk->thread_rows), cmp_thread_row);
        qsort(lk->site_rows, lk->row.nsites, sizeof(*lk->site_rows), cmp_site_row);
        lk->row.threads = lk->thread_rows;
        lk->row.sites = lk->site_rows;
    }
    qsort(s->lock_rows, s->nlock_rows, sizeof(*s->lock_rows), cmp_lock_row);
    return 0;
}

int lockstats_finish(struct lockstats *s, uint64_t end_ns)
{
    if (s->broken || s->finished)
        return -1;
    s->finished = true;
    struct ls_lock *lk, *lktmp;
    struct ls_pair *p;
    HASH_ITER(hh, s->locks, lk, lktmp) charge(lk, end_ns);
    for (p = s->pairs; p; p = p->next) {
        if (p->waiting) {
            p->row.waiting_at_end = true;
            p->lk->row.waiting_at_end++;
            judge_starvation(s, p, elapsed(p->wait_since, end_ns), true);
        }
        p->row.holding_at_end = p->depth > 0;
        if (p->depth)
            count_site_acquisition(p->hold_site, p->hold_owner_change);
        if (p->row.cond_waits)
            p->lk->row.cond_threads++;
        percentiles(p->hist, &p->row.c, &p->row.wait);
    }
    for (struct ls_site *st = s->sites; st; st = st->next)
        percentiles(st->hist, &st->row.c, &st->row.wait);
    HASH_ITER(hh, s->locks, lk, lktmp) lk->row.gil = looks_like_gil(lk);
    if (build_rows(s)) {
        s->broken = true;
        return -1;
    }
    return 0;
}

const struct lockstats_lock_row *const *lockstats_locks(const struct lockstats *s, size_t *n)
{
    *n = s->finished && !s->broken ? s->nlock_rows : 0;
    return s->lock_rows;
}

const struct lockstats_lock_row *lockstats_lock(const struct lockstats *s, uint32_t lock)
{
    if (!s->finished || s->broken)
        return NULL;
    struct ls_lock *lk;
    HASH_FIND(hh, s->locks, &lock, sizeof(lock), lk);
    return lk ? &lk->row : NULL;
}
