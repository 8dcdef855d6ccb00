/* Hooks of the C11 <threads.h> mutexes and condition variables.  glibc
 * implements mtx_* and cnd_* on its internal pthread functions, so they are
 * invisible through pthread_mutex_lock (architecture.md fact 3) and are interposed
 * here.  Records carry SWT_ACQ_C11 and lock kinds SWT_KIND_C11_MTX /
 * SWT_KIND_C11_CND.
 *
 * Their results are thrd_* values; the hooks return them untouched and
 * record the errno-style equivalent (thrd_busy -> EBUSY, thrd_timedout ->
 * ETIMEDOUT, thrd_nomem -> ENOMEM, thrd_error -> EINVAL, since glibc folds
 * every other error into thrd_error). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <threads.h>
#include <time.h>

#include "common/trace_format.h"
#include "preload/hooks_args.h"
#include "preload/hooks_cond.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_mtx_init)(mtx_t *, int);
static void (*real_mtx_destroy)(mtx_t *);
static int (*real_mtx_lock)(mtx_t *);
static int (*real_mtx_trylock)(mtx_t *);
static int (*real_mtx_timedlock)(mtx_t *__restrict, const struct timespec *__restrict);
static int (*real_mtx_unlock)(mtx_t *);
static int (*real_cnd_init)(cnd_t *);
static void (*real_cnd_destroy)(cnd_t *);
static int (*real_cnd_wait)(cnd_t *, mtx_t *);
static int (*real_cnd_timedwait)(cnd_t *__restrict, mtx_t *__restrict,
                                 const struct timespec *__restrict);
static int (*real_cnd_signal)(cnd_t *);
static int (*real_cnd_broadcast)(cnd_t *);

static int thrd_errno(int rc)
{
    switch (rc) {
    case thrd_success:
        return 0;
    case thrd_busy:
        return EBUSY;
    case thrd_timedout:
        return ETIMEDOUT;
    case thrd_nomem:
        return ENOMEM;
    default:
        return EINVAL;
    }
}

SW_HOOK int mtx_init(mtx_t *mtx, int type)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_mtx_init, "mtx_init")(mtx, type);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int rc = REAL(real_mtx_init, "mtx_init")(mtx, type);
    struct rec_lock_attr a = {
        .kind = SWT_KIND_C11_MTX,
        .type = (type & mtx_recursive) ? SWT_TYPE_RECURSIVE : SWT_TYPE_DEFAULT,
        .flags = rc != thrd_success ? SWT_LOCK_FAILED_INIT : 0u,
    };
    rec_lock_init(t, mtx, &a, site);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK void mtx_destroy(mtx_t *mtx)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        REAL(real_mtx_destroy, "mtx_destroy")(mtx);
        return;
    }
    int saved = errno;
    uint32_t id = rec_lock_id(t, mtx, SWT_KIND_C11_MTX);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    REAL(real_mtx_destroy, "mtx_destroy")(mtx);
    rec_lock_destroy(t, id, site, 0);
    rec_leave(t);
    errno = saved;
}

/* mtx_lock and mtx_timedlock: mtx_trylock first; the wait is recorded and
 * the real blocking call made only when it is busy.  glibc checks a timed
 * lock's deadline only when it has to block, so trying first changes no
 * result. */
static int lock_common(mtx_t *mtx, const struct timespec *abstime, int timed, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return timed ? REAL(real_mtx_timedlock, "mtx_timedlock")(mtx, abstime)
                     : REAL(real_mtx_lock, "mtx_lock")(mtx);
    int saved = errno;
    uint32_t id = rec_lock_id(t, mtx, SWT_KIND_C11_MTX);
    uint32_t site = rec_site(t, ret);
    unsigned flags = SWT_ACQ_C11 | (timed ? SWT_ACQ_TIMED : 0u);
    int rc = REAL(real_mtx_trylock, "mtx_trylock")(mtx);
    if (rc != thrd_success) {
        rec_wait(t, id, flags, site);
        rc = timed ? REAL(real_mtx_timedlock, "mtx_timedlock")(mtx, abstime)
                   : REAL(real_mtx_lock, "mtx_lock")(mtx);
        if (rc == thrd_success)
            flags |= SWT_ACQ_CONTENDED;
    }
    if (rc == thrd_success)
        rec_acquired(t, id, flags, site);
    else
        rec_failed(t, id, flags, site, thrd_errno(rc));
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int mtx_lock(mtx_t *mtx)
{
    return lock_common(mtx, NULL, 0, __builtin_return_address(0));
}

SW_HOOK int mtx_timedlock(mtx_t *__restrict mtx, const struct timespec *__restrict abstime)
{
    return lock_common(mtx, abstime, 1, __builtin_return_address(0));
}

SW_HOOK int mtx_trylock(mtx_t *mtx)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_mtx_trylock, "mtx_trylock")(mtx);
    int saved = errno;
    uint32_t id = rec_lock_id(t, mtx, SWT_KIND_C11_MTX);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int rc = REAL(real_mtx_trylock, "mtx_trylock")(mtx);
    if (rc == thrd_success)
        rec_acquired(t, id, SWT_ACQ_C11 | SWT_ACQ_TRY, site);
    else
        rec_failed(t, id, SWT_ACQ_C11 | SWT_ACQ_TRY, site, thrd_errno(rc));
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int mtx_unlock(mtx_t *mtx)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_mtx_unlock, "mtx_unlock")(mtx);
    int saved = errno;
    uint32_t id = rec_lock_id(t, mtx, SWT_KIND_C11_MTX);
    rec_released(t, id, SWT_ACQ_C11, rec_release_site(t, __builtin_return_address(0)));
    int rc = REAL(real_mtx_unlock, "mtx_unlock")(mtx);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int cnd_init(cnd_t *cnd)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_cnd_init, "cnd_init")(cnd);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int rc = REAL(real_cnd_init, "cnd_init")(cnd);
    struct rec_lock_attr a = {
        .kind = SWT_KIND_C11_CND,
        .flags = rc != thrd_success ? SWT_LOCK_FAILED_INIT : 0u,
    };
    rec_lock_init(t, cnd, &a, site);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK void cnd_destroy(cnd_t *cnd)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        REAL(real_cnd_destroy, "cnd_destroy")(cnd);
        return;
    }
    int saved = errno;
    uint32_t id = rec_lock_id(t, cnd, SWT_KIND_C11_CND);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    rec_cond_destroy_begin(t, id, site);
    REAL(real_cnd_destroy, "cnd_destroy")(cnd);
    rec_lock_destroy(t, id, site, 0);
    rec_leave(t);
    errno = saved;
}

