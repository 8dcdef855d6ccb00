/* Reporting to the syncwatch shim (lib/trace.h): the entry point is looked
 * up once when the library is loaded (the shim, preloaded, is there first);
 * each object gets its recorder id on first report and keeps it in
 * obj->trace_id (bit 32 set once known, 1 while being registered). */
#include "lib/trace.h"

#include <dlfcn.h>
#include <sched.h>

#include "lib/check.h"

swl_entry_fn trace_entry;

__attribute__((constructor)) static void trace_find_shim(void)
{
    trace_entry = (swl_entry_fn)dlsym(RTLD_DEFAULT, SWL_ENTRY);
}

#define KNOWN (1ull << 32)
#define REGISTERING 1ull

static void describe(const struct sw_object *o, struct swl_event *e)
{
    switch (o->magic) {
    case SW_MAGIC_MUTEX:
        e->kind = SWT_KIND_MUTEX;
        e->type = (o->flags & SW_MUTEX_RECURSIVE) ? SWT_TYPE_RECURSIVE : SWT_TYPE_ERRORCHECK;
        break;
    case SW_MAGIC_RWLOCK:
        e->kind = SWT_KIND_RWLOCK;
        e->type = SWT_TYPE_RW_PREFER_READER;
        break;
    case SW_MAGIC_SPIN: e->kind = SWT_KIND_SPIN; break;
    case SW_MAGIC_COND: e->kind = SWT_KIND_COND; break;
    case SW_MAGIC_BARRIER:
        e->kind = SWT_KIND_BARRIER;
        e->value = ((const sw_barrier_t *)(const void *)o)->count;
        break;
    case SW_MAGIC_SEM:
        e->kind = SWT_KIND_SEM;
        e->value = __atomic_load_n(&((const sw_sem_t *)(const void *)o)->value, __ATOMIC_RELAXED);
        break;
    case SW_MAGIC_EVENT: /* recorded as a semaphore that set posts */
        e->kind = SWT_KIND_SEM;
        e->value = 0;
        break;
    default: break;
    }
}

static uint32_t register_now(struct sw_object *o, const void *ret)
{
    struct swl_event e = { .size = sizeof e, .op = SWL_NEW, .obj = o, .name = o->name,
                           .ret = ret };
    describe(o, &e);
    return trace_entry(&e);
}

/* The object's recorder id, 0 when the shim does not record it. */
static uint32_t id_of(struct sw_object *o, const void *ret)
{
    uint64_t v = __atomic_load_n(&o->trace_id, __ATOMIC_ACQUIRE);
    while (!(v & KNOWN)) {
        if (v == 0 && __atomic_compare_exchange_n(&o->trace_id, &v, REGISTERING, 0,
                                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            uint32_t id = register_now(o, ret);
            __atomic_store_n(&o->trace_id, id ? (KNOWN | id) : 0, __ATOMIC_RELEASE);
            return id;
        }
        if (v == REGISTERING) {
            sched_yield();
            v = __atomic_load_n(&o->trace_id, __ATOMIC_ACQUIRE);
        }
    }
    return (uint32_t)v;
}

void trace_new(struct sw_object *o, const void *ret)
{
    uint32_t id = register_now(o, ret);
    __atomic_store_n(&o->trace_id, id ? (KNOWN | id) : 0, __ATOMIC_RELEASE);
}

void trace_op(unsigned op, struct sw_object *o, unsigned flags, const struct sw_object *other,
              int err, int64_t value, const void *ret)
{
    uint32_t id = id_of(o, ret);
    if (!id)
        return;
    struct swl_event e = { .size = sizeof e, .op = op, .id = id, .flags = flags, .err = err,
                           .value = value, .ret = ret };
    if (other)
        e.other = id_of((struct sw_object *)other, ret);
    trace_entry(&e);
}
