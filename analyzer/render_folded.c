/* Collapsed stacks (--format folded, -o FILE.folded), the input of
 * FlameGraph's flamegraph.pl and of speedscope: one line per distinct
 * stack, "outer;...;inner;[lock] weight", outermost frame first, the lock
 * waited for (or held) as the innermost frame, weighted by the wait time in
 * ns (--weight wait, the default) or the hold time (--weight hold) of the
 * acquisitions made at that stack.
 *
 * The weights are the lock statistics' per-(lock, site) totals
 * (lockstats.h), so the view is bounded by the number of distinct sites,
 * never by the number of events.  Trace mode times every wait and hold;
 * profile mode gives the recorder's per-site counters (holds sampled).
 *
 * Frames are function names as the text report symbolizes them (without
 * offsets or lines, so that the calls of one function merge); the folded
 * format's separators (';', and the space before the weight is fine only
 * because the weight is the last field) and control characters in names
 * are replaced, ';' by ':'. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/lockstats.h"
#include "analyzer/render.h"
#include "analyzer/xalloc.h"

struct line {
    char *text;
    unsigned long long weight;
};

struct buf {
    char *s;
    size_t n, cap;
};

static void put(struct buf *b, const char *s)
{
    size_t k = strlen(s);
    if (b->n + k + 1 > b->cap) {
        b->cap = (b->n + k + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    memcpy(b->s + b->n, s, k + 1);
    b->n += k;
}

/* One frame: separators and control characters replaced. */
static void frame(struct buf *b, const char *s)
{
    if (b->n)
        put(b, ";");
    size_t start = b->n;
    put(b, s && *s ? s : "?");
    for (size_t i = start; i < b->n; i++) {
        unsigned char c = (unsigned char)b->s[i];
        if (c == ';')
            b->s[i] = ':';
        else if (c < 0x20 || c == 0x7f)
            b->s[i] = ' ';
    }
}

static bool skipped(const char *name)
{
    return !strncmp(name, "_start", 6) || !strncmp(name, "__libc_start", 12);
}

/* The frames of a stack, outermost first, as the text report shows them:
 * from the first user frame out, without start-up and shim frames. */
static void stack_frames(struct buf *b, const struct render_input *in, uint32_t stack)
{
    const struct model *m = in->m;
    if (stack == MODEL_NONE || stack >= m->nstacks || !m->stacks[stack].nframes) {
        frame(b, "(no stack)");
        return;
    }
    const struct model_stack *s = &m->stacks[stack];
    uint32_t first = names_first_user_frame(in->names, stack);
    char text[512];
    for (uint32_t i = s->nframes; i-- > first;) {
        if (i > first && names_is_infrastructure(in->names, s->proc, s->ips[i]))
            continue;
        struct names_loc loc;
        names_frame_loc(in->names, s->proc, s->ips[i], &loc);
        const char *name = loc.function;
        if (!name)
            name = names_frame(in->names, s->proc, s->ips[i], text, sizeof text);
        if (i > first && skipped(name))
            continue;
        frame(b, name);
    }
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(((const struct line *)a)->text, ((const struct line *)b)->text);
}

void render_folded(FILE *out, const struct render_input *in)
{
    const struct model *m = in->m;
    bool hold = in->o->weight == REPORT_WEIGHT_HOLD;
    size_t nlocks = 0;
    const struct lockstats_lock_row *const *rows = in->ls ? lockstats_locks(in->ls, &nlocks) : NULL;
    struct line *lines = NULL;
    size_t n = 0, cap = 0;
    char label[300], proc[64];
    for (size_t i = 0; i < nlocks; i++) {
        const struct lockstats_lock_row *r = rows[i];
        if (r->lock >= m->nlocks)
            continue;
        for (size_t k = 0; k < r->nsites; k++) {
            const struct lockstats_site_row *sr = r->sites[k];
            uint64_t w = hold ? sr->c.hold_total_ns : sr->c.wait_total_ns;
            if (!w)
                continue;
            struct buf b = {0};
            /* several processes: each is its own root */
            if (m->nprocs > 1 && sr->site < m->nstacks) {
                const struct model_process *p = &m->procs[m->stacks[sr->site].proc];
                snprintf(proc, sizeof proc, "P%u pid %d", p->index + 1, (int)p->pid);
                frame(&b, proc);
            }
            stack_frames(&b, in, sr->site);
            /* the lock's own name: "[hot_lock]", "[L3]" for a lock without one */
            const struct model_lock *l = &m->locks[r->lock];
            if (l->label || l->name)
                snprintf(label, sizeof label, "[%s]", l->label ? l->label : l->name);
            else
                snprintf(label, sizeof label, "[L%u]", l->display);
            frame(&b, label);
            if (n == cap) {
                cap = cap ? cap * 2 : 64;
                lines = xrealloc(lines, cap * sizeof *lines);
            }
            lines[n].text = b.s;
            lines[n].weight = w;
            n++;
        }
    }
    qsort(lines, n, sizeof *lines, cmp_line);
    for (size_t i = 0; i < n;) {
        unsigned long long w = 0;
        size_t j = i;
        for (; j < n && !strcmp(lines[j].text, lines[i].text); j++)
            w += lines[j].weight;
        fprintf(out, "%s %llu\n", lines[i].text, w);
        i = j;
    }
    for (size_t i = 0; i < n; i++)
        free(lines[i].text);
    free(lines);
}
