/* Hooks of thread life: creation through a start trampoline (start, and
 * the end by return, pthread_exit or cancellation with the locks still
 * held), join, detach and names; the same for C11 thrd_*. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <threads.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static void (*real_pthread_exit)(void *) __attribute__((noreturn));
static int (*real_pthread_join)(pthread_t, void **);
static int (*real_pthread_detach)(pthread_t);
static int (*real_pthread_setname_np)(pthread_t, const char *);
static int (*real_thrd_create)(thrd_t *, thrd_start_t, void *);
static int (*real_thrd_join)(thrd_t, int *);
static int (*real_thrd_detach)(thrd_t);
static void (*real_thrd_exit)(int) __attribute__((noreturn));

#define RET __builtin_return_address(0)

struct start {
    void *(*fn)(void *);
    int (*c11_fn)(void *); /* thrd_create's start routine */
    void *arg;
    uint32_t index;
    uint32_t parent;
    uint32_t site;
};

/* Runs when the thread is cancelled, and also during pthread_exit's unwind
 * (which has already recorded the exit, so this records nothing then).  A
 * cancellation can strike inside a hook's blocking call, whose in-hook
 * flag would otherwise stay set. */
static void on_unwind(void *arg)
{
    (void)arg;
    rec_force_leave();
    struct rec_thread *t = rec_enter();
    if (t) {
        rec_thread_exit(t, SWT_THREAD_CANCELED);
        rec_leave(t);
    }
}

/* Runs the start routine between THREAD_START and THREAD_EXIT; *c11_ret
 * gets a thrd_create routine's result. */
static void *run_start(struct start *p, int *c11_ret)
{
    struct start s = *p;
    free(p);
    struct rec_thread *t = rec_thread_begin(s.index, s.parent, s.site);
    if (t)
        rec_leave(t);
    void *ret = NULL;
    pthread_cleanup_push(on_unwind, NULL);
    if (s.c11_fn)
        *c11_ret = s.c11_fn(s.arg);
    else
        ret = s.fn(s.arg);
    pthread_cleanup_pop(0);
    t = rec_enter();
    if (t) {
        rec_thread_exit(t, SWT_THREAD_EXITED);
        rec_leave(t);
    }
    return ret;
}

static void *trampoline(void *p)
{
    int unused;
    return run_start(p, &unused);
}

static int c11_trampoline(void *p)
{
    int ret = 0;
    run_start(p, &ret);
    return ret;
}

SW_HOOK int pthread_create(pthread_t *th, const pthread_attr_t *attr, void *(*fn)(void *),
                           void *arg)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_create, "pthread_create")(th, attr, fn, arg);
    int saved = errno;
    uint32_t site = rec_site(t, RET);
    uint32_t index = rec_thread_reserve();
    /* The start record lives on the heap: the creator may return before the
     * thread runs.  If there is no memory, the thread runs untrampolined. */
    struct start *s = malloc(sizeof *s);
    int r;
    if (!s || !index) {
        free(s);
        r = REAL(real_pthread_create, "pthread_create")(th, attr, fn, arg);
        index = 0;
    } else {
        *s = (struct start){fn, NULL, arg, index, rec_thread_index(t), site};
        r = REAL(real_pthread_create, "pthread_create")(th, attr, trampoline, s);
        if (r != 0)
            free(s);
    }
    rec_thread_created(t, r == 0 ? index : 0, r == 0 ? *th : (pthread_t)0, site, r);
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK void pthread_exit(void *value)
{
    struct rec_thread *t = rec_enter();
    if (t) {
        rec_thread_exit(t, SWT_THREAD_EXITED);
        rec_leave(t);
    }
    REAL(real_pthread_exit, "pthread_exit")(value);
}

SW_HOOK int pthread_join(pthread_t th, void **value)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_join, "pthread_join")(th, value);
    int saved = errno;
    uint32_t site = rec_site(t, RET);
    rec_thread_join_begin(t, rec_thread_of(th), site);
    /* Not inside the shim while blocked: a signal handler's locks during a
     * long join are recorded. */
    rec_leave(t);
    int r = REAL(real_pthread_join, "pthread_join")(th, value);
    t = rec_enter();
    if (t) {
        rec_thread_joined(t, rec_thread_of(th), site, r);
        if (r == 0)
            rec_thread_reclaim(th);
        rec_leave(t);
    }
    errno = saved;
    return r;
}

SW_HOOK int pthread_detach(pthread_t th)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_detach, "pthread_detach")(th);
    int saved = errno;
    uint32_t idx = rec_thread_of(th);
    int r = REAL(real_pthread_detach, "pthread_detach")(th);
    if (r == 0 && idx)
        rec_thread_detached(t, idx);
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK int pthread_setname_np(pthread_t th, const char *name)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_pthread_setname_np, "pthread_setname_np")(th, name);
    int saved = errno;
    int r = REAL(real_pthread_setname_np, "pthread_setname_np")(th, name);
    uint32_t idx = rec_thread_of(th);
    if (r == 0 && idx)
        rec_thread_named(t, idx, name);
    rec_leave(t);
    errno = saved;
    return r;
}

/* C11 threads: glibc's thrd_create starts the thread without going
 * through pthread_create, so it gets the same trampoline here. */
SW_HOOK int thrd_create(thrd_t *th, thrd_start_t fn, void *arg)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_thrd_create, "thrd_create")(th, fn, arg);
    int saved = errno;
    uint32_t site = rec_site(t, RET);
    uint32_t index = rec_thread_reserve();
    struct start *s = malloc(sizeof *s);
    int r;
    if (!s || !index) {
        free(s);
        r = REAL(real_thrd_create, "thrd_create")(th, fn, arg);
        index = 0;
    } else {
        *s = (struct start){NULL, fn, arg, index, rec_thread_index(t), site};
        r = REAL(real_thrd_create, "thrd_create")(th, c11_trampoline, s);
        if (r != thrd_success)
            free(s);
    }
    rec_thread_created(t, r == thrd_success ? index : 0,
                       r == thrd_success ? (pthread_t)*th : (pthread_t)0, site,
                       r == thrd_success ? 0 : r == thrd_nomem ? ENOMEM : EAGAIN);
    rec_leave(t);
    errno = saved;
    return r;
}

SW_HOOK void thrd_exit(int res)
{
    struct rec_thread *t = rec_enter();
    if (t) {
        rec_thread_exit(t, SWT_THREAD_EXITED);
        rec_leave(t);
    }
    REAL(real_thrd_exit, "thrd_exit")(res);
}

SW_HOOK int thrd_join(thrd_t th, int *res)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_thrd_join, "thrd_join")(th, res);
    int saved = errno;
    uint32_t site = rec_site(t, RET);
    rec_thread_join_begin(t, rec_thread_of((pthread_t)th), site);
    rec_leave(t);
    int r = REAL(real_thrd_join, "thrd_join")(th, res);
    t = rec_enter();
    if (t) {
        rec_thread_joined(t, rec_thread_of((pthread_t)th), site, r == thrd_success ? 0 : EINVAL);
        if (r == thrd_success)
            rec_thread_reclaim((pthread_t)th);
        rec_leave(t);
    }
    errno = saved;
    return r;
}

SW_HOOK int thrd_detach(thrd_t th)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_thrd_detach, "thrd_detach")(th);
    int saved = errno;
    uint32_t idx = rec_thread_of((pthread_t)th);
    int r = REAL(real_thrd_detach, "thrd_detach")(th);
    if (r == thrd_success && idx)
        rec_thread_detached(t, idx);
    rec_leave(t);
    errno = saved;
    return r;
}
