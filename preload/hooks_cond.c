/* Hooks of the POSIX condition variables.
 *
 * The real functions are the GLIBC_2.3.2 versions (architecture.md fact 1): the
 * default symbol version; GLIBC_2.2.5 is an older, different
 * implementation that plain dlsym could return.  pthread_cond_clockwait is
 * the exception: it only exists as GLIBC_2.30/GLIBC_2.34.
 *
 * A wait releases its mutex inside glibc and re-acquires it before it
 * returns, without calling pthread_mutex_lock (architecture.md fact 3), so the hook
 * records both: RELEASE(mutex, COND) and COND_WAIT before the real wait,
 * COND_WAKE(error) and ACQUIRE(mutex, COND) after it, for every return
 * that leaves the mutex locked (0, ETIMEDOUT, EOWNERDEAD) and on
 * cancellation.  glibc returns without ever releasing the mutex when the
 * deadline or clock is invalid (EINVAL, checked before anything else) or
 * when unlocking fails (EPERM: an errorcheck, recursive or robust mutex the
 * caller does not own); then no re-acquisition is recorded.  Timed waits
 * carry SWT_ACQ_TIMED on the synthetic release and re-acquisition. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "common/trace_format.h"
#include "preload/hooks_args.h"
#include "preload/hooks_cond.h"
#include "preload/real.h"
#include "preload/recorder.h"

#define COND_VERSION "GLIBC_2.3.2"

static int (*real_pthread_cond_init)(pthread_cond_t *, const pthread_condattr_t *);
static int (*real_pthread_cond_destroy)(pthread_cond_t *);
static int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_pthread_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *,
                                          const struct timespec *);
static int (*real_pthread_cond_clockwait)(pthread_cond_t *, pthread_mutex_t *, clockid_t,
                                          const struct timespec *);
static int (*real_pthread_cond_signal)(pthread_cond_t *);
static int (*real_pthread_cond_broadcast)(pthread_cond_t *);

void hooks_cond_canceled(void *arg)
{
    const struct hooks_cond_wait *w = arg;
    rec_cond_wake(w->t, w->cond, w->mutex, ECANCELED);
    rec_acquired(w->t, w->mutex, SWT_ACQ_COND | SWT_ACQ_CANCELED | w->flags, w->site);
    rec_leave(w->t);
}

enum cond_how { COND_PLAIN, COND_TIMED, COND_CLOCK };

struct cond_call {
    pthread_cond_t *cond;
    pthread_mutex_t *mutex;
    enum cond_how how;
    clockid_t clock;
    const struct timespec *abstime;
};

static int real_wait(const struct cond_call *c)
{
    switch (c->how) {
    case COND_TIMED:
        return REAL_V(real_pthread_cond_timedwait, "pthread_cond_timedwait",
                      COND_VERSION)(c->cond, c->mutex, c->abstime);
    case COND_CLOCK:
        /* Added in 2.30, after the condvar rewrite: it has no GLIBC_2.3.2
         * version (its default is GLIBC_2.34), so plain dlsym is right. */
        return REAL(real_pthread_cond_clockwait, "pthread_cond_clockwait")(c->cond, c->mutex,
                                                                          c->clock, c->abstime);
    case COND_PLAIN:
    default:
        return REAL_V(real_pthread_cond_wait, "pthread_cond_wait", COND_VERSION)(c->cond,
                                                                                 c->mutex);
    }
}

/* glibc's own argument checks, made before it releases the mutex. */
static int args_ok(const struct cond_call *c)
{
    if (c->how == COND_PLAIN)
        return 1;
    if (c->how == COND_CLOCK && !hooks_clock_ok(c->clock))
        return 0;
    /* timedwait and clockwait dereference abstime unconditionally; a NULL
     * one is glibc's crash to have, not the hook's. */
    return c->abstime == NULL || hooks_abstime_ok(c->abstime);
}

/* The wait returned with the mutex locked again. */
static int reacquired(int rc)
{
    return rc == 0 || rc == ETIMEDOUT || rc == EOWNERDEAD;
}

