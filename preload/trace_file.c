/* Trace file creation and chunk allocation. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/trace_file.h"

/* Chunks fallocated beyond the one asked for, so that first touches of
 * fresh pages (1.2 us each, architecture.md fact 12) hit allocated blocks. */
#define FALLOCATE_AHEAD 4u

/* Programs may close every descriptor (daemons do) and reuse the number:
 * the file is kept on a high descriptor, and identified by (dev, inode) so
 * that a reused number is never written. */
#define HIGH_FD 700
/* Names tried when the trace's name is taken: NAME, NAME.1 .. NAME.99. */
#define TF_MAX_SUFFIX 99u
/* -1 while the file is closed between chunk allocations: under an
 * RLIMIT_NOFILE of HIGH_FD or less no high descriptor can be had, and a low
 * one kept open would be one of the program's few (tf_transient). */
static int tf_fd = -1;
static int tf_transient;
static dev_t tf_dev;
static ino_t tf_ino;
static char tf_path[1100];
static struct swt_file_header *tf_hdr;
static uint32_t tf_cs;
static int tf_no_fallocate;
/* Bytes of the file known to be allocated (grow never shrinks it): chunks
 * below this need no system call. */
static uint64_t tf_grown;

/* A full disk (or RLIMIT_FSIZE) fails every allocation, and the recorder
 * asks for one on every event once its chunk is full: after a failure the
 * next tf_skip requests fail at once, without a system call, and each
 * further failure doubles the wait (BACKOFF_MIN..BACKOFF_MAX requests), so
 * a program on a full disk runs at nearly its own speed, its events
 * counted as dropped, and tracing resumes if space comes back. */
#define BACKOFF_MIN 64u
#define BACKOFF_MAX 65536u
static uint32_t tf_skip;
static uint32_t tf_backoff;

static int backing_off(void)
{
    uint32_t s = __atomic_load_n(&tf_skip, __ATOMIC_RELAXED);
    while (s)
        if (__atomic_compare_exchange_n(&tf_skip, &s, s - 1, 1, __ATOMIC_RELAXED,
                                        __ATOMIC_RELAXED))
            return 1;
    return 0;
}

static void alloc_failed(void)
{
    uint32_t b = __atomic_load_n(&tf_backoff, __ATOMIC_RELAXED);
    b = b ? (b < BACKOFF_MAX ? b * 2 : BACKOFF_MAX) : BACKOFF_MIN;
    __atomic_store_n(&tf_backoff, b, __ATOMIC_RELAXED);
    __atomic_store_n(&tf_skip, b, __ATOMIC_RELAXED);
}

static void note_grown(uint64_t end)
{
    uint64_t cur = __atomic_load_n(&tf_grown, __ATOMIC_RELAXED);
    while (cur < end && !__atomic_compare_exchange_n(&tf_grown, &cur, end, 1, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED))
        ;
}

struct swt_file_header *tf_header(void) { return tf_hdr; }
const char *tf_path_used(void) { return tf_path; }
uint32_t tf_chunk_size(void) { return tf_cs; }

/* Makes [off, off+len) of the file real without ever shrinking it. */
static int grow(int fd, uint64_t off, uint64_t len)
{
    /* Growing past RLIMIT_FSIZE would raise SIGXFSZ, which kills the
     * program by default: drop events instead. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        off + len > (uint64_t)rl.rlim_cur)
        return errno = EFBIG, -1;
    if (!__atomic_load_n(&tf_no_fallocate, __ATOMIC_RELAXED)) {
        if (fallocate(fd, 0, (off_t)off, (off_t)len) == 0)
            return 0;
        if (errno != EOPNOTSUPP && errno != ENOSYS)
            return -1;
        __atomic_store_n(&tf_no_fallocate, 1, __ATOMIC_RELAXED);
    }
    /* A one-byte write at the end extends a file and, unlike ftruncate,
     * can never cut off a chunk another thread is writing.  The byte is
     * the last of the new range, which nobody has written yet. */
    char zero = 0;
    if (pwrite(fd, &zero, 1, (off_t)(off + len - 1)) != 1)
        return errno = errno ? errno : ENOSPC, -1;
    return 0;
}

/* Opens the directory of path (for openat), and its file name in *base.
 * A missing directory is created 0700 (its last component only) and then
 * opened without following a link, so nobody can swap a symlink in
 * between.  An existing directory is the user's choice and is taken as it
 * is.  Returns the descriptor or -1. */
