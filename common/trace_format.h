/* The syncwatch trace format, version 1: the one definition that the
 * recorder (preload/, lib/) writes and the analyzer reads.  docs/trace-format.md
 * is the prose specification; tests/unit/test_format_doc.c checks that the
 * two agree on the version.
 *
 * Layout of one trace file (one file per process):
 *
 *   [0, SWT_HEADER_REGION)            struct swt_file_header, zero padded
 *   [SWT_HEADER_REGION + k*chunk_size) chunk k, k < header.chunks_allocated
 *
 * Chunks are handed out by an atomic compare-and-swap of
 * header.chunks_allocated once the file holds them, so threads never share
 * a chunk and never take a lock to append.  Every
 * chunk starts with struct swt_chunk_header; its kind says what follows:
 *
 *   SWT_CHUNK_EVENTS  a stream of records of one thread (see below)
 *   SWT_CHUNK_THREAD  struct swt_thread_block: the thread's live state (held
 *                     locks, the lock it waits for) and its profile counters,
 *                     updated in place
 *   SWT_CHUNK_STATS   more struct swt_stat_slot of one thread: after the chunk
 *                     header, (chunk_size - 32) / sizeof(struct swt_stat_slot)
 *                     slots; a slot with lock == 0 is free
 *
 * Records.  Byte 0 is the type; a zero byte means "no record here".  The
 * writer stores every other byte first and the type byte last (a release
 * store), so a record is committed exactly when its type byte is nonzero;
 * a thread killed half-way leaves a zero type byte followed by stray bytes,
 * which the reader reports as a torn tail.  All integers after the type are
 * unsigned LEB128 varints.
 *
 *   core record  (type <  SWT_EXT_BASE): type, dt, fields...
 *   ext record   (type >= SWT_EXT_BASE): type, len, dt, nfields, fields..., blob
 *
 * dt is the time since the previous record of the same chunk (the first
 * record counts from chunk.base_ns), in ticks of the header's clock.  The
 * number of fields of a core record is fixed by the schema below; an ext
 * record says how many it carries (nfields), so a newer writer may append
 * fields that an older reader skips.  len counts the bytes after itself, so
 * a reader skips ext records it does not know.  A new minor version may add
 * ext types and append fields to ext records, never change core records
 * (that is a new major version).
 */
#ifndef SYNCWATCH_COMMON_TRACE_FORMAT_H
#define SYNCWATCH_COMMON_TRACE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#define SWT_MAGIC "SYNCWTRC"
#define SWT_MAGIC_LEN 8
#define SWT_VERSION_MAJOR 1
#define SWT_VERSION_MINOR 1
#define SWT_HEADER_REGION 4096u
#define SWT_CHUNK_MAGIC 0x4b435753u /* "SWCK" little endian */
#define SWT_DEFAULT_CHUNK_SIZE (64u * 1024u)
#define SWT_MIN_CHUNK_SIZE 4096u
#define SWT_MAX_CHUNK_SIZE (16u * 1024u * 1024u)
#define SWT_MAX_FIELDS 12
#define SWT_EXT_BASE 0x40
/* Largest core record: type + dt + SWT_MAX_FIELDS varints of 10 bytes. */
#define SWT_MAX_CORE_RECORD (2 + 10 * (SWT_MAX_FIELDS + 1))
#define SWT_MAX_HELD 64
#define SWT_NO_LOCK 0u /* lock ids start at 1 */
#define SWT_NO_SITE 0u /* stack ids start at 1 */

/* Feature bits of header.features: what this trace carries. */
enum swt_feature {
    SWT_FEAT_EVENTS = 1u << 0,   /* every operation is recorded (trace mode) */
    SWT_FEAT_PROFILE = 1u << 1,  /* swt_stat_slot counters are kept */
    SWT_FEAT_EDGES = 1u << 2,    /* SWT_REC_EDGE records are written */
    SWT_FEAT_STACKS = 1u << 3,   /* SWT_REC_STACK and module records */
    SWT_FEAT_HOLD_SAMPLED = 1u << 4, /* hold times of a fraction of acquisitions */
};

enum swt_mode { SWT_MODE_PROFILE = 1, SWT_MODE_TRACE = 2 };

