/* State shared by the recorder's own files (recorder.c, rec_records.c,
 * rec_process.c, rec_threads.c, rec_ids.c, rec_sites.c, rec_locks.c).  Not
 * for hook files: they use recorder.h only. */
#ifndef SYNCWATCH_PRELOAD_REC_INTERNAL_H
#define SYNCWATCH_PRELOAD_REC_INTERNAL_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/trace_encode.h"
#include "common/trace_format.h"
#include "preload/config.h"
#include "preload/recorder.h"

#define REC_SITE_CACHE 512u   /* per-thread return address -> site entries */
#define REC_EDGE_SET 2048u    /* per-thread seen-edge keys */
#define REC_STAT_TABLES 16u   /* thread block + up to 15 STATS chunks */
#define REC_MEMO 64u          /* per-thread (lock address, return address) memo entries */
/* Holds beyond the THREAD block's SWT_MAX_HELD, per thread, in private
 * memory mapped (MAP_NORESERVE) at the first such hold: as many as the
 * lock table has addresses, so the lock-order edges of every hold are
 * recorded (issue 9 item 14). */
#define REC_HELD_MORE (1u << 20)

struct rec_held_more {
    struct swt_held h;
    struct swt_stat_slot *slot; /* as held_slot[] */
    uint32_t posts;             /* as held_posts[] */
    uint32_t pad;
};
#define REC_CALLER_HINTS 32u  /* per-thread ambiguous return address -> caller's slot */

/* A return address seen with two different stacks (one C return address
 * reached from many Python call sites, architecture.md fact 16) is unwound on every
 * call; others are re-checked on the 1st, 2nd, 4th, ... hit. */
struct rec_site_entry {
    uintptr_t ret;
    uint32_t site;
    uint32_t hits; /* UINT32_MAX: ambiguous, always unwind */
};

/* A settled answer of rec_lock_site: the lock id (valid while the id is
 * not LT_META_DEAD) and the call site (a verified one, which never changes)
 * of one (object, return address, kind) triple.  Emptied with the site
 * cache entries it relies on. */
struct rec_memo {
    uintptr_t addr;
    uintptr_t ret;
    uint32_t kind; /* 0 = empty */
    uint32_t id;
    uint32_t site;
    uint32_t pad;
};

/* Where the caller's return address lies on the stack when a hook is
 * called from one ambiguous return address (a lock wrapper): the offset
 * from rec_sites.c's frame, learned from full unwinds (rec_sites.c). */
struct rec_caller_hint {
    uintptr_t ret;
    uint16_t off;     /* words above the frame: the caller's return address */
    uint16_t ret_off; /* words above the frame: the first word holding ret */
    uint32_t state;   /* 0 learning, 1 usable, 2 never (the offset moved) */
};

struct rec_stat_table {
    struct swt_stat_slot *slots;
    uint32_t cap;
    uint32_t used;
};

struct rec_thread {
    uint32_t index;
    uint32_t tid;
    uint64_t pthread_self;
    struct swt_thread_block *blk; /* this thread's THREAD chunk */
    /* Current EVENTS chunk. */
    struct swt_chunk_header *ev_chunk;
    uint8_t *ev_pos, *ev_end;
    uint64_t ev_last_ticks;
    uint32_t ev_seq;
    uint32_t exited;          /* THREAD_EXIT written */
    uint64_t dropped;         /* events not written since the last DROPPED record */
    uint32_t hold_countdown;  /* profile: acquisitions until the next timed hold */
    uint32_t nstat_tables;
    struct rec_stat_table st[REC_STAT_TABLES];
    struct swt_stat_slot *uncounted; /* the SWT_STAT_UNCOUNTED slot, once the tables are full */
    struct swt_stat_slot *held_slot[SWT_MAX_HELD]; /* stat slot of each held entry */
    uint32_t held_posts[SWT_MAX_HELD]; /* semaphores: foreign_posts when acquired */
    uint32_t sem_holds;                /* held entries that are semaphores (extension too) */
    /* The holds after the block's SWT_MAX_HELD, oldest first; nmore > 0
     * only while the block is full.  The block's held_overflow counts them,
     * plus more_lost holds that could not be kept (no memory). */
    struct rec_held_more *more;
    uint32_t nmore, more_lost;
    uint32_t edge_used;
    uint64_t edges[REC_EDGE_SET];
    struct rec_site_entry sites[REC_SITE_CACHE];
    struct rec_memo memo[REC_MEMO];
    /* The held list as it was when this thread entered fork (taken by the
     * atfork prepare handler): a fork child starts from it.  The THREAD
     * block is shared file memory that the parent keeps changing. */
    uint32_t fork_nheld, fork_overflow;
    struct swt_held fork_held[SWT_MAX_HELD];
    struct rec_caller_hint hints[REC_CALLER_HINTS];
    struct rec_thread *next_free;
    /* The live threads of this process, a list under rec_threads.c's lock
     * (the watchdog and the fork snapshot walk it, not the 64 Ki-slot map). */
    struct rec_thread *live_next, *live_prev;
};

