/* Call sites: the stack id of a hook's caller.  A per-thread cache by
 * return address answers almost every call; a process-wide table lets new
 * threads skip libunwind at known sites; return addresses reached with
 * different stacks (CPython's sem_* calls, architecture.md fact 16) are unwound on
 * every call. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "common/trace_encode.h"
#include "preload/rec_internal.h"
#include "preload/rec_sites.h"
#include "preload/stacks.h"

#define SITE_RECHECK_LIMIT 4096u
#define AMBIGUOUS UINT32_MAX
/* Ambiguous, and known to feed semaphore acquisitions and posts, whose
 * recording settles a guessed site (rec_sites.h). */
#define AMBIGUOUS_LAZY (UINT32_MAX - 1)
/* Keys of (return address, lock) entries in the site cache; no user-space
 * return address has the top bit. */
#define PAIR_KEY (1ull << 63)

__thread struct rec_site_lazy rec_site_lazy __attribute__((tls_model("initial-exec")));

/* Recorder frames searched for ret: from rec_site, and from the lock path
 * (rec_locks.c, a guessed site unwound there). */
#define SEARCH_SITE 8u
#define SEARCH_LOCK_PATH 12u

/* *anchored: the stack starts at ret (not at the recorder's own frames).
 * *caller (if not NULL): the next frame's return address when anchored,
 * else 0. */
static uint32_t capture_site_body(struct rec_thread *t, const void *ret, unsigned search,
                                  int *anchored, uintptr_t *caller)
{
    /* A library dlopen'ed since the last capture is reported before any
     * stack that may point into it. */
    rec_threads_write_modules(t);
    uintptr_t ips[STACKS_MAX_DEPTH];
    unsigned n = stacks_unwind(ips, rec_g.cfg.stack_depth, ret, search);
    *anchored = n && ips[0] == (uintptr_t)ret;
    if (caller)
        *caller = *anchored && n >= 2 ? ips[1] : 0;
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

/* Quiet (rec_quiet): libunwind and the first STACK record make system calls. */
__attribute__((noinline)) static uint32_t capture_site_caller(struct rec_thread *t,
                                                               const void *ret, unsigned search,
                                                               int *anchored, uintptr_t *caller)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    uint32_t id = capture_site_body(t, ret, search, anchored, caller);
    rec_quiet_end(&q);
    return id;
}

static inline __attribute__((always_inline)) uint32_t
capture_site_anchored(struct rec_thread *t, const void *ret, unsigned search, int *anchored)
{
    return capture_site_caller(t, ret, search, anchored, NULL);
}

static uint32_t capture_site(struct rec_thread *t, const void *ret)
{
    int anchored;
    return capture_site_anchored(t, ret, SEARCH_SITE, &anchored);
}

/* Return addresses known process-wide: a new thread's first call at a
 * known site then needs no unwind (the first unwind in each thread costs
 * libunwind ~20 locks and ~100 sigprocmask calls, architecture.md fact 6).  One
 * 64-bit word per address: the site in the high half, in the low half how
 * many first calls in different threads saw that same stack (or
 * GSITE_AMBIGUOUS). */
#define GSITE_SLOTS (1u << 12) /* 64 KiB: cleared in every fork child */
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

/* Caller-keyed sites of ambiguous return addresses.  A lock wrapper (lock(obj)
 * helpers, C++ lock classes, an interpreter's lock functions) gives every
 * call the same return address; the caller's return address tells its call
 * sites apart.  Entries keyed by (return address, caller's return address)
 * live in the site cache and are verified as plain ones are: full unwinds
 * on the 1st, 2nd, 4th ... 4096th use; once two stacks came through a pair,
 * it takes the general path (a full unwind on every call, or the lazy
 * sites of rec_sites.h).
 *
 * The caller's return address is read from the stack, at an offset from
 * the reading function's frame (its own call chain from the hook is fixed
 * for a given return address) learned from full unwinds: the first word
 * above the frame that holds the unwound caller address.  Searching upward
 * stops at that word, and every word below the caller's real slot lies in
 * a live frame, so the search never reads unmapped memory.  Every later
 * full unwind (misses, re-checks) searches again and must find the same
 * offset, or the address is never read this way again in this thread.  The
 * fast read itself is made only when the word lies in a page known to be
 * mapped: that of the reader's own return address, or that of the first
 * word above it holding ret (in the shim's own frames, whose sizes do not
 * change), so a program frame that changed size (alloca) can give a wrong
 * key, which the next re-check catches, but never a fault.  Elsewhere, a
 * two-frame libunwind walk gives the caller. */
