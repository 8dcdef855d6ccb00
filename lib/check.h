/* The checks every primitive makes at the moment of misuse: the object's
 * magic word (init/destroy), the calling thread's identity and its stack of
 * held locks (fixed size, thread-local, no allocation), the declared lock
 * order, and the violation report.  The fast path is inline: a compare of
 * the magic word, a compare of the owner, a push or a pop. */
#ifndef SW_LIB_CHECK_H
#define SW_LIB_CHECK_H

#include <stdint.h>

#include "syncwatch/sync.h"

/* Locks a thread can hold and still have their order checked and their
 * names listed; beyond that they are counted, not checked. */
#define HELD_MAX 32

struct held_stack {
    unsigned n; /* how many held, which may exceed HELD_MAX */
    sw_held_lock_t lock[HELD_MAX];
};

/* initial-exec: the library is linked by the program (not dlopened late),
 * so its few hundred bytes of TLS come from the static block, one
 * %fs-relative access with no call. */
extern __thread struct held_stack held_tls __attribute__((tls_model("initial-exec")));

/* The calling thread's identity: the address of its held stack. */
static inline uintptr_t held_self(void)
{
    return (uintptr_t)&held_tls;
}

static inline void held_push(const struct sw_object *o, int shared)
{
    struct held_stack *h = &held_tls;
    if (__builtin_expect(h->n < HELD_MAX, 1)) {
        h->lock[h->n].obj = o;
        h->lock[h->n].shared = shared;
    }
    h->n++;
}

/* Index of o in the calling thread's held stack (the newest hold), or -1. */
static inline int held_find(const struct sw_object *o)
{
    struct held_stack *h = &held_tls;
    unsigned n = h->n < HELD_MAX ? h->n : HELD_MAX;
    while (n-- > 0)
        if (h->lock[n].obj == o)
            return (int)n;
    return -1;
}

/* Removes the newest hold of o (usually the top).  A lock not found was
 * pushed past HELD_MAX: only the count goes down. */
static inline void held_pop(const struct sw_object *o)
{
    struct held_stack *h = &held_tls;
    unsigned top = h->n < HELD_MAX ? h->n : HELD_MAX;
    if (__builtin_expect(top > 0 && h->n <= HELD_MAX && h->lock[top - 1].obj == o, 1)) {
        h->n--;
        return;
    }
    int i = held_find(o);
    if (i >= 0) {
        for (unsigned j = (unsigned)i; j + 1 < top; j++)
            h->lock[j] = h->lock[j + 1];
        if (h->n > HELD_MAX)
            h->lock[HELD_MAX - 1].obj = NULL; /* an overflowed hold has no slot */
    }
    if (h->n > 0)
        h->n--;
}

/* True when the calling thread holds more locks than the stack records. */
static inline int held_overflowed(void)
{
    return held_tls.n > HELD_MAX;
}

/* Reports a violation through the handler and returns err. */
int check_violation(enum sw_violation_kind kind, int err, const char *op, const void *object,
                    const struct sw_object *obj, const struct sw_object *other)
    __attribute__((cold, noinline));

/* The magic word is not `magic`: UNINIT or DESTROYED; returns the error. */
int check_bad_object(const struct sw_object *obj, uint32_t magic, const char *op)
    __attribute__((cold, noinline));

static inline int check_object(const struct sw_object *obj, uint32_t magic, const char *op)
{
    if (__builtin_expect(obj == NULL, 0))
        return SW_EINVAL;
    if (__builtin_expect(obj->magic != magic, 0))
        return check_bad_object(obj, magic, op);
    return 0;
}

/* Checks the declared order of taking obj (which has a class) against the
 * locks held; reports ORDER on the first conflict.  Always returns 0: an
 * out-of-order acquisition still takes the lock. */
void check_order_slow(const struct sw_object *obj, const char *op);

static inline void check_order(const struct sw_object *obj, const char *op)
{
    if (__builtin_expect(obj->cls != NULL, 0) && held_tls.n > 0)
        check_order_slow(obj, op);
}

/* "mutex", "rwlock", ... from the magic word. */
const char *check_type_name(uint32_t magic);

#endif
