/* Unit tests of the recorder's configuration and output naming: pure
 * functions, tested in-process. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_format.h"
#include "preload/config.h"
#include "preload/trace_file.h"

static const char *const *fake_env;

static const char *asked[32];
static size_t nasked;

static char *fake_getenv(const char *name)
{
    if (nasked < 32)
        asked[nasked++] = name;
    size_t n = strlen(name);
    for (const char *const *e = fake_env; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return (char *)*e + n + 1;
    return NULL;
}

static void load(struct cfg *c, const char *const *env)
{
    fake_env = env;
    cfg_load(c, fake_getenv);
}

/* Every name cfg_load reads is in the known-name table, so it is never
 * warned about. */
static void test_read_names_are_known(void **state)
{
    (void)state;
    static const char *const env[] = {NULL};
    struct cfg c;
    nasked = 0;
    load(&c, env);
    assert_true(nasked >= 8);
    for (size_t i = 0; i < nasked; i++) {
        if (!cfg_is_known(asked[i]))
            fail_msg("cfg_load reads %s, which is not in config.c's table", asked[i]);
    }
    assert_true(cfg_is_known("SYNCWATCH_RUN_ID=1:2"));
}

static void test_unknown_names(void **state)
{
    (void)state;
    assert_string_equal(cfg_closest_name("SYNCWATCH_OUPUT=/tmp/x"), "SYNCWATCH_OUTPUT");
    assert_string_equal(cfg_closest_name("SYNCWATCH_MDOE=profile"), "SYNCWATCH_MODE");
    assert_string_equal(cfg_closest_name("SYNCWATCH_STACKDEPTH"), "SYNCWATCH_STACK_DEPTH");
    assert_string_equal(cfg_closest_name("SYNCWATCH_QUITE=1"), "SYNCWATCH_QUIET");
    assert_null(cfg_closest_name("SYNCWATCH_X=1"));
    assert_null(cfg_closest_name("SYNCWATCH_COLOUR=1"));
    assert_false(cfg_is_known("SYNCWATCH_OUTPUTS=1"));
    assert_false(cfg_is_known("SYNCWATCH_OUTPU"));
    char *env[] = {(char *)"PATH=/bin", (char *)"SYNCWATCH_OUTPUT=a", (char *)"SYNCWATCH_OUPUT=b",
                   (char *)"SYNCWATCH_WHATEVER", (char *)"XSYNCWATCH_OUPUT=c", NULL};
    assert_int_equal(cfg_check_names(env), 2);
    char *none[] = {(char *)"SYNCWATCH_MODE=trace", NULL};
    assert_int_equal(cfg_check_names(none), 0);
}

static void test_defaults(void **state)
{
    (void)state;
    static const char *const env[] = {NULL};
    struct cfg c;
    load(&c, env);
    assert_int_equal(c.mode, SWT_MODE_TRACE);
    assert_int_equal(c.stack_depth, CFG_DEFAULT_STACK_DEPTH);
    assert_int_equal(c.hold_sample, CFG_DEFAULT_HOLD_SAMPLE);
    assert_int_equal(c.chunk_size, SWT_DEFAULT_CHUNK_SIZE);
    assert_int_equal(c.disabled, 0);
    assert_string_equal(c.output, "");
    assert_string_equal(c.filter, "");
}

static void test_good_values(void **state)
{
    (void)state;
    static const char *const env[] = {
        "SYNCWATCH_MODE=profile", "SYNCWATCH_STACK_DEPTH=0", "SYNCWATCH_HOLD_SAMPLE=1",
        "SYNCWATCH_CHUNK_SIZE=8192", "SYNCWATCH_OUTPUT=trace.log", "SYNCWATCH_FILTER=app",
        "SYNCWATCH_DISABLE=1", "SYNCWATCH_QUIET=1", NULL};
    struct cfg c;
    load(&c, env);
    assert_int_equal(c.mode, SWT_MODE_PROFILE);
    assert_int_equal(c.stack_depth, 0);
    assert_int_equal(c.hold_sample, 1);
    assert_int_equal(c.chunk_size, 8192);
    assert_string_equal(c.output, "trace.log");
    assert_string_equal(c.filter, "app");
    assert_int_equal(c.disabled, 1);
    assert_int_equal(c.quiet, 1);
}

