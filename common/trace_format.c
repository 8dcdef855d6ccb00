/* The record schema of trace format v1: field names per record type.  The
 * reader decodes by it, `syncwatch-report dump` prints by it, and swgen
 * writes by it, so a field added here is added everywhere. */
#include "common/trace_format.h"

#define F(...) {__VA_ARGS__}

const struct swt_schema swt_schema_core[SWT_REC_CORE_LAST + 1] = {
    [SWT_REC_ACQUIRE] = {"acquire", 3, 0, F("lock", "flags", "site")},
    [SWT_REC_WAIT] = {"wait", 3, 0, F("lock", "flags", "site")},
    [SWT_REC_FAIL] = {"fail", 4, 0, F("lock", "flags", "site", "error")},
    [SWT_REC_RELEASE] = {"release", 3, 0, F("lock", "flags", "site")},
    [SWT_REC_COND_WAIT] = {"cond_wait", 3, 0, F("cond", "mutex", "site")},
    [SWT_REC_COND_WAKE] = {"cond_wake", 3, 0, F("cond", "mutex", "error")},
    [SWT_REC_COND_SIGNAL] = {"cond_signal", 3, 0, F("cond", "flags", "site")},
    [SWT_REC_SEM_POST] = {"sem_post", 3, 0, F("sem", "site", "value")},
    [SWT_REC_BARRIER_WAIT] = {"barrier_wait", 2, 0, F("barrier", "site")},
    [SWT_REC_BARRIER_DONE] = {"barrier_done", 2, 0, F("barrier", "error")},
    [SWT_REC_DESTROY] = {"destroy", 3, 0, F("lock", "site", "error")},
};

const struct swt_schema swt_schema_ext[SWT_REC_EXT_LAST - SWT_EXT_BASE + 1] = {
    [SWT_REC_LOCK_NEW - SWT_EXT_BASE] = {"lock_new", 11, 1,
                                         F("lock", "kind", "type", "flags", "addr", "generation",
                                           "site", "dev", "ino", "offset", "value")},
    [SWT_REC_THREAD_START - SWT_EXT_BASE] = {"thread_start", 4, 0,
                                             F("thread", "parent", "create_site", "pthread")},
    [SWT_REC_THREAD_CREATE - SWT_EXT_BASE] = {"thread_create", 3, 0, F("child", "site", "error")},
    [SWT_REC_THREAD_EXIT - SWT_EXT_BASE] = {"thread_exit", 2, 1, F("how", "nheld")},
    [SWT_REC_THREAD_JOIN - SWT_EXT_BASE] = {"thread_join", 3, 0, F("thread", "site", "error")},
    [SWT_REC_THREAD_DETACH - SWT_EXT_BASE] = {"thread_detach", 1, 0, F("thread")},
    [SWT_REC_THREAD_NAME - SWT_EXT_BASE] = {"thread_name", 1, 1, F("thread")},
    [SWT_REC_STACK - SWT_EXT_BASE] = {"stack", 2, 1, F("stack", "nframes")},
    [SWT_REC_MODULE - SWT_EXT_BASE] = {"module", 4, 1, F("start", "end", "offset", "build_id_len")},
    [SWT_REC_FORK - SWT_EXT_BASE] = {"fork", 4, 1, F("role", "pid", "error", "thread")},
    [SWT_REC_PROC_EXIT - SWT_EXT_BASE] = {"proc_exit", 2, 0, F("how", "status")},
    [SWT_REC_DLOPEN - SWT_EXT_BASE] = {"dlopen", 2, 1, F("flags", "ok")},
    [SWT_REC_EDGE - SWT_EXT_BASE] = {"edge", 5, 1, F("from", "to", "flags", "from_site", "to_site")},
    [SWT_REC_DROPPED - SWT_EXT_BASE] = {"dropped", 1, 0, F("count")},
    [SWT_REC_NOTE - SWT_EXT_BASE] = {"note", 1, 1, F("code")},
    [SWT_REC_JOIN_BEGIN - SWT_EXT_BASE] = {"join_begin", 2, 0, F("thread", "site")},
    [SWT_REC_COND_DESTROY_BEGIN - SWT_EXT_BASE] = {"cond_destroy_begin", 2, 0,
                                                   F("cond", "site")},
    [SWT_REC_EXEC - SWT_EXT_BASE] = {"exec", 2, 1, F("error", "generation")},
};

const struct swt_schema *swt_schema_of(unsigned type)
{
    if (type >= 1 && type <= SWT_REC_CORE_LAST)
        return &swt_schema_core[type];
    /* Unassigned types inside the range have no name: unknown too. */
    if (type >= SWT_EXT_BASE && type <= SWT_REC_EXT_LAST && swt_schema_ext[type - SWT_EXT_BASE].name)
        return &swt_schema_ext[type - SWT_EXT_BASE];
    return NULL;
}

const char *swt_type_name(unsigned type)
{
    const struct swt_schema *s = swt_schema_of(type);
    return s ? s->name : "unknown";
}

const char *swt_kind_name(unsigned kind)
{
    static const char *const names[] = {
        [SWT_KIND_MUTEX] = "mutex",     [SWT_KIND_RWLOCK] = "rwlock",
        [SWT_KIND_SPIN] = "spinlock",   [SWT_KIND_COND] = "condvar",
        [SWT_KIND_BARRIER] = "barrier", [SWT_KIND_SEM] = "semaphore",
        [SWT_KIND_SEM_NAMED] = "named semaphore", [SWT_KIND_C11_MTX] = "mtx_t",
        [SWT_KIND_C11_CND] = "cnd_t",
    };
    if (kind < sizeof names / sizeof names[0] && names[kind])
        return names[kind];
    return "unknown";
}
