/* The recorder's entry and initialisation: lazy atomic set-up on first
 * use (the shim is entered before its constructor and after its
 * destructor, architecture.md fact 9), the trace file and its header, and the
 * in-hook guard.  Records: rec_records.c; fork and process end:
 * rec_process.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "preload/clock.h"
#include "preload/lock_table.h"
#include "preload/log.h"
#include "preload/rec_internal.h"
#include "preload/stacks.h"
#include "preload/trace_file.h"
#include "preload/watchdog.h"

struct rec_global rec_g;
__thread struct rec_tls rec_tls __attribute__((tls_model("initial-exec")));

#define RUN_ID_ENV "SYNCWATCH_RUN_ID"

static void read_small(const char *path, char *buf, size_t len, int nul_to_space)
{
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return;
    buf[n] = 0;
    if (nul_to_space) {
        while (n > 0 && buf[n - 1] == 0)
            n--;
        buf[n] = 0;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] == 0)
                buf[i] = ' ';
    }
}

static int filtered_out(const char *filter)
{
    char exe[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = 0;
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    return strcmp(base, filter) != 0;
}

/* The run id comes from the environment when a traced ancestor exec'ed
 * us ("<hex id>:<pid of the process that set it>[:<generation>]"): from
 * another pid, we are a descendant and must not overwrite its file; from
 * our own pid with a generation (rec_exec.c), we are the next image of a
 * traced process, whose earlier image's file must survive too. */
static int inherited_clock;
static uint64_t inherited_q32;

static void take_run_id(void)
{
    const char *s = getenv(RUN_ID_ENV);
    if (s && *s) {
        char *end;
        uint64_t id = strtoull(s, &end, 16);
        if (*end == ':' && id) {
            long setter = strtol(end + 1, &end, 10);
            unsigned long gen = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
            if (*end == ':') {
                inherited_clock = 1;
                inherited_q32 = strtoull(end + 1, NULL, 16);
            }
            rec_g.run_id = id;
            if (setter == getpid() && gen > 0 && gen < UINT32_MAX) {
                rec_g.exec_gen = (uint32_t)gen;
                rec_g.descendant = 1; /* named like one: NAME.<pid>.exec<gen> */
            } else {
                rec_g.descendant = setter != getpid();
            }
            return;
        }
    }
    uint64_t id = 0;
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id)
        id = clock_mono_ns() ^ ((uint64_t)getpid() << 32);
    rec_g.run_id = id ? id : 1;
}

/* A relative spec would break in a child that changed directory
 * (architecture.md fact 13), so it is made absolute once. */
static void make_spec_absolute(void)
{
    const char *spec = rec_g.cfg.output;
    if (spec[0] == '/') {
        snprintf(rec_g.path_spec, sizeof rec_g.path_spec, "%s", spec);
        return;
    }
    char cwd[CFG_PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) {
        snprintf(rec_g.path_spec, sizeof rec_g.path_spec, "%s", spec[0] ? spec : "./");
        return;
    }
    size_t need = (size_t)snprintf(rec_g.path_spec, sizeof rec_g.path_spec, "%s/%s", cwd,
                                   spec[0] ? spec : "");
    if (need >= sizeof rec_g.path_spec)
        snprintf(rec_g.path_spec, sizeof rec_g.path_spec, "%s", spec[0] ? spec : "./");
}

/* Creates this process's trace file and fills the header.  0 or -1 (one
 * line on stderr: the program runs on untraced). */
