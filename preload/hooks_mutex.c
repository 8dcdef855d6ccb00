/* Hooks of the pthread mutex functions: the reference pattern for every
 * hook file.  Each hook enters the recorder (or only forwards), records
 * around the real call, and returns exactly what the real call returned.
 * glibc's mutex functions report errors by return value and never set
 * errno, and the recorder keeps errno on its own rare system calls (chunk
 * allocation, stack capture, first sights), so the lock, trylock and
 * unlock hooks need not save it; the others save and restore it.
 *
 * Acquisitions try the lock first and make the blocking call only when
 * that reports EBUSY (architecture.md fact 15): the clock is read for the wait only
 * then, and the result codes of normal, recursive, errorcheck and robust
 * mutexes are the real ones (a relock of an errorcheck mutex: EBUSY, then
 * EDEADLK from the real lock; robust: EOWNERDEAD from either call). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "common/trace_format.h"
#include "preload/hooks_args.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_mutex_init)(pthread_mutex_t *, const pthread_mutexattr_t *);
static int (*real_pthread_mutex_destroy)(pthread_mutex_t *);
static int (*real_pthread_mutex_lock)(pthread_mutex_t *);
static int (*real_pthread_mutex_trylock)(pthread_mutex_t *);
static int (*real_pthread_mutex_timedlock)(pthread_mutex_t *, const struct timespec *);
static int (*real_pthread_mutex_clocklock)(pthread_mutex_t *, clockid_t, const struct timespec *);
static int (*real_pthread_mutex_unlock)(pthread_mutex_t *);
static int (*real_pthread_mutex_consistent)(pthread_mutex_t *);

#define RET __builtin_return_address(0)
/* The hot hooks inline the recorder calls they make (link-time
 * optimisation makes that work across files): a lock/unlock pair is then
 * two calls into the shim instead of ten. */
#define HOT __attribute__((flatten))

static void attr_of(const pthread_mutexattr_t *a, struct rec_lock_attr *la)
{
    la->kind = SWT_KIND_MUTEX;
    la->type = SWT_TYPE_DEFAULT;
    la->flags = 0;
    la->value = 0;
    la->name = NULL;
    if (!a)
        return;
    int v;
    if (pthread_mutexattr_gettype(a, &v) == 0)
        la->type = v == PTHREAD_MUTEX_RECURSIVE    ? SWT_TYPE_RECURSIVE
                   : v == PTHREAD_MUTEX_ERRORCHECK ? SWT_TYPE_ERRORCHECK
                   : v == PTHREAD_MUTEX_ADAPTIVE_NP ? SWT_TYPE_ADAPTIVE
                                                    : SWT_TYPE_DEFAULT;
    if (pthread_mutexattr_getpshared(a, &v) == 0 && v == PTHREAD_PROCESS_SHARED)
        la->flags |= SWT_LOCK_PSHARED;
    if (pthread_mutexattr_getrobust(a, &v) == 0 && v == PTHREAD_MUTEX_ROBUST)
        la->flags |= SWT_LOCK_ROBUST;
}

/* The outcome of an acquisition: a hold (EOWNERDEAD is one, flagged), or a
 * failure with its code. */
static inline void acquire_result(struct rec_thread *t, uint32_t id, unsigned flags,
                                  uint32_t site, int r)
{
    if (__builtin_expect(r == 0, 1))
        rec_acquired(t, id, flags, site);
    else if (r == EOWNERDEAD)
        rec_acquired(t, id, flags | SWT_ACQ_OWNER_DEAD, site);
    else
        rec_failed(t, id, flags, site, r);
}

/* Forwarding for rec_enter() == NULL. */
static int forward_lock(struct rec_thread *t, pthread_mutex_t *m)
{
    if (t)
        rec_leave(t);
    return REAL(real_pthread_mutex_lock, "pthread_mutex_lock")(m);
}

static int forward_trylock(struct rec_thread *t, pthread_mutex_t *m)
{
    if (t)
        rec_leave(t);
    return REAL(real_pthread_mutex_trylock, "pthread_mutex_trylock")(m);
}

static int forward_unlock(struct rec_thread *t, pthread_mutex_t *m)
{
    if (t)
        rec_leave(t);
    return REAL(real_pthread_mutex_unlock, "pthread_mutex_unlock")(m);
}

