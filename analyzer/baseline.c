/* Baselines (baseline.h): the old report's findings, matched by
 * fingerprint with counts. */
#include "analyzer/baseline.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer/json_read.h"
#include "analyzer/xalloc.h"

/* A report bigger than this is not one of ours (a report is a few MB). */
#define BASELINE_MAX_BYTES (1024u * 1024u * 1024u)

struct old_finding {
    char *fingerprint, *kind, *code, *title;
    bool matched;
};

struct baseline {
    char *path;
    struct old_finding *f;
    size_t n;
    size_t known;
};

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) < 0) {
        snprintf(err, errlen, "%s: cannot read the baseline: %s", path, strerror(errno));
        if (f)
            fclose(f);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > BASELINE_MAX_BYTES) {
        snprintf(err, errlen, "%s: the baseline is not a regular file of at most 1 GiB", path);
        fclose(f);
        return NULL;
    }
    char *buf = xmalloc((size_t)st.st_size + 1);
    *len = fread(buf, 1, (size_t)st.st_size, f);
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errlen, "%s: cannot read the baseline: %s", path, strerror(errno));
        free(buf);
        return NULL;
    }
    buf[*len] = 0;
    return buf;
}

struct baseline *baseline_load(const char *path, char *err, size_t errlen)
{
    size_t len;
    char *text = read_all(path, &len, err, errlen);
    if (!text)
        return NULL;
    struct jr_value doc;
    char jerr[256];
    int rc = jr_parse(text, len, &doc, jerr, sizeof jerr);
    free(text);
    if (rc < 0) {
        snprintf(err, errlen, "%s: the baseline is not JSON: %s", path, jerr);
        return NULL;
    }
    const struct jr_value *findings = jr_get(&doc, "findings");
    const char *tool = jr_get_str(&doc, "tool");
    if (!tool || strcmp(tool, "syncwatch-report") || !findings || findings->type != JR_ARRAY) {
        snprintf(err, errlen,
                 "%s: the baseline is not a syncwatch-report --format json report "
                 "(no \"tool\" or \"findings\")",
                 path);
        jr_free(&doc);
        return NULL;
    }
    struct baseline *b = xcalloc(1, sizeof *b);
    b->path = xstrdup(path);
    b->f = xcalloc(findings->n ? findings->n : 1, sizeof *b->f);
    for (size_t i = 0; i < findings->n; i++) {
        const struct jr_value *f = &findings->items[i];
        const char *fp = jr_get_str(f, "fingerprint");
        const struct jr_value *pruned = jr_get(f, "pruned");
        if (f->type != JR_OBJECT || !fp || !*fp) {
            snprintf(err, errlen,
                     "%s: finding %zu of the baseline has no fingerprint: make the baseline with "
                     "this syncwatch-report (--format json)",
                     path, i + 1);
            jr_free(&doc);
            baseline_free(b);
            return NULL;
        }
        /* ruled out or suppressed then: not a finding the build had */
        if ((pruned && pruned->type == JR_BOOL && pruned->b) || jr_get(f, "suppressed_by"))
            continue;
        struct old_finding *o = &b->f[b->n++];
        o->fingerprint = xstrdup(fp);
        o->kind = xstrdup(jr_get_str(f, "kind") ? jr_get_str(f, "kind") : "?");
        o->code = xstrdup(jr_get_str(f, "code") ? jr_get_str(f, "code") : "?");
        o->title = xstrdup(jr_get_str(f, "title") ? jr_get_str(f, "title") : "");
    }
    jr_free(&doc);
    return b;
}

void baseline_free(struct baseline *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        free(b->f[i].fingerprint);
        free(b->f[i].kind);
        free(b->f[i].code);
        free(b->f[i].title);
    }
    free(b->f);
    free(b->path);
    free(b);
}

void baseline_apply(struct baseline *b, struct findings *fs)
{
    if (!b)
        return;
    for (size_t i = 0; i < fs->n; i++) {
        struct finding *f = fs->list[i];
        if (f->pruned || f->suppressed_by)
            continue;
        /* reports are small; a linear scan per finding is plenty */
        for (size_t k = 0; k < b->n; k++)
            if (!b->f[k].matched && !strcmp(b->f[k].fingerprint, f->fingerprint)) {
                b->f[k].matched = true;
                f->baseline_known = true;
                b->known++;
                break;
            }
    }
}

const char *baseline_path(const struct baseline *b) { return b->path; }
size_t baseline_known_count(const struct baseline *b) { return b ? b->known : 0; }

bool baseline_fixed_at(const struct baseline *b, size_t i, const char **fingerprint,
                       const char **kind, const char **code, const char **title)
{
    if (!b)
        return false;
    for (size_t k = 0; k < b->n; k++)
        if (!b->f[k].matched && i-- == 0) {
            *fingerprint = b->f[k].fingerprint;
            *kind = b->f[k].kind;
            *code = b->f[k].code;
            *title = b->f[k].title;
            return true;
        }
    return false;
}

void baseline_print_fixed(FILE *out, const struct baseline *b)
{
    size_t n = 0;
    const char *fp, *kind, *code, *title;
    while (baseline_fixed_at(b, n, &fp, &kind, &code, &title))
        n++;
    if (!n) {
        fprintf(out, "Baseline %s: nothing fixed since.\n", b->path);
        return;
    }
    fprintf(out, "Fixed since the baseline %s (%zu):\n", b->path, n);
    for (size_t i = 0; baseline_fixed_at(b, i, &fp, &kind, &code, &title); i++)
        fprintf(out, "  [%s/%s] %s (fingerprint %s)\n", kind, code, title, fp);
}
