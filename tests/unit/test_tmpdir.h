/* A scratch directory for a test program's traces, made and removed by the
 * cmocka group setup and teardown: cmocka_run_group_tests(tests, setup_dir,
 * remove_dir).  Tests write their files into `dir`. */
#ifndef SYNCWATCH_TESTS_UNIT_TEST_TMPDIR_H
#define SYNCWATCH_TESTS_UNIT_TEST_TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

static char dir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sw-test.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
