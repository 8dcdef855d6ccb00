/* The end-to-end harness of the hook tests; see hooks_harness.h. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/hooks_harness.h"

#ifndef HK_SHIM_PATH
#error "HK_SHIM_PATH (absolute path of libsyncwatch.so) must be defined by the build"
#endif

extern char **environ;

static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[PATH_MAX];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Child side of run(): the environment, stdout into the pipe, exec. */
static void exec_child(int out_fd, const char *dir, char *const argv[], const char *const env[],
                       int preload)
{
    char output[300];
    snprintf(output, sizeof output, "%s/", dir);
    if (preload)
        setenv("LD_PRELOAD", HK_SHIM_PATH, 1);
    else
        unsetenv("LD_PRELOAD");
    setenv("SYNCWATCH_OUTPUT", output, 1);
    setenv("SYNCWATCH_MODE", "trace", 1);
    unsetenv("SYNCWATCH_DISABLE");
    unsetenv("SYNCWATCH_FILTER");
    for (size_t i = 0; env && env[i]; i++)
        putenv((char *)env[i]);
    dup2(out_fd, STDOUT_FILENO);
    close(out_fd);
    execv(argv[0], argv);
    fprintf(stderr, "hooks harness: cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void load_records(struct hk_run *r)
{
    char err[SWT_ERR_LEN];
    r->trace = swt_open(r->trace_path, err, sizeof err);
    if (!r->trace)
        fail_msg("cannot open the trace: %s", err);
    size_t cap = 1024;
    r->recs = malloc(cap * sizeof *r->recs);
    assert_non_null(r->recs);
    for (size_t i = 0; i < swt_thread_count(r->trace); i++) {
        struct swt_cursor c;
        if (swt_cursor_init(r->trace, swt_thread_at(r->trace, i), &c) != 0)
            continue;
        for (;;) {
            if (r->nrecs == cap) {
                cap *= 2;
                r->recs = realloc(r->recs, cap * sizeof *r->recs);
                assert_non_null(r->recs);
            }
            int rc = swt_cursor_next(&c, &r->recs[r->nrecs], err, sizeof err);
            if (rc < 0)
                fail_msg("corrupt record in %s: %s", r->trace_path, err);
            if (rc == 0)
                break;
            r->nrecs++;
        }
    }
}

/* Runs argv and checks that it exited 0; with preload, under the shim. */
static void run(struct hk_run *r, char *const argv[], const char *const env[], int preload)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/swhooks.XXXXXX");
    if (!mkdtemp(r->dir))
        fail_msg("mkdtemp: %s", strerror(errno));
    int p[2];
    assert_int_equal(pipe(p), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        exec_child(p[1], r->dir, argv, env, preload);
    }
    close(p[1]);
    size_t len = 0;
    for (;;) {
        ssize_t n = read(p[0], r->out + len, sizeof r->out - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == sizeof r->out - 1)
            break;
    }
    r->out[len] = '\0';
    close(p[0]);
    while (waitpid(pid, &r->status, 0) < 0 && errno == EINTR)
        ;
    r->pid = pid;
    if (!WIFEXITED(r->status) || WEXITSTATUS(r->status) != 0)
        fail_msg("%s ended with status 0x%x; its output:\n%s", argv[0], r->status, r->out);
    snprintf(r->trace_path, sizeof r->trace_path, "%s/syncwatch.%d.swt", r->dir, (int)pid);
}

void hk_run_argv(struct hk_run *r, char *const argv[], const char *const env[])
{
    run(r, argv, env, 1);
    load_records(r);
}

static const char *self_path(void)
{
    static char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    assert_true(n > 0);
    self[n] = '\0';
    return self;
}

void hk_run_workload(struct hk_run *r, const char *name)
{
    char *argv[] = {(char *)self_path(), "--workload", (char *)name, NULL};
    hk_run_argv(r, argv, NULL);
}

void hk_workload_passes(const char *name, const char *mode)
{
    static struct hk_run r;
    char *argv[] = {(char *)self_path(), "--workload", (char *)name, NULL};
    char mode_env[64];
    int disabled = mode && strcmp(mode, "disabled") == 0;
    if (disabled)
        snprintf(mode_env, sizeof mode_env, "SYNCWATCH_DISABLE=1");
    else
        snprintf(mode_env, sizeof mode_env, "SYNCWATCH_MODE=%s", mode ? mode : "trace");
    const char *env[] = {mode_env, NULL};
    run(&r, argv, env, mode != NULL);
    if (mode && !disabled)
        load_records(&r);
    hk_free(&r);
}

void hk_load_pid(struct hk_run *dst, const struct hk_run *src, long pid)
{
    memset(dst, 0, sizeof *dst);
    dst->pid = (pid_t)pid;
    snprintf(dst->trace_path, sizeof dst->trace_path, "%s/syncwatch.%ld.swt", src->dir, pid);
    load_records(dst);
}

void hk_free(struct hk_run *r)
{
    if (r->trace)
        swt_close(r->trace);
    free(r->recs);
    if (r->dir[0])
        rm_tree(r->dir);
    memset(r, 0, sizeof *r);
}

uint64_t hk_addr(const struct hk_run *r, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = r->out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, name, len) == 0 && p[len] == '=')
            return strtoull(p + len + 1, NULL, 16);
    }
    fail_msg("the workload printed no address for %s; its output:\n%s", name, r->out);
    return 0;
}

