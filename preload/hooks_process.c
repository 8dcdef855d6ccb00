/* Hooks of process life: the return from main (through
 * __libc_start_main, whose internal exit() call no hook sees), exit,
 * _exit/_Exit, fork, and dlopen (DLOPEN record, RTLD_DEEPBIND warning).  Correctness never depends on them (architecture.md fact 11): the
 * trace is in MAP_SHARED memory whatever way the process ends. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/trace_format.h"
#include "preload/real.h"
#include "preload/recorder.h"

typedef int (*main_fn)(int, char **, char **);
static int (*real___libc_start_main)(main_fn, int, char **, void (*)(void), void (*)(void),
                                     void (*)(void), void *);
static void (*real_exit)(int) __attribute__((noreturn));
static void (*real__exit)(int) __attribute__((noreturn));
static void (*real__Exit)(int) __attribute__((noreturn));
static pid_t (*real_fork)(void);
static void *(*real_dlopen)(const char *, int);

static main_fn program_main;

/* Sets the process up before main even if no hook ran yet (and exports the
 * run id for exec'ed children).  Lives here, not in the recorder core, so
 * unit tests that link the core choose when it starts. */
__attribute__((constructor)) static void shim_constructor(void) { rec_init(); }

static void record_exit(unsigned how, int status)
{
    int saved = errno;
    struct rec_thread *t = rec_enter();
    rec_proc_exit(t, how, status);
    if (t)
        rec_leave(t);
    errno = saved;
}

static int main_wrapper(int argc, char **argv, char **envp)
{
    int r = program_main(argc, argv, envp);
    record_exit(SWT_EXIT_EXIT, r);
    return r;
}

SW_HOOK int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                              void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    program_main = main;
    return REAL(real___libc_start_main, "__libc_start_main")(main_wrapper, argc, argv, init,
                                                             fini, rtld_fini, stack_end);
}

SW_HOOK void exit(int status)
{
    record_exit(SWT_EXIT_EXIT, status);
    REAL(real_exit, "exit")(status);
}

SW_HOOK void _exit(int status)
{
    record_exit(SWT_EXIT__EXIT, status);
    REAL(real__exit, "_exit")(status);
}

SW_HOOK void _Exit(int status)
{
    record_exit(SWT_EXIT__EXIT, status);
    REAL(real__Exit, "_Exit")(status);
}

SW_HOOK pid_t fork(void)
{
    struct rec_thread *t = rec_enter();
    if (!t)
        return REAL(real_fork, "fork")();
    /* The recorder's pthread_atfork handlers run inside the real fork and
     * set up the child's own trace. */
    pid_t pid = REAL(real_fork, "fork")();
    int saved = errno;
    if (pid == 0) {
        struct rec_thread *c = rec_current();
        if (c)
            rec_fork_done(c, 1, (int)getppid(), 0);
    } else {
        rec_fork_done(t, 0, (int)pid, pid < 0 ? saved : 0);
    }
    rec_leave(t);
    errno = saved;
    return pid;
}

/* The tail call below must stay a tail call in every build type. */
#if defined(__clang__)
#define SW_TAIL_CALL __attribute__((musttail))
#define SW_SIBCALLS
#else
#define SW_TAIL_CALL
#define SW_SIBCALLS __attribute__((optimize("O2")))
#endif

SW_HOOK SW_SIBCALLS void *dlopen(const char *path, int flags)
{
    struct rec_thread *t = rec_enter();
    if (t) {
        int saved = errno;
        rec_dlopen(t, path, flags, 2);
        rec_leave(t);
        errno = saved;
    }
    /* A tail call, and nothing after it: glibc's dlopen takes its caller
     * from its return address, and the caller's RUNPATH and $ORIGIN decide
     * where a bare library name is searched.  Returning here first would
     * make the shim the caller and break such programs.  The new library's
     * modules are reported at the next stack capture instead. */
    void *(*fn)(const char *, int) = REAL(real_dlopen, "dlopen");
    SW_TAIL_CALL return fn(path, flags);
}
