/* exec in the recorder: the image that calls exec finishes its trace (a
 * PROC_EXIT record of how SWT_EXIT_EXEC, the header marked ended) and
 * passes the run on to the next image through the environment it hands to
 * exec: SYNCWATCH_RUN_ID=<run id>:<pid>:<generation>:<clock>, the clock
 * being the TSC calibration (ns per tick, 32.32 hex; 0: CLOCK_MONOTONIC),
 * which spares the new image its own 2 ms calibration.  The new image of the
 * same pid then writes its own file (never the old one's name) whose header
 * says which generation it is, and the analyzer shows the images as one
 * process's life.  Only syncwatch's own variables are replaced, and only
 * when the environment handed to exec still has them: a program that drops
 * SYNCWATCH_RUN_ID starts a new run in the new image. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "preload/clock.h"
#include "preload/rec_internal.h"

#define RUN_ID_NAME "SYNCWATCH_RUN_ID="
#define OUTPUT_NAME "SYNCWATCH_OUTPUT="

static int is_entry(const char *e, const char *name_eq)
{
    return strncmp(e, name_eq, strlen(name_eq)) == 0;
}

char *const *rec_exec_env(char *const envp[], struct rec_exec *x)
{
    x->map = NULL;
    x->map_len = 0;
    if (!envp)
        return envp;
    size_t n = 0, run = SIZE_MAX, out = SIZE_MAX;
    for (; envp[n]; n++) {
        if (run == SIZE_MAX && is_entry(envp[n], RUN_ID_NAME))
            run = n;
        else if (out == SIZE_MAX && is_entry(envp[n], OUTPUT_NAME))
            out = n;
    }
    if (run == SIZE_MAX)
        return envp; /* dropped by the program: the new image starts a new run */
    /* A relative SYNCWATCH_OUTPUT would be taken from the new image's
     * directory, which the program may have changed: pass the absolute
     * spec this image uses (architecture.md fact 13). */
    int fix_out = out != SIZE_MAX && envp[out][strlen(OUTPUT_NAME)] != '/' &&
                  envp[out][strlen(OUTPUT_NAME)] != 0 && rec_g.path_spec[0] == '/';
    size_t strings = 80 + (fix_out ? sizeof OUTPUT_NAME + strlen(rec_g.path_spec) : 0);
    /* exec may run in a child of a multithreaded fork, where malloc may be
     * locked forever: a fresh mapping, gone with the image or unmapped by
     * rec_exec_failed. */
    size_t len = (n + 1) * sizeof(char *) + strings;
    len = (len + 4095) & ~(size_t)4095;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return envp;
    char **env = m;
    char *str = (char *)(env + n + 1);
    memcpy(env, envp, (n + 1) * sizeof(char *));
    int w = snprintf(str, 80, RUN_ID_NAME "%" PRIx64 ":%d:%u:%" PRIx64, rec_g.run_id,
                     rec_g.pid, rec_g.exec_gen + 1, rec_clock_q32());
    env[run] = str;
    if (fix_out)
        snprintf(str + w + 1, strings - (size_t)w - 1, OUTPUT_NAME "%s", rec_g.path_spec);
    if (fix_out)
        env[out] = str + w + 1;
    x->map = m;
    x->map_len = len;
    return env;
}

int rec_exec_begin(struct rec_thread *t)
{
    if (!rec_g.hdr || __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY ||
        getpid() != rec_g.pid)
        return 0; /* a vfork child shares our memory: never end the parent's trace */
    /* t is NULL for a thread the trace has no room for (a full disk): the
     * header is still finished and the run still passed on. */
    rec_proc_exit(t, SWT_EXIT_EXEC, 0);
    return 1;
}

void rec_exec_failed(struct rec_thread *t, const char *path, int err)
{
    struct swt_file_header *h = rec_g.hdr;
    if (!h)
        return;
    /* The image goes on: its trace is open again. */
    h->end_ticks = 0;
    h->exit_status = 0;
    __atomic_store_n(&h->state, SWT_PROC_RUNNING, __ATOMIC_RELEASE);
    if (t) {
        uint64_t f[2] = {(uint64_t)(uint32_t)err, rec_g.exec_gen + 1};
        rec_write_ext(t, SWT_REC_EXEC, rec_now(), f, 2, path, path ? strnlen(path, 512) : 0);
    }
}

void rec_exec_env_free(struct rec_exec *x)
{
    if (x->map)
        munmap(x->map, x->map_len);
    x->map = NULL;
}
