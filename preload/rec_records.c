/* Writing records: each thread appends to its own EVENTS chunk (no lock),
 * moving to a new chunk when it is full; events that cannot be written are
 * counted (header.dropped_events, then a DROPPED record). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "common/trace_encode.h"
#include "preload/clock.h"
#include "preload/rec_internal.h"
#include "preload/trace_file.h"

uint64_t rec_now(void) { return clock_ticks(); }
uint64_t rec_now_release(void) { return clock_ticks_release(); }

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

/* The recorder's system calls happen only on paths like this one; each is
 * quiet (rec_quiet: errno kept, no cancellation), so the hooks' hot paths
 * need not save errno. */
__attribute__((noinline)) static uint8_t *rollover(struct rec_thread *t, size_t need)
{
    struct rec_quiet q;
    rec_quiet_begin(&q);
    uint8_t *p = rollover_body(t, need);
    rec_quiet_end(&q);
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
