/* Reader of trace format v1 (see trace_format.h and docs/trace-format.md).
 * The file is mapped read-only and never trusted: the header, every chunk
 * header and every record are bounds-checked before use. */
#include "common/trace_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/trace_encode.h"

/* The part of the header a reader needs; older or damaged headers shorter
 * than this are refused. */
#define MIN_HEADER_SIZE offsetof(struct swt_file_header, exe)
/* Records stamped more than a year after the start are corrupt times (a
 * damaged chunk base or delta), not a long run: refusing them beats putting
 * a thread's events after everything else and drawing wrong conclusions. */
#define MAX_PLAUSIBLE_NS (366ull * 24 * 3600 * 1000000000ull)

struct chunk_ref {
    uint32_t thread;
    uint16_t kind;
    uint32_t seq;
    uint64_t index;
};

struct thread_info {
    uint32_t thread;
    uint32_t tid;
    size_t first_event;  /* range in trace->events */
    size_t nevents;
    const struct swt_thread_block *block;
    uint32_t block_nstats;  /* stats[] slots that lie inside the chunk */
    size_t first_stats;  /* range in trace->stats */
    size_t nstats;
};

struct warnings {
    struct swt_warning *items;
    size_t n, cap;
};

struct swt_trace {
    char *path;
    const uint8_t *data;
    size_t size;
    int mapped;
    struct swt_file_header header; /* copy, zero-extended if the file's is shorter */
    uint64_t nchunks;              /* chunks present in the file */
    const uint8_t **events;        /* event chunk starts, grouped by thread, in seq order */
    const uint8_t **stats;         /* stats chunk starts, grouped by thread */
    struct thread_info *threads;
    size_t nthreads;
    struct warnings *warn;         /* mutable behind a const trace: cursors add torn tails */
};

static void fmt(char *err, size_t errlen, const char *fmtstr, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *err, size_t errlen, const char *fmtstr, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmtstr);
    vsnprintf(err, errlen, fmtstr, ap);
    va_end(ap);
}

static void warn(struct warnings *w, uint64_t offset, const char *fmtstr, ...)
    __attribute__((format(printf, 3, 4)));
static void warn(struct warnings *w, uint64_t offset, const char *fmtstr, ...)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        if (cap > 4096) /* a badly damaged file: keep the first ones */
            return;
        struct swt_warning *items = realloc(w->items, cap * sizeof *items);
        if (!items)
            return;
        w->items = items;
        w->cap = cap;
    }
    struct swt_warning *it = &w->items[w->n++];
    it->offset = offset;
    va_list ap;
    va_start(ap, fmtstr);
    vsnprintf(it->text, sizeof it->text, fmtstr, ap);
    va_end(ap);
}

