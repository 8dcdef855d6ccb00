/* The swgen compiler: parses the trace language of docs/testing.md and lays
 * the records out exactly as the recorder does (header region, per-thread
 * EVENTS chunks written with common/trace_encode.h, THREAD chunks with the
 * held/waiting state and profile slots, STATS chunks for slots that do not
 * fit).  Like the recorder it keeps each thread's held list, writes EDGE
 * records the first time a thread acquires a lock with a given held set, and
 * counts profile statistics, so one scenario text can be written in trace and
 * in profile mode.  Errors unwind with longjmp to swgen_compile, which frees
 * everything: the compiler is short-lived and its inputs are small. */
#include "tests/tools/swgen.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/trace_encode.h"
#include "common/trace_format.h"

#define MAX_THREADS 1024
/* Holds kept per thread, oldest first.  The thread block lists the first
 * SWT_MAX_HELD and counts the others, as the recorder's block does (the
 * recorder keeps the rest in private memory and makes edges from all of
 * them, as swgen does up to this many). */
#define GEN_MAX_HELD 256
#define MAX_TOKS 128
#define DEFAULT_STEP_NS 10
#define DEFAULT_START_TICKS 1000000000ull
#define DEFAULT_REALTIME_NS 1700000000000000000ull

struct tok {
    char *key; /* the whole token, or the part before '=' */
    char *val; /* after '=', or NULL */
    int used;
};

struct glock {
    char *name;
    uint32_t id;
    unsigned kind, type, flags;
    uint64_t addr, gen, site, dev, ino, offset, value;
    char *semname;
    uint32_t last_owner;
    int destroyed; /* a successful destroy was recorded: the next use is a new generation */
};

struct gstack {
    char *name;
    uint32_t id;
};

struct edge_key {
    uint32_t from, to;
    uint64_t flags;
    uint64_t held_hash;
};

struct slot_entry {
    struct swt_stat_slot s;
    int spill; /* put into a STATS chunk even if the block has room */
};

struct gthread {
    int known;
    uint32_t tid;
    int64_t block_chunk;
    int64_t events_chunk;
    uint32_t events_seq;
    uint32_t used;            /* record bytes in the current events chunk */
    uint64_t chunk_prev_ticks; /* dt base of the next record in the chunk */
    uint64_t last_ticks;
    int64_t last_rec_off;     /* file offset of the type byte of the last record */
    /* live state, as the recorder keeps it in the thread block */
    uint32_t state;
    struct swt_held held[GEN_MAX_HELD];
    uint32_t nheld, overflow; /* overflow: holds beyond GEN_MAX_HELD, counted only */
    uint32_t waiting, waiting_flags, waiting_site;
    uint64_t waiting_since;
    uint32_t waiting_join; /* thread index being joined (join-begin .. join) */
    uint64_t wait_began_ns; /* for stats: ns of the pending WAIT */
    uint64_t held_ns[GEN_MAX_HELD]; /* ns at acquisition, for hold stats */
    uint64_t hold_countdown;        /* profile mode: acquisitions until the next timed hold */
    struct edge_key *edges;
    size_t nedges, capedges;
    struct slot_entry *slots;
    size_t nslots, capslots;
    int override; /* thread-state statement given */
};

struct gen {
    const char *name;
    int line;
    char *err;
    size_t errlen;
    jmp_buf fail;

    /* output */
    uint8_t *buf;
    size_t cap;
    uint64_t nchunks;
    struct swt_file_header hdr;
    int hdr_state_set, hdr_end_set, hdr_threads_set, hdr_locks_set, hdr_chunks_set;
    int hdr_features_set, hdr_dropped_set;
    uint64_t chunks_override;

    /* options */
    uint64_t step_ns;
    uint64_t hold_sample; /* profile mode: time 1 hold in N, as SYNCWATCH_HOLD_SAMPLE */
    int auto_start, auto_edges, auto_stats, events;

    /* state */
    uint64_t now_ns;
    struct gthread *threads; /* [cap_threads], grown as threads are mentioned */
    uint32_t cap_threads;
    uint32_t max_thread;
    struct glock *locks;
    size_t nlocks, caplocks;
    uint32_t max_lock_id;
    struct gstack *stacks;
    size_t nstacks, capstacks;
    uint32_t max_stack_id;
    int any_stack_record;
    int64_t last_rec_off;

    /* final damage */
    struct poke {
        uint64_t off;
        uint8_t *bytes;
        size_t n;
    } *pokes;
    size_t npokes, cappokes;
    int tear_all;
    uint32_t *tear_threads;
    size_t ntear;
    int cut_set;
    int64_t cut;

    char *text; /* the writable copy of the input being compiled */

    /* the statement being compiled */
    struct tok toks[MAX_TOKS];
    size_t ntoks;
};

static void fail(struct gen *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void fail(struct gen *g, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g->line > 0)
        snprintf(g->err, g->errlen, "%s:%d: %s", g->name, g->line, msg);
    else
        snprintf(g->err, g->errlen, "%s: %s", g->name, msg);
    longjmp(g->fail, 1);
}

static void *xrealloc(struct gen *g, void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        fail(g, "out of memory");
    return q;
}

static char *xstrdup(struct gen *g, const char *s)
{
    char *d = strdup(s);
    if (!d)
        fail(g, "out of memory");
    return d;
}

#define GROW(g, arr, n, cap)                                                   \
    do {                                                                       \
        if ((n) == (cap)) {                                                    \
            (cap) = (cap) ? 2 * (cap) : 8;                                     \
            (arr) = xrealloc((g), (arr), (cap) * sizeof *(arr));               \
        }                                                                      \
    } while (0)

/* ---- numbers and names ------------------------------------------------ */

static uint64_t parse_u64(struct gen *g, const char *what, const char *s)
{
    if (!s || !*s)
        fail(g, "%s: a number is missing", what);
    char *end;
    errno = 0;
    int neg = s[0] == '-';
    unsigned long long v = strtoull(s + neg, &end, 0);
    if (errno || *end || end == s + neg)
        fail(g, "%s: '%s' is not a number", what, s);
    return neg ? (uint64_t)(-(int64_t)v) : (uint64_t)v;
}

static uint64_t parse_duration_ns(struct gen *g, const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        fail(g, "'%s' is not a time", s);
    double mul = 1;
    if (!strcmp(end, "") || !strcmp(end, "ns"))
        mul = 1;
    else if (!strcmp(end, "us"))
        mul = 1e3;
    else if (!strcmp(end, "ms"))
        mul = 1e6;
    else if (!strcmp(end, "s"))
        mul = 1e9;
    else
        fail(g, "'%s': time unit must be ns, us, ms or s", s);
    double ns = v * mul + 0.5;
    if (ns >= 1.8e19)
        fail(g, "'%s' is too large a time", s);
    return (uint64_t)ns;
}

struct name_val {
    const char *name;
    uint64_t val;
};

