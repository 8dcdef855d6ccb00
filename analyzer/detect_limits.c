/* What the recorder could not keep, said in the report as notes (issue 9):
 * profile-mode operations counted without their lock because a thread's
 * counter tables were full, and the recorder's "internal table full" NOTE
 * records (a held list it could not extend, ...).  No findings: these say
 * how complete the others are. */
#include <inttypes.h>

#include "analyzer/detect.h"

void detect_limits(const struct model *m, struct findings *out)
{
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        int pid = t->proc < m->nprocs ? m->procs[t->proc].hdr.pid : 0;
        if (t->table_full_note)
            findings_note(out, "T%u (pid %d): the recorder noted: %s", t->display, pid,
                          t->table_full_note);
        if (!t->uncounted_acquisitions && !t->uncounted_failures)
            continue;
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
