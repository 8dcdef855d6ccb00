/* Lock statistics: a streaming accumulator of the kernel lock_stat columns
 * (acquisitions, contentions, wait and hold min/avg/max/total) per lock, per
 * (lock, thread) and per (lock, acquiring site), plus what the contention
 * and starvation detectors need: owner changes, the holder site each wait
 * was spent on ("blame the holder"), per-(lock, thread) wait distributions,
 * the worst starving wait, the longest barging run, long holds that made
 * someone wait, and the condvar pattern of CPython's GIL.
 *
 * It knows nothing of the model: locks, threads and sites are plain uint32
 * keys chosen by the caller (the analyzer passes model indices, see
 * lockstats_feed.c), LOCKSTATS_NONE meaning "unknown".  Two feeds:
 *   - trace mode: lockstats_wait/acquire/fail/release/... in time order;
 *   - profile mode: lockstats_add_slot with the recorder's swt_stat_slot
 *     counters (no blame, starvation or barging: those need every event).
 * Feed one of the two per trace, never both for the same events.
 *
 * Memory grows with locks, (lock, thread) pairs and (lock, site) pairs,
 * never with events: a wait distribution is a fixed-size log-linear
 * histogram, allocated for a pair only once it has waited. */
#ifndef SYNCWATCH_ANALYZER_LOCKSTATS_H
#define SYNCWATCH_ANALYZER_LOCKSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/trace_format.h"

#define LOCKSTATS_NONE UINT32_MAX

/* Defaults of the thresholds (also the CLI defaults, see docs/analyzer-stats.md). */
#define LOCKSTATS_DEFAULT_WAIT_NS (100ull * 1000 * 1000) /* --wait-threshold 100ms */
#define LOCKSTATS_DEFAULT_STARVE_COUNT 10u               /* --starve-count 10 */
#define LOCKSTATS_DEFAULT_HOLD_NS (1000ull * 1000)       /* --hold-threshold 1ms */

struct lockstats_config {
    /* Starvation: a wait at least this long ... */
    uint64_t wait_threshold_ns;
    /* ... during which other threads acquired the lock at least this many
     * times.  Also the barging bound: one thread re-acquiring the lock this
     * many times in a row while others waited. */
    uint64_t starve_count;
    /* A hold at least this long while someone waited for the lock is a
     * "long hold". */
    uint64_t hold_threshold_ns;
};

void lockstats_config_default(struct lockstats_config *c);

/* The lock_stat columns.  A wait is a WAIT record (the acquisition could not
 * go through at once); it ends in an acquisition or in a FAIL (timeout,
 * error).  Waits still open at the end of the trace are not in these
 * columns (see lockstats_thread_row.waiting_at_end). */
struct lockstats_counts {
    uint64_t acquisitions;  /* new holds; a recursive re-lock by the owner is not one */
    uint64_t contentions;   /* waits begun */
    uint64_t failures;      /* FAIL records: trylock busy, timed out, error */
    uint64_t owner_changes; /* acquisitions whose previous acquirer was another thread */
    uint64_t wait_count;    /* waits timed (ended) */
    uint64_t wait_total_ns, wait_min_ns, wait_max_ns;
    uint64_t hold_count;    /* holds timed (trace: every ended hold; profile: the samples) */
    uint64_t hold_total_ns, hold_min_ns, hold_max_ns;
};

/* total / count, 0 when count is 0. */
uint64_t lockstats_avg(uint64_t total, uint64_t count);

/* A wait distribution: percentiles from the histogram (within 1/16 of the
 * value in trace mode, a factor of 2 from profile counters), max exact. */
struct lockstats_dist {
    uint64_t count;
    uint64_t p50_ns, p99_ns, max_ns;
};

/* One wait worth reporting as starvation. */
struct lockstats_wait_record {
    bool valid;
    bool unfinished;          /* still waiting when the trace ended */
    unsigned flags;           /* SWT_ACQ_* of the wait (SWT_ACQ_WRITE: a writer) */
    uint32_t site;            /* where it waited */
    uint64_t start_ns, duration_ns;
    uint64_t others_acquired; /* acquisitions of the lock by other threads meanwhile */
    uint64_t reads_acquired;  /* of which read (shared) acquisitions */
};

/* A run of consecutive acquisitions of a lock by one thread, each made
 * while another thread was waiting for it (barging). */
struct lockstats_run {
    uint32_t thread;          /* LOCKSTATS_NONE: no run */
    uint32_t site;            /* where the run began */
    uint32_t waiter;          /* a thread that waited through the start of the run */
    uint64_t length;
    uint64_t start_ns, end_ns; /* first and last acquisition of the run */
};

struct lockstats_thread_row {
    uint32_t thread;
    struct lockstats_counts c;
    struct lockstats_dist wait;
    uint64_t blocked_others_ns;   /* waiter time spent while this thread held the lock */
    uint64_t long_holds;          /* holds over the hold threshold while someone waited */
    uint64_t starved_waits;       /* waits that met both starvation thresholds */
    struct lockstats_wait_record worst; /* the longest of those */
    /* Condition variable waits that released this mutex (GIL waiting). */
    uint64_t cond_waits, cond_timeouts, cond_wait_ns;
    bool waiting_at_end, holding_at_end;
};