static uint64_t lookup(struct gen *g, const char *what, const struct name_val *tab, const char *s,
                       int numbers_ok)
{
    for (const struct name_val *t = tab; t->name; t++)
        if (!strcmp(t->name, s))
            return t->val;
    if (numbers_ok && (isdigit((unsigned char)s[0]) || s[0] == '-'))
        return parse_u64(g, what, s);
    char known[300] = "";
    size_t k = 0;
    for (const struct name_val *t = tab; t->name && k < sizeof known - 40; t++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", k ? ", " : "", t->name);
    fail(g, "%s: unknown value '%s' (one of: %s%s)", what, s, known,
         numbers_ok ? ", a number" : "");
}

static const struct name_val errnos[] = {
    {"0", 0}, {"EBUSY", EBUSY}, {"ETIMEDOUT", ETIMEDOUT}, {"EDEADLK", EDEADLK},
    {"EINVAL", EINVAL}, {"EPERM", EPERM}, {"EOWNERDEAD", EOWNERDEAD},
    {"ENOTRECOVERABLE", ENOTRECOVERABLE}, {"EAGAIN", EAGAIN}, {"EINTR", EINTR},
    {"ENOMEM", ENOMEM}, {"ESRCH", ESRCH}, {"ECANCELED", ECANCELED}, {NULL, 0},
};

static const struct name_val kinds[] = {
    {"mutex", SWT_KIND_MUTEX},   {"rwlock", SWT_KIND_RWLOCK},   {"spin", SWT_KIND_SPIN},
    {"cond", SWT_KIND_COND},     {"barrier", SWT_KIND_BARRIER}, {"sem", SWT_KIND_SEM},
    {"named-sem", SWT_KIND_SEM_NAMED}, {"mtx", SWT_KIND_C11_MTX}, {"cnd", SWT_KIND_C11_CND},
    {NULL, 0},
};

static const struct name_val types[] = {
    {"default", SWT_TYPE_DEFAULT},
    {"normal", SWT_TYPE_NORMAL},
    {"recursive", SWT_TYPE_RECURSIVE},
    {"errorcheck", SWT_TYPE_ERRORCHECK},
    {"adaptive", SWT_TYPE_ADAPTIVE},
    {"prefer-reader", SWT_TYPE_RW_PREFER_READER},
    {"prefer-writer", SWT_TYPE_RW_PREFER_WRITER},
    {"prefer-writer-nonrec", SWT_TYPE_RW_PREFER_WRITER_NONREC},
    {NULL, 0},
};

static const struct name_val lock_flags[] = {
    {"robust", SWT_LOCK_ROBUST}, {"pshared", SWT_LOCK_PSHARED},
    {"static", SWT_LOCK_STATIC}, {"failed-init", SWT_LOCK_FAILED_INIT}, {NULL, 0},
};

static const struct name_val acq_flags[] = {
    {"read", SWT_ACQ_READ},           {"write", SWT_ACQ_WRITE},
    {"try", SWT_ACQ_TRY},             {"timed", SWT_ACQ_TIMED},
    {"contended", SWT_ACQ_CONTENDED}, {"recursive", SWT_ACQ_RECURSIVE},
    {"owner-dead", SWT_ACQ_OWNER_DEAD}, {"cond", SWT_ACQ_COND},
    {"broadcast", SWT_ACQ_BROADCAST}, {"canceled", SWT_ACQ_CANCELED},
    {"c11", SWT_ACQ_C11},             {"spin", SWT_ACQ_SPIN},
    {NULL, 0},
};

static const struct name_val feature_names[] = {
    {"events", SWT_FEAT_EVENTS}, {"profile", SWT_FEAT_PROFILE}, {"edges", SWT_FEAT_EDGES},
    {"stacks", SWT_FEAT_STACKS}, {"hold-sampled", SWT_FEAT_HOLD_SAMPLED}, {NULL, 0},
};

static const struct name_val thread_states[] = {
    {"running", SWT_THREAD_RUNNING}, {"exited", SWT_THREAD_EXITED},
    {"canceled", SWT_THREAD_CANCELED}, {NULL, 0},
};

static const struct name_val proc_states[] = {
    {"running", SWT_PROC_RUNNING}, {"exited", SWT_PROC_EXITED},
    {"signaled", SWT_PROC_SIGNALED}, {NULL, 0},
};

static const struct name_val exit_hows[] = {
    {"exit", SWT_EXIT_EXIT}, {"_exit", SWT_EXIT__EXIT}, {"signal", SWT_EXIT_SIGNAL},
    {"exec", SWT_EXIT_EXEC}, {NULL, 0},
};

static const struct name_val note_codes[] = {
    {"deepbind", SWT_NOTE_DEEPBIND}, {"table-full", SWT_NOTE_TABLE_FULL},
    {"other", SWT_NOTE_OTHER}, {NULL, 0},
};

/* Copies a comma-separated list into buf for strtok_r, so that an error
 * (a longjmp) leaves nothing to free. */
static char *list_copy(struct gen *g, const char *what, const char *s, char *buf, size_t cap)
{
    if (strlen(s) >= cap)
        fail(g, "%s: list too long", what);
    memcpy(buf, s, strlen(s) + 1);
    return buf;
}

/* A comma-separated list of names from tab (or numbers), OR'ed. */
static uint64_t parse_flag_list(struct gen *g, const char *what, const struct name_val *tab,
                                const char *s)
{
    char buf[512], *save = NULL;
    uint64_t v = 0;
    for (char *p = strtok_r(list_copy(g, what, s, buf, sizeof buf), ",", &save); p;
         p = strtok_r(NULL, ",", &save))
        v |= lookup(g, what, tab, p, 1);
    return v;
}

static int is_thread_name(const char *s)
{
    if (s[0] != 'T' || !isdigit((unsigned char)s[1]))
        return 0;
    for (const char *p = s + 1; *p; p++)
        if (!isdigit((unsigned char)*p))
            return 0;
    return 1;
}

static uint32_t thread_index(struct gen *g, const char *s)
{
    if (!strcmp(s, "0"))
        return 0;
    if (!is_thread_name(s))
        fail(g, "'%s' is not a thread (T1, T2, ...)", s);
    unsigned long n = strtoul(s + 1, NULL, 10);
    if (n == 0 || n > MAX_THREADS)
        fail(g, "thread '%s' out of range T1..T%d", s, MAX_THREADS);
    return (uint32_t)n;
}

/* ---- tokens ------------------------------------------------------------ */

static struct tok *find_key(struct gen *g, const char *key)
{
    for (size_t i = 1; i < g->ntoks; i++)
        if (g->toks[i].val && !strcmp(g->toks[i].key, key)) {
            g->toks[i].used = 1;
            return &g->toks[i];
        }
    return NULL;
}

static const char *opt_str(struct gen *g, const char *key)
{
    struct tok *t = find_key(g, key);
    return t ? t->val : NULL;
}

static uint64_t opt_u64(struct gen *g, const char *key, uint64_t def)
{
    const char *v = opt_str(g, key);
    return v ? parse_u64(g, key, v) : def;
}

/* A bare word among the arguments (a flag such as `try`). */
static int opt_word(struct gen *g, const char *word)
{
    for (size_t i = 1; i < g->ntoks; i++)
        if (!g->toks[i].val && !strcmp(g->toks[i].key, word)) {
            g->toks[i].used = 1;
            return 1;
        }
    return 0;
}

/* The n-th unused bare word after the verb at index first (0-based), or NULL. */
static const char *positional(struct gen *g, size_t first)
{
    for (size_t i = first; i < g->ntoks; i++)
        if (!g->toks[i].val && !g->toks[i].used) {
            g->toks[i].used = 1;
            return g->toks[i].key;
        }
    return NULL;
}

static const char *need_positional(struct gen *g, size_t first, const char *what)
{
    const char *s = positional(g, first);
    if (!s)
        fail(g, "%s: missing %s", g->toks[first - 1].key, what);
    return s;
}

static void check_all_used(struct gen *g)
{
    for (size_t i = 0; i < g->ntoks; i++)
        if (!g->toks[i].used)
            fail(g, "unexpected '%s%s%s'", g->toks[i].key, g->toks[i].val ? "=" : "",
                 g->toks[i].val ? g->toks[i].val : "");
}

/* ---- ids ----------------------------------------------------------------- */

static struct glock *find_lock(struct gen *g, const char *name)
{
    for (size_t i = 0; i < g->nlocks; i++)
        if (!strcmp(g->locks[i].name, name))
            return &g->locks[i];
    return NULL;
}

static uint32_t stack_id(struct gen *g, const char *s)
{
    if (isdigit((unsigned char)s[0]))
        return (uint32_t)parse_u64(g, "site", s);
    for (size_t i = 0; i < g->nstacks; i++)
        if (!strcmp(g->stacks[i].name, s))
            return g->stacks[i].id;
    GROW(g, g->stacks, g->nstacks, g->capstacks);
    struct gstack *st = &g->stacks[g->nstacks++];
    st->name = xstrdup(g, s);
    st->id = ++g->max_stack_id;
    return st->id;
}

static uint32_t opt_site(struct gen *g, const char *key)
{
    const char *v = opt_str(g, key);
    return v ? stack_id(g, v) : SWT_NO_SITE;
}

/* ---- output buffer -------------------------------------------------------- */

static uint8_t *chunk_at(struct gen *g, uint64_t k)
{
    return g->buf + SWT_HEADER_REGION + k * g->hdr.chunk_size;
}

static int64_t alloc_chunk(struct gen *g, unsigned kind, uint32_t thread, uint32_t seq,
                           uint64_t base_ticks)
{
    size_t need = SWT_HEADER_REGION + (size_t)(g->nchunks + 1) * g->hdr.chunk_size;
    if (need > (size_t)1 << 32)
        fail(g, "trace larger than 4 GiB");
    if (need > g->cap) {
        size_t cap = g->cap ? g->cap : SWT_HEADER_REGION;
        while (cap < need)
            cap *= 2;
        g->buf = xrealloc(g, g->buf, cap);
        memset(g->buf + g->cap, 0, cap - g->cap);
        g->cap = cap;
    }
    uint64_t k = g->nchunks++;
    struct swt_chunk_header ch = {
        .magic = SWT_CHUNK_MAGIC,
        .kind = (uint16_t)kind,
        .thread = thread,
        .seq = seq,
        .tid = g->threads[thread].tid,
        .used = 0,
        .base_ticks = base_ticks,
    };
    memcpy(chunk_at(g, k), &ch, sizeof ch);
    return (int64_t)k;
}

static uint64_t ns_to_ticks(struct gen *g, uint64_t ns)
{
    if (g->hdr.tick_ns_q32 == (1ull << 32))
        return g->hdr.start_ticks + ns;
    unsigned __int128 t = ((unsigned __int128)ns << 32) / g->hdr.tick_ns_q32;
    return g->hdr.start_ticks + (uint64_t)t;
}

static void emit_start_record(struct gen *g, uint32_t thread, uint32_t parent, uint32_t site,
                              uint64_t pthread);

/* Makes a thread known: its THREAD chunk is allocated on first mention, as
 * the recorder sets up a thread's block when the thread first enters it. */
static struct gthread *touch_thread(struct gen *g, uint32_t idx, int auto_start)
{
    if (idx >= g->cap_threads) {
        /* Only here, on a thread's first mention, can the array move: no
         * caller holds a gthread pointer across a first mention. */
        uint32_t cap = g->cap_threads ? g->cap_threads : 8;
        while (cap <= idx)
            cap *= 2;
        g->threads = xrealloc(g, g->threads, cap * sizeof *g->threads);
        memset(g->threads + g->cap_threads, 0, (cap - g->cap_threads) * sizeof *g->threads);
        g->cap_threads = cap;
    }
    struct gthread *t = &g->threads[idx];
    if (t->known)
        return t;
    t->known = 1;
    if (!t->tid)
        t->tid = (uint32_t)g->hdr.pid + idx - 1;
    t->events_chunk = -1;
    t->last_rec_off = -1;
    t->last_ticks = g->hdr.start_ticks;
    t->hold_countdown = 1;
    t->block_chunk = alloc_chunk(g, SWT_CHUNK_THREAD, idx, 0, 0);
    if (idx > g->max_thread)
        g->max_thread = idx;
    /* the recorder writes no THREAD_START for the main thread */
    if (auto_start && g->auto_start && idx > 1)
        emit_start_record(g, idx, 0, SWT_NO_SITE, 0);
    return t;
}

/* Appends one record to a thread's EVENTS chunk, starting a new chunk when
 * it does not fit, exactly as the recorder rolls over. */
static void emit(struct gen *g, uint32_t idx, unsigned type, const uint64_t *f, unsigned n,
                 const void *blob, size_t blob_len)
{
    struct gthread *t = touch_thread(g, idx, 1);
    uint64_t ticks = ns_to_ticks(g, g->now_ns);
    if (ticks < t->last_ticks)
        fail(g, "time goes backwards in T%u (%llu ns is before its previous record)", idx,
             (unsigned long long)g->now_ns);
    size_t room = g->hdr.chunk_size - sizeof(struct swt_chunk_header);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (t->events_chunk < 0) {
            t->events_chunk = alloc_chunk(g, SWT_CHUNK_EVENTS, idx, t->events_seq++, t->last_ticks);
            t->used = 0;
            t->chunk_prev_ticks = t->last_ticks;
        }
        uint64_t dt = ticks - t->chunk_prev_ticks;
        size_t size;
        if (swt_is_ext(type)) {
            size = swt_ext_size(dt, f, n, blob_len);
        } else {
            size = 1 + swt_varint_len(dt);
            for (unsigned i = 0; i < n; i++)
                size += swt_varint_len(f[i]);
        }
        if (size > room)
            fail(g, "record of %zu bytes does not fit a %u-byte chunk", size, g->hdr.chunk_size);
        if (size > room - t->used) {
            t->events_chunk = -1;
            continue;
        }
        uint8_t *chunk = chunk_at(g, (uint64_t)t->events_chunk);
        uint8_t *rec = chunk + sizeof(struct swt_chunk_header) + t->used;
        if (swt_is_ext(type))
            swt_encode_ext(rec, type, dt, f, n, blob, blob_len);
        else
            swt_encode_core(rec, type, dt, f, n);
        t->used += (uint32_t)size;
        struct swt_chunk_header *ch = (struct swt_chunk_header *)chunk;
        ch->used = t->used;
        t->chunk_prev_ticks = ticks;
        t->last_ticks = ticks;
        t->last_rec_off = rec - g->buf;
        g->last_rec_off = t->last_rec_off;
        return;
    }
    fail(g, "internal error: chunk rollover");
}

