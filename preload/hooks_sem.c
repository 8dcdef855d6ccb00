/* Hooks of the POSIX semaphores, unnamed (sem_init) and named (sem_open).
 *
 * A semaphore is not owned: any thread may post it (CPython's
 * threading.Lock is a sem_t of value 1 released by whichever thread calls
 * release(), architecture.md fact 16).  The hooks record who waited and who posted
 * and leave ownership to the recorder and the analyzer.
 *
 * Waits take sem_trywait first and make the real blocking call only when
 * it fails, like the lock families.  Three glibc facts keep that exact
 * (checked on this machine, docs/hooks.md): sem_wait and sem_timedwait are
 * cancellation points even when the semaphore is available (so the hook
 * tests for cancellation first; sem_clockwait does not); sem_timedwait and
 * sem_clockwait reject a bad deadline or clock with EINVAL before looking
 * at the semaphore (so such calls are forwarded unchanged); and these
 * functions report errors in errno, which the hooks leave exactly as the
 * real call left it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <sys/types.h>
#include <time.h>

#include "common/trace_format.h"
#include "preload/hooks_args.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_sem_init)(sem_t *, int, unsigned);
static int (*real_sem_destroy)(sem_t *);
static int (*real_sem_wait)(sem_t *);
static int (*real_sem_trywait)(sem_t *);
static int (*real_sem_timedwait)(sem_t *, const struct timespec *);
static int (*real_sem_clockwait)(sem_t *, clockid_t, const struct timespec *);
static int (*real_sem_post)(sem_t *);
static int (*real_sem_getvalue)(sem_t *, int *);
static sem_t *(*real_sem_open)(const char *, int, ...);
static int (*real_sem_close)(sem_t *);
static int (*real_sem_unlink)(const char *);

/* ---- named semaphores opened in this process ----
 *
 * glibc returns the same address when a process opens the same name twice
 * and unmaps it at the last sem_close.  The object is new only at the first
 * open and gone only at the last close, so those are the only LOCK_NEW and
 * DESTROY records.  A small lock-free table counts the opens per address
 * (sem_open/sem_close are rare; a linear scan is fine).  When it is full,
 * every open is treated as the first. */
#define NAMED_MAX 256

struct named_slot {
    sem_t *addr; /* NULL: free */
    unsigned opens;
};
static struct named_slot named[NAMED_MAX];

/* Counts an open of addr; returns 1 if this is its first open. */
static int named_opened(sem_t *addr)
{
    for (size_t i = 0; i < NAMED_MAX; i++) {
        if (__atomic_load_n(&named[i].addr, __ATOMIC_ACQUIRE) == addr) {
            __atomic_add_fetch(&named[i].opens, 1, __ATOMIC_ACQ_REL);
            return 0;
        }
    }
    for (size_t i = 0; i < NAMED_MAX; i++) {
        sem_t *expected = NULL;
        if (__atomic_load_n(&named[i].addr, __ATOMIC_RELAXED) == NULL &&
            __atomic_compare_exchange_n(&named[i].addr, &expected, addr, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED)) {
            /* An add, not a store: a racing open of the same address may
             * already have counted itself in this slot. */
            __atomic_add_fetch(&named[i].opens, 1, __ATOMIC_ACQ_REL);
            return 1;
        }
    }
    return 1;
}

/* Counts a close of addr; returns 1 if it was the last open (or unknown). */
static int named_closed(sem_t *addr)
{
    for (size_t i = 0; i < NAMED_MAX; i++) {
        if (__atomic_load_n(&named[i].addr, __ATOMIC_ACQUIRE) == addr) {
            if (__atomic_sub_fetch(&named[i].opens, 1, __ATOMIC_ACQ_REL) != 0)
                return 0;
            __atomic_store_n(&named[i].addr, NULL, __ATOMIC_RELEASE);
            return 1;
        }
    }
    return 1;
}

/* ---- waits ---- */

enum sem_how { SEM_PLAIN, SEM_TIMED, SEM_CLOCK };

struct sem_call {
    sem_t *sem;
    enum sem_how how;
    clockid_t clock;
    const struct timespec *abstime;
};

static int blocking_call(const struct sem_call *c)
{
    switch (c->how) {
    case SEM_TIMED:
        return REAL(real_sem_timedwait, "sem_timedwait")(c->sem, c->abstime);
    case SEM_CLOCK:
        return REAL(real_sem_clockwait, "sem_clockwait")(c->sem, c->clock, c->abstime);
    case SEM_PLAIN:
    default:
        return REAL(real_sem_wait, "sem_wait")(c->sem);
    }
}

