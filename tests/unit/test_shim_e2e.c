/* The shim under LD_PRELOAD: runs tests/unit/shim_prog.c (which checks
 * return values and errno itself) with the built libsyncwatch.so and
 * checks the traces it leaves.  Label e2e. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/trace_reader.h"
#include "tests/unit/test_tmpdir.h"


/* Runs shim_prog MODE under the shim with SYNCWATCH_OUTPUT=output and
 * stderr into DIR/MODE.err; returns the wait status. */
static int run_prog(const char *mode, const char *output, const char *extra_env)
{
    char errpath[PATH_MAX];
    snprintf(errpath, sizeof errpath, "%s/%s.err", dir, mode);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        setenv("LD_PRELOAD", SW_SHIM, 1);
        setenv("SYNCWATCH_OUTPUT", output, 1);
        unsetenv("SYNCWATCH_RUN_ID");
        unsetenv("SYNCWATCH_MODE");
        if (extra_env)
            putenv((char *)extra_env);
        execl(SW_SHIM_PROG, SW_SHIM_PROG, mode, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return st;
}

static void show_stderr(const char *mode)
{
    char p[PATH_MAX], buf[4096];
    snprintf(p, sizeof p, "%s/%s.err", dir, mode);
    FILE *f = fopen(p, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    if (n)
        print_message("%s stderr:\n%s", mode, buf);
}

/* Opens the only trace in sub (or the one whose header.pid is not
 * except_pid... the first found whose fork_parent_pid == want_parent). */
static struct swt_trace *open_in(const char *sub, int want_fork_child)
{
    char d[PATH_MAX];
    snprintf(d, sizeof d, "%s/%s", dir, sub);
    DIR *dd = opendir(d);
    assert_non_null(dd);
    struct dirent *e;
    struct swt_trace *found = NULL;
    while ((e = readdir(dd))) {
        if (!strstr(e->d_name, ".swt"))
            continue;
        char p[PATH_MAX + 300], err[SWT_ERR_LEN];
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        struct swt_trace *t = swt_open(p, err, sizeof err);
        if (!t)
            fail_msg("%s", err);
        if ((swt_header(t)->fork_parent_pid != 0) == (want_fork_child != 0) && !found)
            found = t;
        else
            swt_close(t);
    }
    closedir(dd);
    assert_non_null(found);
    return found;
}

static int count_type(struct swt_trace *t, unsigned type, int nth, struct swt_rec *out)
{
    struct swt_merge *m = swt_merge_new(t);
    struct swt_rec r = {0};
    char err[SWT_ERR_LEN];
    int n = 0, rc;
    while ((rc = swt_merge_next(m, &r, err, sizeof err)) == 1)
        if (r.type == type) {
            if (n == nth && out)
                *out = r;
            n++;
        }
    swt_merge_free(m);
    assert_int_equal(rc, 0);
    return n;
}

static void out_dir(const char *sub, char *out, size_t len)
{
    snprintf(out, len, "%s/%s/", dir, sub);
    mkdir(out, 0755);
}

static void test_mutex_results(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("mutex", out, sizeof out);
    int st = run_prog("mutex", out, NULL);
    show_stderr("mutex");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_in("mutex", 0);
    struct swt_rec r = {0};
    int n = count_type(t, SWT_REC_ACQUIRE, 0, NULL), owner_dead = 0, contended = 0;
    for (int i = 0; i < n; i++) {
        count_type(t, SWT_REC_ACQUIRE, i, &r);
        owner_dead += (r.f[1] & SWT_ACQ_OWNER_DEAD) != 0;
        contended += (r.f[1] & SWT_ACQ_CONTENDED) != 0;
    }
    assert_int_equal(owner_dead, 1);
    assert_true(contended >= 1);
    int fails = count_type(t, SWT_REC_FAIL, 0, NULL), timedout = 0, deadlk = 0;
    for (int i = 0; i < fails; i++) {
        count_type(t, SWT_REC_FAIL, i, &r);
        timedout += r.f[3] == ETIMEDOUT;
        deadlk += r.f[3] == EDEADLK;
    }
    assert_int_equal(timedout, 1);
    assert_int_equal(deadlk, 2);
    /* A static mutex is announced with SWT_LOCK_STATIC. */
    int locks = count_type(t, SWT_REC_LOCK_NEW, 0, NULL), statics = 0, recursive = 0;
    for (int i = 0; i < locks; i++) {
        count_type(t, SWT_REC_LOCK_NEW, i, &r);
        statics += (r.f[3] & SWT_LOCK_STATIC) != 0;
        recursive += r.f[2] == SWT_TYPE_RECURSIVE;
    }
    assert_true(statics >= 1);
    assert_int_equal(recursive, 1);
    assert_int_equal(swt_warning_count(t), 0);
    swt_close(t);
}

static void test_thread_ends(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("threads", out, sizeof out);
    int st = run_prog("threads", out, NULL);
    show_stderr("threads");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_in("threads", 0);
    int exits = count_type(t, SWT_REC_THREAD_EXIT, 0, NULL);
    assert_int_equal(exits, 3);
    int how[3] = {0};
    for (int i = 0; i < exits; i++) {
        struct swt_rec r = {0};
        count_type(t, SWT_REC_THREAD_EXIT, i, &r);
        assert_int_equal(r.f[1], 1); /* each thread ends holding its lock */
        how[i] = (int)r.f[0];
    }
    assert_int_equal(how[0], SWT_THREAD_EXITED);
    assert_int_equal(how[1], SWT_THREAD_EXITED);
    assert_int_equal(how[2], SWT_THREAD_CANCELED);
    const struct swt_thread_block *b = swt_thread_block(t, 4);
    assert_non_null(b);
    assert_int_equal(b->state, SWT_THREAD_CANCELED);
    assert_int_equal(b->nheld, 1);
    assert_int_equal(count_type(t, SWT_REC_THREAD_NAME, 0, NULL), 1);
    assert_int_equal(count_type(t, SWT_REC_THREAD_JOIN, 0, NULL), 3);
    struct swt_rec r = {0};
    count_type(t, SWT_REC_THREAD_JOIN, 2, &r);
    assert_int_equal(r.f[0], 4);
    swt_close(t);
}

static void test_fork_traces(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("fork", out, sizeof out);
    int st = run_prog("fork", out, NULL);
    show_stderr("fork");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *p = open_in("fork", 0), *c = open_in("fork", 1);
    assert_int_equal(swt_header(c)->fork_parent_pid, swt_header(p)->pid);
    assert_true(swt_header(c)->run_id == swt_header(p)->run_id);
    assert_int_equal(swt_header(c)->state, SWT_PROC_EXITED);
    assert_int_equal(swt_header(c)->exit_status, 5);
    assert_int_equal(count_type(p, SWT_REC_FORK, 0, NULL), 1);
    assert_int_equal(count_type(c, SWT_REC_FORK, 0, NULL), 1);
    assert_int_equal(count_type(c, SWT_REC_RELEASE, 0, NULL), 1);
    assert_true(count_type(c, SWT_REC_MODULE, 0, NULL) > 0);
    swt_close(c);
    swt_close(p);
}

static void test_exit_status(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("exit", out, sizeof out);
    int st = run_prog("exit", out, NULL);
    assert_int_equal(WEXITSTATUS(st), 3);
    struct swt_trace *t = open_in("exit", 0);
    assert_int_equal(swt_header(t)->state, SWT_PROC_EXITED);
    assert_int_equal(swt_header(t)->exit_status, 3);
    assert_true(count_type(t, SWT_REC_MODULE, 0, NULL) > 0);
    swt_close(t);
}

/* The profile mode gives the same edges as the trace mode. */
static void test_profile_edges(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("locks", out, sizeof out);
    int st = run_prog("locks", out, "SYNCWATCH_MODE=profile");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_in("locks", 0);
    assert_int_equal(swt_header(t)->mode, SWT_MODE_PROFILE);
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 0);
    assert_int_equal(count_type(t, SWT_REC_EDGE, 0, NULL), 1);
    assert_true(count_type(t, SWT_REC_STACK, 0, NULL) >= 2);
    swt_close(t);
}

/* Profile mode writes one per-operation record: the EOWNERDEAD acquisition
 * (no RELEASE after it), so that the owner-dead finding is seen. */
static void test_profile_owner_dead(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("mutex-profile", out, sizeof out);
    int st = run_prog("mutex", out, "SYNCWATCH_MODE=profile");
    show_stderr("mutex");
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_in("mutex-profile", 0);
    assert_int_equal(swt_header(t)->mode, SWT_MODE_PROFILE);
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 1);
    struct swt_rec r = {0};
    count_type(t, SWT_REC_ACQUIRE, 0, &r);
    assert_true(r.f[1] & SWT_ACQ_OWNER_DEAD);
    assert_int_equal(count_type(t, SWT_REC_RELEASE, 0, NULL), 0);
    assert_int_equal(count_type(t, SWT_REC_FAIL, 0, NULL), 0);
    swt_close(t);
}