static void emit_start_record(struct gen *g, uint32_t thread, uint32_t parent, uint32_t site,
                              uint64_t pthread)
{
    uint64_t f[] = {thread, parent, site, pthread ? pthread : 0x7f0000001000ull + thread * 0x1000};
    emit(g, thread, SWT_REC_THREAD_START, f, 4, NULL, 0);
}

/* ---- locks ------------------------------------------------------------- */

static void emit_lock_new(struct gen *g, uint32_t thread, const struct glock *l)
{
    uint64_t f[] = {l->id,  l->kind, l->type,   l->flags,  l->addr, l->gen,
                    l->site, l->dev, l->ino, l->offset, l->value};
    emit(g, thread, SWT_REC_LOCK_NEW, f, 11, l->semname, l->semname ? strlen(l->semname) : 0);
}

static struct glock *new_lock(struct gen *g, const char *name, unsigned kind)
{
    if (isdigit((unsigned char)name[0]) || is_thread_name(name))
        fail(g, "'%s' cannot name a lock (it looks like a number or a thread)", name);
    GROW(g, g->locks, g->nlocks, g->caplocks);
    struct glock *l = &g->locks[g->nlocks++];
    memset(l, 0, sizeof *l);
    l->name = xstrdup(g, name);
    l->id = ++g->max_lock_id;
    l->kind = kind;
    l->type = SWT_TYPE_DEFAULT;
    l->addr = 0x10000 + (uint64_t)l->id * 0x40;
    l->gen = 0;
    l->value = kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED ? 1 : 0;
    return l;
}

/* The lock of a name; a name not declared with `lock` is declared now, in
 * the using thread, as the recorder registers a lock on first sight. */
/* The next generation of a lock's address gets a new id, as in the
 * recorder's lock table: the name follows the newest one. */
static void renew_lock(struct gen *g, struct glock *l)
{
    l->id = ++g->max_lock_id;
    l->gen++;
    l->destroyed = 0;
    l->last_owner = 0;
}

static struct glock *use_lock(struct gen *g, uint32_t thread, const char *name, unsigned kind)
{
    struct glock *l = find_lock(g, name);
    if (l && !l->destroyed)
        return l;
    if (l) {
        /* first sight after a destroy: registered like a static lock */
        renew_lock(g, l);
        l->flags |= SWT_LOCK_STATIC;
    } else {
        l = new_lock(g, name, kind);
        l->flags = SWT_LOCK_STATIC;
    }
    emit_lock_new(g, thread, l);
    return l;
}

/* Attributes of `lock NAME ...` and `Tn init NAME ...`. */
static void lock_attrs(struct gen *g, struct glock *l)
{
    const char *v;
    if ((v = opt_str(g, "kind")))
        l->kind = (unsigned)lookup(g, "kind", kinds, v, 1);
    if ((v = opt_str(g, "type")))
        l->type = (unsigned)lookup(g, "type", types, v, 1);
    if ((v = opt_str(g, "flags")))
        l->flags = (unsigned)parse_flag_list(g, "flags", lock_flags, v);
    if ((v = opt_str(g, "value")))
        l->value = parse_u64(g, "value", v);
    else if (find_key(g, "kind") && (l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED))
        l->value = 1;
    l->addr = opt_u64(g, "addr", l->addr);
    l->gen = opt_u64(g, "gen", l->gen);
    l->dev = opt_u64(g, "dev", l->dev);
    l->ino = opt_u64(g, "ino", l->ino);
    l->offset = opt_u64(g, "offset", l->offset);
    if ((v = opt_str(g, "site")))
        l->site = stack_id(g, v);
    if ((v = opt_str(g, "semname"))) {
        free(l->semname);
        l->semname = xstrdup(g, v);
    }
}

/* Whether the recorder keeps holds of this lock on the held list:
 * condvars, barriers and counting semaphores are not owned. */
static int holdable(const struct glock *l)
{
    if (l->kind == SWT_KIND_COND || l->kind == SWT_KIND_BARRIER || l->kind == SWT_KIND_C11_CND)
        return 0;
    if ((l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED) && l->value != 1)
        return 0;
    return 1;
}

/* ---- profile statistics ---------------------------------------------------- */

static struct swt_stat_slot *slot_of(struct gen *g, struct gthread *t, uint32_t lock,
                                     uint32_t site)
{
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].s.lock == lock && t->slots[i].s.site == site)
            return &t->slots[i].s;
    GROW(g, t->slots, t->nslots, t->capslots);
    struct slot_entry *e = &t->slots[t->nslots++];
    memset(e, 0, sizeof *e);
    e->s.lock = lock;
    e->s.site = site;
    return &e->s;
}

static void stat_wait(struct swt_stat_slot *s, uint64_t ns)
{
    s->contentions++;
    s->wait_total_ns += ns;
    if (s->contentions == 1 || ns < s->wait_min_ns)
        s->wait_min_ns = ns;
    if (ns > s->wait_max_ns)
        s->wait_max_ns = ns;
    s->wait_hist[swt_hist_bucket(ns)]++;
}

static void stat_hold(struct swt_stat_slot *s, uint64_t ns)
{
    s->hold_samples++;
    s->hold_total_ns += ns;
    if (s->hold_samples == 1 || ns < s->hold_min_ns)
        s->hold_min_ns = ns;
    if (ns > s->hold_max_ns)
        s->hold_max_ns = ns;
}

/* ---- the thread's live state ------------------------------------------------ */

static int held_index(struct gthread *t, uint32_t lock)
{
    for (int i = (int)t->nheld - 1; i >= 0; i--)
        if (t->held[i].lock == lock)
            return i;
    return -1;
}

#define EDGE_FLAG_MASK                                                                     \
    (SWT_ACQ_READ | SWT_ACQ_WRITE | SWT_ACQ_TRY | SWT_ACQ_TIMED | SWT_ACQ_COND | SWT_ACQ_C11 | \
     SWT_ACQ_SPIN)

/* The recorder's rule: one EDGE per (held, new) pair the first time this
 * thread acquires `new` with that set of held locks and those flags. */
static void auto_edges(struct gen *g, uint32_t idx, struct gthread *t, uint32_t lock,
                       unsigned flags, uint32_t site)
{
    uint64_t held_hash = 0; /* of the set: order does not matter */
    for (uint32_t i = 0; i < t->nheld; i++)
        held_hash += (t->held[i].lock * 0x9e3779b97f4a7c15ull) ^ (t->held[i].lock >> 3);
    for (uint32_t i = 0; i < t->nheld; i++) {
        const struct swt_held *h = &t->held[i];
        if (h->lock == lock)
            continue;
        int dup = 0;
        for (uint32_t j = 0; j < i; j++)
            if (t->held[j].lock == h->lock)
                dup = 1;
        if (dup)
            continue;
        uint64_t ef = SWT_EDGE_FLAGS(h->flags & EDGE_FLAG_MASK, flags & EDGE_FLAG_MASK);
        int seen = 0;
        for (size_t k = 0; k < t->nedges; k++) {
            const struct edge_key *e = &t->edges[k];
            if (e->from == h->lock && e->to == lock && e->flags == ef && e->held_hash == held_hash)
                seen = 1;
        }
        if (seen)
            continue;
        GROW(g, t->edges, t->nedges, t->capedges);
        t->edges[t->nedges++] = (struct edge_key){h->lock, lock, ef, held_hash};
        /* The other held locks, the first SWT_MAX_HELD of them. */
        uint8_t blob[SWT_MAX_HELD * 5];
        uint8_t *p = blob;
        uint32_t nb = 0;
        for (uint32_t j = 0; j < t->nheld && nb < SWT_MAX_HELD; j++)
            if (j != i && t->held[j].lock != lock) {
                p = swt_put_varint(p, t->held[j].lock);
                nb++;
            }
        uint64_t f[] = {h->lock, lock, ef, h->site, site};
        emit(g, idx, SWT_REC_EDGE, f, 5, blob, (size_t)(p - blob));
    }
}

