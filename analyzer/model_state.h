/* State shared by the files that build the model (model_*.c).  Not for
 * detectors, renderers or statistics: they see analyzer/model.h only.
 *
 * The pass is one time-ordered walk over the merged records of every trace
 * of a run.  Per event the work is a few array lookups (per-process maps
 * from trace ids to model indices) and, for nested acquisitions, one hash
 * lookup per held lock to note the lock-order edge; nothing is kept per
 * event, so memory follows locks, threads, stacks and edges only.
 *
 * Layers, lowest first.  A file calls only into itself and the files listed
 * before it here, never into one listed after it (no upward call), so each
 * can be read with only the earlier ones in mind:
 *
 *   model_ids.c       growing arrays; trace ids -> model indices (threads,
 *                     locks, stacks, with their happens-before clocks);
 *                     STACK records; T<n> numbering and display labels
 *   model_holds.c     who holds what: a thread's held list, a lock's owner
 *                     (the inline halves are below)
 *   model_facts.c     the facts list (deduplicated), their withdrawal, and
 *                     the held-at-end facts made from the holds
 *   model_edges.c     lock-order edges and their variants: derived from
 *                     acquisitions, from EDGE records, and at the end from
 *                     the final waits; the lookup table and the sort
 *   model_monitors.c  nested monitors (locks held while waiting on and
 *                     signalling a condvar / counting semaphore) and the
 *                     one GIL rule (also used by lockstats)
 *   model_locks.c     the handlers of lock records: LOCK_NEW, ACQUIRE,
 *                     WAIT, FAIL, RELEASE, SEM_POST, COND_*, DESTROY
 *   model_life.c      threads and processes: start, create, join, name,
 *                     exit, fork, the process's end and its modules, lost
 *                     events; the final state of each thread; fork
 *                     evidence; waits on locks whose holder is gone
 *   model_pass.c      model_build: the merge, the per-record dispatch, the
 *                     ordered finish (one commented list), model_free
 *
 * The model_lock kind predicates (kind_*) belong to no layer: they read
 * one struct model_lock.
 *
 * Names: cross-file functions carry their file's prefix (ids_, holds_,
 * facts_, edges_, monitors_, locks_, life_); the inline helpers of the hot
 * per-event path live here, as they were inline in the one file before. */
#ifndef SYNCWATCH_ANALYZER_MODEL_STATE_H
#define SYNCWATCH_ANALYZER_MODEL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <uthash.h>

#include "analyzer/hbclock.h"
#include "analyzer/model.h"
#include "analyzer/xalloc.h"

/* Ids in a trace are dense counters; anything beyond this is corruption
 * that must not make us allocate gigabytes. */
#define MAX_ID (1u << 24)
/* Happens-before clocks cost threads^2 in the worst case. */
#define HB_MAX_THREADS 4096

#define TRAIL_MAX 16
#define LATE_MAX 8
#define EDGE_MEMO_SIZE 256 /* per thread, power of two */
#define MONITOR_NOTES 8

/* note_edge's shortcut: the last occurrence noted in one slot. */
struct edge_memo {
    uint64_t key;
    uint32_t modes, gate, epoch;
    bool valid;
};