const struct swt_rec *hk_lock_new(const struct hk_run *r, uint64_t addr, unsigned n)
{
    /* Generations are numbered in the order the recorder handed them out. */
    const struct swt_rec *found[64];
    size_t nfound = 0;
    for (size_t i = 0; i < r->nrecs && nfound < 64; i++)
        if (r->recs[i].type == SWT_REC_LOCK_NEW && r->recs[i].f[4] == addr)
            found[nfound++] = &r->recs[i];
    /* Sort by generation (field 5); few entries. */
    for (size_t i = 1; i < nfound; i++)
        for (size_t j = i; j > 0 && found[j - 1]->f[5] > found[j]->f[5]; j--) {
            const struct swt_rec *tmp = found[j];
            found[j] = found[j - 1];
            found[j - 1] = tmp;
        }
    return n < nfound ? found[n] : NULL;
}

uint32_t hk_lock(const struct hk_run *r, uint64_t addr)
{
    const struct swt_rec *last = NULL;
    for (unsigned n = 0;; n++) {
        const struct swt_rec *l = hk_lock_new(r, addr, n);
        if (!l)
            break;
        last = l;
    }
    if (!last)
        fail_msg("no LOCK_NEW record for address 0x%llx", (unsigned long long)addr);
    return (uint32_t)last->f[0];
}

/* The flags field of a record type, or -1 if it has none. */
static int flags_field(unsigned type)
{
    switch (type) {
    case SWT_REC_ACQUIRE:
    case SWT_REC_WAIT:
    case SWT_REC_FAIL:
    case SWT_REC_RELEASE:
    case SWT_REC_COND_SIGNAL:
        return 1;
    case SWT_REC_LOCK_NEW:
        return 3;
    default:
        return -1;
    }
}

static int matches(const struct swt_rec *rec, uint32_t thread, unsigned type, uint32_t lock,
                   unsigned with, unsigned without)
{
    if (rec->type != type || (thread && rec->thread != thread) || (lock && rec->f[0] != lock))
        return 0;
    int ff = flags_field(type);
    if (ff < 0)
        return with == 0 && without == 0;
    unsigned flags = (unsigned)rec->f[ff];
    return (flags & with) == with && (flags & without) == 0;
}

const struct swt_rec *hk_next(const struct hk_run *r, size_t *pos, uint32_t thread, unsigned type,
                              uint32_t lock, unsigned with, unsigned without)
{
    for (size_t i = *pos; i < r->nrecs; i++) {
        if (matches(&r->recs[i], thread, type, lock, with, without)) {
            *pos = i + 1;
            return &r->recs[i];
        }
    }
    *pos = r->nrecs;
    return NULL;
}

const struct swt_rec *hk_next_core(const struct hk_run *r, size_t *pos, uint32_t thread)
{
    for (size_t i = *pos; i < r->nrecs; i++) {
        if (r->recs[i].thread == thread && !swt_is_ext(r->recs[i].type)) {
            *pos = i + 1;
            return &r->recs[i];
        }
    }
    *pos = r->nrecs;
    return NULL;
}

size_t hk_count(const struct hk_run *r, uint32_t thread, unsigned type, uint32_t lock, unsigned with,
                unsigned without)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nrecs; i++)
        n += (size_t)matches(&r->recs[i], thread, type, lock, with, without);
    return n;
}

