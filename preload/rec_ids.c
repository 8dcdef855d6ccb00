/* Lock identity: the id of an object address (lock_table.c), its LOCK_NEW
 * record with the attributes known at init or read from a statically
 * initialised object, and the (device, inode, offset) of process-shared
 * objects (maps.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "preload/lock_table.h"
#include "preload/maps.h"
#include "preload/rec_internal.h"

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

static void announce(struct rec_thread *t, uint32_t id, uint32_t site, const char *name,
                     int fresh_maps)
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
                      in->generation, site, dev, ino, off, in->value};
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
    in->value = (uint32_t)a->value;
    if ((a->kind == SWT_KIND_SEM || a->kind == SWT_KIND_SEM_NAMED) && a->value != 1)
        in->meta |= LT_META_NOHOLD; /* a counting semaphore is not owned */
    if (lt_claim_announce(id))
        announce(t, id, site, a->name, 1);
    return id;
}

static uint32_t lock_id_slow_body(struct rec_thread *t, const void *addr, unsigned kind,
                                  int opaque);

/* Quiet (rec_quiet): a first sight may read /proc/self/maps or start a chunk. */
__attribute__((noinline)) static uint32_t lock_id_slow(struct rec_thread *t, const void *addr,
                                                      unsigned kind, int opaque)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    uint32_t id = lock_id_slow_body(t, addr, kind, opaque);
    rec_quiet_end(&q);
    return id;
}

/* opaque: the object is not glibc's (a GLib GMutex is 8 bytes): nothing is
 * read from it. */
static uint32_t lock_id_slow_body(struct rec_thread *t, const void *addr, unsigned kind,
                                  int opaque)
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
            announce(t, id, SWT_NO_SITE, NULL, 0);
        return id;
    }
    struct lt_info *in = lt_info(id);
    if (opaque) {
        in->lock_flags = SWT_LOCK_STATIC;
        in->type = kind == SWT_KIND_MUTEX ? SWT_TYPE_NORMAL : SWT_TYPE_DEFAULT;
        if (lt_claim_announce(id))
            announce(t, id, SWT_NO_SITE, NULL, 0);
        return id;
    }
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
        announce(t, id, SWT_NO_SITE, NULL, 0);
    return id;
}

uint32_t rec_lock_id(struct rec_thread *t, const void *addr, unsigned kind)
{
    uint32_t id = lt_lookup_fast((uintptr_t)addr);
    if (__builtin_expect(id != 0 && lt_infos[id].announced_epoch == lt_epoch, 1))
        return id;
    return lock_id_slow(t, addr, kind, 0);
}

uint32_t rec_lock_id_opaque(struct rec_thread *t, const void *addr, unsigned kind)
{
    uint32_t id = lt_lookup_fast((uintptr_t)addr);
    if (__builtin_expect(id != 0 && lt_infos[id].announced_epoch == lt_epoch, 1))
        return id;
    return lock_id_slow(t, addr, kind, 1);
}

/* Memo key: the kind, and whether the site is a release site. */
#define MEMO_KIND 0xffu
#define MEMO_RELEASE 0x100u

static inline struct rec_memo *memo_of(struct rec_thread *t, uintptr_t addr, uintptr_t ret)
{
    uint64_t h = ((uint64_t)addr ^ ((uint64_t)ret << 7)) * 0x9e3779b97f4a7c15ull;
    return &t->memo[h >> 58 & (REC_MEMO - 1)];
}

__attribute__((noinline)) static uint64_t lock_site_slow(struct rec_thread *t,
                                                         struct rec_memo *m, const void *addr,
                                                         unsigned kind, const void *ret)
{
    uint32_t id = rec_lock_id(t, addr, kind & MEMO_KIND);
    uint32_t site = kind & MEMO_RELEASE ? rec_release_site(t, ret) : rec_site(t, ret);
    struct lt_info *in = lt_info(id);
    /* Not settled yet (a new site is counted and re-checked by rec_site):
     * no memo entry, ask again next time. */
    if (in && addr && !(__atomic_load_n(&in->meta, __ATOMIC_ACQUIRE) & LT_META_DEAD)) {
        /* A lock wrapper's return address: the id is settled, the site is
         * the caller's (rec_site_by_caller). */
        int settled = rec_site_settled(t, ret);
        uint32_t memo_site = settled ? site : REC_MEMO_BY_CALLER;
        if (settled || rec_site_caller_keyed(t, ret)) {
            m->addr = (uintptr_t)addr;
            m->ret = (uintptr_t)ret;
            m->kind = kind;
            m->id = id;
            m->site = memo_site;
        }
    }
    return id | (uint64_t)site << 32;
}