static int cmp_chunk(const void *a, const void *b)
{
    const struct chunk_ref *x = a, *y = b;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static int check_header(struct swt_trace *t, char *err, size_t errlen)
{
    const char *path = t->path;
    if (t->size == 0) {
        fmt(err, errlen, "%s: empty file (the traced program wrote nothing, or this is not a trace)",
            path);
        return -1;
    }
    if (t->size < SWT_MAGIC_LEN || memcmp(t->data, SWT_MAGIC, SWT_MAGIC_LEN) != 0) {
        fmt(err, errlen, "%s: offset 0: not a syncwatch trace (bad magic)", path);
        return -1;
    }
    if (t->size < 16) {
        fmt(err, errlen, "%s: offset %zu: truncated file: the header is cut short", path, t->size);
        return -1;
    }
    uint16_t major, minor;
    uint32_t header_size;
    memcpy(&major, t->data + 8, 2);
    memcpy(&minor, t->data + 10, 2);
    memcpy(&header_size, t->data + 12, 4);
    if (major != SWT_VERSION_MAJOR) {
        fmt(err, errlen,
            "%s: offset 8: trace format version %u.%u, this syncwatch-report reads version %u.x "
            "(%s)",
            path, major, minor, SWT_VERSION_MAJOR,
            major > SWT_VERSION_MAJOR ? "use a newer syncwatch-report" : "too old to read");
        return -1;
    }
    if (header_size < MIN_HEADER_SIZE || header_size > SWT_HEADER_REGION) {
        fmt(err, errlen, "%s: offset 12: corrupt header: header size %u is not in [%zu, %u]", path,
            header_size, (size_t)MIN_HEADER_SIZE, SWT_HEADER_REGION);
        return -1;
    }
    if (t->size < SWT_HEADER_REGION) {
        fmt(err, errlen, "%s: offset %zu: truncated file: the %u-byte header region is cut short",
            path, t->size, SWT_HEADER_REGION);
        return -1;
    }
    memset(&t->header, 0, sizeof t->header);
    memcpy(&t->header, t->data,
           header_size < sizeof t->header ? header_size : sizeof t->header);
    t->header.exe[sizeof t->header.exe - 1] = 0;
    t->header.cmdline[sizeof t->header.cmdline - 1] = 0;
    const struct swt_file_header *h = &t->header;
    if (h->chunk_size < SWT_MIN_CHUNK_SIZE || h->chunk_size > SWT_MAX_CHUNK_SIZE ||
        h->chunk_size % 4096) {
        fmt(err, errlen, "%s: offset %zu: corrupt header: chunk size %u", path,
            offsetof(struct swt_file_header, chunk_size), h->chunk_size);
        return -1;
    }
    if (h->clock != SWT_CLOCK_MONOTONIC && h->clock != SWT_CLOCK_TSC) {
        fmt(err, errlen, "%s: offset %zu: corrupt header: unknown clock %u", path,
            offsetof(struct swt_file_header, clock), h->clock);
        return -1;
    }
    if (h->tick_ns_q32 == 0) {
        fmt(err, errlen, "%s: offset %zu: corrupt header: zero tick length", path,
            offsetof(struct swt_file_header, tick_ns_q32));
        return -1;
    }
    return 0;
}

static int index_chunks(struct swt_trace *t, char *err, size_t errlen)
{
    const struct swt_file_header *h = &t->header;
    uint64_t in_file = (t->size - SWT_HEADER_REGION) / h->chunk_size;
    uint64_t n = h->chunks_allocated;
    /* The recorder extends the file in whole chunks, so a file that ends
     * inside a chunk was cut (copied or truncated while written).  A file
     * that ends on a chunk boundary but holds fewer chunks than were handed
     * out is what a program leaves when it is killed, or runs out of space,
     * between handing out a chunk and growing the file: nothing written is
     * lost then, unless the program ended normally without dropping events. */
    int cut = (t->size - SWT_HEADER_REGION) % h->chunk_size != 0;
    if (n > in_file && (cut || (h->state != SWT_PROC_RUNNING && !h->dropped_events))) {
        warn(t->warn, t->size,
             "truncated file: the header counts %llu chunks, the file holds %llu whole "
             "ones%s; the rest is lost",
             (unsigned long long)n, (unsigned long long)in_file,
             cut ? " and ends inside the next" : "");
    } else if (n > in_file) {
        warn(t->warn, t->size,
             "%llu chunk(s) were handed out but never added to the file (the program was killed "
             "or out of space at that moment); no committed record is lost",
             (unsigned long long)(n - in_file));
    }
    if (n > in_file)
        n = in_file;
    t->nchunks = n;
    struct chunk_ref *refs = calloc(n ? n : 1, sizeof *refs);
    if (!refs) {
        fmt(err, errlen, "%s: out of memory indexing %llu chunks", t->path, (unsigned long long)n);
        return -1;
    }
    size_t nrefs = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t off = SWT_HEADER_REGION + k * h->chunk_size;
        struct swt_chunk_header ch;
        memcpy(&ch, t->data + off, sizeof ch);
        if (ch.magic != SWT_CHUNK_MAGIC) {
            /* Handed out but never set up (killed in between): nothing lost. */
            if (!all_zero(t->data + off, sizeof ch))
                warn(t->warn, off, "chunk %llu: bad chunk magic, skipped", (unsigned long long)k);
            continue;
        }
        if (ch.kind < SWT_CHUNK_EVENTS || ch.kind > SWT_CHUNK_STATS || ch.thread == 0) {
            warn(t->warn, off, "chunk %llu: bad kind %u or thread %u, skipped",
                 (unsigned long long)k, ch.kind, ch.thread);
            continue;
        }
        refs[nrefs++] = (struct chunk_ref){ch.thread, ch.kind, ch.seq, k};
    }
    qsort(refs, nrefs, sizeof *refs, cmp_chunk);

    t->events = calloc(nrefs ? nrefs : 1, sizeof *t->events);
    t->stats = calloc(nrefs ? nrefs : 1, sizeof *t->stats);
    t->threads = calloc(nrefs ? nrefs : 1, sizeof *t->threads);
    if (!t->events || !t->stats || !t->threads) {
        free(refs);
        fmt(err, errlen, "%s: out of memory indexing chunks", t->path);
        return -1;
    }
    size_t nev = 0, nst = 0;
    struct thread_info *cur = NULL;
    for (size_t i = 0; i < nrefs; i++) {
        const struct chunk_ref *r = &refs[i];
        const uint8_t *base = t->data + SWT_HEADER_REGION + r->index * h->chunk_size;
        uint64_t off = (uint64_t)(base - t->data);
        if (!cur || cur->thread != r->thread) {
            cur = &t->threads[t->nthreads++];
            memset(cur, 0, sizeof *cur);
            cur->thread = r->thread;
            cur->first_event = nev;
            cur->first_stats = nst;
        }
        if (i > 0 && refs[i - 1].thread == r->thread && refs[i - 1].kind == r->kind &&
            refs[i - 1].seq == r->seq) {
            warn(t->warn, off, "chunk %llu: thread %u has two chunks with sequence %u, skipped",
                 (unsigned long long)r->index, r->thread, r->seq);
            continue;
        }
        const struct swt_chunk_header *ch = (const void *)base;
        if (!cur->tid)
            cur->tid = ch->tid;
        switch (r->kind) {
        case SWT_CHUNK_EVENTS:
            t->events[nev++] = base;
            cur->nevents++;
            break;
        case SWT_CHUNK_STATS:
            t->stats[nst++] = base;
            cur->nstats++;
            break;
        case SWT_CHUNK_THREAD: {
            if (cur->block) {
                warn(t->warn, off, "thread %u has a second thread block, skipped", r->thread);
                break;
            }
            const struct swt_thread_block *b = (const void *)base;
            size_t room = (h->chunk_size - sizeof *b) / sizeof(struct swt_stat_slot);
            cur->block = b;
            cur->block_nstats = b->nstats;
            if (b->nheld > SWT_MAX_HELD)
                warn(t->warn, off, "thread %u: block claims %u held locks, at most %u are kept",
                     r->thread, b->nheld, SWT_MAX_HELD);
            if (b->nstats > room) {
                warn(t->warn, off, "thread %u: block claims %u stat slots, the chunk holds %zu",
                     r->thread, b->nstats, room);
                cur->block_nstats = (uint32_t)room;
            }
            break;
        }
        }
    }
    free(refs);
    return 0;
}

