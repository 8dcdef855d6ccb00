#ifndef SW_COMMON_DURATION_H
#define SW_COMMON_DURATION_H

#include <stdint.h>

/* Parses a non-negative duration with a unit (ns, us, ms, s, m, h) into
 * nanoseconds; a bare number is multiplied by bare_scale (1 for
 * nanoseconds, 1e9 for seconds).  Returns 0, or -1 for anything else
 * ("", "ms", "10 ms", "-5ms", "10min", NaN, overflow). */
int sw_parse_duration(const char *str, double bare_scale, uint64_t *ns);

#endif
