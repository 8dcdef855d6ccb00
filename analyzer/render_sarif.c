/* The SARIF 2.1.0 report (--format sarif), for code scanning dashboards
 * (GitHub, GitLab, IDEs).  docs/ci.md says how to upload it.
 *
 * One run; one rule per finding code present (help from finding_codes.c);
 * one result per reported finding, with its fingerprint in
 * partialFingerprints, its primary location (the first located site of its
 * story) relative to --source-root (uriBaseId SRCROOT), and its story as a
 * codeFlow with one threadFlow per thread.  Pruned findings are left out;
 * suppressed and baseline-known ones appear only with -v, marked with
 * suppressions / baselineState.  GitHub's limits are kept: at most 25,000
 * results per run and 1,000 thread flow locations per result (the rest is
 * cut, and a notification says so). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/finding_codes.h"
#include "analyzer/fingerprint.h"
#include "analyzer/jsonw.h"
#include "analyzer/render.h"

#ifndef SW_VERSION
#define SW_VERSION "0.0.0"
#endif

#define SARIF_MAX_RESULTS 25000
#define SARIF_MAX_FLOW_LOCATIONS 1000

struct sarif {
    FILE *out;
    const struct render_input *in;
    const struct model *m;
    char root[PATH_MAX + 2]; /* absolute, ends with '/' */
    const char **rules;      /* codes, in order of first use */
    size_t nrules;
};

static void str(struct sarif *s, const char *v) { jsonw_str(s->out, v); }

/* RFC 3986: everything but unreserved characters and '/' is %-encoded. */
static void uri_path(FILE *out, const char *path)
{
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~/", *p))
            fputc(*p, out);
        else
            fprintf(out, "%%%02X", *p);
    }
}

/* "uri":..., "uriBaseId":"SRCROOT" when under the root, else a file: URI. */
static void artifact(struct sarif *s, const char *file)
{
    char real[PATH_MAX];
    const char *path = realpath(file, real) ? real : file;
    size_t n = strlen(s->root);
    fputs("{\"uri\":\"", s->out);
    if (!strncmp(path, s->root, n) && path[n]) {
        uri_path(s->out, path + n);
        fputs("\",\"uriBaseId\":\"SRCROOT\"}", s->out);
    } else if (path[0] == '/') {
        fputs("file://", s->out);
        uri_path(s->out, path);
        fputs("\"}", s->out);
    } else {
        uri_path(s->out, path); /* relative in the debug info: leave it relative */
        fputs("\",\"uriBaseId\":\"SRCROOT\"}", s->out);
    }
}

/* A location object for a stack's first user frame (and message). */
static void location(struct sarif *s, uint32_t stack, const char *message)
{
    struct names_loc loc;
    bool have = names_site_loc(s->in->names, stack, &loc);
    fputc('{', s->out);
    bool comma = false;
    if (have && loc.file) {
        fputs("\"physicalLocation\":{\"artifactLocation\":", s->out);
        artifact(s, loc.file);
        fprintf(s->out, ",\"region\":{\"startLine\":%u}}", loc.line ? loc.line : 1);
        comma = true;
    }
    if (have && loc.function) {
        fputs(comma ? ",\"logicalLocations\":[{\"name\":" : "\"logicalLocations\":[{\"name\":",
              s->out);
        str(s, loc.function);
        fputs(",\"kind\":\"function\"}]", s->out);
        comma = true;
    }
    if (message) {
        fputs(comma ? ",\"message\":{\"text\":" : "\"message\":{\"text\":", s->out);
        str(s, message);
        fputc('}', s->out);
    }
    fputc('}', s->out);
}

static size_t rule_index(struct sarif *s, const char *code)
{
    for (size_t i = 0; i < s->nrules; i++)
        if (!strcmp(s->rules[i], code))
            return i;
    return SIZE_MAX;
}

static const char *level(const struct finding *f)
{
    return f->severity == SEV_ERROR ? "error" : f->severity == SEV_WARNING ? "warning" : "note";
}

static bool shown(const struct sarif *s, const struct finding *f)
{
    return !f->pruned && (finding_reported(f) || s->in->o->verbose);
}

