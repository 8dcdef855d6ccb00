/* The findings list: storage, setters and the stable sort.  Allocation
 * failure aborts (xalloc.h): the analyzer is a batch tool and a report with
 * silently missing findings would be worse than none. */
#include "analyzer/findings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/model.h"
#include "analyzer/xalloc.h"

void findings_init(struct findings *fs) { memset(fs, 0, sizeof *fs); }

static void kv_free(struct finding_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kv[i].type == FV_STR)
            free(kv[i].v.s);
    free(kv);
}

static void finding_free(struct finding *f)
{
    free(f->title);
    free(f->why);
    free(f->fix);
    free(f->locks);
    free(f->threads);
    for (size_t i = 0; i < f->nitems; i++)
        free(f->items[i].note);
    free(f->items);
    kv_free(f->metrics, f->nmetrics);
    free(f->columns);
    for (size_t i = 0; i < f->nrows; i++)
        kv_free(f->rows[i].cells, f->rows[i].ncells);
    free(f->rows);
    free(f->scen_thread);
    free(f->scen_hold);
    free(f->scen_wait);
    free(f->prune_reason);
    free(f);
}

void findings_drop(struct finding *f) { finding_free(f); }

void findings_free(struct findings *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        finding_free(fs->list[i]);
    free(fs->list);
    for (size_t i = 0; i < fs->nnotes; i++)
        free(fs->notes[i]);
    free(fs->notes);
    memset(fs, 0, sizeof *fs);
}

struct finding *findings_add(struct findings *fs, enum finding_kind kind, const char *code,
                             enum finding_severity severity)
{
    if (fs->n == fs->cap) {
        fs->cap = fs->cap ? fs->cap * 2 : 16;
        fs->list = xrealloc(fs->list, fs->cap * sizeof *fs->list);
    }
    struct finding *f = xcalloc(1, sizeof *f);
    f->kind = kind;
    f->code = code;
    f->severity = severity;
    fs->list[fs->n++] = f;
    return f;
}

void findings_note(struct findings *fs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = xvasprintf(fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < fs->nnotes; i++)
        if (!strcmp(fs->notes[i], s)) {
            free(s);
            return;
        }
    if (fs->nnotes == fs->notes_cap) {
        fs->notes_cap = fs->notes_cap ? fs->notes_cap * 2 : 8;
        fs->notes = xrealloc(fs->notes, fs->notes_cap * sizeof *fs->notes);
    }
    fs->notes[fs->nnotes++] = s;
}

#define SETTER(name, field)                                                                      \
    void name(struct finding *f, const char *fmt, ...)                                          \
    {                                                                                            \
        va_list ap;                                                                              \
        va_start(ap, fmt);                                                                       \
        free(f->field);                                                                          \
        f->field = xvasprintf(fmt, ap);                                                          \
        va_end(ap);                                                                              \
    }
SETTER(finding_title, title)
SETTER(finding_why, why)
SETTER(finding_fix, fix)

void finding_prune(struct finding *f, const char *rule, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(f->prune_reason);
    f->prune_reason = xvasprintf(fmt, ap);
    va_end(ap);
    f->pruned = true;
    f->prune_rule = rule;
}

static void add_unique(uint32_t **arr, size_t *n, uint32_t v)
{
    for (size_t i = 0; i < *n; i++)
        if ((*arr)[i] == v)
            return;
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    (*arr)[(*n)++] = v;
}

void finding_lock(struct finding *f, uint32_t lock)
{
    if (lock != MODEL_NONE)
        add_unique(&f->locks, &f->nlocks, lock);
}

void finding_thread(struct finding *f, uint32_t thread)
{
    if (thread != MODEL_NONE)
        add_unique(&f->threads, &f->nthreads, thread);
}

struct finding_item *finding_item(struct finding *f, const char *role, uint32_t thread,
                                  uint32_t lock, uint32_t stack, uint64_t ns, const char *note)
{
    f->items = xrealloc(f->items, (f->nitems + 1) * sizeof *f->items);
    struct finding_item *it = &f->items[f->nitems++];
    it->role = role;
    it->thread = thread;
    it->lock = lock;
    it->stack = stack;
    it->ns = ns;
    it->note = note ? xstrdup(note) : NULL;
    return it;
}

void finding_scenario(struct finding *f, uint32_t thread, uint32_t hold, uint32_t wait)
{
    size_t n = f->nscen + 1;
    f->scen_thread = xrealloc(f->scen_thread, n * sizeof *f->scen_thread);
    f->scen_hold = xrealloc(f->scen_hold, n * sizeof *f->scen_hold);
    f->scen_wait = xrealloc(f->scen_wait, n * sizeof *f->scen_wait);
    f->scen_thread[f->nscen] = thread;
    f->scen_hold[f->nscen] = hold;
    f->scen_wait[f->nscen] = wait;
    f->nscen = n;
}

static struct finding_kv *kv_push(struct finding_kv **arr, size_t *n, const char *key,
                                  enum finding_value_type type)
{
    *arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
    struct finding_kv *kv = &(*arr)[(*n)++];
    memset(kv, 0, sizeof *kv);
    kv->key = key;
    kv->type = type;
    return kv;
}

