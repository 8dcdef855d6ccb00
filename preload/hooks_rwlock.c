/* Hooks of the POSIX reader-writer locks: translate each call into recorder
 * calls and forward it to glibc.
 *
 * Acquisitions take the try variant first and make the real blocking call
 * only when it reports EBUSY (architecture.md fact 15): the recorder reads the clock
 * for the wait only then.  pthread_rwlock_unlock does not say which hold it
 * drops; the recorder remembers per thread whether this thread holds the
 * lock for reading or writing (architecture.md fact 5). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "common/trace_format.h"
#include "preload/hooks_args.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_rwlock_init)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
static int (*real_pthread_rwlock_destroy)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_rdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_wrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_tryrdlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_trywrlock)(pthread_rwlock_t *);
static int (*real_pthread_rwlock_timedrdlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_timedwrlock)(pthread_rwlock_t *, const struct timespec *);
static int (*real_pthread_rwlock_clockrdlock)(pthread_rwlock_t *, clockid_t,
                                              const struct timespec *);
static int (*real_pthread_rwlock_clockwrlock)(pthread_rwlock_t *, clockid_t,
                                              const struct timespec *);
static int (*real_pthread_rwlock_unlock)(pthread_rwlock_t *);

/* How a blocking acquisition waits: forever, until a CLOCK_REALTIME
 * deadline, or until a deadline on a given clock. */
enum rw_wait { RW_PLAIN, RW_TIMED, RW_CLOCK };

struct rw_call {
    pthread_rwlock_t *rw;
    int write;
    enum rw_wait how;
    clockid_t clock;
    const struct timespec *abstime;
};

static int blocking_call(const struct rw_call *c)
{
    switch (c->how) {
    case RW_TIMED:
        return c->write ? REAL(real_pthread_rwlock_timedwrlock,
                               "pthread_rwlock_timedwrlock")(c->rw, c->abstime)
                        : REAL(real_pthread_rwlock_timedrdlock,
                               "pthread_rwlock_timedrdlock")(c->rw, c->abstime);
    case RW_CLOCK:
        return c->write ? REAL(real_pthread_rwlock_clockwrlock,
                               "pthread_rwlock_clockwrlock")(c->rw, c->clock, c->abstime)
                        : REAL(real_pthread_rwlock_clockrdlock,
                               "pthread_rwlock_clockrdlock")(c->rw, c->clock, c->abstime);
    case RW_PLAIN:
    default:
        return c->write ? REAL(real_pthread_rwlock_wrlock, "pthread_rwlock_wrlock")(c->rw)
                        : REAL(real_pthread_rwlock_rdlock, "pthread_rwlock_rdlock")(c->rw);
    }
}

static int try_call(pthread_rwlock_t *rw, int write)
{
    return write ? REAL(real_pthread_rwlock_trywrlock, "pthread_rwlock_trywrlock")(rw)
                 : REAL(real_pthread_rwlock_tryrdlock, "pthread_rwlock_tryrdlock")(rw);
}

/* The deadline checks glibc makes before it looks at the lock (it returns
 * EINVAL for a bad deadline even when the lock is free). */
static int deadline_ok(const struct rw_call *c)
{
    if (c->how == RW_PLAIN)
        return 1;
    if (c->how == RW_CLOCK && !hooks_clock_ok(c->clock))
        return 0;
    return hooks_abstime_ok(c->abstime);
}

/* Every blocking flavour: rdlock/wrlock, timed and clock variants.  ret is
 * the hook's return address (the caller's site). */
