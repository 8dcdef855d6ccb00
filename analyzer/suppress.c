/* Suppression files (suppress.h): a line-based parser, fnmatch matching
 * against the subject of each finding (fingerprint.h), and the entries
 * --gen-suppressions prints. */
#include "analyzer/suppress.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/fingerprint.h"
#include "analyzer/xalloc.h"

enum matcher_kind { M_LOCK, M_FUN, M_SRC, M_OBJ, M_FINGERPRINT };

static const char *const matcher_prefix[] = {
    [M_LOCK] = "lock:", [M_FUN] = "fun:", [M_SRC] = "src:", [M_OBJ] = "obj:",
    [M_FINGERPRINT] = "fingerprint:",
};

struct matcher {
    enum matcher_kind kind;
    char *pattern;
};

struct entry {
    char *name;
    char *file;
    unsigned line;       /* of the opening brace */
    char *kind_pattern;  /* a kind or kind/code glob: "cycle", "misuse/double-unlock" */
    struct matcher *m;
    size_t nm;
    size_t matched;
};

struct suppressions {
    struct entry *e;
    size_t n;
};

struct suppressions *suppress_new(void) { return xcalloc(1, sizeof(struct suppressions)); }

void suppress_free(struct suppressions *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].name);
        free(s->e[i].file);
        free(s->e[i].kind_pattern);
        for (size_t k = 0; k < s->e[i].nm; k++)
            free(s->e[i].m[k].pattern);
        free(s->e[i].m);
    }
    free(s->e);
    free(s);
}

size_t suppress_count(const struct suppressions *s) { return s ? s->n : 0; }

/* The line without leading and trailing white space, in place. */
static char *trim(char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1]))
        p[--n] = 0;
    return p;
}

/* A kind pattern is valid when its kind part is a kind or a glob. */
static bool kind_pattern_ok(const char *pat)
{
    char kind[64];
    size_t n = strcspn(pat, "/");
    if (!n || n >= sizeof kind)
        return false;
    memcpy(kind, pat, n);
    kind[n] = 0;
    if (strpbrk(kind, "*?["))
        return true;
    return findings_kind_parse(kind) >= 0 && (pat[n] != '/' || pat[n + 1]);
}