static void clear_wait(struct gthread *t)
{
    t->waiting = t->waiting_flags = t->waiting_site = 0;
    t->waiting_since = 0;
}

static void set_wait(struct gen *g, struct gthread *t, uint32_t lock, unsigned flags,
                     uint32_t site)
{
    t->waiting = lock;
    t->waiting_flags = flags;
    t->waiting_site = site;
    t->waiting_since = ns_to_ticks(g, g->now_ns);
    t->wait_began_ns = g->now_ns;
}

static void held_remove(struct gthread *t, int i)
{
    memmove(&t->held[i], &t->held[i + 1], (t->nheld - (uint32_t)i - 1) * sizeof t->held[0]);
    memmove(&t->held_ns[i], &t->held_ns[i + 1],
            (t->nheld - (uint32_t)i - 1) * sizeof t->held_ns[0]);
    t->nheld--;
}

static int is_sem(const struct glock *l)
{
    return l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED;
}

/* An acquisition, as rec_acquired does it: a lock this thread already holds
 * deepens the hold (RECURSIVE is added: recursive mutexes, read re-locks),
 * except a binary semaphore, which starts a new hold; a WAIT before makes it
 * CONTENDED; EDGE records come first, then the ACQUIRE. */
static void do_acquire(struct gen *g, uint32_t idx, struct glock *l, unsigned flags, uint32_t site)
{
    struct gthread *t = &g->threads[idx];
    uint64_t ticks = ns_to_ticks(g, g->now_ns);
    int hold = holdable(l);
    int i = hold ? held_index(t, l->id) : -1;
    if (i >= 0 && is_sem(l)) {
        held_remove(t, i);
        i = -1;
    }
    if (i >= 0) {
        t->held[i].depth++;
        if (t->waiting == l->id)
            clear_wait(t);
        if (g->events) {
            uint64_t f[] = {l->id, flags | SWT_ACQ_RECURSIVE, site};
            emit(g, idx, SWT_REC_ACQUIRE, f, 3, NULL, 0);
        }
        return;
    }
    int waited = t->waiting == l->id;
    if (waited)
        flags |= SWT_ACQ_CONTENDED;
    if (g->auto_stats) {
        struct swt_stat_slot *s = slot_of(g, t, l->id, site);
        s->acquisitions++;
        if (waited)
            stat_wait(s, g->now_ns - t->wait_began_ns);
        if (l->last_owner && l->last_owner != idx)
            s->owner_changes++;
    }
    l->last_owner = idx;
    if (waited)
        clear_wait(t);
    if (g->auto_edges && t->nheld)
        auto_edges(g, idx, t, l->id, flags, site);
    /* The shim writes an EOWNERDEAD acquisition in profile mode too. */
    if (g->events || (flags & SWT_ACQ_OWNER_DEAD)) {
        uint64_t f[] = {l->id, flags, site};
        emit(g, idx, SWT_REC_ACQUIRE, f, 3, NULL, 0);
    }
    if (!hold)
        return;
    if (t->nheld == GEN_MAX_HELD) {
        t->overflow++;
        return;
    }
    /* The recorder reads the clock (and so times the hold) in trace mode,
     * after a wait, and for one acquisition in hold_sample otherwise. */
    int timed = g->events || waited;
    if (!timed && --t->hold_countdown == 0) {
        t->hold_countdown = g->hold_sample;
        timed = 1;
    }
    t->held_ns[t->nheld] = g->now_ns;
    t->held[t->nheld++] = (struct swt_held){l->id, flags & ~(unsigned)SWT_ACQ_CONTENDED, site, 1,
                                            timed ? ticks : 0};
}

/* A release, as rec_released does it: READ/WRITE come from the hold, and
 * RECURSIVE when it only shallows.  Returns the flags to record. */
static unsigned do_release(struct gen *g, uint32_t idx, struct glock *l, unsigned flags)
{
    struct gthread *t = &g->threads[idx];
    int i = held_index(t, l->id);
    if (i < 0) {
        if (t->overflow)
            t->overflow--;
        return flags;
    }
    flags |= t->held[i].flags & (SWT_ACQ_READ | SWT_ACQ_WRITE);
    if (t->held[i].depth > 1) {
        t->held[i].depth--;
        return flags | SWT_ACQ_RECURSIVE;
    }
    if (g->auto_stats && t->held[i].since_ticks)
        stat_hold(slot_of(g, t, l->id, t->held[i].site), g->now_ns - t->held_ns[i]);
    held_remove(t, i);
    return flags;
}

/* A post ends the poster's hold of a binary semaphore, or else the hold of
 * the thread that holds it (the recorder notices that at the holder's next
 * acquisition; the end state is the same). */
static void do_post(struct gen *g, uint32_t idx, struct glock *l)
{
    if (held_index(&g->threads[idx], l->id) >= 0) {
        do_release(g, idx, l, 0);
        return;
    }
    for (uint32_t k = 1; k <= g->max_thread; k++) {
        struct gthread *t = &g->threads[k];
        int i = t->known ? held_index(t, l->id) : -1;
        if (i >= 0) {
            held_remove(t, i);
            return;
        }
    }
}

/* ---- statements ---------------------------------------------------------------- */

static unsigned acq_flag_words(struct gen *g)
{
    unsigned flags = 0;
    for (const struct name_val *f = acq_flags; f->name; f++)
        if (opt_word(g, f->name))
            flags |= (unsigned)f->val;
    const char *v = opt_str(g, "flags");
    if (v)
        flags |= (unsigned)parse_flag_list(g, "flags", acq_flags, v);
    return flags;
}

static uint64_t opt_err(struct gen *g, uint64_t def)
{
    const char *v = opt_str(g, "err");
    return v ? lookup(g, "err", errnos, v, 1) : def;
}

static uint32_t opt_thread(struct gen *g, const char *key, uint32_t def)
{
    const char *v = opt_str(g, key);
    return v ? thread_index(g, v) : def;
}

/* Blob of varint lock ids from "A,B,C"; names not seen before are
 * registered in thread idx, as the recorder would have on first sight. */
static size_t lock_list_blob(struct gen *g, uint32_t idx, const char *list, uint8_t *blob,
                             uint32_t *ids, size_t *nids)
{
    char buf[2048], *save = NULL;
    uint8_t *p = blob;
    *nids = 0;
    for (char *s = strtok_r(list_copy(g, "held", list, buf, sizeof buf), ",", &save); s;
         s = strtok_r(NULL, ",", &save)) {
        if (*nids >= SWT_MAX_HELD)
            fail(g, "more than %d locks in '%s'", SWT_MAX_HELD, list);
        struct glock *l = use_lock(g, idx, s, SWT_KIND_MUTEX);
        ids[(*nids)++] = l->id;
        p = swt_put_varint(p, l->id);
    }
    return (size_t)(p - blob);
}

