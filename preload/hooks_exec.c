/* Hooks of the exec family: execve, execv, execvp, execvpe, execl,
 * execle, execlp, fexecve, execveat.  Before the real call the image's
 * trace is finished and the run passed on in the environment handed to
 * exec (rec_exec.c); if exec fails it returns to the program with the
 * real function's result and errno, and the trace goes on.  execvp and
 * friends search PATH inside glibc with internal calls, so each call of
 * the program is recorded once.  The l-forms build their argv on the
 * stack, as glibc does. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include "preload/real.h"
#include "preload/recorder.h"

extern char **environ;

static int (*real_execve)(const char *, char *const[], char *const[]);
static int (*real_execvpe)(const char *, char *const[], char *const[]);
static int (*real_fexecve)(int, char *const[], char *const[]);
static int (*real_execveat)(int, const char *, char *const[], char *const[], int);

struct exec_call {
    struct rec_exec env;
    int began;
};

/* Finishes the trace and returns the environment to hand to exec. */
static char *const *before(struct exec_call *c, char *const envp[])
{
    c->began = 0;
    c->env.map = NULL;
    int saved = errno;
    struct rec_thread *t = rec_enter(); /* NULL: not traced, or no room for this thread */
    char *const *env = envp;
    c->began = rec_exec_begin(t);
    if (c->began)
        env = rec_exec_env(envp, &c->env);
    if (t)
        rec_leave(t);
    errno = saved;
    return env;
}

/* The exec failed: reopens the trace; errno stays the real call's. */
static void after(struct exec_call *c, const char *path)
{
    int err = errno;
    rec_exec_env_free(&c->env);
    if (c->began) {
        struct rec_thread *t = rec_enter();
        rec_exec_failed(t, path, err);
        if (t)
            rec_leave(t);
    }
    errno = err;
}

static int do_execve(const char *path, char *const argv[], char *const envp[])
{
    struct exec_call c;
    char *const *env = before(&c, envp);
    int r = REAL(real_execve, "execve")(path, argv, env);
    after(&c, path);
    return r;
}

static int do_execvpe(const char *file, char *const argv[], char *const envp[])
{
    struct exec_call c;
    char *const *env = before(&c, envp);
    int r = REAL(real_execvpe, "execvpe")(file, argv, env);
    after(&c, file);
    return r;
}

SW_HOOK int execve(const char *path, char *const argv[], char *const envp[])
{
    return do_execve(path, argv, envp);
}

SW_HOOK int execv(const char *path, char *const argv[]) { return do_execve(path, argv, environ); }

SW_HOOK int execvp(const char *file, char *const argv[])
{
    return do_execvpe(file, argv, environ);
}

SW_HOOK int execvpe(const char *file, char *const argv[], char *const envp[])
{
    return do_execvpe(file, argv, envp);
}

SW_HOOK int fexecve(int fd, char *const argv[], char *const envp[])
{
    struct exec_call c;
    char *const *env = before(&c, envp);
    int r = REAL(real_fexecve, "fexecve")(fd, argv, env);
    after(&c, NULL);
    return r;
}

SW_HOOK int execveat(int dirfd, const char *path, char *const argv[], char *const envp[],
                     int flags)
{
    struct exec_call c;
    char *const *env = before(&c, envp);
    int r = REAL(real_execveat, "execveat")(dirfd, path, argv, env, flags);
    after(&c, path);
    return r;
}

/* The arguments from arg0 up to the terminating NULL (arg0 included:
 * glibc declares it nonnull, but a program may pass NULL all the same). */
static size_t count_args(const char *arg0, va_list ap)
{
    va_list cp;
    va_copy(cp, ap);
    size_t n = arg0 ? 1 : 0;
    if (arg0)
        while (va_arg(cp, const char *))
            n++;
    va_end(cp);
    return n;
}

#define COUNT_ARGS(ap, arg0, n) ((n) = count_args((arg0), (ap)))

static void fill_args(char **argv, size_t n, const char *arg0, va_list ap)
{
    if (n)
        argv[0] = (char *)arg0;
    for (size_t i = 1; i < n; i++)
        argv[i] = va_arg(ap, char *);
    argv[n] = NULL;
}

SW_HOOK int execl(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n;
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    fill_args(argv, n, arg, ap);
    va_end(ap);
    return do_execve(path, argv, environ);
}

SW_HOOK int execlp(const char *file, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n;
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    fill_args(argv, n, arg, ap);
    va_end(ap);
    return do_execvpe(file, argv, environ);
}

SW_HOOK int execle(const char *path, const char *arg, ...)
{
    va_list ap;
    va_start(ap, arg);
    size_t n;
    COUNT_ARGS(ap, arg, n);
    char *argv[n + 1];
    fill_args(argv, n, arg, ap);
    /* after the NULL that ends the arguments: the environment */
    if (n)
        (void)va_arg(ap, char *);
    char *const *envp = va_arg(ap, char *const *);
    va_end(ap);
    return do_execve(path, argv, envp);
}
