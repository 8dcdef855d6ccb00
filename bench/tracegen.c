/* sw_tracegen: writes a synthetic trace-mode trace of a given number of
 * events, for the analyzer throughput and memory benchmark.
 *
 *   sw_tracegen OUT EVENTS [THREADS [LOCKS]]
 *
 * The file is laid out the way the shim lays it out (trace_format.h): the
 * header region, then chunks handed out in the order the threads fill them,
 * so the threads' event chunks interleave; one THREAD block per thread; a
 * module record, stack records on first use of a site, lock_new records on
 * first sight of a lock; thread start/create/join/exit and process exit.
 * Records are written with common/trace_encode.h, the encoder the recorder
 * uses, so sizes match a real trace of the same operations.
 *
 * The operation mix stands for a busy server: mostly short single-lock
 * holds, some nested pairs in one global order (lock-order edges but no
 * cycle), some contended acquisitions (a wait before the acquire), some
 * rwlock reads, and semaphore handoffs.  Deterministic for given arguments.
 * Memory use is one chunk buffer per thread, whatever EVENTS is. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/trace_encode.h"
#include "common/trace_format.h"

#define MAX_THREADS 64
#define MAX_LOCKS 100000
#define SITES 64
#define STACK_FRAMES 8
#define CHUNK_SIZE SWT_DEFAULT_CHUNK_SIZE

struct gen_thread {
    uint32_t index;
    uint8_t *chunk;   /* current EVENTS chunk, CHUNK_SIZE bytes */
    size_t used;      /* bytes after the chunk header */
    uint32_t seq;
    uint64_t ticks;   /* time of the last record */
    uint64_t chunk_base;
    uint64_t rng;
};

static int g_fd;
static const char *g_out;
static uint64_t g_chunks;
static uint64_t g_events;
static uint8_t g_lock_seen[MAX_LOCKS + 1];
static uint8_t g_site_seen[SITES + 1];
static uint64_t g_ip_base;
static uint8_t *g_zero_chunk;

static void die(const char *what)
{
    fprintf(stderr, "sw_tracegen: %s: %s: %s\n", g_out, what, strerror(errno));
    exit(2);
}

static void write_at(const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t w = pwrite(g_fd, p, len, (off_t)off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            die("write");
        p += w;
        len -= (size_t)w;
        off += (uint64_t)w;
    }
}

static uint64_t chunk_offset(uint64_t k) { return SWT_HEADER_REGION + k * CHUNK_SIZE; }

static uint64_t next_rand(struct gen_thread *t)
{
    t->rng ^= t->rng << 13;
    t->rng ^= t->rng >> 7;
    t->rng ^= t->rng << 17;
    return t->rng;
}

static void chunk_header(uint8_t *buf, unsigned kind, uint32_t thread, uint32_t seq, uint32_t used,
                         uint64_t base)
{
    struct swt_chunk_header h = {
        .magic = SWT_CHUNK_MAGIC,
        .kind = (uint16_t)kind,
        .thread = thread,
        .seq = seq,
        .tid = 10000 + thread,
        .used = used,
        .base_ticks = base,
    };
    memcpy(buf, &h, sizeof h);
}

static void flush_chunk(struct gen_thread *t)
{
    if (!t->used)
        return;
    chunk_header(t->chunk, SWT_CHUNK_EVENTS, t->index, t->seq++, (uint32_t)t->used, t->chunk_base);
    write_at(t->chunk, CHUNK_SIZE, chunk_offset(g_chunks++));
    memset(t->chunk, 0, CHUNK_SIZE);
    t->used = 0;
    t->chunk_base = t->ticks;
}

/* Room for one record of len bytes in the thread's chunk. */
static uint8_t *reserve(struct gen_thread *t, size_t len)
{
    if (sizeof(struct swt_chunk_header) + t->used + len > CHUNK_SIZE)
        flush_chunk(t);
    return t->chunk + sizeof(struct swt_chunk_header) + t->used;
}

static void core(struct gen_thread *t, unsigned type, uint64_t dt, uint64_t a, uint64_t b,
                 uint64_t c)
{
    uint64_t f[3] = {a, b, c};
    uint8_t *rec = reserve(t, SWT_MAX_CORE_RECORD);
    t->ticks += dt;
    t->used += swt_encode_core(rec, type, dt, f, swt_schema_of(type)->nfields);
    g_events++;
}

static void ext(struct gen_thread *t, unsigned type, uint64_t dt, const uint64_t *f, unsigned n,
                const void *blob, size_t blob_len)
{
    uint8_t *rec = reserve(t, swt_ext_size(dt, f, n, blob_len));
    t->ticks += dt;
    t->used += swt_encode_ext(rec, type, dt, f, n, blob, blob_len);
    g_events++;
}

static uint32_t site_of(struct gen_thread *t, uint32_t site)
{
    if (!g_site_seen[site]) {
        g_site_seen[site] = 1;
        uint8_t blob[STACK_FRAMES * 10], *p = blob;
        for (unsigned i = 0; i < STACK_FRAMES; i++)
            p = swt_put_varint(p, g_ip_base + site * 64u + i * 4096u);
        uint64_t f[2] = {site, STACK_FRAMES};
        ext(t, SWT_REC_STACK, 0, f, 2, blob, (size_t)(p - blob));
    }
    return site;
}

