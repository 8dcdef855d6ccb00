/* Reading the SYNCWATCH_* variables.  Runs once, inside the first hook
 * entry or the constructor, so it must not allocate: getenv and fixed
 * buffers only. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "common/trace_format.h"
#include "common/duration.h"
#include "preload/config.h"
#include "preload/log.h"

/* Parses a decimal number in [lo, hi].  Returns 0 on success. */
static int parse_uint(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    if (!s || !*s)
        return -1;
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        if (v > (hi + 9) / 10 + 1)
            return -1;
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int is_true(const char *s) { return s && *s && strcmp(s, "0") != 0; }

void cfg_load(struct cfg *c, char *(*getenv_fn)(const char *))
{
    memset(c, 0, sizeof *c);
    c->mode = SWT_MODE_TRACE;
    c->stack_depth = CFG_DEFAULT_STACK_DEPTH;
    c->hold_sample = CFG_DEFAULT_HOLD_SAMPLE;
    c->chunk_size = SWT_DEFAULT_CHUNK_SIZE;
    c->hang_timeout_ns = CFG_DEFAULT_HANG_TIMEOUT_NS;

    c->quiet = is_true(getenv_fn("SYNCWATCH_QUIET"));
    log_set_quiet(c->quiet);
    c->disabled = is_true(getenv_fn("SYNCWATCH_DISABLE"));

    const char *s = getenv_fn("SYNCWATCH_MODE");
    if (s && *s) {
        if (strcmp(s, "trace") == 0)
            c->mode = SWT_MODE_TRACE;
        else if (strcmp(s, "profile") == 0)
            c->mode = SWT_MODE_PROFILE;
        else
            log_msg("syncwatch: SYNCWATCH_MODE=%s is not profile or trace; using trace", s);
    }
    unsigned long v;
    s = getenv_fn("SYNCWATCH_STACK_DEPTH");
    if (s && *s) {
        if (parse_uint(s, 0, CFG_MAX_STACK_DEPTH, &v) == 0)
            c->stack_depth = (unsigned)v;
        else
            log_msg("syncwatch: SYNCWATCH_STACK_DEPTH=%s is not a number in 0..%u; using %u", s,
                    CFG_MAX_STACK_DEPTH, CFG_DEFAULT_STACK_DEPTH);
    }
    s = getenv_fn("SYNCWATCH_HOLD_SAMPLE");
    if (s && *s) {
        if (parse_uint(s, 1, 1u << 30, &v) == 0)
            c->hold_sample = (unsigned)v;
        else
            log_msg("syncwatch: SYNCWATCH_HOLD_SAMPLE=%s is not a number in 1..%u; using %u", s,
                    1u << 30, CFG_DEFAULT_HOLD_SAMPLE);
    }
    s = getenv_fn("SYNCWATCH_CHUNK_SIZE");
    if (s && *s) {
        if (parse_uint(s, SWT_MIN_CHUNK_SIZE, SWT_MAX_CHUNK_SIZE, &v) == 0 && v % 4096 == 0)
            c->chunk_size = (uint32_t)v;
        else
            log_msg("syncwatch: SYNCWATCH_CHUNK_SIZE=%s is not a multiple of 4096 in %u..%u; "
                    "using %u",
                    s, SWT_MIN_CHUNK_SIZE, SWT_MAX_CHUNK_SIZE, SWT_DEFAULT_CHUNK_SIZE);
    }
    s = getenv_fn("SYNCWATCH_OUTPUT");
    if (s && *s) {
        if (strlen(s) < sizeof c->output)
            strcpy(c->output, s);
        else
            log_msg("syncwatch: SYNCWATCH_OUTPUT is longer than %zu bytes; using the default",
                    sizeof c->output - 1);
    }
    s = getenv_fn("SYNCWATCH_FILTER");
    if (s && *s) {
        if (strlen(s) < sizeof c->filter)
            strcpy(c->filter, s);
        else
            log_msg("syncwatch: SYNCWATCH_FILTER is too long; tracing every process");
    }
    s = getenv_fn("SYNCWATCH_HANG_TIMEOUT");
    if (s && *s) {
        uint64_t ns;
        if (sw_parse_duration(s, 1e9, &ns) == 0)
            c->hang_timeout_ns = ns;
        else
            log_msg("syncwatch: SYNCWATCH_HANG_TIMEOUT=%s is not a duration such as 5s or "
                    "500ms (0 turns the watchdog off); using 5s",
                    s);
    }
    s = getenv_fn("SYNCWATCH_ON_HANG");
    if (s && *s) {
        if (strcmp(s, "report") == 0)
            c->on_hang = CFG_HANG_REPORT;
        else if (strcmp(s, "abort") == 0)
            c->on_hang = CFG_HANG_ABORT;
        else if (strncmp(s, "exit=", 5) == 0 && parse_uint(s + 5, 0, 255, &v) == 0) {
            c->on_hang = CFG_HANG_EXIT;
            c->on_hang_status = (unsigned)v;
        } else
            log_msg("syncwatch: SYNCWATCH_ON_HANG=%s is not report, abort or exit=N (N 0..255); "
                    "using report",
                    s);
    }
}
