/* sw_rwlock: a futex reader-writer lock.  The state word holds the writer
 * bit and the reader count; sleepers wait on a separate sequence word that
 * every release bumps when someone sleeps.  Readers are preferred (a
 * thread may take a read hold again while it has one without deadlocking),
 * so a stream of readers can starve a writer. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

#define WRITER 0x80000000u

int sw_rwlock_init(sw_rwlock_t *rw, const char *name, unsigned flags)
{
    if (!rw || flags)
        return SW_EINVAL;
    *rw = (sw_rwlock_t)SW_RWLOCK_INITIALIZER(name);
    tsan_mutex_create(rw, TSAN_READ_REENTRANT);
    TRACE_NEW(rw, RET);
    return 0;
}

int sw_rwlock_set_class(sw_rwlock_t *rw, const sw_lock_class_t *cls)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_set_class");
    if (rc)
        return rc;
    rw->obj.cls = cls;
    return 0;
}

int sw_rwlock_destroy(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&rw->state, __ATOMIC_RELAXED) != 0)
        return check_violation(SW_V_DESTROY_HELD, SW_EBUSY, "sw_rwlock_destroy", rw, &rw->obj,
                               NULL);
    if (__atomic_load_n(&rw->waiters, __ATOMIC_RELAXED) != 0)
        return check_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sw_rwlock_destroy", rw, &rw->obj,
                               NULL);
    TRACE(SWL_DESTROY, rw, 0, NULL, 0, 0, RET);
    rw->obj.magic = SW_MAGIC_DEAD;
    tsan_mutex_destroy(rw, 0);
    return 0;
}

static inline int try_read(sw_rwlock_t *rw)
{
    uint32_t s = __atomic_load_n(&rw->state, __ATOMIC_SEQ_CST);
    while (!(s & WRITER))
        if (__atomic_compare_exchange_n(&rw->state, &s, s + 1, 1, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return 1;
    return 0;
}

static inline int try_write(sw_rwlock_t *rw)
{
    uint32_t z = 0;
    return __atomic_compare_exchange_n(&rw->state, &z, WRITER, 0, __ATOMIC_SEQ_CST,
                                       __ATOMIC_RELAXED);
}

/* Sleeps until try(rw) succeeds.  The waiter count is raised before the
 * last try and read by the releaser after its release (both seq_cst):
 * either the releaser sees the sleeper or the sleeper sees the release. */
static void wait_for(sw_rwlock_t *rw, int (*try)(sw_rwlock_t *))
{
    while (!try(rw)) {
        __atomic_fetch_add(&rw->waiters, 1, __ATOMIC_SEQ_CST);
        uint32_t seq = __atomic_load_n(&rw->seq, __ATOMIC_SEQ_CST);
        if (!try(rw)) {
            futex_wait(&rw->seq, seq, NULL);
            __atomic_fetch_sub(&rw->waiters, 1, __ATOMIC_SEQ_CST);
            continue;
        }
        __atomic_fetch_sub(&rw->waiters, 1, __ATOMIC_SEQ_CST);
        return;
    }
}

static inline void wake_waiters(sw_rwlock_t *rw)
{
    if (__atomic_load_n(&rw->waiters, __ATOMIC_SEQ_CST) != 0) {
        __atomic_fetch_add(&rw->seq, 1, __ATOMIC_SEQ_CST);
        futex_wake(&rw->seq, INT_MAX);
    }
}

/* The calling thread holds rw: 0 no, 1 for reading, 2 for writing. */
static inline int held_mode(const sw_rwlock_t *rw)
{
    if (__atomic_load_n(&rw->writer, __ATOMIC_RELAXED) == held_self())
        return 2;
    return held_find(&rw->obj) >= 0 ? 1 : 0;
}

int sw_rwlock_rdlock(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_rdlock");
    if (rc)
        return rc;
    int mode = held_mode(rw);
    if (mode == 2)
        return check_violation(SW_V_RELOCK, SW_EDEADLK, "sw_rwlock_rdlock", rw, &rw->obj, NULL);
    if (mode == 0)
        check_order(&rw->obj, "sw_rwlock_rdlock");
    tsan_pre_lock(rw, TSAN_READ);
    if (!try_read(rw)) {
        TRACE(SWL_WAIT, rw, SWT_ACQ_READ, NULL, 0, 0, RET);
        wait_for(rw, try_read);
    }
    tsan_post_lock(rw, TSAN_READ, 0);
    held_push(&rw->obj, 1);
    TRACE(SWL_ACQUIRED, rw, SWT_ACQ_READ, NULL, 0, 0, RET);
    return 0;
}