static inline int memo_hit(const struct rec_memo *m, const void *addr, unsigned kind,
                           const void *ret)
{
    return m->addr == (uintptr_t)addr && m->ret == (uintptr_t)ret && m->kind == kind &&
           !(__atomic_load_n(&lt_infos[m->id].meta, __ATOMIC_RELAXED) & LT_META_DEAD);
}

/* The memo is 2-way: an entry is looked for in its slot and the slot's
 * pair (index ^ 1), so that two hot (object, return address) keys of one
 * slot (a lock and its unlock) do not evict each other on every call. */
__attribute__((noinline)) static uint64_t memo_second(struct rec_thread *t, struct rec_memo *m,
                                                      const void *addr, unsigned kind,
                                                      const void *ret)
{
    struct rec_memo *pair = &t->memo[(size_t)(m - t->memo) ^ 1];
    if (memo_hit(pair, addr, kind, ret))
        return pair->id | (uint64_t)pair->site << 32; /* REC_MEMO_BY_CALLER: see below */
    /* The slot's entry moves to the pair; the new one takes the slot. */
    if (m->kind)
        *pair = *m;
    m->kind = 0;
    return lock_site_slow(t, m, addr, kind, ret);
}

uint64_t rec_lock_site(struct rec_thread *t, const void *addr, unsigned kind, const void *ret)
{
    struct rec_memo *m = memo_of(t, (uintptr_t)addr, (uintptr_t)ret);
    uint64_t r = __builtin_expect(memo_hit(m, addr, kind, ret), 1)
                     ? m->id | (uint64_t)m->site << 32
                     : memo_second(t, m, addr, kind, ret);
    /* A lock wrapper's return address: the site is the caller's, read by
     * rec_site_by_caller, which is called from here only (its offsets are
     * from its frame, the same on both paths). */
    if (__builtin_expect((uint32_t)(r >> 32) == REC_MEMO_BY_CALLER, 0))
        r = (uint32_t)r | (uint64_t)rec_site_by_caller(t, ret) << 32;
    return r;
}

uint64_t rec_release_lock_site(struct rec_thread *t, const void *addr, unsigned kind,
                               const void *ret)
{
    /* Profile mode records no release site (rec_release_site): the memo
     * would save nothing over the id lookup there. */
    if (!rec_tracing())
        return rec_lock_id(t, addr, kind) | (uint64_t)SWT_NO_SITE << 32;
    return rec_lock_site(t, addr, kind | MEMO_RELEASE, ret);
}

void rec_lock_destroy(struct rec_thread *t, uint32_t lock, uint32_t site, int err)
{
    if (!t || !lock)
        return;
    if (err == 0) {
        rec_locks_forget_destroyed(t, lock);
        lt_forget(lock);
    }
    uint64_t f[3] = {lock, site, (uint64_t)(uint32_t)err};
    rec_write_core(t, SWT_REC_DESTROY, rec_now(), f, 3);
}

void rec_locks_announce_held(struct rec_thread *t)
{
    struct swt_thread_block *b = t->blk;
    for (uint32_t i = 0; i < b->nheld && i < SWT_MAX_HELD; i++)
        if (lt_claim_announce(b->held[i].lock))
            announce(t, b->held[i].lock, SWT_NO_SITE, NULL, 0);
    for (uint32_t i = 0; i < t->nmore; i++)
        if (lt_claim_announce(t->more[i].h.lock))
            announce(t, t->more[i].h.lock, SWT_NO_SITE, NULL, 0);
}
