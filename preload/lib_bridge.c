/* The shim side of libsyncwatch-sync's bridge (lib/bridge.h): the library
 * finds this exported function with dlsym and reports its named objects'
 * operations to it; each maps onto the recorder calls a pthread hook would
 * make, so the library's locks land in the same trace, named by their
 * declared names (the LOCK_NEW blob, docs/trace-format.md). */
#include <errno.h>

#include "common/trace_format.h"
#include "lib/bridge.h"
#include "preload/recorder.h"

__attribute__((visibility("default"))) uint32_t syncwatch_lib_event_v1(const struct swl_event *e)
{
    if (!e || e->size < sizeof *e)
        return 0;
    struct rec_thread *t = rec_enter();
    if (!t)
        return 0;
    int saved = errno;
    uint32_t ret = 0;
    switch (e->op) {
    case SWL_NEW: {
        struct rec_lock_attr a = {
            .kind = e->kind, .type = e->type, .flags = e->flags,
            .value = (uint64_t)e->value, .name = e->name,
        };
        ret = rec_lock_init(t, e->obj, &a, rec_site(t, e->ret));
        break;
    }
    case SWL_DESTROY:
        rec_lock_destroy(t, e->id, rec_site(t, e->ret), e->err);
        break;
    case SWL_WAIT:
        rec_wait(t, e->id, e->flags, rec_site(t, e->ret));
        break;
    case SWL_ACQUIRED:
        rec_acquired(t, e->id, e->flags, rec_site(t, e->ret));
        break;
    case SWL_FAILED:
        rec_failed(t, e->id, e->flags, rec_site(t, e->ret), e->err);
        break;
    case SWL_RELEASED:
        rec_released(t, e->id, e->flags, rec_release_site(t, e->ret));
        break;
    case SWL_COND_WAIT:
        rec_released(t, e->other, SWT_ACQ_COND, rec_release_site(t, e->ret));
        rec_cond_wait(t, e->id, e->other, rec_site(t, e->ret), e->flags);
        break;
    case SWL_COND_WAKE:
        rec_cond_wake(t, e->id, e->other, e->err);
        rec_acquired(t, e->other, SWT_ACQ_COND, rec_site(t, e->ret));
        break;
    case SWL_COND_SIGNAL:
        rec_cond_signal(t, e->id, e->flags, rec_site(t, e->ret));
        break;
    case SWL_SEM_POST:
        rec_sem_post(t, e->id, rec_site(t, e->ret), (long)e->value);
        break;
    case SWL_BARRIER_WAIT:
        rec_barrier_wait(t, e->id, rec_site(t, e->ret));
        break;
    case SWL_BARRIER_DONE:
        rec_barrier_done(t, e->id, e->err);
        break;
    default:
        break;
    }
    rec_leave(t);
    errno = saved;
    return ret;
}