/* What the pass knows of a thread while it runs. */
struct tstate {
    struct model_held *held;
    size_t nheld, cap;
    uint32_t waiting_lock, waiting_flags, waiting_site;
    uint64_t waiting_since;
    /* A wait on a condvar or barrier under way (not a lock's): the hang
     * findings need it when the thread never came back. */
    uint32_t obj_wait, obj_wait_flags, obj_wait_site;
    uint64_t obj_wait_since;
    uint32_t cond_release_flags; /* flags of the last synthetic release before a wait */
    uint32_t join_wait, join_site; /* a pthread_join under way: the joined thread */
    uint64_t join_since;
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
    uint32_t create_epoch;  /* the creator's epoch at THREAD_CREATE, 0 = not seen yet */
    struct hb_vc create_vc; /* the creator's clock then, until THREAD_START takes it */
    bool has_create_vc;
    bool started;           /* THREAD_START seen */
    uint64_t last_ns;       /* time of this thread's previous record */
    struct edge_memo *memo; /* note_edge's shortcut, allocated on first use */
    bool dropped;           /* the recorder lost events of this thread */
    /* HELD_AT_PROC_END and HELD_AT_THREAD_END facts of this thread: exit()
     * runs on while other threads finish, and pthread_exit runs the cleanup
     * handlers after the shim recorded the exit; a release (or, for
     * exit(), a thread exit) recorded after them withdraws them. */
    size_t *exit_facts;
    size_t nexit_facts;
    /* Holds that another thread's acquisition ended before this thread's
     * release record came (a release stamped late): that release is no
     * misuse when it comes. */
    uint32_t late_release[LATE_MAX];
    uint32_t nlate;
};

struct monitor_note {
    uint32_t lock; /* model lock held (its node decides) */
    uint32_t thread;
    uint32_t site; /* the wait / signal */
    uint32_t hold_site;
};

/* What the pass knows of a lock (of a graph node, for the owner fields:
 * holds_state). */