static void stmt_thread(struct gen *g, uint32_t idx)
{
    const char *verb = g->ntoks > 1 ? g->toks[1].key : NULL;
    if (!verb || g->toks[1].val)
        fail(g, "T%u: a verb is missing (acquire, release, wait, ...)", idx);
    g->toks[1].used = 1;
    int is_start = !strcmp(verb, "start");
    struct gthread *t = touch_thread(g, idx, !is_start);
    const char *v;

    if (!strcmp(verb, "acquire") || !strcmp(verb, "wait") || !strcmp(verb, "fail") ||
        !strcmp(verb, "release")) {
        const char *name = need_positional(g, 2, "lock name");
        struct glock *l = use_lock(g, idx, name, SWT_KIND_MUTEX);
        unsigned flags = acq_flag_words(g);
        uint32_t site = opt_site(g, "site");
        if (!strcmp(verb, "acquire")) {
            do_acquire(g, idx, l, flags, site);
        } else if (!strcmp(verb, "wait")) {
            if (g->events) {
                uint64_t f[] = {l->id, flags, site};
                emit(g, idx, SWT_REC_WAIT, f, 3, NULL, 0);
            }
            set_wait(g, t, l->id, flags, site);
        } else if (!strcmp(verb, "fail")) {
            uint64_t err = opt_err(g, (flags & SWT_ACQ_TRY) ? EBUSY : ETIMEDOUT);
            if (g->events) {
                uint64_t f[] = {l->id, flags, site, err};
                emit(g, idx, SWT_REC_FAIL, f, 4, NULL, 0);
            }
            if (g->auto_stats)
                slot_of(g, t, l->id, site)->failures++;
            if (t->waiting == l->id)
                clear_wait(t);
        } else {
            flags = do_release(g, idx, l, flags);
            if (g->events) {
                uint64_t f[] = {l->id, flags, site};
                emit(g, idx, SWT_REC_RELEASE, f, 3, NULL, 0);
            }
        }
    } else if (!strcmp(verb, "cond-wait") || !strcmp(verb, "cond-wake")) {
        /* ids, not pointers: the second use_lock may move the lock array */
        uint32_t c = use_lock(g, idx, need_positional(g, 2, "condvar name"), SWT_KIND_COND)->id;
        uint32_t m = use_lock(g, idx, need_positional(g, 2, "mutex name"), SWT_KIND_MUTEX)->id;
        int wait = !strcmp(verb, "cond-wait");
        uint64_t third = wait ? opt_site(g, "site") : opt_err(g, 0);
        if (wait)
            set_wait(g, t, c, SWT_ACQ_COND, (uint32_t)third);
        else if (t->waiting == c)
            clear_wait(t);
        if (g->events) {
            uint64_t f[] = {c, m, third};
            emit(g, idx, !strcmp(verb, "cond-wait") ? SWT_REC_COND_WAIT : SWT_REC_COND_WAKE, f,
                 3, NULL, 0);
        }
    } else if (!strcmp(verb, "signal") || !strcmp(verb, "broadcast")) {
        struct glock *c = use_lock(g, idx, need_positional(g, 2, "condvar name"), SWT_KIND_COND);
        unsigned flags = acq_flag_words(g);
        if (!strcmp(verb, "broadcast"))
            flags |= SWT_ACQ_BROADCAST;
        if (g->events) {
            uint64_t f[] = {c->id, flags, opt_site(g, "site")};
            emit(g, idx, SWT_REC_COND_SIGNAL, f, 3, NULL, 0);
        }
    } else if (!strcmp(verb, "post")) {
        struct glock *s = use_lock(g, idx, need_positional(g, 2, "semaphore name"), SWT_KIND_SEM);
        uint32_t site = opt_site(g, "site");
        uint64_t value = opt_u64(g, "value", 0);
        if (g->events) {
            uint64_t f[] = {s->id, site, value};
            emit(g, idx, SWT_REC_SEM_POST, f, 3, NULL, 0);
        }
        do_post(g, idx, s);
    } else if (!strcmp(verb, "barrier-wait") || !strcmp(verb, "barrier-done")) {
        struct glock *b =
            use_lock(g, idx, need_positional(g, 2, "barrier name"), SWT_KIND_BARRIER);
        int wait = !strcmp(verb, "barrier-wait");
        uint64_t second = wait ? opt_site(g, "site") : opt_err(g, 0);
        if (wait)
            set_wait(g, t, b->id, 0, (uint32_t)second);
        else if (t->waiting == b->id)
            clear_wait(t);
        if (g->events) {
            uint64_t f[] = {b->id, second};
            emit(g, idx, wait ? SWT_REC_BARRIER_WAIT : SWT_REC_BARRIER_DONE, f, 2, NULL, 0);
        }
    } else if (!strcmp(verb, "destroy")) {
        struct glock *l = use_lock(g, idx, need_positional(g, 2, "lock name"), SWT_KIND_MUTEX);
        uint64_t err = opt_err(g, 0);
        if (g->events) {
            uint64_t f[] = {l->id, opt_site(g, "site"), err};
            emit(g, idx, SWT_REC_DESTROY, f, 3, NULL, 0);
        }
        if (!err)
            l->destroyed = 1;
    } else if (!strcmp(verb, "init")) {
        const char *name = need_positional(g, 2, "lock name");
        struct glock *l = find_lock(g, name);
        if (!l) {
            l = new_lock(g, name, SWT_KIND_MUTEX);
        } else {
            renew_lock(g, l);
            l->flags &= ~(unsigned)SWT_LOCK_STATIC;
        }
        lock_attrs(g, l);
        emit_lock_new(g, idx, l);
    } else if (!strcmp(verb, "edge")) {
        uint32_t from = use_lock(g, idx, need_positional(g, 2, "from lock"), SWT_KIND_MUTEX)->id;
        uint32_t to = use_lock(g, idx, need_positional(g, 2, "to lock"), SWT_KIND_MUTEX)->id;
        unsigned to_flags = acq_flag_words(g);
        unsigned from_flags = (unsigned)opt_u64(g, "from-flags", 0);
        if ((v = opt_str(g, "from")))
            from_flags |= (unsigned)parse_flag_list(g, "from", acq_flags, v);
        uint8_t blob[SWT_MAX_HELD * 10];
        uint32_t ids[SWT_MAX_HELD];
        size_t nids;
        size_t blen = lock_list_blob(g, idx, (v = opt_str(g, "held")) ? v : "", blob, ids, &nids);
        uint64_t f[] = {from, to, SWT_EDGE_FLAGS(from_flags, to_flags),
                        opt_site(g, "from-site"), opt_site(g, "to-site")};
        emit(g, idx, SWT_REC_EDGE, f, 5, blob, blen);
    } else if (is_start) {
        if (t->last_rec_off >= 0 || t->events_chunk >= 0)
            fail(g, "T%u start: the thread already has records (start must be its first)", idx);
        t->tid = (uint32_t)opt_u64(g, "tid", t->tid);
        ((struct swt_chunk_header *)chunk_at(g, (uint64_t)t->block_chunk))->tid = t->tid;
        uint32_t parent = opt_thread(g, "parent", 0);
        uint32_t site = opt_site(g, "site");
        emit_start_record(g, idx, parent, site, opt_u64(g, "pthread", 0));
    } else if (!strcmp(verb, "join-begin")) {
        /* As rec_thread_join_begin: the block says "waiting in join" until
         * the join record. */
        uint32_t other = thread_index(g, need_positional(g, 2, "thread"));
        uint32_t site = opt_site(g, "site");
        uint64_t f[] = {other, site};
        emit(g, idx, SWT_REC_JOIN_BEGIN, f, 2, NULL, 0);
        t->waiting_join = other;
        t->waiting_site = site;
        t->waiting_since = ns_to_ticks(g, g->now_ns);
    } else if (!strcmp(verb, "cond-destroy-begin")) {
        uint32_t c = use_lock(g, idx, need_positional(g, 2, "condvar name"), SWT_KIND_COND)->id;
        uint64_t f[] = {c, opt_site(g, "site")};
        emit(g, idx, SWT_REC_COND_DESTROY_BEGIN, f, 2, NULL, 0);
    } else if (!strcmp(verb, "create") || !strcmp(verb, "join") || !strcmp(verb, "detach")) {
        uint32_t other = thread_index(g, need_positional(g, 2, "thread"));
        if (!strcmp(verb, "join"))
            t->waiting_join = 0;
        if (!strcmp(verb, "detach")) {
            uint64_t f[] = {other};
            emit(g, idx, SWT_REC_THREAD_DETACH, f, 1, NULL, 0);
        } else {
            uint64_t f[] = {other, opt_site(g, "site"), opt_err(g, 0)};
            emit(g, idx, !strcmp(verb, "create") ? SWT_REC_THREAD_CREATE : SWT_REC_THREAD_JOIN,
                 f, 3, NULL, 0);
        }
    } else if (!strcmp(verb, "exit")) {
        unsigned how = (unsigned)lookup(g, "how", thread_states,
                                        (v = opt_str(g, "how")) ? v : "exited", 1);
        uint8_t blob[SWT_MAX_HELD * 10];
        uint32_t ids[SWT_MAX_HELD];
        size_t nids = 0, blen = 0;
        if ((v = opt_str(g, "held"))) {
            blen = lock_list_blob(g, idx, v, blob, ids, &nids);
        } else {
            /* As the recorder: the ids of the block's holds, the count of
             * all of them. */
            uint8_t *p = blob;
            for (uint32_t i = 0; i < t->nheld && i < SWT_MAX_HELD; i++)
                p = swt_put_varint(p, t->held[i].lock);
            nids = t->nheld + t->overflow;
            blen = (size_t)(p - blob);
        }
        uint64_t f[] = {how, nids};
        emit(g, idx, SWT_REC_THREAD_EXIT, f, 2, blob, blen);
        t->state = how;
        t->waiting_join = 0;
    } else if (!strcmp(verb, "name")) {
        const char *name = need_positional(g, 2, "name");
        uint64_t f[] = {idx};
        emit(g, idx, SWT_REC_THREAD_NAME, f, 1, name, strlen(name));
    } else if (!strcmp(verb, "fork")) {
        uint64_t role, pid;
        if ((v = opt_str(g, "child"))) {
            role = 0;
            pid = parse_u64(g, "child", v);
        } else if ((v = opt_str(g, "parent"))) {
            role = 1;
            pid = parse_u64(g, "parent", v);
        } else {
            fail(g, "fork: say child=PID (in the parent) or parent=PID (in the child)");
        }
        uint64_t f[] = {role, pid, opt_err(g, 0), opt_thread(g, "thread", idx)};
        emit(g, idx, SWT_REC_FORK, f, 4, NULL, 0);
    } else if (!strcmp(verb, "proc-exit")) {
        uint64_t how = lookup(g, "how", exit_hows, (v = opt_str(g, "how")) ? v : "exit", 1);
        uint64_t status = opt_u64(g, "status", 0);
        uint64_t f[] = {how, status};
        emit(g, idx, SWT_REC_PROC_EXIT, f, 2, NULL, 0);
        if (!g->hdr_state_set) {
            g->hdr.state = how == SWT_EXIT_SIGNAL ? SWT_PROC_SIGNALED : SWT_PROC_EXITED;
            g->hdr.exit_status = (int32_t)status;
        }
        if (!g->hdr_end_set)
            g->hdr.end_ticks = ns_to_ticks(g, g->now_ns);
    } else if (!strcmp(verb, "dlopen")) {
        const char *path = need_positional(g, 2, "path");
        uint64_t f[] = {opt_u64(g, "flags", 2), opt_u64(g, "ok", 1)};
        emit(g, idx, SWT_REC_DLOPEN, f, 2, path, strlen(path));
    } else if (!strcmp(verb, "dropped")) {
        uint64_t n = parse_u64(g, "dropped", need_positional(g, 2, "count"));
        uint64_t f[] = {n};
        emit(g, idx, SWT_REC_DROPPED, f, 1, NULL, 0);
        if (!g->hdr_dropped_set)
            g->hdr.dropped_events += n;
    } else if (!strcmp(verb, "note")) {
        uint64_t code = lookup(g, "code", note_codes, (v = opt_str(g, "code")) ? v : "other", 1);
        const char *text = opt_str(g, "text");
        if (!text)
            text = "";
        uint64_t f[] = {code};
        emit(g, idx, SWT_REC_NOTE, f, 1, text, strlen(text));
    } else if (!strcmp(verb, "raw")) {
        uint64_t type = parse_u64(g, "raw", need_positional(g, 2, "record type"));
        if (type == 0 || type > 255)
            fail(g, "raw: type must be 1..255");
        uint64_t f[SWT_MAX_FIELDS * 2];
        unsigned n = 0;
        const char *s;
        while ((s = positional(g, 2))) {
            if (n == sizeof f / sizeof f[0])
                fail(g, "raw: too many fields");
            f[n++] = parse_u64(g, "raw field", s);
        }
        uint8_t blob[1024];
        size_t blen = 0;
        if ((v = opt_str(g, "blob"))) {
            size_t l = strlen(v);
            if (l % 2 || l / 2 > sizeof blob)
                fail(g, "raw: blob must be an even number of hex digits (at most 2048)");
            for (size_t i = 0; i < l / 2; i++) {
                char hx[3] = {v[2 * i], v[2 * i + 1], 0};
                if (!isxdigit((unsigned char)hx[0]) || !isxdigit((unsigned char)hx[1]))
                    fail(g, "raw: '%s' is not hex", v);
                blob[blen++] = (uint8_t)strtoul(hx, NULL, 16);
            }
        }
        if (type < SWT_EXT_BASE && blen)
            fail(g, "raw: a core record has no blob");
        emit(g, idx, (unsigned)type, f, n, blob, blen);
    } else if (!strcmp(verb, "lock") || !strcmp(verb, "stack") || !strcmp(verb, "module")) {
        fail(g, "'%s' is a statement of its own; write '%s ... in=T%u'", verb, verb, idx);
    } else {
        fail(g, "unknown verb '%s'", verb);
    }
}

