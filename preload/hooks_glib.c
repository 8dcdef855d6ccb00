/* Hooks of GLib's GMutex and GCond (libglib-2.0, architecture.md fact 3).
 *
 * On Linux both are built on futexes: g_mutex_lock is an atomic
 * compare-and-swap with a futex slow path, and g_cond_wait a futex wait;
 * no pthread function runs underneath, so without these hooks a GMutex
 * deadlock is invisible.  GRecMutex and GRWLock are not hooked: GLib builds
 * them on a pthread_mutex_t / pthread_rwlock_t of its own, which the
 * pthread hooks see (hooking them too would count every operation twice).
 *
 * What these hooks see: calls that reach GLib through the dynamic linker,
 * i.e. from the program and from every other library (GIO, GObject, GTK...).
 * libglib's calls to its own functions do not: it is linked with
 * -Bsymbolic-functions, so g_cond_wait's unlock and relock of its mutex and
 * GLib's internal locks (GAsyncQueue, GMainContext, g_once...) are direct
 * calls (docs/hooks.md, "GLib").  As for pthread_cond_wait, the GCond hooks
 * therefore record the release and the re-acquisition of the mutex around
 * the real wait themselves.
 *
 * The real functions are found with dlsym(RTLD_NEXT): a hook is only ever
 * reached when a library that defines them (libglib) is loaded.  GMutex is
 * an 8-byte union, not a glibc object: its first sight reads nothing from
 * it (rec_lock_id_opaque); it is recorded as a normal mutex, a GCond as a
 * condvar.  Return values are the real ones; errno is what the real call
 * leaves (GLib's futex slow paths may set it), the recorder never changes
 * it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

/* GLib's types, as far as the hooks need them (glib/gtypes.h, gthread.h):
 * the objects are only passed on. */
typedef int gboolean;
typedef int64_t gint64;
typedef struct g_time_val {
    long tv_sec, tv_usec;
} GTimeVal;

static void (*real_g_mutex_init)(void *);
static void (*real_g_mutex_clear)(void *);
static void (*real_g_mutex_lock)(void *);
static gboolean (*real_g_mutex_trylock)(void *);
static void (*real_g_mutex_unlock)(void *);
static void (*real_g_cond_init)(void *);
static void (*real_g_cond_clear)(void *);
static void (*real_g_cond_wait)(void *, void *);
static gboolean (*real_g_cond_wait_until)(void *, void *, gint64);
static gboolean (*real_g_cond_timed_wait)(void *, void *, GTimeVal *);
static void (*real_g_cond_signal)(void *);
static void (*real_g_cond_broadcast)(void *);

#define RET __builtin_return_address(0)

static void init_common(void *obj, unsigned kind, const void *ret)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return;
    struct rec_lock_attr a = {kind, kind == SWT_KIND_MUTEX ? SWT_TYPE_NORMAL : SWT_TYPE_DEFAULT,
                              0, 0, NULL};
    rec_lock_init(t, obj, &a, rec_site(t, ret));
    rec_leave(t);
}

SW_HOOK void g_mutex_init(void *mutex)
{
    REAL(real_g_mutex_init, "g_mutex_init")(mutex);
    init_common(mutex, SWT_KIND_MUTEX, RET);
}

SW_HOOK void g_cond_init(void *cond)
{
    REAL(real_g_cond_init, "g_cond_init")(cond);
    init_common(cond, SWT_KIND_COND, RET);
}

SW_HOOK void g_mutex_clear(void *mutex)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        REAL(real_g_mutex_clear, "g_mutex_clear")(mutex);
        return;
    }
    uint32_t id = rec_lock_id_opaque(t, mutex, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, RET);
    REAL(real_g_mutex_clear, "g_mutex_clear")(mutex); /* aborts if it is locked */
    rec_lock_destroy(t, id, site, 0);
    rec_leave(t);
}

SW_HOOK void g_cond_clear(void *cond)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        REAL(real_g_cond_clear, "g_cond_clear")(cond);
        return;
    }
    uint32_t id = rec_lock_id_opaque(t, cond, SWT_KIND_COND);
    uint32_t site = rec_site(t, RET);
    REAL(real_g_cond_clear, "g_cond_clear")(cond);
    rec_lock_destroy(t, id, site, 0);
    rec_leave(t);
}

SW_HOOK void g_mutex_lock(void *mutex)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        if (t)
            rec_leave(t);
        REAL(real_g_mutex_lock, "g_mutex_lock")(mutex);
        return;
    }
    uint32_t id = rec_lock_id_opaque(t, mutex, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, RET);
    /* Try first: the wait is recorded (and the clock read) only when the
     * mutex is taken (architecture.md fact 15). */
    if (!REAL(real_g_mutex_trylock, "g_mutex_trylock")(mutex)) {
        rec_wait(t, id, 0, site);
        REAL(real_g_mutex_lock, "g_mutex_lock")(mutex);
    }
    rec_acquired(t, id, 0, site);
    rec_leave(t);
}

