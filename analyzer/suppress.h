/* Suppressions: findings a project accepts, silenced by entries in files
 * (--suppressions FILE, SYNCWATCH_SUPPRESSIONS), in the tradition of
 * Valgrind's and the sanitizers' suppression files.  docs/ci.md has the
 * format:
 *
 *     # the account transfer order is fixed in 2.1
 *     {
 *        transfer-inversion
 *        cycle/lock-order-cycle
 *        lock:account_*
 *        fun:transfer
 *     }
 *
 * An entry matches a finding when its kind[/code] pattern matches and every
 * one of its lock:, fun:, src:, obj: and fingerprint: lines matches at
 * least one lock, site function, source file, module or the fingerprint of
 * the finding.  Patterns are fnmatch(3) globs. */
#ifndef SYNCWATCH_ANALYZER_SUPPRESS_H
#define SYNCWATCH_ANALYZER_SUPPRESS_H

#include <stddef.h>
#include <stdio.h>

#include "analyzer/findings.h"
#include "analyzer/model.h"
#include "analyzer/names.h"

struct suppressions;

struct suppressions *suppress_new(void);
void suppress_free(struct suppressions *s);

/* Reads the entries of one file.  Returns 0, or -1 with "FILE:LINE: what"
 * in err. */
int suppress_load(struct suppressions *s, const char *path, char *err, size_t errlen);
size_t suppress_count(const struct suppressions *s);

/* Marks every reported finding that an entry matches (f->suppressed_by);
 * the first matching entry wins and counts the match. */
void suppress_apply(struct suppressions *s, struct findings *fs, const struct model *m,
                    struct names *names);

/* The entries that matched nothing (stale suppressions rot): name, file
 * and line of the i-th of them; false past the last. */
bool suppress_unused_at(const struct suppressions *s, size_t i, const char **name,
                        const char **file, unsigned *line);
/* "note: suppression 'NAME' (FILE:LINE) matched nothing" lines. */
void suppress_print_unused(FILE *out, const struct suppressions *s);

/* A ready entry for f (--gen-suppressions). */
void suppress_print_entry(FILE *out, const struct finding *f, const struct model *m,
                          struct names *names);

#endif