static void stmt_header(struct gen *g)
{
    if (g->nchunks)
        fail(g, "header must come before the first record");
    const char *v;
    g->hdr.pid = (int32_t)opt_u64(g, "pid", (uint64_t)g->hdr.pid);
    g->hdr.ppid = (int32_t)opt_u64(g, "ppid", (uint64_t)g->hdr.ppid);
    g->hdr.run_id = opt_u64(g, "run", g->hdr.run_id);
    g->hdr.fork_parent_pid =
        (int32_t)opt_u64(g, "fork-parent-pid", (uint64_t)g->hdr.fork_parent_pid);
    g->hdr.fork_parent_thread =
        (uint32_t)opt_u64(g, "fork-parent-thread", g->hdr.fork_parent_thread);
    g->hdr.exec_generation = (uint32_t)opt_u64(g, "exec-gen", g->hdr.exec_generation);
    g->hdr.fork_parent_generation =
        (uint32_t)opt_u64(g, "fork-parent-gen", g->hdr.fork_parent_generation);
    if ((v = opt_str(g, "mode"))) {
        static const struct name_val modes[] = {
            {"profile", SWT_MODE_PROFILE}, {"trace", SWT_MODE_TRACE}, {NULL, 0}};
        g->hdr.mode = (uint32_t)lookup(g, "mode", modes, v, 1);
        g->events = g->hdr.mode != SWT_MODE_PROFILE;
    }
    if ((v = opt_str(g, "chunk"))) {
        uint64_t c = parse_u64(g, "chunk", v);
        if (c % 4096 || c < SWT_MIN_CHUNK_SIZE || c > SWT_MAX_CHUNK_SIZE)
            fail(g, "chunk: %s is not a multiple of 4096 between %u and %u", v,
                 SWT_MIN_CHUNK_SIZE, SWT_MAX_CHUNK_SIZE);
        g->hdr.chunk_size = (uint32_t)c;
    }
    if ((v = opt_str(g, "clock"))) {
        static const struct name_val clocks[] = {
            {"monotonic", SWT_CLOCK_MONOTONIC}, {"tsc", SWT_CLOCK_TSC}, {NULL, 0}};
        g->hdr.clock = (uint32_t)lookup(g, "clock", clocks, v, 1);
    }
    g->hdr.tick_ns_q32 = opt_u64(g, "tick-q32", g->hdr.tick_ns_q32);
    if (!g->hdr.tick_ns_q32)
        fail(g, "tick-q32 must not be 0");
    g->hdr.start_ticks = opt_u64(g, "start", g->hdr.start_ticks);
    g->hdr.start_realtime_ns = opt_u64(g, "realtime", g->hdr.start_realtime_ns);
    g->hdr.stack_depth = (uint32_t)opt_u64(g, "stack-depth", g->hdr.stack_depth);
    if ((v = opt_str(g, "features"))) {
        g->hdr.features = parse_flag_list(g, "features", feature_names, v);
        g->hdr_features_set = 1;
    }
    if ((v = opt_str(g, "events")))
        g->events = parse_u64(g, "events", v) != 0;
    if ((v = opt_str(g, "state"))) {
        g->hdr.state = (uint32_t)lookup(g, "state", proc_states, v, 1);
        g->hdr_state_set = 1;
    }
    if ((v = opt_str(g, "status"))) {
        g->hdr.exit_status = (int32_t)parse_u64(g, "status", v);
        g->hdr_state_set = 1;
    }
    if ((v = opt_str(g, "end"))) {
        g->hdr.end_ticks = parse_u64(g, "end", v);
        g->hdr_end_set = 1;
    }
    if ((v = opt_str(g, "dropped"))) {
        g->hdr.dropped_events = parse_u64(g, "dropped", v);
        g->hdr_dropped_set = 1;
    }
    if ((v = opt_str(g, "threads"))) {
        g->hdr.threads_started = (uint32_t)parse_u64(g, "threads", v);
        g->hdr_threads_set = 1;
    }
    if ((v = opt_str(g, "locks"))) {
        g->hdr.locks_registered = (uint32_t)parse_u64(g, "locks", v);
        g->hdr_locks_set = 1;
    }
    if ((v = opt_str(g, "chunks"))) {
        g->chunks_override = parse_u64(g, "chunks", v);
        g->hdr_chunks_set = 1;
    }
    g->hdr.version_major = (uint16_t)opt_u64(g, "major", g->hdr.version_major);
    g->hdr.version_minor = (uint16_t)opt_u64(g, "minor", g->hdr.version_minor);
    g->hdr.header_size = (uint32_t)opt_u64(g, "header-size", g->hdr.header_size);
    if ((v = opt_str(g, "magic"))) {
        if (strlen(v) > SWT_MAGIC_LEN)
            fail(g, "magic: at most %d characters", SWT_MAGIC_LEN);
        memset(g->hdr.magic, 0, SWT_MAGIC_LEN);
        memcpy(g->hdr.magic, v, strlen(v));
    }
    if ((v = opt_str(g, "exe")))
        snprintf(g->hdr.exe, sizeof g->hdr.exe, "%s", v);
    if ((v = opt_str(g, "cmdline")))
        snprintf(g->hdr.cmdline, sizeof g->hdr.cmdline, "%s", v);
    if ((v = opt_str(g, "step")))
        g->step_ns = parse_duration_ns(g, v);
    if ((v = opt_str(g, "hold-sample"))) {
        g->hold_sample = parse_u64(g, "hold-sample", v);
        if (!g->hold_sample)
            fail(g, "hold-sample must be at least 1");
    }
    if ((v = opt_str(g, "auto-start")))
        g->auto_start = parse_u64(g, "auto-start", v) != 0;
    if ((v = opt_str(g, "edges"))) {
        if (strcmp(v, "auto") && strcmp(v, "manual"))
            fail(g, "edges: auto or manual");
        g->auto_edges = !strcmp(v, "auto");
    }
    if ((v = opt_str(g, "stats"))) {
        if (strcmp(v, "auto") && strcmp(v, "manual"))
            fail(g, "stats: auto or manual");
        g->auto_stats = !strcmp(v, "auto");
    }
}

static uint32_t opt_in(struct gen *g)
{
    uint32_t in = opt_thread(g, "in", 1);
    if (!in)
        fail(g, "in: a thread T1, T2, ...");
    return in;
}

static void stmt_lock(struct gen *g)
{
    const char *name = need_positional(g, 1, "lock name");
    if (find_lock(g, name))
        fail(g, "lock '%s' is already declared (use 'Tn init %s' to re-initialise it)", name,
             name);
    struct glock *l = new_lock(g, name, SWT_KIND_MUTEX);
    const char *v = opt_str(g, "id");
    if (v) {
        uint64_t id = parse_u64(g, "id", v);
        if (!id || id > UINT32_MAX)
            fail(g, "id: 1..2^32-1");
        l->id = (uint32_t)id;
        if (l->id > g->max_lock_id)
            g->max_lock_id = l->id;
        else
            g->max_lock_id--; /* give back the id new_lock took */
    }
    lock_attrs(g, l);
    uint32_t in = opt_in(g);
    if (!opt_word(g, "norecord"))
        emit_lock_new(g, in, l);
}

