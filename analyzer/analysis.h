/* One analysis of one run, the same for syncwatch-report and the tests:
 * the model pass (with the lock statistics as its observer), the names of
 * the locks, every detector in its order, and the findings sorted.  The
 * list of detectors is written here and nowhere else. */
#ifndef SYNCWATCH_ANALYZER_ANALYSIS_H
#define SYNCWATCH_ANALYZER_ANALYSIS_H

#include <stddef.h>

#include "analyzer/findings.h"
#include "analyzer/lockstats.h"
#include "analyzer/model.h"
#include "analyzer/names.h"
#include "analyzer/report_opts.h"
#include "common/trace_reader.h"

/* Stays where analysis_run filled it: names points into m. */
struct analysis {
    struct model m;
    struct lockstats *ls; /* the contention and starvation statistics */
    struct names *names;  /* symbols (o->symbols) and lock names */
    struct findings fs;   /* every detector's, sorted (findings_sort) */
};

/* Analyzes the traces of one run (already opened) with the options o
 * (NULL: report_opts_init's defaults) and model options mo (NULL: the
 * defaults of model_build).  Returns 0, or -1 with a message in err (a
 * corrupt record names the file and offset; "out of memory").  Call
 * analysis_free either way. */
int analysis_run(struct analysis *a, struct swt_trace *const *traces, size_t ntraces,
                 const struct report_opts *o, const struct model_opts *mo, char *err,
                 size_t errlen);
void analysis_free(struct analysis *a);

#endif