size_t hk_check_cond_waits(const struct hk_run *r, uint32_t cond, unsigned with,
                           uint64_t no_reacquire)
{
    size_t waits = 0;
    for (size_t i = 0; i < r->nrecs; i++) {
        const struct swt_rec *w = &r->recs[i];
        if (w->type != SWT_REC_COND_WAIT || w->f[0] != cond)
            continue;
        waits++;
        uint64_t mutex = w->f[1];
        const struct swt_rec *before = NULL;
        for (size_t j = i; j-- > 0;) {
            if (r->recs[j].thread != w->thread)
                break;
            if (!swt_is_ext(r->recs[j].type)) {
                before = &r->recs[j];
                break;
            }
        }
        if (!before || before->type != SWT_REC_RELEASE || before->f[0] != mutex ||
            (before->f[1] & (SWT_ACQ_COND | with)) != (SWT_ACQ_COND | with))
            fail_msg("COND_WAIT at offset %llu is not preceded by RELEASE(mutex, COND|0x%x)",
                     (unsigned long long)w->offset, with);
        size_t pos = i + 1;
        const struct swt_rec *wake = hk_next_core(r, &pos, w->thread);
        if (!wake || wake->type != SWT_REC_COND_WAKE || wake->f[0] != cond || wake->f[1] != mutex)
            fail_msg("COND_WAIT at offset %llu is not followed by its COND_WAKE",
                     (unsigned long long)w->offset);
        if (wake->f[2] == no_reacquire)
            continue;
        unsigned want = SWT_ACQ_COND | with | (wake->f[2] == ECANCELED ? SWT_ACQ_CANCELED : 0u);
        const struct swt_rec *acq = hk_next_core(r, &pos, w->thread);
        if (!acq || acq->type != SWT_REC_ACQUIRE || acq->f[0] != mutex ||
            (acq->f[1] & want) != want)
            fail_msg("COND_WAKE at offset %llu (error %llu) is not followed by "
                     "ACQUIRE(mutex, 0x%x)",
                     (unsigned long long)wake->offset, (unsigned long long)wake->f[2], want);
    }
    return waits;
}

size_t hk_count_wakes(const struct hk_run *r, uint32_t cond, uint64_t error)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nrecs; i++)
        n += r->recs[i].type == SWT_REC_COND_WAKE && r->recs[i].f[0] == cond &&
             r->recs[i].f[2] == error;
    return n;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Reads a small /proc file of thread tid into buf ("" if unreadable). */
static void read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/%s", (int)tid, name);
    buf[0] = '\0';
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
}

void hk_wait_blocked(pid_t tid)
{
    /* The kernel names the wait ("futex_do_wait" on 6.x, "futex_wait_queue_me"
     * on older kernels); where wchan is hidden, the syscall the thread is
     * sleeping in says the same. */
    char buf[128], futex_nr[16];
    snprintf(futex_nr, sizeof futex_nr, "%d ", (int)SYS_futex);
    for (;;) {
        read_task_file(tid, "wchan", buf, sizeof buf);
        if (strncmp(buf, "futex", 5) == 0)
            return;
        read_task_file(tid, "syscall", buf, sizeof buf);
        if (strncmp(buf, futex_nr, strlen(futex_nr)) == 0)
            return;
        pause_ms(1);
    }
}

static uint64_t cpu_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hk_wait_spinning(pthread_t th, unsigned ms)
{
    clockid_t clock;
    if (pthread_getcpuclockid(th, &clock) != 0)
        abort();
    uint64_t start = cpu_ns(clock);
    while (cpu_ns(clock) - start < (uint64_t)ms * 1000000u)
        pause_ms(1);
}

struct hk_run hk_group;
static const struct hk_suite *suite_now;

uint32_t hk_id(const char *name)
{
    return hk_lock(&hk_group, hk_addr(&hk_group, name));
}

const struct swt_rec *hk_new(const char *name)
{
    const struct swt_rec *l = hk_lock_new(&hk_group, hk_addr(&hk_group, name), 0);
    if (!l)
        fail_msg("no LOCK_NEW record for %s", name);
    return l;
}

static int group_setup(void **state)
{
    (void)state;
    if (suite_now->workload)
        hk_run_workload(&hk_group, suite_now->workload);
    else
        hk_run_argv(&hk_group, suite_now->argv, NULL);
    if (suite_now->loaded)
        suite_now->loaded();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    hk_free(&hk_group);
    return 0;
}

/* Every workload test: the workload's own checks of results and errno pass
 * natively, with the shim only forwarding, and in profile mode too. */
static void test_same_results_native_forwarding_and_profile(void **state)
{
    (void)state;
    hk_workload_passes(suite_now->workload, NULL);
    hk_workload_passes(suite_now->workload, "disabled");
    hk_workload_passes(suite_now->workload, "profile");
}

int hk_main(int argc, char **argv, const struct hk_suite *suite)
{
    if (argc == 3 && strcmp(argv[1], "--workload") == 0) {
        for (const struct hk_workload *w = suite->workloads; w && w->name; w++)
            if (strcmp(w->name, argv[2]) == 0) {
                int rc = w->fn();
                fflush(stdout);
                return rc;
            }
        fprintf(stderr, "%s: unknown workload %s\n", argv[0], argv[2]);
        return 2;
    }
    if (argc != 1) {
        fprintf(stderr, "usage: %s [--workload NAME]\n", argv[0]);
        return 2;
    }
    suite_now = suite;
    struct CMUnitTest all[64];
    size_t n = 0;
    if (suite->workload)
        all[n++] = (struct CMUnitTest)cmocka_unit_test(
            test_same_results_native_forwarding_and_profile);
    for (size_t i = 0; i < suite->ntests && n < sizeof all / sizeof all[0]; i++)
        all[n++] = suite->tests[i];
    return _cmocka_run_group_tests("hooks", all, n, group_setup, group_teardown);
}
