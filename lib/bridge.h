/* The one entry point between libsyncwatch-sync and the syncwatch shim.
 * The shim (preload/lib_bridge.c) exports syncwatch_lib_event_v1; the
 * library looks it up at load time with dlsym(RTLD_DEFAULT) and, when it is
 * there, reports each operation on its named objects to it, which maps them
 * onto the recorder (the same trace as the pthread hooks, the objects named
 * by their declared names).  Without the shim the library records nothing.
 * The struct only grows at its end (size says how much the caller filled). */
#ifndef SW_LIB_BRIDGE_H
#define SW_LIB_BRIDGE_H

#include <stddef.h>
#include <stdint.h>

#define SWL_ENTRY "syncwatch_lib_event_v1"

enum swl_op {
    SWL_NEW = 1,      /* obj initialised: returns its lock id (0: not recorded) */
    SWL_DESTROY,      /* id destroyed */
    SWL_WAIT,         /* about to block acquiring id */
    SWL_ACQUIRED,     /* a hold of id begins (or deepens) */
    SWL_FAILED,       /* a try/timed acquisition of id failed with err (errno value) */
    SWL_RELEASED,     /* a hold of id ends */
    SWL_COND_WAIT,    /* condvar id, mutex other: the wait begins (mutex given up) */
    SWL_COND_WAKE,    /* condvar id, mutex other: the wait ended with err (mutex retaken) */
    SWL_COND_SIGNAL,  /* condvar id signalled (flags: broadcast) */
    SWL_SEM_POST,     /* semaphore id posted, value after the post */
    SWL_BARRIER_WAIT, /* barrier id: arrives */
    SWL_BARRIER_DONE, /* barrier id: leaves (err -1 for the serial thread) */
};

struct swl_event {
    uint32_t size; /* sizeof(struct swl_event) of the caller */
    uint32_t op;   /* enum swl_op */
    uint32_t id, other;
    uint32_t kind, type, flags; /* SWT_KIND_*, SWT_TYPE_*, SWT_ACQ_* (SWT_LOCK_* for NEW) */
    int32_t err;
    int64_t value;
    const void *obj;  /* NEW: the object's address */
    const char *name; /* NEW: its declared name */
    const void *ret;  /* the return address into the program (the call site) */
};

typedef uint32_t (*swl_entry_fn)(const struct swl_event *e);

#endif
