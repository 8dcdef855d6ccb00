/* The end-to-end harness of the hook tests (test_hooks_*.c): runs a program
 * under the built shim, loads the trace it wrote and looks records up.
 *
 * A test binary is usually its own workload: hk_main() runs the workload
 * named by "--workload NAME" (under LD_PRELOAD, in a child) and the cmocka
 * tests otherwise.  A workload prints "name=0x..." lines for the objects the
 * tests look up by address, and exits 0 only if every result and errno it
 * checked in-process was right. */
#ifndef SYNCWATCH_TESTS_HOOKS_HARNESS_H
#define SYNCWATCH_TESTS_HOOKS_HARNESS_H

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <cmocka.h>

#include "common/trace_reader.h"

/* Workload side: a result or errno the workload checks in-process.  On a
 * wrong one it prints which and the workload returns 1 (its exit status,
 * which fails the test that ran it). */
#define HK_CHECK(cond)                                                                 \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            printf("CHECK failed: %s (line %d, errno %d)\n", #cond, __LINE__, errno);  \
            return 1;                                                                  \
        }                                                                              \
    } while (0)

#define HK_OUT_MAX 16384

struct hk_run {
    char dir[256];        /* SYNCWATCH_OUTPUT directory (removed by hk_free) */
    char trace_path[512];
    int status;           /* waitpid status */
    pid_t pid;
    char out[HK_OUT_MAX]; /* the program's stdout */
    struct swt_trace *trace;
    struct swt_rec *recs; /* every record, grouped by thread, in program order */
    size_t nrecs;
};

/* Runs argv (argv[0] a path) with LD_PRELOAD=the shim and SYNCWATCH_OUTPUT
 * set to a fresh directory, plus the NULL-terminated "NAME=value" strings of
 * env (may be NULL); then loads its trace.  Fails the calling cmocka test on
 * any problem. */
void hk_run_argv(struct hk_run *r, char *const argv[], const char *const env[]);
/* Runs this test binary with "--workload name". */
void hk_run_workload(struct hk_run *r, const char *name);
void hk_free(struct hk_run *r);
/* Loads into dst the trace that process pid of run src wrote (a fork child
 * of the program), from src's output directory.  Free dst with hk_free (it
 * leaves the directory to src). */
void hk_load_pid(struct hk_run *dst, const struct hk_run *src, long pid);
/* Runs workload `name` and checks that all its in-process checks of return
 * values and errno pass: natively when mode is NULL (so the expectations
 * are glibc's own behaviour); under the shim with SYNCWATCH_DISABLE=1 when
 * mode is "disabled" (every hook only forwards); else under the shim in
 * SYNCWATCH_MODE=mode, whose trace must then load. */
void hk_workload_passes(const char *name, const char *mode);

/* The address printed as "name=0x..." (fails the test if missing). */
uint64_t hk_addr(const struct hk_run *r, const char *name);
/* The LOCK_NEW record of the n-th (0-based) generation at addr, or NULL. */
const struct swt_rec *hk_lock_new(const struct hk_run *r, uint64_t addr, unsigned n);
/* The lock id of the latest generation at addr (fails the test if none). */
uint32_t hk_lock(const struct hk_run *r, uint64_t addr);

/* The index of the first record at or after *pos of this type on lock
 * (field 0; any lock if lock == 0) whose flags field, if any, has all the
 * bits of `with` and none of `without`; in thread `thread` (0: any).  *pos
 * is left after it.  Returns the record or NULL. */
const struct swt_rec *hk_next(const struct hk_run *r, size_t *pos, uint32_t thread, unsigned type,
                              uint32_t lock, unsigned with, unsigned without);
/* The next core record (type < SWT_EXT_BASE) of thread at or after *pos,
 * skipping ext records (stacks, edges) the recorder writes in between;
 * *pos is left after it.  NULL at the end of the thread's records. */
const struct swt_rec *hk_next_core(const struct hk_run *r, size_t *pos, uint32_t thread);
/* Number of records of this type on lock with those flags (same rules). */
size_t hk_count(const struct hk_run *r, uint32_t thread, unsigned type, uint32_t lock, unsigned with,
                unsigned without);

/* Checks the protocol of every wait on condvar `cond` (any mutex) and
 * returns how many there were: the waiting thread's previous core record
 * is RELEASE(mutex) with SWT_ACQ_COND and the bits of `with`, then
 * COND_WAIT(cond, mutex), COND_WAKE(cond, mutex, error), and, unless error
 * is `no_reacquire`, ACQUIRE(mutex) with SWT_ACQ_COND | with (and
 * SWT_ACQ_CANCELED when error is ECANCELED).  Fails the test otherwise. */
size_t hk_check_cond_waits(const struct hk_run *r, uint32_t cond, unsigned with,
                           uint64_t no_reacquire);
/* Number of COND_WAKE records on cond with this error. */
size_t hk_count_wakes(const struct hk_run *r, uint32_t cond, uint64_t error);

/* Workload side: blocks until thread tid sleeps in a futex wait (it is
 * blocked in a lock), as seen in /proc/self/task/TID/wchan. */
void hk_wait_blocked(pid_t tid);
/* Workload side: blocks until thread th has used `ms` more milliseconds of
 * CPU time (it is spinning). */
void hk_wait_spinning(pthread_t th, unsigned ms);

/* ---- one test binary ---- */

struct hk_workload {
    const char *name;
    int (*fn)(void);
};

/* What a test binary is: its workloads, the run its tests read (this
 * binary's `workload`, or the program `argv` when workload is NULL),
 * `loaded` (may be NULL: looks up what the tests share, after the run), and
 * the cmocka tests. */
struct hk_suite {
    const struct hk_workload *workloads; /* NULL-terminated, or NULL */
    const char *workload;
    char *const *argv;
    void (*loaded)(void);
    const struct CMUnitTest *tests;
    size_t ntests;
};

/* The run of the suite, loaded before its first test. */
extern struct hk_run hk_group;
/* Lock id of the latest generation at the address the group's program
 * printed as name, and its first LOCK_NEW (fail the test if missing). */
uint32_t hk_id(const char *name);
const struct swt_rec *hk_new(const char *name);

/* Runs the workload of "--workload NAME", or the suite's tests, preceded
 * (for a workload suite) by one that runs the workload natively, with
 * SYNCWATCH_DISABLE=1 and in profile mode (hk_workload_passes). */
int hk_main(int argc, char **argv, const struct hk_suite *suite);

#endif
