/* Defaults of the report options (--help prints them from here; docs/analyzer.md). */
#include "analyzer/report_opts.h"

#include <string.h>

#include "analyzer/findings.h"
#include "analyzer/lockstats.h"

void report_opts_init(struct report_opts *o)
{
    memset(o, 0, sizeof *o);
    o->format = REPORT_TEXT;
    o->window_to_ns = UINT64_MAX;
    /* A hotspot is worth reading, not worth failing a build over. */
    o->fail_on = ((1u << FINDING_KIND_COUNT) - 1) & ~(1u << FINDING_CONTENTION);
    o->max_cycle_len = REPORT_DEFAULT_MAX_CYCLE_LEN;
    o->symbols = true;
    o->top = REPORT_DEFAULT_TOP;
    o->hold_threshold_ns = LOCKSTATS_DEFAULT_HOLD_NS;
    o->wait_threshold_ns = LOCKSTATS_DEFAULT_WAIT_NS;
    o->starve_count = LOCKSTATS_DEFAULT_STARVE_COUNT;
}