static struct swt_trace *open_common(struct swt_trace *t, char *err, size_t errlen)
{
    t->warn = calloc(1, sizeof *t->warn);
    if (!t->warn) {
        fmt(err, errlen, "%s: out of memory", t->path);
        swt_close(t);
        return NULL;
    }
    if (check_header(t, err, errlen) < 0 || index_chunks(t, err, errlen) < 0) {
        swt_close(t);
        return NULL;
    }
    if (t->header.dropped_events)
        warn(t->warn, offsetof(struct swt_file_header, dropped_events),
             "the recorder dropped %llu events (out of space or memory); findings may be "
             "incomplete",
             (unsigned long long)t->header.dropped_events);
    return t;
}

struct swt_trace *swt_open(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fmt(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        fmt(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        fmt(err, errlen, "%s: is a directory, not a trace file", path);
        close(fd);
        return NULL;
    }
    struct swt_trace *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(path))) {
        free(t);
        close(fd);
        fmt(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    t->size = (size_t)st.st_size;
    if (t->size) {
        void *m = mmap(NULL, t->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fmt(err, errlen, "%s: cannot map: %s", path, strerror(errno));
            close(fd);
            free(t->path);
            free(t);
            return NULL;
        }
        t->data = m;
        t->mapped = 1;
    }
    close(fd);
    return open_common(t, err, errlen);
}

struct swt_trace *swt_open_buffer(const void *data, size_t size, const char *name, char *err,
                                  size_t errlen)
{
    struct swt_trace *t = calloc(1, sizeof *t);
    if (!t || !(t->path = strdup(name ? name : "(buffer)"))) {
        free(t);
        fmt(err, errlen, "out of memory");
        return NULL;
    }
    t->data = data;
    t->size = size;
    return open_common(t, err, errlen);
}

void swt_close(struct swt_trace *t)
{
    if (!t)
        return;
    if (t->mapped)
        munmap((void *)t->data, t->size);
    if (t->warn)
        free(t->warn->items);
    free(t->warn);
    free(t->events);
    free(t->stats);
    free(t->threads);
    free(t->path);
    free(t);
}

const char *swt_path(const struct swt_trace *t) { return t->path; }
const struct swt_file_header *swt_header(const struct swt_trace *t) { return &t->header; }
uint64_t swt_file_size(const struct swt_trace *t) { return t->size; }

uint64_t swt_ticks_to_ns(const struct swt_trace *t, uint64_t ticks)
{
    if (ticks <= t->header.start_ticks)
        return 0;
    unsigned __int128 d = (unsigned __int128)(ticks - t->header.start_ticks) * t->header.tick_ns_q32;
    d >>= 32;
    return d > UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

size_t swt_thread_count(const struct swt_trace *t) { return t->nthreads; }
uint32_t swt_thread_at(const struct swt_trace *t, size_t i)
{
    return i < t->nthreads ? t->threads[i].thread : 0;
}

static const struct thread_info *find_thread(const struct swt_trace *t, uint32_t thread)
{
    size_t lo = 0, hi = t->nthreads;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->threads[mid].thread == thread)
            return &t->threads[mid];
        if (t->threads[mid].thread < thread)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

uint32_t swt_thread_tid(const struct swt_trace *t, uint32_t thread)
{
    const struct thread_info *ti = find_thread(t, thread);
    return ti ? ti->tid : 0;
}

const struct swt_thread_block *swt_thread_block(const struct swt_trace *t, uint32_t thread)
{
    const struct thread_info *ti = find_thread(t, thread);
    return ti ? ti->block : NULL;
}

void swt_foreach_stat(const struct swt_trace *t, swt_stat_fn fn, void *ctx)
{
    size_t per_chunk = (t->header.chunk_size - sizeof(struct swt_chunk_header)) /
                       sizeof(struct swt_stat_slot);
    for (size_t i = 0; i < t->nthreads; i++) {
        const struct thread_info *ti = &t->threads[i];
        if (ti->block)
            for (uint32_t s = 0; s < ti->block_nstats; s++)
                if (ti->block->stats[s].lock)
                    fn(ctx, ti->thread, &ti->block->stats[s]);
        for (size_t c = 0; c < ti->nstats; c++) {
            const struct swt_stat_slot *slots =
                (const void *)(t->stats[ti->first_stats + c] + sizeof(struct swt_chunk_header));
            for (size_t s = 0; s < per_chunk; s++)
                if (slots[s].lock)
                    fn(ctx, ti->thread, &slots[s]);
        }
    }
}

long swt_decode(const uint8_t *p, const uint8_t *end, uint64_t *ticks, struct swt_rec *r,
                char *err, size_t errlen)
{
    const uint8_t *start = p;
    if (p >= end || *p == 0)
        return 0;
    unsigned type = *p++;
    memset(r, 0, sizeof *r);
    r->type = (uint8_t)type;
    uint64_t dt, v;
    if (!swt_is_ext(type)) {
        const struct swt_schema *s = swt_schema_of(type);
        if (!s) {
            fmt(err, errlen, "unknown core record type 0x%02x", type);
            return -1;
        }
        if (swt_get_varint(&p, end, &dt) < 0)
            goto cut;
        for (unsigned i = 0; i < s->nfields; i++)
            if (swt_get_varint(&p, end, &r->f[i]) < 0)
                goto cut;
        r->nfields = s->nfields;
    } else {
        uint64_t len;
        if (swt_get_varint(&p, end, &len) < 0)
            goto cut;
        if (len > (uint64_t)(end - p)) {
            fmt(err, errlen, "%s record of %llu bytes runs past the end of its chunk",
                swt_type_name(type), (unsigned long long)len);
            return -1;
        }
        const uint8_t *body_end = p + len;
        uint64_t nf;
        if (swt_get_varint(&p, body_end, &dt) < 0 || swt_get_varint(&p, body_end, &nf) < 0)
            goto cut;
        for (uint64_t i = 0; i < nf; i++) {
            if (swt_get_varint(&p, body_end, &v) < 0)
                goto cut;
            if (i < SWT_MAX_FIELDS)
                r->f[i] = v;
        }
        r->nfields = nf < SWT_MAX_FIELDS ? (uint8_t)nf : SWT_MAX_FIELDS;
        r->blob = p;
        r->blob_len = (size_t)(body_end - p);
        p = body_end;
    }
    if (dt > UINT64_MAX - *ticks) {
        fmt(err, errlen, "%s record's time overflows (corrupt time delta)", swt_type_name(type));
        return -1;
    }
    *ticks += dt;
    r->ticks = *ticks;
    return (long)(p - start);
cut:
    fmt(err, errlen, "%s record is cut short or has an over-long number", swt_type_name(type));
    return -1;
}

/* How far (ns) a clock reading lies before the trace's start; a little is
 * clock skew between CPUs, a second or more is a corrupt time. */
static uint64_t ticks_before_start_ns(const struct swt_trace *t, uint64_t ticks)
{
    if (ticks >= t->header.start_ticks)
        return 0;
    unsigned __int128 d = (unsigned __int128)(t->header.start_ticks - ticks) * t->header.tick_ns_q32;
    d >>= 32;
    return d > UINT64_MAX ? UINT64_MAX : (uint64_t)d;
}

static void cursor_load(struct swt_cursor *c)
{
    const struct swt_trace *t = c->trace;
    const struct thread_info *ti = find_thread(t, c->thread);
    if (!ti || c->chunk_pos >= ti->nevents) {
        c->p = c->end = c->chunk_start = NULL;
        return;
    }
    const uint8_t *base = t->events[ti->first_event + c->chunk_pos];
    const struct swt_chunk_header *ch = (const void *)base;
    c->chunk_start = base;
    c->p = base + sizeof *ch;
    c->end = base + t->header.chunk_size;
    c->ticks = ch->base_ticks;
}

int swt_cursor_init(const struct swt_trace *t, uint32_t thread, struct swt_cursor *c)
{
    memset(c, 0, sizeof *c);
    c->trace = t;
    c->thread = thread;
    cursor_load(c);
    return find_thread(t, thread) ? 0 : -1;
}

int swt_cursor_next(struct swt_cursor *c, struct swt_rec *r, char *err, size_t errlen)
{
    const struct swt_trace *t = c->trace;
    while (c->p) {
        char why[160];
        uint64_t off = (uint64_t)(c->p - t->data);
        long n = swt_decode(c->p, c->end, &c->ticks, r, why, sizeof why);
        if (n < 0) {
            fmt(err, errlen, "%s: offset %llu: corrupt record in thread %u: %s", t->path,
                (unsigned long long)off, c->thread, why);
            c->p = c->end = NULL;
            return -1;
        }
        if (n == 0) {
            /* End of this chunk's committed records.  Stray bytes after a
             * zero type byte are a record whose writer was killed mid-way. */
            if (c->p < c->end && !all_zero(c->p, (size_t)(c->end - c->p)))
                warn(t->warn, off,
                     "torn tail: thread %u's last record was not finished (the program was "
                     "killed while writing it); it is ignored",
                     c->thread);
            c->chunk_pos++;
            cursor_load(c);
            continue;
        }
        r->offset = off;
        r->thread = c->thread;
        c->p += n;
        if (!swt_schema_of(r->type))
            continue; /* an ext record of a newer minor version */
        r->ns = swt_ticks_to_ns(t, r->ticks);
        if (r->ns > MAX_PLAUSIBLE_NS || ticks_before_start_ns(t, r->ticks) > 1000000000ull) {
            fmt(err, errlen,
                "%s: offset %llu: corrupt record time in thread %u: %s the trace's start",
                t->path, (unsigned long long)off, c->thread,
                r->ns > MAX_PLAUSIBLE_NS ? "more than a year after" : "before");
            c->p = c->end = NULL;
            return -1;
        }
        return 1;
    }
    return 0;
}

/* A binary min-heap of cursors keyed by their pending record. */
struct merge_slot {
    struct swt_cursor cur;
    struct swt_rec rec;
};

struct swt_merge {
    const struct swt_trace *trace;
    struct merge_slot *slots;
    size_t *heap;
    size_t n;
    int started;
};

static int slot_less(const struct swt_merge *m, size_t a, size_t b)
{
    const struct swt_rec *x = &m->slots[a].rec, *y = &m->slots[b].rec;
    if (x->ticks != y->ticks)
        return x->ticks < y->ticks;
    return x->thread < y->thread;
}

static void sift_down(struct swt_merge *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < m->n && slot_less(m, m->heap[l], m->heap[best]))
            best = l;
        if (r < m->n && slot_less(m, m->heap[r], m->heap[best]))
            best = r;
        if (best == i)
            return;
        size_t tmp = m->heap[i];
        m->heap[i] = m->heap[best];
        m->heap[best] = tmp;
        i = best;
    }
}

