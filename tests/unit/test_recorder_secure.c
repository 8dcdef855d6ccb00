/* The recorder in a secure-execution process (getauxval(AT_SECURE) != 0,
 * as in a setuid program): it never starts.  The rec_getauxval seam plays
 * such a process, in a child: no trace file, no message on stderr (even
 * with bad and misspelt SYNCWATCH_* values), no exported run id, and the
 * recorder hands hooks no thread, so they only forward.
 * tests/e2e/test_shim_files.py checks the same with a real setuid-root
 * program where the machine allows it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "preload/rec_internal.h"
#include "tests/unit/test_tmpdir.h"

static unsigned long secure_auxval(unsigned long type)
{
    return type == AT_SECURE ? 1 : getauxval(type);
}

/* In a child: starts the recorder (secure or not) with its stderr in
 * DIR/SUB.err and its trace in DIR/SUB/.  Exit 0 when the recorder is
 * off and exported nothing, 1 when it runs, 2 on a half state. */
static int run_child(const char *sub, int secure)
{
    char out[PATH_MAX], err[PATH_MAX];
    snprintf(out, sizeof out, "%s/%s/", dir, sub);
    snprintf(err, sizeof err, "%s/%s.err", dir, sub);
    mkdir(out, 0700);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        dup2(fd, 2);
        setenv("SYNCWATCH_OUTPUT", out, 1);
        setenv("SYNCWATCH_MODE", "bogus", 1);
        setenv("SYNCWATCH_OUPUT", "misspelt", 1);
        unsetenv("SYNCWATCH_RUN_ID");
        unsetenv("SYNCWATCH_QUIET");
        if (secure)
            rec_getauxval = secure_auxval;
        rec_init();
        struct rec_thread *t = rec_enter();
        int on = t != NULL;
        if (t)
            rec_leave(t);
        int exported = getenv("SYNCWATCH_RUN_ID") != NULL;
        _exit(on && exported ? 1 : !on && !exported ? 0 : 2);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t entries(const char *sub)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    DIR *d = opendir(p);
    assert_non_null(d);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static off_t size_of(const char *name)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_size;
}

static void test_secure_execution_does_nothing(void **state)
{
    (void)state;
    assert_int_equal(run_child("secure", 1), 0);
    assert_int_equal(entries("secure"), 0);
    assert_int_equal(size_of("secure.err"), 0);
}

/* The same child without the seam: the recorder runs, writes its file and
 * complains about the bad values, so the test above is not vacuous. */
static void test_ordinary_process_is_traced(void **state)
{
    (void)state;
    assert_int_equal(run_child("plain", 0), 1);
    assert_int_equal(entries("plain"), 1);
    assert_true(size_of("plain.err") > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secure_execution_does_nothing),
        cmocka_unit_test(test_ordinary_process_is_traced),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