SW_HOOK int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
    struct rec_thread *t = rec_enter();
    int r = REAL(real_pthread_mutex_init, "pthread_mutex_init")(m, a);
    if (!t)
        return r;
    int saved = errno;
    struct rec_lock_attr la;
    attr_of(a, &la);
    if (r != 0)
        la.flags |= SWT_LOCK_FAILED_INIT;
    rec_lock_init(t, m, &la, rec_site(t, RET));
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK int pthread_mutex_destroy(pthread_mutex_t *m)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_mutex_destroy, "pthread_mutex_destroy")(m);
    int saved = errno;
    uint32_t id = rec_lock_id(t, m, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, RET);
    int r = REAL(real_pthread_mutex_destroy, "pthread_mutex_destroy")(m);
    rec_lock_destroy(t, id, site, r);
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK HOT int pthread_mutex_lock(pthread_mutex_t *m)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return forward_lock(t, m);
    uint64_t id_site = rec_lock_site(t, m, SWT_KIND_MUTEX, RET);
    uint32_t id = (uint32_t)id_site, site = (uint32_t)(id_site >> 32);
    int r = REAL(real_pthread_mutex_trylock, "pthread_mutex_trylock")(m);
    unsigned flags = 0;
    if (r == EBUSY) {
        rec_wait(t, id, flags, site);
        r = REAL(real_pthread_mutex_lock, "pthread_mutex_lock")(m);
    }
    acquire_result(t, id, flags, site, r);
    rec_leave(t);
    return r;
}

SW_HOOK HOT int pthread_mutex_trylock(pthread_mutex_t *m)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return forward_trylock(t, m);
    uint64_t id_site = rec_lock_site(t, m, SWT_KIND_MUTEX, RET);
    uint32_t id = (uint32_t)id_site, site = (uint32_t)(id_site >> 32);
    int r = REAL(real_pthread_mutex_trylock, "pthread_mutex_trylock")(m);
    acquire_result(t, id, SWT_ACQ_TRY, site, r);
    rec_leave(t);
    return r;
}

/* timedlock and clocklock: clock is -1 for timedlock (CLOCK_REALTIME). */
static int timed_lock(pthread_mutex_t *m, clockid_t clock, const struct timespec *abstime,
                      const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t || (clock != (clockid_t)-1 && !hooks_clock_ok(clock))) {
        if (t)
            rec_leave(t);
        return clock == (clockid_t)-1
                   ? REAL(real_pthread_mutex_timedlock, "pthread_mutex_timedlock")(m, abstime)
                   : REAL(real_pthread_mutex_clocklock, "pthread_mutex_clocklock")(m, clock,
                                                                                  abstime);
    }
    int saved = errno;
    uint32_t id = rec_lock_id(t, m, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, ret);
    unsigned flags = SWT_ACQ_TIMED;
    int r = REAL(real_pthread_mutex_trylock, "pthread_mutex_trylock")(m);
    if (r == EBUSY) {
        rec_wait(t, id, flags, site);
        r = clock == (clockid_t)-1
                ? REAL(real_pthread_mutex_timedlock, "pthread_mutex_timedlock")(m, abstime)
                : REAL(real_pthread_mutex_clocklock, "pthread_mutex_clocklock")(m, clock,
                                                                               abstime);
    }
    acquire_result(t, id, flags, site, r);
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abstime)
{
    return timed_lock(m, (clockid_t)-1, abstime, RET);
}

SW_HOOK int pthread_mutex_clocklock(pthread_mutex_t *m, clockid_t clock,
                                    const struct timespec *abstime)
{
    return timed_lock(m, clock, abstime, RET);
}

SW_HOOK HOT int pthread_mutex_unlock(pthread_mutex_t *m)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return forward_unlock(t, m);
    uint64_t id_site = rec_release_lock_site(t, m, SWT_KIND_MUTEX, RET);
    /* Stamped before the real unlock, so the release precedes the next
     * owner's acquire in time (architecture.md fact 14). */
    rec_released(t, (uint32_t)id_site, 0, (uint32_t)(id_site >> 32));
    int r = REAL(real_pthread_mutex_unlock, "pthread_mutex_unlock")(m);
    rec_leave(t);
    return r;
}

/* Recorded as nothing of its own: the EOWNERDEAD acquisition before it is
 * what the analyzer reports.  Interposed so the family is complete and a
 * later version can mark the lock consistent again. */
SW_HOOK int pthread_mutex_consistent(pthread_mutex_t *m)
{
    return REAL(real_pthread_mutex_consistent, "pthread_mutex_consistent")(m);
}