int suppress_load(struct suppressions *s, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: cannot read the suppressions: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    struct entry *cur = NULL;
    int state = 0; /* 0 outside, 1 want name, 2 want kind, 3 matchers */
    int rc = 0;
#define FAIL(...)                                                                                \
    do {                                                                                         \
        int o_ = snprintf(err, errlen, "%s:%u: ", path, lineno);                                 \
        if (o_ > 0 && (size_t)o_ < errlen)                                                       \
            snprintf(err + o_, errlen - (size_t)o_, __VA_ARGS__);                                \
        rc = -1;                                                                                 \
        goto out;                                                                                \
    } while (0)
    ssize_t len;
    while ((len = getline(&buf, &cap, f)) != -1) {
        lineno++;
        if (strlen(buf) != (size_t)len)
            FAIL("a NUL byte in the line");
        char *p = trim(buf);
        if (!*p || *p == '#')
            continue;
        switch (state) {
        case 0:
            if (strcmp(p, "{"))
                FAIL("expected '{' to start an entry, not '%.60s'", p);
            s->e = xrealloc(s->e, (s->n + 1) * sizeof *s->e);
            cur = &s->e[s->n++];
            memset(cur, 0, sizeof *cur);
            cur->file = xstrdup(path);
            cur->line = lineno;
            state = 1;
            break;
        case 1:
            if (!strcmp(p, "{") || !strcmp(p, "}"))
                FAIL("an entry starts with its name");
            cur->name = xstrdup(p);
            state = 2;
            break;
        case 2:
            if (!strcmp(p, "}"))
                FAIL("entry '%s' has no kind line (cycle, misuse/double-unlock, *, ...)",
                     cur->name);
            if (strchr(p, ':') || !kind_pattern_ok(p))
                FAIL("entry '%s': '%.60s' is not a kind or kind/code (%s, or a glob)", cur->name,
                     p, findings_kind_list());
            cur->kind_pattern = xstrdup(p);
            state = 3;
            break;
        default:
            if (!strcmp(p, "}")) {
                state = 0;
                break;
            }
            {
                size_t k;
                for (k = 0; k < sizeof matcher_prefix / sizeof *matcher_prefix; k++)
                    if (!strncmp(p, matcher_prefix[k], strlen(matcher_prefix[k])))
                        break;
                if (k == sizeof matcher_prefix / sizeof *matcher_prefix)
                    FAIL("entry '%s': '%.60s' is not lock:, fun:, src:, obj: or fingerprint: "
                         "PATTERN, nor the closing '}'",
                         cur->name, p);
                const char *pat = trim(p + strlen(matcher_prefix[k]));
                if (!*pat)
                    FAIL("entry '%s': %s wants a pattern", cur->name, matcher_prefix[k]);
                cur->m = xrealloc(cur->m, (cur->nm + 1) * sizeof *cur->m);
                cur->m[cur->nm].kind = (enum matcher_kind)k;
                cur->m[cur->nm++].pattern = xstrdup(pat);
            }
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: cannot read the suppressions: %s", path, strerror(errno));
        rc = -1;
    } else if (state) {
        lineno = cur ? cur->line : lineno;
        FAIL("entry '%s' is not closed with '}'", cur && cur->name ? cur->name : "");
    }
#undef FAIL
out:
    free(buf);
    fclose(f);
    return rc;
}

/* src: and obj: patterns without a slash name a file by its base name. */
static bool match_path(const char *pat, const char *path)
{
    if (!strchr(pat, '/')) {
        const char *b = strrchr(path, '/');
        path = b ? b + 1 : path;
    }
    return fnmatch(pat, path, 0) == 0;
}

static bool match_any(const struct matcher *mt, char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (mt->kind == M_SRC || mt->kind == M_OBJ ? match_path(mt->pattern, list[i])
                                                   : fnmatch(mt->pattern, list[i], 0) == 0)
            return true;
    return false;
}

static bool entry_matches(const struct entry *e, const struct finding *f,
                          const struct fp_subject *sub, const struct model *m)
{
    char kc[128];
    const char *kind = findings_kind_name(f->kind);
    snprintf(kc, sizeof kc, "%s/%s", kind, f->code ? f->code : "");
    if (strchr(e->kind_pattern, '/') ? fnmatch(e->kind_pattern, kc, 0) != 0
                                     : fnmatch(e->kind_pattern, kind, 0) != 0)
        return false;
    for (size_t k = 0; k < e->nm; k++) {
        const struct matcher *mt = &e->m[k];
        bool ok = false;
        switch (mt->kind) {
        case M_LOCK:
            ok = match_any(mt, sub->locks, sub->nlocks);
            /* the displayed name too ("make_account:42" of a heap lock) */
            for (size_t i = 0; !ok && i < f->nlocks; i++)
                ok = f->locks[i] < m->nlocks && m->locks[f->locks[i]].name &&
                     fnmatch(mt->pattern, m->locks[f->locks[i]].name, 0) == 0;
            break;
        case M_FUN:
            ok = match_any(mt, sub->functions, sub->nfunctions);
            break;
        case M_SRC:
            ok = match_any(mt, sub->files, sub->nfiles);
            break;
        case M_OBJ:
            ok = match_any(mt, sub->modules, sub->nmodules);
            break;
        case M_FINGERPRINT:
            ok = fnmatch(mt->pattern, f->fingerprint, 0) == 0;
            break;
        }
        if (!ok)
            return false;
    }
    return true;
}

void suppress_apply(struct suppressions *s, struct findings *fs, const struct model *m,
                    struct names *names)
{
    if (!s || !s->n)
        return;
    for (size_t i = 0; i < fs->n; i++) {
        struct finding *f = fs->list[i];
        if (f->pruned)
            continue;
        struct fp_subject sub;
        fp_subject_get(&sub, f, m, names);
        for (size_t k = 0; k < s->n; k++)
            if (entry_matches(&s->e[k], f, &sub, m)) {
                f->suppressed_by = s->e[k].name;
                s->e[k].matched++;
                break;
            }
        fp_subject_free(&sub);
    }
}

bool suppress_unused_at(const struct suppressions *s, size_t i, const char **name,
                        const char **file, unsigned *line)
{
    if (!s)
        return false;
    for (size_t k = 0; k < s->n; k++)
        if (!s->e[k].matched && i-- == 0) {
            *name = s->e[k].name;
            *file = s->e[k].file;
            *line = s->e[k].line;
            return true;
        }
    return false;
}

void suppress_print_unused(FILE *out, const struct suppressions *s)
{
    const char *name, *file;
    unsigned line;
    for (size_t i = 0; suppress_unused_at(s, i, &name, &file, &line); i++)
        fprintf(out, "note: suppression '%s' (%s:%u) matched nothing\n", name, file, line);
}

/* A pattern that matches exactly s: glob characters escaped; line breaks
 * (from hostile names) cannot be in a line, so they become '?'. */
static void print_literal(FILE *out, const char *prefix, const char *s)
{
    fputs("   ", out);
    fputs(prefix, out);
    for (const char *p = s; *p; p++) {
        if (*p == '*' || *p == '?' || *p == '[' || *p == '\\')
            fputc('\\', out);
        fputc(*p == '\n' || *p == '\r' ? '?' : *p, out);
    }
    fputc('\n', out);
}

void suppress_print_entry(FILE *out, const struct finding *f, const struct model *m,
                          struct names *names)
{
    struct fp_subject sub;
    fp_subject_get(&sub, f, m, names);
    fprintf(out, "{\n   %s-%s\n   %s/%s\n", f->code, f->fingerprint, findings_kind_name(f->kind),
            f->code);
    for (size_t i = 0; i < sub.nlocks; i++)
        print_literal(out, "lock:", sub.locks[i]);
    for (size_t i = 0; i < sub.nfunctions; i++)
        print_literal(out, "fun:", sub.functions[i]);
    /* with nothing else to go by, only this very finding */
    if (!sub.nlocks && !sub.nfunctions)
        fprintf(out, "   fingerprint:%s\n", f->fingerprint);
    fputs("}\n\n", out);
    fp_subject_free(&sub);
}
