/* Renderers: findings (and the model they refer to) to an output format.
 * Every renderer shows the same fields, so formats agree. */
#ifndef SYNCWATCH_ANALYZER_RENDER_H
#define SYNCWATCH_ANALYZER_RENDER_H

#include <stdio.h>

#include "analyzer/findings.h"
#include "analyzer/model.h"
#include "analyzer/names.h"
#include "analyzer/report_opts.h"

struct suppressions;
struct baseline;
struct lockstats;

/* What the report is about, for its header. */
struct render_input {
    const struct model *m;
    const struct findings *fs;
    struct names *names;
    const struct report_opts *o;
    const char *const *files;
    size_t nfiles;
    const char *const *warnings; /* reader warnings, already formatted */
    size_t nwarnings;
    const struct suppressions *supp; /* --suppressions, or NULL */
    const struct baseline *base;     /* --baseline, or NULL */
    const struct lockstats *ls;      /* the lock statistics (folded), or NULL */
    struct swt_trace *const *traces; /* the run's traces, for a second pass (chrome), or NULL */
    size_t ntraces;
};

void render_text(FILE *out, const struct render_input *in);
void render_json(FILE *out, const struct render_input *in);
void render_sarif(FILE *out, const struct render_input *in);
void render_junit(FILE *out, const struct render_input *in);
void render_dot(FILE *out, const struct render_input *in);
/* The graph of the edges between these locks only (a cycle's, in HTML). */
void render_dot_locks(FILE *out, const struct render_input *in, const uint32_t *locks,
                      size_t nlocks);
void render_html(FILE *out, const struct render_input *in);
void render_folded(FILE *out, const struct render_input *in);
/* At most this many slices and flows in a chrome trace (docs/views.md). */
#define CHROME_MAX_SLICES 200000u
void render_chrome(FILE *out, const struct render_input *in);
/* One finding as the text report shows it, without colour (JUnit bodies). */
void render_text_finding(FILE *out, const struct render_input *in, const struct finding *f,
                         size_t number);

/* "870 ns", "12.5 us", "201 ms", "1.50 s" */
const char *render_duration(uint64_t ns, char *buf, size_t len);

#endif
