/* The detectors: pure functions from the model to findings.  analysis.c
 * calls them (the one list, in its order); each appends to the same list
 * and never prints. */
#ifndef SYNCWATCH_ANALYZER_DETECT_H
#define SYNCWATCH_ANALYZER_DETECT_H

#include "analyzer/findings.h"
#include "analyzer/model.h"
#include "analyzer/report_opts.h"

void detect_cycles(const struct model *m, const struct report_opts *o, struct findings *out);
void detect_deadlocks(const struct model *m, const struct report_opts *o, struct findings *out);
void detect_abandoned(const struct model *m, const struct report_opts *o, struct findings *out);
/* After detect_deadlocks and detect_abandoned: explains the blocked threads
 * of a killed or running process that those did not. */
void detect_hangs(const struct model *m, const struct report_opts *o, struct findings *out);
void detect_misuse(const struct model *m, const struct report_opts *o, struct findings *out);
/* Notes (no findings) on what the recorder could not keep (detect_limits.c). */
void detect_limits(const struct model *m, struct findings *out);

/* Contention and starvation (analyzer-stats work: detect_contention.c,
 * detect_starvation.c) read the accumulator that lockstats_feed fed during
 * the pass; ls may be NULL (then they add nothing). */
struct lockstats;
void detect_contention(const struct model *m, const struct lockstats *ls,
                       const struct report_opts *o, struct findings *out);
void detect_starvation(const struct model *m, const struct lockstats *ls,
                       const struct report_opts *o, struct findings *out);

#endif
