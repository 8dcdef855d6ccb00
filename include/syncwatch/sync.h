/* syncwatch-sync: named, checked, ordered synchronization primitives.
 *
 * Every object carries a name, every call returns 0 or a negative SW_E*
 * code (sw_strerror() says what it means), and misuse -- unlocking a lock
 * the thread does not hold, locking again a non-recursive lock it holds,
 * destroying a held lock, using an object before init or after destroy,
 * releasing a bounded semaphore past its bound, taking locks against their
 * declared order -- is reported at the call that does it, through a
 * replaceable violation handler (docs/library.md, syncwatch-sync(3)).
 * Built with -fsanitize=thread the primitives announce themselves to
 * ThreadSanitizer; under the syncwatch shim their operations go into the
 * trace by name.
 *
 * The structures are public only so that they can be allocated statically
 * (SW_MUTEX_INITIALIZER and friends); their fields are private. */
#ifndef SYNCWATCH_SYNC_H
#define SYNCWATCH_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "syncwatch/annotations.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SW_API __attribute__((visibility("default")))

/* ---- errors ------------------------------------------------------------ */

/* The one list of error codes: SW_E<name> = value, with its message. */
#define SW_ERRNO_MAP(X)                                                        \
    X(EINVAL, -1, "invalid argument")                                          \
    X(EPERM, -2, "not held by the calling thread")                             \
    X(EDEADLK, -3, "already held by the calling thread (would self-deadlock)") \
    X(EBUSY, -4, "busy: held or waited on by a thread")                        \
    X(ETIMEDOUT, -5, "timed out")                                              \
    X(EUNINIT, -6, "used before initialization")                               \
    X(EDESTROYED, -7, "used after destruction")                                \
    X(EOVERFLOW, -8, "released beyond its bound")                              \
    X(EORDER, -9, "acquired against the declared lock order")                  \
    X(EAGAIN, -10, "not available now")

enum sw_errno {
#define SW_ERRNO_ENUM(name, value, msg) SW_##name = (value),
    SW_ERRNO_MAP(SW_ERRNO_ENUM)
#undef SW_ERRNO_ENUM
};

/* The message of an SW_E* code (or "unknown error" for anything else);
 * never NULL, a static string. */
SW_API const char *sw_strerror(int err);
/* The name of an SW_E* code ("EPERM"), or "E?" for anything else. */
SW_API const char *sw_errname(int err);

/* ---- lock classes and declared order ------------------------------------ */

/* A lock class groups locks that play the same part (every bucket lock of a
 * hash table, say).  A class with rank > 0 may only be acquired while every
 * ranked lock the thread holds has a strictly smaller rank.  `after` lists
 * (NULL-terminated) classes this one is acquired after: taking one of those
 * while holding this one is a violation too.  Checked on every acquisition,
 * on the first wrong one, without waiting for the reverse order to happen. */
typedef struct sw_lock_class {
    const char *name;
    unsigned rank;
    const struct sw_lock_class *const *after;
} sw_lock_class_t;

#define SW_LOCK_CLASS(name, rank) { (name), (rank), NULL }
#define SW_LOCK_CLASS_AFTER(name, rank, ...) \
    { (name), (rank), (const struct sw_lock_class *const[]){ __VA_ARGS__, NULL } }

/* The head every primitive starts with (private). */
struct sw_object {
    uint32_t magic;
    uint32_t flags;
    const char *name;
    const sw_lock_class_t *cls;
    uint64_t trace_id; /* 0 until the shim's recorder has named it */
};

/* ---- violations ---------------------------------------------------------- */

#define SW_VIOLATION_MAP(X)                                                        \
    X(UNLOCK_NOT_OWNER, "unlock by a thread that does not hold it")                \
    X(UNLOCK_NOT_LOCKED, "unlock of a lock that is not locked (double unlock?)")   \
    X(RELOCK, "relock of a non-recursive lock the thread holds (self-deadlock)")  \
    X(DESTROY_HELD, "destroy of a lock that is held")                              \
    X(DESTROY_WAITED, "destroy of an object threads are waiting on")               \
    X(UNINIT, "use before initialization")                                         \
    X(DESTROYED, "use after destruction")                                          \
    X(OVER_RELEASE, "release of a bounded semaphore beyond its bound")             \
    X(ORDER, "acquisition against the declared lock order")                        \
    X(ASSERT_HELD, "assertion failed: the lock is not held by this thread")        \
    X(ASSERT_NOT_HELD, "assertion failed: the lock is held by this thread")        \
    X(COND_NOT_HELD, "condition wait without holding its mutex")

