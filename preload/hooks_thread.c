/* Hooks of thread life: creation through a start trampoline (start, and
 * the end by return, pthread_exit or cancellation with the locks still
 * held), join, detach and names. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

static int (*real_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static void (*real_pthread_exit)(void *) __attribute__((noreturn));
static int (*real_pthread_join)(pthread_t, void **);
static int (*real_pthread_detach)(pthread_t);
static int (*real_pthread_setname_np)(pthread_t, const char *);

#define RET __builtin_return_address(0)

struct start {
    void *(*fn)(void *);
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

static void *trampoline(void *p)
{
    struct start s = *(struct start *)p;
    free(p);
    struct rec_thread *t = rec_thread_begin(s.index, s.parent, s.site);
    if (t)
        rec_leave(t);
    void *ret;
    pthread_cleanup_push(on_unwind, NULL);
    ret = s.fn(s.arg);
    pthread_cleanup_pop(0);
    t = rec_enter();
    if (t) {
        rec_thread_exit(t, SWT_THREAD_EXITED);
        rec_leave(t);
    }
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
        *s = (struct start){fn, arg, index, rec_thread_index(t), site};
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
