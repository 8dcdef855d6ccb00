/* The lock path of the recorder: acquisitions and releases, the held
 * list, profile counters, lock-order edges, and the condvar/semaphore/
 * barrier records (identity is in rec_ids.c, call sites in rec_sites.c).  Everything here runs between
 * rec_enter and rec_leave on the program's lock/unlock path: no malloc, no
 * stdio, no interposed lock, no system call except on rare first sights. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "common/trace_encode.h"
#include "preload/lock_table.h"
#include "preload/rec_internal.h"
#include "preload/rec_sites.h"
#include "preload/trace_file.h"

/* Flags that tell edges apart (a contended and an uncontended acquisition
 * are the same edge). */
#define EDGE_FLAG_MASK                                                                       \
    (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY | SWT_ACQ_TIMED | SWT_ACQ_COND | SWT_ACQ_C11 | \
     SWT_ACQ_SPIN)

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

void rec_locks_thread_reset(struct rec_thread *t)
{
    memset(t->held_slot, 0, sizeof t->held_slot);
    for (uint32_t i = 0; i < t->nmore; i++)
        t->more[i].slot = NULL; /* the parent's counters */
    memset(t->edges, 0, sizeof t->edges);
    t->edge_used = 0;
    memset(t->sites, 0, sizeof t->sites);
    memset(t->memo, 0, sizeof t->memo);
    rec_sites_thread_reset();
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

/* Every table is full (REC_STAT_TABLES of them, ~3,500 (lock, site) pairs)
 * or no STATS chunk could be had: the operation is counted in the thread's
 * SWT_STAT_UNCOUNTED slot, so the trace says exactly how much is not
 * attributed to a lock.  The THREAD block's table is never filled beyond
 * three quarters, so it always has a free slot for it. */
static struct swt_stat_slot *uncounted_slot(struct rec_thread *t)
{
    if (__builtin_expect(t->uncounted != NULL, 1))
        return t->uncounted;
    struct rec_stat_table *tab = &t->st[0];
    for (uint32_t j = tab->cap; j-- > 0;) {
        struct swt_stat_slot *s = &tab->slots[j];
        if (s->lock == 0) {
            tab->used++;
            s->site = SWT_NO_SITE;
            __atomic_store_n(&s->lock, SWT_STAT_UNCOUNTED, __ATOMIC_RELEASE);
            t->uncounted = s;
            return s;
        }
    }
    return NULL;
}

/* Quiet (rec_quiet): a full table maps a STATS chunk. */
__attribute__((noinline)) static struct swt_stat_slot *stat_slot_slow(struct rec_thread *t,
                                                                       uint32_t lock,
                                                                       uint32_t site)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    struct swt_stat_slot *s = stat_slot_slow_body(t, lock, site);
    rec_quiet_end(&q);
    return s ? s : uncounted_slot(t);
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

/* ---- holds beyond the block (REC_HELD_MORE) ---- */

static int more_find(const struct rec_thread *t, uint32_t lock)
{
    for (uint32_t i = t->nmore; i-- > 0;)
        if (t->more[i].h.lock == lock)
            return (int)i;
    return -1;
}

static void more_remove(struct rec_thread *t, uint32_t k)
{
    if (t->sem_holds && is_sem(t->more[k].h.lock))
        t->sem_holds--;
    memmove(&t->more[k], &t->more[k + 1], (t->nmore - k - 1) * sizeof t->more[0]);
    t->nmore--;
    t->blk->held_overflow--;
}

/* The block is full: the hold goes into the extension (mapped at the first
 * one).  Without memory it is only counted (more_lost): returns 0. */
__attribute__((noinline)) static int more_push(struct rec_thread *t, const struct swt_held *h,
                                                struct swt_stat_slot *slot, uint32_t posts)
{
    t->blk->held_overflow++;
    if (!t->more) {
        struct rec_quiet q;
        rec_quiet_begin(&q);
        void *m = mmap(NULL, (size_t)REC_HELD_MORE * sizeof t->more[0], PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        rec_quiet_end(&q);
        if (m != MAP_FAILED)
            t->more = m;
    }
    if (!t->more || t->nmore == REC_HELD_MORE) {
        if (!t->more_lost++)
            rec_note(t, SWT_NOTE_TABLE_FULL,
                     "held list full: lock-order edges from holds beyond it are not recorded");
        return 0;
    }
    struct rec_held_more *e = &t->more[t->nmore++];
    e->h = *h;
    e->slot = slot;
    e->posts = posts;
    return 1;
}

/* A block entry went away while the extension holds more: its oldest
 * entry moves into the block, so that the block is full whenever the
 * extension is in use (the fast paths look at the block only). */
__attribute__((noinline)) static void more_refill(struct rec_thread *t)
{
    struct swt_thread_block *b = t->blk;
    uint32_t n = b->nheld;
    b->held[n] = t->more[0].h;
    t->held_slot[n] = t->more[0].slot;
    t->held_posts[n] = t->more[0].posts;
    memmove(&t->more[0], &t->more[1], (t->nmore - 1) * sizeof t->more[0]);
    t->nmore--;
    b->held_overflow--;
    __atomic_store_n(&b->nheld, n + 1, __ATOMIC_RELEASE);
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
    } else {
        for (uint32_t i = (uint32_t)idx; i + 1 < n; i++) {
            b->held[i] = b->held[i + 1];
            t->held_slot[i] = t->held_slot[i + 1];
            t->held_posts[i] = t->held_posts[i + 1];
        }
        memset(&b->held[n - 1], 0, sizeof b->held[0]);
        __atomic_store_n(&b->nheld, n - 1, __ATOMIC_RELEASE);
    }
    if (__builtin_expect(t->nmore != 0, 0))
        more_refill(t);
}

/* Every hold of the thread, block first: i < held_count(t). */
static inline uint32_t held_count(const struct rec_thread *t)
{
    uint32_t n = t->blk->nheld;
    return (n < SWT_MAX_HELD ? n : SWT_MAX_HELD) + t->nmore;
}

static inline const struct swt_held *held_at(const struct rec_thread *t, uint32_t i)
{
    return i < SWT_MAX_HELD ? &t->blk->held[i] : &t->more[i - SWT_MAX_HELD].h;
}

/* Drops this thread's semaphore holds that another thread's post ended
 * (CPython releases a threading.Lock from any thread, architecture.md fact 16), or
 * that ended with the semaphore's destruction, so that they make no
 * lock-order edges and are not reported as held. */
__attribute__((noinline)) static void prune_foreign_posts(struct rec_thread *t)
{
    struct swt_thread_block *b = t->blk;
    for (uint32_t i = b->nheld; i-- > 0;) {
        uint32_t lock = b->held[i].lock;
        if (!is_sem(lock))
            continue;
        struct lt_info *in = lt_info(lock);
        if (in->foreign_posts != t->held_posts[i] ||
            (__atomic_load_n(&in->meta, __ATOMIC_ACQUIRE) & LT_META_DEAD))
            held_remove(t, (int)i);
    }
    for (uint32_t k = t->nmore; k-- > 0;) {
        uint32_t lock = t->more[k].h.lock;
        if (!is_sem(lock))
            continue;
        struct lt_info *in = lt_info(lock);
        if (in->foreign_posts != t->more[k].posts ||
            (__atomic_load_n(&in->meta, __ATOMIC_ACQUIRE) & LT_META_DEAD))
            more_remove(t, k);
    }
}

void rec_locks_forget_destroyed(struct rec_thread *t, uint32_t lock)
{
    /* CPython's Condition.wait takes its per-waiter lock a second time and
     * drops it still taken: destroying a semaphore ends its holds (nothing
     * can post it any more).  Other holders drop it in the prune above. */
    if (!t->sem_holds || !is_sem(lock))
        return;
    int i = held_find(t->blk, lock);
    if (i >= 0)
        held_remove(t, i);
    else if (t->nmore && (i = more_find(t, lock)) >= 0)
        more_remove(t, (uint32_t)i);
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
    if (i >= 0)
        return t->blk->held[i].flags;
    i = t->nmore ? more_find(t, lock) : -1;
    return i < 0 ? 0 : t->more[i].h.flags;
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

static inline uint64_t edge_key(uint64_t set_hash, uint32_t from, uint32_t to, uint64_t ef)
{
    return mix64(set_hash ^ mix64(((uint64_t)from << 32) | to) ^
                 (ef * 0x9e3779b97f4a7c15ull)) |
           1;
}

static inline uint64_t held_set_hash(const struct rec_thread *t, uint32_t n)
{
    uint64_t set_hash = 0;
    for (uint32_t i = 0; i < n; i++)
        set_hash += mix64(held_at(t, i)->lock);
    return set_hash;
}

/* 1 if acquiring lock now would write an EDGE (emit_edges), without
 * adding anything to the set. */
__attribute__((noinline)) static int edges_new(struct rec_thread *t, uint32_t lock,
                                               unsigned flags)
{
    if (t->edge_used >= REC_EDGE_SET - REC_EDGE_SET / 4)
        return 1; /* edge_seen forgets the set: every edge is written again */
    uint32_t n = held_count(t);
    uint64_t set_hash = held_set_hash(t, n);
    unsigned to_flags = flags & EDGE_FLAG_MASK;
    for (uint32_t i = 0; i < n; i++) {
        const struct swt_held *h = held_at(t, i);
        if (h->lock == lock)
            continue;
        uint64_t key =
            edge_key(set_hash, h->lock, lock, SWT_EDGE_FLAGS(h->flags & EDGE_FLAG_MASK, to_flags));
        uint32_t j = (uint32_t)(key >> 40) & (REC_EDGE_SET - 1);
        while (t->edges[j] != key) {
            if (t->edges[j] == 0)
                return 1;
            j = (j + 1) & (REC_EDGE_SET - 1);
        }
    }
    return 0;
}

__attribute__((noinline)) static void emit_edges(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    uint32_t n = held_count(t);
    uint64_t set_hash = held_set_hash(t, n);
    unsigned to_flags = flags & EDGE_FLAG_MASK;
    for (uint32_t i = 0; i < n; i++) {
        const struct swt_held *h = held_at(t, i);
        if (h->lock == lock)
            continue;
        uint64_t ef = SWT_EDGE_FLAGS(h->flags & EDGE_FLAG_MASK, to_flags);
        uint64_t key = edge_key(set_hash, h->lock, lock, ef);
        if (edge_seen(t, key))
            continue;
        /* The other held locks, the first SWT_MAX_HELD of them (the
         * analyzer's gate-lock rule looks at a few only). */
        uint8_t blob[SWT_MAX_HELD * 5];
        uint8_t *p = blob;
        uint32_t nb = 0;
        for (uint32_t k = 0; k < n && nb < SWT_MAX_HELD; k++) {
            uint32_t other = held_at(t, k)->lock;
            if (k != i && other != lock) {
                p = swt_put_varint(p, other);
                nb++;
            }
        }
        uint64_t f[5] = {h->lock, lock, ef, h->site, site};
        rec_write_ext(t, SWT_REC_EDGE, rec_now(), f, 5, blob, (size_t)(p - blob));
    }
}

/* ---- acquisitions and releases ---- */

void rec_wait(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (!t || !lock)
        return;
    if (rec_site_is_guess(site))
        site = rec_site_exact(t); /* waits keep exact sites */
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
 * handled, 0 when the caller records a new hold.  i: a block entry, or
 * SWT_MAX_HELD + k for extension entry k. */
__attribute__((noinline)) static int acquire_again(struct rec_thread *t, int i, uint32_t lock,
                                                   uint32_t meta, unsigned flags, uint32_t site)
{
    struct swt_thread_block *b = t->blk;
    unsigned kind = meta & LT_META_KIND_MASK;
    int in_more = i >= (int)SWT_MAX_HELD;
    if (kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED) {
        if (in_more)
            more_remove(t, (uint32_t)i - SWT_MAX_HELD);
        else
            held_remove(t, i);
        return 0;
    }
    if (in_more)
        t->more[i - SWT_MAX_HELD].h.depth++;
    else
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

static void acquired_general(struct rec_thread *t, uint32_t lock,
                                                       unsigned flags, uint32_t site);

/* The common case kept small so that it inlines into the hooks: no other
 * lock held, no wait, a counter slot found at the first probe, the same
 * owner as last time, not a semaphore; in profile mode also no timed hold.
 * Everything else takes acquired_general, which records the same. */
void rec_acquired(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (__builtin_expect(!t || !lock || lock >= LT_MAX_IDS, 0))
        return;
    struct swt_thread_block *b = t->blk;
    struct lt_info *in = &lt_infos[lock];
    int tracing = rec_tracing();
    if (__builtin_expect(b->nheld == 0 && !t->sem_holds && b->waiting_lock != lock &&
                             (tracing || t->hold_countdown > 1) &&
                             in->last_owner == t->index &&
                             !(in->meta & (LT_META_NOHOLD | LT_META_SEM)),
                         1)) {
        struct swt_stat_slot *s =
            &t->st[0].slots[stat_pos(stat_hash(lock, site), t->st[0].cap)];
        if (__builtin_expect(s->lock == lock && s->site == site, 1)) {
            uint64_t now = 0;
            if (tracing)
                now = rec_now();
            else
                t->hold_countdown--;
            s->acquisitions++;
            struct swt_held *h = &b->held[0];
            h->lock = lock;
            h->flags = flags & ~(unsigned)SWT_ACQ_CONTENDED;
            h->site = site;
            h->depth = 1;
            h->since_ticks = now;
            t->held_slot[0] = s;
            __atomic_store_n(&b->nheld, 1, __ATOMIC_RELEASE);
            if (tracing)
                rec_write3(t, SWT_REC_ACQUIRE, now, lock, flags, site);
            else if (__builtin_expect(flags & SWT_ACQ_OWNER_DEAD, 0))
                rec_write3(t, SWT_REC_ACQUIRE, rec_now(), lock, flags, site);
            return;
        }
    }
    acquired_general(t, lock, flags, site);
}

static void acquired_general(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    struct swt_thread_block *b = t->blk;
    struct lt_info *in = &lt_infos[lock];
    uint32_t meta = in->meta;
    if (t->sem_holds)
        prune_foreign_posts(t);
    uint32_t n = b->nheld;
    if (n && !(meta & LT_META_NOHOLD)) {
        int i = held_find(b, lock);
        if (i < 0 && t->nmore && (i = more_find(t, lock)) >= 0)
            i += (int)SWT_MAX_HELD;
        if (i >= 0 && acquire_again(t, i, lock, meta, flags, site))
            return;
        n = b->nheld;
    }
    int tracing = rec_tracing();
    int waited = b->waiting_lock == lock;
    uint64_t now = 0;
    if (meta & LT_META_SEM) {
        /* A guessed site (rec_sites.h) is unwound when it matters: a wait,
         * or an acquisition that writes a new EDGE; otherwise it is the
         * verified site of (return address, lock). */
        if (rec_site_is_guess(site))
            site = waited || (n && edges_new(t, lock, flags)) ? rec_site_exact(t)
                                                              : rec_site_for_lock(t, lock, 1);
        else
            rec_site_learn(t, site);
        rec_site_done();
    }
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
        unsigned kind = meta & LT_META_KIND_MASK;
        int sem = kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED;
        uint32_t posts = sem ? __atomic_load_n(&in->foreign_posts, __ATOMIC_RELAXED) : 0;
        if (__builtin_expect(n < SWT_MAX_HELD, 1)) {
            struct swt_held *h = &b->held[n];
            h->lock = lock;
            h->flags = flags & ~(unsigned)SWT_ACQ_CONTENDED;
            h->site = site;
            h->depth = 1;
            h->since_ticks = now;
            t->held_slot[n] = s;
            t->held_posts[n] = posts;
            __atomic_store_n(&b->nheld, n + 1, __ATOMIC_RELEASE);
            if (sem)
                t->sem_holds++;
        } else {
            struct swt_held h = {lock, flags & ~(unsigned)SWT_ACQ_CONTENDED, site, 1, now};
            if (more_push(t, &h, s, posts) && sem)
                t->sem_holds++;
        }
    }
    if (tracing)
        rec_write3(t, SWT_REC_ACQUIRE, now, lock, flags, site);
    else if (__builtin_expect(flags & SWT_ACQ_OWNER_DEAD, 0))
        /* Profile mode's one acquisition record: EOWNERDEAD is a finding
         * (abandoned/owner-dead) that no block or counter can show.  The
         * analyzer takes holds from the blocks there, never from it. */
        rec_write3(t, SWT_REC_ACQUIRE, now ? now : rec_now(), lock, flags, site);
}

void rec_failed(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site, int err)
{
    if (!t || !lock)
        return;
    if (rec_site_is_guess(site)) {
        /* A busy trylock (CPython's Condition tests its owner that way) is
         * not a wait: the last exact site of (return address, lock).  Other
         * failures, and those after a wait, are exact. */
        int busy = (flags & SWT_ACQ_TRY) && (err == EAGAIN || err == EBUSY);
        site = busy ? rec_site_for_lock(t, lock, 0) : rec_site_exact(t);
        rec_site_done();
    }
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

/* A hold of since..now ticks ends (now stamped before the real release). */
static inline void count_hold(struct swt_stat_slot *s, uint64_t since, uint64_t now)
{
    if (!s)
        return;
    uint64_t ns = ticks_to_ns(now - since);
    s->hold_samples++;
    s->hold_total_ns += ns;
    if (s->hold_samples == 1 || ns < s->hold_min_ns)
        s->hold_min_ns = ns;
    if (ns > s->hold_max_ns)
        s->hold_max_ns = ns;
}

static void released_general(struct rec_thread *t, uint32_t lock,
                                                       unsigned flags, uint32_t site);

/* The common case: the lock is the thread's last hold, not recursive, and
 * no semaphore bookkeeping is pending; in profile mode also not timed. */
void rec_released(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
    if (!t || !lock)
        return;
    struct swt_thread_block *b = t->blk;
    uint32_t n = b->nheld;
    /* 1 <= n < SWT_MAX_HELD: a full block may have an extension to refill
     * from (released_general). */
    if (__builtin_expect(n - 1u < SWT_MAX_HELD - 1u && !t->sem_holds, 1)) {
        struct swt_held *h = &b->held[n - 1];
        if (__builtin_expect(h->lock == lock && h->depth == 1, 1)) {
            uint64_t since = h->since_ticks;
            if (!rec_tracing()) {
                if (__builtin_expect(!since, 1)) {
                    __atomic_store_n(&b->nheld, n - 1, __ATOMIC_RELEASE);
                    return;
                }
            } else {
                flags |= h->flags & (SWT_ACQ_READ | SWT_ACQ_WRITE);
                uint64_t now = rec_now_release();
                if (since)
                    count_hold(t->held_slot[n - 1], since, now);
                __atomic_store_n(&b->nheld, n - 1, __ATOMIC_RELEASE);
                rec_write3(t, SWT_REC_RELEASE, now, lock, flags, site);
                return;
            }
        }
    }
    released_general(t, lock, flags, site);
}

static void released_general(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site)
{
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
            if (h->since_ticks) {
                now = rec_now_release();
                count_hold(t->held_slot[i], h->since_ticks, now);
            }
            held_remove(t, i);
        }
    } else if (t->nmore && (i = more_find(t, lock)) >= 0) {
        struct rec_held_more *e = &t->more[i];
        flags |= e->h.flags & (SWT_ACQ_READ | SWT_ACQ_WRITE);
        if (e->h.depth > 1) {
            e->h.depth--;
            flags |= SWT_ACQ_RECURSIVE;
        } else {
            if (e->h.since_ticks) {
                now = rec_now_release();
                count_hold(e->slot, e->h.since_ticks, now);
            }
            more_remove(t, (uint32_t)i);
        }
    } else if (t->more_lost) {
        /* A hold that could not be kept (more_push). */
        t->more_lost--;
        b->held_overflow--;
    }
    if (rec_tracing())
        rec_write3(t, SWT_REC_RELEASE, now ? now : rec_now_release(), lock, flags, site);
}

/* ---- condition variables, semaphores, barriers ---- */

void rec_cond_wait(struct rec_thread *t, uint32_t cond, uint32_t mutex, uint32_t site,
                   unsigned flags)
{
    if (!t || !cond)
        return;
    uint64_t now = rec_now();
    struct swt_thread_block *b = t->blk;
    b->waiting_flags = SWT_ACQ_COND | (flags & SWT_ACQ_TIMED);
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

void rec_cond_destroy_begin(struct rec_thread *t, uint32_t cond, uint32_t site)
{
    if (!t || !cond)
        return;
    uint64_t f[2] = {cond, site};
    rec_write_ext(t, SWT_REC_COND_DESTROY_BEGIN, rec_now(), f, 2, NULL, 0);
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
    int k = i < 0 && t->nmore ? more_find(t, sem) : -1;
    uint64_t now = 0;
    if (rec_site_is_guess(site)) {
        /* The end of this thread's own hold: the last exact site of
         * (return address, semaphore); a post by another thread (possibly
         * a misuse): exact. */
        site = i >= 0 || k >= 0 ? rec_site_for_lock(t, sem, 0) : rec_site_exact(t);
        rec_site_done();
    } else if (site != SWT_NO_SITE) {
        rec_site_learn(t, site);
    }
    if (i >= 0) {
        if (b->held[i].since_ticks) {
            now = rec_now_release();
            count_hold(t->held_slot[i], b->held[i].since_ticks, now);
        }
        held_remove(t, i);
    } else if (k >= 0) {
        struct rec_held_more *e = &t->more[k];
        if (e->h.since_ticks) {
            now = rec_now_release();
            count_hold(e->slot, e->h.since_ticks, now);
        }
        more_remove(t, (uint32_t)k);
    } else {
        struct lt_info *in = lt_info(sem);
        if (in && !(in->meta & LT_META_NOHOLD))
            __atomic_fetch_add(&in->foreign_posts, 1, __ATOMIC_RELAXED);
    }
    if (rec_tracing()) {
        uint64_t f[3] = {sem, site, value >= 0 ? (uint64_t)value + 1 : 0};
        rec_write_core(t, SWT_REC_SEM_POST, now ? now : rec_now_release(), f, 3);
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

/* err: 0 for every successful waiter, the serial one included (the hook
 * maps PTHREAD_BARRIER_SERIAL_THREAD to 0, as the format says), or an
 * error number. */
void rec_barrier_done(struct rec_thread *t, uint32_t barrier, int err)
{
    if (!t || !barrier)
        return;
    if (err == PTHREAD_BARRIER_SERIAL_THREAD)
        err = 0;
    struct swt_thread_block *b = t->blk;
    if (b->waiting_lock == barrier)
        clear_wait(b);
    if (rec_tracing()) {
        uint64_t f[2] = {barrier, (uint64_t)(uint32_t)err};
        rec_write_core(t, SWT_REC_BARRIER_DONE, rec_now(), f, 2);
    }
}
