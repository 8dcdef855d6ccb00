/* The recorder's entry, initialisation and record writing: lazy atomic
 * set-up on first use (the shim is entered before its constructor and
 * after its destructor, design fact 9), the in-hook guard, per-thread
 * EVENTS chunks, fork and exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/trace_encode.h"
#include "preload/clock.h"
#include "preload/lock_table.h"
#include "preload/log.h"
#include "preload/maps.h"
#include "preload/modules.h"
#include "preload/rec_internal.h"
#include "preload/stacks.h"
#include "preload/trace_file.h"

struct rec_global rec_g;
__thread struct rec_tls rec_tls __attribute__((tls_model("initial-exec")));

#define RUN_ID_ENV "SYNCWATCH_RUN_ID"

uint64_t rec_now(void) { return clock_ticks(); }

/* ---- records ---- */

static void note_dropped(struct rec_thread *t)
{
    t->dropped++;
    if (rec_g.hdr)
        __atomic_fetch_add(&rec_g.hdr->dropped_events, 1, __ATOMIC_RELAXED);
}

/* Moves to a new EVENTS chunk.  The old one is unmapped: its bytes are in
 * the file already, and nothing writes it any more. */
static uint8_t *rollover_body(struct rec_thread *t, size_t need)
{
    uint32_t cs = tf_chunk_size();
    if (need + sizeof(struct swt_chunk_header) + 32 > cs)
        return NULL;
    uint64_t base = t->ev_last_ticks ? t->ev_last_ticks : rec_now();
    struct swt_chunk_header *c = tf_chunk_new(SWT_CHUNK_EVENTS, t->index, t->ev_seq, t->tid, base);
    if (!c)
        return NULL;
    tf_chunk_unmap(t->ev_chunk);
    t->ev_seq++;
    t->ev_chunk = c;
    t->ev_pos = (uint8_t *)(c + 1);
    /* One spare byte stays zero at the end: the reader's end marker. */
    t->ev_end = (uint8_t *)c + cs - 1;
    t->ev_last_ticks = base;
    if (t->dropped) {
        uint64_t f[1] = {t->dropped};
        t->dropped = 0;
        uint8_t *p = t->ev_pos;
        p += swt_encode_ext(p, SWT_REC_DROPPED, 0, f, 1, NULL, 0);
        t->ev_pos = p;
    }
    if ((size_t)(t->ev_end - t->ev_pos) < need)
        return NULL;
    return t->ev_pos;
}

/* The recorder's system calls happen only on paths like this one; each
 * keeps errno, so the hooks' hot paths need not save it. */
__attribute__((noinline)) static uint8_t *rollover(struct rec_thread *t, size_t need)
{
    int saved = errno;
    uint8_t *p = rollover_body(t, need);
    errno = saved;
    return p;
}

uint8_t *rec_reserve(struct rec_thread *t, size_t need)
{
    /* A difference, not ev_pos + need: before the first chunk both are NULL. */
    if (__builtin_expect((size_t)(t->ev_end - t->ev_pos) >= need, 1))
        return t->ev_pos;
    uint8_t *p = rollover(t, need);
    if (!p)
        note_dropped(t);
    return p;
}

static inline uint64_t advance(struct rec_thread *t, uint64_t ticks)
{
    /* Per-thread clock readings do not go backwards with rdtscp or
     * CLOCK_MONOTONIC; clamp anyway so a dt can never wrap. */
    if (ticks < t->ev_last_ticks)
        ticks = t->ev_last_ticks;
    uint64_t dt = ticks - t->ev_last_ticks;
    t->ev_last_ticks = ticks;
    return dt;
}

void rec_write_core(struct rec_thread *t, unsigned type, uint64_t ticks, const uint64_t *f,
                    unsigned n)
{
    uint8_t *p = rec_reserve(t, SWT_MAX_CORE_RECORD);
    if (!p)
        return;
    uint64_t dt = advance(t, ticks);
    t->ev_pos = p + swt_encode_core(p, type, dt, f, n);
    __atomic_store_n(&t->ev_chunk->used,
                     (uint32_t)(t->ev_pos - (uint8_t *)(t->ev_chunk + 1)), __ATOMIC_RELAXED);
}