static int open_dir(const char *path, const char **base, char *dir, size_t dirlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        *base = path;
        snprintf(dir, dirlen, ".");
    } else {
        *base = slash + 1;
        size_t n = (size_t)(slash - path);
        if (n == 0)
            n = 1; /* "/name" */
        if (n >= dirlen)
            return errno = ENAMETOOLONG, -1;
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    if (!**base)
        return errno = EISDIR, -1;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0 || errno != ENOENT)
        return dfd;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    return open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Creates a new file in dfd: base, else base.1, base.2, ... when the name
 * is taken.  Never opens an existing file, never follows a link (O_EXCL
 * fails on one), so a planted symlink or another user's file is left
 * alone.  0600: the trace holds the command line and the load addresses. */
static int create_exclusive(int dfd, const char *base, char *name, size_t namelen)
{
    for (unsigned n = 0; n <= TF_MAX_SUFFIX; n++) {
        size_t len = n ? (size_t)snprintf(name, namelen, "%s.%u", base, n)
                       : (size_t)snprintf(name, namelen, "%s", base);
        if (len >= namelen)
            return errno = ENAMETOOLONG, -1;
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return errno = EEXIST, -1;
}

struct swt_file_header *tf_create(const char *path, uint32_t chunk_size)
{
    char dir[sizeof tf_path], name[256];
    const char *base;
    int dfd = open_dir(path, &base, dir, sizeof dir);
    if (dfd < 0)
        return NULL;
    int fd = create_exclusive(dfd, base, name, sizeof name);
    int e = errno;
    close(dfd);
    if (fd < 0)
        return errno = e, NULL;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    tf_transient = high < 0;
    struct stat st;
    if (fstat(fd, &st) == 0) {
        tf_dev = st.st_dev;
        tf_ino = st.st_ino;
    }
    if (strcmp(dir, "/") == 0)
        dir[0] = 0;
    snprintf(tf_path, sizeof tf_path, "%s/%s", dir, name);
    tf_fd = fd;
    tf_cs = chunk_size;
    tf_no_fallocate = 0;
    tf_grown = 0;
    tf_skip = tf_backoff = 0;
    /* Every traced process needs its main thread's THREAD and first EVENTS
     * chunk: one fallocate for them and the header instead of three (a
     * full disk still gets the header alone). */
    if (grow(fd, 0, SWT_HEADER_REGION + 2 * (uint64_t)chunk_size) == 0)
        tf_grown = SWT_HEADER_REGION + 2 * (uint64_t)chunk_size;
    else if (grow(fd, 0, SWT_HEADER_REGION) == 0)
        tf_grown = SWT_HEADER_REGION;
    else
        goto fail;
    void *m = mmap(NULL, SWT_HEADER_REGION, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    if (tf_transient) {
        close(fd);
        tf_fd = -1;
    }
    tf_hdr = m;
    memcpy(tf_hdr->magic, SWT_MAGIC, SWT_MAGIC_LEN);
    tf_hdr->version_major = SWT_VERSION_MAJOR;
    tf_hdr->version_minor = SWT_VERSION_MINOR;
    tf_hdr->header_size = sizeof(struct swt_file_header);
    tf_hdr->chunk_size = chunk_size;
    return tf_hdr;
fail:
    e = errno;
    close(fd);
    tf_fd = -1;
    errno = e;
    return NULL;
}

/* Opens the file by name for one chunk allocation (tf_transient): the
 * same file, or -1. */
static int open_transient(void)
{
    struct stat st;
    int fd = open(tf_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || st.st_dev != tf_dev || st.st_ino != tf_ino) {
        close(fd);
        return errno = ESTALE, -1;
    }
    return fd;
}

static void close_transient(int fd)
{
    if (tf_transient) {
        int e = errno;
        close(fd);
        errno = e;
    }
}

/* 0 if tf_fd is still our file; else reopens it by name (a program closed
 * it), or fails. */
static int check_fd(void)
{
    struct stat st;
    if (fstat(tf_fd, &st) == 0 && st.st_dev == tf_dev && st.st_ino == tf_ino)
        return 0;
    int fd = open(tf_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || st.st_dev != tf_dev || st.st_ino != tf_ino) {
        close(fd);
        return errno = ESTALE, -1;
    }
    int high = fcntl(fd, F_DUPFD_CLOEXEC, HIGH_FD);
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    /* The old number is the program's now: never close it. */
    __atomic_store_n(&tf_fd, fd, __ATOMIC_RELEASE);
    return 0;
}

void *tf_chunk_new(unsigned kind, uint32_t thread, uint32_t seq, uint32_t tid,
                   uint64_t base_ticks)
{
    if (!tf_hdr)
        return errno = EBADF, NULL;
    if (backing_off())
        return errno = ENOSPC, NULL;
    int fd = tf_transient ? open_transient() : check_fd() == 0 ? tf_fd : -1;
    if (fd < 0)
        return NULL;
    /* A chunk is counted in the header only once the file holds it, so a
     * failed allocation leaves no hole for the reader to call a cut file:
     * grow over chunk k, then claim k; another thread that claimed k first
     * makes this one try k + 1 (the file then already reaches further). */
    uint64_t k = __atomic_load_n(&tf_hdr->chunks_allocated, __ATOMIC_RELAXED);
    uint64_t off;
    for (;;) {
        off = SWT_HEADER_REGION + k * (uint64_t)tf_cs;
        if (off + tf_cs > __atomic_load_n(&tf_grown, __ATOMIC_RELAXED)) {
            /* Every FALLOCATE_AHEAD-th chunk also grows the file over the
             * next ones, once the process has shown it writes more than
             * its first chunks (short-lived fork children should not pay
             * for blocks they never use). */
            uint64_t len = (k >= FALLOCATE_AHEAD && k % FALLOCATE_AHEAD == 0)
                               ? (uint64_t)tf_cs * (1 + FALLOCATE_AHEAD)
                               : tf_cs;
            if (grow(fd, off, len) == 0) {
                note_grown(off + len);
            } else if (len != tf_cs && grow(fd, off, tf_cs) == 0) {
                note_grown(off + tf_cs);
            } else {
                alloc_failed();
                close_transient(fd);
                return NULL;
            }
        }
        if (__atomic_compare_exchange_n(&tf_hdr->chunks_allocated, &k, k + 1, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            break;
    }
    __atomic_store_n(&tf_backoff, 0, __ATOMIC_RELAXED);
    /* Not MAP_POPULATE: pages are touched as records fill them, so a short
     * process does not fault in 64 KiB per chunk it hardly uses. */
    void *m = mmap(NULL, tf_cs, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
    close_transient(fd);
    if (m == MAP_FAILED)
        return NULL;
    /* No read-ahead: the first touch of a page would otherwise bring in and
     * zero the whole chunk and the ones fallocated after it (128 KiB and
     * more per thread that writes a page or two). */
    madvise(m, tf_cs, MADV_RANDOM);
    struct swt_chunk_header *c = m;
    c->kind = (uint16_t)kind;
    c->thread = thread;
    c->seq = seq;
    c->tid = tid;
    c->used = 0;
    c->base_ticks = base_ticks;
    __atomic_store_n(&c->magic, SWT_CHUNK_MAGIC, __ATOMIC_RELEASE);
    return m;
}

void tf_chunk_unmap(void *chunk)
{
    if (chunk)
        munmap(chunk, tf_cs);
}

void tf_forget(void)
{
    if (tf_hdr)
        munmap(tf_hdr, SWT_HEADER_REGION);
    tf_hdr = NULL;
    struct stat st;
    /* Close only our own file: the program may own this number by now. */
    if (tf_fd >= 0 && fstat(tf_fd, &st) == 0 && st.st_dev == tf_dev && st.st_ino == tf_ino)
        close(tf_fd);
    tf_fd = -1;
}

int tf_expand_path(const char *spec, int pid, int descendant, unsigned exec_gen, char *out,
                   size_t outlen)
{
    char pidbuf[16], genbuf[24] = "";
    snprintf(pidbuf, sizeof pidbuf, "%d", pid);
    if (exec_gen)
        snprintf(genbuf, sizeof genbuf, ".exec%u", exec_gen);
    size_t n;
    if (!spec || !*spec) {
        n = (size_t)snprintf(out, outlen, "syncwatch.%d%s.swt", pid, genbuf);
        return n < outlen ? 0 : -1;
    }
    size_t sl = strlen(spec);
    struct stat st;
    if (spec[sl - 1] == '/' || (stat(spec, &st) == 0 && S_ISDIR(st.st_mode))) {
        n = (size_t)snprintf(out, outlen, "%s%ssyncwatch.%d%s.swt", spec,
                             spec[sl - 1] == '/' ? "" : "/", pid, genbuf);
        return n < outlen ? 0 : -1;
    }
    size_t o = 0;
    int expanded = 0;
    for (const char *p = spec; *p; p++) {
        const char *piece = p;
        size_t plen = 1;
        if (p[0] == '%' && p[1] == 'p') {
            piece = pidbuf;
            plen = strlen(pidbuf);
            expanded = 1;
            p++;
        }
        if (o + plen >= outlen)
            return -1;
        memcpy(out + o, piece, plen);
        o += plen;
    }
    out[o] = 0;
    n = (size_t)snprintf(out + o, outlen - o, "%s%s%s", descendant && !expanded ? "." : "",
                         descendant && !expanded ? pidbuf : "", genbuf);
    return n < outlen - o ? 0 : -1;
}
