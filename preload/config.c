/* Reading the SYNCWATCH_* variables.  Runs once, inside the first hook
 * entry or the constructor, so it must not allocate: getenv and fixed
 * buffers only. */
#define _GNU_SOURCE
#include <stdint.h>
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

/* Every SYNCWATCH_* name the shim reads: cfg_load's, and the run id the
 * shim passes to exec'ed programs.  Any other SYNCWATCH_* name in the
 * environment is a mistake (a misspelling is otherwise ignored without a
 * word), so it gets a warning. */
static const char *const known_names[] = {
    "SYNCWATCH_OUTPUT",      "SYNCWATCH_MODE",    "SYNCWATCH_STACK_DEPTH",
    "SYNCWATCH_HOLD_SAMPLE", "SYNCWATCH_CHUNK_SIZE", "SYNCWATCH_DISABLE",
    "SYNCWATCH_FILTER",      "SYNCWATCH_QUIET",   "SYNCWATCH_RUN_ID",
    "SYNCWATCH_HANG_TIMEOUT", "SYNCWATCH_ON_HANG",
};
#define NKNOWN (sizeof known_names / sizeof known_names[0])
#define NAME_PREFIX "SYNCWATCH_"
#define NAME_MAX_LEN 64

/* Length of the name in "NAME=value" (or of a bare name). */
static size_t name_len(const char *entry)
{
    const char *eq = strchr(entry, '=');
    return eq ? (size_t)(eq - entry) : strlen(entry);
}

int cfg_is_known(const char *entry)
{
    size_t n = name_len(entry);
    for (size_t i = 0; i < NKNOWN; i++)
        if (strlen(known_names[i]) == n && strncmp(known_names[i], entry, n) == 0)
            return 1;
    return 0;
}

/* Edit distance (insert, delete, substitute, swap of neighbours) between
 * a[0..la) and b[0..lb), both at most NAME_MAX_LEN: three rows on the
 * stack. */
static unsigned distance(const char *a, size_t la, const char *b, size_t lb)
{
    unsigned rows[3][NAME_MAX_LEN + 1];
    unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            unsigned del = prev[j] + 1, ins = cur[j - 1] + 1;
            unsigned best = sub < del ? sub : del;
            best = ins < best ? ins : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < best)
                best = pp[j - 2] + 1;
            cur[j] = best;
        }
        unsigned *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

const char *cfg_closest_name(const char *entry)
{
    size_t n = name_len(entry);
    if (n > NAME_MAX_LEN)
        return NULL;
    const char *best = NULL;
    unsigned best_d = UINT32_MAX;
    for (size_t i = 0; i < NKNOWN; i++) {
        size_t kl = strlen(known_names[i]);
        unsigned d = distance(entry, n, known_names[i], kl);
        if (d < best_d) {
            best_d = d;
            best = known_names[i];
        }
    }
    /* Close: a typo or two, never more than a third of the name's own
     * part (SYNCWATCH_X is not "close" to SYNCWATCH_MODE). */
    size_t own = n > sizeof NAME_PREFIX - 1 ? n - (sizeof NAME_PREFIX - 1) : 0;
    if (best_d <= 2 && best_d * 3 <= own)
        return best;
    return NULL;
}

unsigned cfg_check_names(char *const *env)
{
    unsigned unknown = 0;
    for (char *const *e = env; e && *e; e++) {
        if (strncmp(*e, NAME_PREFIX, sizeof NAME_PREFIX - 1) != 0 || cfg_is_known(*e))
            continue;
        unknown++;
        int n = (int)(name_len(*e) > 200 ? 200 : name_len(*e));
        const char *close = cfg_closest_name(*e);
        if (close)
            log_msg("syncwatch: %.*s is not a syncwatch variable and is ignored; did you mean "
                    "%s?",
                    n, *e, close);
        else
            log_msg("syncwatch: %.*s is not a syncwatch variable and is ignored (known: "
                    "SYNCWATCH_OUTPUT, _MODE, _STACK_DEPTH, _HOLD_SAMPLE, _CHUNK_SIZE, "
                    "_DISABLE, _FILTER, _QUIET, _HANG_TIMEOUT, _ON_HANG)",
                    n, *e);
    }
    return unknown;
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