/* "T2 holds L1 (lock_a) (for reading)" */
static void step_text(struct sarif *s, const struct finding_item *it, char *buf, size_t len)
{
    char t[160], l[160];
    snprintf(buf, len, "%s%s%s%s%s%s%s", it->thread != MODEL_NONE ? model_thread_label(s->m,
                                                                         it->thread, t, sizeof t)
                                                                   : "",
             it->thread != MODEL_NONE ? " " : "", it->role, it->lock != MODEL_NONE ? " " : "",
             it->lock != MODEL_NONE ? model_lock_label(s->m, it->lock, l, sizeof l) : "",
             it->note ? " " : "", it->note ? it->note : "");
}

/* One threadFlow per thread of the story, steps in story order; steps of
 * no thread make a flow of their own. */
static void code_flow(struct sarif *s, const struct finding *f)
{
    uint32_t *threads = calloc(f->nitems + 1, sizeof *threads);
    if (!threads)
        return;
    size_t nthreads = 0;
    for (size_t i = 0; i < f->nitems; i++) {
        size_t k;
        for (k = 0; k < nthreads && threads[k] != f->items[i].thread; k++)
            ;
        if (k == nthreads)
            threads[nthreads++] = f->items[i].thread;
    }
    fputs(",\"codeFlows\":[{\"message\":{\"text\":", s->out);
    str(s, f->title);
    fputs("},\"threadFlows\":[", s->out);
    size_t written = 0;
    for (size_t k = 0; k < nthreads; k++) {
        char label[160], buf[512];
        fputs(k ? ",{" : "{", s->out);
        if (threads[k] != MODEL_NONE) {
            model_thread_label(s->m, threads[k], label, sizeof label);
            fputs("\"id\":", s->out);
            str(s, label);
            fputs(",\"message\":{\"text\":", s->out);
            str(s, label);
            fputs("},", s->out);
        }
        fputs("\"locations\":[", s->out);
        bool first = true;
        for (size_t i = 0; i < f->nitems; i++) {
            const struct finding_item *it = &f->items[i];
            if (it->thread != threads[k])
                continue;
            if (written == SARIF_MAX_FLOW_LOCATIONS)
                break;
            written++;
            step_text(s, it, buf, sizeof buf);
            fputs(first ? "{\"location\":" : ",{\"location\":", s->out);
            first = false;
            location(s, it->stack, buf);
            fprintf(s->out, ",\"executionOrder\":%zu}", i + 1);
        }
        fputs("]}", s->out);
    }
    fputs("]}]", s->out);
    free(threads);
}

static void result(struct sarif *s, const struct finding *f)
{
    fputs("{\"ruleId\":", s->out);
    str(s, f->code);
    fprintf(s->out, ",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":",
            rule_index(s, f->code), level(f));
    str(s, f->title);
    fputs("},\"locations\":[", s->out);
    uint32_t st = fp_primary_stack(f, s->m, s->in->names);
    location(s, st, NULL);
    fputs("],\"partialFingerprints\":{\"syncwatchFingerprint/v1\":", s->out);
    str(s, f->fingerprint);
    fputc('}', s->out);
    if (s->in->base)
        fprintf(s->out, ",\"baselineState\":\"%s\"", f->baseline_known ? "unchanged" : "new");
    if (f->suppressed_by) {
        fputs(",\"suppressions\":[{\"kind\":\"external\",\"status\":\"accepted\","
              "\"justification\":",
              s->out);
        str(s, f->suppressed_by);
        fputs("}]", s->out);
    }
    if (f->nitems)
        code_flow(s, f);
    fputs(",\"properties\":{\"kind\":", s->out);
    str(s, findings_kind_name(f->kind));
    if (f->why) {
        fputs(",\"why\":", s->out);
        str(s, f->why);
    }
    if (f->fix) {
        fputs(",\"fix\":", s->out);
        str(s, f->fix);
    }
    fputs("}}", s->out);
}

