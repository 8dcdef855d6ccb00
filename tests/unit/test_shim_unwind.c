/* The shim's unwinding and the program's descriptors (docs/shim.md,
 * "Guarantees: unwinding and the program's descriptors"): runs
 * tests/unit/unwind_prog.c (which checks its own results) under the built
 * libsyncwatch.so, then checks the trace and the report.  Label e2e. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/trace_reader.h"
#include "tests/unit/test_tmpdir.h"

/* Runs unwind_prog MODE under the shim, traces into DIR/MODE/, stderr into
 * DIR/MODE.err, with only descriptors 0-2 open and a 60 s alarm (kept
 * across exec: a hang ends as SIGALRM, never as a stuck test).  nofile > 0
 * sets RLIMIT_NOFILE.  Returns the wait status. */
static int run_prog(const char *mode, const char *arg, rlim_t nofile)
{
    char sub[PATH_MAX], errpath[PATH_MAX + 8];
    snprintf(sub, sizeof sub, "%s/%s/", dir, mode);
    mkdir(sub, 0755);
    snprintf(errpath, sizeof errpath, "%s/%s.err", dir, mode);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        for (int i = 3; i < 1024; i++)
            close(i);
        setenv("LD_PRELOAD", SW_SHIM, 1);
        setenv("SYNCWATCH_OUTPUT", sub, 1);
        unsetenv("SYNCWATCH_RUN_ID");
        unsetenv("SYNCWATCH_MODE");
        unsetenv("SYNCWATCH_STACK_DEPTH");
        if (nofile) {
            struct rlimit rl = {nofile, nofile};
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        alarm(60);
        execl(SW_UNWIND_PROG, SW_UNWIND_PROG, mode, arg, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    char buf[4096];
    FILE *f = fopen(errpath, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        if (n)
            print_message("%s stderr:\n%s", mode, buf);
    }
    return st;
}

static void assert_exited_ok(int st)
{
    if (WIFSIGNALED(st))
        fail_msg("killed by signal %d%s", WTERMSIG(st),
                 WTERMSIG(st) == SIGALRM ? " (hung for 60 s)" : "");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static struct swt_trace *open_trace(const char *mode)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/%s", dir, mode);
    DIR *dd = opendir(d);
    assert_non_null(dd);
    struct dirent *e;
    struct swt_trace *t = NULL;
    while ((e = readdir(dd)) && !t) {
        if (!strstr(e->d_name, ".swt"))
            continue;
        char p[PATH_MAX + 300], err[SWT_ERR_LEN];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        t = swt_open(p, err, sizeof err);
        if (!t)
            fail_msg("%s", err);
    }
    closedir(dd);
    assert_non_null(t);
    return t;
}

/* Runs syncwatch-report on the mode's traces: returns its exit code and
 * the text in out. */
static int report(const char *mode, char *out, size_t len)
{
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "'%s' '%s/%s' 2>&1", SW_REPORT, dir, mode);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = 0;
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void assert_report_clean(const char *mode)
{
    static char text[1 << 16];
    int rc = report(mode, text, sizeof text);
    if (rc != 0 || strstr(text, "abandoned"))
        fail_msg("report of %s (exit %d):\n%s", mode, rc, text);
}

/* What the tests read from a trace: lock ids by address, stacks by id, and
 * the sites of the acquisitions and releases of one lock. */
#define MAX_STACKS 20000
struct trace_facts {
    uint32_t nstacks;
    uint32_t stack_len[MAX_STACKS];
    uintptr_t stack_ip[MAX_STACKS][4]; /* innermost four frames */
};

static uint32_t lock_id_of(struct swt_trace *t, uintptr_t addr)
{
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    uint32_t id = 0;
    while (swt_merge_next(m, &r, err, sizeof err) == 1)
        if (r.type == SWT_REC_LOCK_NEW && r.f[4] == addr)
            id = (uint32_t)r.f[0];
    swt_merge_free(m);
    return id;
}

static void read_stacks(struct swt_trace *t, struct trace_facts *s)
{
    memset(s, 0, sizeof *s);
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    int rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1) {
        if (r.type != SWT_REC_STACK)
            continue;
        s->nstacks++;
        if (r.f[0] >= MAX_STACKS)
            continue;
        const uint8_t *p = r.blob, *end = r.blob + r.blob_len;
        s->stack_len[r.f[0]] = (uint32_t)r.f[1];
        for (unsigned i = 0; i < 4 && i < r.f[1] && p < end; i++) {
            uint64_t v = 0;
            unsigned shift = 0;
            while (p < end) {
                uint8_t b = *p++;
                v |= (uint64_t)(b & 0x7f) << shift;
                shift += 7;
                if (!(b & 0x80))
                    break;
            }
            s->stack_ip[r.f[0]][i] = (uintptr_t)v;
        }
    }
    swt_merge_free(m);
    assert_int_equal(rc, 0);
}

/* 1. The program's own libunwind, used with a lock held: no hang (the
 * shim's unwinder is a private copy), no finding on libunwind's locks, and
 * the shim's stacks still reach the program's frames. */
static void test_program_uses_libunwind(void **state)
{
    (void)state;
    assert_exited_ok(run_prog("libunwind", NULL, 0));
    assert_report_clean("libunwind");
    struct swt_trace *t = open_trace("libunwind");
    static struct trace_facts s;
    read_stacks(t, &s);
    unsigned deep = 0;
    for (uint32_t i = 0; i < MAX_STACKS; i++)
        deep += s.stack_len[i] >= 4; /* hook's caller, thread start, libc */
    assert_true(deep >= 1);
    swt_close(t);
}

/* 2. Descriptors: the shim takes none of the lowest ones ... */
static void test_first_fd_is_3(void **state)
{
    (void)state;
    assert_exited_ok(run_prog("firstfd", NULL, 0));
    assert_report_clean("firstfd");
}

/* ... never closes, reads or writes one the program reopened ... */
static void test_daemon_reopens_3_and_4(void **state)
{
    (void)state;
    assert_exited_ok(run_prog("daemon", dir, 0));
    assert_report_clean("daemon");
}

/* ... and leaves a program at RLIMIT_NOFILE 6 its three files. */
static void test_nofile_6(void **state)
{
    (void)state;
    assert_exited_ok(run_prog("nofile", NULL, 6));
    struct swt_trace *t = open_trace("nofile");
    assert_int_equal(swt_header(t)->threads_started, 2);
    assert_int_equal(swt_header(t)->dropped_events, 0);
    swt_close(t);
}

/* 6. A lock wrapper called from two places: every acquisition and release
 * keeps its caller's site (frame 1 is the caller's return address). */
static void test_wrapper_keeps_two_sites(void **state)
{
    (void)state;
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/wrapper.out", dir);
    assert_exited_ok(run_prog("wrapper", out, 0));
    assert_report_clean("wrapper");
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    unsigned long addr, lr[2], ur[2];
    int na, nb;
    assert_int_equal(fscanf(f, "%lx %lx %lx %lx %lx %d %d", &addr, &lr[0], &lr[1], &ur[0],
                            &ur[1], &na, &nb),
                     7);
    fclose(f);
    struct swt_trace *t = open_trace("wrapper");
    uint32_t id = lock_id_of(t, addr);
    assert_true(id != 0);
    static struct trace_facts s;
    read_stacks(t, &s);
    int acq[2] = {0, 0}, rel[2] = {0, 0}, other = 0;
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    while (swt_merge_next(m, &r, err, sizeof err) == 1) {
        if ((r.type != SWT_REC_ACQUIRE && r.type != SWT_REC_RELEASE) || r.f[0] != id)
            continue;
        uint64_t site = r.f[2];
        assert_true(site > 0 && site < MAX_STACKS);
        uintptr_t caller = s.stack_ip[site][1];
        unsigned long *want = r.type == SWT_REC_ACQUIRE ? lr : ur;
        int *count = r.type == SWT_REC_ACQUIRE ? acq : rel;
        if (caller == want[0])
            count[0]++;
        else if (caller == want[1])
            count[1]++;
        else if (other++ < 3)
            print_message("%s at site %lu: frames %lx %lx %lx %lx (want %lx or %lx)\n",
                          r.type == SWT_REC_ACQUIRE ? "acquire" : "release",
                          (unsigned long)site, (unsigned long)s.stack_ip[site][0],
                          (unsigned long)s.stack_ip[site][1], (unsigned long)s.stack_ip[site][2],
                          (unsigned long)s.stack_ip[site][3], want[0], want[1]);
    }
    swt_merge_free(m);
    swt_close(t);
    assert_int_equal(other, 0);
    assert_int_equal(acq[0], na);
    assert_int_equal(acq[1], nb);
    assert_int_equal(rel[0], na);
    assert_int_equal(rel[1], nb);
}

/* 7. Locks in a signal handler at a high rate: the program's loop and
 * handler count right, the handler's acquisitions are recorded, and their
 * stacks end at the signal frame, so they do not become one new stack per
 * interrupted instruction. */
static void test_signal_handler_locks(void **state)
{
    (void)state;
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/signal.out", dir);
    assert_exited_ok(run_prog("signal", out, 0));
    assert_report_clean("signal");
    FILE *f = fopen(out, "r");
    assert_non_null(f);
    unsigned long addr;
    int runs;
    assert_int_equal(fscanf(f, "%lx %d", &addr, &runs), 2);
    fclose(f);
    assert_true(runs >= 2000);
    struct swt_trace *t = open_trace("signal");
    uint32_t id = lock_id_of(t, addr);
    assert_true(id != 0);
    static struct trace_facts s;
    read_stacks(t, &s);
    int acquired = 0;
    uint64_t sites[8];
    int nsites = 0;
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    while (swt_merge_next(m, &r, err, sizeof err) == 1) {
        if (r.type != SWT_REC_ACQUIRE || r.f[0] != id)
            continue;
        acquired++;
        int seen = 0;
        for (int i = 0; i < nsites; i++)
            seen |= sites[i] == r.f[2];
        if (!seen && nsites < 8)
            sites[nsites++] = r.f[2];
        else if (!seen)
            nsites++;
    }
    swt_merge_free(m);
    swt_close(t);
    /* A handler that interrupts the shim itself only forwards (in-hook
     * guard; the loop spends most of its time there): some runs are
     * recorded, none twice. */
    print_message("%d handler runs, %d recorded, %d sites, %u stacks\n", runs, acquired, nsites,
                  s.nstacks);
    assert_true(acquired <= runs);
    assert_true(acquired >= 1);
    if (nsites > 2 || s.nstacks > 100)
        fail_msg("%d handler sites, %u stacks in the trace", nsites, s.nstacks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_program_uses_libunwind),
        cmocka_unit_test(test_first_fd_is_3),
        cmocka_unit_test(test_daemon_reopens_3_and_4),
        cmocka_unit_test(test_nofile_6),
        cmocka_unit_test(test_wrapper_keeps_two_sites),
        cmocka_unit_test(test_signal_handler_locks),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
