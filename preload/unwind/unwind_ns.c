/* libsyncwatch-unwind.so: the shim's private libunwind, loaded by
 * preload/stacks.c with dlmopen(LM_ID_NEWLM) (unwind_ns.h says why).
 *
 * It is the first object of its namespace, so its definitions below come
 * before that namespace's libc for libunwind's calls.  They keep every
 * process-wide resource the program could see out of libunwind's hands:
 *
 * - dl_iterate_phdr lists the main namespace's objects first (through the
 *   shim), then this namespace's: libunwind finds the unwind tables of the
 *   program's frames and of its own.
 * - pthread keys come from the main libc: a second libc would hand out key
 *   numbers the main libc also hands out, and both store the values in the
 *   one thread descriptor.
 * - libunwind 1.6 validates memory by writing one byte of it into a pipe
 *   that it opens on the lowest free descriptors at its first unwind and
 *   reads, closes and re-opens when a read fails (src/x86_64/Ginit.c).  Here
 *   that pipe is two numbers above any descriptor the kernel can hand out
 *   (fs.nr_open is at most 2147483584), its reads find it empty and a write
 *   into it checks the byte with process_vm_readv on this process: no
 *   descriptor is opened, read, written or closed.
 * - open fails: the local unwinder opens files only for procedure names and
 *   .debug_frame sections, which backtraces do not need. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "preload/unwind/unwind_ns.h"

#define EXPORT __attribute__((visibility("default")))

/* libunwind's validation pipe (never a real descriptor). */
#define PIPE_READ (INT_MAX - 1)
#define PIPE_WRITE INT_MAX

extern int unw_backtrace(void **buffer, int size);

static struct unwind_ns_ops ops;
static ssize_t (*next_read)(int, void *, size_t);
static ssize_t (*next_write)(int, const void *, size_t);
static int (*next_close)(int);
static long (*next_syscall)(long, ...);
static int (*next_dl_iterate_phdr)(unwind_ns_phdr_cb, void *);

EXPORT unwind_ns_backtrace_fn syncwatch_unwind_setup(int abi, const struct unwind_ns_ops *o)
{
    if (abi != UNWIND_NS_ABI || !o->iterate_main || !o->key_create || !o->setspecific ||
        !o->getspecific)
        return NULL;
    next_read = (ssize_t(*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    next_write = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    next_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    next_syscall = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
    next_dl_iterate_phdr = (int (*)(unwind_ns_phdr_cb, void *))dlsym(RTLD_NEXT, "dl_iterate_phdr");
    if (!next_read || !next_write || !next_close || !next_syscall || !next_dl_iterate_phdr)
        return NULL;
    ops = *o;
    return unw_backtrace;
}

EXPORT int dl_iterate_phdr(unwind_ns_phdr_cb cb, void *data)
{
    int r = ops.iterate_main(cb, data);
    return r ? r : next_dl_iterate_phdr(cb, data);
}

EXPORT int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
    return ops.key_create(key, destructor);
}

EXPORT int pthread_setspecific(pthread_key_t key, const void *value)
{
    return ops.setspecific(key, (uintptr_t)value);
}

EXPORT void *pthread_getspecific(pthread_key_t key) { return ops.getspecific(key); }

EXPORT int pipe2(int fds[2], int flags)
{
    (void)flags;
    fds[0] = PIPE_READ;
    fds[1] = PIPE_WRITE;
    return 0;
}

/* The byte at addr can be read: what a successful write of it into the
 * pipe would have proved. */
static ssize_t validate_byte(const void *addr)
{
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)addr, 1};
    int saved = errno;
    ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    if (n == 1)
        errno = saved;
    else
        errno = EFAULT;
    return n == 1 ? 1 : -1;
}

EXPORT ssize_t read(int fd, void *buf, size_t len)
{
    if (fd == PIPE_READ) {
        errno = EAGAIN; /* an empty pipe: libunwind keeps it */
        return -1;
    }
    return next_read(fd, buf, len);
}

EXPORT ssize_t write(int fd, const void *buf, size_t len)
{
    if (fd == PIPE_WRITE)
        return len ? validate_byte(buf) : 0;
    return next_write(fd, buf, len);
}

EXPORT int close(int fd)
{
    if (fd == PIPE_READ || fd == PIPE_WRITE)
        return 0;
    return next_close(fd);
}

/* libunwind writes into the pipe with syscall(SYS_write, ...).  syscall
 * takes six argument words whatever the number, as glibc's does. */
EXPORT long syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    long a[6];
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (nr == SYS_write && a[0] == PIPE_WRITE)
        return a[2] ? validate_byte((const void *)a[1]) : 0;
    return next_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

EXPORT int open(const char *path, int flags, ...)
{
    (void)path;
    (void)flags;
    errno = EACCES;
    return -1;
}