#define CALLER_KEY (1ull << 62)
#define CALLER_SCAN_WORDS 128u /* 1 KiB above this frame */
#define SEARCH_CALLER 10u      /* recorder frames searched for ret, from here */
enum { HINT_LEARNING, HINT_USABLE, HINT_NEVER };

static inline uintptr_t caller_key(uintptr_t ret, uintptr_t caller)
{
    return ((ret ^ (caller * 0xc2b2ae3d27d4eb4full)) & ~(PAIR_KEY | CALLER_KEY)) | CALLER_KEY;
}

static inline struct rec_site_entry *site_entry(struct rec_thread *t, uintptr_t key)
{
    return &t->sites[(key * 0x9e3779b97f4a7c15ull) >> 55 & (REC_SITE_CACHE - 1)];
}

/* The caller's slot is searched and read word by word through the frames
 * between the reader and the program's frame: live memory, but a
 * sanitizer's redzones in the unit tests' instrumented callers. */
#define STACK_READER __attribute__((no_sanitize("address")))

/* Index of the first word in w[] equal to v, or CALLER_SCAN_WORDS. */
STACK_READER static uint32_t find_word(const uintptr_t *w, uintptr_t v)
{
    uint32_t i = 0;
    while (i < CALLER_SCAN_WORDS && w[i] != v)
        i++;
    return i;
}

/* The caller's return address of ret's frame by libunwind (two frames), or
 * 0.  Quiet: libunwind makes system calls. */
__attribute__((noinline)) static uintptr_t caller_by_walk(const void *ret)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    uintptr_t ips[2];
    unsigned n = stacks_unwind(ips, 2, ret, SEARCH_CALLER + 1);
    rec_quiet_end(&q);
    return n == 2 && ips[0] == (uintptr_t)ret ? ips[1] : 0;
}

/* Hints are kept per reader: the mutex memo's (rec_site_by_caller, called
 * from the hook) and site_ambiguous's (deeper down) see the caller's slot
 * at different offsets. */
#define READER_GENERAL 0ull
#define READER_MEMO (1ull << 63)

/* 1 and *out: the site of this call of the ambiguous address r, read by the
 * function whose frame is frame (inlined into each reader, so that the
 * offsets it learns and reads are from that frame; each reader is reached
 * from one hook by one chain of calls); 0: take the general path (only
 * when must is 0; else a full unwind answers).  e: r's plain entry, or
 * NULL. */
STACK_READER static inline __attribute__((always_inline)) int caller_site(struct rec_thread *t,
                                                             struct rec_site_entry *e,
                                                             const void *ret, uintptr_t frame,
                                                             uintptr_t reader, int must,
                                                             uint32_t *out)
{
    const uintptr_t *above = (const uintptr_t *)(frame + 2 * sizeof(uintptr_t));
    uintptr_t r = (uintptr_t)ret, hkey = r ^ reader;
    struct rec_caller_hint *h =
        &t->hints[(hkey * 0x9e3779b97f4a7c15ull) >> 59 & (REC_CALLER_HINTS - 1)];
    if (h->ret != hkey) {
        h->ret = hkey;
        h->off = 0;
        h->state = HINT_LEARNING;
    }
    if (h->state == HINT_NEVER && !must)
        return 0;
    uintptr_t seen = 0; /* the caller's return address, read or walked */
    if (__builtin_expect(h->state == HINT_USABLE, 1)) {
        uintptr_t at = (uintptr_t)&above[h->off], page = (at + sizeof(uintptr_t) - 1) >> 12;
        if (page == (frame + sizeof(uintptr_t)) >> 12 ||
            page == (uintptr_t)&above[h->ret_off] >> 12)
            seen = *(const uintptr_t *)at;
    }
    /* Not readable here (another page, or the offset moved): a two-frame
     * walk, a fraction of a full unwind. */
    if (!seen && h->state != HINT_LEARNING)
        seen = caller_by_walk(ret);
    if (seen) {
        uintptr_t key = caller_key(r, seen);
        struct rec_site_entry *ce = site_entry(t, key);
        if (__builtin_expect(ce->ret == key, 1)) {
            uint32_t hits = ce->hits;
            if (hits == AMBIGUOUS && !must)
                return 0;
            if (__builtin_expect(hits > SITE_RECHECK_LIMIT && hits != AMBIGUOUS, 1)) {
                *out = ce->site;
                return 1;
            }
            hits = hits == AMBIGUOUS ? hits : ++ce->hits;
            if (hits != AMBIGUOUS && ((hits & (hits - 1)) != 0 || hits > SITE_RECHECK_LIMIT)) {
                *out = ce->site;
                return 1;
            }
        }
    }
    /* A full unwind: this call's site, and its caller to learn from. */
    int anchored;
    uintptr_t caller;
    uint32_t site = capture_site_caller(t, ret, SEARCH_CALLER, &anchored, &caller);
    if (!anchored || site == SWT_NO_SITE) {
        *out = site;
        return 1;
    }
    /* As site_ambiguous: the thread's last exact site of ret. */
    if (e) {
        e->site = site;
        rec_site_lazy.probe_ret = r;
        rec_site_lazy.probe_site = site;
    }
    if (caller) {
        uint32_t off = find_word(above, caller), ret_off = find_word(above, r);
        if (h->state == HINT_NEVER)
            ;
        else if (off == CALLER_SCAN_WORDS || ret_off > off ||
                 (h->state == HINT_USABLE && (off != h->off || ret_off != h->ret_off)))
            h->state = HINT_NEVER;
        else if (h->state == HINT_LEARNING) {
            h->off = (uint16_t)off;
            h->ret_off = (uint16_t)ret_off;
            h->state = HINT_USABLE;
        }
        uintptr_t key = caller_key(r, caller);
        struct rec_site_entry *ce = site_entry(t, key);
        if (ce->ret == key) {
            /* A verified pair stays so (as a verified return address does):
             * this unwind was the other reader learning, not a re-check. */
            if (ce->hits <= SITE_RECHECK_LIMIT || ce->hits == AMBIGUOUS) {
                if (site != ce->site)
                    ce->hits = AMBIGUOUS;
                ce->site = site;
            }
        } else {
            /* A return address loses its entry: memo entries built on it
             * go too (as in site_miss). */
            if (ce->ret && !(ce->ret & (PAIR_KEY | CALLER_KEY)))
                memset(t->memo, 0, sizeof t->memo);
            ce->ret = key;
            ce->site = site;
            ce->hits = 1;
        }
    }
    *out = site;
    return 1;
}