static void stmt_stack(struct gen *g)
{
    const char *name = need_positional(g, 1, "stack name");
    uint32_t id;
    const char *v = opt_str(g, "id");
    if (v) {
        if (isdigit((unsigned char)name[0]))
            fail(g, "stack: give a name or id=, not a number and id=");
        id = (uint32_t)parse_u64(g, "id", v);
        GROW(g, g->stacks, g->nstacks, g->capstacks);
        g->stacks[g->nstacks].name = xstrdup(g, name);
        g->stacks[g->nstacks++].id = id;
        if (id > g->max_stack_id)
            g->max_stack_id = id;
    } else {
        id = stack_id(g, name);
    }
    uint8_t blob[64 * 10];
    uint8_t *p = blob;
    uint64_t n = 0;
    const char *s;
    while ((s = positional(g, 1))) {
        if (n == 64)
            fail(g, "stack: at most 64 frames");
        p = swt_put_varint(p, parse_u64(g, "frame", s));
        n++;
    }
    uint64_t f[] = {id, n};
    emit(g, opt_in(g), SWT_REC_STACK, f, 2, blob, (size_t)(p - blob));
    g->any_stack_record = 1;
}

static void stmt_module(struct gen *g)
{
    const char *path = need_positional(g, 1, "path");
    uint8_t blob[4096 + 64];
    size_t blen = 0;
    const char *v = opt_str(g, "build-id");
    if (v) {
        size_t l = strlen(v);
        if (l % 2 || l / 2 > 64)
            fail(g, "build-id: an even number of hex digits, at most 128");
        for (size_t i = 0; i < l / 2; i++) {
            char hx[3] = {v[2 * i], v[2 * i + 1], 0};
            if (!isxdigit((unsigned char)hx[0]) || !isxdigit((unsigned char)hx[1]))
                fail(g, "build-id: '%s' is not hex", v);
            blob[blen++] = (uint8_t)strtoul(hx, NULL, 16);
        }
    }
    size_t idlen = blen;
    if (strlen(path) > 4096)
        fail(g, "module: path too long");
    memcpy(blob + blen, path, strlen(path));
    blen += strlen(path);
    uint64_t f[] = {opt_u64(g, "start", 0x400000), opt_u64(g, "end", 0x500000),
                    opt_u64(g, "offset", 0), idlen};
    emit(g, opt_in(g), SWT_REC_MODULE, f, 4, blob, blen);
    g->any_stack_record = 1;
}

static void stmt_thread_state(struct gen *g)
{
    uint32_t idx = thread_index(g, need_positional(g, 1, "thread"));
    struct gthread *t = touch_thread(g, idx, 1);
    const char *v;
    t->override = 1;
    if ((v = opt_str(g, "state")))
        t->state = (uint32_t)lookup(g, "state", thread_states, v, 1);
    if ((v = opt_str(g, "waiting"))) {
        struct glock *l = find_lock(g, v);
        if (!l)
            fail(g, "waiting: lock '%s' must be used or declared before", v);
        t->waiting = l->id;
        t->waiting_since = ns_to_ticks(g, g->now_ns);
        t->waiting_flags = (unsigned)parse_flag_list(
            g, "waiting-flags", acq_flags, (v = opt_str(g, "waiting-flags")) ? v : "0");
        t->waiting_site = opt_site(g, "waiting-site");
    }
    if ((v = opt_str(g, "held"))) {
        uint8_t blob[SWT_MAX_HELD * 10];
        uint32_t ids[SWT_MAX_HELD];
        size_t nids;
        lock_list_blob(g, idx, v, blob, ids, &nids);
        t->nheld = (uint32_t)nids;
        for (size_t i = 0; i < nids; i++)
            t->held[i] = (struct swt_held){ids[i], 0, 0, 1, ns_to_ticks(g, g->now_ns)};
    }
    t->overflow = (uint32_t)opt_u64(g, "overflow", t->overflow);
    if ((v = opt_str(g, "joining")))
        t->waiting_join = thread_index(g, v);
}

static void stmt_stat(struct gen *g)
{
    uint32_t idx = thread_index(g, need_positional(g, 1, "thread"));
    struct gthread *t = touch_thread(g, idx, 1);
    struct glock *l = use_lock(g, idx, need_positional(g, 1, "lock"), SWT_KIND_MUTEX);
    uint32_t site = opt_site(g, "site");
    struct swt_stat_slot *s = slot_of(g, t, l->id, site);
    s->acquisitions = opt_u64(g, "acq", s->acquisitions);
    s->contentions = opt_u64(g, "cont", s->contentions);
    s->failures = opt_u64(g, "fail", s->failures);
    s->wait_total_ns = opt_u64(g, "wait-total", s->wait_total_ns);
    s->wait_min_ns = opt_u64(g, "wait-min", s->wait_min_ns);
    s->wait_max_ns = opt_u64(g, "wait-max", s->wait_max_ns);
    s->hold_samples = opt_u64(g, "hold-samples", s->hold_samples);
    s->hold_total_ns = opt_u64(g, "hold-total", s->hold_total_ns);
    s->hold_min_ns = opt_u64(g, "hold-min", s->hold_min_ns);
    s->hold_max_ns = opt_u64(g, "hold-max", s->hold_max_ns);
    s->owner_changes = opt_u64(g, "owners", s->owner_changes);
    const char *v = opt_str(g, "hist");
    if (v) {
        memset(s->wait_hist, 0, sizeof s->wait_hist);
        char buf[1024], *save = NULL;
        for (char *p = strtok_r(list_copy(g, "hist", v, buf, sizeof buf), ",", &save); p;
             p = strtok_r(NULL, ",", &save)) {
            unsigned b;
            unsigned long long c;
            int end = 0;
            if (sscanf(p, "%u:%llu%n", &b, &c, &end) != 2 || p[end] || b >= SWT_HIST_BUCKETS)
                fail(g, "hist: BUCKET:COUNT,... with buckets 0..%d", SWT_HIST_BUCKETS - 1);
            s->wait_hist[b] = (uint32_t)c;
        }
    }
    if (opt_word(g, "spill"))
        ((struct slot_entry *)s)->spill = 1;
}

static void stmt_poke(struct gen *g)
{
    uint64_t off = parse_u64(g, "poke", need_positional(g, 1, "offset"));
    GROW(g, g->pokes, g->npokes, g->cappokes);
    struct poke *p = &g->pokes[g->npokes];
    p->off = off;
    p->bytes = NULL;
    p->n = 0;
    const char *s;
    uint8_t tmp[256];
    size_t n = 0;
    while ((s = positional(g, 1))) {
        uint64_t b = parse_u64(g, "poke byte", s);
        if (b > 255 || n == sizeof tmp)
            fail(g, "poke: bytes are 0..255, at most 256 of them");
        tmp[n++] = (uint8_t)b;
    }
    const char *v;
    if ((v = opt_str(g, "u32"))) {
        uint32_t x = (uint32_t)parse_u64(g, "u32", v);
        memcpy(tmp + n, &x, 4);
        n += 4;
    } else if ((v = opt_str(g, "u64"))) {
        uint64_t x = parse_u64(g, "u64", v);
        memcpy(tmp + n, &x, 8);
        n += 8;
    }
    if (!n)
        fail(g, "poke: no bytes");
    p->bytes = xrealloc(g, NULL, n);
    memcpy(p->bytes, tmp, n);
    p->n = n;
    g->npokes++;
}

/* ---- lexing ------------------------------------------------------------------ */

/* Splits one statement (NUL-terminated, comments removed) into tokens in
 * place.  Quotes group words with spaces and are removed. */
static void tokenize(struct gen *g, char *s)
{
    g->ntoks = 0;
    char *r = s;
    while (*r) {
        while (isspace((unsigned char)*r))
            r++;
        if (!*r)
            break;
        if (g->ntoks == MAX_TOKS)
            fail(g, "too many words in one statement");
        char *w = r, *start = r;
        char *eq = NULL;
        int quoted = 0;
        while (*r && (quoted || !isspace((unsigned char)*r))) {
            if (*r == '"') {
                quoted = !quoted;
                r++;
                continue;
            }
            if (*r == '=' && !quoted && !eq)
                eq = w;
            *w++ = *r++;
        }
        if (quoted)
            fail(g, "unterminated quote");
        int at_end = !*r;
        *w = 0;
        struct tok *t = &g->toks[g->ntoks++];
        t->used = 0;
        t->key = start;
        t->val = NULL;
        if (eq) {
            *eq = 0;
            t->val = eq + 1;
            if (!*t->key)
                fail(g, "'=%s' has no key", t->val);
        }
        if (!at_end)
            r++;
    }
}

static void compile_statement(struct gen *g, char *s)
{
    tokenize(g, s);
    if (!g->ntoks)
        return;
    /* @TIME anywhere: when this statement happens */
    int timed = 0;
    for (size_t i = 0; i < g->ntoks; i++) {
        if (g->toks[i].key[0] != '@' || g->toks[i].val)
            continue;
        if (timed)
            fail(g, "two times in one statement");
        const char *v = g->toks[i].key + 1;
        if (*v == '+')
            g->now_ns += parse_duration_ns(g, v + 1);
        else
            g->now_ns = parse_duration_ns(g, v);
        timed = 1;
        memmove(&g->toks[i], &g->toks[i + 1], (g->ntoks - i - 1) * sizeof g->toks[0]);
        g->ntoks--;
        i--;
    }
    if (!g->ntoks)
        fail(g, "a time alone is not a statement");
    const char *w = g->toks[0].key;
    g->toks[0].used = 1;
    if (g->toks[0].val)
        fail(g, "a statement starts with a word, not '%s=%s'", w, g->toks[0].val);
    if (strcmp(w, "header") && !timed)
        g->now_ns += g->step_ns;

    if (is_thread_name(w))
        stmt_thread(g, thread_index(g, w));
    else if (!strcmp(w, "header"))
        stmt_header(g);
    else if (!strcmp(w, "lock"))
        stmt_lock(g);
    else if (!strcmp(w, "stack"))
        stmt_stack(g);
    else if (!strcmp(w, "module"))
        stmt_module(g);
    else if (!strcmp(w, "thread-state"))
        stmt_thread_state(g);
    else if (!strcmp(w, "stat"))
        stmt_stat(g);
    else if (!strcmp(w, "poke"))
        stmt_poke(g);
    else if (!strcmp(w, "tear")) {
        const char *v = positional(g, 1);
        if (!v) {
            g->tear_all = 1;
        } else {
            g->tear_threads = xrealloc(g, g->tear_threads, (g->ntear + 1) * sizeof(uint32_t));
            g->tear_threads[g->ntear++] = thread_index(g, v);
        }
    } else if (!strcmp(w, "cut")) {
        g->cut = (int64_t)parse_u64(g, "cut", need_positional(g, 1, "byte count"));
        g->cut_set = 1;
    } else
        fail(g, "unknown statement '%s'", w);
    check_all_used(g);
}