enum rec_state { REC_UNINIT = 0, REC_INITING, REC_READY, REC_OFF };

struct rec_global {
    int state; /* enum rec_state */
    struct cfg cfg;
    struct swt_file_header *hdr;
    uint64_t features;
    int pid;
    uint32_t next_thread; /* next index for non-main threads */
    char path_spec[CFG_PATH_MAX]; /* absolute SYNCWATCH_OUTPUT spec */
    char path[CFG_PATH_MAX + 32]; /* this process's trace file */
    int descendant;               /* a fork/exec child of a traced process */
    uint32_t exec_gen;            /* images of this pid before this one (exec) */
    uint32_t fork_parent_gen;     /* exec_gen of the image that forked this process */
    uint64_t run_id;
    int deepbind_warned;
};
extern struct rec_global rec_g;

/* Per-thread flags in initial-exec TLS (architecture.md fact 8). */
#define REC_TLS_BUSY 1u  /* inside the shim: hooks only forward */
#define REC_TLS_OFF 2u   /* this thread is not traced (its state could not be set up) */
struct rec_tls {
    uint32_t flags;
    uint32_t pending_index; /* index reserved by the creator, for the start trampoline */
    struct rec_thread *thr;
};
extern __thread struct rec_tls rec_tls __attribute__((tls_model("initial-exec")));

/* Around the recorder's slow paths, which make system calls: errno stays
 * the program's, and no cancellation point in them (open and read inside
 * libunwind, a message's write) can act on a pending cancellation inside a
 * hook whose real function is not a cancellation point. */
struct rec_quiet {
    int saved_errno;
    int cancel_state;
};
static inline void rec_quiet_begin(struct rec_quiet *q)
{
    q->saved_errno = errno;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &q->cancel_state);
}
static inline void rec_quiet_end(struct rec_quiet *q)
{
    pthread_setcancelstate(q->cancel_state, NULL);
    errno = q->saved_errno;
}

/* recorder.c */
/* getauxval; unit tests replace it to play a secure-execution process
 * (AT_SECURE), in which the recorder never starts. */
extern unsigned long (*rec_getauxval)(unsigned long);
/* The clock calibration passed on to exec'ed images in SYNCWATCH_RUN_ID:
 * ns per TSC tick in 32.32, or 0 for CLOCK_MONOTONIC. */
uint64_t rec_clock_q32(void);
/* Creates this process's trace file and fills its header; 0, or -1 after
 * one line on stderr. */
int rec_open_trace(int fork_parent_pid, uint32_t fork_parent_thread);

/* rec_process.c: registers the fork handlers. */
void rec_process_setup(void);

/* rec_records.c */
uint64_t rec_now(void);
/* The stamp of a release, taken before the real releasing call: cheaper,
 * and still ordered before the hand-off (clock.h, clock_ticks_release). */