enum swt_clock {
    SWT_CLOCK_MONOTONIC = 1, /* ticks are CLOCK_MONOTONIC nanoseconds */
    SWT_CLOCK_TSC = 2,       /* ticks are TSC counts; ns = ticks * tick_ns_q32 >> 32 */
};

/* header.state */
enum swt_proc_state {
    SWT_PROC_RUNNING = 0, /* never ended cleanly: killed, crashed, or still running */
    SWT_PROC_EXITED = 1,  /* exit/_exit/return from main: exit_status is valid */
    SWT_PROC_SIGNALED = 2, /* a fatal signal was seen: exit_status is the signal */
};

struct swt_file_header {
    char magic[SWT_MAGIC_LEN];
    uint16_t version_major;
    uint16_t version_minor;
    uint32_t header_size;       /* sizeof(struct swt_file_header) as written */
    uint64_t features;          /* enum swt_feature bits */
    uint32_t chunk_size;        /* bytes, multiple of 4096 */
    uint32_t mode;              /* enum swt_mode */
    uint64_t run_id;            /* same in a process, its fork children and exec'ed images */
    int32_t pid;
    int32_t ppid;
    int32_t fork_parent_pid;    /* traced parent this process forked from, or 0 */
    uint32_t fork_parent_thread; /* thread index in the parent that forked, or 0 */
    uint32_t clock;             /* enum swt_clock */
    uint32_t stack_depth;       /* frames per captured stack */
    uint64_t tick_ns_q32;       /* ns per tick in 32.32 fixed point (1<<32 for ns) */
    uint64_t start_ticks;       /* clock reading when the trace began */
    uint64_t start_realtime_ns; /* CLOCK_REALTIME at start, for people */
    /* Updated while the process runs (atomics in the mapping). */
    uint64_t chunks_allocated;  /* chunks handed out; the file holds at least these */
    uint64_t dropped_events;    /* events the recorder could not write */
    uint32_t state;             /* enum swt_proc_state */
    int32_t exit_status;
    uint64_t end_ticks;         /* clock reading at exit, 0 if none */
    uint32_t threads_started;   /* thread indices handed out (main is 1) */
    uint32_t locks_registered;  /* lock ids handed out */
    char exe[256];              /* /proc/self/exe, NUL terminated */
    char cmdline[512];          /* argv joined by spaces, truncated */
    /* Since 1.1 (0 in older files). */
    uint32_t exec_generation;   /* images of this pid before this one in the run (exec) */
    uint32_t fork_parent_generation; /* exec_generation of the image that forked this one */
    /* Written by the hang watchdog (preload/watchdog.c) when it reports. */
    uint64_t hang_ticks;        /* clock at its last report, 0 if it never reported */
    uint32_t hang_count;        /* reports it made */
    uint32_t hang_kind;         /* enum swt_hang_kind of the last report */
};
_Static_assert(sizeof(struct swt_file_header) <= SWT_HEADER_REGION, "header fits its region");
_Static_assert(offsetof(struct swt_file_header, chunks_allocated) % 8 == 0, "atomic alignment");
_Static_assert(offsetof(struct swt_file_header, dropped_events) % 8 == 0, "atomic alignment");
_Static_assert(offsetof(struct swt_file_header, hang_ticks) % 8 == 0, "atomic alignment");

/* What the watchdog saw (swt_file_header.hang_kind). */
enum swt_hang_kind {
    SWT_HANG_NONE = 0,
    SWT_HANG_CYCLE = 1,       /* threads in a wait-for cycle (locks, joins), or a self-wait */
    SWT_HANG_ALL_WAITING = 2, /* every thread blocked in waits nothing running can end */
};

enum swt_chunk_kind {
    SWT_CHUNK_EVENTS = 1,
    SWT_CHUNK_THREAD = 2,
    SWT_CHUNK_STATS = 3,
};

