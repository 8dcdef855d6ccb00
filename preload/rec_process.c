/* Process life in the recorder: fork (the pthread_atfork handlers and the
 * FORK records: the child starts its own trace), the end of the process,
 * and dlopen (module map, RTLD_DEEPBIND warning). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "preload/clock.h"
#include "preload/lock_table.h"
#include "preload/log.h"
#include "preload/maps.h"
#include "preload/modules.h"
#include "preload/rec_internal.h"
#include "preload/stacks.h"
#include "preload/trace_file.h"
#include "preload/watchdog.h"

static uint32_t fork_thread_index;
/* When the process forked, as seen by the first parent handler: the
 * recorder's handler is registered before the program's, so it runs after
 * every program prepare handler and before every program parent handler
 * (which may unlock what the prepare handlers locked). */
static __thread uint64_t fork_ticks __attribute__((tls_model("initial-exec")));

/* Profile mode has no ACQUIRE records to tell which locks other threads
 * held at the fork (they stay locked forever in the child): the parent's
 * FORK record carries them, taken here, after the program's prepare
 * handlers. */
static uint8_t fork_held[4096];
static size_t fork_held_len;
static uint32_t fork_held_owner; /* thread index the snapshot belongs to */

static void atfork_prepare(void)
{
    struct rec_thread *t = rec_tls.thr;
    fork_held_len = 0;
    if (t && !rec_tracing() && __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) == REC_READY) {
        fork_held_len = rec_threads_held_snapshot(fork_held, sizeof fork_held, t);
        fork_held_owner = t->index;
    }
    if (t)
        rec_threads_fork_prepare(t);
    stacks_fork_prepare();
    fork_thread_index = t ? t->index : 0;
}

static void atfork_parent(void)
{
    fork_ticks = rec_now();
    stacks_fork_parent();
}

/* The child runs only the forking thread: it starts its own trace file
 * (the inherited mapping is the parent's), announces again the locks,
 * stacks and modules it refers to, and forgets every other thread. */
static void atfork_child(void)
{
    stacks_fork_child();
    if (__atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    int parent = rec_g.pid;
    tf_forget();
    lt_new_epoch();
    rec_sites_fork_child();
    maps_fork_child();
    modules_forget_reported();
    rec_g.descendant = 1;
    rec_g.fork_parent_gen = rec_g.exec_gen; /* the parent's image that forked */
    rec_g.exec_gen = 0;                     /* a new process: its first image */
    rec_g.next_thread = 2;
    if (rec_open_trace(parent, fork_thread_index) != 0) {
        rec_g.hdr = NULL;
        __atomic_store_n(&rec_g.state, REC_OFF, __ATOMIC_RELEASE);
        rec_tls.thr = NULL;
        rec_tls.flags = REC_TLS_OFF;
        return;
    }
    struct rec_thread *self = rec_tls.thr;
    if (self)
        rec_threads_after_fork_child(self);
    /* The parent's watchdog thread does not exist here. */
    wd_start();
}

void rec_fork_done(struct rec_thread *t, int role, int other_pid, int err)
{
    if (!t)
        return;
    if (role == 1)
        rec_threads_write_modules(t);
    uint64_t f[4] = {(uint64_t)role, (uint64_t)(uint32_t)other_pid, (uint64_t)err,
                     role == 1 ? rec_g.hdr->fork_parent_thread : t->index};
    /* The fork hook keeps the thread inside the shim across the real fork,
     * so no record of this thread comes between fork_ticks and this one. */
    uint64_t when = role == 0 && fork_ticks ? fork_ticks : rec_now();
    fork_ticks = 0;
    /* Blob (profile mode, parent): (thread, lock) varint pairs of the locks
     * other threads held at the fork. */
    size_t blob_len = role == 0 && fork_held_owner == t->index ? fork_held_len : 0;
    rec_write_ext(t, SWT_REC_FORK, when, f, 4, fork_held, blob_len);
    fork_held_len = 0;
}

/* ---- process end ---- */

void rec_proc_exit(struct rec_thread *t, unsigned how, int status)
{
    struct swt_file_header *h = rec_g.hdr;
    if (!h || __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    /* A vfork child shares our memory and runs no atfork handler: its
     * _exit must not end the parent's trace. */
    if (getpid() != rec_g.pid)
        return;
    if (t)
        rec_threads_write_modules(t); /* libraries loaded since the last stack */
    uint64_t now = rec_now();
    if (t) {
        uint64_t f[2] = {how, (uint64_t)(uint32_t)status};
        rec_write_ext(t, SWT_REC_PROC_EXIT, now, f, 2, NULL, 0);
    }
    h->tick_ns_q32 = clock_recalibrate();
    h->exit_status = status;
    h->end_ticks = now;
    h->locks_registered = lt_ids_used();
    __atomic_store_n(&h->state, how == SWT_EXIT_SIGNAL ? SWT_PROC_SIGNALED : SWT_PROC_EXITED,
                     __ATOMIC_RELEASE);
}

void rec_dlopen(struct rec_thread *t, const char *path, int flags, int ok)
{
    if (!t)
        return;
    /* ok: 0 failed, 1 loaded, 2 not known (the record is written before
     * the real call, which the hook makes as a tail call). */
    uint64_t f[2] = {(uint64_t)(uint32_t)flags, (uint64_t)(ok < 0 ? 0 : ok)};
    rec_write_ext(t, SWT_REC_DLOPEN, rec_now(), f, 2, path, path ? strlen(path) : 0);
#ifdef RTLD_DEEPBIND
    if (flags & RTLD_DEEPBIND) {
        rec_note(t, SWT_NOTE_DEEPBIND, path);
        if (!__atomic_exchange_n(&rec_g.deepbind_warned, 1, __ATOMIC_RELAXED))
            log_msg("syncwatch: %s was opened with RTLD_DEEPBIND: its locks bypass the shim",
                    path ? path : "(main program)");
    }
#endif
    if (ok == 1)
        rec_threads_write_modules(t);
}

void rec_process_setup(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }
