/* analyzer/rec_fields.h names the fields the analyzer reads: every name
 * must sit at the index of that field in the format's schema
 * (common/trace_format.c), and every field the schema has must be named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/rec_fields.h"
#include "common/trace_format.h"

struct named {
    unsigned type;
    int index;
    const char *field; /* the schema's name of that field */
};

/* clang-format off */
#define N(type, index, field) {SWT_REC_##type, index, field}
/* clang-format on */
static const struct named names[] = {
    N(ACQUIRE, RF_LOCKOP_LOCK, "lock"),
    N(ACQUIRE, RF_LOCKOP_FLAGS, "flags"),
    N(ACQUIRE, RF_LOCKOP_SITE, "site"),
    N(WAIT, RF_LOCKOP_LOCK, "lock"),
    N(WAIT, RF_LOCKOP_FLAGS, "flags"),
    N(WAIT, RF_LOCKOP_SITE, "site"),
    N(RELEASE, RF_LOCKOP_LOCK, "lock"),
    N(RELEASE, RF_LOCKOP_FLAGS, "flags"),
    N(RELEASE, RF_LOCKOP_SITE, "site"),
    N(FAIL, RF_LOCKOP_LOCK, "lock"),
    N(FAIL, RF_LOCKOP_FLAGS, "flags"),
    N(FAIL, RF_LOCKOP_SITE, "site"),
    N(FAIL, RF_FAIL_ERROR, "error"),
    N(COND_WAIT, RF_COND_WAIT_COND, "cond"),
    N(COND_WAIT, RF_COND_WAIT_MUTEX, "mutex"),
    N(COND_WAIT, RF_COND_WAIT_SITE, "site"),
    N(COND_WAKE, RF_COND_WAKE_COND, "cond"),
    N(COND_WAKE, RF_COND_WAKE_MUTEX, "mutex"),
    N(COND_WAKE, RF_COND_WAKE_ERROR, "error"),
    N(COND_SIGNAL, RF_COND_SIGNAL_COND, "cond"),
    N(COND_SIGNAL, RF_COND_SIGNAL_FLAGS, "flags"),
    N(COND_SIGNAL, RF_COND_SIGNAL_SITE, "site"),
    N(SEM_POST, RF_SEM_POST_SEM, "sem"),
    N(SEM_POST, RF_SEM_POST_SITE, "site"),
    N(SEM_POST, RF_SEM_POST_VALUE, "value"),
    N(BARRIER_WAIT, RF_BARRIER_WAIT_BARRIER, "barrier"),
    N(BARRIER_WAIT, RF_BARRIER_WAIT_SITE, "site"),
    N(BARRIER_DONE, RF_BARRIER_DONE_BARRIER, "barrier"),
    N(BARRIER_DONE, RF_BARRIER_DONE_ERROR, "error"),
    N(DESTROY, RF_DESTROY_LOCK, "lock"),
    N(DESTROY, RF_DESTROY_SITE, "site"),
    N(DESTROY, RF_DESTROY_ERROR, "error"),
    N(LOCK_NEW, RF_LOCK_NEW_LOCK, "lock"),
    N(LOCK_NEW, RF_LOCK_NEW_KIND, "kind"),
    N(LOCK_NEW, RF_LOCK_NEW_TYPE, "type"),
    N(LOCK_NEW, RF_LOCK_NEW_FLAGS, "flags"),
    N(LOCK_NEW, RF_LOCK_NEW_ADDR, "addr"),
    N(LOCK_NEW, RF_LOCK_NEW_GENERATION, "generation"),
    N(LOCK_NEW, RF_LOCK_NEW_SITE, "site"),
    N(LOCK_NEW, RF_LOCK_NEW_DEV, "dev"),
    N(LOCK_NEW, RF_LOCK_NEW_INO, "ino"),
    N(LOCK_NEW, RF_LOCK_NEW_OFFSET, "offset"),
    N(LOCK_NEW, RF_LOCK_NEW_VALUE, "value"),
    N(THREAD_START, RF_THREAD_START_THREAD, "thread"),
    N(THREAD_START, RF_THREAD_START_PARENT, "parent"),
    N(THREAD_START, RF_THREAD_START_CREATE_SITE, "create_site"),
    N(THREAD_START, RF_THREAD_START_PTHREAD, "pthread"),
    N(THREAD_CREATE, RF_THREAD_CREATE_CHILD, "child"),
    N(THREAD_CREATE, RF_THREAD_CREATE_SITE, "site"),
    N(THREAD_CREATE, RF_THREAD_CREATE_ERROR, "error"),
    N(THREAD_EXIT, RF_THREAD_EXIT_HOW, "how"),
    N(THREAD_EXIT, RF_THREAD_EXIT_NHELD, "nheld"),
    N(THREAD_JOIN, RF_THREAD_JOIN_THREAD, "thread"),
    N(THREAD_JOIN, RF_THREAD_JOIN_SITE, "site"),
    N(THREAD_JOIN, RF_THREAD_JOIN_ERROR, "error"),
    N(THREAD_NAME, RF_THREAD_NAME_THREAD, "thread"),
    N(STACK, RF_STACK_STACK, "stack"),
    N(STACK, RF_STACK_NFRAMES, "nframes"),
    N(MODULE, RF_MODULE_START, "start"),
    N(MODULE, RF_MODULE_END, "end"),
    N(MODULE, RF_MODULE_OFFSET, "offset"),
    N(MODULE, RF_MODULE_BUILD_ID_LEN, "build_id_len"),
    N(FORK, RF_FORK_ROLE, "role"),
    N(FORK, RF_FORK_PID, "pid"),
    N(FORK, RF_FORK_ERROR, "error"),
    N(FORK, RF_FORK_THREAD, "thread"),
    N(PROC_EXIT, RF_PROC_EXIT_HOW, "how"),
    N(PROC_EXIT, RF_PROC_EXIT_STATUS, "status"),
    N(EDGE, RF_EDGE_FROM, "from"),
    N(EDGE, RF_EDGE_TO, "to"),
    N(EDGE, RF_EDGE_FLAGS, "flags"),
    N(EDGE, RF_EDGE_FROM_SITE, "from_site"),
    N(EDGE, RF_EDGE_TO_SITE, "to_site"),
    N(DROPPED, RF_DROPPED_COUNT, "count"),
    N(NOTE, RF_NOTE_CODE, "code"),
    N(JOIN_BEGIN, RF_JOIN_BEGIN_THREAD, "thread"),
    N(JOIN_BEGIN, RF_JOIN_BEGIN_SITE, "site"),
    N(COND_DESTROY_BEGIN, RF_COND_DESTROY_BEGIN_COND, "cond"),
    N(COND_DESTROY_BEGIN, RF_COND_DESTROY_BEGIN_SITE, "site"),
};

static void test_names_match_schema(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct swt_schema *s = swt_schema_of(names[i].type);
        assert_non_null(s);
        if (names[i].index >= s->nfields)
            fail_msg("%s: field %d (%s) beyond the schema's %u fields", s->name, names[i].index,
                     names[i].field, s->nfields);
        if (strcmp(s->fields[names[i].index], names[i].field) != 0)
            fail_msg("%s: field %d is '%s' in the schema, rec_fields.h says '%s'", s->name,
                     names[i].index, s->fields[names[i].index], names[i].field);
    }
}

/* Record types the analyzer reads fields of: each of their fields has a
 * name here (a field added to the schema needs one). */
static void test_every_field_named(void **state)
{
    (void)state;
    static const unsigned read[] = {
        SWT_REC_ACQUIRE,      SWT_REC_WAIT,          SWT_REC_FAIL,        SWT_REC_RELEASE,
        SWT_REC_COND_WAIT,    SWT_REC_COND_WAKE,     SWT_REC_COND_SIGNAL, SWT_REC_SEM_POST,
        SWT_REC_BARRIER_WAIT, SWT_REC_BARRIER_DONE,  SWT_REC_DESTROY,     SWT_REC_LOCK_NEW,
        SWT_REC_THREAD_START, SWT_REC_THREAD_CREATE, SWT_REC_THREAD_EXIT, SWT_REC_THREAD_JOIN,
        SWT_REC_THREAD_NAME,  SWT_REC_STACK,         SWT_REC_MODULE,      SWT_REC_FORK,
        SWT_REC_PROC_EXIT,    SWT_REC_EDGE,          SWT_REC_DROPPED,     SWT_REC_NOTE,
    };
    for (size_t k = 0; k < sizeof read / sizeof read[0]; k++) {
        const struct swt_schema *s = swt_schema_of(read[k]);
        assert_non_null(s);
        for (int f = 0; f < s->nfields; f++) {
            bool found = false;
            for (size_t i = 0; i < sizeof names / sizeof names[0] && !found; i++)
                found = names[i].type == read[k] && names[i].index == f;
            if (!found)
                fail_msg("%s: field %d (%s) has no name in analyzer/rec_fields.h", s->name, f,
                         s->fields[f]);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_match_schema),
        cmocka_unit_test(test_every_field_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