struct swt_chunk_header {
    uint32_t magic;    /* SWT_CHUNK_MAGIC once the chunk is set up */
    uint16_t kind;     /* enum swt_chunk_kind */
    uint16_t reserved;
    uint32_t thread;   /* thread index in this process, 1 = main thread */
    uint32_t seq;      /* order of this chunk among the thread's chunks of its kind */
    uint32_t tid;      /* kernel thread id */
    uint32_t used;     /* EVENTS: bytes of records committed (a hint; type bytes decide) */
    uint64_t base_ticks; /* EVENTS: dt of the first record counts from here */
};
_Static_assert(sizeof(struct swt_chunk_header) == 32, "chunk header is 32 bytes");

/* Profile counters of one (lock, site) pair in one thread.  Waits are timed
 * only when an acquisition was contended; holds are timed for a sample of
 * acquisitions (hold_samples of them). */
#define SWT_HIST_BUCKETS 32 /* bucket b counts waits in [2^b, 2^(b+1)) ns; b=0 also 0 */
struct swt_stat_slot {
    uint32_t lock;          /* 0 = free slot */
    uint32_t site;          /* acquiring stack id */
    uint64_t acquisitions;
    uint64_t contentions;   /* acquisitions that had to wait */
    uint64_t failures;      /* trylock busy, timeouts, errors */
    uint64_t wait_total_ns;
    uint64_t wait_min_ns;
    uint64_t wait_max_ns;
    uint64_t hold_samples;
    uint64_t hold_total_ns;
    uint64_t hold_min_ns;
    uint64_t hold_max_ns;
    uint64_t owner_changes; /* acquisitions where the previous holder was another thread */
    uint32_t wait_hist[SWT_HIST_BUCKETS];
};
_Static_assert(sizeof(struct swt_stat_slot) == 224, "stat slot layout");
/* The lock of the one slot per thread (in its THREAD block, site 0) that
 * counts the acquisitions, waits and failures for which no (lock, site)
 * slot had room (format 1.1): they are counted, without their lock. */
#define SWT_STAT_UNCOUNTED 0xffffffffu

struct swt_held {
    uint32_t lock;
    uint32_t flags;       /* SWT_ACQ_* of the acquisition */
    uint32_t site;
    uint32_t depth;       /* recursion depth for recursive mutexes, read count for rwlocks */
    uint64_t since_ticks; /* when it was acquired (0 if the clock was not read) */
};
_Static_assert(sizeof(struct swt_held) == 24, "held entry layout");

/* The live state of one thread, kept in place in its SWT_CHUNK_THREAD chunk,
 * so that after a kill the trace still says who held and who waited for what. */
#define SWT_JOIN_UNKNOWN 0xffffffffu /* swt_thread_block.waiting_join: a thread not known */

enum swt_thread_state {
    SWT_THREAD_RUNNING = 0,
    SWT_THREAD_EXITED = 1,   /* returned or called pthread_exit */
    SWT_THREAD_CANCELED = 2,
};

struct swt_thread_block {
    struct swt_chunk_header chunk;
    uint32_t state;          /* enum swt_thread_state */
    uint32_t nheld;          /* entries of held[] in use (more are counted, not kept) */
    uint32_t held_overflow;  /* holds beyond SWT_MAX_HELD */
    uint32_t waiting_lock;   /* lock this thread is blocked on, 0 if none */
    uint32_t waiting_flags;  /* SWT_ACQ_* of that wait */
    uint32_t waiting_site;
    uint64_t waiting_since_ticks;
    uint32_t nstats;         /* slots of stats[] (capacity) */
    uint32_t waiting_join;   /* since 1.1: thread index this thread is blocked joining
                                (SWT_JOIN_UNKNOWN: one the recorder does not know), 0 if
                                none; waiting_site/since describe it when waiting_lock is 0 */
    struct swt_held held[SWT_MAX_HELD];
    struct swt_stat_slot stats[]; /* open addressing by (lock, site) */
};

