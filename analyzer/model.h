/* The model of one traced run: what the analyzer knows after its single
 * streaming pass over the merged records of every trace file of the run (a
 * parent process and its fork children).
 *
 * Everything is addressed by dense 0-based indices into the arrays of
 * struct model (MODEL_NONE = absent), never by the per-process ids of the
 * trace, so detectors do not care which process a lock or thread came from.
 * Memory grows with processes, threads, locks, stacks and lock-order edges,
 * never with the number of events.
 *
 * The pass only records facts (who held what when a thread ended, which
 * unlock had no hold, which lock orders were seen, ...).  Detectors
 * (detect_*.c) are pure functions from a const model to findings; they
 * never print.  Code that must see every event in time order (contention
 * and starvation statistics) registers a struct model_observer. */
#ifndef SYNCWATCH_ANALYZER_MODEL_H
#define SYNCWATCH_ANALYZER_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/trace_format.h"
#include "common/trace_reader.h"

#define MODEL_NONE UINT32_MAX

/* One trace file = one process. */
struct model_module {
    uint64_t start, end, offset; /* mapping of the file, as recorded */
    uint8_t *build_id;
    uint32_t build_id_len;
    char *path;
};

struct model_process {
    uint32_t index;          /* P1.. in output = index + 1 (order of the files by pid order) */
    const char *file;        /* trace file path */
    struct swt_file_header hdr; /* copy of the header as read */
    int32_t pid, ppid;
    uint32_t parent_proc;    /* traced process this one forked from, or MODEL_NONE */
    uint32_t fork_thread;    /* model thread in the parent that forked, or MODEL_NONE */
    uint64_t fork_ns;        /* run time of the fork, if known */
    uint32_t exec_prev;      /* the image of this pid that exec'ed this one, or MODEL_NONE */
    uint32_t exec_next;      /* the image this one exec'ed, or MODEL_NONE: the images of one
                                pid, in exec order, are one process's life (model_images.c) */
    uint32_t exit_how;       /* enum swt_exit_how from PROC_EXIT, 0 if none was recorded */
    int32_t exit_status;
    bool ended;              /* exited or signalled (header state or PROC_EXIT) */
    bool killed;             /* never ended cleanly: SIGKILL or crash */
    bool running;            /* never ended cleanly and alive now: a live trace */
    uint64_t now_ns;         /* running: the run time when the trace was read */
    uint64_t end_ns;         /* run time of the end, or of its last record */
    uint64_t nevents;        /* records read */
    struct model_module *modules;
    size_t nmodules;
};

/* How a thread's life ended, as far as the trace tells. */
enum model_thread_end {
    MODEL_END_UNKNOWN = 0,   /* no exit record: still running when the process ended */
    MODEL_END_EXITED,        /* returned or called pthread_exit */
    MODEL_END_CANCELED,
    MODEL_END_PROC_EXIT,     /* the process exited (exit/_exit) while it ran */
    MODEL_END_KILLED,        /* the process was killed or crashed while it ran */
};

struct model_held {
    uint32_t lock;           /* model lock */
    uint32_t flags;          /* SWT_ACQ_* of the acquisition */
    uint32_t site;           /* model stack, or MODEL_NONE */
    uint32_t depth;          /* recursion depth / read count */
    uint64_t since_ns;       /* run time of the acquisition (0 if unknown) */
};