static uint32_t lock_of(struct gen_thread *t, uint32_t lock, unsigned kind, uint32_t site)
{
    if (!g_lock_seen[lock]) {
        g_lock_seen[lock] = 1;
        unsigned type = kind == SWT_KIND_RWLOCK ? SWT_TYPE_RW_PREFER_READER : SWT_TYPE_DEFAULT;
        uint64_t f[11] = {lock, kind, type, SWT_LOCK_STATIC, 0x5555000000u + lock * 64u, 1,
                          site, 0, 0, 0, kind == SWT_KIND_SEM ? 1 : 0};
        ext(t, SWT_REC_LOCK_NEW, 0, f, 11, NULL, 0);
    }
    return lock;
}

/* One operation of the mix; returns after writing 2 to 6 records. */
static void operation(struct gen_thread *t, uint32_t nlocks)
{
    uint64_t r = next_rand(t);
    unsigned pick = (unsigned)(r % 100);
    uint32_t site = site_of(t, 1 + (uint32_t)((r >> 8) % (SITES - 8)));
    /* Locks 1..8 are "hot" shared ones; the rest spread the working set. */
    uint32_t hot = 1 + (uint32_t)((r >> 16) % 8);
    uint32_t any = 1 + (uint32_t)((r >> 24) % nlocks);
    uint64_t dt = 20 + (r >> 40) % 200;
    if (pick < 70) {
        uint32_t l = lock_of(t, (r >> 32) & 1 ? hot : any, SWT_KIND_MUTEX, site);
        core(t, SWT_REC_ACQUIRE, dt, l, 0, site);
        core(t, SWT_REC_RELEASE, 15 + (r >> 50) % 100, l, 0, site);
    } else if (pick < 82) {
        uint32_t a = lock_of(t, hot, SWT_KIND_MUTEX, site);
        uint32_t b = lock_of(t, any > hot ? any : hot + 8, SWT_KIND_MUTEX, site);
        uint32_t inner = site_of(t, SITES - 8 + (uint32_t)(r % 8));
        core(t, SWT_REC_ACQUIRE, dt, a, 0, site);
        core(t, SWT_REC_ACQUIRE, 30, b, 0, inner);
        core(t, SWT_REC_RELEASE, 40, b, 0, inner);
        core(t, SWT_REC_RELEASE, 10, a, 0, site);
    } else if (pick < 90) {
        uint32_t l = lock_of(t, hot, SWT_KIND_MUTEX, site);
        core(t, SWT_REC_WAIT, dt, l, 0, site);
        core(t, SWT_REC_ACQUIRE, 500 + (r >> 44) % 20000, l, SWT_ACQ_CONTENDED, site);
        core(t, SWT_REC_RELEASE, 50 + (r >> 50) % 200, l, 0, site);
    } else if (pick < 97) {
        uint32_t l = lock_of(t, nlocks + 1, SWT_KIND_RWLOCK, site);
        core(t, SWT_REC_ACQUIRE, dt, l, SWT_ACQ_READ, site);
        core(t, SWT_REC_RELEASE, 25, l, 0, site);
    } else {
        /* A binary semaphore used as a lock (CPython's threading.Lock). */
        uint32_t s = lock_of(t, nlocks + 2, SWT_KIND_SEM, site);
        core(t, SWT_REC_ACQUIRE, dt, s, SWT_ACQ_TRY, site);
        core(t, SWT_REC_SEM_POST, 30, s, site, 2);
    }
}

static void module_record(struct gen_thread *t)
{
    static const char path[] = "/usr/lib/syncwatch-bench/sw_tracegen-synthetic";
    uint64_t f[4] = {g_ip_base, g_ip_base + 0x100000, 0, 0};
    ext(t, SWT_REC_MODULE, 0, f, 4, path, sizeof path - 1);
}

static void thread_block(const struct gen_thread *t, unsigned state)
{
    struct swt_thread_block *b = (void *)g_zero_chunk;
    memset(g_zero_chunk, 0, CHUNK_SIZE);
    chunk_header(g_zero_chunk, SWT_CHUNK_THREAD, t->index, 0, 0, 0);
    b->state = state;
    b->nstats = (uint32_t)((CHUNK_SIZE - sizeof *b) / sizeof(struct swt_stat_slot));
    write_at(g_zero_chunk, CHUNK_SIZE, chunk_offset(g_chunks++));
}