int sw_rwlock_tryrdlock(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_tryrdlock");
    if (rc)
        return rc;
    tsan_pre_lock(rw, TSAN_READ | TSAN_TRY);
    if (!try_read(rw)) {
        tsan_post_lock(rw, TSAN_READ | TSAN_TRY | TSAN_TRY_FAILED, 0);
        TRACE(SWL_FAILED, rw, SWT_ACQ_READ | SWT_ACQ_TRY, NULL, EBUSY, 0, RET);
        return SW_EBUSY;
    }
    tsan_post_lock(rw, TSAN_READ | TSAN_TRY, 0);
    held_push(&rw->obj, 1);
    TRACE(SWL_ACQUIRED, rw, SWT_ACQ_READ | SWT_ACQ_TRY, NULL, 0, 0, RET);
    return 0;
}

int sw_rwlock_wrlock(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_wrlock");
    if (rc)
        return rc;
    if (held_mode(rw) != 0)
        return check_violation(SW_V_RELOCK, SW_EDEADLK, "sw_rwlock_wrlock", rw, &rw->obj, NULL);
    check_order(&rw->obj, "sw_rwlock_wrlock");
    tsan_pre_lock(rw, 0);
    if (!try_write(rw)) {
        TRACE(SWL_WAIT, rw, SWT_ACQ_WRITE, NULL, 0, 0, RET);
        wait_for(rw, try_write);
    }
    tsan_post_lock(rw, 0, 0);
    __atomic_store_n(&rw->writer, held_self(), __ATOMIC_RELAXED);
    held_push(&rw->obj, 0);
    TRACE(SWL_ACQUIRED, rw, SWT_ACQ_WRITE, NULL, 0, 0, RET);
    return 0;
}

int sw_rwlock_trywrlock(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_trywrlock");
    if (rc)
        return rc;
    tsan_pre_lock(rw, TSAN_TRY);
    if (!try_write(rw)) {
        tsan_post_lock(rw, TSAN_TRY | TSAN_TRY_FAILED, 0);
        TRACE(SWL_FAILED, rw, SWT_ACQ_WRITE | SWT_ACQ_TRY, NULL, EBUSY, 0, RET);
        return SW_EBUSY;
    }
    tsan_post_lock(rw, TSAN_TRY, 0);
    __atomic_store_n(&rw->writer, held_self(), __ATOMIC_RELAXED);
    held_push(&rw->obj, 0);
    TRACE(SWL_ACQUIRED, rw, SWT_ACQ_WRITE | SWT_ACQ_TRY, NULL, 0, 0, RET);
    return 0;
}

int sw_rwlock_unlock(sw_rwlock_t *rw)
{
    int rc = check_object(&rw->obj, SW_MAGIC_RWLOCK, "sw_rwlock_unlock");
    if (rc)
        return rc;
    if (__atomic_load_n(&rw->writer, __ATOMIC_RELAXED) == held_self()) {
        TRACE(SWL_RELEASED, rw, 0, NULL, 0, 0, RET);
        held_pop(&rw->obj);
        tsan_pre_unlock(rw, 0);
        __atomic_store_n(&rw->writer, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&rw->state, 0, __ATOMIC_SEQ_CST);
        wake_waiters(rw);
        tsan_post_unlock(rw, 0);
        return 0;
    }
    uint32_t s = __atomic_load_n(&rw->state, __ATOMIC_RELAXED);
    /* A read hold is in the held stack, unless the stack overflowed. */
    int reading = held_find(&rw->obj) >= 0 || (held_overflowed() && s != 0 && !(s & WRITER));
    if (!reading) {
        if (s == 0)
            return check_violation(SW_V_UNLOCK_NOT_LOCKED, SW_EPERM, "sw_rwlock_unlock", rw,
                                   &rw->obj, NULL);
        return check_violation(SW_V_UNLOCK_NOT_OWNER, SW_EPERM, "sw_rwlock_unlock", rw, &rw->obj,
                               NULL);
    }
    TRACE(SWL_RELEASED, rw, 0, NULL, 0, 0, RET);
    held_pop(&rw->obj);
    tsan_pre_unlock(rw, TSAN_READ);
    if (__atomic_sub_fetch(&rw->state, 1, __ATOMIC_SEQ_CST) == 0)
        wake_waiters(rw);
    tsan_post_unlock(rw, TSAN_READ);
    return 0;
}