/* Bad values: one line each (quiet here), and the defaults. */
static void test_bad_values(void **state)
{
    (void)state;
    static const char *const env[] = {
        "SYNCWATCH_QUIET=1",        "SYNCWATCH_MODE=fast",         "SYNCWATCH_STACK_DEPTH=-1",
        "SYNCWATCH_HOLD_SAMPLE=0",  "SYNCWATCH_CHUNK_SIZE=5000",   "SYNCWATCH_DISABLE=0",
        NULL};
    struct cfg c;
    load(&c, env);
    assert_int_equal(c.mode, SWT_MODE_TRACE);
    assert_int_equal(c.stack_depth, CFG_DEFAULT_STACK_DEPTH);
    assert_int_equal(c.hold_sample, CFG_DEFAULT_HOLD_SAMPLE);
    assert_int_equal(c.chunk_size, SWT_DEFAULT_CHUNK_SIZE);
    assert_int_equal(c.disabled, 0);
    static const char *const env2[] = {"SYNCWATCH_QUIET=1", "SYNCWATCH_STACK_DEPTH=99999999999999",
                                       "SYNCWATCH_CHUNK_SIZE=1073741824", NULL};
    load(&c, env2);
    assert_int_equal(c.stack_depth, CFG_DEFAULT_STACK_DEPTH);
    assert_int_equal(c.chunk_size, SWT_DEFAULT_CHUNK_SIZE);
}

static void test_expand_path(void **state)
{
    (void)state;
    char out[256];
    assert_int_equal(tf_expand_path("", 42, 0, 0, out, sizeof out), 0);
    assert_string_equal(out, "syncwatch.42.swt");
    assert_int_equal(tf_expand_path("/tmp/", 42, 0, 0, out, sizeof out), 0);
    assert_string_equal(out, "/tmp/syncwatch.42.swt");
    assert_int_equal(tf_expand_path("/tmp", 42, 1, 0, out, sizeof out), 0); /* existing dir */
    assert_string_equal(out, "/tmp/syncwatch.42.swt");
    assert_int_equal(tf_expand_path("/x/trace.log", 42, 0, 0, out, sizeof out), 0);
    assert_string_equal(out, "/x/trace.log");
    assert_int_equal(tf_expand_path("/x/trace.log", 42, 1, 0, out, sizeof out), 0);
    assert_string_equal(out, "/x/trace.log.42");
    assert_int_equal(tf_expand_path("/x/t.%p.swt", 42, 1, 0, out, sizeof out), 0);
    assert_string_equal(out, "/x/t.42.swt");
    assert_int_equal(tf_expand_path("/x/%p-%p", 7, 0, 0, out, sizeof out), 0);
    assert_string_equal(out, "/x/7-7");
    assert_int_equal(tf_expand_path("/a/very/long/name", 42, 0, 0, out, 8), -1);
    /* Later images of one pid (exec): never the earlier image's name. */
    assert_int_equal(tf_expand_path("", 42, 1, 1, out, sizeof out), 0);
    assert_string_equal(out, "syncwatch.42.exec1.swt");
    assert_int_equal(tf_expand_path("/tmp/", 42, 1, 2, out, sizeof out), 0);
    assert_string_equal(out, "/tmp/syncwatch.42.exec2.swt");
    assert_int_equal(tf_expand_path("/x/trace.swt", 42, 1, 1, out, sizeof out), 0);
    assert_string_equal(out, "/x/trace.swt.42.exec1");
    assert_int_equal(tf_expand_path("/x/t.%p.swt", 42, 1, 3, out, sizeof out), 0);
    assert_string_equal(out, "/x/t.42.swt.exec3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_names_are_known),
        cmocka_unit_test(test_unknown_names),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good_values),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_expand_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
