/* Names of the fields of each record type, as the analyzer reads them:
 * r->f[RF_LOCKOP_FLAGS] instead of r->f[1].  The order is the schema's
 * (common/trace_format.c, docs/trace-format.md); unit.rec_fields checks
 * every name here against the schema's field names, so the two cannot
 * drift.  A record type that adds a field adds its name here too. */
#ifndef SYNCWATCH_ANALYZER_REC_FIELDS_H
#define SYNCWATCH_ANALYZER_REC_FIELDS_H

/* ACQUIRE, WAIT, RELEASE (and FAIL, which adds the error). */
enum {
    RF_LOCKOP_LOCK = 0,
    RF_LOCKOP_FLAGS = 1, /* enum swt_acq_flag */
    RF_LOCKOP_SITE = 2,
    RF_FAIL_ERROR = 3, /* errno of the failed call */
};

enum {
    RF_COND_WAIT_COND = 0,
    RF_COND_WAIT_MUTEX = 1,
    RF_COND_WAIT_SITE = 2,
};

enum {
    RF_COND_WAKE_COND = 0,
    RF_COND_WAKE_MUTEX = 1,
    RF_COND_WAKE_ERROR = 2,
};

enum {
    RF_COND_SIGNAL_COND = 0,
    RF_COND_SIGNAL_FLAGS = 1,
    RF_COND_SIGNAL_SITE = 2,
};

enum {
    RF_SEM_POST_SEM = 0,
    RF_SEM_POST_SITE = 1,
    RF_SEM_POST_VALUE = 2, /* the value after the post + 1 (0 = unknown) */
};

enum {
    RF_BARRIER_WAIT_BARRIER = 0,
    RF_BARRIER_WAIT_SITE = 1,
};

enum {
    RF_BARRIER_DONE_BARRIER = 0,
    RF_BARRIER_DONE_ERROR = 1,
};

enum {
    RF_DESTROY_LOCK = 0,
    RF_DESTROY_SITE = 1,
    RF_DESTROY_ERROR = 2,
};

enum {
    RF_LOCK_NEW_LOCK = 0,
    RF_LOCK_NEW_KIND = 1,  /* enum swt_lock_kind */
    RF_LOCK_NEW_TYPE = 2,  /* enum swt_lock_type */
    RF_LOCK_NEW_FLAGS = 3, /* enum swt_lock_flag */
    RF_LOCK_NEW_ADDR = 4,
    RF_LOCK_NEW_GENERATION = 5,
    RF_LOCK_NEW_SITE = 6,
    RF_LOCK_NEW_DEV = 7,
    RF_LOCK_NEW_INO = 8,
    RF_LOCK_NEW_OFFSET = 9,
    RF_LOCK_NEW_VALUE = 10,
};

enum {
    RF_THREAD_START_THREAD = 0,
    RF_THREAD_START_PARENT = 1,
    RF_THREAD_START_CREATE_SITE = 2,
    RF_THREAD_START_PTHREAD = 3,
};

enum {
    RF_THREAD_CREATE_CHILD = 0,
    RF_THREAD_CREATE_SITE = 1,
    RF_THREAD_CREATE_ERROR = 2,
};

enum {
    RF_THREAD_EXIT_HOW = 0, /* enum swt_thread_state */
    RF_THREAD_EXIT_NHELD = 1,
};

enum {
    RF_THREAD_JOIN_THREAD = 0,
    RF_THREAD_JOIN_SITE = 1,
    RF_THREAD_JOIN_ERROR = 2,
};

enum {
    RF_THREAD_NAME_THREAD = 0,
};

enum {
    RF_STACK_STACK = 0,
    RF_STACK_NFRAMES = 1,
};

enum {
    RF_MODULE_START = 0,
    RF_MODULE_END = 1,
    RF_MODULE_OFFSET = 2,
    RF_MODULE_BUILD_ID_LEN = 3,
};

enum {
    RF_FORK_ROLE = 0, /* 0 parent, 1 child */
    RF_FORK_PID = 1,  /* the other side's pid */
    RF_FORK_ERROR = 2,
    RF_FORK_THREAD = 3,
};

enum {
    RF_PROC_EXIT_HOW = 0, /* enum swt_exit_how */
    RF_PROC_EXIT_STATUS = 1,
};

enum {
    RF_EDGE_FROM = 0,
    RF_EDGE_TO = 1,
    RF_EDGE_FLAGS = 2, /* SWT_EDGE_FLAGS(from hold, to acquisition) */
    RF_EDGE_FROM_SITE = 3,
    RF_EDGE_TO_SITE = 4,
};

enum {
    RF_DROPPED_COUNT = 0,
};

enum {
    RF_NOTE_CODE = 0, /* enum swt_note; the blob is the text */
};

enum {
    RF_JOIN_BEGIN_THREAD = 0, /* the thread to join, 0 unknown */
    RF_JOIN_BEGIN_SITE = 1,
};

enum {
    RF_COND_DESTROY_BEGIN_COND = 0,
    RF_COND_DESTROY_BEGIN_SITE = 1,
};

#endif