SW_HOOK gboolean g_mutex_trylock(void *mutex)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_g_mutex_trylock, "g_mutex_trylock")(mutex);
    uint32_t id = rec_lock_id_opaque(t, mutex, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, RET);
    gboolean ok = REAL(real_g_mutex_trylock, "g_mutex_trylock")(mutex);
    if (ok)
        rec_acquired(t, id, SWT_ACQ_TRY, site);
    else
        rec_failed(t, id, SWT_ACQ_TRY, site, EBUSY);
    rec_leave(t);
    return ok;
}

SW_HOOK void g_mutex_unlock(void *mutex)
{
    struct rec_thread *t = rec_enter();
    if (!t) {
        if (t)
            rec_leave(t);
        REAL(real_g_mutex_unlock, "g_mutex_unlock")(mutex);
        return;
    }
    uint32_t id = rec_lock_id_opaque(t, mutex, SWT_KIND_MUTEX);
    /* Stamped before the real unlock (architecture.md fact 14). */
    rec_released(t, id, 0, rec_release_site(t, RET));
    REAL(real_g_mutex_unlock, "g_mutex_unlock")(mutex);
    rec_leave(t);
}

/* One condvar wait: libglib unlocks and relocks the mutex by direct calls
 * the hooks never see, so the release and the re-acquisition are recorded
 * here (flag COND).  GLib's waits always return with the mutex locked.
 * how: 0 g_cond_wait, 1 g_cond_wait_until, 2 g_cond_timed_wait. */
static gboolean wait_common(void *cond, void *mutex, int how, gint64 end_time, GTimeVal *tv,
                            const void *ret)
{
    gboolean ok;
    struct rec_thread *t = rec_enter();
    if (!t) {
        if (how == 1)
            return REAL(real_g_cond_wait_until, "g_cond_wait_until")(cond, mutex, end_time);
        if (how == 2)
            return REAL(real_g_cond_timed_wait, "g_cond_timed_wait")(cond, mutex, tv);
        REAL(real_g_cond_wait, "g_cond_wait")(cond, mutex);
        return 1;
    }
    uint32_t c = rec_lock_id_opaque(t, cond, SWT_KIND_COND);
    uint32_t m = rec_lock_id_opaque(t, mutex, SWT_KIND_MUTEX);
    uint32_t site = rec_site(t, ret);
    unsigned flags = SWT_ACQ_COND | (how == 0 || (how == 2 && !tv) ? 0u : SWT_ACQ_TIMED);
    rec_released(t, m, flags, site);
    rec_cond_wait(t, c, m, site, flags & SWT_ACQ_TIMED);
    if (how == 1)
        ok = REAL(real_g_cond_wait_until, "g_cond_wait_until")(cond, mutex, end_time);
    else if (how == 2)
        ok = REAL(real_g_cond_timed_wait, "g_cond_timed_wait")(cond, mutex, tv);
    else {
        REAL(real_g_cond_wait, "g_cond_wait")(cond, mutex);
        ok = 1;
    }
    rec_cond_wake(t, c, m, ok ? 0 : ETIMEDOUT);
    rec_acquired(t, m, flags, site);
    rec_leave(t);
    return ok;
}

SW_HOOK void g_cond_wait(void *cond, void *mutex) { wait_common(cond, mutex, 0, 0, NULL, RET); }

SW_HOOK gboolean g_cond_wait_until(void *cond, void *mutex, gint64 end_time)
{
    return wait_common(cond, mutex, 1, end_time, NULL, RET);
}

/* Deprecated since GLib 2.32; calls g_cond_wait_until inside libglib. */
SW_HOOK gboolean g_cond_timed_wait(void *cond, void *mutex, GTimeVal *abs_time)
{
    return wait_common(cond, mutex, 2, 0, abs_time, RET);
}

static void signal_common(void *cond, unsigned flags, const void *ret)
{
    void (*fn)(void *) = flags & SWT_ACQ_BROADCAST
                             ? REAL(real_g_cond_broadcast, "g_cond_broadcast")
                             : REAL(real_g_cond_signal, "g_cond_signal");
    struct rec_thread *t = rec_enter();
    if (!t) {
        fn(cond);
        return;
    }
    rec_cond_signal(t, rec_lock_id_opaque(t, cond, SWT_KIND_COND), flags, rec_site(t, ret));
    fn(cond);
    rec_leave(t);
}

SW_HOOK void g_cond_signal(void *cond) { signal_common(cond, 0, RET); }

SW_HOOK void g_cond_broadcast(void *cond) { signal_common(cond, SWT_ACQ_BROADCAST, RET); }