enum sw_violation_kind {
#define SW_VIOLATION_ENUM(name, msg) SW_V_##name,
    SW_VIOLATION_MAP(SW_VIOLATION_ENUM)
#undef SW_VIOLATION_ENUM
    SW_V_COUNT
};

/* One lock a thread holds, as the violation report lists it. */
typedef struct sw_held_lock {
    const struct sw_object *obj;
    int shared; /* held for reading */
} sw_held_lock_t;

typedef struct sw_violation {
    enum sw_violation_kind kind;
    int error;                      /* the SW_E* the call returns */
    const char *what;               /* sentence for kind */
    const char *op;                 /* the call: "sw_mutex_unlock" */
    const void *object;             /* the object misused */
    const char *type;               /* "mutex", "rwlock", ... */
    const char *name;               /* its declared name (or "?") */
    const struct sw_object *other;  /* ORDER: the held lock it conflicts with */
    const sw_held_lock_t *held;     /* the calling thread's held locks, oldest first */
    unsigned nheld;
} sw_violation_t;

typedef void (*sw_violation_handler_t)(const sw_violation_t *v, void *arg);

/* Replaces the violation handler (NULL restores the default) and returns
 * the previous one.  The default writes a report to stderr (what, the
 * object by name, the locks the thread holds, a backtrace) and aborts,
 * unless SYNCWATCH_ON_VIOLATION=report, when the call returns its error (or,
 * for ORDER, takes the lock and returns 0).  A handler that returns gets the
 * same: the call then fails with v->error without doing anything, except an
 * ORDER violation, where the lock is still acquired. */
SW_API sw_violation_handler_t sw_set_violation_handler(sw_violation_handler_t h, void *arg);
/* The default handler, for handlers that want to chain to it. */
SW_API void sw_default_violation_handler(const sw_violation_t *v, void *arg);
/* The name of a violation kind ("RELOCK") and its sentence. */
SW_API const char *sw_violation_name(enum sw_violation_kind kind);
SW_API const char *sw_violation_what(enum sw_violation_kind kind);
/* Writes a violation report (as the default handler does, without the
 * backtrace) to fd. */
SW_API void sw_violation_write(int fd, const sw_violation_t *v);

/* The locks the calling thread holds (sw_mutex, sw_rwlock, sw_spin), oldest
 * first: copies up to max into out and returns how many it holds. */
SW_API unsigned sw_held_locks(sw_held_lock_t *out, unsigned max);

/* Magic words (private). */
#define SW_MAGIC_MUTEX 0x5357786dU
#define SW_MAGIC_RWLOCK 0x53577277U
#define SW_MAGIC_SPIN 0x53577370U
#define SW_MAGIC_SEM 0x53577365U
#define SW_MAGIC_COND 0x53576376U
#define SW_MAGIC_EVENT 0x53576576U
#define SW_MAGIC_BARRIER 0x53576272U
#define SW_MAGIC_DEAD 0x44454144U

#define SW_OBJECT_INIT(magic, name, flags, cls) { (magic), (flags), (name), (cls), 0 }

/* ---- mutex ---------------------------------------------------------------- */

#define SW_MUTEX_RECURSIVE 0x1u /* the owner may lock it again (counted) */

typedef struct SW_CAPABILITY("mutex") sw_mutex {
    struct sw_object obj;
    uint32_t state; /* 0 free, 1 locked, 2 locked with waiters */
    uint32_t depth; /* recursion depth of the owner */
    uintptr_t owner;
} sw_mutex_t;

#define SW_MUTEX_INITIALIZER(name) \
    { SW_OBJECT_INIT(SW_MAGIC_MUTEX, name, 0, NULL), 0, 0, 0 }
#define SW_MUTEX_INITIALIZER_FLAGS(name, flags, cls) \
    { SW_OBJECT_INIT(SW_MAGIC_MUTEX, name, flags, cls), 0, 0, 0 }
#define SW_RECURSIVE_MUTEX_INITIALIZER(name) \
    SW_MUTEX_INITIALIZER_FLAGS(name, SW_MUTEX_RECURSIVE, NULL)