/* Record types.  Core records first: they are the hot path. */
enum swt_rec_type {
    SWT_REC_NONE = 0,
    SWT_REC_ACQUIRE = 0x01,      /* lock, flags, site: a hold begins (or deepens) */
    SWT_REC_WAIT = 0x02,         /* lock, flags, site: blocked, waiting to acquire */
    SWT_REC_FAIL = 0x03,         /* lock, flags, site, error: try/timed/error, no hold */
    SWT_REC_RELEASE = 0x04,      /* lock, flags, site: a hold ends (or shallows) */
    SWT_REC_COND_WAIT = 0x05,    /* cond, mutex, site: wait begins (RELEASE of mutex precedes) */
    SWT_REC_COND_WAKE = 0x06,    /* cond, mutex, error: wait ended (ACQUIRE of mutex follows) */
    SWT_REC_COND_SIGNAL = 0x07,  /* cond, flags, site */
    SWT_REC_SEM_POST = 0x08,     /* sem, site, value+1 after the post (0 = unknown) */
    SWT_REC_BARRIER_WAIT = 0x09, /* barrier, site */
    SWT_REC_BARRIER_DONE = 0x0a, /* barrier, error (0 or serial thread) */
    SWT_REC_DESTROY = 0x0b,      /* lock, site, error */
    SWT_REC_CORE_LAST = 0x0b,

    SWT_REC_LOCK_NEW = 0x40,     /* lock, kind, type, flags, addr, generation, site, dev, ino,
                                    offset, value; blob: name (named semaphores) */
    SWT_REC_THREAD_START = 0x41, /* thread, parent, create_site, pthread_self */
    SWT_REC_THREAD_CREATE = 0x42, /* child thread, site, error */
    SWT_REC_THREAD_EXIT = 0x43,  /* how (enum swt_thread_state), nheld; blob: held lock ids */
    SWT_REC_THREAD_JOIN = 0x44,  /* joined thread (0 unknown), site, error */
    SWT_REC_THREAD_DETACH = 0x45, /* thread */
    SWT_REC_THREAD_NAME = 0x46,  /* thread; blob: name */
    SWT_REC_STACK = 0x47,        /* stack id, nframes; blob: nframes varint ips, innermost first */
    SWT_REC_MODULE = 0x48,       /* start, end, file offset, build-id length; blob: build-id, path */
    SWT_REC_FORK = 0x49,         /* role (0 parent, 1 child), other pid, error, forking thread;
                                    blob: (thread, lock) pairs held by others (profile) */
    SWT_REC_PROC_EXIT = 0x4a,    /* how (enum swt_exit_how), status */
    SWT_REC_DLOPEN = 0x4b,       /* flags, ok (0 failed, 1 loaded, 2 unknown); blob: path */
    SWT_REC_EDGE = 0x4c,         /* from, to, flags, from_site, to_site; blob: other held ids
                                    (varints); flags = SWT_EDGE_FLAGS(from hold, to acquisition) */
    SWT_REC_DROPPED = 0x4d,      /* count of events this thread could not record */
    SWT_REC_NOTE = 0x4e,         /* code (enum swt_note); blob: text */
    SWT_REC_JOIN_BEGIN = 0x4f,   /* since 1.1: thread to join (0 unknown), site: a join starts
                                    (THREAD_JOIN says how it ended) */
    SWT_REC_EXEC = 0x50,         /* since 1.1: error, generation: an exec after PROC_EXIT(EXEC)
                                    failed and this image goes on; blob: path */
    SWT_REC_COND_DESTROY_BEGIN = 0x51, /* since 1.1: cond, site: a condvar destroy starts
                                          (glibc's waits for the waiters to leave; DESTROY
                                          follows) */
    /* 0x52: reserved */
    SWT_REC_EXT_LAST = 0x51,
};

/* Flags of ACQUIRE, WAIT, FAIL, RELEASE and of held entries. */
enum swt_acq_flag {
    SWT_ACQ_READ = 1u << 0,       /* rwlock read (shared) hold */
    SWT_ACQ_WRITE = 1u << 1,      /* rwlock write hold */
    SWT_ACQ_TRY = 1u << 2,        /* trylock: cannot block */
    SWT_ACQ_TIMED = 1u << 3,      /* timedlock/clocklock/timedwait */
    SWT_ACQ_CONTENDED = 1u << 4,  /* ACQUIRE after a WAIT */
    SWT_ACQ_RECURSIVE = 1u << 5,  /* re-lock/unlock by the owner of a recursive mutex */
    SWT_ACQ_OWNER_DEAD = 1u << 6, /* robust mutex returned EOWNERDEAD */
    SWT_ACQ_COND = 1u << 7,       /* synthetic release/re-acquire around a condvar wait */
    SWT_ACQ_BROADCAST = 1u << 8,  /* COND_SIGNAL: broadcast */
    SWT_ACQ_CANCELED = 1u << 9,   /* COND_WAKE/ACQUIRE after cancellation in a wait */
    SWT_ACQ_C11 = 1u << 10,       /* through mtx_* / cnd_* */
    SWT_ACQ_SPIN = 1u << 11,      /* spinning acquisition */
};