static int call_wait(cnd_t *cnd, mtx_t *mtx, const struct timespec *abstime, int timed)
{
    return timed ? REAL(real_cnd_timedwait, "cnd_timedwait")(cnd, mtx, abstime)
                 : REAL(real_cnd_wait, "cnd_wait")(cnd, mtx);
}

/* The same protocol as pthread_cond_wait (see hooks_cond.c).  thrd_success
 * and thrd_timedout return with the mutex locked; thrd_error also covers
 * glibc's early EINVAL (bad deadline, checked before the mutex is released)
 * and EPERM (unlock failed), so the deadline is checked here first and
 * thrd_error records no re-acquisition. */
static int wait_common(cnd_t *cnd, mtx_t *mtx, const struct timespec *abstime, int timed,
                       const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return call_wait(cnd, mtx, abstime, timed);
    int saved = errno;
    if (timed && abstime && !hooks_abstime_ok(abstime)) {
        rec_leave(t);
        int rc = call_wait(cnd, mtx, abstime, timed);
        errno = saved;
        return rc;
    }
    struct hooks_cond_wait w = {
        .t = t,
        .cond = rec_lock_id(t, cnd, SWT_KIND_C11_CND),
        .mutex = rec_lock_id(t, mtx, SWT_KIND_C11_MTX),
        .site = rec_site(t, ret),
        .flags = SWT_ACQ_C11 | (timed ? SWT_ACQ_TIMED : 0u),
    };
    rec_released(t, w.mutex, SWT_ACQ_COND | w.flags, w.site);
    rec_cond_wait(t, w.cond, w.mutex, w.site, w.flags);
    int rc;
    pthread_cleanup_push(hooks_cond_canceled, &w);
    rc = call_wait(cnd, mtx, abstime, timed);
    pthread_cleanup_pop(0);
    rec_cond_wake(t, w.cond, w.mutex, thrd_errno(rc));
    if (rc == thrd_success || rc == thrd_timedout)
        rec_acquired(t, w.mutex, SWT_ACQ_COND | w.flags, w.site);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int cnd_wait(cnd_t *cnd, mtx_t *mtx)
{
    return wait_common(cnd, mtx, NULL, 0, __builtin_return_address(0));
}

SW_HOOK int cnd_timedwait(cnd_t *__restrict cnd, mtx_t *__restrict mtx,
                          const struct timespec *__restrict abstime)
{
    return wait_common(cnd, mtx, abstime, 1, __builtin_return_address(0));
}

static int signal_common(cnd_t *cnd, unsigned flags, const void *ret)
{
    int (*fn)(cnd_t *) = flags & SWT_ACQ_BROADCAST ? REAL(real_cnd_broadcast, "cnd_broadcast")
                                                   : REAL(real_cnd_signal, "cnd_signal");
    struct rec_thread *t = rec_enter();
    if (!t)
        return fn(cnd);
    int saved = errno;
    uint32_t id = rec_lock_id(t, cnd, SWT_KIND_C11_CND);
    rec_cond_signal(t, id, flags, rec_site(t, ret));
    int rc = fn(cnd);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int cnd_signal(cnd_t *cnd)
{
    return signal_common(cnd, SWT_ACQ_C11, __builtin_return_address(0));
}

SW_HOOK int cnd_broadcast(cnd_t *cnd)
{
    return signal_common(cnd, SWT_ACQ_C11 | SWT_ACQ_BROADCAST, __builtin_return_address(0));
}
