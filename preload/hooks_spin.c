/* Hooks of the POSIX spinlocks.  Every record carries SWT_ACQ_SPIN so the
 * analyzer can tell busy-waiting holds from sleeping ones.  pthread_spin_lock
 * takes the trylock first, like the other families, so the clock is read
 * only when the lock was busy. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_spin_init)(pthread_spinlock_t *, int);
static int (*real_pthread_spin_destroy)(pthread_spinlock_t *);
static int (*real_pthread_spin_lock)(pthread_spinlock_t *);
static int (*real_pthread_spin_trylock)(pthread_spinlock_t *);
static int (*real_pthread_spin_unlock)(pthread_spinlock_t *);

/* pthread_spinlock_t is a volatile int; the recorder only uses the address
 * as an identity and never reads through it. */
static inline const void *addr_of(pthread_spinlock_t *lock)
{
    return (const void *)(uintptr_t)lock;
}

SW_HOOK int pthread_spin_init(pthread_spinlock_t *lock, int pshared)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_spin_init, "pthread_spin_init")(lock, pshared);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_spin_init, "pthread_spin_init")(lock, pshared);
    struct rec_lock_attr a = {
        .kind = SWT_KIND_SPIN,
        .flags = (pshared == PTHREAD_PROCESS_SHARED ? SWT_LOCK_PSHARED : 0u) |
                 (err != 0 ? SWT_LOCK_FAILED_INIT : 0u),
    };
    rec_lock_init(t, addr_of(lock), &a, site);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_spin_destroy(pthread_spinlock_t *lock)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_spin_destroy, "pthread_spin_destroy")(lock);
    int saved = errno;
    uint32_t id = rec_lock_id(t, addr_of(lock), SWT_KIND_SPIN);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_spin_destroy, "pthread_spin_destroy")(lock);
    rec_lock_destroy(t, id, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_spin_lock(pthread_spinlock_t *lock)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_spin_lock, "pthread_spin_lock")(lock);
    int saved = errno;
    uint32_t id = rec_lock_id(t, addr_of(lock), SWT_KIND_SPIN);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    unsigned flags = SWT_ACQ_SPIN;
    int err = REAL(real_pthread_spin_trylock, "pthread_spin_trylock")(lock);
    if (err != 0) {
        rec_wait(t, id, flags, site);
        err = REAL(real_pthread_spin_lock, "pthread_spin_lock")(lock);
        flags |= SWT_ACQ_CONTENDED;
    }
    if (err == 0)
        rec_acquired(t, id, flags, site);
    else
        rec_failed(t, id, SWT_ACQ_SPIN, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_spin_trylock(pthread_spinlock_t *lock)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_spin_trylock, "pthread_spin_trylock")(lock);
    int saved = errno;
    uint32_t id = rec_lock_id(t, addr_of(lock), SWT_KIND_SPIN);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    int err = REAL(real_pthread_spin_trylock, "pthread_spin_trylock")(lock);
    if (err == 0)
        rec_acquired(t, id, SWT_ACQ_SPIN | SWT_ACQ_TRY, site);
    else
        rec_failed(t, id, SWT_ACQ_SPIN | SWT_ACQ_TRY, site, err);
    rec_leave(t);
    errno = saved;
    return err;
}

SW_HOOK int pthread_spin_unlock(pthread_spinlock_t *lock)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_spin_unlock, "pthread_spin_unlock")(lock);
    int saved = errno;
    uint32_t id = rec_lock_id(t, addr_of(lock), SWT_KIND_SPIN);
    rec_released(t, id, SWT_ACQ_SPIN, rec_release_site(t, __builtin_return_address(0)));
    int err = REAL(real_pthread_spin_unlock, "pthread_spin_unlock")(lock);
    rec_leave(t);
    errno = saved;
    return err;
}
