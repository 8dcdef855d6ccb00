/* sw_cond: a sequence-number condition variable over sw_mutex.  A waiter
 * reads the sequence while it holds the mutex, gives the mutex up and
 * sleeps while the sequence is unchanged; signal and broadcast bump it.
 * Happens-before comes from the mutex, as with pthread condvars. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/mutex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

int sw_cond_init(sw_cond_t *c, const char *name, unsigned flags)
{
    if (!c || flags)
        return SW_EINVAL;
    *c = (sw_cond_t)SW_COND_INITIALIZER(name);
    TRACE_NEW(c, RET);
    return 0;
}

int sw_cond_destroy(sw_cond_t *c)
{
    int rc = check_object(&c->obj, SW_MAGIC_COND, "sw_cond_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&c->waiters, __ATOMIC_SEQ_CST) != 0)
        return check_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sw_cond_destroy", c, &c->obj,
                               NULL);
    TRACE(SWL_DESTROY, c, 0, NULL, 0, 0, RET);
    c->obj.magic = SW_MAGIC_DEAD;
    return 0;
}

static int wait_on(sw_cond_t *c, sw_mutex_t *m, const struct timespec *deadline, const char *op,
                   const void *ret)
{
    int rc = check_object(&c->obj, SW_MAGIC_COND, op);
    if (rc)
        return rc;
    rc = check_object(&m->obj, SW_MAGIC_MUTEX, op);
    if (rc)
        return rc;
    if (!mutex_held_by_self(m))
        return check_violation(SW_V_COND_NOT_HELD, SW_EPERM, op, c, &c->obj, &m->obj);
    uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&c->waiters, 1, __ATOMIC_SEQ_CST);
    TRACE(SWL_COND_WAIT, c, deadline ? SWT_ACQ_TIMED : 0, &m->obj, 0, 0, ret);
    unsigned depth = mutex_release_for_wait(m);
    int r = futex_wait(&c->seq, seq, deadline);
    __atomic_fetch_sub(&c->waiters, 1, __ATOMIC_SEQ_CST);
    mutex_reacquire_after_wait(m, depth);
    TRACE(SWL_COND_WAKE, c, 0, &m->obj, r == -ETIMEDOUT ? ETIMEDOUT : 0, 0, ret);
    return r == -ETIMEDOUT ? SW_ETIMEDOUT : 0;
}

int sw_cond_wait(sw_cond_t *c, sw_mutex_t *m)
{
    return wait_on(c, m, NULL, "sw_cond_wait", RET);
}

int sw_cond_timedwait(sw_cond_t *c, sw_mutex_t *m, uint64_t timeout_ns)
{
    struct timespec deadline = futex_deadline(timeout_ns);
    return wait_on(c, m, &deadline, "sw_cond_timedwait", RET);
}

static int wake(sw_cond_t *c, int n, const char *op, const void *ret)
{
    int rc = check_object(&c->obj, SW_MAGIC_COND, op);
    if (rc)
        return rc;
    TRACE(SWL_COND_SIGNAL, c, n == 1 ? 0 : SWT_ACQ_BROADCAST, NULL, 0, 0, ret);
    __atomic_fetch_add(&c->seq, 1, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&c->waiters, __ATOMIC_SEQ_CST) != 0)
        futex_wake(&c->seq, n);
    return 0;
}

int sw_cond_signal(sw_cond_t *c)
{
    return wake(c, 1, "sw_cond_signal", RET);
}

int sw_cond_broadcast(sw_cond_t *c)
{
    return wake(c, INT_MAX, "sw_cond_broadcast", RET);
}