void rec_write_ext(struct rec_thread *t, unsigned type, uint64_t ticks, const uint64_t *f,
                   unsigned n, const void *blob, size_t blob_len)
{
    /* dt is at most 10 bytes; size it pessimistically before advancing. */
    size_t need = swt_ext_size(UINT64_MAX, f, n, blob_len);
    uint8_t *p = rec_reserve(t, need);
    if (!p)
        return;
    uint64_t dt = advance(t, ticks);
    t->ev_pos = p + swt_encode_ext(p, type, dt, f, n, blob, blob_len);
    __atomic_store_n(&t->ev_chunk->used,
                     (uint32_t)(t->ev_pos - (uint8_t *)(t->ev_chunk + 1)), __ATOMIC_RELAXED);
}

void rec_note(struct rec_thread *t, unsigned code, const char *text)
{
    if (!t)
        return;
    uint64_t f[1] = {code};
    rec_write_ext(t, SWT_REC_NOTE, rec_now(), f, 1, text, text ? strlen(text) : 0);
}

/* ---- initialisation ---- */

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
 * us ("<hex id>:<pid of the process that set it>"); then we are a
 * descendant and must not overwrite its file. */
static void take_run_id(void)
{
    const char *s = getenv(RUN_ID_ENV);
    if (s && *s) {
        char *end;
        uint64_t id = strtoull(s, &end, 16);
        if (*end == ':' && id) {
            long setter = strtol(end + 1, NULL, 10);
            rec_g.run_id = id;
            rec_g.descendant = setter != getpid();
            return;
        }
    }
    uint64_t id = 0;
    if (getrandom(&id, sizeof id, GRND_NONBLOCK) != (ssize_t)sizeof id)
        id = clock_mono_ns() ^ ((uint64_t)getpid() << 32);
    rec_g.run_id = id ? id : 1;
}