SW_API int sw_mutex_init(sw_mutex_t *m, const char *name, unsigned flags);
SW_API int sw_mutex_destroy(sw_mutex_t *m);
SW_API int sw_mutex_lock(sw_mutex_t *m) SW_ACQUIRE(m);
SW_API int sw_mutex_trylock(sw_mutex_t *m) SW_TRY_ACQUIRE(0, m);
/* Waits at most timeout_ns nanoseconds; SW_ETIMEDOUT when it did not get it. */
SW_API int sw_mutex_timedlock(sw_mutex_t *m, uint64_t timeout_ns) SW_TRY_ACQUIRE(0, m);
SW_API int sw_mutex_unlock(sw_mutex_t *m) SW_RELEASE(m);
/* Violation ASSERT_HELD / ASSERT_NOT_HELD unless the calling thread does /
 * does not hold m; returns 0 or SW_EPERM / SW_EDEADLK. */
SW_API int sw_mutex_assert_held(const sw_mutex_t *m) SW_ASSERT_CAPABILITY(m);
SW_API int sw_mutex_assert_not_held(const sw_mutex_t *m);
/* Puts m in a lock class (before it is first used). */
SW_API int sw_mutex_set_class(sw_mutex_t *m, const sw_lock_class_t *cls);

/* ---- rwlock ----------------------------------------------------------------- */

typedef struct SW_CAPABILITY("mutex") sw_rwlock {
    struct sw_object obj;
    uint32_t state;   /* bit 31 writer, low bits readers */
    uint32_t seq;     /* futex word waiters sleep on */
    uint32_t waiters; /* threads asleep or about to be */
    uint32_t pad;
    uintptr_t writer;
} sw_rwlock_t;

#define SW_RWLOCK_INITIALIZER(name) \
    { SW_OBJECT_INIT(SW_MAGIC_RWLOCK, name, 0, NULL), 0, 0, 0, 0, 0 }
#define SW_RWLOCK_INITIALIZER_CLASS(name, cls) \
    { SW_OBJECT_INIT(SW_MAGIC_RWLOCK, name, 0, cls), 0, 0, 0, 0, 0 }

SW_API int sw_rwlock_init(sw_rwlock_t *rw, const char *name, unsigned flags);
SW_API int sw_rwlock_destroy(sw_rwlock_t *rw);
SW_API int sw_rwlock_rdlock(sw_rwlock_t *rw) SW_ACQUIRE_SHARED(rw);
SW_API int sw_rwlock_tryrdlock(sw_rwlock_t *rw) SW_TRY_ACQUIRE_SHARED(0, rw);
SW_API int sw_rwlock_wrlock(sw_rwlock_t *rw) SW_ACQUIRE(rw);
SW_API int sw_rwlock_trywrlock(sw_rwlock_t *rw) SW_TRY_ACQUIRE(0, rw);
/* Releases the read or the write hold the calling thread has. */
SW_API int sw_rwlock_unlock(sw_rwlock_t *rw) SW_RELEASE_GENERIC(rw);
SW_API int sw_rwlock_set_class(sw_rwlock_t *rw, const sw_lock_class_t *cls);

/* ---- spinlock (C11 atomics, never sleeps in the kernel) --------------------- */

typedef struct SW_CAPABILITY("mutex") sw_spin {
    struct sw_object obj;
    uint32_t locked;
    uint32_t pad;
    uintptr_t owner;
} sw_spin_t;

#define SW_SPIN_INITIALIZER(name) { SW_OBJECT_INIT(SW_MAGIC_SPIN, name, 0, NULL), 0, 0, 0 }
#define SW_SPIN_INITIALIZER_CLASS(name, cls) \
    { SW_OBJECT_INIT(SW_MAGIC_SPIN, name, 0, cls), 0, 0, 0 }

SW_API int sw_spin_init(sw_spin_t *s, const char *name, unsigned flags);
SW_API int sw_spin_destroy(sw_spin_t *s);
SW_API int sw_spin_lock(sw_spin_t *s) SW_ACQUIRE(s);
SW_API int sw_spin_trylock(sw_spin_t *s) SW_TRY_ACQUIRE(0, s);
SW_API int sw_spin_unlock(sw_spin_t *s) SW_RELEASE(s);
SW_API int sw_spin_set_class(sw_spin_t *s, const sw_lock_class_t *cls);

/* ---- semaphores ----------------------------------------------------------- */

/* A counting semaphore has no bound (up to INT32_MAX); a bounded one
 * (max > 0) reports OVER_RELEASE when a post would take it past max. */