static void rule(struct sarif *s, const char *code, const struct findings *fs)
{
    const struct finding_code_info *ci = finding_code_info(code);
    const struct finding *example = NULL;
    for (size_t i = 0; i < fs->n && !example; i++)
        if (!strcmp(fs->list[i]->code, code))
            example = fs->list[i];
    fputs("{\"id\":", s->out);
    str(s, code);
    fputs(",\"name\":", s->out);
    str(s, ci->name);
    fputs(",\"shortDescription\":{\"text\":", s->out);
    str(s, ci->short_text);
    fputs("},\"fullDescription\":{\"text\":", s->out);
    str(s, ci->short_text);
    fputs("},\"help\":{\"text\":", s->out);
    str(s, ci->help);
    fputs(",\"markdown\":", s->out);
    char md[2048];
    snprintf(md, sizeof md, "**%s** (`%s/%s`)\n\n%s", ci->short_text,
             example ? findings_kind_name(example->kind) : "", code, ci->help);
    str(s, md);
    fprintf(s->out, "},\"defaultConfiguration\":{\"level\":\"%s\"},\"properties\":{\"tags\":"
                    "[\"concurrency\",",
            example ? level(example) : "warning");
    str(s, example ? findings_kind_name(example->kind) : "syncwatch");
    fputs("]}}", s->out);
}

void render_sarif(FILE *out, const struct render_input *in)
{
    const struct findings *fs = in->fs;
    struct sarif s = {.out = out, .in = in, .m = in->m};
    const char *root = in->o->source_root ? in->o->source_root : ".";
    char real[PATH_MAX];
    if (!realpath(root, real))
        snprintf(real, sizeof real, "%s", root);
    snprintf(s.root, sizeof s.root, "%s%s", real,
             real[0] && real[strlen(real) - 1] == '/' ? "" : "/");
    s.rules = calloc(fs->n + 1, sizeof *s.rules);
    if (!s.rules)
        return;
    size_t nresults = 0, cut = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!shown(&s, f))
            continue;
        if (nresults == SARIF_MAX_RESULTS) {
            cut++;
            continue;
        }
        nresults++;
        if (rule_index(&s, f->code) == SIZE_MAX)
            s.rules[s.nrules++] = f->code;
    }

    fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
          "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"syncwatch\",\"fullName\":"
          "\"syncwatch-report\",\"version\":",
          out);
    str(&s, SW_VERSION);
    fputs(",\"semanticVersion\":", out);
    str(&s, SW_VERSION);
    fputs(",\"rules\":[", out);
    for (size_t i = 0; i < s.nrules; i++) {
        if (i)
            fputc(',', out);
        rule(&s, s.rules[i], fs);
    }
    fputs("]}},\"originalUriBaseIds\":{\"SRCROOT\":{\"uri\":\"file://", out);
    uri_path(out, s.root);
    fputs("\"}},\"invocations\":[{\"executionSuccessful\":true,\"toolExecutionNotifications\":[",
          out);
    bool first = true;
    char buf[256];
    for (size_t i = 0; i < fs->nnotes + in->nwarnings + (cut ? 1 : 0); i++) {
        const char *text, *lvl = "note";
        if (i < fs->nnotes) {
            text = fs->notes[i];
        } else if (i < fs->nnotes + in->nwarnings) {
            text = in->warnings[i - fs->nnotes];
            lvl = "warning";
        } else {
            snprintf(buf, sizeof buf,
                     "%zu more findings left out: code scanning takes at most %d results per run",
                     cut, SARIF_MAX_RESULTS);
            text = buf;
            lvl = "warning";
        }
        fputs(first ? "{\"level\":\"" : ",{\"level\":\"", out);
        first = false;
        fputs(lvl, out);
        fputs("\",\"message\":{\"text\":", out);
        str(&s, text);
        fputs("}}", out);
    }
    fputs("]}],\"results\":[", out);
    size_t written = 0;
    for (size_t i = 0; i < fs->n && written < nresults; i++) {
        const struct finding *f = fs->list[i];
        if (!shown(&s, f))
            continue;
        if (written++)
            fputc(',', out);
        result(&s, f);
    }
    fputs("]}]}\n", out);
    free(s.rules);
}