int rec_open_trace(int fork_parent_pid, uint32_t fork_parent_thread)
{
    rec_g.pid = getpid();
    if (tf_expand_path(rec_g.path_spec, rec_g.pid, rec_g.descendant, rec_g.exec_gen, rec_g.path,
                       sizeof rec_g.path) != 0) {
        log_msg("syncwatch: cannot create trace file %s: name too long; running untraced",
                rec_g.path_spec);
        return -1;
    }
    struct swt_file_header *h = tf_create(rec_g.path, rec_g.cfg.chunk_size);
    if (!h) {
        log_msg("syncwatch: cannot create trace file %s: %s; running untraced", rec_g.path,
                strerror(errno));
        return -1;
    }
    if (strcmp(tf_path_used(), rec_g.path) != 0) {
        log_msg("syncwatch: %s exists (never overwritten); writing the trace to %s instead",
                rec_g.path, tf_path_used());
        snprintf(rec_g.path, sizeof rec_g.path, "%s", tf_path_used());
    }
    h->features = rec_g.features;
    h->mode = rec_g.cfg.mode;
    h->run_id = rec_g.run_id;
    h->pid = rec_g.pid;
    h->ppid = getppid();
    h->fork_parent_pid = fork_parent_pid;
    h->fork_parent_thread = fork_parent_thread;
    h->exec_generation = rec_g.exec_gen;
    h->fork_parent_generation = fork_parent_pid ? rec_g.fork_parent_gen : 0;
    uint64_t q32;
    h->clock = clock_setup_done(&q32);
    h->tick_ns_q32 = q32;
    h->stack_depth = rec_g.cfg.stack_depth;
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    h->start_ticks = rec_now();
    h->start_realtime_ns = (uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec;
    h->state = SWT_PROC_RUNNING;
    h->threads_started = 1;
    ssize_t n = readlink("/proc/self/exe", h->exe, sizeof h->exe - 1);
    h->exe[n > 0 ? n : 0] = 0;
    read_small("/proc/self/cmdline", h->cmdline, sizeof h->cmdline, 1);
    rec_g.hdr = h;
    return 0;
}

unsigned long (*rec_getauxval)(unsigned long) = getauxval;

uint64_t rec_clock_q32(void)
{
    uint64_t q32;
    return clock_setup_done(&q32) == SWT_CLOCK_TSC ? q32 : 0;
}

static int init_once(void)
{
    /* A secure-execution process (setuid, setgid, file capabilities) runs
     * with privileges its caller's environment must not steer: no file, no
     * message, nothing read from SYNCWATCH_*; every hook only forwards. */
    if (rec_getauxval(AT_SECURE))
        return -1;
    struct cfg *c = &rec_g.cfg;
    cfg_load(c, getenv);
    if (c->disabled)
        return -1;
    if (c->filter[0] && filtered_out(c->filter))
        return -1;
    /* The first traced process of a run speaks for its descendants: they
     * inherit the same environment. */
    const char *run = getenv(RUN_ID_ENV);
    if (!run || !*run)
        cfg_check_names(environ);
    if (lt_setup() != 0) {
        log_msg("syncwatch: no memory for the lock table; running untraced");
        return -1;
    }
    take_run_id();
    uint64_t q32;
    if (inherited_clock)
        clock_adopt(inherited_q32, &q32);
    else
        clock_setup(&q32);
    if (c->stack_depth && stacks_setup(c->stack_depth) != 0)
        c->stack_depth = 0;
    rec_g.features = SWT_FEAT_PROFILE | SWT_FEAT_EDGES;
    if (c->mode == SWT_MODE_TRACE)
        rec_g.features |= SWT_FEAT_EVENTS;
    else
        rec_g.features |= SWT_FEAT_HOLD_SAMPLED;
    if (c->stack_depth)
        rec_g.features |= SWT_FEAT_STACKS;
    make_spec_absolute();
    rec_g.next_thread = 2;
    if (rec_open_trace(0, 0) != 0)
        return -1;
    rec_process_setup();
    return 0;
}

/* 0: ready; -1: the recorder is off (or being set up by another thread,
 * which this call does not wait for: it forwards instead). */
static int ensure_init(void)
{
    int s = __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE);
    if (__builtin_expect(s == REC_READY, 1))
        return 0;
    if (s != REC_UNINIT)
        return -1;
    int expect = REC_UNINIT;
    if (!__atomic_compare_exchange_n(&rec_g.state, &expect, REC_INITING, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return expect == REC_READY ? 0 : -1;
    int ok = init_once() == 0;
    __atomic_store_n(&rec_g.state, ok ? REC_READY : REC_OFF, __ATOMIC_RELEASE);
    return ok ? 0 : -1;
}

__attribute__((noinline, cold)) static struct rec_thread *enter_slow_body(void);

__attribute__((noinline, cold)) static struct rec_thread *enter_slow(void)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    struct rec_thread *t = enter_slow_body();
    rec_quiet_end(&q);
    return t;
}

/* An event of a thread that has no state in the trace (its thread chunk
 * could not be allocated: a full disk): counted, like the events a traced
 * thread cannot write, so the report says that events were lost. */
static void count_untraced_event(void)
{
    struct swt_file_header *h = rec_g.hdr;
    if (h && __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) == REC_READY)
        __atomic_fetch_add(&h->dropped_events, 1, __ATOMIC_RELAXED);
}

static struct rec_thread *enter_slow_body(void)
{
    if (rec_tls.flags) {
        if (rec_tls.flags == REC_TLS_OFF)
            count_untraced_event();
        return NULL;
    }
    rec_tls.flags = REC_TLS_BUSY;
    if (ensure_init() != 0) {
        rec_tls.flags = 0;
        return NULL;
    }
    struct rec_thread *t = rec_threads_attach(rec_tls.pending_index);
    rec_tls.pending_index = 0;
    if (!t) {
        rec_tls.flags = REC_TLS_OFF;
        count_untraced_event();
        return NULL;
    }
    rec_tls.thr = t;
    return t; /* still busy: the caller's rec_leave clears it */
}

struct rec_thread *rec_enter(void)
{
    struct rec_thread *t = rec_tls.thr;
    if (__builtin_expect(t != NULL && rec_tls.flags == 0, 1)) {
        rec_tls.flags = REC_TLS_BUSY;
        return t;
    }
    return enter_slow();
}

void rec_leave(struct rec_thread *t)
{
    (void)t;
    rec_tls.flags &= ~REC_TLS_BUSY;
}

struct rec_thread *rec_current(void) { return rec_tls.thr; }

void rec_force_leave(void) { rec_tls.flags &= ~REC_TLS_BUSY; }

void rec_init(void)
{
    struct rec_thread *t = rec_enter();
    if (t)
        rec_leave(t);
    if (__atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    /* Exec'ed children find the run id here.  setenv allocates, so it is
     * done from the constructor only, never from a hook. */
    char buf[64];
    const char *cur = getenv(RUN_ID_ENV);
    if (!cur || !*cur) {
        snprintf(buf, sizeof buf, "%" PRIx64 ":%d:0:%" PRIx64, rec_g.run_id, rec_g.pid,
                 rec_clock_q32());
        setenv(RUN_ID_ENV, buf, 1);
    }
    wd_start();
}