void finding_metric_u64(struct finding *f, const char *key, uint64_t v)
{
    kv_push(&f->metrics, &f->nmetrics, key, FV_U64)->v.u = v;
}
void finding_metric_ns(struct finding *f, const char *key, uint64_t ns)
{
    kv_push(&f->metrics, &f->nmetrics, key, FV_NS)->v.u = ns;
}
void finding_metric_f64(struct finding *f, const char *key, double v)
{
    kv_push(&f->metrics, &f->nmetrics, key, FV_F64)->v.d = v;
}
void finding_metric_str(struct finding *f, const char *key, const char *s)
{
    kv_push(&f->metrics, &f->nmetrics, key, FV_STR)->v.s = xstrdup(s ? s : "");
}

void finding_columns(struct finding *f, const char *const *cols, size_t n)
{
    free(f->columns);
    f->columns = xcalloc(n ? n : 1, sizeof *f->columns);
    memcpy(f->columns, cols, n * sizeof *cols);
    f->ncolumns = n;
}

struct finding_row *finding_row(struct finding *f)
{
    f->rows = xrealloc(f->rows, (f->nrows + 1) * sizeof *f->rows);
    struct finding_row *r = &f->rows[f->nrows++];
    memset(r, 0, sizeof *r);
    return r;
}

void row_u64(struct finding_row *r, const char *key, uint64_t v)
{
    kv_push(&r->cells, &r->ncells, key, FV_U64)->v.u = v;
}
void row_ns(struct finding_row *r, const char *key, uint64_t ns)
{
    kv_push(&r->cells, &r->ncells, key, FV_NS)->v.u = ns;
}
void row_f64(struct finding_row *r, const char *key, double v)
{
    kv_push(&r->cells, &r->ncells, key, FV_F64)->v.d = v;
}
void row_str(struct finding_row *r, const char *key, const char *s)
{
    kv_push(&r->cells, &r->ncells, key, FV_STR)->v.s = xstrdup(s ? s : "");
}
void row_stack(struct finding_row *r, const char *key, uint32_t stack)
{
    kv_push(&r->cells, &r->ncells, key, FV_STACK)->v.u = stack;
}
void row_thread(struct finding_row *r, const char *key, uint32_t thread)
{
    kv_push(&r->cells, &r->ncells, key, FV_THREAD)->v.u = thread;
}
void row_lock(struct finding_row *r, const char *key, uint32_t lock)
{
    kv_push(&r->cells, &r->ncells, key, FV_LOCK)->v.u = lock;
}

static const char *const kind_names[FINDING_KIND_COUNT] = {
    [FINDING_DEADLOCK] = "deadlock",     [FINDING_CYCLE] = "cycle",
    [FINDING_ABANDONED] = "abandoned",   [FINDING_MISUSE] = "misuse",
    [FINDING_STARVATION] = "starvation", [FINDING_CONTENTION] = "contention",
};

const char *findings_kind_name(enum finding_kind k)
{
    return (unsigned)k < FINDING_KIND_COUNT ? kind_names[k] : "unknown";
}

int findings_kind_parse(const char *word)
{
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        if (!strcmp(word, kind_names[k]))
            return k;
    return -1;
}

const char *findings_severity_name(enum finding_severity s)
{
    switch (s) {
    case SEV_ERROR:
        return "error";
    case SEV_WARNING:
        return "warning";
    default:
        return "info";
    }
}

/* qsort has no context argument; the sort is not reentrant anyway. */
static const struct model *sort_model;

static uint32_t first_display_lock(const struct finding *f)
{
    if (!f->nlocks || !sort_model || f->locks[0] >= sort_model->nlocks)
        return UINT32_MAX;
    return sort_model->locks[f->locks[0]].display;
}

static uint32_t first_display_thread(const struct finding *f)
{
    if (!f->nthreads || !sort_model || f->threads[0] >= sort_model->nthreads)
        return UINT32_MAX;
    return sort_model->threads[f->threads[0]].display;
}

static int cmp_finding(const void *a, const void *b)
{
    const struct finding *x = *(const struct finding *const *)a;
    const struct finding *y = *(const struct finding *const *)b;
    if (x->pruned != y->pruned)
        return x->pruned ? 1 : -1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->sort_key != y->sort_key)
        return x->sort_key < y->sort_key ? -1 : 1;
    int c = strcmp(x->code ? x->code : "", y->code ? y->code : "");
    if (c)
        return c;
    uint32_t lx = first_display_lock(x), ly = first_display_lock(y);
    if (lx != ly)
        return lx < ly ? -1 : 1;
    uint32_t tx = first_display_thread(x), ty = first_display_thread(y);
    if (tx != ty)
        return tx < ty ? -1 : 1;
    return strcmp(x->title ? x->title : "", y->title ? y->title : "");
}

void findings_sort(struct findings *fs, const struct model *m)
{
    sort_model = m;
    /* Insertion order breaks the remaining ties: make qsort stable by
     * sorting (finding, index) would cost a copy; mergesort-like stability
     * is not needed because the comparison ends with the title. */
    if (fs->n > 1)
        qsort(fs->list, fs->n, sizeof *fs->list, cmp_finding);
    sort_model = NULL;
}

bool finding_reported(const struct finding *f)
{
    return !f->pruned && !f->suppressed_by && !f->baseline_known;
}

bool finding_fails(const struct finding *f, unsigned kind_mask)
{
    return finding_reported(f) && !f->note_only && (kind_mask & (1u << f->kind));
}

size_t findings_count(const struct findings *fs, unsigned kind_mask)
{
    size_t n = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (finding_fails(fs->list[i], kind_mask))
            n++;
    return n;
}

const char *findings_kind_list(void)
{
    static char list[128];
    if (!list[0])
        for (int k = 0; k < FINDING_KIND_COUNT; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                     kind_names[k]);
    return list;
}