STACK_READER __attribute__((noinline)) static int site_by_caller(struct rec_thread *t,
                                                    struct rec_site_entry *e, const void *ret,
                                                    uint32_t *out)
{
    return caller_site(t, e, ret, (uintptr_t)__builtin_frame_address(0), READER_GENERAL, 0, out);
}

int rec_site_caller_keyed(const struct rec_thread *t, const void *ret)
{
    uintptr_t r = (uintptr_t)ret;
    const struct rec_site_entry *e =
        &t->sites[(r * 0x9e3779b97f4a7c15ull) >> 55 & (REC_SITE_CACHE - 1)];
    return rec_g.cfg.stack_depth >= 2 && e->ret == r && e->hits == AMBIGUOUS;
}

/* Called only from rec_lock_site (inlined into the mutex hooks), at one
 * stack depth: one chain per return address. */
STACK_READER __attribute__((noinline)) uint32_t rec_site_by_caller(struct rec_thread *t,
                                                                   const void *ret)
{
    struct rec_site_entry *e = site_entry(t, (uintptr_t)ret);
    uint32_t site;
    caller_site(t, e->ret == (uintptr_t)ret ? e : NULL, ret,
                (uintptr_t)__builtin_frame_address(0), READER_MEMO, 1, &site);
    return site;
}

/* An ambiguous return address: a guess (rec_sites.h) when the address is
 * known to feed only semaphore acquisitions and posts, whose recording
 * decides whether to unwind; else a full unwind, remembered as the
 * thread's last exact site of the address. */
__attribute__((noinline)) static uint32_t site_ambiguous(struct rec_thread *t,
                                                         struct rec_site_entry *e,
                                                         const void *ret)
{
    struct rec_site_lazy *l = &rec_site_lazy;
    if (e->hits == AMBIGUOUS_LAZY && e->site != SWT_NO_SITE) {
        l->ret = (uintptr_t)ret;
        l->guess = e->site;
        l->exact = 0;
        return e->site;
    }
    l->ret = 0;
    uint32_t site;
    if (site_by_caller(t, e, ret, &site))
        return site;
    int anchored;
    site = capture_site_anchored(t, ret, SEARCH_SITE, &anchored);
    if (anchored && site != SWT_NO_SITE) {
        e->site = site;
        l->probe_ret = (uintptr_t)ret;
        l->probe_site = site;
    }
    return site;
}