uint64_t rec_now_release(void);
/* Reserves room for a record of up to need bytes; NULL if dropped. */
uint8_t *rec_reserve(struct rec_thread *t, size_t need);
void rec_write_core(struct rec_thread *t, unsigned type, uint64_t ticks, const uint64_t *f,
                    unsigned n);
void rec_write_ext(struct rec_thread *t, unsigned type, uint64_t ticks, const uint64_t *f,
                   unsigned n, const void *blob, size_t blob_len);
static inline int rec_tracing(void) { return rec_g.cfg.mode == SWT_MODE_TRACE; }

/* The hot record: a core record of three fields (ACQUIRE, RELEASE, WAIT),
 * written inline.  Same bytes as swt_encode_core. */
static inline void rec_write3(struct rec_thread *t, unsigned type, uint64_t ticks, uint64_t a,
                              uint64_t b, uint64_t c)
{
    uint8_t *p = t->ev_pos;
    if (__builtin_expect((size_t)(t->ev_end - p) < SWT_MAX_CORE_RECORD, 0)) {
        uint64_t f[3] = {a, b, c};
        rec_write_core(t, type, ticks, f, 3);
        return;
    }
    if (ticks < t->ev_last_ticks)
        ticks = t->ev_last_ticks;
    uint8_t *rec = p;
    p = swt_put_varint(p + 1, ticks - t->ev_last_ticks);
    t->ev_last_ticks = ticks;
    p = swt_put_varint(p, a);
    p = swt_put_varint(p, b);
    p = swt_put_varint(p, c);
    swt_commit(rec, type);
    t->ev_pos = p;
    __atomic_store_n(&t->ev_chunk->used, (uint32_t)(p - (uint8_t *)(t->ev_chunk + 1)),
                     __ATOMIC_RELAXED);
}

/* rec_ids.c: announces the locks this thread holds in a new trace (fork
 * child). */
void rec_locks_announce_held(struct rec_thread *t);

/* rec_sites.c: a fork child forgets the process-wide site cache (its trace
 * must carry the STACK records again). */
void rec_sites_fork_child(void);
/* 1 when rec_site's answer for ret is final (verified, or stacks off). */
int rec_site_settled(const struct rec_thread *t, const void *ret);
/* 1 when ret is ambiguous and its sites are told apart by the caller's
 * return address: the mutex memo then keeps the lock id and asks
 * rec_site_by_caller for the site (REC_MEMO_BY_CALLER). */
int rec_site_caller_keyed(const struct rec_thread *t, const void *ret);
uint32_t rec_site_by_caller(struct rec_thread *t, const void *ret);
#define REC_MEMO_BY_CALLER UINT32_MAX

/* rec_locks.c */
/* Forgets the per-thread caches that refer to the old trace (fork child). */
void rec_locks_thread_reset(struct rec_thread *t);
/* Drops semaphore holds ended by other threads' posts. */
void rec_locks_prune(struct rec_thread *t);
void rec_locks_forget_destroyed(struct rec_thread *t, uint32_t lock);

/* rec_threads.c */
struct rec_thread *rec_threads_attach(uint32_t index);
/* Called by the atfork prepare handler, the last code before the real fork
 * in the forking thread: keeps that thread's held list privately. */
void rec_threads_fork_prepare(struct rec_thread *self);
void rec_threads_after_fork_child(struct rec_thread *self);
void rec_threads_write_modules(struct rec_thread *t);
/* The locks other threads hold now, as varint pairs (thread index, lock
 * id) into buf; returns the bytes used (pairs that do not fit are left
 * out). */
size_t rec_threads_held_snapshot(uint8_t *buf, size_t cap, const struct rec_thread *self);
/* Calls fn for every live thread of this process with its block, for the
 * watchdog.  fn runs under the lock that keeps blocks mapped: it copies
 * what it needs and returns quickly, and makes no call into the shim. */
void rec_threads_visit(void (*fn)(void *ctx, uint32_t index, uint32_t tid,
                                  const struct swt_thread_block *blk),
                       void *ctx);

#endif
