/* sw_barrier: a phase-counting barrier.  The last thread of a phase resets
 * the arrival count and bumps the phase word the others sleep on; each
 * thread releases on arrival and acquires on leaving, so everything before
 * the barrier happens before everything after it, for TSan too. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/trace.h"
#include "lib/tsan.h"

int sw_barrier_init(sw_barrier_t *b, const char *name, unsigned count)
{
    if (!b || count == 0 || count > INT32_MAX)
        return SW_EINVAL;
    *b = (sw_barrier_t){ .obj = SW_OBJECT_INIT(SW_MAGIC_BARRIER, name, 0, NULL), .count = count };
    TRACE_NEW(b, RET);
    return 0;
}

int sw_barrier_destroy(sw_barrier_t *b)
{
    int rc = check_object(&b->obj, SW_MAGIC_BARRIER, "sw_barrier_destroy");
    if (rc)
        return rc;
    if (__atomic_load_n(&b->arrived, __ATOMIC_SEQ_CST) != 0)
        return check_violation(SW_V_DESTROY_WAITED, SW_EBUSY, "sw_barrier_destroy", b, &b->obj,
                               NULL);
    TRACE(SWL_DESTROY, b, 0, NULL, 0, 0, RET);
    b->obj.magic = SW_MAGIC_DEAD;
    return 0;
}

int sw_barrier_wait(sw_barrier_t *b)
{
    int rc = check_object(&b->obj, SW_MAGIC_BARRIER, "sw_barrier_wait");
    if (rc)
        return rc;
    tsan_release(b);
    TRACE(SWL_BARRIER_WAIT, b, 0, NULL, 0, 0, RET);
    uint32_t phase = __atomic_load_n(&b->phase, __ATOMIC_SEQ_CST);
    if (__atomic_add_fetch(&b->arrived, 1, __ATOMIC_SEQ_CST) == b->count) {
        __atomic_store_n(&b->arrived, 0, __ATOMIC_SEQ_CST);
        __atomic_fetch_add(&b->phase, 1, __ATOMIC_SEQ_CST);
        futex_wake(&b->phase, INT_MAX);
        tsan_acquire(b);
        TRACE(SWL_BARRIER_DONE, b, 0, NULL, -1, 0, RET);
        return SW_BARRIER_SERIAL;
    }
    while (__atomic_load_n(&b->phase, __ATOMIC_SEQ_CST) == phase)
        futex_wait(&b->phase, phase, NULL);
    tsan_acquire(b);
    TRACE(SWL_BARRIER_DONE, b, 0, NULL, 0, 0, RET);
    return 0;
}
