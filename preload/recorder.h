/* The recorder: the plain C core that the hook files (hooks_*.c) and the
 * primitives library call.  It owns the per-thread state, the lock table,
 * the stack table, the trace file and both modes (profile and trace).
 * Hook files only translate a call into these functions and forward to the
 * real one; they never touch the trace format directly.
 *
 * Calling pattern in every hook (see hooks_mutex.c):
 *
 *     struct rec_thread *t = rec_enter();          // NULL: only forward
 *     if (!t) return real_fn(args);
 *     int saved = errno;
 *     ... rec_* calls around the real call ...
 *     rec_leave(t);
 *     errno = saved-or-the-real-call's-errno;
 *     return exactly what the real call returned;
 *
 * Every rec_* function leaves errno as it found it.
 *
 * Rules: no malloc, stdio or interposed lock between rec_enter and
 * rec_leave on the lock/unlock path; every rec_* function is safe to call
 * with any lock id (0 = unknown is ignored).
 */
#ifndef SYNCWATCH_PRELOAD_RECORDER_H
#define SYNCWATCH_PRELOAD_RECORDER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/trace_format.h"

struct rec_thread;

/* Enters the recorder from a hook.  Returns NULL when the hook must only
 * forward: the recorder is disabled or failed, the process is filtered out,
 * or this thread is already inside the shim (libunwind, the loader or a
 * signal handler re-entering it).  Cheap: a TLS load and a flag test. */
struct rec_thread *rec_enter(void);
void rec_leave(struct rec_thread *t);

/* The site (deduplicated stack id) of the current call.  ret is the hook's
 * __builtin_return_address(0); the recorder decides how many frames to
 * walk, caching by return address where that is unambiguous. */
uint32_t rec_site(struct rec_thread *t, const void *ret);

/* The site of a release, or SWT_NO_SITE when the mode does not record
 * releases one by one (profile mode: the hold's acquiring site is kept
 * instead), so that unlock hooks skip the stack lookup there. */
uint32_t rec_release_site(struct rec_thread *t, const void *ret);

/* For acquisitions: rec_lock_id(t, addr, kind) and then rec_site(t, ret)
 * in one step, returned as id | (uint64_t)site << 32.  A per-thread memo of
 * (addr, ret) answers repeated calls without the two table lookups once the
 * answer is settled (a verified site, an id that addr still has). */
uint64_t rec_lock_site(struct rec_thread *t, const void *addr, unsigned kind, const void *ret);
/* For releases: rec_lock_id and rec_release_site the same way. */
uint64_t rec_release_lock_site(struct rec_thread *t, const void *addr, unsigned kind,
                               const void *ret);

/* Lock identity.  rec_lock_init: the program initialised the object at
 * addr (a new generation, a LOCK_NEW record).  rec_lock_id: the id of the
 * object at addr, registering it (SWT_LOCK_STATIC) on first sight.  For
 * process-shared objects and named semaphores pass pshared != 0: the
 * recorder resolves (device, inode, offset) of the mapping. */
struct rec_lock_attr {
    unsigned kind;    /* enum swt_lock_kind */
    unsigned type;    /* enum swt_lock_type */
    unsigned flags;   /* enum swt_lock_flag */
    uint64_t value;   /* semaphore initial value, barrier count */
    const char *name; /* named semaphore name, or NULL */
};
uint32_t rec_lock_init(struct rec_thread *t, const void *addr, const struct rec_lock_attr *a,
                       uint32_t site);
uint32_t rec_lock_id(struct rec_thread *t, const void *addr, unsigned kind);
/* rec_lock_id for objects that are not glibc's (GLib's GMutex, GCond): a
 * first sight reads nothing from the object (type normal, flag static). */
uint32_t rec_lock_id_opaque(struct rec_thread *t, const void *addr, unsigned kind);
/* The object at addr was destroyed (err = the real call's result). */
void rec_lock_destroy(struct rec_thread *t, uint32_t lock, uint32_t site, int err);

/* Acquisitions.  flags are SWT_ACQ_*.  Call rec_wait only when the
 * acquisition is about to block (the trylock-first attempt failed); it reads
 * the clock and marks the thread as waiting.  rec_acquired ends the wait
 * if there was one; a re-lock of a recursive mutex by its owner is detected
 * by the recorder (depth, not a new hold). */
void rec_wait(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site);
void rec_acquired(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site);
void rec_failed(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site, int err);
/* A hold ends.  For rwlocks pass flags 0: the recorder knows from this
 * thread's held entry whether a read or a write hold is dropped.  Call it
 * before the real unlock/post: once that returns, the next owner (woken by
 * the real call) may run, and the process may end, before this thread
 * gets the CPU back. */
void rec_released(struct rec_thread *t, uint32_t lock, unsigned flags, uint32_t site);
/* SWT_ACQ_* of this thread's hold of lock, or 0 if it does not hold it. */
unsigned rec_held_flags(struct rec_thread *t, uint32_t lock);

/* Condition variables: around the real wait, call
 *   rec_released(mutex, SWT_ACQ_COND), rec_cond_wait(...), real wait,
 *   rec_cond_wake(..., err), rec_acquired(mutex, SWT_ACQ_COND | extra). */
