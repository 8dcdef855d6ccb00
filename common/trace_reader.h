/* Reading trace files: validation of the header and chunks, per-thread record
 * cursors and a time-ordered merge of all threads.  Never trusts the file:
 * every length and offset is checked, and problems are reported as text that
 * names the file, the byte offset and what is wrong. */
#ifndef SYNCWATCH_COMMON_TRACE_READER_H
#define SYNCWATCH_COMMON_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>

#include "common/trace_format.h"

#define SWT_ERR_LEN 512

/* One decoded record. */
struct swt_rec {
    uint8_t type;
    uint8_t nfields;       /* fields this reader filled (missing trailing ones are 0) */
    uint32_t thread;       /* thread index of the chunk it came from */
    uint64_t ticks;        /* absolute clock reading */
    uint64_t ns;           /* nanoseconds since the header's start_ticks */
    uint64_t offset;       /* file offset of the type byte */
    uint64_t f[SWT_MAX_FIELDS];
    const uint8_t *blob;   /* ext records: bytes after the known fields */
    size_t blob_len;
};

/* A problem that does not stop the analysis (torn tail, skipped chunk). */
struct swt_warning {
    uint64_t offset;
    char text[200];
};

struct swt_trace;

/* Opens and validates path.  On failure returns NULL and writes a message of
 * the form "PATH: offset N: what is wrong" into err. */
struct swt_trace *swt_open(const char *path, char *err, size_t errlen);
/* Same over a caller-owned buffer (tests, fuzzing); name is used in messages.
 * The buffer must be 8-byte aligned (malloc'd or mapped): thread blocks and
 * stat slots are read in place. */
struct swt_trace *swt_open_buffer(const void *data, size_t size, const char *name, char *err,
                                  size_t errlen);
void swt_close(struct swt_trace *t);

const char *swt_path(const struct swt_trace *t);
const struct swt_file_header *swt_header(const struct swt_trace *t);
uint64_t swt_file_size(const struct swt_trace *t);
/* Ticks to nanoseconds since start, with the header's clock. */
uint64_t swt_ticks_to_ns(const struct swt_trace *t, uint64_t ticks);

/* Thread indices that have chunks, ascending. */
size_t swt_thread_count(const struct swt_trace *t);
uint32_t swt_thread_at(const struct swt_trace *t, size_t i);
uint32_t swt_thread_tid(const struct swt_trace *t, uint32_t thread);
/* The live-state block of a thread, or NULL, in place in the file.  Only
 * nstats is checked against the chunk (read stats through swt_foreach_stat);
 * a damaged file may claim nheld > SWT_MAX_HELD (a warning says so): clamp
 * it before reading held[]. */
const struct swt_thread_block *swt_thread_block(const struct swt_trace *t, uint32_t thread);

/* Calls fn for every used stat slot of every thread (thread blocks and
 * overflow stats chunks). */
typedef void (*swt_stat_fn)(void *ctx, uint32_t thread, const struct swt_stat_slot *slot);
void swt_foreach_stat(const struct swt_trace *t, swt_stat_fn fn, void *ctx);

/* Records of one thread in order, across its event chunks. */
struct swt_cursor {
    const struct swt_trace *trace;
    uint32_t thread;
    size_t chunk_pos;      /* index into the thread's chunk list */
    const uint8_t *p, *end, *chunk_start;
    uint64_t ticks;
};

int swt_cursor_init(const struct swt_trace *t, uint32_t thread, struct swt_cursor *c);
/* 1: a record in *r; 0: end of the thread's records; -1: corrupt record
 * (message in err; the cursor is then at its end). */
int swt_cursor_next(struct swt_cursor *c, struct swt_rec *r, char *err, size_t errlen);

/* All threads' records ordered by time (ties by thread index, then file
 * order).  Allocates; free with swt_merge_free. */
struct swt_merge;
struct swt_merge *swt_merge_new(const struct swt_trace *t);
int swt_merge_next(struct swt_merge *m, struct swt_rec *r, char *err, size_t errlen);
void swt_merge_free(struct swt_merge *m);

/* Warnings gathered while opening and reading (torn tails, bad chunks). */
size_t swt_warning_count(const struct swt_trace *t);
const struct swt_warning *swt_warning_at(const struct swt_trace *t, size_t i);

/* Decodes the record at [p, end) (no commit check beyond a zero type).
 * Returns its length, 0 if the type byte is 0, or -1 if corrupt. */
long swt_decode(const uint8_t *p, const uint8_t *end, uint64_t *ticks, struct swt_rec *r,
                char *err, size_t errlen);

#endif