/* A wait in progress, for the cancellation handler. */
struct sem_wait_ctx {
    struct rec_thread *t;
    uint32_t sem;
    unsigned flags;
    uint32_t site;
};

/* The thread was cancelled while blocked: the wait ends without the
 * semaphore, and the recorder must be left before the application's own
 * cleanup handlers run. */
static void wait_canceled(void *arg)
{
    const struct sem_wait_ctx *w = arg;
    rec_failed(w->t, w->sem, w->flags | SWT_ACQ_CANCELED, w->site, ECANCELED);
    rec_leave(w->t);
}

/* sem_wait, sem_timedwait, sem_clockwait with valid arguments, after any
 * cancellation test glibc would have made. */
static int wait_common(const struct sem_call *c, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return blocking_call(c);
    int saved = errno;
    uint32_t id = rec_lock_id(t, c->sem, SWT_KIND_SEM);
    uint32_t site = rec_site(t, ret);
    unsigned flags = c->how == SEM_PLAIN ? 0u : SWT_ACQ_TIMED;
    int after = saved;
    int rc = REAL(real_sem_trywait, "sem_trywait")(c->sem);
    if (rc != 0) {
        /* Busy (EAGAIN) or an error only the real call reports exactly: its
         * answer, and its errno, are the ones the program gets. */
        struct sem_wait_ctx w = {.t = t, .sem = id, .flags = flags, .site = site};
        rec_wait(t, id, flags, site);
        errno = saved;
        pthread_cleanup_push(wait_canceled, &w);
        rc = blocking_call(c);
        after = errno;
        pthread_cleanup_pop(0);
        flags |= SWT_ACQ_CONTENDED;
    }
    if (rc == 0)
        rec_acquired(t, id, flags, site);
    else
        rec_failed(t, id, flags & ~(unsigned)SWT_ACQ_CONTENDED, site, after);
    rec_leave(t);
    errno = after;
    return rc;
}

SW_HOOK int sem_wait(sem_t *sem)
{
    /* glibc's sem_wait acts on a pending cancellation even when it would
     * not block; the trywait below would not. */
    pthread_testcancel();
    struct sem_call c = {.sem = sem, .how = SEM_PLAIN};
    return wait_common(&c, __builtin_return_address(0));
}

SW_HOOK int sem_timedwait(sem_t *sem, const struct timespec *abstime)
{
    struct sem_call c = {.sem = sem, .how = SEM_TIMED, .abstime = abstime};
    if (!hooks_abstime_ok(abstime))
        return blocking_call(&c); /* EINVAL from glibc, before anything else */
    pthread_testcancel();
    return wait_common(&c, __builtin_return_address(0));
}

SW_HOOK int sem_clockwait(sem_t *sem, clockid_t clock, const struct timespec *abstime)
{
    struct sem_call c = {.sem = sem, .how = SEM_CLOCK, .clock = clock, .abstime = abstime};
    if (!hooks_clock_ok(clock) || !hooks_abstime_ok(abstime))
        return blocking_call(&c); /* EINVAL from glibc, before anything else */
    return wait_common(&c, __builtin_return_address(0));
}

SW_HOOK int sem_trywait(sem_t *sem)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_sem_trywait, "sem_trywait")(sem);
    int saved = errno;
    uint32_t id = rec_lock_id(t, sem, SWT_KIND_SEM);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    errno = saved;
    int rc = REAL(real_sem_trywait, "sem_trywait")(sem);
    int after = errno;
    if (rc == 0)
        rec_acquired(t, id, SWT_ACQ_TRY, site);
    else
        rec_failed(t, id, SWT_ACQ_TRY, site, after);
    rec_leave(t);
    errno = after;
    return rc;
}

SW_HOOK int sem_post(sem_t *sem)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_sem_post, "sem_post")(sem);
    int saved = errno;
    uint32_t id = rec_lock_id(t, sem, SWT_KIND_SEM);
    /* A post is recorded only in trace mode: the release site rule applies. */
    uint32_t site = rec_release_site(t, __builtin_return_address(0));
    /* The value this post makes, read before it so that the record can be
     * stamped before the real post (a woken waiter's acquisition must come
     * after it in the trace).  glibc's sem_getvalue is one relaxed load. */
    int before;
    long value = -1;
    if (REAL(real_sem_getvalue, "sem_getvalue")(sem, &before) == 0)
        value = (long)before + 1;
    rec_sem_post(t, id, site, value);
    errno = saved;
    int rc = REAL(real_sem_post, "sem_post")(sem);
    int after = errno;
    rec_leave(t);
    errno = after;
    return rc;
}

