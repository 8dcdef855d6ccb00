/* sw_sem: a futex counting semaphore, optionally bounded (max > 0), where a
 * post past the bound is an OVER_RELEASE violation instead of a silent
 * extra permit.  Posts release and successful waits acquire, for TSan. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

static int init(sw_sem_t *s, const char *name, unsigned value, unsigned max)
{
    if (!s || value > INT32_MAX || max > INT32_MAX || (max && value > max))
        return SW_EINVAL;
    *s = (sw_sem_t)SW_BOUNDED_SEM_INITIALIZER(name, value, max);
    return 0;
}

int sw_sem_init_bounded(sw_sem_t *s, const char *name, unsigned value, unsigned max)
{
    int rc = init(s, name, value, max);
    if (rc == 0)
        TRACE_NEW(s, RET);
    return rc;
}

int sw_sem_init(sw_sem_t *s, const char *name, unsigned value)
{
    int rc = init(s, name, value, 0);
    if (rc == 0)
        TRACE_NEW(s, RET);
    return rc;
}

int sw_sem_destroy(sw_sem_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST) != 0)
        return check_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sw_sem_destroy", s, &s->obj, NULL);
    TRACE(SWL_DESTROY, s, 0, NULL, 0, 0, RET);
    s->obj.magic = SW_MAGIC_DEAD;
    return 0;
}

int sw_sem_post(sw_sem_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_post");
    if (rc)
        return rc;
    uint32_t max = s->max ? s->max : INT32_MAX;
    uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
    tsan_release(s);
    do {
        if (v >= max) {
            if (s->max)
                return check_violation(SW_V_OVER_RELEASE, SW_EOVERFLOW, "sw_sem_post", s,
                                       &s->obj, NULL);
            return SW_EOVERFLOW;
        }
    } while (!__atomic_compare_exchange_n(&s->value, &v, v + 1, 1, __ATOMIC_SEQ_CST,
                                          __ATOMIC_RELAXED));
    TRACE(SWL_SEM_POST, s, 0, NULL, 0, (int64_t)v + 1, RET);
    if (__atomic_load_n(&s->waiters, __ATOMIC_SEQ_CST) != 0)
        futex_wake(&s->value, 1);
    return 0;
}

static inline int try_take(sw_sem_t *s)
{
    uint32_t v = __atomic_load_n(&s->value, __ATOMIC_RELAXED);
    while (v > 0)
        if (__atomic_compare_exchange_n(&s->value, &v, v - 1, 1, __ATOMIC_SEQ_CST,
                                        __ATOMIC_RELAXED)) {
            tsan_acquire(s);
            return 1;
        }
    return 0;
}

/* The sleeper raises the waiter count before sleeping on value == 0; the
 * poster raises value before reading the count (both seq_cst). */
static int wait_until(sw_sem_t *s, const struct timespec *deadline)
{
    while (!try_take(s)) {
        __atomic_fetch_add(&s->waiters, 1, __ATOMIC_SEQ_CST);
        int r = futex_wait(&s->value, 0, deadline);
        __atomic_fetch_sub(&s->waiters, 1, __ATOMIC_SEQ_CST);
        if (r == -ETIMEDOUT)
            return try_take(s) ? 0 : SW_ETIMEDOUT;
    }
    return 0;
}

int sw_sem_wait(sw_sem_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_wait");
    if (rc)
        return rc;
    if (try_take(s)) {
        TRACE(SWL_ACQUIRED, s, 0, NULL, 0, 0, RET);
        return 0;
    }
    TRACE(SWL_WAIT, s, 0, NULL, 0, 0, RET);
    wait_until(s, NULL);
    TRACE(SWL_ACQUIRED, s, 0, NULL, 0, 0, RET);
    return 0;
}

int sw_sem_trywait(sw_sem_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_trywait");
    if (rc)
        return rc;
    if (!try_take(s)) {
        TRACE(SWL_FAILED, s, SWT_ACQ_TRY, NULL, EAGAIN, 0, RET);
        return SW_EAGAIN;
    }
    TRACE(SWL_ACQUIRED, s, SWT_ACQ_TRY, NULL, 0, 0, RET);
    return 0;
}

int sw_sem_timedwait(sw_sem_t *s, uint64_t timeout_ns)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_timedwait");
    if (rc)
        return rc;
    if (try_take(s)) {
        TRACE(SWL_ACQUIRED, s, SWT_ACQ_TIMED, NULL, 0, 0, RET);
        return 0;
    }
    struct timespec deadline = futex_deadline(timeout_ns);
    TRACE(SWL_WAIT, s, SWT_ACQ_TIMED, NULL, 0, 0, RET);
    rc = wait_until(s, &deadline);
    if (rc == 0)
        TRACE(SWL_ACQUIRED, s, SWT_ACQ_TIMED, NULL, 0, 0, RET);
    else
        TRACE(SWL_FAILED, s, SWT_ACQ_TIMED, NULL, ETIMEDOUT, 0, RET);
    return rc;
}

int sw_sem_value(const sw_sem_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SEM, "sw_sem_value");
    if (rc)
        return rc;
    return (int)__atomic_load_n(&s->value, __ATOMIC_RELAXED);
}
