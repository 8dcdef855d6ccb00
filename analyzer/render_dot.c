/* The lock-order graph in Graphviz DOT (--format dot, -o FILE.dot/.gv):
 * locks are nodes, lock-order edges are arrows labelled with the threads
 * and sites that made them.  Edges of a reported cycle or deadlock are red
 * and bold; edges only in cycles that a pruning rule dropped are dashed,
 * with the rule in their label and tooltip.
 *
 * Names come from the traced program and can hold anything: they are
 * written as DOT quoted strings (quote and backslash escaped, so Graphviz
 * sees no escape sequence of its own), control characters become spaces
 * and bytes that are not UTF-8 become '?'.
 *
 * The output is bounded: at most DOT_MAX_EDGES edges (cycle edges first,
 * then the most frequent), DOT_MAX_VARIANTS threads per edge label; a
 * cut graph says so in its title. */
#define _GNU_SOURCE /* qsort_r */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/jsonw.h"
#include "analyzer/render.h"
#include "analyzer/xalloc.h"

#define DOT_MAX_EDGES 2000u
#define DOT_MAX_VARIANTS 3u

/* Writes s inside a DOT quoted string. */
static void dot_text(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        if (*p == '"' || *p == '\\') {
            fputc('\\', out);
            fputc(*p++, out);
        } else if (*p == '\n') {
            fputs("\\n", out);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            fputc(' ', out);
            p++;
        } else if (*p < 0x80) {
            fputc(*p++, out);
        } else {
            size_t n = jsonw_utf8_len(p);
            if (n) {
                fwrite(p, 1, n, out);
                p += n;
            } else {
                fputc('?', out);
                p++;
            }
        }
    }
}

/* What the findings say about an edge. */
struct edge_mark {
    bool cycle;               /* in a reported cycle or deadlock */
    const struct finding *pruned; /* in a pruned cycle only: the first such finding */
    bool shown;
    bool excluded;            /* not between the locks asked for */
};

static size_t edge_index(const struct model *m, uint32_t from, uint32_t to)
{
    const struct model_edge *e = model_edge_find(m, from, to);
    return e ? (size_t)(e - m->edges) : SIZE_MAX;
}

static void mark_findings(const struct render_input *in, struct edge_mark *marks)
{
    const struct model *m = in->m;
    for (size_t i = 0; i < in->fs->n; i++) {
        const struct finding *f = in->fs->list[i];
        if (f->kind != FINDING_CYCLE && f->kind != FINDING_DEADLOCK)
            continue;
        for (size_t k = 0; k < f->nscen; k++) {
            uint32_t a = f->scen_hold[k], b = f->scen_wait[k];
            if (a >= m->nlocks || b >= m->nlocks)
                continue;
            size_t e = edge_index(m, m->locks[a].node, m->locks[b].node);
            if (e == SIZE_MAX)
                continue;
            if (finding_reported(f))
                marks[e].cycle = true;
            else if (f->pruned && !marks[e].pruned)
                marks[e].pruned = f;
        }
    }
}

