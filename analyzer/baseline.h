/* Baselines (--baseline OLD.json): a previous --format json report.  A
 * finding whose fingerprint the old report has is "known": not reported,
 * not counted for the exit status (-v lists it); the rest are new.  Old
 * findings with no counterpart now are listed as fixed.  Fingerprints are
 * counted, not just looked up: two old findings with one fingerprint make
 * two known, a third one now is new.  docs/ci.md has the workflow. */
#ifndef SYNCWATCH_ANALYZER_BASELINE_H
#define SYNCWATCH_ANALYZER_BASELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "analyzer/findings.h"

struct baseline;

/* Reads the old report.  Returns NULL with "FILE: what" in err when it is
 * missing, not JSON, or not a syncwatch-report JSON report with
 * fingerprints. */
struct baseline *baseline_load(const char *path, char *err, size_t errlen);
void baseline_free(struct baseline *b);

/* Marks the known findings (f->baseline_known) among the unpruned,
 * unsuppressed ones, in report order, and works out the fixed ones. */
void baseline_apply(struct baseline *b, struct findings *fs);

const char *baseline_path(const struct baseline *b);
size_t baseline_known_count(const struct baseline *b);
/* The i-th old finding that is gone; false past the last. */
bool baseline_fixed_at(const struct baseline *b, size_t i, const char **fingerprint,
                       const char **kind, const char **code, const char **title);
/* "Fixed since the baseline ..." lines for the text report. */
void baseline_print_fixed(FILE *out, const struct baseline *b);

#endif