typedef struct sw_sem {
    struct sw_object obj;
    uint32_t value;
    uint32_t waiters;
    uint32_t max; /* 0: unbounded */
    uint32_t pad;
} sw_sem_t;

#define SW_SEM_INITIALIZER(name, value) \
    { SW_OBJECT_INIT(SW_MAGIC_SEM, name, 0, NULL), (value), 0, 0, 0 }
#define SW_BOUNDED_SEM_INITIALIZER(name, value, max) \
    { SW_OBJECT_INIT(SW_MAGIC_SEM, name, 0, NULL), (value), 0, (max), 0 }

SW_API int sw_sem_init(sw_sem_t *s, const char *name, unsigned value);
SW_API int sw_sem_init_bounded(sw_sem_t *s, const char *name, unsigned value, unsigned max);
SW_API int sw_sem_destroy(sw_sem_t *s);
SW_API int sw_sem_wait(sw_sem_t *s);
/* SW_EAGAIN when the count is 0. */
SW_API int sw_sem_trywait(sw_sem_t *s);
SW_API int sw_sem_timedwait(sw_sem_t *s, uint64_t timeout_ns);
SW_API int sw_sem_post(sw_sem_t *s);
/* The current count (a snapshot). */
SW_API int sw_sem_value(const sw_sem_t *s);

/* ---- condition variable (with an sw_mutex) -------------------------------- */

typedef struct sw_cond {
    struct sw_object obj;
    uint32_t seq;
    uint32_t waiters;
} sw_cond_t;

#define SW_COND_INITIALIZER(name) { SW_OBJECT_INIT(SW_MAGIC_COND, name, 0, NULL), 0, 0 }

SW_API int sw_cond_init(sw_cond_t *c, const char *name, unsigned flags);
SW_API int sw_cond_destroy(sw_cond_t *c);
SW_API int sw_cond_wait(sw_cond_t *c, sw_mutex_t *m) SW_REQUIRES(m);
SW_API int sw_cond_timedwait(sw_cond_t *c, sw_mutex_t *m, uint64_t timeout_ns) SW_REQUIRES(m);
SW_API int sw_cond_signal(sw_cond_t *c);
SW_API int sw_cond_broadcast(sw_cond_t *c);

/* ---- event (manual reset) ---------------------------------------------------- */

typedef struct sw_event {
    struct sw_object obj;
    uint32_t state; /* 0 clear, 1 set */
    uint32_t waiters;
} sw_event_t;

#define SW_EVENT_INITIALIZER(name) { SW_OBJECT_INIT(SW_MAGIC_EVENT, name, 0, NULL), 0, 0 }

SW_API int sw_event_init(sw_event_t *e, const char *name, unsigned flags);
SW_API int sw_event_destroy(sw_event_t *e);
/* Sets the event and wakes every waiter; it stays set until cleared. */
SW_API int sw_event_set(sw_event_t *e);
SW_API int sw_event_clear(sw_event_t *e);
/* 1 when set, 0 when clear, or an SW_E* code. */
SW_API int sw_event_is_set(const sw_event_t *e);
SW_API int sw_event_wait(sw_event_t *e);
SW_API int sw_event_timedwait(sw_event_t *e, uint64_t timeout_ns);

/* ---- barrier ------------------------------------------------------------------- */

typedef struct sw_barrier {
    struct sw_object obj;
    uint32_t count;   /* threads per phase */
    uint32_t arrived; /* in this phase */
    uint32_t phase;   /* futex word */
    uint32_t pad;
} sw_barrier_t;

/* sw_barrier_wait returns this in one thread of each phase, 0 in the others. */
#define SW_BARRIER_SERIAL 1

SW_API int sw_barrier_init(sw_barrier_t *b, const char *name, unsigned count);
SW_API int sw_barrier_destroy(sw_barrier_t *b);
SW_API int sw_barrier_wait(sw_barrier_t *b);

/* ---- once ---------------------------------------------------------------------- */

typedef struct sw_once {
    uint32_t state; /* 0 not run, 1 running, 2 running with waiters, 3 done */
    uint32_t pad;
    const char *name;
} sw_once_t;

#define SW_ONCE_INITIALIZER(name) { 0, 0, (name) }

/* Runs fn exactly once over all callers; the others wait until it returned. */
SW_API int sw_once(sw_once_t *o, void (*fn)(void));

#ifdef __cplusplus
}
#endif

#endif
