/* ThreadSanitizer understands libsyncwatch-sync (built only in the TSan
 * tree, -DSW_SANITIZE=thread): each mode of lib_tsan_prog runs in its own
 * process and its stderr is read.  Data protected by any primitive gives
 * no report; unprotected data gives a data race; two sw_mutexes taken in
 * both orders give TSan's lock-order-inversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[65536];

/* Runs lib_tsan_prog MODE; returns its exit status, stderr in err. */
static int run_mode(const char *mode)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        setenv("TSAN_OPTIONS", "halt_on_error=0 exitcode=66 detect_deadlocks=1", 1);
        execl(SW_TSAN_PROG, SW_TSAN_PROG, mode, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    size_t off = 0;
    ssize_t r;
    while (off + 1 < sizeof err && (r = read(p[0], err + off, sizeof err - 1 - off)) > 0)
        off += (size_t)r;
    err[off] = 0;
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void clean(const char *mode)
{
    int rc = run_mode(mode);
    if (strstr(err, "ThreadSanitizer") || rc != 0)
        fprintf(stderr, "mode %s exit %d:\n%s\n", mode, rc, err);
    assert_null(strstr(err, "WARNING: ThreadSanitizer"));
    assert_int_equal(rc, 0);
}

#define CLEAN(mode)                              \
    static void clean_##mode(void **state)       \
    {                                            \
        (void)state;                             \
        clean(#mode);                            \
    }
CLEAN(mutex)
CLEAN(trylock)
CLEAN(timedlock)
CLEAN(recursive)
CLEAN(rwlock)
CLEAN(spin)
CLEAN(sem)
CLEAN(sem_handoff)
CLEAN(cond)
CLEAN(event)
CLEAN(barrier)
CLEAN(once)

static void unprotected_is_a_race(void **state)
{
    (void)state;
    assert_int_equal(run_mode("race"), 66);
    assert_non_null(strstr(err, "WARNING: ThreadSanitizer: data race"));
}

static void inversion_is_reported(void **state)
{
    (void)state;
    assert_int_equal(run_mode("inversion"), 66);
    assert_non_null(strstr(err, "WARNING: ThreadSanitizer: lock-order-inversion"));
    assert_null(strstr(err, "data race"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_mutex),     cmocka_unit_test(clean_trylock),
        cmocka_unit_test(clean_timedlock), cmocka_unit_test(clean_recursive),
        cmocka_unit_test(clean_rwlock),    cmocka_unit_test(clean_spin),
        cmocka_unit_test(clean_sem),       cmocka_unit_test(clean_sem_handoff),
        cmocka_unit_test(clean_cond),      cmocka_unit_test(clean_event),
        cmocka_unit_test(clean_barrier),   cmocka_unit_test(clean_once),
        cmocka_unit_test(unprotected_is_a_race),
        cmocka_unit_test(inversion_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
