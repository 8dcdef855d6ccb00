/* The lock path of the recorder: identity, sites, acquisitions and
 * releases, the held list, profile counters, lock-order edges, and the
 * condvar/semaphore/barrier records.  Everything here runs between
 * rec_enter and rec_leave on the program's lock/unlock path: no malloc, no
 * stdio, no interposed lock, no system call except on rare first sights. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <string.h>

#include "common/trace_encode.h"
#include "preload/lock_table.h"
#include "preload/maps.h"
#include "preload/rec_internal.h"
#include "preload/stacks.h"
#include "preload/trace_file.h"

/* Flags that tell edges apart (a contended and an uncontended acquisition
 * are the same edge). */
#define EDGE_FLAG_MASK                                                                       \
    (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY | SWT_ACQ_TIMED | SWT_ACQ_COND | SWT_ACQ_C11 | \
     SWT_ACQ_SPIN)
#define SITE_RECHECK_LIMIT 4096u
#define AMBIGUOUS UINT32_MAX

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

static inline uint64_t ticks_to_ns(uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)ticks * rec_g.hdr->tick_ns_q32) >> 32);
}

/* ---- sites ---- */

static uint32_t capture_site_body(struct rec_thread *t, const void *ret)
{
    uintptr_t ips[STACKS_MAX_DEPTH];
    unsigned n = stacks_unwind(ips, rec_g.cfg.stack_depth, ret);
    if (!n)
        return SWT_NO_SITE;
    int fresh;
    uint32_t id = stacks_intern(ips, n, &fresh);
    if (fresh) {
        uint8_t blob[STACKS_MAX_DEPTH * 10];
        uint8_t *p = blob;
        for (unsigned i = 0; i < n; i++)
            p = swt_put_varint(p, ips[i]);
        uint64_t f[2] = {id, n};
        rec_write_ext(t, SWT_REC_STACK, rec_now(), f, 2, blob, (size_t)(p - blob));
    }
    return id;
}

/* Keeps errno: libunwind and the first STACK record may make system calls. */
__attribute__((noinline)) static uint32_t capture_site(struct rec_thread *t, const void *ret)
{
    int saved = errno;
    uint32_t id = capture_site_body(t, ret);
    errno = saved;
    return id;
}

/* Return addresses known process-wide: a new thread's first call at a
 * known site then needs no unwind (the first unwind in each thread costs
 * libunwind ~20 locks and ~100 sigprocmask calls, design fact 6).  One
 * 64-bit word per address: the site in the high half, in the low half how
 * many first calls in different threads saw that same stack (or
 * GSITE_AMBIGUOUS). */
#define GSITE_SLOTS (1u << 14)
#define GSITE_TRUST 8u
#define GSITE_AMBIGUOUS 0xffffffffu
static struct {
    uintptr_t ret;
    uint64_t word;
} gsites[GSITE_SLOTS];

static uint64_t *gsite_word(uintptr_t r)
{
    uint32_t i = (uint32_t)((r * 0x9e3779b97f4a7c15ull) >> 50) & (GSITE_SLOTS - 1);
    for (uint32_t n = 0; n < 64; n++, i = (i + 1) & (GSITE_SLOTS - 1)) {
        uintptr_t cur = __atomic_load_n(&gsites[i].ret, __ATOMIC_ACQUIRE);
        if (cur == r)
            return &gsites[i].word;
        if (cur == 0) {
            uintptr_t expect = 0;
            if (__atomic_compare_exchange_n(&gsites[i].ret, &expect, r, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE) ||
                expect == r)
                return &gsites[i].word;
        }
    }
    return NULL;
}