struct model_thread {
    uint32_t index;          /* this thread's model index */
    uint32_t display;        /* T<display> in output: numbered by first appearance, from 1 */
    uint32_t proc;           /* model process */
    uint32_t tindex;         /* thread index inside its process (1 = main) */
    uint32_t tid;            /* kernel thread id */
    char *name;              /* pthread_setname_np name, or NULL */
    uint32_t parent;         /* creating model thread, or MODEL_NONE */
    uint32_t create_site;    /* model stack of pthread_create, or MODEL_NONE */
    uint64_t start_ns, end_ns; /* first and last sight (end_ns: exit if recorded) */
    enum model_thread_end end;
    uint32_t joined_by;      /* model thread that joined it, or MODEL_NONE */
    uint64_t join_ns;
    /* Final state: the thread block if the file has one (it survives a
     * kill), else the state left by the event stream. */
    struct model_held *held;
    size_t nheld;
    uint32_t held_overflow;  /* holds the thread block could not keep */
    uint32_t waiting_lock;   /* model lock it was blocked on at the end, or MODEL_NONE */
    uint32_t waiting_flags;
    uint32_t waiting_site;
    uint64_t waiting_since_ns;
    uint32_t waiting_join;   /* model thread it was blocked joining at the end, or MODEL_NONE
                                (then waiting_site/waiting_since_ns are the join's) */
    uint64_t nevents;        /* records of this thread */
    uint64_t dropped_events; /* events its DROPPED records say the recorder lost (the
                                header may count more: drops not yet reported) */
    /* Profile mode: operations counted without their lock (the thread's
     * SWT_STAT_UNCOUNTED slot: its (lock, site) tables were full). */
    uint64_t uncounted_acquisitions, uncounted_contentions, uncounted_failures;
    /* The text of the first "internal table full" NOTE of this thread (the
     * recorder could not keep something), or NULL. */
    char *table_full_note;
};

/* A lock-like object: mutex, rwlock, spinlock, condvar, barrier, semaphore. */
struct model_lock {
    uint32_t index;          /* this lock's model index */
    uint32_t display;        /* L<display> in output: numbered by first appearance, from 1 */
    uint32_t proc;           /* model process that registered it */
    uint32_t id;             /* lock id inside that process's trace */
    uint32_t node;           /* model lock that stands for this object in graphs: itself, or
                                the first lock of another process with the same shared
                                identity (pshared objects, named semaphores) */
    uint32_t kind;           /* enum swt_lock_kind */
    uint32_t type;           /* enum swt_lock_type */
    uint32_t flags;          /* enum swt_lock_flag */
    uint64_t addr;
    uint64_t generation;
    uint64_t dev, ino, offset; /* shared identity (pshared / named) */
    uint64_t value;          /* semaphore initial value, barrier count */
    char *sem_name;          /* named semaphore name, or NULL */
    uint32_t init_site;      /* model stack of init or first use, or MODEL_NONE */
    uint32_t first_thread;   /* model thread that first used it */
    uint64_t first_ns;
    char *name;              /* symbol of a global/static lock, or function:line; NULL until
                                names are resolved (names_name_locks) */
    const char *label;       /* a role recognised from its use ("GIL"), or NULL */
    bool is_lock;            /* takes part in the lock graph: mutexes, rwlocks, spinlocks,
                                C11 mutexes and binary semaphores used as locks */
    bool binary_sem;         /* a semaphore of initial value 1 taken and posted back */
    bool destroyed;          /* a DESTROY was recorded for this generation */
    uint64_t acquisitions;   /* from events or profile counters */
    uint64_t contentions;
    /* Semaphores and condvars: the first MODEL_MAX_POSTERS distinct threads
     * that posted or signalled it (trace mode), for the hang findings. */
    uint32_t posters[4];
    uint32_t poster_sites[4]; /* the stack of each one's first post or signal */
    uint8_t nposters;
    bool more_posters;
};
#define MODEL_MAX_POSTERS 4

/* A deduplicated call stack of one process. */
struct model_stack {
    uint32_t proc;
    uint32_t id;             /* stack id in the process's trace */
    uint32_t nframes;
    uint64_t *ips;           /* innermost first */
};

/* One way an edge was seen.  Occurrences of an edge that differ in thread,
 * flags or the other locks held at the time are kept apart (up to
 * MODEL_MAX_VARIANTS per edge), because the pruning rules look at exactly
 * these.  Stacks and times are those of the first sight of the variant. */
