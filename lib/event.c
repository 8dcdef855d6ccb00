/* sw_event: a manual-reset event.  Set wakes every waiter and stays set
 * until cleared; a wait that sees it set acquires what the setter
 * released, so TSan orders the setter's writes before the waiter's reads. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

int sw_event_init(sw_event_t *e, const char *name, unsigned flags)
{
    if (!e || flags)
        return SW_EINVAL;
    *e = (sw_event_t)SW_EVENT_INITIALIZER(name);
    TRACE_NEW(e, RET);
    return 0;
}

int sw_event_destroy(sw_event_t *e)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST) != 0)
        return check_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sw_event_destroy", e, &e->obj,
                               NULL);
    TRACE(SWL_DESTROY, e, 0, NULL, 0, 0, RET);
    e->obj.magic = SW_MAGIC_DEAD;
    return 0;
}

int sw_event_set(sw_event_t *e)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_set");
    if (rc)
        return rc;
    tsan_release(e);
    TRACE(SWL_SEM_POST, e, 0, NULL, 0, 1, RET);
    __atomic_store_n(&e->state, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&e->waiters, __ATOMIC_SEQ_CST) != 0)
        futex_wake(&e->state, INT_MAX);
    return 0;
}

int sw_event_clear(sw_event_t *e)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_clear");
    if (rc)
        return rc;
    __atomic_store_n(&e->state, 0, __ATOMIC_SEQ_CST);
    return 0;
}

int sw_event_is_set(const sw_event_t *e)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_is_set");
    if (rc)
        return rc;
    if (__atomic_load_n(&e->state, __ATOMIC_ACQUIRE) == 0)
        return 0;
    tsan_acquire(e);
    return 1;
}

static int wait_until(sw_event_t *e, const struct timespec *deadline)
{
    while (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) == 0) {
        __atomic_fetch_add(&e->waiters, 1, __ATOMIC_SEQ_CST);
        int r = futex_wait(&e->state, 0, deadline);
        __atomic_fetch_sub(&e->waiters, 1, __ATOMIC_SEQ_CST);
        if (r == -ETIMEDOUT && __atomic_load_n(&e->state, __ATOMIC_SEQ_CST) == 0)
            return SW_ETIMEDOUT;
    }
    tsan_acquire(e);
    return 0;
}

int sw_event_wait(sw_event_t *e)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_wait");
    if (rc)
        return rc;
    if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) != 0) {
        tsan_acquire(e);
        return 0;
    }
    TRACE(SWL_WAIT, e, 0, NULL, 0, 0, RET);
    wait_until(e, NULL);
    TRACE(SWL_ACQUIRED, e, 0, NULL, 0, 0, RET);
    return 0;
}

int sw_event_timedwait(sw_event_t *e, uint64_t timeout_ns)
{
    int rc = check_object(&e->obj, SW_MAGIC_EVENT, "sw_event_timedwait");
    if (rc)
        return rc;
    if (__atomic_load_n(&e->state, __ATOMIC_SEQ_CST) != 0) {
        tsan_acquire(e);
        return 0;
    }
    struct timespec deadline = futex_deadline(timeout_ns);
    TRACE(SWL_WAIT, e, SWT_ACQ_TIMED, NULL, 0, 0, RET);
    rc = wait_until(e, &deadline);
    if (rc == 0)
        TRACE(SWL_ACQUIRED, e, SWT_ACQ_TIMED, NULL, 0, 0, RET);
    else
        TRACE(SWL_FAILED, e, SWT_ACQ_TIMED, NULL, ETIMEDOUT, 0, RET);
    return rc;
}
