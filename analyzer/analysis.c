/* One analysis of one run (see analysis.h): the order of the steps and the
 * list of detectors live here only. */
#include "analyzer/analysis.h"

#include <stdio.h>
#include <string.h>

#include "analyzer/detect.h"
#include "analyzer/fingerprint.h"
#include "analyzer/lockstats_feed.h"
#include "analyzer/merge_runs.h"

int analysis_run(struct analysis *a, struct swt_trace *const *traces, size_t ntraces,
                 const struct report_opts *o, const struct model_opts *mo, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    findings_init(&a->fs);
    struct report_opts defaults;
    if (!o) {
        report_opts_init(&defaults);
        o = &defaults;
    }
    /* The pass, with the statistics fed as it goes. */
    struct lockstats_config cfg;
    lockstats_config_from_opts(&cfg, o);
    a->ls = lockstats_new(&cfg);
    if (!a->ls) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct model_observer obs;
    lockstats_observer(a->ls, &obs);
    if (model_build(&a->m, traces, ntraces, mo, &obs, 1, err, errlen) < 0)
        return -1;
    if (lockstats_failed(a->ls)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    /* Labels and names before the detectors: their prose names locks. */
    lockstats_label_model(&a->m, a->ls);
    a->names = names_new(&a->m, o->symbols);
    names_name_locks(a->names, &a->m);
    /* Every detector, in this order; each appends to the same list. */
    detect_deadlocks(&a->m, o, &a->fs);
    detect_cycles(&a->m, o, &a->fs);
    detect_abandoned(&a->m, o, &a->fs);
    detect_hangs(&a->m, o, &a->fs); /* after the two above: it explains what they did not */
    detect_misuse(&a->m, o, &a->fs);
    detect_starvation(&a->m, a->ls, o, &a->fs);
    detect_contention(&a->m, a->ls, o, &a->fs);
    detect_limits(&a->m, &a->fs);
    /* The output order: stable keys, not the detectors' order. */
    findings_sort(&a->fs, &a->m);
    /* Every consumer sees the same identities (fingerprint.h). */
    fingerprint_findings(&a->fs, &a->m, a->names);
    /* Several runs (a test suite's binaries): one finding per identity. */
    findings_merge_runs(&a->fs, &a->m);
    return 0;
}

void analysis_free(struct analysis *a)
{
    findings_free(&a->fs);
    names_free(a->names); /* before the model it points into */
    model_free(&a->m);
    lockstats_free(a->ls);
    memset(a, 0, sizeof *a);
}