/* A relative spec would break in a child that changed directory
 * (design fact 13), so it is made absolute once. */
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
static int open_trace(int fork_parent_pid, uint32_t fork_parent_thread)
{
    rec_g.pid = getpid();
    if (tf_expand_path(rec_g.path_spec, rec_g.pid, rec_g.descendant, rec_g.path,
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
    h->features = rec_g.features;
    h->mode = rec_g.cfg.mode;
    h->run_id = rec_g.run_id;
    h->pid = rec_g.pid;
    h->ppid = getppid();
    h->fork_parent_pid = fork_parent_pid;
    h->fork_parent_thread = fork_parent_thread;
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

static void atfork_prepare(void);
static void atfork_parent(void);
static void atfork_child(void);

static int init_once(void)
{
    struct cfg *c = &rec_g.cfg;
    cfg_load(c, getenv);
    if (c->disabled)
        return -1;
    if (c->filter[0] && filtered_out(c->filter))
        return -1;
    if (lt_setup() != 0) {
        log_msg("syncwatch: no memory for the lock table; running untraced");
        return -1;
    }
    uint64_t q32;
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
    take_run_id();
    make_spec_absolute();
    rec_g.next_thread = 2;
    if (open_trace(0, 0) != 0)
        return -1;
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
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
    int saved = errno;
    struct rec_thread *t = enter_slow_body();
    errno = saved;
    return t;
}

static struct rec_thread *enter_slow_body(void)
{
    if (rec_tls.flags)
        return NULL;
    rec_tls.flags = REC_TLS_BUSY;
    if (ensure_init() != 0) {
        rec_tls.flags = 0;
        return NULL;
    }
    struct rec_thread *t = rec_threads_attach(rec_tls.pending_index);
    rec_tls.pending_index = 0;
    if (!t) {
        rec_tls.flags = REC_TLS_OFF;
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
        snprintf(buf, sizeof buf, "%" PRIx64 ":%d", rec_g.run_id, rec_g.pid);
        setenv(RUN_ID_ENV, buf, 1);
    }
}

/* ---- fork ---- */

static uint32_t fork_thread_index;
/* When the process forked, as seen by the first parent handler: the
 * recorder's handler is registered before the program's, so it runs after
 * every program prepare handler and before every program parent handler
 * (which may unlock what the prepare handlers locked). */
static __thread uint64_t fork_ticks;

/* Profile mode has no ACQUIRE records to tell which locks other threads
 * held at the fork (they stay locked forever in the child): the parent's
 * FORK record carries them, taken here, after the program's prepare
 * handlers. */
static uint8_t fork_held[4096];
static size_t fork_held_len;
static uint32_t fork_held_owner; /* thread index the snapshot belongs to */

static void atfork_prepare(void)
{
    struct rec_thread *t = rec_tls.thr;
    fork_held_len = 0;
    if (t && !rec_tracing() && __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) == REC_READY) {
        fork_held_len = rec_threads_held_snapshot(fork_held, sizeof fork_held, t);
        fork_held_owner = t->index;
    }
    stacks_fork_prepare();
    fork_thread_index = t ? t->index : 0;
}

static void atfork_parent(void)
{
    fork_ticks = rec_now();
    stacks_fork_parent();
}

/* The child runs only the forking thread: it starts its own trace file
 * (the inherited mapping is the parent's), announces again the locks,
 * stacks and modules it refers to, and forgets every other thread. */
static void atfork_child(void)
{
    stacks_fork_child();
    if (__atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    int parent = rec_g.pid;
    tf_forget();
    lt_new_epoch();
    rec_sites_fork_child();
    maps_fork_child();
    modules_forget_reported();
    rec_g.descendant = 1;
    rec_g.next_thread = 2;
    if (open_trace(parent, fork_thread_index) != 0) {
        rec_g.hdr = NULL;
        __atomic_store_n(&rec_g.state, REC_OFF, __ATOMIC_RELEASE);
        rec_tls.thr = NULL;
        rec_tls.flags = REC_TLS_OFF;
        return;
    }
    struct rec_thread *self = rec_tls.thr;
    if (self)
        rec_threads_after_fork_child(self);
}

void rec_fork_done(struct rec_thread *t, int role, int other_pid, int err)
{
    if (!t)
        return;
    if (role == 1)
        rec_threads_write_modules(t);
    uint64_t f[4] = {(uint64_t)role, (uint64_t)(uint32_t)other_pid, (uint64_t)err,
                     role == 1 ? rec_g.hdr->fork_parent_thread : t->index};
    /* The fork hook keeps the thread inside the shim across the real fork,
     * so no record of this thread comes between fork_ticks and this one. */
    uint64_t when = role == 0 && fork_ticks ? fork_ticks : rec_now();
    fork_ticks = 0;
    /* Blob (profile mode, parent): (thread, lock) varint pairs of the locks
     * other threads held at the fork. */
    size_t blob_len = role == 0 && fork_held_owner == t->index ? fork_held_len : 0;
    rec_write_ext(t, SWT_REC_FORK, when, f, 4, fork_held, blob_len);
    fork_held_len = 0;
}

/* ---- process end ---- */

void rec_proc_exit(struct rec_thread *t, unsigned how, int status)
{
    struct swt_file_header *h = rec_g.hdr;
    if (!h || __atomic_load_n(&rec_g.state, __ATOMIC_ACQUIRE) != REC_READY)
        return;
    /* A vfork child shares our memory and runs no atfork handler: its
     * _exit must not end the parent's trace. */
    if (getpid() != rec_g.pid)
        return;
    uint64_t now = rec_now();
    if (t) {
        uint64_t f[2] = {how, (uint64_t)(uint32_t)status};
        rec_write_ext(t, SWT_REC_PROC_EXIT, now, f, 2, NULL, 0);
    }
    h->tick_ns_q32 = clock_recalibrate();
    h->exit_status = status;
    h->end_ticks = now;
    h->locks_registered = lt_ids_used();
    __atomic_store_n(&h->state, how == SWT_EXIT_SIGNAL ? SWT_PROC_SIGNALED : SWT_PROC_EXITED,
                     __ATOMIC_RELEASE);
}

void rec_dlopen(struct rec_thread *t, const char *path, int flags, int ok)
{
    if (!t)
        return;
    uint64_t f[2] = {(uint64_t)(uint32_t)flags, (uint64_t)(ok != 0)};
    rec_write_ext(t, SWT_REC_DLOPEN, rec_now(), f, 2, path, path ? strlen(path) : 0);
#ifdef RTLD_DEEPBIND
    if (flags & RTLD_DEEPBIND) {
        rec_note(t, SWT_NOTE_DEEPBIND, path);
        if (!__atomic_exchange_n(&rec_g.deepbind_warned, 1, __ATOMIC_RELAXED))
            log_msg("syncwatch: %s was opened with RTLD_DEEPBIND: its locks bypass the shim",
                    path ? path : "(main program)");
    }
#endif
    if (ok)
        rec_threads_write_modules(t);
}
