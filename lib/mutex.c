/* sw_mutex: a futex mutex (0 free, 1 locked, 2 locked with waiters) with an
 * owner word and a recursion depth, so that unlock by a non-owner, double
 * unlock and relock are caught at the call. */
#include "lib/mutex.h"

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

static inline unsigned tsan_flags(const sw_mutex_t *m)
{
    return (m->obj.flags & SW_MUTEX_RECURSIVE) ? TSAN_REENTRANT : 0u;
}

static inline uintptr_t owner_of(const sw_mutex_t *m)
{
    return __atomic_load_n(&m->owner, __ATOMIC_RELAXED);
}

int sw_mutex_init(sw_mutex_t *m, const char *name, unsigned flags)
{
    if (!m || (flags & ~SW_MUTEX_RECURSIVE))
        return SW_EINVAL;
    *m = (sw_mutex_t)SW_MUTEX_INITIALIZER_FLAGS(name, flags, NULL);
    tsan_mutex_create(m, tsan_flags(m));
    TRACE_NEW(m, RET);
    return 0;
}

int sw_mutex_set_class(sw_mutex_t *m, const sw_lock_class_t *cls)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_set_class");
    if (rc)
        return rc;
    m->obj.cls = cls;
    return 0;
}

int sw_mutex_destroy(sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&m->state, __ATOMIC_RELAXED) != 0 || owner_of(m) != 0)
        return check_violation(SW_V_DESTROY_HELD, SW_EBUSY, "sw_mutex_destroy", m, &m->obj, NULL);
    TRACE(SWL_DESTROY, m, 0, NULL, 0, 0, RET);
    m->obj.magic = SW_MAGIC_DEAD;
    tsan_mutex_destroy(m, 0);
    return 0;
}

/* Sleeps until the state word is ours; with a deadline, SW_ETIMEDOUT. */
static int lock_slow(sw_mutex_t *m, const struct timespec *deadline)
{
    uint32_t c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    while (c != 0) {
        if (futex_wait(&m->state, 2, deadline) == -ETIMEDOUT)
            return SW_ETIMEDOUT;
        c = __atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE);
    }
    return 0;
}

static inline int try_fast(sw_mutex_t *m)
{
    uint32_t z = 0;
    return __atomic_compare_exchange_n(&m->state, &z, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void became_owner(sw_mutex_t *m, uintptr_t self)
{
    __atomic_store_n(&m->owner, self, __ATOMIC_RELAXED);
    m->depth = 1;
    held_push(&m->obj, 0);
}

/* The owner locks a recursive mutex again (or a non-recursive one: RELOCK). */
static int relock(sw_mutex_t *m, const char *op, unsigned try_flag, const void *ret)
{
    if (!(m->obj.flags & SW_MUTEX_RECURSIVE))
        return check_violation(SW_V_RELOCK, SW_EDEADLK, op, m, &m->obj, NULL);
    tsan_pre_lock(m, tsan_flags(m) | (try_flag ? TSAN_TRY : 0u));
    m->depth++;
    tsan_post_lock(m, tsan_flags(m) | (try_flag ? TSAN_TRY : 0u), 0);
    TRACE(SWL_ACQUIRED, m, try_flag ? SWT_ACQ_TRY : 0, NULL, 0, 0, ret);
    return 0;
}

int sw_mutex_lock(sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_lock");
    if (rc)
        return rc;
    uintptr_t self = held_self();
    if (__builtin_expect(owner_of(m) == self, 0))
        return relock(m, "sw_mutex_lock", 0, RET);
    check_order(&m->obj, "sw_mutex_lock");
    tsan_pre_lock(m, tsan_flags(m));
    if (__builtin_expect(!try_fast(m), 0)) {
        TRACE(SWL_WAIT, m, 0, NULL, 0, 0, RET);
        lock_slow(m, NULL);
    }
    tsan_post_lock(m, tsan_flags(m), 0);
    became_owner(m, self);
    TRACE(SWL_ACQUIRED, m, 0, NULL, 0, 0, RET);
    return 0;
}

int sw_mutex_trylock(sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_trylock");
    if (rc)
        return rc;
    uintptr_t self = held_self();
    if (owner_of(m) == self) {
        /* Like an error-checking pthread mutex: busy, not a deadlock. */
        if (!(m->obj.flags & SW_MUTEX_RECURSIVE))
            return SW_EBUSY;
        return relock(m, "sw_mutex_trylock", 1, RET);
    }
    tsan_pre_lock(m, tsan_flags(m) | TSAN_TRY);
    if (!try_fast(m)) {
        tsan_post_lock(m, tsan_flags(m) | TSAN_TRY | TSAN_TRY_FAILED, 0);
        TRACE(SWL_FAILED, m, SWT_ACQ_TRY, NULL, EBUSY, 0, RET);
        return SW_EBUSY;
    }
    tsan_post_lock(m, tsan_flags(m) | TSAN_TRY, 0);
    became_owner(m, self);
    TRACE(SWL_ACQUIRED, m, SWT_ACQ_TRY, NULL, 0, 0, RET);
    return 0;
}

int sw_mutex_timedlock(sw_mutex_t *m, uint64_t timeout_ns)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_timedlock");
    if (rc)
        return rc;
    uintptr_t self = held_self();
    if (owner_of(m) == self)
        return relock(m, "sw_mutex_timedlock", 1, RET);
    check_order(&m->obj, "sw_mutex_timedlock");
    tsan_pre_lock(m, tsan_flags(m) | TSAN_TRY);
    if (!try_fast(m)) {
        struct timespec deadline = futex_deadline(timeout_ns);
        TRACE(SWL_WAIT, m, SWT_ACQ_TIMED, NULL, 0, 0, RET);
        if (lock_slow(m, &deadline) != 0) {
            tsan_post_lock(m, tsan_flags(m) | TSAN_TRY | TSAN_TRY_FAILED, 0);
            TRACE(SWL_FAILED, m, SWT_ACQ_TIMED, NULL, ETIMEDOUT, 0, RET);
            return SW_ETIMEDOUT;
        }
    }
    tsan_post_lock(m, tsan_flags(m) | TSAN_TRY, 0);
    became_owner(m, self);
    TRACE(SWL_ACQUIRED, m, SWT_ACQ_TIMED, NULL, 0, 0, RET);
    return 0;
}

static int bad_unlock(sw_mutex_t *m, uintptr_t owner)
{
    if (owner == 0)
        return check_violation(SW_V_UNLOCK_NOT_LOCKED, SW_EPERM, "sw_mutex_unlock", m, &m->obj,
                               NULL);
    return check_violation(SW_V_UNLOCK_NOT_OWNER, SW_EPERM, "sw_mutex_unlock", m, &m->obj, NULL);
}

static inline void release_state(sw_mutex_t *m)
{
    if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2)
        futex_wake(&m->state, 1);
}

