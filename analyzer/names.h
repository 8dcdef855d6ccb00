/* Names for people: symbolized stack frames and the names of locks, on top
 * of symbolize.h (one symbolizer per traced process, from its MODULE
 * records).  Frames of the shim and of libc's lock functions are skipped
 * when a stack is shown by its "site": the user's call is what matters. */
#ifndef SYNCWATCH_ANALYZER_NAMES_H
#define SYNCWATCH_ANALYZER_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyzer/model.h"

struct names;

/* symbols = false (--no-symbols): frames are module+offset, locks are
 * numbered only. */
struct names *names_new(const struct model *m, bool symbols);
void names_free(struct names *n);

/* Sets model_lock.name of every lock: the global/static variable it lives
 * in ("lock_a", "table+0x40"), else "function:line" of its init or first
 * use, else NULL. */
void names_name_locks(struct names *n, struct model *m);

/* One frame as "function (file:line)", "function+0x12 (module)" or
 * "0x7f... (module+0x1234)". */
const char *names_frame(struct names *n, uint32_t proc, uint64_t ip, char *buf, size_t len);
/* Index of the first frame of stack that is the program's own (not the
 * shim, not libc's lock functions); 0 if none is. */
uint32_t names_first_user_frame(struct names *n, uint32_t stack);
/* Whether ip is in the shim, libc or the loader (not the program). */
bool names_is_infrastructure(struct names *n, uint32_t proc, uint64_t ip);
/* The site of a stack: its first user frame, or "?" without a stack. */
const char *names_site(struct names *n, uint32_t stack, char *buf, size_t len);

/* Where a frame is, in parts (for fingerprints, suppressions and SARIF):
 * function without offset or line, the full source path as in the debug
 * info, its line, and the module's path.  Absent parts are NULL / 0; the
 * strings live until names_free. */
struct names_loc {
    const char *function;
    const char *file;
    unsigned line;
    const char *module;
};
void names_frame_loc(struct names *n, uint32_t proc, uint64_t ip, struct names_loc *out);
/* The location of a stack's first user frame; false without a stack. */
bool names_site_loc(struct names *n, uint32_t stack, struct names_loc *out);

#endif
