#ifndef SW_ANALYZER_MERGE_RUNS_H
#define SW_ANALYZER_MERGE_RUNS_H

#include <stddef.h>

#include "analyzer/findings.h"
#include "analyzer/model.h"

/* A directory of traces from several runs (a CI job's test binaries, each
 * traced on its own): a finding whose fingerprint a finding of another run
 * has already is dropped, and that one counts it (finding.runs).  Within
 * one run nothing is merged.  Returns how many were dropped.  Needs the
 * fingerprints (fingerprint_findings) and keeps the list's order. */
size_t findings_merge_runs(struct findings *fs, const struct model *m);

#endif