SW_HOOK int sem_init(sem_t *sem, int pshared, unsigned value)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_sem_init, "sem_init")(sem, pshared, value);
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    errno = saved;
    int rc = REAL(real_sem_init, "sem_init")(sem, pshared, value);
    int after = errno;
    struct rec_lock_attr a = {
        .kind = SWT_KIND_SEM,
        .flags = (pshared ? SWT_LOCK_PSHARED : 0u) | (rc != 0 ? SWT_LOCK_FAILED_INIT : 0u),
        .value = value,
    };
    rec_lock_init(t, sem, &a, site);
    rec_leave(t);
    errno = after;
    return rc;
}

SW_HOOK int sem_destroy(sem_t *sem)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_sem_destroy, "sem_destroy")(sem);
    int saved = errno;
    uint32_t id = rec_lock_id(t, sem, SWT_KIND_SEM);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    errno = saved;
    int rc = REAL(real_sem_destroy, "sem_destroy")(sem);
    int after = errno;
    rec_lock_destroy(t, id, site, rc == 0 ? 0 : after);
    rec_leave(t);
    errno = after;
    return rc;
}

SW_HOOK sem_t *sem_open(const char *name, int oflag, ...)
{
    /* The mode and the value exist only with O_CREAT; passing them on
     * regardless is what glibc's own callers do (it reads them only then). */
    mode_t mode = 0;
    unsigned value = 0;
    if (oflag & O_CREAT) {
        va_list ap;
        va_start(ap, oflag);
        mode = (mode_t)va_arg(ap, unsigned);
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    sem_t *(*open_fn)(const char *, int, ...) = REAL(real_sem_open, "sem_open");
    struct rec_thread *t = rec_enter();
    if (!t) {
        /* Counted even when not recorded, so a later recorded close knows
         * whether it is the last. */
        sem_t *sem = open_fn(name, oflag, mode, value);
        if (sem != SEM_FAILED)
            named_opened(sem);
        return sem;
    }
    int saved = errno;
    uint32_t site = rec_site(t, __builtin_return_address(0));
    errno = saved;
    sem_t *sem = open_fn(name, oflag, mode, value);
    int after = errno;
    if (sem != SEM_FAILED && named_opened(sem)) {
        /* The value now: the initial value when this call created it. */
        int now = 0;
        if (REAL(real_sem_getvalue, "sem_getvalue")(sem, &now) != 0)
            now = 0;
        struct rec_lock_attr a = {
            .kind = SWT_KIND_SEM_NAMED,
            .flags = SWT_LOCK_PSHARED,
            .value = (uint64_t)now,
            .name = name,
        };
        rec_lock_init(t, sem, &a, site);
    }
    rec_leave(t);
    errno = after;
    return sem;
}

SW_HOOK int sem_close(sem_t *sem)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        int rc = REAL(real_sem_close, "sem_close")(sem);
        if (rc == 0)
            named_closed(sem);
        return rc;
    }
    int saved = errno;
    uint32_t id = rec_lock_id(t, sem, SWT_KIND_SEM_NAMED);
    uint32_t site = rec_site(t, __builtin_return_address(0));
    errno = saved;
    int rc = REAL(real_sem_close, "sem_close")(sem);
    int after = errno;
    /* Only the last close unmaps it: the address may then be reused by
     * another object, which must get a new identity. */
    if (rc != 0 || named_closed(sem))
        rec_lock_destroy(t, id, site, rc == 0 ? 0 : after);
    rec_leave(t);
    errno = after;
    return rc;
}

/* Recorded as nothing of their own: reading the value changes nothing, and
 * removing a name changes no open semaphore (a later sem_open of the name
 * maps a new inode, which gets its own identity).  Interposed so the family
 * is complete; the post hook calls the real sem_getvalue directly. */
SW_HOOK int sem_getvalue(sem_t *__restrict sem, int *__restrict value)
{
    return REAL(real_sem_getvalue, "sem_getvalue")(sem, value);
}

SW_HOOK int sem_unlink(const char *name)
{
    return REAL(real_sem_unlink, "sem_unlink")(name);
}
