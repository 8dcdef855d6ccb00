/* Per-thread recorder state: attach on first entry, thread life-cycle
 * records, the pthread_t -> thread index map, reuse of joined threads'
 * state, and the fork child's reset. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/trace_encode.h"
#include "preload/lock_table.h"
#include "preload/modules.h"
#include "preload/rec_internal.h"
#include "preload/trace_file.h"

#define MAP_SLOTS (1u << 16)

struct map_entry {
    uint64_t key; /* pthread_t; 0 = free */
    uint32_t index;
    uint32_t epoch; /* map_epoch when written: older entries are another process's */
    struct rec_thread *thr;
};

static struct map_entry thread_map[MAP_SLOTS];
/* A fork child forgets the parent's threads by moving to a new epoch
 * instead of clearing the map (1.5 MiB of copy-on-write pages per fork). */
static uint32_t map_epoch = 1;
static struct rec_thread *free_list;
static struct rec_thread *live_head; /* under free_lock */
static int free_lock;

static void live_unlink(struct rec_thread *t)
{
    if (t->live_prev)
        t->live_prev->live_next = t->live_next;
    else if (live_head == t)
        live_head = t->live_next;
    if (t->live_next)
        t->live_next->live_prev = t->live_prev;
    t->live_next = t->live_prev = NULL;
}
static int modules_written;

static void spin_lock(int *l)
{
    while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}
static void spin_unlock(int *l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }

static struct map_entry *map_find(uint64_t key, int insert)
{
    if (!key)
        return NULL;
    uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 48) & (MAP_SLOTS - 1);
    for (uint32_t n = 0; n < MAP_SLOTS; n++, i = (i + 1) & (MAP_SLOTS - 1)) {
        struct map_entry *e = &thread_map[i];
        uint64_t k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
        if (k == key) {
            if (e->epoch == map_epoch)
                return e;
            if (!insert)
                return NULL;
            /* The parent's entry for this handle: take it over. */
            e->thr = NULL;
            e->index = 0;
            e->epoch = map_epoch;
            return e;
        }
        if (k == 0) {
            if (!insert)
                return NULL;
            uint64_t expect = 0;
            if (__atomic_compare_exchange_n(&e->key, &expect, key, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_ACQUIRE) ||
                expect == key) {
                e->epoch = map_epoch;
                return e;
            }
        }
    }
    return NULL;
}

static void module_cb(void *ctx, uint64_t start, uint64_t end, uint64_t off, const uint8_t *bid,
                      size_t bid_len, const char *path)
{
    struct rec_thread *t = ctx;
    uint8_t blob[64 + 1024];
    size_t plen = strlen(path);
    if (bid_len > 64)
        bid_len = 64;
    if (plen > 1024)
        plen = 1024;
    memcpy(blob, bid, bid_len);
    memcpy(blob + bid_len, path, plen);
    uint64_t f[4] = {start, end, off, bid_len};
    rec_write_ext(t, SWT_REC_MODULE, rec_now(), f, 4, blob, bid_len + plen);
}

void rec_threads_write_modules(struct rec_thread *t)
{
    if (rec_g.cfg.stack_depth == 0)
        return;
    modules_report_new(module_cb, t);
}

static void setup_block(struct rec_thread *t, struct swt_thread_block *blk)
{
    uint32_t cs = tf_chunk_size();
    blk->nstats = (uint32_t)((cs - offsetof(struct swt_thread_block, stats)) /
                             sizeof(struct swt_stat_slot));
    t->blk = blk;
    t->st[0].slots = blk->stats;
    t->st[0].cap = blk->nstats;
    t->st[0].used = 0;
    t->nstat_tables = 1;
    t->uncounted = NULL;
}