/* EDGE flags: the SWT_ACQ_* of the hold of `from` in the low 16 bits, those
 * of the acquisition of `to` in the high 16 bits. */
#define SWT_EDGE_FLAGS(from_flags, to_flags) \
    (((uint64_t)(from_flags) & 0xffffu) | (((uint64_t)(to_flags) & 0xffffu) << 16))
#define SWT_EDGE_FROM(flags) ((unsigned)(flags) & 0xffffu)
#define SWT_EDGE_TO(flags) (((unsigned)(flags) >> 16) & 0xffffu)

enum swt_lock_kind {
    SWT_KIND_MUTEX = 1,
    SWT_KIND_RWLOCK = 2,
    SWT_KIND_SPIN = 3,
    SWT_KIND_COND = 4,
    SWT_KIND_BARRIER = 5,
    SWT_KIND_SEM = 6,        /* unnamed sem_t */
    SWT_KIND_SEM_NAMED = 7,  /* sem_open */
    SWT_KIND_C11_MTX = 8,
    SWT_KIND_C11_CND = 9,
};

/* LOCK_NEW type: the mutex type, or the rwlock preference. */
enum swt_lock_type {
    SWT_TYPE_DEFAULT = 0,
    SWT_TYPE_NORMAL = 1,
    SWT_TYPE_RECURSIVE = 2,
    SWT_TYPE_ERRORCHECK = 3,
    SWT_TYPE_ADAPTIVE = 4,
    SWT_TYPE_RW_PREFER_READER = 5,        /* glibc default */
    SWT_TYPE_RW_PREFER_WRITER = 6,
    SWT_TYPE_RW_PREFER_WRITER_NONREC = 7,
};

/* LOCK_NEW flags. */
enum swt_lock_flag {
    SWT_LOCK_ROBUST = 1u << 0,
    SWT_LOCK_PSHARED = 1u << 1,  /* process-shared: dev/ino/offset identify it */
    SWT_LOCK_STATIC = 1u << 2,   /* first seen without init (static initialiser, std::mutex) */
    SWT_LOCK_FAILED_INIT = 1u << 3, /* the real init failed */
};

enum swt_exit_how {
    SWT_EXIT_EXIT = 1,      /* exit() or return from main */
    SWT_EXIT__EXIT = 2,     /* _exit / _Exit: no atexit handlers ran */
    SWT_EXIT_SIGNAL = 3,    /* fatal signal (status = signal number) */
    SWT_EXIT_EXEC = 4,      /* execve replaced the image */
};

enum swt_note {
    SWT_NOTE_DEEPBIND = 1,  /* a library opened with RTLD_DEEPBIND bypasses the shim */
    SWT_NOTE_TABLE_FULL = 2, /* an internal table filled up: ids may repeat or be 0 */
    SWT_NOTE_OTHER = 3,
};

/* Field names of each record type, in order; the schema drives the generic
 * writer in trace_encode.h and the reader.  nfields excludes type, len, dt. */
struct swt_schema {
    const char *name;
    uint8_t nfields;
    uint8_t has_blob;
    const char *fields[SWT_MAX_FIELDS];
};

extern const struct swt_schema swt_schema_core[SWT_REC_CORE_LAST + 1];
extern const struct swt_schema swt_schema_ext[SWT_REC_EXT_LAST - SWT_EXT_BASE + 1];

/* The schema of a type, or NULL if this version does not know it. */
const struct swt_schema *swt_schema_of(unsigned type);
const char *swt_kind_name(unsigned kind);
const char *swt_type_name(unsigned type);

static inline int swt_is_ext(unsigned type) { return type >= SWT_EXT_BASE; }

#endif
