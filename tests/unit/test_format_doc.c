/* docs/trace-format.md is the written spec: it must state the version the
 * header defines and describe every record type the header knows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/trace_format.h"
#include "syncwatch.h"

static char *doc;

static int load(void **state)
{
    (void)state;
    FILE *f = fopen(SW_FORMAT_DOC, "r");
    if (!f)
        return -1;
    static char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    doc = buf;
    return 0;
}

static void test_version_matches(void **state)
{
    (void)state;
    char want[64];
    snprintf(want, sizeof want, "Format version: **%d.%d**", SWT_VERSION_MAJOR, SWT_VERSION_MINOR);
    assert_non_null(strstr(doc, want));
}

static void test_public_header_agrees(void **state)
{
    (void)state;
    assert_int_equal(SW_TRACE_FORMAT_MAJOR, SWT_VERSION_MAJOR);
    assert_int_equal(SW_TRACE_FORMAT_MINOR, SWT_VERSION_MINOR);
}

static void test_every_record_type_is_described(void **state)
{
    (void)state;
    for (unsigned type = 1; type <= 0xff; type++) {
        const struct swt_schema *s = swt_schema_of(type);
        if (!s)
            continue;
        char row[64];
        snprintf(row, sizeof row, "| 0x%02x | `%s` |", type, s->name);
        if (!strstr(doc, row))
            fail_msg("docs/trace-format.md has no row \"%s\"", row);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_matches),
        cmocka_unit_test(test_every_record_type_is_described),
        cmocka_unit_test(test_public_header_agrees),
    };
    return cmocka_run_group_tests(tests, load, NULL);
}