static unsigned long long parse(const char *s, unsigned long long min, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
        fprintf(stderr, "sw_tracegen: bad number '%s' (allowed %llu..%llu)\n", s, min, max);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: sw_tracegen OUT EVENTS [THREADS [LOCKS]]\n");
        return 2;
    }
    g_out = argv[1];
    uint64_t want = parse(argv[2], 100, 10000000000ull);
    uint32_t nthreads = argc > 3 ? (uint32_t)parse(argv[3], 1, MAX_THREADS) : 8;
    uint32_t nlocks = argc > 4 ? (uint32_t)parse(argv[4], 16, MAX_LOCKS - 2) : 1000;

    g_fd = open(g_out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (g_fd < 0)
        die("cannot create");
    g_ip_base = 0x555555554000u;
    g_zero_chunk = calloc(1, CHUNK_SIZE);
    static struct gen_thread threads[MAX_THREADS];
    for (uint32_t i = 0; i < nthreads; i++) {
        threads[i].index = i + 1;
        threads[i].chunk = calloc(1, CHUNK_SIZE);
        threads[i].rng = 0x9e3779b97f4a7c15u ^ ((uint64_t)(i + 1) << 32);
        threads[i].ticks = threads[i].chunk_base = 1000000 + i * 1000u;
        if (!threads[i].chunk || !g_zero_chunk)
            die("out of memory");
    }

    /* The main thread starts, loads its module and creates the others. */
    struct gen_thread *main_t = &threads[0];
    thread_block(main_t, SWT_THREAD_EXITED);
    uint64_t start[4] = {1, 0, 0, 0x7f0000000000u};
    ext(main_t, SWT_REC_THREAD_START, 0, start, 4, NULL, 0);
    module_record(main_t);
    for (uint32_t i = 1; i < nthreads; i++) {
        uint64_t create[3] = {i + 1, site_of(main_t, SITES), 0};
        ext(main_t, SWT_REC_THREAD_CREATE, 1000, create, 3, NULL, 0);
        thread_block(&threads[i], SWT_THREAD_EXITED);
        threads[i].ticks = threads[i].chunk_base = main_t->ticks + 5000;
        uint64_t st[4] = {i + 1, 1, SITES, 0x7f0000000000u + i * 0x800000u};
        ext(&threads[i], SWT_REC_THREAD_START, 0, st, 4, NULL, 0);
    }

    /* Threads take turns by operation, so chunks fill and are handed out
     * in an interleaved order, as they are under the shim. */
    uint64_t tail = 8 + 2ull * nthreads; /* exits, joins, proc_exit */
    while (g_events + tail < want)
        for (uint32_t i = 0; i < nthreads && g_events + tail < want; i++)
            operation(&threads[i], nlocks);

    uint64_t end_ticks = 0;
    for (uint32_t i = nthreads; i-- > 0;) {
        uint64_t ex[2] = {SWT_THREAD_EXITED, 0};
        ext(&threads[i], SWT_REC_THREAD_EXIT, 100, ex, 2, NULL, 0);
        if (threads[i].ticks > end_ticks)
            end_ticks = threads[i].ticks;
    }
    if (main_t->ticks < end_ticks)
        main_t->ticks = end_ticks; /* joins happen after the threads ended */
    for (uint32_t i = 1; i < nthreads; i++) {
        uint64_t join[3] = {i + 1, site_of(main_t, SITES - 1), 0};
        ext(main_t, SWT_REC_THREAD_JOIN, 100, join, 3, NULL, 0);
    }
    uint64_t pe[2] = {SWT_EXIT_EXIT, 0};
    ext(main_t, SWT_REC_PROC_EXIT, 100, pe, 2, NULL, 0);
    for (uint32_t i = 0; i < nthreads; i++)
        flush_chunk(&threads[i]);

    struct swt_file_header h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, SWT_MAGIC, SWT_MAGIC_LEN);
    h.version_major = SWT_VERSION_MAJOR;
    h.version_minor = SWT_VERSION_MINOR;
    h.header_size = sizeof h;
    h.features = SWT_FEAT_EVENTS | SWT_FEAT_STACKS;
    h.chunk_size = CHUNK_SIZE;
    h.mode = SWT_MODE_TRACE;
    h.run_id = 0x5357424e43480001u;
    h.pid = 4242;
    h.ppid = 1;
    h.clock = SWT_CLOCK_MONOTONIC;
    h.stack_depth = STACK_FRAMES;
    h.tick_ns_q32 = 1ull << 32;
    h.start_ticks = 1000000;
    h.start_realtime_ns = 1764000000000000000ull;
    h.chunks_allocated = g_chunks;
    h.state = SWT_PROC_EXITED;
    h.end_ticks = main_t->ticks;
    h.threads_started = nthreads;
    h.locks_registered = nlocks + 2;
    snprintf(h.exe, sizeof h.exe, "/usr/lib/syncwatch-bench/sw_tracegen-synthetic");
    snprintf(h.cmdline, sizeof h.cmdline, "sw_tracegen-synthetic %" PRIu64, want);
    uint8_t region[SWT_HEADER_REGION] = {0};
    memcpy(region, &h, sizeof h);
    write_at(region, sizeof region, 0);
    if (close(g_fd) != 0)
        die("close");
    printf("{\"events\":%" PRIu64 ",\"threads\":%u,\"locks\":%u,\"chunks\":%" PRIu64
           ",\"bytes\":%" PRIu64 "}\n",
           g_events, nthreads, nlocks + 2, g_chunks, chunk_offset(g_chunks));
    return 0;
}
