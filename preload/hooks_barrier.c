/* Hooks of the POSIX barriers.  A barrier is never held: the trace gets a
 * BARRIER_WAIT when a thread arrives and a BARRIER_DONE when it leaves,
 * given the real return value.  PTHREAD_BARRIER_SERIAL_THREAD is a success
 * (architecture.md fact 5): rec_barrier_done records it as error 0, as
 * docs/trace-format.md specifies. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_barrier_init)(pthread_barrier_t *, const pthread_barrierattr_t *,
                                        unsigned);
static int (*real_pthread_barrier_destroy)(pthread_barrier_t *);
static int (*real_pthread_barrier_wait)(pthread_barrier_t *);

SW_HOOK int pthread_barrier_init(pthread_barrier_t *b, const pthread_barrierattr_t *attr,
                                 unsigned count)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_barrier_init, "pthread_barrier_init")(b, attr, count);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_barrier_init, "pthread_barrier_init")(b, attr, count);
    int pshared = PTHREAD_PROCESS_PRIVATE;
    if (attr && pthread_barrierattr_getpshared(attr, &pshared) != 0)
        pshared = PTHREAD_PROCESS_PRIVATE;
    struct rec_lock_attr a = {
        .kind = SWT_KIND_BARRIER,
        .flags = (pshared == PTHREAD_PROCESS_SHARED ? SWT_LOCK_PSHARED : 0u) |
                 (err != 0 ? SWT_LOCK_FAILED_INIT : 0u),
        .value = count,
    };
    rec_lock_init(t, b, &a, site);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_barrier_destroy(pthread_barrier_t *b)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_barrier_destroy, "pthread_barrier_destroy")(b);
    int saved = errno;
    uint32_t id = rec_lock_id(t, b, SWT_KIND_BARRIER);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_barrier_destroy, "pthread_barrier_destroy")(b);
    rec_lock_destroy(t, id, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_barrier_wait(pthread_barrier_t *b)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_barrier_wait, "pthread_barrier_wait")(b);
    int saved = errno;
    uint32_t id = rec_lock_id(t, b, SWT_KIND_BARRIER);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    rec_barrier_wait(t, id, site);
    int rc = REAL(real_pthread_barrier_wait, "pthread_barrier_wait")(b);
    rec_barrier_done(t, id, rc);
    rec_leave(t);
    errno = saved;
    return rc;
}
