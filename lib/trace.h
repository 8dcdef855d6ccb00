/* The library's side of the bridge to the syncwatch shim (lib/bridge.h):
 * when the program runs under LD_PRELOAD=libsyncwatch.so, every operation
 * on a named object is reported to the shim's recorder; otherwise
 * trace_entry stays NULL and each report point costs one load and a
 * not-taken branch. */
#ifndef SW_LIB_TRACE_H
#define SW_LIB_TRACE_H

#include <errno.h>
#include <stdint.h>

#include "common/trace_format.h"
#include "lib/bridge.h"
#include "syncwatch/sync.h"

extern swl_entry_fn trace_entry;

#define RET __builtin_return_address(0)

static inline int trace_on(void)
{
    return __builtin_expect(trace_entry != NULL, 0);
}

/* Reports op on obj (registering obj first if the shim has not seen it),
 * with `other` another object (the condvar's mutex) or NULL. */
void trace_op(unsigned op, struct sw_object *obj, unsigned flags, const struct sw_object *other,
              int err, int64_t value, const void *ret) __attribute__((noinline));
/* Registers obj now (sw_*_init), its site the init call. */
void trace_new(struct sw_object *obj, const void *ret) __attribute__((noinline));

#define TRACE(op, obj, flags, other, err, value, ret)                                   \
    do {                                                                               \
        if (trace_on())                                                                \
            trace_op((op), (struct sw_object *)(obj), (flags), (other), (err), (value), \
                     (ret));                                                           \
    } while (0)

#define TRACE_NEW(obj, ret)                                     \
    do {                                                        \
        if (trace_on())                                         \
            trace_new((struct sw_object *)(obj), (ret));        \
    } while (0)

#endif
