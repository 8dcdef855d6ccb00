/* The records of every thread of every trace of one run, in time order:
 * one binary heap of compact keys (absolute ns, process, thread) over the
 * reader's per-thread cursors, so that a fork storm's hundreds of files
 * cost log(threads) per record and the heap stays in cache. */
#ifndef SYNCWATCH_ANALYZER_RUN_MERGE_H
#define SYNCWATCH_ANALYZER_RUN_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/trace_reader.h"

struct run_merge;

/* base_ns[i]: absolute ns of traces[i]'s start (records are placed at
 * base_ns + rec.ns).  Returns NULL with a message in err when a first
 * record is corrupt. */
struct run_merge *run_merge_new(struct swt_trace *const *traces, const uint64_t *base_ns,
                                size_t n, char *err, size_t errlen);
/* 1: the next record in *rec (valid until the next call), its trace index
 * in *trace and its absolute time in *abs_ns; 0: no more; -1: a corrupt
 * record (message in err).  Ties: trace order, then thread index. */
int run_merge_next(struct run_merge *mg, const struct swt_rec **rec, uint32_t *trace,
                   uint64_t *abs_ns, char *err, size_t errlen);
void run_merge_free(struct run_merge *mg);

#endif
