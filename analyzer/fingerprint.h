/* Fingerprints: a stable identity for every finding, for suppressions,
 * baselines and SARIF (docs/ci.md).
 *
 * A fingerprint is made only from what the finding is about: its kind and
 * code, the names of its locks (symbol, source expression or named
 * semaphore; a lock with neither is named by the function that initialised
 * or first used it) and the functions of the sites of its story.  Never
 * from T/L numbers, pids, addresses, times or line numbers, and the parts
 * are sorted, so two runs of one program, or the same program rebuilt with
 * lines inserted above its locking code, give the same fingerprints.
 * Without symbols (--no-symbols, stripped programs) functions are unknown
 * and only the kind, the code and the named locks remain. */
#ifndef SYNCWATCH_ANALYZER_FINGERPRINT_H
#define SYNCWATCH_ANALYZER_FINGERPRINT_H

#include <stddef.h>

#include "analyzer/findings.h"
#include "analyzer/model.h"
#include "analyzer/names.h"

/* What a finding is about, as text: each list sorted, without duplicates.
 * Strings are owned by the subject. */
struct fp_subject {
    char **locks;      /* lock names as fingerprinted ("lock_a", "pool.locks[2]") */
    size_t nlocks;
    char **functions;  /* functions of the story's sites */
    size_t nfunctions;
    char **files;      /* full source paths of those sites */
    size_t nfiles;
    char **modules;    /* module paths of those sites */
    size_t nmodules;
};

void fp_subject_get(struct fp_subject *s, const struct finding *f, const struct model *m,
                    struct names *names);
void fp_subject_free(struct fp_subject *s);

/* The lock's name as fingerprinted (see above) into buf; "" when it has
 * none. */
const char *fp_lock_name(const struct model *m, struct names *names, uint32_t lock, char *buf,
                         size_t len);

/* Sets f->fingerprint of every finding (pruned ones too). */
void fingerprint_findings(struct findings *fs, const struct model *m, struct names *names);

/* The stack that says where a finding is: the first story step with a
 * located frame, else the first with a stack, else the init site of its
 * first lock; MODEL_NONE if there is none. */
uint32_t fp_primary_stack(const struct finding *f, const struct model *m, struct names *names);

#endif
