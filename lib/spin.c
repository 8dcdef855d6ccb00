/* sw_spin: a test-and-test-and-set spinlock on C11 atomics; it never
 * sleeps in the kernel (after a while of spinning it yields the CPU, which
 * matters when threads outnumber cores). */
#include <sched.h>
#include <stdatomic.h>

#include "lib/check.h"
#include "lib/trace.h"
#include "lib/tsan.h"

#define SPINS_BEFORE_YIELD 128

static inline _Atomic uint32_t *word(sw_spin_t *s)
{
    return (_Atomic uint32_t *)&s->locked;
}

int sw_spin_init(sw_spin_t *s, const char *name, unsigned flags)
{
    if (!s || flags)
        return SW_EINVAL;
    *s = (sw_spin_t)SW_SPIN_INITIALIZER(name);
    tsan_mutex_create(s, 0);
    TRACE_NEW(s, RET);
    return 0;
}

int sw_spin_set_class(sw_spin_t *s, const sw_lock_class_t *cls)
{
    int rc = check_object(&s->obj, SW_MAGIC_SPIN, "sw_spin_set_class");
    if (rc)
        return rc;
    s->obj.cls = cls;
    return 0;
}

int sw_spin_destroy(sw_spin_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SPIN, "sw_spin_destroy");
    if (rc)
        return rc;
    if (atomic_load_explicit(word(s), memory_order_relaxed) != 0)
        return check_violation(SW_V_DESTROY_HELD, SW_EBUSY, "sw_spin_destroy", s, &s->obj, NULL);
    TRACE(SWL_DESTROY, s, 0, NULL, 0, 0, RET);
    s->obj.magic = SW_MAGIC_DEAD;
    tsan_mutex_destroy(s, 0);
    return 0;
}

static inline uintptr_t owner_of(const sw_spin_t *s)
{
    return __atomic_load_n(&s->owner, __ATOMIC_RELAXED);
}

static void spin_slow(sw_spin_t *s)
{
    unsigned spins = 0;
    do {
        while (atomic_load_explicit(word(s), memory_order_relaxed) != 0) {
            if (++spins < SPINS_BEFORE_YIELD) {
                __builtin_ia32_pause();
            } else {
                spins = 0;
                sched_yield();
            }
        }
    } while (atomic_exchange_explicit(word(s), 1, memory_order_acquire) != 0);
}

int sw_spin_lock(sw_spin_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SPIN, "sw_spin_lock");
    if (rc)
        return rc;
    uintptr_t self = held_self();
    if (__builtin_expect(owner_of(s) == self, 0))
        return check_violation(SW_V_RELOCK, SW_EDEADLK, "sw_spin_lock", s, &s->obj, NULL);
    check_order(&s->obj, "sw_spin_lock");
    tsan_pre_lock(s, 0);
    if (__builtin_expect(atomic_exchange_explicit(word(s), 1, memory_order_acquire) != 0, 0)) {
        TRACE(SWL_WAIT, s, 0, NULL, 0, 0, RET);
        spin_slow(s);
    }
    tsan_post_lock(s, 0, 0);
    __atomic_store_n(&s->owner, self, __ATOMIC_RELAXED);
    held_push(&s->obj, 0);
    TRACE(SWL_ACQUIRED, s, 0, NULL, 0, 0, RET);
    return 0;
}

int sw_spin_trylock(sw_spin_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SPIN, "sw_spin_trylock");
    if (rc)
        return rc;
    tsan_pre_lock(s, TSAN_TRY);
    if (atomic_load_explicit(word(s), memory_order_relaxed) != 0 ||
        atomic_exchange_explicit(word(s), 1, memory_order_acquire) != 0) {
        tsan_post_lock(s, TSAN_TRY | TSAN_TRY_FAILED, 0);
        TRACE(SWL_FAILED, s, SWT_ACQ_TRY, NULL, EBUSY, 0, RET);
        return SW_EBUSY;
    }
    tsan_post_lock(s, TSAN_TRY, 0);
    __atomic_store_n(&s->owner, held_self(), __ATOMIC_RELAXED);
    held_push(&s->obj, 0);
    TRACE(SWL_ACQUIRED, s, SWT_ACQ_TRY, NULL, 0, 0, RET);
    return 0;
}

int sw_spin_unlock(sw_spin_t *s)
{
    int rc = check_object(&s->obj, SW_MAGIC_SPIN, "sw_spin_unlock");
    if (rc)
        return rc;
    uintptr_t owner = owner_of(s);
    if (__builtin_expect(owner != held_self(), 0))
        return check_violation(owner ? SW_V_UNLOCK_NOT_OWNER : SW_V_UNLOCK_NOT_LOCKED, SW_EPERM,
                               "sw_spin_unlock", s, &s->obj, NULL);
    TRACE(SWL_RELEASED, s, 0, NULL, 0, 0, RET);
    held_pop(&s->obj);
    tsan_pre_unlock(s, 0);
    __atomic_store_n(&s->owner, 0, __ATOMIC_RELAXED);
    atomic_store_explicit(word(s), 0, memory_order_release);
    tsan_post_unlock(s, 0);
    return 0;
}
