/* The holds and waits of a run, one piece at a time: a second pass over
 * the traces (model_build with an observer) for the views that draw time
 * (render_chrome.c, render_html.c).  The model keeps no per-event data
 * (model.h); this pass turns the event stream into slices as it goes and
 * hands each to the caller, keeping only what is open per thread and lock,
 * so its memory grows with threads and locks, never with events.  The pass
 * is deterministic: its model indices are those of the report's model. */
#ifndef SYNCWATCH_ANALYZER_TIMELINE_H
#define SYNCWATCH_ANALYZER_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"
#include "common/trace_reader.h"

enum timeline_kind {
    TIMELINE_HOLD, /* thread held lock from start to end */
    TIMELINE_WAIT, /* thread waited for lock (or a condvar) from start to end */
    TIMELINE_FLOW, /* thread released lock at start, letting thread2 (waiting) take it at end */
};

struct timeline_piece {
    uint8_t kind;            /* enum timeline_kind */
    uint32_t thread, thread2; /* model threads (thread2: flows only, else MODEL_NONE) */
    uint32_t lock, site;     /* model lock; model stack of the acquisition or wait */
    uint64_t start, end;     /* run time */
};

typedef void (*timeline_fn)(void *ctx, const struct timeline_piece *p);

/* Calls fn for every piece of the run of traces (model m, already built
 * from them), each when it ends (so not in start order); holds and waits
 * still open at the end of the run end at m->duration_ns.  Returns 0, or
 * -1 with a message in err. */
int timeline_pass(const struct model *m, struct swt_trace *const *traces, size_t ntraces,
                  timeline_fn fn, void *ctx, char *err, size_t errlen);

#endif