#define MODEL_MAX_VARIANTS 32
#define MODEL_MAX_GATES 8
struct model_edge_variant {
    uint32_t thread;         /* model thread */
    uint32_t from_flags;     /* SWT_ACQ_* of the hold of `from` */
    uint32_t to_flags;       /* SWT_ACQ_* of the acquisition of `to` */
    uint32_t from_site;      /* model stack where `from` was acquired, or MODEL_NONE */
    uint32_t to_site;        /* model stack where `to` was acquired, or MODEL_NONE */
    uint64_t first_ns, last_ns;
    uint32_t epoch_first, epoch_last; /* the thread's happens-before epoch (model_hb_*) */
    uint64_t count;
    uint32_t ngates;         /* other locks (graph nodes) held at the time, sorted */
    uint32_t gates[MODEL_MAX_GATES];
    bool gates_overflow;     /* more were held than kept: gate pruning is off for it */
};

/* Lock-order edge from -> to: `to` was acquired while `from` was held.
 * Both ends are graph nodes (model_lock.node). */
struct model_edge {
    uint32_t from, to;
    uint64_t count;
    struct model_edge_variant *variants;
    uint32_t nvariants;
    bool variants_overflow;  /* more variants than kept */
    uint32_t last_variant;   /* model_edges.c's lookup hint: the variant matched last */
};

/* Facts for the misuse and abandoned-lock detectors, in the order seen. */
enum model_fact_kind {
    MODEL_FACT_NONE = 0,             /* withdrawn: a later record disproved it */
    MODEL_FACT_UNLOCK_NOT_OWNER = 1, /* unlock of a lock held by another thread (other) */
    MODEL_FACT_UNLOCK_UNHELD,        /* unlock of a lock nobody holds */
    MODEL_FACT_DOUBLE_UNLOCK,        /* unlock right after this thread's own unlock */
    MODEL_FACT_DESTROY_HELD,         /* destroy while held (by other; may be the caller) */
    MODEL_FACT_RELOCK,               /* a non-recursive lock waited for / taken by its holder */
    MODEL_FACT_COND_TWO_MUTEXES,     /* a condvar waited with mutex `lock2` after `lock` */
    MODEL_FACT_COND_NO_MUTEX,        /* condvar wait without holding its mutex */
    MODEL_FACT_USE_AFTER_DESTROY,    /* a destroyed lock used again without init */
    MODEL_FACT_HELD_AT_THREAD_END,   /* thread ended holding the lock */
    MODEL_FACT_HELD_AT_PROC_END,     /* process exited or was killed while the thread held it */
    MODEL_FACT_HELD_AT_FORK,         /* another thread held it when the process forked; the
                                        child (proc2) inherits it locked */
    MODEL_FACT_OWNER_DEAD,           /* a robust mutex returned EOWNERDEAD */
    MODEL_FACT_WAIT_ON_ABANDONED,    /* a wait on an abandoned lock failed or never ended */
    MODEL_FACT_SEM_OVERPOST,         /* a binary semaphore posted above 1 */
    MODEL_FACT_WAIT_HOLDING,         /* thread waited on condvar/semaphore lock2 holding lock;
                                        `other` signals/posts lock2 only holding lock too */
};

struct model_fact {
    enum model_fact_kind kind;
    uint32_t thread;         /* the thread that did it */
    uint32_t lock;           /* model lock */
    uint32_t lock2;          /* COND_TWO_MUTEXES: the mutex used first, else MODEL_NONE */
    uint32_t lock3;          /* COND_TWO_MUTEXES: the other mutex, else MODEL_NONE */
    uint32_t other;          /* other model thread involved (holder), or MODEL_NONE */
    uint32_t site;           /* model stack of the operation, or MODEL_NONE */
    uint32_t other_site;     /* model stack of the other side (e.g. holder's acquire) */
    uint32_t proc2;          /* second process (fork child), or MODEL_NONE */
    uint64_t ns;
    uint64_t count;          /* repeats of the same (kind, thread, lock, site) folded here */
    bool never_ended;        /* WAIT_ON_ABANDONED: still waiting at the end (a hang), not failed */
};

/* One event as the observers see it: the raw record plus model indices. */
struct model_event {
    const struct swt_rec *rec;
    uint32_t proc;
    uint32_t thread;         /* model thread of the record */
    uint32_t lock;           /* model lock of field 0 for lock records, else MODEL_NONE */
    uint32_t lock2;          /* model lock of field 1 of COND_WAIT/COND_WAKE (the mutex), else
                                MODEL_NONE */
    uint32_t site;           /* model stack of the record's site field, or MODEL_NONE */
    uint64_t ns;             /* run time (ns since the earliest trace start of the run) */
    /* WAIT/ACQUIRE: the thread that held the lock when the wait began (for
     * rwlocks: the last writer, or last reader if no writer) and the site
     * where it acquired it; MODEL_NONE if unknown or free. */
    uint32_t holder;
    uint32_t holder_site;
};