static int cmp_count_desc(const void *a, const void *b, void *ctx)
{
    const struct model *m = ctx;
    const struct model_edge *x = &m->edges[*(const size_t *)a], *y = &m->edges[*(const size_t *)b];
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static void node(FILE *out, const struct render_input *in, uint32_t lock, bool hot)
{
    const struct model *m = in->m;
    const struct model_lock *l = &m->locks[lock];
    char buf[256], site[512];
    fprintf(out, "  L%u [label=\"", l->display);
    dot_text(out, model_lock_label(m, lock, buf, sizeof buf));
    fprintf(out, "\", tooltip=\"L%u", l->display);
    if (l->init_site != MODEL_NONE) {
        fputs(" first used at ", out);
        dot_text(out, names_site(in->names, l->init_site, site, sizeof site));
    }
    fprintf(out, "\"%s];\n", hot ? ", color=red, penwidth=2" : "");
}

static void edge(FILE *out, const struct render_input *in, const struct model_edge *e,
                 const struct edge_mark *mk)
{
    const struct model *m = in->m;
    char th[256], a[512], b[512];
    fprintf(out, "  L%u -> L%u [label=\"", m->locks[e->from].display, m->locks[e->to].display);
    uint32_t shown = e->nvariants < DOT_MAX_VARIANTS ? e->nvariants : DOT_MAX_VARIANTS;
    for (uint32_t v = 0; v < shown; v++) {
        const struct model_edge_variant *x = &e->variants[v];
        if (v)
            fputs("\\n", out);
        dot_text(out, model_thread_label(m, x->thread, th, sizeof th));
        fputs(": ", out);
        dot_text(out, names_site(in->names, x->from_site, a, sizeof a));
        fputs(" -> ", out);
        dot_text(out, names_site(in->names, x->to_site, b, sizeof b));
    }
    if (e->variants_overflow)
        fputs("\\n(and more threads or sites)", out);
    else if (e->nvariants > shown)
        fprintf(out, "\\n(+%u more)", e->nvariants - shown);
    if (e->count > 1) /* 0 when the shim's EDGE records did not count repeats */
        fprintf(out, "\\n(seen %llu times)", (unsigned long long)e->count);
    if (!mk->cycle && mk->pruned)
        fprintf(out, "\\npruned: %s", mk->pruned->prune_rule ? mk->pruned->prune_rule : "?");
    fputs("\"", out);
    if (mk->cycle)
        fputs(", color=red, fontcolor=red, penwidth=2.5, style=bold", out);
    else if (mk->pruned) {
        fputs(", style=dashed, color=gray40, tooltip=\"pruned (", out);
        dot_text(out, mk->pruned->prune_rule);
        fputs("): ", out);
        dot_text(out, mk->pruned->prune_reason);
        fputs("\"", out);
    }
    fputs("];\n", out);
}

/* The whole graph, or (only != NULL) the edges between the graph nodes
 * only marks. */
static void write_graph(FILE *out, const struct render_input *in, const bool *only)
{
    const struct model *m = in->m;
    struct edge_mark *marks = xcalloc(m->nedges ? m->nedges : 1, sizeof *marks);
    mark_findings(in, marks);
    if (only)
        for (size_t i = 0; i < m->nedges; i++)
            marks[i].excluded = !(only[m->edges[i].from] && only[m->edges[i].to]);

    /* Which edges: every cycle edge, then the most frequent up to the bound. */
    size_t *order = xcalloc(m->nedges ? m->nedges : 1, sizeof *order);
    for (size_t i = 0; i < m->nedges; i++)
        order[i] = i;
    size_t nwanted = 0;
    for (size_t i = 0; i < m->nedges; i++)
        nwanted += !marks[i].excluded;
    qsort_r(order, m->nedges, sizeof *order, cmp_count_desc, (void *)m);
    size_t nshown = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t k = 0; k < m->nedges && nshown < DOT_MAX_EDGES; k++) {
            struct edge_mark *mk = &marks[order[k]];
            bool special = mk->cycle || mk->pruned;
            if (!mk->shown && !mk->excluded && (pass == 1 || special)) {
                mk->shown = true;
                nshown++;
            }
        }
    bool *used = xcalloc(m->nlocks ? m->nlocks : 1, sizeof *used);
    bool *hot = xcalloc(m->nlocks ? m->nlocks : 1, sizeof *hot);
    size_t nused = 0;
    for (size_t i = 0; i < m->nedges; i++)
        if (marks[i].shown) {
            nused += !used[m->edges[i].from];
            used[m->edges[i].from] = true;
            nused += !used[m->edges[i].to];
            used[m->edges[i].to] = true;
            if (marks[i].cycle)
                hot[m->edges[i].from] = hot[m->edges[i].to] = true;
        }

    fputs("digraph lock_order {\n", out);
    fputs("  graph [label=\"syncwatch lock-order graph", out);
    size_t ncycles = 0;
    for (size_t i = 0; i < in->fs->n; i++)
        ncycles += finding_reported(in->fs->list[i]) &&
                   (in->fs->list[i]->kind == FINDING_CYCLE ||
                    in->fs->list[i]->kind == FINDING_DEADLOCK);
    fprintf(out, ": %zu locks, %zu edges, %zu cycle%s", nused, nwanted, ncycles,
            ncycles == 1 ? "" : "s");
    if (nshown < nwanted)
        fprintf(out, " (showing %zu edges: the cycles' and the most frequent)", nshown);
    fputs("\", labelloc=t, fontname=\"Helvetica\"];\n", out);
    fputs("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n", out);
    fputs("  edge [fontname=\"Helvetica\", fontsize=10];\n", out);
    for (uint32_t l = 0; l < m->nlocks; l++)
        if (used[l])
            node(out, in, l, hot[l]);
    for (size_t i = 0; i < m->nedges; i++)
        if (marks[i].shown)
            edge(out, in, &m->edges[i], &marks[i]);
    if (!nwanted)
        fputs("  empty [shape=plaintext, label=\"no lock was taken while another was held\"];\n",
              out);
    fputs("}\n", out);
    free(used);
    free(hot);
    free(order);
    free(marks);
}

void render_dot(FILE *out, const struct render_input *in)
{
    write_graph(out, in, NULL);
}

void render_dot_locks(FILE *out, const struct render_input *in, const uint32_t *locks,
                      size_t nlocks)
{
    const struct model *m = in->m;
    bool *only = xcalloc(m->nlocks ? m->nlocks : 1, sizeof *only);
    for (size_t i = 0; i < nlocks; i++)
        if (locks[i] < m->nlocks)
            only[m->locks[locks[i]].node] = true;
    write_graph(out, in, only);
    free(only);
}