struct swt_merge *swt_merge_new(const struct swt_trace *t)
{
    struct swt_merge *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    size_t n = t->nthreads ? t->nthreads : 1;
    m->trace = t;
    m->slots = calloc(n, sizeof *m->slots);
    m->heap = calloc(n, sizeof *m->heap);
    if (!m->slots || !m->heap) {
        swt_merge_free(m);
        return NULL;
    }
    for (size_t i = 0; i < t->nthreads; i++)
        swt_cursor_init(t, t->threads[i].thread, &m->slots[i].cur);
    return m;
}

int swt_merge_next(struct swt_merge *m, struct swt_rec *r, char *err, size_t errlen)
{
    if (!m->started) {
        m->started = 1;
        for (size_t i = 0; i < m->trace->nthreads; i++) {
            int rc = swt_cursor_next(&m->slots[i].cur, &m->slots[i].rec, err, errlen);
            if (rc < 0)
                return -1;
            if (rc > 0)
                m->heap[m->n++] = i;
        }
        for (size_t i = m->n / 2; i-- > 0;)
            sift_down(m, i);
    }
    if (m->n == 0)
        return 0;
    size_t top = m->heap[0];
    *r = m->slots[top].rec;
    int rc = swt_cursor_next(&m->slots[top].cur, &m->slots[top].rec, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 0)
        m->heap[0] = m->heap[--m->n];
    sift_down(m, 0);
    return 1;
}

void swt_merge_free(struct swt_merge *m)
{
    if (!m)
        return;
    free(m->slots);
    free(m->heap);
    free(m);
}

size_t swt_warning_count(const struct swt_trace *t) { return t->warn->n; }
const struct swt_warning *swt_warning_at(const struct swt_trace *t, size_t i)
{
    return i < t->warn->n ? &t->warn->items[i] : NULL;
}