int sw_mutex_unlock(sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_unlock");
    if (rc)
        return rc;
    uintptr_t owner = owner_of(m);
    if (__builtin_expect(owner != held_self(), 0))
        return bad_unlock(m, owner);
    TRACE(SWL_RELEASED, m, 0, NULL, 0, 0, RET);
    if (m->depth > 1) {
        tsan_pre_unlock(m, 0);
        m->depth--;
        tsan_post_unlock(m, 0);
        return 0;
    }
    held_pop(&m->obj);
    tsan_pre_unlock(m, 0);
    m->depth = 0;
    __atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
    release_state(m);
    tsan_post_unlock(m, 0);
    return 0;
}

int sw_mutex_assert_held(const sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_assert_held");
    if (rc)
        return rc;
    if (owner_of(m) != held_self())
        return check_violation(SW_V_ASSERT_HELD, SW_EPERM, "sw_mutex_assert_held", m, &m->obj,
                               NULL);
    return 0;
}

int sw_mutex_assert_not_held(const sw_mutex_t *m)
{
    int rc = check_object(&m->obj, SW_MAGIC_MUTEX, "sw_mutex_assert_not_held");
    if (rc)
        return rc;
    if (owner_of(m) == held_self())
        return check_violation(SW_V_ASSERT_NOT_HELD, SW_EDEADLK, "sw_mutex_assert_not_held", m,
                               &m->obj, NULL);
    return 0;
}

int mutex_held_by_self(const sw_mutex_t *m)
{
    return owner_of(m) == held_self();
}

unsigned mutex_release_for_wait(sw_mutex_t *m)
{
    unsigned depth = m->depth;
    tsan_pre_unlock(m, (m->obj.flags & SW_MUTEX_RECURSIVE) ? TSAN_RECURSIVE_UNLOCK : 0);
    m->depth = 0;
    __atomic_store_n(&m->owner, 0, __ATOMIC_RELAXED);
    release_state(m);
    tsan_post_unlock(m, 0);
    return depth;
}

void mutex_reacquire_after_wait(sw_mutex_t *m, unsigned depth)
{
    unsigned rec = (m->obj.flags & SW_MUTEX_RECURSIVE) ? TSAN_RECURSIVE_LOCK : 0;
    tsan_pre_lock(m, tsan_flags(m));
    lock_slow(m, NULL);
    tsan_post_lock(m, tsan_flags(m) | rec, rec ? (int)depth : 0);
    __atomic_store_n(&m->owner, held_self(), __ATOMIC_RELAXED);
    m->depth = depth;
}
