/* sw_once: the first caller runs the function; the others sleep until it
 * has returned and then see everything it wrote. */
#include <limits.h>

#include "lib/check.h"
#include "lib/futex.h"
#include "lib/tsan.h"

enum { NOT_RUN, RUNNING, RUNNING_WAITED, DONE };

int sw_once(sw_once_t *o, void (*fn)(void))
{
    if (!o || !fn)
        return SW_EINVAL;
    uint32_t s = __atomic_load_n(&o->state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(s == DONE, 1)) {
        tsan_acquire(o);
        return 0;
    }
    s = NOT_RUN;
    if (__atomic_compare_exchange_n(&o->state, &s, RUNNING, 0, __ATOMIC_ACQUIRE,
                                    __ATOMIC_ACQUIRE)) {
        fn();
        tsan_release(o);
        if (__atomic_exchange_n(&o->state, DONE, __ATOMIC_RELEASE) == RUNNING_WAITED)
            futex_wake(&o->state, INT_MAX);
        return 0;
    }
    while (s != DONE) {
        if (s == RUNNING &&
            !__atomic_compare_exchange_n(&o->state, &s, RUNNING_WAITED, 0, __ATOMIC_ACQUIRE,
                                         __ATOMIC_ACQUIRE))
            continue;
        futex_wait(&o->state, RUNNING_WAITED, NULL);
        s = __atomic_load_n(&o->state, __ATOMIC_ACQUIRE);
    }
    tsan_acquire(o);
    return 0;
}
