/* Shared by the contention and starvation detector tests: runs a swgen
 * scenario through the whole analysis (analysis_run: the model pass with
 * the lockstats observer, then every detector), exactly as
 * syncwatch-report does. */
#ifndef SYNCWATCH_TESTS_UNIT_TEST_DETECT_STATS_H
#define SYNCWATCH_TESTS_UNIT_TEST_DETECT_STATS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/analysis.h"
#include "analyzer/detect.h"
#include "analyzer/lockstats_feed.h"
#include "common/trace_reader.h"
#include "tests/tools/swgen.h"

/* The scenario text a test builds line by line with say(); a test starts
 * it with script_len = 0. */
#define SCRIPT_MAX 65536

static char script[SCRIPT_MAX];
static size_t script_len;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(script + script_len, SCRIPT_MAX - script_len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < SCRIPT_MAX - script_len - 1);
    script_len += (size_t)n;
    script[script_len++] = '\n';
    script[script_len] = 0;
}

struct scenario {
    uint8_t *buf;
    struct swt_trace *trace;
    struct analysis a; /* a.m, a.ls, a.fs: the model, statistics, findings */
    struct report_opts o;
};

static inline void scenario_default_opts(struct report_opts *o)
{
    report_opts_init(o);
    o->symbols = false;
}

/* Runs text with the options in s->o (scenario_default_opts if o_set is 0). */
static inline void scenario_run(struct scenario *s, const char *text, bool o_set)
{
    char err[512];
    size_t len = 0;
    if (!o_set)
        scenario_default_opts(&s->o);
    if (swgen_compile(text, "scenario", &s->buf, &len, err, sizeof(err)) != 0)
        fail_msg("swgen: %s", err);
    s->trace = swt_open_buffer(s->buf, len, "scenario", err, sizeof(err));
    if (!s->trace)
        fail_msg("open: %s", err);
    struct model_opts mo;
    memset(&mo, 0, sizeof(mo));
    mo.derive_edges = true;
    if (analysis_run(&s->a, &s->trace, 1, &s->o, &mo, err, sizeof(err)) != 0)
        fail_msg("analysis: %s", err);
}

static inline void scenario_free(struct scenario *s)
{
    analysis_free(&s->a);
    swt_close(s->trace);
    free(s->buf);
}

/* The model lock with lock id `id` (swgen numbers names 1, 2, ... by first use). */
static inline uint32_t scenario_lock(const struct scenario *s, uint32_t id)
{
    for (size_t i = 0; i < s->a.m.nlocks; i++)
        if (s->a.m.locks[i].id == id)
            return (uint32_t)i;
    fail_msg("no lock id %u", id);
    return MODEL_NONE;
}

static inline uint32_t scenario_thread(const struct scenario *s, uint32_t tindex)
{
    for (size_t i = 0; i < s->a.m.nthreads; i++)
        if (s->a.m.threads[i].tindex == tindex)
            return (uint32_t)i;
    fail_msg("no thread T%u", tindex);
    return MODEL_NONE;
}

/* Findings that are reported (not pruned) of kind and code (NULL: any). */
static inline size_t scenario_count(const struct scenario *s, enum finding_kind kind,
                                    const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < s->a.fs.n; i++)
        if (!s->a.fs.list[i]->pruned && s->a.fs.list[i]->kind == kind &&
            (!code || strcmp(s->a.fs.list[i]->code, code) == 0))
            n++;
    return n;
}

/* All reported findings. */
static inline size_t scenario_reported(const struct scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->a.fs.n; i++)
        n += !s->a.fs.list[i]->pruned;
    return n;
}

/* Pruned findings with this rule. */
static inline size_t scenario_pruned(const struct scenario *s, const char *rule)
{
    size_t n = 0;
    for (size_t i = 0; i < s->a.fs.n; i++)
        if (s->a.fs.list[i]->pruned && strcmp(s->a.fs.list[i]->prune_rule, rule) == 0)
            n++;
    return n;
}

/* The nth reported finding of kind. */
static inline const struct finding *scenario_find(const struct scenario *s,
                                                  enum finding_kind kind, size_t nth)
{
    for (size_t i = 0; i < s->a.fs.n; i++)
        if (!s->a.fs.list[i]->pruned && s->a.fs.list[i]->kind == kind && nth-- == 0)
            return s->a.fs.list[i];
    fail_msg("finding %zu of kind %d missing", nth, (int)kind);
    return NULL;
}

static inline const struct finding_kv *scenario_metric(const struct finding *f, const char *key)
{
    for (size_t i = 0; i < f->nmetrics; i++)
        if (strcmp(f->metrics[i].key, key) == 0)
            return &f->metrics[i];
    fail_msg("metric %s missing", key);
    return NULL;
}

static inline bool scenario_has_note(const struct scenario *s, const char *needle)
{
    for (size_t i = 0; i < s->a.fs.nnotes; i++)
        if (strstr(s->a.fs.notes[i], needle))
            return true;
    return false;
}

#endif
