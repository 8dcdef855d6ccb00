/* swgen: turns the text form of a trace (docs/testing.md describes the
 * language) into a binary trace file laid out as the shim lays it out, so
 * that analyzer and reader tests do not depend on thread timing.  The
 * command-line tool (swgen.c) and tests that want a trace in memory both use
 * this one function. */
#ifndef SYNCWATCH_TESTS_TOOLS_SWGEN_H
#define SYNCWATCH_TESTS_TOOLS_SWGEN_H

#include <stddef.h>
#include <stdint.h>

/* Compiles text into a trace.  name is used in messages ("NAME:LINE: what").
 * On success returns 0 and a malloc'd buffer in *out (free it) of *len bytes
 * (*len may be 0: an empty file).  On an error in the text returns -1 and
 * writes one line into err. */
int swgen_compile(const char *text, const char *name, uint8_t **out, size_t *len, char *err,
                  size_t errlen);

#endif