struct lstate {
    uint32_t owner; /* model thread holding it exclusively (or last reader) */
    uint32_t owner_site;
    uint32_t readers;     /* read holds outstanding */
    uint32_t released_by; /* thread whose release left it free, MODEL_NONE once retaken */
    bool uad_reported;
    bool defined;             /* LOCK_NEW seen */
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

struct addr_entry {
    uint64_t addr;
    uint32_t lock;
    uint8_t child_use; /* enum child_use, in fork children */
    UT_hash_handle hh;
};

/* A HELD_AT_FORK fact waiting for the child's evidence. */
struct fork_check {
    size_t fact;
    uint32_t child; /* model process, or MODEL_NONE */
    uint64_t addr;
    bool ambiguous; /* the hold may have begun during fork() */
};

struct shared_key {
    uint64_t run_id; /* objects are shared within one run only: runs never overlap */
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

/* What the pass knows of a process (one trace file). */
struct pstate {
    struct swt_trace *trace;
    uint64_t base_ns; /* absolute ns of the header's start_ticks */
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

/* One record being handled: what every on_* handler gets. */
struct model_ctx {
    struct model *m;
    uint32_t proc;
    uint32_t thread;
    const struct swt_rec *r;
    uint64_t ns;
    struct model_event ev;
};

/* ---- model_ids.c ---- */

/* Grows *arr (of *cap elements of elem bytes) to hold need, zero-filled. */
void ids_grow(void **arr, size_t *cap, size_t need, size_t elem);
/* The slot of a trace id in a per-process map (grown, new slots
 * MODEL_NONE), or NULL for id 0 and ids beyond MAX_ID. */
uint32_t *ids_map_slot(uint32_t **map, size_t *cap, uint64_t id);
/* A new model lock for trace lock id of proc (a new generation, or a use
 * before its LOCK_NEW). */
uint32_t ids_new_lock(struct model *m, uint32_t proc, uint32_t id);
uint32_t ids_thread_of_slow(struct model *m, uint32_t proc, uint64_t tindex);
uint32_t ids_stack_of_slow(struct model *m, uint32_t proc, uint64_t id);
uint32_t ids_lock_of_slow(struct model *m, uint32_t proc, uint64_t id);
void ids_on_stack(struct model_ctx *c);
/* T<n> by process (in start order), then thread index. */
void ids_number_threads(struct model *m);

/* The model thread / stack / lock of a trace id of proc, created on first
 * sight (a use of a lock before its LOCK_NEW, when another thread's
 * registration raced ahead in time, gets a placeholder that the LOCK_NEW
 * fills in); MODEL_NONE for ids the trace cannot have. */
static inline uint32_t ids_thread_of(struct model *m, uint32_t proc, uint64_t tindex)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (tindex < ps->thread_cap && ps->thread_map[tindex] != MODEL_NONE)
        return ps->thread_map[tindex]; /* the per-event path */
    return ids_thread_of_slow(m, proc, tindex);
}

static inline uint32_t ids_stack_of(struct model *m, uint32_t proc, uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (id < ps->stack_cap && ps->stack_map[id] != MODEL_NONE)
        return ps->stack_map[id]; /* the per-event path */
    return ids_stack_of_slow(m, proc, id);
}

static inline uint32_t ids_lock_of(struct model *m, uint32_t proc, uint64_t id)
{
    struct pstate *ps = &m->priv->ps[proc];
    if (id < ps->lock_cap && ps->lock_map[id] != MODEL_NONE)
        return ps->lock_map[id]; /* the per-event path */
    return ids_lock_of_slow(m, proc, id);
}

/* Happens-before glue.  Clocks are dropped above HB_MAX_THREADS threads
 * (model.hb_disabled). */
static inline void ids_vc_snapshot(struct model *m, uint32_t thread)
{
    if (!m->hb_disabled)
        hb_snapshot(&m->priv->ts[thread].hb);
}

/* The parent's epoch moves on at its THREAD_CREATE / FORK record, which may
 * come before or after the child's first record: the caller passes the
 * parent's epoch (and clock, if taken) as of that record. */
static inline void ids_vc_inherit(struct model *m, uint32_t child, uint32_t parent,
                                  uint32_t parent_epoch, const struct hb_vc *at)
{
    if (m->hb_disabled || parent == MODEL_NONE || parent == child)
        return;
    hb_inherit(&m->priv->ts[child].hb, parent, &m->priv->ts[parent].hb, parent_epoch, at);
}

static inline void ids_vc_join(struct model *m, uint32_t joiner, uint32_t joined)
{
    if (m->hb_disabled || joined == MODEL_NONE || joined == joiner)
        return;
    hb_join(&m->priv->ts[joiner].hb, &m->priv->ts[joined].hb, joined);
}

/* ---- lock kinds ---- */

static inline bool kind_is_sem(const struct model_lock *l)
{
    return l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED;
}

static inline bool kind_is_recursive(const struct model_lock *l)
{
    return (l->kind == SWT_KIND_MUTEX || l->kind == SWT_KIND_C11_MTX) &&
           l->type == SWT_TYPE_RECURSIVE;
}

/* Objects that a thread holds: locks and binary semaphores. */
static inline bool kind_holdable(const struct model_lock *l) { return l->is_lock; }

/* ---- model_holds.c ---- */

/* The pass state of the lock's object (its graph node): owner, readers. */
static inline struct lstate *holds_state(struct model *m, uint32_t lock)
{
    return &m->priv->ls[m->locks[lock].node];
}

static inline void holds_push(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags,
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
static inline long holds_find(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    uint32_t node = m->locks[lock].node;
    for (size_t i = ts->nheld; i-- > 0;)
        if (m->locks[ts->held[i].lock].node == node)
            return (long)i;
    return -1;
}

static inline void holds_drop(struct model *m, uint32_t thread, long i)
{
    struct tstate *ts = &m->priv->ts[thread];
    if ((size_t)i + 1 < ts->nheld) /* an outer hold released first: rare */
        memmove(&ts->held[i], &ts->held[i + 1], (ts->nheld - (size_t)i - 1) * sizeof *ts->held);
    ts->nheld--;
}

/* Who else holds the object: the owner, or for read holds the last reader. */
static inline uint32_t holds_holder(struct model *m, uint32_t lock)
{
    return holds_state(m, lock)->owner;
}

/* Removes the hold of lock from whichever thread has it (an unlock by a
 * non-owner of a default mutex, or a semaphore posted by another thread). */
void holds_drop_any(struct model *m, uint32_t lock);
/* The object is now owned by thread (a new hold, pushed by the caller). */
void holds_taken(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags, uint32_t site);

/* ---- model_facts.c ---- */

/* Adds a fact, or counts a repeat of (kind, thread, lock, site) on the
 * first one; returns the new fact to fill in, or NULL for a repeat (or a
 * fact that lost events make unfounded). */
struct model_fact *facts_add(struct model *m, enum model_fact_kind kind, uint32_t thread,
                             uint32_t lock, uint32_t site, uint64_t ns);
/* Withdraws thread's HELD_AT_PROC_END facts of lock (MODEL_NONE: all). */
void facts_withdraw_exit(struct model *m, uint32_t thread, uint32_t lock);
/* One fact of kind per lock thread holds now. */
void facts_held_at_end(struct model *m, enum model_fact_kind kind, uint32_t thread, uint64_t ns,
                       uint32_t proc2, uint32_t other);

/* ---- model_edges.c ---- */

/* The edges from every lock thread holds to lock (an ACQUIRE or WAIT). */
void edges_derive(struct model *m, uint32_t thread, uint32_t lock, uint32_t flags, uint32_t site,
                  uint64_t ns);
void edges_on_edge(struct model_ctx *c);
/* After the pass: the orders of threads blocked at the end (profile). */
void edges_final_waits(struct model *m);
/* Drops the lookup table and sorts m->edges by (from, to). */
void edges_sort(struct model *m);

/* ---- model_monitors.c ---- */

/* Notes the locks thread holds (except `except`) while it waits on
 * (waiting) or signals the condvar / counting semaphore obj. */
void monitors_note(struct model *m, uint32_t obj, uint32_t thread, uint32_t site, uint32_t except,
                   bool waiting);
/* After the pass: WAIT_HOLDING facts from the notes. */
void monitors_match(struct model *m);
/* After the pass: labels CPython's GIL (model_gil_pattern). */
void monitors_label_gil(struct model *m);

/* ---- model_locks.c ---- */

void locks_on_lock_new(struct model_ctx *c);
void locks_on_wait(struct model_ctx *c);
void locks_on_acquire(struct model_ctx *c);
void locks_on_fail(struct model_ctx *c);
void locks_on_release(struct model_ctx *c);
void locks_on_sem_post(struct model_ctx *c);
void locks_on_cond_wait(struct model_ctx *c);
void locks_on_cond_wake(struct model_ctx *c);
void locks_on_cond_signal(struct model_ctx *c);
void locks_on_barrier_wait(struct model_ctx *c);
void locks_on_barrier_done(struct model_ctx *c);
void locks_on_destroy(struct model_ctx *c);
/* A fork child's first use of the address of lock (fork evidence). */
void locks_note_child_use(struct model *m, uint32_t proc, uint32_t lock, enum child_use use);

/* ---- model_life.c ---- */

void life_on_thread_start(struct model_ctx *c);
void life_on_thread_create(struct model_ctx *c);
void life_on_thread_exit(struct model_ctx *c);
void life_on_thread_join(struct model_ctx *c);
void life_on_join_begin(struct model_ctx *c);
void life_on_thread_name(struct model_ctx *c);
void life_on_fork(struct model_ctx *c);
void life_on_proc_exit(struct model_ctx *c);
void life_on_exec_failed(struct model_ctx *c);
void life_on_module(struct model_ctx *c);
void life_on_dropped(struct model_ctx *c);
void life_on_note(struct model_ctx *c);
/* The finish, in model_pass.c's order: */
/* processes that ended without a PROC_EXIT record: killed or exited */
void life_unrecorded_ends(struct model *m, bool *killed_procs);
/* each thread's final holds and wait, from its block or the stream */
void life_finalize_thread(struct model *m, uint32_t idx);
/* held-at-end facts from the blocks (after a kill, or profile mode) */
void life_final_holds(struct model *m, uint32_t proc, uint64_t ns, bool killed);
/* waits that never ended on a lock whose holder is gone */
void life_abandoned_waits(struct model *m);
/* held-at-fork facts: kept or dropped on the child's evidence */
void life_resolve_fork_checks(struct model *m);

#endif
