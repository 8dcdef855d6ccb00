/* The module map (design section 2): one MODULE record per executable
 * segment of every loaded object, with the GNU build-id, so the analyzer
 * symbolizes raw instruction pointers offline. */
#ifndef SYNCWATCH_PRELOAD_MODULES_H
#define SYNCWATCH_PRELOAD_MODULES_H

#include <stddef.h>
#include <stdint.h>

typedef void (*modules_fn)(void *ctx, uint64_t start, uint64_t end, uint64_t file_offset,
                           const uint8_t *build_id, size_t build_id_len, const char *path);

/* Calls fn for every executable segment not yet reported in this trace;
 * returns at once when nothing was loaded since the last call. */
void modules_report_new(modules_fn fn, void *ctx);
/* A fork child writes a new trace: report everything again. */
void modules_forget_reported(void);

#endif
