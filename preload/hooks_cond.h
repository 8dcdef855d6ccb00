/* What the condvar hooks of hooks_cond.c (pthread_cond_*) and hooks_c11.c
 * (cnd_*) share: the cancellation handler that closes a wait when the
 * thread is cancelled inside it. */
#ifndef SYNCWATCH_PRELOAD_HOOKS_COND_H
#define SYNCWATCH_PRELOAD_HOOKS_COND_H

#include <stdint.h>

#include "preload/recorder.h"

/* One wait in progress, on the waiting thread's stack. */
struct hooks_cond_wait {
    struct rec_thread *t;
    uint32_t cond;
    uint32_t mutex;
    uint32_t site;
    unsigned flags; /* SWT_ACQ_* added to the re-acquisition (SWT_ACQ_C11, SWT_ACQ_TIMED) */
};

/* pthread_cleanup_push handler around the real wait.  A cancelled wait
 * re-acquires the mutex before the cleanup handlers run, so this records
 * COND_WAKE with ECANCELED and the re-acquisition flagged
 * SWT_ACQ_CANCELED, then leaves the recorder: the application's own
 * handlers run next and may unlock the mutex through the hooks. */
void hooks_cond_canceled(void *wait);

#endif