struct model;

/* Code that needs the ordered event stream (statistics) plugs in here.
 * Every callback is optional. */
struct model_observer {
    void *ctx;
    void (*event)(void *ctx, const struct model *m, const struct model_event *ev);
    /* Profile counters: called once per used swt_stat_slot, after the pass,
     * with model lock and model stack indices. */
    void (*stat_slot)(void *ctx, const struct model *m, uint32_t thread, uint32_t lock,
                      uint32_t site, const struct swt_stat_slot *slot);
    void (*done)(void *ctx, const struct model *m);
};

struct model {
    struct model_process *procs;
    size_t nprocs;
    struct model_thread *threads;
    size_t nthreads;
    struct model_lock *locks;
    size_t nlocks;
    struct model_stack *stacks;
    size_t nstacks;
    struct model_edge *edges;   /* sorted by (from, to) once the pass is done */
    size_t nedges;
    struct model_fact *facts;
    size_t nfacts;
    uint64_t nevents;           /* records processed */
    uint64_t duration_ns;       /* run time of the last record */
    uint64_t dropped_events;    /* sum of the headers' dropped_events and DROPPED records */
    bool has_events;            /* some trace was recorded in trace mode */
    bool has_profile;           /* some trace has profile counters */
    bool hb_disabled;           /* too many threads for happens-before clocks */
    /* Private state of the pass (analyzer/model_state.h). */
    struct model_priv *priv;
};

/* Options of the pass. */
struct model_opts {
    bool derive_edges;          /* also derive edges from ACQUIRE/WAIT in trace mode (default on;
                                   off: only the shim's EDGE records) */
    /* Called for progress with bytes done / total, at most a few times a second. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
};

/* Reads every trace (already opened, one run) in one merged, time-ordered
 * pass and builds the model.  Returns 0, or -1 with a message in err (a
 * corrupt record: the message names the file and byte offset).  Warnings go
 * through the traces' own warning lists. */
int model_build(struct model *m, struct swt_trace *const *traces, size_t ntraces,
                const struct model_opts *opts, const struct model_observer *obs, size_t nobs,
                char *err, size_t errlen);
void model_free(struct model *m);

/* Lookups (MODEL_NONE / NULL when absent). */
const struct model_edge *model_edge_find(const struct model *m, uint32_t from, uint32_t to);
/* Whether every occurrence of variant a happened before variant b begins
 * (thread create/join, fork). */
bool model_hb_before(const struct model *m, const struct model_edge_variant *a,
                     const struct model_edge_variant *b);

/* CPython's GIL, the one rule (model_monitors.c): a mutex whose condvar
 * several threads wait on with a timeout, many of those waits timing out,
 * in a Python process.  The pass labels what it sees (model_lock.label);
 * lockstats, which measures the wait times, applies the same rule with
 * them. */
struct model_gil_evidence {
    uint64_t waiter_threads;  /* threads that waited (2 = two or more) */
    uint64_t waits, timeouts; /* condvar waits, and those that timed out */
    bool timed;               /* timeout_ns is measured */
    uint64_t timeout_ns;      /* total time of the timed-out waits */
};
bool model_gil_pattern(const struct model_gil_evidence *e);
/* Whether the process runs CPython (its program or command line). */
bool model_gil_process(const struct model *m, uint32_t proc);

/* Display helpers: "T3" or the thread's name; "L2" or the lock's name. */
const char *model_thread_label(const struct model *m, uint32_t thread, char *buf, size_t len);
const char *model_lock_label(const struct model *m, uint32_t lock, char *buf, size_t len);

/* model_images.c: links the images of each pid (exec_prev, exec_next) by
 * their headers' exec_generation; run by model_build. */
void model_link_images(struct model *m);

#endif