static void test_unwritable_output(void **state)
{
    (void)state;
    int st = run_prog("exit", "/proc/no/such/dir/trace.log", NULL);
    assert_int_equal(WEXITSTATUS(st), 3); /* the program ran on */
    char p[PATH_MAX], buf[2048];
    snprintf(p, sizeof p, "%s/exit.err", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    int lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += buf[i] == '\n';
    assert_int_equal(lines, 1);
    assert_non_null(strstr(buf, "syncwatch: cannot create trace file /proc/no/such/dir/trace.log"));
}

/* The program closes the shim's descriptor and reuses the number: its own
 * file is never written by the shim, and the trace goes on. */
static void test_closed_descriptor(void **state)
{
    (void)state;
    char out[PATH_MAX], victim[PATH_MAX], env[PATH_MAX + 32];
    out_dir("closefds", out, sizeof out);
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    snprintf(env, sizeof env, "SHIM_PROG_VICTIM=%s", victim);
    int st = run_prog("closefds", out, env);
    show_stderr("closefds");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct stat sb;
    assert_int_equal(stat(victim, &sb), 0);
    assert_int_equal(sb.st_size, 7);
    struct swt_trace *t = open_in("closefds", 0);
    assert_int_equal(count_type(t, SWT_REC_ACQUIRE, 0, NULL), 100100);
    assert_int_equal(swt_header(t)->dropped_events, 0);
    swt_close(t);
}

static void test_deepbind_warning(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("deepbind", out, sizeof out);
    int st = run_prog("deepbind", out, NULL);
    assert_int_equal(WEXITSTATUS(st), 0);
    char p[PATH_MAX], buf[2048];
    snprintf(p, sizeof p, "%s/deepbind.err", dir);
    FILE *f = fopen(p, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    assert_non_null(strstr(buf, "RTLD_DEEPBIND"));
    struct swt_trace *t = open_in("deepbind", 0);
    struct swt_rec r = {0};
    assert_int_equal(count_type(t, SWT_REC_DLOPEN, 0, &r), 1);
    assert_true(r.f[0] & RTLD_DEEPBIND);
    assert_int_equal(r.f[1], 2); /* written before the real call: outcome not known */
    assert_int_equal(count_type(t, SWT_REC_NOTE, 0, &r), 1);
    assert_int_equal(r.f[0], SWT_NOTE_DEEPBIND);
    /* The new library's code segment joined the module map (at the latest
     * when the process ended). */
    int modules = count_type(t, SWT_REC_MODULE, 0, NULL), found = 0;
    for (int i = 0; i < modules; i++) {
        count_type(t, SWT_REC_MODULE, i, &r);
        found += r.blob_len > r.f[3] &&
                 (memmem(r.blob, r.blob_len, "libz.so", 7) || memmem(r.blob, r.blob_len, "libm.so", 7));
    }
    assert_true(found >= 1);
    swt_close(t);
}

static void test_c11_threads(void **state)
{
    (void)state;
    char out[PATH_MAX];
    out_dir("c11", out, sizeof out);
    int st = run_prog("c11", out, NULL);
    show_stderr("c11");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct swt_trace *t = open_in("c11", 0);
    assert_int_equal(count_type(t, SWT_REC_THREAD_CREATE, 0, NULL), 2);
    assert_int_equal(count_type(t, SWT_REC_THREAD_START, 0, NULL), 2);
    assert_int_equal(count_type(t, SWT_REC_THREAD_EXIT, 0, NULL), 2);
    assert_int_equal(count_type(t, SWT_REC_THREAD_JOIN, 0, NULL), 2);
    struct swt_rec r = {0};
    count_type(t, SWT_REC_THREAD_JOIN, 0, &r);
    assert_int_equal(r.f[0], 2);
    swt_close(t);
}

/* The LOCK_NEW records of one process-shared mutex carry the same
 * (device, inode, offset) in the parent (init), the fork child (inherited)
 * and through a second mapping (first sight, static). */
static void test_pshared_identity(void **state)
{
    (void)state;
    char out[PATH_MAX], shm[PATH_MAX], env[PATH_MAX + 32];
    out_dir("pshared", out, sizeof out);
    snprintf(shm, sizeof shm, "%s/shared.bin", dir);
    snprintf(env, sizeof env, "SHIM_PROG_VICTIM=%s", shm);
    int st = run_prog("pshared", out, env);
    show_stderr("pshared");
    assert_int_equal(WEXITSTATUS(st), 0);
    struct stat sb;
    assert_int_equal(stat(shm, &sb), 0);
    struct swt_trace *p = open_in("pshared", 0), *c = open_in("pshared", 1);
    struct swt_rec r = {0};
    int n = count_type(p, SWT_REC_LOCK_NEW, 0, NULL), found = 0;
    for (int i = 0; i < n; i++) {
        count_type(p, SWT_REC_LOCK_NEW, i, &r);
        if (!(r.f[3] & SWT_LOCK_PSHARED))
            continue;
        assert_int_equal(r.f[8], sb.st_ino);
        assert_int_equal(r.f[9], 4096 + 64);
        found++;
    }
    assert_int_equal(found, 2); /* init, and the second mapping's first sight */
    n = count_type(c, SWT_REC_LOCK_NEW, 0, NULL);
    found = 0;
    for (int i = 0; i < n; i++) {
        count_type(c, SWT_REC_LOCK_NEW, i, &r);
        if ((r.f[3] & SWT_LOCK_PSHARED) && r.f[8] == (uint64_t)sb.st_ino && r.f[9] == 4096 + 64)
            found++;
    }
    assert_int_equal(found, 1);
    swt_close(c);
    swt_close(p);
}

/* dlopen through the shim keeps glibc's idea of the caller: a bare name is
 * searched with the calling library's RUNPATH. */
static void test_dlopen_runpath(void **state)
{
    (void)state;
    char out[PATH_MAX], env[PATH_MAX + 32];
    out_dir("runpath", out, sizeof out);
    snprintf(env, sizeof env, "SHIM_PROG_VICTIM=%s", SW_RUNPATH_LIB);
    int st = run_prog("runpath", out, env);
    show_stderr("runpath");
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The start of a join and of a condvar destroy are recorded (format 1.1),
 * and a thread blocked in a join says so in its block: here the main
 * thread joins a worker that waits for a lock the main thread holds, and
 * the process is killed in that state. */
static void test_join_wait(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        char out[PATH_MAX], sub[32];
        snprintf(sub, sizeof sub, "joinwait-%d", mode);
        out_dir(sub, out, sizeof out);
        int st = run_prog("joinwait", out, mode ? "SYNCWATCH_MODE=profile" : NULL);
        show_stderr("joinwait");
        assert_true(WIFSIGNALED(st));
        assert_int_equal(WTERMSIG(st), SIGKILL);
        struct swt_trace *t = open_in(sub, 0);
        struct swt_rec r = {0};
        assert_int_equal(count_type(t, SWT_REC_COND_DESTROY_BEGIN, 0, &r), 1);
        uint32_t cond = (uint32_t)r.f[0];
        assert_true(cond != 0);
        if (!mode) { /* trace mode: the DESTROY record follows */
            struct swt_rec d = {0};
            assert_int_equal(count_type(t, SWT_REC_DESTROY, 0, &d), 1);
            assert_int_equal(d.f[0], cond);
            assert_true(d.ns >= r.ns);
        }
        assert_int_equal(count_type(t, SWT_REC_JOIN_BEGIN, 0, &r), 1);
        assert_int_equal(r.thread, 1);
        assert_int_equal(r.f[0], 2); /* the waiter */
        assert_int_equal(count_type(t, SWT_REC_THREAD_JOIN, 0, NULL), 0);
        const struct swt_thread_block *main_b = swt_thread_block(t, 1);
        const struct swt_thread_block *waiter_b = swt_thread_block(t, 2);
        assert_non_null(main_b);
        assert_non_null(waiter_b);
        assert_int_equal(main_b->waiting_join, 2);
        assert_int_equal(main_b->waiting_lock, 0);
        assert_int_equal(main_b->nheld, 1);
        assert_int_equal(waiter_b->waiting_lock, main_b->held[0].lock);
        assert_int_equal(waiter_b->waiting_join, 0);
        swt_close(t);
    }
}

static void test_launcher(void **state)
{
    (void)state;
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd, "%s run --output %s/launch -- %s exit >/dev/null 2>&1",
             SW_LAUNCHER, dir, SW_SHIM_PROG);
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 3); /* the program's status */
    struct swt_trace *t = open_in("launch", 0);
    assert_int_equal(swt_header(t)->exit_status, 3);
    swt_close(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mutex_results),  cmocka_unit_test(test_thread_ends),
        cmocka_unit_test(test_fork_traces),    cmocka_unit_test(test_exit_status),
        cmocka_unit_test(test_profile_edges),  cmocka_unit_test(test_profile_owner_dead),
        cmocka_unit_test(test_unwritable_output),
        cmocka_unit_test(test_closed_descriptor), cmocka_unit_test(test_deepbind_warning),
        cmocka_unit_test(test_c11_threads),    cmocka_unit_test(test_pshared_identity),
        cmocka_unit_test(test_dlopen_runpath), cmocka_unit_test(test_launcher),
        cmocka_unit_test(test_join_wait),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
