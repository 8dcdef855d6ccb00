/* Durations on command lines and in environment variables: "250us",
 * "10ms", "1.5s", "2m", "1h".  One parser for the analyzer's thresholds and
 * the launcher's timeouts, so both read the same spellings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/duration.h"

int sw_parse_duration(const char *str, double bare_scale, uint64_t *ns)
{
    static const struct {
        const char *suffix;
        double scale;
    } units[] = {{"ns", 1},     {"us", 1e3},   {"ms", 1e6}, {"s", 1e9},
                 {"m", 60e9},   {"h", 3600e9}, {"", 0}};
    char *end;
    errno = 0;
    double v = strtod(str, &end);
    if (end == str || errno || !(v >= 0))
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcmp(end, units[i].suffix) == 0) {
            double d = v * (units[i].suffix[0] ? units[i].scale : bare_scale);
            if (d >= 18446744073709551615.0)
                return -1;
            *ns = (uint64_t)(d + 0.5);
            return 0;
        }
    }
    return -1;
}