static void bump_threads_started(uint32_t index)
{
    struct swt_file_header *h = rec_g.hdr;
    uint32_t cur = __atomic_load_n(&h->threads_started, __ATOMIC_RELAXED);
    while (cur < index &&
           !__atomic_compare_exchange_n(&h->threads_started, &cur, index, 0, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
        ;
}

struct rec_thread *rec_threads_attach(uint32_t index)
{
    struct rec_thread *t = NULL;
    spin_lock(&free_lock);
    if (free_list) {
        t = free_list;
        free_list = t->next_free;
    }
    spin_unlock(&free_lock);
    if (t) {
        struct rec_held_more *more = t->more; /* kept mapped for the next thread */
        memset(t, 0, sizeof *t);
        t->more = more;
    } else {
        void *m = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
                       0);
        if (m == MAP_FAILED)
            return NULL;
        t = m;
    }
    t->tid = (uint32_t)gettid();
    if (!index)
        index = (int)t->tid == getpid()
                    ? 1
                    : __atomic_fetch_add(&rec_g.next_thread, 1, __ATOMIC_RELAXED);
    t->index = index;
    struct swt_thread_block *blk = tf_chunk_new(SWT_CHUNK_THREAD, index, 0, t->tid, 0);
    if (!blk) {
        munmap(t, sizeof *t);
        return NULL;
    }
    setup_block(t, blk);
    t->hold_countdown = 1;
    t->pthread_self = (uint64_t)pthread_self();
    bump_threads_started(index);
    struct map_entry *e = map_find(t->pthread_self, 1);
    if (e) {
        e->index = index;
        __atomic_store_n(&e->thr, t, __ATOMIC_RELEASE);
    }
    spin_lock(&free_lock);
    t->live_prev = NULL;
    t->live_next = live_head;
    if (live_head)
        live_head->live_prev = t;
    live_head = t;
    spin_unlock(&free_lock);
    if (!__atomic_exchange_n(&modules_written, 1, __ATOMIC_ACQ_REL))
        rec_threads_write_modules(t);
    return t;
}

uint32_t rec_thread_index(const struct rec_thread *t) { return t ? t->index : 0; }

uint32_t rec_thread_reserve(void)
{
    if (__atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return 0;
    return __atomic_fetch_add(&rec_g.next_thread, 1, __ATOMIC_RELAXED);
}

struct rec_thread *rec_thread_begin(uint32_t index, uint32_t parent, uint32_t create_site)
{
    if (!rec_tls.thr)
        rec_tls.pending_index = index;
    struct rec_thread *t = rec_enter();
    if (!t)
        return NULL;
    uint64_t f[4] = {t->index, parent, create_site, t->pthread_self};
    rec_write_ext(t, SWT_REC_THREAD_START, rec_now(), f, 4, NULL, 0);
    return t;
}

void rec_thread_created(struct rec_thread *t, uint32_t child, pthread_t th, uint32_t site, int err)
{
    /* Known here already, so a join that starts before the thread runs
     * still names it. */
    if (err == 0 && child) {
        struct map_entry *e = map_find((uint64_t)th, 1);
        if (e)
            e->index = child;
    }
    uint64_t f[3] = {child, site, (uint64_t)(uint32_t)err};
    rec_write_ext(t, SWT_REC_THREAD_CREATE, rec_now(), f, 3, NULL, 0);
}

void rec_thread_exit(struct rec_thread *t, unsigned how)
{
    if (!t || t->exited)
        return;
    t->exited = 1;
    rec_locks_prune(t);
    struct swt_thread_block *b = t->blk;
    uint8_t blob[SWT_MAX_HELD * 5];
    uint8_t *p = blob;
    for (uint32_t i = 0; i < b->nheld && i < SWT_MAX_HELD; i++)
        p = swt_put_varint(p, b->held[i].lock);
    b->waiting_join = 0; /* cancelled inside a join */
    uint64_t f[2] = {how, b->nheld + b->held_overflow};
    rec_write_ext(t, SWT_REC_THREAD_EXIT, rec_now(), f, 2, blob, (size_t)(p - blob));
    __atomic_store_n(&b->state, how, __ATOMIC_RELEASE);
}

uint32_t rec_thread_of(pthread_t th)
{
    struct map_entry *e = map_find((uint64_t)th, 0);
    return e ? e->index : 0;
}

void rec_thread_join_begin(struct rec_thread *t, uint32_t joined, uint32_t site)
{
    if (!t)
        return;
    uint64_t now = rec_now();
    struct swt_thread_block *b = t->blk;
    b->waiting_site = site;
    b->waiting_since_ticks = now;
    __atomic_store_n(&b->waiting_join, joined ? joined : SWT_JOIN_UNKNOWN, __ATOMIC_RELEASE);
    uint64_t f[2] = {joined, site};
    rec_write_ext(t, SWT_REC_JOIN_BEGIN, now, f, 2, NULL, 0);
}

void rec_thread_joined(struct rec_thread *t, uint32_t joined, uint32_t site, int err)
{
    __atomic_store_n(&t->blk->waiting_join, 0, __ATOMIC_RELEASE);
    uint64_t f[3] = {joined, site, (uint64_t)(uint32_t)err};
    rec_write_ext(t, SWT_REC_THREAD_JOIN, rec_now(), f, 3, NULL, 0);
}

void rec_thread_detached(struct rec_thread *t, uint32_t thread)
{
    uint64_t f[1] = {thread};
    rec_write_ext(t, SWT_REC_THREAD_DETACH, rec_now(), f, 1, NULL, 0);
}

void rec_thread_named(struct rec_thread *t, uint32_t thread, const char *name)
{
    uint64_t f[1] = {thread};
    size_t n = name ? strnlen(name, 64) : 0;
    rec_write_ext(t, SWT_REC_THREAD_NAME, rec_now(), f, 1, name, n);
}

void rec_thread_reclaim(pthread_t th)
{
    struct map_entry *e = map_find((uint64_t)th, 0);
    if (!e)
        return;
    /* Under free_lock: a fork snapshot may be reading this thread's block. */
    spin_lock(&free_lock);
    struct rec_thread *t = __atomic_exchange_n(&e->thr, NULL, __ATOMIC_ACQ_REL);
    if (t)
        live_unlink(t);
    if (t && t != rec_tls.thr) {
        /* The thread has finished, key destructors included, so nothing
         * writes its chunks any more: the file keeps them, the mappings go. */
        tf_chunk_unmap(t->ev_chunk);
        for (uint32_t i = 1; i < t->nstat_tables; i++)
            tf_chunk_unmap((uint8_t *)t->st[i].slots - sizeof(struct swt_chunk_header));
        tf_chunk_unmap(t->blk);
        t->next_free = free_list;
        free_list = t;
    }
    spin_unlock(&free_lock);
}

size_t rec_threads_held_snapshot(uint8_t *buf, size_t cap, const struct rec_thread *self)
{
    size_t n = 0;
    spin_lock(&free_lock);
    for (struct rec_thread *t = live_head; t; t = t->live_next) {
        if (t == self || !t->blk)
            continue;
        const struct swt_thread_block *b = t->blk;
        uint32_t nheld = __atomic_load_n(&b->nheld, __ATOMIC_ACQUIRE);
        for (uint32_t k = 0; k < nheld && k < SWT_MAX_HELD; k++) {
            uint32_t lock = b->held[k].lock;
            if (!lock || n + 10 > cap)
                continue;
            uint8_t *p = swt_put_varint(buf + n, t->index);
            p = swt_put_varint(p, lock);
            n = (size_t)(p - buf);
        }
    }
    spin_unlock(&free_lock);
    return n;
}

void rec_threads_fork_prepare(struct rec_thread *self)
{
    /* Only this thread changes its block, and it is here: a consistent
     * copy.  The copy lives in this thread's private state, which the child
     * receives as it was at the fork. */
    const struct swt_thread_block *b = self->blk;
    uint32_t n = b->nheld < SWT_MAX_HELD ? b->nheld : SWT_MAX_HELD;
    memcpy(self->fork_held, b->held, n * sizeof b->held[0]);
    self->fork_nheld = n;
    self->fork_overflow = b->held_overflow;
}

void rec_threads_after_fork_child(struct rec_thread *self)
{
    /* Other threads' state belongs to threads that do not exist here. */
    free_lock = 0;
    free_list = NULL;
    live_head = self;
    self->live_next = self->live_prev = NULL;
    map_epoch++;
    modules_written = 1;

    self->tid = (uint32_t)gettid();
    self->index = 1;
    self->exited = 0;
    self->ev_chunk = NULL; /* the parent's chunk stays mapped: never write it */
    self->ev_pos = self->ev_end = NULL;
    self->ev_seq = 0;
    self->ev_last_ticks = 0;
    self->dropped = 0;
    struct swt_thread_block *blk = tf_chunk_new(SWT_CHUNK_THREAD, 1, 0, self->tid, 0);
    if (!blk) {
        rec_tls.thr = NULL;
        rec_tls.flags = REC_TLS_OFF;
        return;
    }
    setup_block(self, blk);
    /* Locks held at fork stay held in the child (and are never released
     * there if another thread held them: that thread is gone).  They come
     * from the copy taken before the fork: the parent's block (old, still
     * mapped here) has moved on since, and its newer lock ids are ids this
     * child's own counter hands out again. */
    memcpy(blk->held, self->fork_held, self->fork_nheld * sizeof blk->held[0]);
    blk->held_overflow = self->fork_overflow;
    __atomic_store_n(&blk->nheld, self->fork_nheld, __ATOMIC_RELEASE);
    rec_locks_thread_reset(self);
    self->pthread_self = (uint64_t)pthread_self();
    struct map_entry *e = map_find(self->pthread_self, 1);
    if (e) {
        e->index = 1;
        e->thr = self;
    }
    rec_locks_announce_held(self);
}

void rec_threads_visit(void (*fn)(void *ctx, uint32_t index, uint32_t tid,
                                  const struct swt_thread_block *blk),
                       void *ctx)
{
    spin_lock(&free_lock);
    for (struct rec_thread *t = live_head; t; t = t->live_next)
        if (t->blk)
            fn(ctx, t->index, t->tid, t->blk);
    spin_unlock(&free_lock);
}