static int lock_blocking(const struct rw_call *c, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return blocking_call(c);
    int saved = errno;
    uint32_t id = rec_lock_id(t, c->rw, SWT_KIND_RWLOCK);
    uint32_t site = rec_site(t, ret);
    unsigned flags = (c->write ? SWT_ACQ_WRITE : SWT_ACQ_READ) |
                     (c->how == RW_PLAIN ? 0u : SWT_ACQ_TIMED);
    int err;
    if (!deadline_ok(c)) {
        err = blocking_call(c);
    } else {
        err = try_call(c->rw, c->write);
        if (err != 0) {
            /* Busy, or an error (EDEADLK, EAGAIN) that only the blocking call
             * reports exactly: either way its answer is the one returned. */
            rec_wait(t, id, flags, site);
            err = blocking_call(c);
            flags |= SWT_ACQ_CONTENDED;
        }
    }
    if (err == 0)
        rec_acquired(t, id, flags, site);
    else
        rec_failed(t, id, flags & ~(unsigned)SWT_ACQ_CONTENDED, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

static int lock_try(pthread_rwlock_t *rw, int write, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return try_call(rw, write);
    int saved = errno;
    uint32_t id = rec_lock_id(t, rw, SWT_KIND_RWLOCK);
    uint32_t site = rec_site(t, ret);
    unsigned flags = (write ? SWT_ACQ_WRITE : SWT_ACQ_READ) | SWT_ACQ_TRY;
    int err = try_call(rw, write);
    if (err == 0)
        rec_acquired(t, id, flags, site);
    else
        rec_failed(t, id, flags, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

/* LOCK_NEW type: the preference the program asked for.  glibc 2.36 treats
 * PREFER_WRITER_NP like the reader-preferring default (only the
 * NONRECURSIVE kind makes readers wait for queued writers); the analyzer
 * is told what was asked and docs/hooks.md says what glibc does with it. */
static unsigned rwlock_type(const pthread_rwlockattr_t *attr)
{
    int pref = PTHREAD_RWLOCK_PREFER_READER_NP;
    if (attr && pthread_rwlockattr_getkind_np(attr, &pref) != 0)
        pref = PTHREAD_RWLOCK_PREFER_READER_NP;
    switch (pref) {
    case PTHREAD_RWLOCK_PREFER_WRITER_NP:
        return SWT_TYPE_RW_PREFER_WRITER;
    case PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP:
        return SWT_TYPE_RW_PREFER_WRITER_NONREC;
    default:
        return SWT_TYPE_RW_PREFER_READER;
    }
}

SW_HOOK int pthread_rwlock_init(pthread_rwlock_t *rw, const pthread_rwlockattr_t *attr)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_rwlock_init, "pthread_rwlock_init")(rw, attr);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_rwlock_init, "pthread_rwlock_init")(rw, attr);
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr && pthread_rwlockattr_getpshared(attr, &pshared) != 0)
        pshared = PTHREAD_PROCESS_PRIVATE;
    struct rec_lock_attr a = {
        .kind = SWT_KIND_RWLOCK,
        .type = rwlock_type(attr),
        .flags = (pshared == PTHREAD_PROCESS_SHARED ? SWT_LOCK_PSHARED : 0u) |
                 (err != 0 ? SWT_LOCK_FAILED_INIT : 0u),
    };
    rec_lock_init(t, rw, &a, site);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_rwlock_destroy, "pthread_rwlock_destroy")(rw);
    int saved = errno;
    uint32_t id = rec_lock_id(t, rw, SWT_KIND_RWLOCK);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_rwlock_destroy, "pthread_rwlock_destroy")(rw);
    rec_lock_destroy(t, id, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
    struct rw_call c = {.rw = rw, .write = 0, .how = RW_PLAIN};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
    struct rw_call c = {.rw = rw, .write = 1, .how = RW_PLAIN};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_timedrdlock(pthread_rwlock_t *rw, const struct timespec *abstime)
{
    struct rw_call c = {.rw = rw, .write = 0, .how = RW_TIMED, .abstime = abstime};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_timedwrlock(pthread_rwlock_t *rw, const struct timespec *abstime)
{
    struct rw_call c = {.rw = rw, .write = 1, .how = RW_TIMED, .abstime = abstime};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_clockrdlock(pthread_rwlock_t *rw, clockid_t clock,
                                       const struct timespec *abstime)
{
    struct rw_call c = {.rw = rw, .write = 0, .how = RW_CLOCK, .clock = clock, .abstime = abstime};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_clockwrlock(pthread_rwlock_t *rw, clockid_t clock,
                                       const struct timespec *abstime)
{
    struct rw_call c = {.rw = rw, .write = 1, .how = RW_CLOCK, .clock = clock, .abstime = abstime};
    return lock_blocking(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
    return lock_try(rw, 0, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
    return lock_try(rw, 1, __builtin_return_address(0));
}

SW_HOOK int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_rwlock_unlock, "pthread_rwlock_unlock")(rw);
    int saved = errno;
    uint32_t id = rec_lock_id(t, rw, SWT_KIND_RWLOCK);
    /* Flags 0: the recorder takes READ or WRITE from this thread's hold.
     * Stamped before the real unlock so a waiter's acquisition comes after
     * it (architecture.md fact 14). */
    rec_released(t, id, 0, rec_release_site(t, __builtin_return_address(0)));
    int err = REAL(real_pthread_rwlock_unlock, "pthread_rwlock_unlock")(rw);
    rec_leave(t);
    errno = saved;
    return err;
}
