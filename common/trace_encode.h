/* Encoding of trace records: LEB128 varints and the commit protocol of
 * trace_format.h.  Header-only and allocation-free so that the recorder's
 * hot path inlines it; the test generator uses the same functions, so the
 * writer the tests exercise is the writer the shim runs. */
#ifndef SYNCWATCH_COMMON_TRACE_ENCODE_H
#define SYNCWATCH_COMMON_TRACE_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/trace_format.h"

static inline size_t swt_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static inline uint8_t *swt_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Decodes one varint from [*pp, end).  Returns 0 on success, -1 if the
 * input ends inside it or it is longer than 10 bytes. */
static inline int swt_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return -1;
        uint8_t b = *p++;
        if (shift == 63 && b > 1)
            return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Makes a record visible: the type byte goes last, with release order, so a
 * reader of the shared mapping (or of the file after a kill) never sees a
 * nonzero type in front of an unfinished body. */
static inline void swt_commit(uint8_t *rec, unsigned type)
{
    __atomic_store_n(rec, (uint8_t)type, __ATOMIC_RELEASE);
}

/* Writes a core record at rec (at least SWT_MAX_CORE_RECORD bytes free) and
 * commits it.  Returns its length. */
static inline size_t swt_encode_core(uint8_t *rec, unsigned type, uint64_t dt, const uint64_t *f,
                                     unsigned n)
{
    uint8_t *p = swt_put_varint(rec + 1, dt);
    for (unsigned i = 0; i < n; i++)
        p = swt_put_varint(p, f[i]);
    swt_commit(rec, type);
    return (size_t)(p - rec);
}

/* Size of an ext record with these fields and blob length. */
static inline size_t swt_ext_size(uint64_t dt, const uint64_t *f, unsigned n, size_t blob_len)
{
    size_t body = swt_varint_len(dt) + swt_varint_len(n) + blob_len;
    for (unsigned i = 0; i < n; i++)
        body += swt_varint_len(f[i]);
    return 1 + swt_varint_len(body) + body;
}

/* Writes an ext record at rec (swt_ext_size() bytes free) and commits it.
 * Returns its length. */
static inline size_t swt_encode_ext(uint8_t *rec, unsigned type, uint64_t dt, const uint64_t *f,
                                    unsigned n, const void *blob, size_t blob_len)
{
    size_t body = swt_varint_len(dt) + swt_varint_len(n) + blob_len;
    for (unsigned i = 0; i < n; i++)
        body += swt_varint_len(f[i]);
    uint8_t *p = swt_put_varint(rec + 1, body);
    p = swt_put_varint(p, dt);
    p = swt_put_varint(p, n);
    for (unsigned i = 0; i < n; i++)
        p = swt_put_varint(p, f[i]);
    if (blob_len)
        memcpy(p, blob, blob_len);
    p += blob_len;
    swt_commit(rec, type);
    return (size_t)(p - rec);
}

/* The bucket of a wait or hold duration in swt_stat_slot.wait_hist. */
static inline unsigned swt_hist_bucket(uint64_t ns)
{
    unsigned b = ns ? 63u - (unsigned)__builtin_clzll(ns) : 0u;
    return b < SWT_HIST_BUCKETS ? b : SWT_HIST_BUCKETS - 1;
}

#endif