__attribute__((noinline)) static uint32_t site_miss(struct rec_thread *t,
                                                    struct rec_site_entry *e, const void *ret)
{
    uintptr_t r = (uintptr_t)ret;
    uint64_t *w = gsite_word(r);
    uint64_t word = w ? __atomic_load_n(w, __ATOMIC_RELAXED) : 0;
    /* Another return address loses its entry: memo entries built on its
     * verified site must be asked again (rec_lock_site). */
    if (e->ret)
        memset(t->memo, 0, sizeof t->memo);
    e->ret = r;
    if ((uint32_t)word == GSITE_AMBIGUOUS) {
        e->hits = AMBIGUOUS;
        e->site = SWT_NO_SITE;
        return site_ambiguous(t, e, ret);
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
        uint32_t seen = e->hits;
        if (__builtin_expect(seen > SITE_RECHECK_LIMIT && seen < AMBIGUOUS_LAZY, 1))
            return e->site; /* verified: no more counting */
        if (seen >= AMBIGUOUS_LAZY)
            return site_ambiguous(t, e, ret);
        uint32_t h = ++e->hits;
        if (__builtin_expect((h & (h - 1)) != 0 || h > SITE_RECHECK_LIMIT, 1))
            return e->site;
        /* Re-check: does this return address always come with one stack? */
        uint32_t site = capture_site(t, ret);
        if (site != e->site) {
            e->hits = AMBIGUOUS;
            e->site = SWT_NO_SITE; /* no exact site of this thread yet */
            gsite_note(gsite_word(r), site, 1);
        }
        return site;
    }
    return site_miss(t, e, ret);
}

int rec_site_settled(const struct rec_thread *t, const void *ret)
{
    if (!rec_g.cfg.stack_depth)
        return 1;
    uintptr_t r = (uintptr_t)ret;
    const struct rec_site_entry *e =
        &t->sites[(r * 0x9e3779b97f4a7c15ull) >> 55 & (REC_SITE_CACHE - 1)];
    return e->ret == r && e->hits > SITE_RECHECK_LIMIT && e->hits < AMBIGUOUS_LAZY;
}

uint32_t rec_site_exact(struct rec_thread *t)
{
    struct rec_site_lazy *l = &rec_site_lazy;
    if (!l->exact) {
        int anchored;
        uint32_t site =
            capture_site_anchored(t, (const void *)l->ret, SEARCH_LOCK_PATH, &anchored);
        /* Not found among the recorder's frames: the stack would show the
         * recorder, not the program; the guess is closer. */
        l->exact = anchored && site != SWT_NO_SITE ? site : l->guess;
    }
    return l->exact;
}

uint32_t rec_site_for_lock(struct rec_thread *t, uint32_t lock, int verified)
{
    if (rec_site_lazy.exact)
        return rec_site_lazy.exact; /* unwound already (the call waited) */
    uintptr_t key = (rec_site_lazy.ret ^ ((uint64_t)lock * 0xff51afd7ed558ccdull)) | PAIR_KEY;
    struct rec_site_entry *e = site_entry(t, key);
    if (e->ret == key) {
        uint32_t h = e->hits;
        if (!verified && e->site != SWT_NO_SITE)
            return e->site; /* the pair's last exact site */
        if (h > SITE_RECHECK_LIMIT && h != AMBIGUOUS)
            return e->site;
        if (h == AMBIGUOUS)
            return e->site = rec_site_exact(t);
        h = ++e->hits;
        if ((h & (h - 1)) != 0 || h > SITE_RECHECK_LIMIT)
            return e->site;
        uint32_t site = rec_site_exact(t);
        if (site != e->site) {
            e->hits = AMBIGUOUS;
            e->site = site;
        }
        return site;
    }
    /* A return address loses its entry: memo entries built on it go too
     * (as in site_miss). */
    if (e->ret && !(e->ret & (PAIR_KEY | CALLER_KEY)))
        memset(t->memo, 0, sizeof t->memo);
    uint32_t site = rec_site_exact(t);
    e->ret = key;
    e->site = site;
    e->hits = 1;
    return site;
}

void rec_site_learn(struct rec_thread *t, uint32_t site)
{
    struct rec_site_lazy *l = &rec_site_lazy;
    if (!l->probe_ret || site != l->probe_site)
        return;
    struct rec_site_entry *e = site_entry(t, l->probe_ret);
    if (e->ret == l->probe_ret && e->hits == AMBIGUOUS)
        e->hits = AMBIGUOUS_LAZY;
    l->probe_ret = 0;
}

void rec_sites_thread_reset(void) { memset(&rec_site_lazy, 0, sizeof rec_site_lazy); }

uint32_t rec_release_site(struct rec_thread *t, const void *ret)
{
    return rec_tracing() ? rec_site(t, ret) : SWT_NO_SITE;
}
