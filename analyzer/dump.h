/* `syncwatch-report info` and `dump`: the trace as it is, for people and
 * for checking the recorder.  Output is stable (time order, then thread). */
#ifndef SYNCWATCH_ANALYZER_DUMP_H
#define SYNCWATCH_ANALYZER_DUMP_H

#include <stddef.h>
#include <stdio.h>

#include "common/trace_reader.h"

/* Both return 0, or -1 with a message in err (a corrupt record). */
int dump_info(FILE *out, const struct swt_trace *t, char *err, size_t errlen);
int dump_events(FILE *out, const struct swt_trace *t, char *err, size_t errlen);

#endif
