/* Fingerprints of findings (fingerprint.h): FNV-1a 64 over the sorted
 * parts, written as 16 hex digits. */
#include "analyzer/fingerprint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

/* Version of the recipe: part of the hash, so that a change of what goes
 * in never collides with old baselines' fingerprints by accident. */
#define FP_RECIPE "syncwatch-fp-1"

static void add_sorted_unique(char ***arr, size_t *n, const char *s)
{
    if (!s || !*s)
        return;
    size_t lo = 0, hi = *n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp((*arr)[mid], s);
        if (!c)
            return;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    memmove(*arr + lo + 1, *arr + lo, (*n - lo) * sizeof **arr);
    (*arr)[lo] = xstrdup(s);
    (*n)++;
}

static void free_list(char **arr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(arr[i]);
    free(arr);
}

const char *fp_lock_name(const struct model *m, struct names *names, uint32_t lock, char *buf,
                         size_t len)
{
    (void)names;
    buf[0] = 0;
    if (lock == MODEL_NONE || lock >= m->nlocks || !len)
        return buf;
    const struct model_lock *l = &m->locks[lock];
    if (l->sem_name) {
        snprintf(buf, len, "%s", l->sem_name);
        return buf;
    }
    if (!l->name)
        return buf;
    snprintf(buf, len, "%s", l->name);
    /* A heap lock is named "function:line" of its init: keep the function
     * (names.c never puts a colon in a symbol or expression name). */
    char *colon = strrchr(buf, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
        *colon = 0;
    return buf;
}

static void add_site(struct fp_subject *s, struct names *names, uint32_t stack)
{
    struct names_loc loc;
    if (!names_site_loc(names, stack, &loc))
        return;
    add_sorted_unique(&s->functions, &s->nfunctions, loc.function);
    add_sorted_unique(&s->files, &s->nfiles, loc.file);
    add_sorted_unique(&s->modules, &s->nmodules, loc.module);
}

void fp_subject_get(struct fp_subject *s, const struct finding *f, const struct model *m,
                    struct names *names)
{
    memset(s, 0, sizeof *s);
    char buf[512];
    for (size_t i = 0; i < f->nlocks; i++)
        add_sorted_unique(&s->locks, &s->nlocks, fp_lock_name(m, names, f->locks[i], buf,
                                                               sizeof buf));
    for (size_t i = 0; i < f->nitems; i++) {
        add_sorted_unique(&s->locks, &s->nlocks, fp_lock_name(m, names, f->items[i].lock, buf,
                                                               sizeof buf));
        add_site(s, names, f->items[i].stack);
    }
}

void fp_subject_free(struct fp_subject *s)
{
    free_list(s->locks, s->nlocks);
    free_list(s->functions, s->nfunctions);
    free_list(s->files, s->nfiles);
    free_list(s->modules, s->nmodules);
    memset(s, 0, sizeof *s);
}

static uint64_t fnv(uint64_t h, const char *s)
{
    /* the terminating NUL goes in too: ("ab","c") and ("a","bc") differ */
    for (const unsigned char *p = (const unsigned char *)s;; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
        if (!*p)
            return h;
    }
}

static void fingerprint_one(struct finding *f, const struct model *m, struct names *names)
{
    struct fp_subject s;
    fp_subject_get(&s, f, m, names);
    uint64_t h = 0xcbf29ce484222325ull;
    h = fnv(h, FP_RECIPE);
    h = fnv(h, findings_kind_name(f->kind));
    h = fnv(h, f->code ? f->code : "");
    h = fnv(h, "locks");
    for (size_t i = 0; i < s.nlocks; i++)
        h = fnv(h, s.locks[i]);
    /* unnamed locks still count (how many of which kind) */
    char buf[64];
    for (size_t i = 0; i < f->nlocks; i++) {
        char name[8];
        if (!*fp_lock_name(m, names, f->locks[i], name, sizeof name) &&
            f->locks[i] < m->nlocks) {
            snprintf(buf, sizeof buf, "unnamed %s", swt_kind_name(m->locks[f->locks[i]].kind));
            h = fnv(h, buf);
        }
    }
    h = fnv(h, "functions");
    for (size_t i = 0; i < s.nfunctions; i++)
        h = fnv(h, s.functions[i]);
    snprintf(f->fingerprint, sizeof f->fingerprint, "%016llx", (unsigned long long)h);
    fp_subject_free(&s);
}

void fingerprint_findings(struct findings *fs, const struct model *m, struct names *names)
{
    for (size_t i = 0; i < fs->n; i++)
        fingerprint_one(fs->list[i], m, names);
}

uint32_t fp_primary_stack(const struct finding *f, const struct model *m, struct names *names)
{
    struct names_loc loc;
    for (size_t i = 0; i < f->nitems; i++)
        if (names_site_loc(names, f->items[i].stack, &loc) && loc.file)
            return f->items[i].stack;
    for (size_t i = 0; i < f->nitems; i++)
        if (f->items[i].stack != MODEL_NONE && f->items[i].stack < m->nstacks)
            return f->items[i].stack;
    for (size_t i = 0; i < f->nlocks; i++)
        if (f->locks[i] < m->nlocks && m->locks[f->locks[i]].init_site < m->nstacks)
            return m->locks[f->locks[i]].init_site;
    return MODEL_NONE;
}