/* Adds one thread's observation (site, or ambiguous) to the shared word. */
static void gsite_note(uint64_t *w, uint32_t site, int ambiguous)
{
    if (!w)
        return;
    uint64_t cur = __atomic_load_n(w, __ATOMIC_RELAXED), next;
    do {
        uint32_t seen = (uint32_t)cur;
        if (seen == GSITE_AMBIGUOUS)
            return;
        if (ambiguous || (seen && (uint32_t)(cur >> 32) != site))
            next = GSITE_AMBIGUOUS;
        else
            next = ((uint64_t)site << 32) | (seen < GSITE_TRUST ? seen + 1 : seen);
    } while (!__atomic_compare_exchange_n(w, &cur, next, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

void rec_sites_fork_child(void) { memset(gsites, 0, sizeof gsites); }

__attribute__((noinline)) static uint32_t site_miss(struct rec_thread *t,
                                                    struct rec_site_entry *e, const void *ret)
{
    uintptr_t r = (uintptr_t)ret;
    uint64_t *w = gsite_word(r);
    uint64_t word = w ? __atomic_load_n(w, __ATOMIC_RELAXED) : 0;
    e->ret = r;
    if ((uint32_t)word == GSITE_AMBIGUOUS) {
        e->hits = AMBIGUOUS;
        return capture_site(t, ret);
    }
    if ((uint32_t)word >= GSITE_TRUST) {
        /* Verified in enough threads: no unwind, and no re-checks here. */
        e->site = (uint32_t)(word >> 32);
        e->hits = SITE_RECHECK_LIMIT + 1;
        return e->site;
    }
    uint32_t site = capture_site(t, ret);
    e->site = site;
    e->hits = 1;
    gsite_note(w, site, 0);
    return site;
}

uint32_t rec_site(struct rec_thread *t, const void *ret)
{
    if (!rec_g.cfg.stack_depth || !t)
        return SWT_NO_SITE;
    uintptr_t r = (uintptr_t)ret;
    struct rec_site_entry *e = &t->sites[(r * 0x9e3779b97f4a7c15ull) >> 55 & (REC_SITE_CACHE - 1)];
    if (__builtin_expect(e->ret == r, 1)) {
        if (e->hits == AMBIGUOUS)
            return capture_site(t, ret);
        uint32_t h = ++e->hits;
        if (__builtin_expect((h & (h - 1)) != 0 || h > SITE_RECHECK_LIMIT, 1))
            return e->site;
        /* Re-check: does this return address always come with one stack? */
        uint32_t site = capture_site(t, ret);
        if (site != e->site) {
            e->hits = AMBIGUOUS;
            gsite_note(gsite_word(r), site, 1);
        }
        return site;
    }
    return site_miss(t, e, ret);
}

int rec_skip_caller(struct rec_thread *t, const void *ret)
{
    return t->exited && stacks_is_unwinder((uintptr_t)ret);
}

uint32_t rec_release_site(struct rec_thread *t, const void *ret)
{
    return rec_tracing() ? rec_site(t, ret) : SWT_NO_SITE;
}

/* ---- lock identity ---- */

/* Finds out whether a lock first seen without init lives in shared
 * memory, from glibc 2.36's object layouts (fields read, never written). */
static unsigned peek_pshared(const void *addr, unsigned kind)
{
    switch (kind) {
    case SWT_KIND_MUTEX: {
        int k = ((const pthread_mutex_t *)addr)->__data.__kind;
        return k >= 0 && (k & 128) ? SWT_LOCK_PSHARED : 0; /* -1: destroyed */
    }
    case SWT_KIND_RWLOCK:
        return ((const pthread_rwlock_t *)addr)->__data.__shared ? SWT_LOCK_PSHARED : 0;
    case SWT_KIND_SEM: {
        /* struct new_sem { uint64_t data; int private; int pad; }: private is
         * 0 (FUTEX_SHARED) for a process-shared semaphore. */
        const int *priv = (const int *)((const char *)addr + 8);
        return *priv == 0 ? SWT_LOCK_PSHARED : 0;
    }
    case SWT_KIND_SEM_NAMED:
        return SWT_LOCK_PSHARED;
    default:
        return 0;
    }
}

static void announce(struct rec_thread *t, uint32_t id, uint32_t site, uint64_t value,
                     const char *name, int fresh_maps)
{
    struct lt_info *in = lt_info(id);
    if (!in)
        return;
    uint64_t dev = 0, ino = 0, off = 0;
    if (in->lock_flags & SWT_LOCK_PSHARED) {
        int r = fresh_maps ? maps_resolve_fresh(in->addr, &dev, &ino, &off)
                           : maps_resolve(in->addr, &dev, &ino, &off);
        if (r != 0)
            dev = ino = off = 0;
    }
    uint64_t f[11] = {id,  in->meta & LT_META_KIND_MASK, in->type, in->lock_flags, in->addr,
                      in->generation, site, dev, ino, off, value};
    rec_write_ext(t, SWT_REC_LOCK_NEW, rec_now(), f, 11, name, name ? strlen(name) : 0);
    /* Kept current (not only at exit) so a killed process's header says it. */
    uint32_t used = lt_ids_used(), cur = rec_g.hdr->locks_registered;
    while (cur < used && !__atomic_compare_exchange_n(&rec_g.hdr->locks_registered, &cur, used, 0,
                                                      __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

uint32_t rec_lock_init(struct rec_thread *t, const void *addr, const struct rec_lock_attr *a,
                       uint32_t site)
{
    if (!t || !addr || !a)
        return 0;
    uint32_t id = lt_renew((uintptr_t)addr, a->kind);
    struct lt_info *in = lt_info(id);
    if (!in)
        return 0;
    in->type = (uint8_t)a->type;
    in->lock_flags = (uint8_t)a->flags;
    if ((a->kind == SWT_KIND_SEM || a->kind == SWT_KIND_SEM_NAMED) && a->value != 1)
        in->meta |= LT_META_NOHOLD; /* a counting semaphore is not owned */
    if (lt_claim_announce(id))
        announce(t, id, site, a->value, a->name, 1);
    return id;
}

static uint32_t lock_id_slow_body(struct rec_thread *t, const void *addr, unsigned kind);

/* Keeps errno: a first sight may read /proc/self/maps or start a chunk. */
__attribute__((noinline)) static uint32_t lock_id_slow(struct rec_thread *t, const void *addr,
                                                      unsigned kind)
{
    int saved = errno;
    uint32_t id = lock_id_slow_body(t, addr, kind);
    errno = saved;
    return id;
}

static uint32_t lock_id_slow_body(struct rec_thread *t, const void *addr, unsigned kind)
{
    if (!addr)
        return 0; /* the real call will fail or crash as it would without us */
    int fresh;
    uint32_t id = lt_lookup((uintptr_t)addr, kind, &fresh);
    if (!fresh) {
        struct lt_info *in = lt_info(id);
        if (!in || in->announced_epoch == lt_epoch)
            return id;
        /* Inherited from the parent across fork: this trace needs it too. */
        if (lt_claim_announce(id))
            announce(t, id, SWT_NO_SITE, 0, NULL, 0);
        return id;
    }
    struct lt_info *in = lt_info(id);
    in->lock_flags = (uint8_t)(SWT_LOCK_STATIC | peek_pshared(addr, kind));
    if (kind == SWT_KIND_RWLOCK) {
        /* Static initialisers set the preference in __flags: 0 reader,
         * 1 writer, 2 writer non-recursive (glibc 2.36). */
        unsigned f = ((const pthread_rwlock_t *)addr)->__data.__flags;
        in->type = f == 1   ? SWT_TYPE_RW_PREFER_WRITER
                   : f == 2 ? SWT_TYPE_RW_PREFER_WRITER_NONREC
                            : SWT_TYPE_RW_PREFER_READER;
    }
    if (kind == SWT_KIND_MUTEX) {
        /* Static initialisers set the type in __kind: PTHREAD_MUTEX_*_NP
         * in the low bits, 16 for robust. */
        int k = ((const pthread_mutex_t *)addr)->__data.__kind;
        static const uint8_t types[4] = {SWT_TYPE_DEFAULT, SWT_TYPE_RECURSIVE,
                                         SWT_TYPE_ERRORCHECK, SWT_TYPE_ADAPTIVE};
        if (k >= 0) { /* glibc marks a destroyed mutex with kind -1 */
            in->type = types[k & 3];
            if (k & 16)
                in->lock_flags |= SWT_LOCK_ROBUST;
        }
    }
    if (lt_claim_announce(id))
        announce(t, id, SWT_NO_SITE, 0, NULL, 0);
    return id;
}

uint32_t rec_lock_id(struct rec_thread *t, const void *addr, unsigned kind)
{
    uint32_t id = lt_lookup_fast((uintptr_t)addr);
    if (__builtin_expect(id != 0 && lt_infos[id].announced_epoch == lt_epoch, 1))
        return id;
    return lock_id_slow(t, addr, kind);
}

void rec_lock_destroy(struct rec_thread *t, uint32_t lock, uint32_t site, int err)
{
    if (!t || !lock)
        return;
    if (err == 0)
        lt_forget(lock);
    uint64_t f[3] = {lock, site, (uint64_t)(uint32_t)err};
    rec_write_core(t, SWT_REC_DESTROY, rec_now(), f, 3);
}

void rec_locks_announce_held(struct rec_thread *t)
{
    struct swt_thread_block *b = t->blk;
    for (uint32_t i = 0; i < b->nheld && i < SWT_MAX_HELD; i++)
        if (lt_claim_announce(b->held[i].lock))
            announce(t, b->held[i].lock, SWT_NO_SITE, 0, NULL, 0);
}

void rec_locks_thread_reset(struct rec_thread *t)
{
    memset(t->held_slot, 0, sizeof t->held_slot);
    memset(t->edges, 0, sizeof t->edges);
    t->edge_used = 0;
    memset(t->sites, 0, sizeof t->sites);
}

/* ---- profile counters ---- */

static inline uint32_t stat_hash(uint32_t lock, uint32_t site)
{
    return (lock * 0x9e3779b1u) ^ (site * 0x85ebca77u);
}

/* First probe position: multiply-shift instead of h % cap (no division
 * on the hot path). */
static inline uint32_t stat_pos(uint32_t h, uint32_t cap)
{
    return (uint32_t)(((uint64_t)h * cap) >> 32);
}

static struct swt_stat_slot *stat_slot_slow_body(struct rec_thread *t, uint32_t lock,
                                                 uint32_t site);

/* Keeps errno: a full table maps a STATS chunk. */
__attribute__((noinline)) static struct swt_stat_slot *stat_slot_slow(struct rec_thread *t,
                                                                       uint32_t lock,
                                                                       uint32_t site)
{
    int saved = errno;
    struct swt_stat_slot *s = stat_slot_slow_body(t, lock, site);
    errno = saved;
    return s;
}

static struct swt_stat_slot *stat_slot_slow_body(struct rec_thread *t, uint32_t lock,
                                                 uint32_t site)
{
    uint32_t h = stat_hash(lock, site);
    for (uint32_t i = 0;; i++) {
        if (i == t->nstat_tables) {
            if (i == REC_STAT_TABLES)
                return NULL;
            uint8_t *c = tf_chunk_new(SWT_CHUNK_STATS, t->index, i - 1, t->tid, 0);
            if (!c)
                return NULL;
            t->st[i].slots = (struct swt_stat_slot *)(c + sizeof(struct swt_chunk_header));
            t->st[i].cap = (uint32_t)((tf_chunk_size() - sizeof(struct swt_chunk_header)) /
                                      sizeof(struct swt_stat_slot));
            t->st[i].used = 0;
            t->nstat_tables = i + 1;
        }
        struct rec_stat_table *tab = &t->st[i];
        uint32_t cap = tab->cap;
        uint32_t j = stat_pos(h, cap);
        for (uint32_t n = 0; n < cap; n++) {
            struct swt_stat_slot *s = &tab->slots[j];
            if (s->lock == lock && s->site == site)
                return s;
            if (s->lock == 0) {
                if (tab->used >= cap - cap / 4)
                    break; /* full enough: new keys go to the next table */
                tab->used++;
                s->site = site;
                __atomic_store_n(&s->lock, lock, __ATOMIC_RELEASE);
                return s;
            }
            if (++j == cap)
                j = 0;
        }
    }
}

static inline struct swt_stat_slot *stat_slot(struct rec_thread *t, uint32_t lock, uint32_t site)
{
    struct swt_stat_slot *s = &t->st[0].slots[stat_pos(stat_hash(lock, site), t->st[0].cap)];
    if (__builtin_expect(s->lock == lock && s->site == site, 1))
        return s;
    return stat_slot_slow(t, lock, site);
}

/* ---- held list ---- */

static inline void clear_wait(struct swt_thread_block *b)
{
    __atomic_store_n(&b->waiting_lock, 0, __ATOMIC_RELEASE);
}


static inline int held_find(const struct swt_thread_block *b, uint32_t lock)
{
    uint32_t n = b->nheld;
    for (uint32_t i = n; i-- > 0;)
        if (b->held[i].lock == lock)
            return (int)i;
    return -1;
}

static inline int is_sem(uint32_t lock)
{
    struct lt_info *in = lt_info(lock);
    unsigned kind = in ? in->meta & LT_META_KIND_MASK : 0;
    return kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED;
}

static inline void held_remove(struct rec_thread *t, int idx)
{
    struct swt_thread_block *b = t->blk;
    uint32_t n = b->nheld;
    if (t->sem_holds && is_sem(b->held[idx].lock))
        t->sem_holds--;
    if (__builtin_expect((uint32_t)idx == n - 1, 1)) {
        /* Entries past nheld are not read: no need to clear. */
        __atomic_store_n(&b->nheld, n - 1, __ATOMIC_RELEASE);
        return;
    }
    for (uint32_t i = (uint32_t)idx; i + 1 < n; i++) {
        b->held[i] = b->held[i + 1];
        t->held_slot[i] = t->held_slot[i + 1];
        t->held_posts[i] = t->held_posts[i + 1];
    }
    memset(&b->held[n - 1], 0, sizeof b->held[0]);
    __atomic_store_n(&b->nheld, n - 1, __ATOMIC_RELEASE);
}

/* Drops this thread's semaphore holds that another thread's post ended
 * (CPython releases a threading.Lock from any thread, design fact 16), so
 * that they make no lock-order edges and are not reported as held. */
__attribute__((noinline)) static void prune_foreign_posts(struct rec_thread *t)
{
    struct swt_thread_block *b = t->blk;
    for (uint32_t i = b->nheld; i-- > 0;) {
        uint32_t lock = b->held[i].lock;
        if (is_sem(lock) && lt_info(lock)->foreign_posts != t->held_posts[i])
            held_remove(t, (int)i);
    }
}

void rec_locks_prune(struct rec_thread *t)
{
    if (t->sem_holds)
        prune_foreign_posts(t);
}

unsigned rec_held_flags(struct rec_thread *t, uint32_t lock)
{
    if (!t || !lock)
        return 0;
    int i = held_find(t->blk, lock);
    return i < 0 ? 0 : t->blk->held[i].flags;
}

/* ---- edges ---- */

/* 1 if key was already in the thread's set. */
static int edge_seen(struct rec_thread *t, uint64_t key)
{
    if (t->edge_used >= REC_EDGE_SET - REC_EDGE_SET / 4) {
        /* Forgetting only costs duplicate EDGE records, which the analyzer
         * merges. */
        memset(t->edges, 0, sizeof t->edges);
        t->edge_used = 0;
    }
    uint32_t i = (uint32_t)(key >> 40) & (REC_EDGE_SET - 1);
    for (;;) {
        if (t->edges[i] == key)
            return 1;
        if (t->edges[i] == 0) {
            t->edges[i] = key;
            t->edge_used++;
            return 0;
        }
        i = (i + 1) & (REC_EDGE_SET - 1);
    }
}

__attribute__((noinline)) static void emit_edges(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    const struct swt_thread_block *b = t->blk;
    uint32_t n = b->nheld < SWT_MAX_HELD ? b->nheld : SWT_MAX_HELD;
    uint64_t set_hash = 0;
    for (uint32_t i = 0; i < n; i++)
        set_hash += mix64(b->held[i].lock);
    unsigned to_flags = flags & EDGE_FLAG_MASK;
    for (uint32_t i = 0; i < n; i++) {
        const struct swt_held *h = &b->held[i];
        if (h->lock == lock)
            continue;
        uint64_t ef = SWT_EDGE_FLAGS(h->flags & EDGE_FLAG_MASK, to_flags);
        uint64_t key = mix64(set_hash ^ mix64(((uint64_t)h->lock << 32) | lock) ^
                             (ef * 0x9e3779b97f4a7c15ull)) |
                       1;
        if (edge_seen(t, key))
            continue;
        uint8_t blob[SWT_MAX_HELD * 5];
        uint8_t *p = blob;
        for (uint32_t k = 0; k < n; k++)
            if (k != i && b->held[k].lock != lock)
                p = swt_put_varint(p, b->held[k].lock);
        uint64_t f[5] = {h->lock, lock, ef, h->site, site};
        rec_write_ext(t, SWT_REC_EDGE, rec_now(), f, 5, blob, (size_t)(p - blob));
    }
}

/* ---- acquisitions and releases ---- */

void rec_wait(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (!t || !lock)
        return;
    uint64_t now = rec_now();
    struct swt_thread_block *b = t->blk;
    b->waiting_flags = flags;
    b->waiting_site = site;
    b->waiting_since_ticks = now;
    __atomic_store_n(&b->waiting_lock, lock, __ATOMIC_RELEASE);
    if (rec_tracing())
        rec_write3(t, SWT_REC_WAIT, now, lock, flags, site);
}

/* A lock this thread already holds was acquired again: a recursive mutex
 * or a read re-lock deepens the hold; a binary semaphore's old hold was
 * ended by another thread's post (any thread may post).  Returns 1 when
 * handled, 0 when the caller records a new hold. */
__attribute__((noinline)) static int acquire_again(struct rec_thread *t, int i, uint32_t lock,
                                                   uint32_t meta, unsigned flags, uint32_t site)
{
    struct swt_thread_block *b = t->blk;
    unsigned kind = meta & LT_META_KIND_MASK;
    if (kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED) {
        held_remove(t, i);
        return 0;
    }
    b->held[i].depth++;
    flags |= SWT_ACQ_RECURSIVE;
    if (b->waiting_lock == lock)
        clear_wait(b);
    if (rec_tracing()) {
        uint64_t f[3] = {lock, flags, site};
        rec_write_core(t, SWT_REC_ACQUIRE, rec_now(), f, 3);
    }
    return 1;
}

__attribute__((noinline)) static void count_wait(struct rec_thread *t, struct swt_stat_slot *s,
                                                 uint64_t now)
{
    struct swt_thread_block *b = t->blk;
    uint64_t ns = ticks_to_ns(now - b->waiting_since_ticks);
    clear_wait(b);
    if (!s)
        return;
    s->contentions++;
    s->wait_total_ns += ns;
    if (s->contentions == 1 || ns < s->wait_min_ns)
        s->wait_min_ns = ns;
    if (ns > s->wait_max_ns)
        s->wait_max_ns = ns;
    s->wait_hist[swt_hist_bucket(ns)]++;
}

void rec_acquired(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (__builtin_expect(!t || !lock || lock >= LT_MAX_IDS, 0))
        return;
    struct swt_thread_block *b = t->blk;
    struct lt_info *in = &lt_infos[lock];
    uint32_t meta = in->meta;
    if (t->sem_holds)
        prune_foreign_posts(t);
    uint32_t n = b->nheld;
    if (n && !(meta & LT_META_NOHOLD)) {
        int i = held_find(b, lock);
        if (i >= 0 && acquire_again(t, i, lock, meta, flags, site))
            return;
        n = b->nheld;
    }
    int tracing = rec_tracing();
    int waited = b->waiting_lock == lock;
    uint64_t now = 0;
    if (tracing || waited) {
        now = rec_now();
    } else if (__builtin_expect(--t->hold_countdown == 0, 0)) {
        t->hold_countdown = rec_g.cfg.hold_sample;
        now = rec_now();
    }
    struct swt_stat_slot *s = stat_slot(t, lock, site);
    if (__builtin_expect(s != NULL, 1))
        s->acquisitions++;
    if (waited) {
        flags |= SWT_ACQ_CONTENDED;
        count_wait(t, s, now);
    }
    uint32_t prev = in->last_owner;
    if (prev != t->index) {
        if (prev && s)
            s->owner_changes++;
        in->last_owner = t->index;
    }
    if (n)
        emit_edges(t, lock, flags, site);
    if (!(meta & LT_META_NOHOLD)) {
        if (__builtin_expect(n < SWT_MAX_HELD, 1)) {
            struct swt_held *h = &b->held[n];
            h->lock = lock;
            h->flags = flags & ~(unsigned)SWT_ACQ_CONTENDED;
            h->site = site;
            h->depth = 1;
            h->since_ticks = now;
            t->held_slot[n] = s;
            unsigned kind = meta & LT_META_KIND_MASK;
            if (kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED) {
                t->held_posts[n] = __atomic_load_n(&in->foreign_posts, __ATOMIC_RELAXED);
                t->sem_holds++;
            }
            __atomic_store_n(&b->nheld, n + 1, __ATOMIC_RELEASE);
        } else {
            b->held_overflow++;
        }
    }
    if (tracing)
        rec_write3(t, SWT_REC_ACQUIRE, now, lock, flags, site);
}

void rec_failed(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site, int err)
{
    if (!t || !lock)
        return;
    struct swt_thread_block *b = t->blk;
    if (b->waiting_lock == lock)
        clear_wait(b);
    struct swt_stat_slot *s = stat_slot(t, lock, site);
    if (s)
        s->failures++;
    if (rec_tracing()) {
        uint64_t f[4] = {lock, flags, site, (uint64_t)(uint32_t)err};
        rec_write_core(t, SWT_REC_FAIL, rec_now(), f, 4);
    }
}

__attribute__((noinline)) static uint64_t count_hold(struct swt_stat_slot *s, uint64_t since)
{
    uint64_t now = rec_now();
    if (s) {
        uint64_t ns = ticks_to_ns(now - since);
        s->hold_samples++;
        s->hold_total_ns += ns;
        if (s->hold_samples == 1 || ns < s->hold_min_ns)
            s->hold_min_ns = ns;
        if (ns > s->hold_max_ns)
            s->hold_max_ns = ns;
    }
    return now;
}

void rec_released(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (!t || !lock)
        return;
    struct swt_thread_block *b = t->blk;
    uint64_t now = 0;
    int i = b->nheld ? held_find(b, lock) : -1;
    if (i >= 0) {
        struct swt_held *h = &b->held[i];
        flags |= h->flags & (SWT_ACQ_READ | SWT_ACQ_WRITE);
        if (h->depth > 1) {
            h->depth--;
            flags |= SWT_ACQ_RECURSIVE;
        } else {
            if (h->since_ticks)
                now = count_hold(t->held_slot[i], h->since_ticks);
            held_remove(t, i);
        }
    } else if (b->held_overflow) {
        b->held_overflow--;
    }
    if (rec_tracing())
        rec_write3(t, SWT_REC_RELEASE, now ? now : rec_now(), lock, flags, site);
}

/* ---- condition variables, semaphores, barriers ---- */

void rec_cond_wait(struct rec_thread *t, uint32_t cond, uint32_t mutex, uint32_t site)
{
    if (!t || !cond)
        return;
    uint64_t now = rec_now();
    struct swt_thread_block *b = t->blk;
    b->waiting_flags = SWT_ACQ_COND;
    b->waiting_site = site;
    b->waiting_since_ticks = now;
    __atomic_store_n(&b->waiting_lock, cond, __ATOMIC_RELEASE);
    if (rec_tracing()) {
        uint64_t f[3] = {cond, mutex, site};
        rec_write_core(t, SWT_REC_COND_WAIT, now, f, 3);
    }
}

void rec_cond_wake(struct rec_thread *t, uint32_t cond, uint32_t mutex, int err)
{
    if (!t || !cond)
        return;
    struct swt_thread_block *b = t->blk;
    if (b->waiting_lock == cond)
        clear_wait(b);
    if (rec_tracing()) {
        uint64_t f[3] = {cond, mutex, (uint64_t)(uint32_t)err};
        rec_write_core(t, SWT_REC_COND_WAKE, rec_now(), f, 3);
    }
}

void rec_cond_signal(struct rec_thread *t, uint32_t cond, unsigned flags, uint32_t site)
{
    if (!t || !cond || !rec_tracing())
        return;
    uint64_t f[3] = {cond, flags, site};
    rec_write_core(t, SWT_REC_COND_SIGNAL, rec_now(), f, 3);
}

/* A post ends this thread's hold of a binary semaphore, or, posted by a
 * thread that does not hold it, ends the holder's (counted in the lock's
 * foreign_posts, which the holder checks). */
void rec_sem_post(struct rec_thread *t, uint32_t sem, uint32_t site, long value)
{
    if (!t || !sem)
        return;
    struct swt_thread_block *b = t->blk;
    int i = b->nheld ? held_find(b, sem) : -1;
    uint64_t now = 0;
    if (i >= 0) {
        if (b->held[i].since_ticks)
            now = count_hold(t->held_slot[i], b->held[i].since_ticks);
        held_remove(t, i);
    } else {
        struct lt_info *in = lt_info(sem);
        if (in && !(in->meta & LT_META_NOHOLD))
            __atomic_fetch_add(&in->foreign_posts, 1, __ATOMIC_RELAXED);
    }
    if (rec_tracing()) {
        uint64_t f[3] = {sem, site, value >= 0 ? (uint64_t)value + 1 : 0};
        rec_write_core(t, SWT_REC_SEM_POST, now ? now : rec_now(), f, 3);
    }
}

void rec_barrier_wait(struct rec_thread *t, uint32_t barrier, uint32_t site)
{
    if (!t || !barrier)
        return;
    uint64_t now = rec_now();
    struct swt_thread_block *b = t->blk;
    b->waiting_flags = 0;
    b->waiting_site = site;
    b->waiting_since_ticks = now;
    __atomic_store_n(&b->waiting_lock, barrier, __ATOMIC_RELEASE);
    if (rec_tracing()) {
        uint64_t f[2] = {barrier, site};
        rec_write_core(t, SWT_REC_BARRIER_WAIT, now, f, 2);
    }
}

/* err is pthread_barrier_wait's result: 0, PTHREAD_BARRIER_SERIAL_THREAD
 * (recorded as 1, the one serial waiter) or an error number (glibc 2.36
 * returns none, so 1 is unambiguous in practice). */
void rec_barrier_done(struct rec_thread *t, uint32_t barrier, int err)
{
    if (!t || !barrier)
        return;
    if (err == PTHREAD_BARRIER_SERIAL_THREAD)
        err = 1;
    struct swt_thread_block *b = t->blk;
    if (b->waiting_lock == barrier)
        clear_wait(b);
    if (rec_tracing()) {
        uint64_t f[2] = {barrier, (uint64_t)(uint32_t)err};
        rec_write_core(t, SWT_REC_BARRIER_DONE, rec_now(), f, 2);
    }
}