/* ---- final layout -------------------------------------------------------------- */

static int slot_cmp(const void *a, const void *b)
{
    const struct slot_entry *x = a, *y = b;
    if (x->s.lock != y->s.lock)
        return x->s.lock < y->s.lock ? -1 : 1;
    return x->s.site < y->s.site ? -1 : x->s.site > y->s.site;
}

static void write_thread_blocks(struct gen *g)
{
    for (uint32_t idx = 1; idx <= g->max_thread; idx++) {
        struct gthread *t = &g->threads[idx];
        if (!t->known)
            continue;
        uint8_t *chunk = chunk_at(g, (uint64_t)t->block_chunk);
        struct swt_thread_block *b = (struct swt_thread_block *)chunk;
        size_t cap = (g->hdr.chunk_size - sizeof *b) / sizeof(struct swt_stat_slot);
        b->state = t->state;
        uint32_t listed = t->nheld < SWT_MAX_HELD ? t->nheld : SWT_MAX_HELD;
        b->nheld = listed;
        b->held_overflow = t->nheld - listed + t->overflow;
        b->waiting_lock = t->waiting;
        b->waiting_flags = t->waiting_flags;
        b->waiting_site = t->waiting_site;
        b->waiting_since_ticks = t->waiting_since;
        b->waiting_join = t->waiting_join;
        b->nstats = (uint32_t)cap;
        memcpy(b->held, t->held, listed * sizeof t->held[0]);
        /* Deterministic placement: slots sorted, then hashed into the
         * block by (lock, site) with linear probing, the rest spilled. */
        if (t->nslots)
            qsort(t->slots, t->nslots, sizeof t->slots[0], slot_cmp);
        size_t in_block = 0;
        uint64_t spill_chunk = 0;
        size_t spill_used = 0, spill_cap = (g->hdr.chunk_size - 32) / sizeof(struct swt_stat_slot);
        uint32_t spill_seq = 0;
        int have_spill = 0;
        for (size_t i = 0; i < t->nslots; i++) {
            struct slot_entry *e = &t->slots[i];
            if (!e->s.lock)
                continue;
            if (!e->spill && in_block < cap) {
                size_t h = ((size_t)e->s.lock * 2654435761u ^ (size_t)e->s.site * 40503u) % cap;
                while (b->stats[h].lock)
                    h = (h + 1) % cap;
                b->stats[h] = e->s;
                in_block++;
                continue;
            }
            if (!have_spill || spill_used == spill_cap) {
                spill_chunk = (uint64_t)alloc_chunk(g, SWT_CHUNK_STATS, idx, spill_seq++, 0);
                chunk = chunk_at(g, (uint64_t)t->block_chunk); /* buffer may have moved */
                b = (struct swt_thread_block *)chunk;
                spill_used = 0;
                have_spill = 1;
            }
            struct swt_stat_slot *dst =
                (struct swt_stat_slot *)(chunk_at(g, spill_chunk) + 32) + spill_used++;
            *dst = e->s;
        }
    }
}

static void finish(struct gen *g, uint8_t **out, size_t *len)
{
    write_thread_blocks(g);
    if (!g->hdr_features_set) {
        uint64_t f = SWT_FEAT_PROFILE | SWT_FEAT_EDGES;
        f |= g->events ? SWT_FEAT_EVENTS : SWT_FEAT_HOLD_SAMPLED;
        if (g->hdr.stack_depth || g->any_stack_record)
            f |= SWT_FEAT_STACKS;
        g->hdr.features = f;
    }
    if (!g->hdr_threads_set)
        g->hdr.threads_started = g->max_thread;
    if (!g->hdr_locks_set)
        g->hdr.locks_registered = g->max_lock_id;
    g->hdr.chunks_allocated = g->hdr_chunks_set ? g->chunks_override : g->nchunks;
    size_t size = SWT_HEADER_REGION + (size_t)g->nchunks * g->hdr.chunk_size;
    if (!g->buf) {
        g->buf = xrealloc(g, NULL, SWT_HEADER_REGION);
        memset(g->buf, 0, SWT_HEADER_REGION);
        g->cap = SWT_HEADER_REGION;
    }
    memcpy(g->buf, &g->hdr, sizeof g->hdr);
    for (size_t i = 0; i < g->ntear; i++) {
        uint32_t idx = g->tear_threads[i];
        struct gthread *t = idx < g->cap_threads ? &g->threads[idx] : NULL;
        if (!t || !t->known || t->last_rec_off < 0)
            fail(g, "tear: T%u has no records", g->tear_threads[i]);
        g->buf[t->last_rec_off] = 0;
    }
    if (g->tear_all) {
        if (g->last_rec_off < 0)
            fail(g, "tear: the trace has no records");
        g->buf[g->last_rec_off] = 0;
    }
    for (size_t i = 0; i < g->npokes; i++) {
        struct poke *p = &g->pokes[i];
        if (p->off > size || p->n > size - p->off)
            fail(g, "poke: offset %llu is past the end of the %zu-byte file",
                 (unsigned long long)p->off, size);
        memcpy(g->buf + p->off, p->bytes, p->n);
    }
    if (g->cut_set) {
        /* cut N keeps N bytes; cut -N drops the last N bytes */
        int64_t keep = g->cut >= 0 ? g->cut : (int64_t)size + g->cut;
        if (keep < 0)
            keep = 0;
        if ((uint64_t)keep < size)
            size = (size_t)keep;
    }
    *out = g->buf;
    *len = size;
    g->buf = NULL;
}

static void free_gen(struct gen *g)
{
    free(g->buf);
    if (g->threads) {
        for (uint32_t i = 0; i < g->cap_threads; i++) {
            free(g->threads[i].edges);
            free(g->threads[i].slots);
        }
        free(g->threads);
    }
    for (size_t i = 0; i < g->nlocks; i++) {
        free(g->locks[i].name);
        free(g->locks[i].semname);
    }
    free(g->locks);
    for (size_t i = 0; i < g->nstacks; i++)
        free(g->stacks[i].name);
    free(g->stacks);
    for (size_t i = 0; i < g->npokes; i++)
        free(g->pokes[i].bytes);
    free(g->pokes);
    free(g->tear_threads);
    free(g->text);
}

int swgen_compile(const char *text, const char *name, uint8_t **out, size_t *len, char *err,
                  size_t errlen)
{
    struct gen *g = calloc(1, sizeof *g);
    *out = NULL;
    *len = 0;
    if (!g) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    g->name = name;
    g->err = err;
    g->errlen = errlen;
    g->last_rec_off = -1;
    if (setjmp(g->fail)) {
        free_gen(g);
        free(g);
        return -1;
    }
    memcpy(g->hdr.magic, SWT_MAGIC, SWT_MAGIC_LEN);
    g->hdr.version_major = SWT_VERSION_MAJOR;
    g->hdr.version_minor = SWT_VERSION_MINOR;
    g->hdr.header_size = sizeof(struct swt_file_header);
    g->hdr.chunk_size = SWT_MIN_CHUNK_SIZE;
    g->hdr.mode = SWT_MODE_TRACE;
    g->hdr.run_id = 1;
    g->hdr.pid = 100;
    g->hdr.ppid = 1;
    g->hdr.clock = SWT_CLOCK_MONOTONIC;
    g->hdr.stack_depth = 0;
    g->hdr.tick_ns_q32 = 1ull << 32;
    g->hdr.start_ticks = DEFAULT_START_TICKS;
    g->hdr.start_realtime_ns = DEFAULT_REALTIME_NS;
    snprintf(g->hdr.exe, sizeof g->hdr.exe, "/swgen/%s", "program");
    snprintf(g->hdr.cmdline, sizeof g->hdr.cmdline, "program");
    g->step_ns = DEFAULT_STEP_NS;
    g->hold_sample = 1;
    g->auto_start = 1;
    g->auto_edges = 1;
    g->auto_stats = 1;
    g->events = 1;

    g->text = xstrdup(g, text);
    g->line = 0;
    char *p = g->text;
    while (*p) {
        g->line++;
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        /* strip the comment and split at ';', both outside quotes */
        int quoted = 0;
        char *stmt = p;
        for (char *c = p;; c++) {
            if (*c == '"')
                quoted = !quoted;
            if (!quoted && *c == '#')
                *c = 0;
            if (!*c || (!quoted && *c == ';')) {
                int last = !*c;
                *c = 0;
                compile_statement(g, stmt);
                if (last)
                    break;
                stmt = c + 1;
            }
        }
        p = next;
    }
    g->line = 0;
    finish(g, out, len);
    free_gen(g);
    free(g);
    return 0;
}
