/* What the recorder could not keep, said in the report as notes (issue 9):
 * profile-mode operations counted without their lock because a thread's
 * counter tables were full.  No findings: these say how complete the
 * others are. */
#include <inttypes.h>

#include "analyzer/detect.h"

void detect_limits(const struct model *m, struct findings *out)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        if (!t->uncounted_acquisitions && !t->uncounted_failures)
            continue;
        int pid = t->proc < m->nprocs ? m->procs[t->proc].hdr.pid : 0;
        findings_note(out,
                      "profile mode: T%u (pid %d) took more distinct (lock, call site) pairs than "
                      "its counter tables hold: %" PRIu64 " acquisitions (%" PRIu64
                      " contended) and %" PRIu64
                      " failed attempts are counted without their lock, so the per-lock "
                      "counts miss them",
                      t->display, pid, t->uncounted_acquisitions, t->uncounted_contentions,
                      t->uncounted_failures);
    }
}