struct lockstats_site_row {
    uint32_t site;
    struct lockstats_counts c;    /* acquisitions made at this site */
    struct lockstats_dist wait;   /* of the waits made at this site */
    /* Blame: waiter time spent (summed over waiters) while a hold taken at
     * this site was held, and the waits that began meanwhile.  With several
     * shared holders each one's site is charged in full. */
    uint64_t blamed_ns;
    uint64_t blamed_waits;
    uint64_t long_holds;          /* holds over the hold threshold while someone waited */
    uint64_t long_hold_max_ns;
};

struct lockstats_lock_row {
    uint32_t lock;
    unsigned kind;                /* enum swt_lock_kind (SWT_KIND_MUTEX unless declared) */
    unsigned type;
    bool lock_like;               /* a lock (counting semaphores are not) */
    bool from_profile;            /* some numbers came from profile counters */
    bool gil;                     /* used like CPython's GIL (see lockstats.c) */
    struct lockstats_counts c;
    uint64_t read_acquisitions;
    uint64_t unheld_wait_ns;      /* waiter time while no holder was known (hand-offs) */
    uint64_t unheld_waits;
    uint64_t self_waits;          /* waits by a thread that held it already: not contention */
    uint64_t long_holds;
    uint64_t starved_waits;
    struct lockstats_run barge;   /* the longest barging run */
    uint64_t cond_waits, cond_timeouts, cond_wait_ns, cond_threads;
    uint64_t waiting_at_end;      /* threads still waiting for it when the trace ended */
    const struct lockstats_thread_row *const *threads; /* sorted by thread key */
    size_t nthreads;
    const struct lockstats_site_row *const *sites;     /* sorted by site key */
    size_t nsites;
};

struct lockstats;

/* NULL on out of memory; c may be NULL for the defaults. */
struct lockstats *lockstats_new(const struct lockstats_config *c);
void lockstats_free(struct lockstats *s);
const struct lockstats_config *lockstats_config(const struct lockstats *s);

/* Optional: what a lock is.  Undeclared locks are mutexes.  A semaphore
 * declared lock_like (a binary semaphore used as a lock, Python's
 * threading.Lock) is held from its acquisition to the next post by any
 * thread; one that is not lock_like is counted but never a hotspot. */
int lockstats_declare(struct lockstats *s, uint32_t lock, unsigned kind, unsigned type,
                      bool lock_like);

/* Trace feed, in nondecreasing time.  flags are SWT_ACQ_*.  Each returns 0,
 * or -1 when out of memory (the accumulator is then unusable). */
int lockstats_wait(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                   unsigned flags, uint32_t site);
int lockstats_acquire(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                      unsigned flags, uint32_t site);
int lockstats_fail(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                   unsigned flags, uint32_t site);
int lockstats_release(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t lock,
                      unsigned flags, uint32_t site);
int lockstats_sem_post(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t sem,
                       uint32_t site);
int lockstats_cond_wait(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t cond,
                        uint32_t mutex, uint32_t site);
/* err: the wait's result (ETIMEDOUT for a timed wait that timed out). */
int lockstats_cond_wake(struct lockstats *s, uint64_t ns, uint32_t thread, uint32_t cond,
                        uint32_t mutex, int err);

/* Profile feed: one used slot of a thread (slot->lock/site are replaced by
 * the caller's keys lock and site). */
int lockstats_add_slot(struct lockstats *s, uint32_t thread, uint32_t lock, uint32_t site,
                       const struct swt_stat_slot *slot);

/* Ends the accumulation at end_ns (the end of the run): open waits are
 * judged for starvation, blame is charged up to the end, and the rows are
 * built.  Feeding after this is an error (-1).  Returns 0 or -1 (memory). */
int lockstats_finish(struct lockstats *s, uint64_t end_ns);

/* Whether the accumulator ran out of memory (every call after that failed). */
bool lockstats_failed(const struct lockstats *s);
/* Marks it so (a feed that could not allocate its own state). */
void lockstats_mark_failed(struct lockstats *s);

/* Parses a duration option: "250" or "250ns", "20us", "10ms", "1.5s".
 * Returns 0, or -1 if s is not a duration. */
int lockstats_parse_duration(const char *s, uint64_t *ns);

/* Writes a duration for people ("870 ns", "12.5 us", "201 ms", "1.50 s")
 * into buf and returns buf. */
const char *lockstats_format_duration(uint64_t ns, char *buf, size_t len);

/* Private state of a feed (lockstats_feed.c), freed with the accumulator. */
void lockstats_set_aux(struct lockstats *s, void *aux, void (*aux_free)(void *));
void *lockstats_aux(const struct lockstats *s);

/* After lockstats_finish: the locks sorted by key. */
const struct lockstats_lock_row *const *lockstats_locks(const struct lockstats *s, size_t *n);
/* The row of one lock, or NULL. */
const struct lockstats_lock_row *lockstats_lock(const struct lockstats *s, uint32_t lock);

/* The wait histogram, exposed for tests: bucket of a value, and the largest
 * value a bucket holds. */
#define LOCKSTATS_HIST_SUB 8u
#define LOCKSTATS_HIST_BUCKETS (LOCKSTATS_HIST_SUB + 61u * LOCKSTATS_HIST_SUB)
unsigned lockstats_hist_bucket(uint64_t ns);
uint64_t lockstats_hist_upper(unsigned bucket);

#endif