/* flags: SWT_ACQ_TIMED for a wait with a deadline (it ends by itself, so
 * the watchdog never takes it for a hang), SWT_ACQ_C11. */
void rec_cond_wait(struct rec_thread *t, uint32_t cond, uint32_t mutex, uint32_t site,
                   unsigned flags);
void rec_cond_wake(struct rec_thread *t, uint32_t cond, uint32_t mutex, int err);
void rec_cond_signal(struct rec_thread *t, uint32_t cond, unsigned flags, uint32_t site);

/* Semaphores: waits use rec_wait/rec_acquired/rec_failed on the semaphore's
 * id; a post is rec_sem_post (value after the post, or -1 if unknown). */
void rec_sem_post(struct rec_thread *t, uint32_t sem, uint32_t site, long value);

/* Barriers. */
void rec_barrier_wait(struct rec_thread *t, uint32_t barrier, uint32_t site);
void rec_barrier_done(struct rec_thread *t, uint32_t barrier, int err);

/* A condvar destroy starts (before the real call, which waits for the
 * condvar's waiters to leave): COND_DESTROY_BEGIN, in both modes. */
void rec_cond_destroy_begin(struct rec_thread *t, uint32_t cond, uint32_t site);

/* Rare events, written as ext records. */
void rec_note(struct rec_thread *t, unsigned code, const char *text);



/* ---- Added by the core: threads and processes (hooks_thread.c,
 * hooks_process.c). ---- */
/* This thread's index in the trace (1 = main thread). */
uint32_t rec_thread_index(const struct rec_thread *t);
/* Reserves the index of a thread about to be created; the creator passes it
 * to the new thread's start trampoline. */
uint32_t rec_thread_reserve(void);
/* First call of a new thread (its start trampoline): attaches it under the
 * reserved index and records THREAD_START.  Returns like rec_enter. */
struct rec_thread *rec_thread_begin(uint32_t index, uint32_t parent, uint32_t create_site);
/* pthread_create returned; th is the new thread's handle when err == 0. */
void rec_thread_created(struct rec_thread *t, uint32_t child, pthread_t th, uint32_t site, int err);
/* The thread ends (how: enum swt_thread_state); recorded once per thread,
 * with the locks it still holds. */
void rec_thread_exit(struct rec_thread *t, unsigned how);
/* The index of a running or finished thread, 0 if unknown. */
uint32_t rec_thread_of(pthread_t th);
/* A join starts (before the real call; joined: rec_thread_of, 0 unknown):
 * JOIN_BEGIN, and the thread block says "waiting in join" until
 * rec_thread_joined. */
void rec_thread_join_begin(struct rec_thread *t, uint32_t joined, uint32_t site);
void rec_thread_joined(struct rec_thread *t, uint32_t joined, uint32_t site, int err);
void rec_thread_detached(struct rec_thread *t, uint32_t thread);
void rec_thread_named(struct rec_thread *t, uint32_t thread, const char *name);
/* A joined thread's recorder state can be reused (memory per thread stays
 * bounded by the threads alive at once). */
void rec_thread_reclaim(pthread_t th);

/* fork(): role 0 in the parent (other = child pid), 1 in the child.  The
 * recorder's own pthread_atfork handlers have already set up the child's
 * trace by then. */
void rec_fork_done(struct rec_thread *t, int role, int other_pid, int err);
/* The process ends (how: enum swt_exit_how).  t may be NULL (called while
 * inside the shim): then only the header is updated. */
void rec_proc_exit(struct rec_thread *t, unsigned how, int status);
/* exec (hooks_exec.c, rec_exec.c).  rec_exec_env gives the environment to
 * hand to exec: envp with the run passed on (SYNCWATCH_RUN_ID with this
 * pid and the next generation), in a mapping x holds, or envp itself when
 * it has no SYNCWATCH_RUN_ID (the program dropped it) or no memory.
 * rec_exec_begin finishes this image's trace (1) or does nothing (0: not
 * traced, or a vfork child); when the exec then fails, rec_exec_failed
 * reopens it and records why. */
struct rec_exec {
    void *map;
    size_t map_len;
};
char *const *rec_exec_env(char *const envp[], struct rec_exec *x);
void rec_exec_env_free(struct rec_exec *x);
int rec_exec_begin(struct rec_thread *t);
void rec_exec_failed(struct rec_thread *t, const char *path, int err);
/* dlopen is called (ok: 0 it failed, 1 it loaded, 2 not known yet: the hook
 * records before its tail call); RTLD_DEEPBIND gets a warning.  New
 * modules are reported at the next stack capture in any thread. */
void rec_dlopen(struct rec_thread *t, const char *path, int flags, int ok);
/* This thread's recorder state while inside the shim (after rec_enter),
 * or NULL: a fork child's state is set up anew by the recorder's atfork
 * handler, so the fork hook reads it again here. */
struct rec_thread *rec_current(void);
/* Clears the in-hook flag: for a cancellation cleanup handler, which runs
 * when a blocking call inside a hook is cancelled and never returns to it. */
void rec_force_leave(void);
/* Makes sure the recorder is initialised (the constructor calls it, so the
 * process is set up before main even if no hook ran yet). */
void rec_init(void);

#endif