static int wait_common(const struct cond_call *c, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return real_wait(c);
    int saved = errno;
    if (!args_ok(c)) {
        rec_leave(t);
        int rc = real_wait(c);
        errno = saved;
        return rc;
    }
    struct hooks_cond_wait w = {
        .t = t,
        .cond = rec_lock_id(t, c->cond, SWT_KIND_COND),
        .mutex = rec_lock_id(t, c->mutex, SWT_KIND_MUTEX),
        .site = rec_site(t, ret),
        .flags = c->how == COND_PLAIN ? 0u : SWT_ACQ_TIMED,
    };
    rec_released(t, w.mutex, SWT_ACQ_COND | w.flags, w.site);
    rec_cond_wait(t, w.cond, w.mutex, w.site, w.flags);
    int rc;
    pthread_cleanup_push(hooks_cond_canceled, &w);
    rc = real_wait(c);
    pthread_cleanup_pop(0);
    rec_cond_wake(t, w.cond, w.mutex, rc);
    if (reacquired(rc))
        rec_acquired(t, w.mutex,
                     SWT_ACQ_COND | w.flags | (rc == EOWNERDEAD ? SWT_ACQ_OWNER_DEAD : 0u),
                     w.site);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int pthread_cond_wait(pthread_cond_t *cond, pthread_mutex_t *mutex)
{
    struct cond_call c = {.cond = cond, .mutex = mutex, .how = COND_PLAIN};
    return wait_common(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_cond_timedwait(pthread_cond_t *cond, pthread_mutex_t *mutex,
                                   const struct timespec *abstime)
{
    struct cond_call c = {.cond = cond, .mutex = mutex, .how = COND_TIMED, .abstime = abstime};
    return wait_common(&c, __builtin_return_address(0));
}

SW_HOOK int pthread_cond_clockwait(pthread_cond_t *cond, pthread_mutex_t *mutex, clockid_t clock,
                                   const struct timespec *abstime)
{
    struct cond_call c = {
        .cond = cond, .mutex = mutex, .how = COND_CLOCK, .clock = clock, .abstime = abstime};
    return wait_common(&c, __builtin_return_address(0));
}

static int signal_common(pthread_cond_t *cond, unsigned flags, const void *ret)
{
    int (*fn)(pthread_cond_t *) =
        flags & SWT_ACQ_BROADCAST
            ? REAL_V(real_pthread_cond_broadcast, "pthread_cond_broadcast", COND_VERSION)
            : REAL_V(real_pthread_cond_signal, "pthread_cond_signal", COND_VERSION);
    struct rec_thread *t = rec_enter();
    if (!t)
        return fn(cond);
    int saved = errno;
    uint32_t id = rec_lock_id(t, cond, SWT_KIND_COND);
    /* Stamped before the real call, so it precedes the waiter's wake. */
    rec_cond_signal(t, id, flags, rec_site(t, ret));
    int rc = fn(cond);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int pthread_cond_signal(pthread_cond_t *cond)
{
    return signal_common(cond, 0, __builtin_return_address(0));
}

SW_HOOK int pthread_cond_broadcast(pthread_cond_t *cond)
{
    return signal_common(cond, SWT_ACQ_BROADCAST, __builtin_return_address(0));
}

SW_HOOK int pthread_cond_init(pthread_cond_t *cond, const pthread_condattr_t *attr)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL_V(real_pthread_cond_init, "pthread_cond_init", COND_VERSION)(cond, attr);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int rc = REAL_V(real_pthread_cond_init, "pthread_cond_init", COND_VERSION)(cond, attr);
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr && pthread_condattr_getpshared(attr, &pshared) != 0)
        pshared = PTHREAD_PROCESS_PRIVATE;
    struct rec_lock_attr a = {
        .kind = SWT_KIND_COND,
        .flags = (pshared == PTHREAD_PROCESS_SHARED ? SWT_LOCK_PSHARED : 0u) |
                 (rc != 0 ? SWT_LOCK_FAILED_INIT : 0u),
    };
    rec_lock_init(t, cond, &a, site);
    rec_leave(t);
    errno = saved;
    return rc;
}

SW_HOOK int pthread_cond_destroy(pthread_cond_t *cond)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL_V(real_pthread_cond_destroy, "pthread_cond_destroy", COND_VERSION)(cond);
    int saved = errno;
    uint32_t id = rec_lock_id(t, cond, SWT_KIND_COND);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    rec_cond_destroy_begin(t, id, site);
    int rc = REAL_V(real_pthread_cond_destroy, "pthread_cond_destroy", COND_VERSION)(cond);
    rec_lock_destroy(t, id, site, rc);
    rec_leave(t);
    errno = saved;
    return rc;
}
