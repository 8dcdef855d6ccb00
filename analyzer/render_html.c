/* One self-contained HTML page (--format html, -o FILE.html): the summary,
 * every finding with its story and stacks (collapsible), the lock-order
 * graph of each cycle and of the whole program, a per-thread timeline of
 * holds and waits around each finding, and the tables (sortable by
 * column).  No network, no external script, style or font: the page works
 * from a mail attachment or a CI artifact.
 *
 * The graphs are Graphviz's: `dot -Tsvg` runs as a subprocess at render
 * time and its SVG is inlined; without dot the page says so and shows the
 * edges as a table.  The timelines come from a second pass over the
 * traces (timeline.h), at most HTML_MAX_PIECES slices per finding, drawn
 * as inline SVG by this file.
 *
 * Every name from the traced program (locks, threads, functions, files,
 * the command line) goes through html(): the five special characters are
 * escaped, control characters and bytes that are not UTF-8 become U+FFFD,
 * so a thread named "<script>" is text. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analyzer/jsonw.h"
#include "analyzer/render.h"
#include "analyzer/timeline.h"
#include "analyzer/xalloc.h"

#define HTML_MAX_PIECES 4000u   /* slices drawn per finding's timeline */
#define HTML_MAX_TIMELINES 20u  /* findings that get one */
#define HTML_MAX_ROWS 24u       /* threads per timeline */
#define HTML_MAX_DOT_EDGES 300u /* a larger graph is a table: dot would take minutes */

extern char **environ;

static void html(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        default:
            if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) {
                fputs("\xef\xbf\xbd", out);
                break;
            }
            if (*p >= 0x80) {
                size_t n = jsonw_utf8_len(p);
                if (!n) {
                    fputs("\xef\xbf\xbd", out);
                    break;
                }
                fwrite(p, 1, n, out);
                p += n;
                continue;
            }
            fputc(*p, out);
        }
        p++;
    }
}

/* ---- Graphviz ---- */

/* SVG of a DOT text by `dot -Tsvg`, without its XML prolog; NULL when dot
 * cannot be run (missing) or fails. */
static char *dot_svg(const char *dot, size_t len)
{
    char in_path[] = "/tmp/syncwatch-dot-XXXXXX", out_path[] = "/tmp/syncwatch-svg-XXXXXX";
    int fin = mkstemp(in_path);
    if (fin < 0)
        return NULL;
    int fout = mkstemp(out_path);
    if (fout < 0) {
        close(fin);
        unlink(in_path);
        return NULL;
    }
    char *svg = NULL;
    bool ok = write(fin, dot, len) == (ssize_t)len && lseek(fin, 0, SEEK_SET) == 0;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fin, 0);
    posix_spawn_file_actions_adddup2(&fa, fout, 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"dot", "-Tsvg", NULL};
    pid_t pid;
    int status = -1;
    if (ok && posix_spawnp(&pid, "dot", &fa, NULL, argv, environ) == 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    posix_spawn_file_actions_destroy(&fa);
    if (ok && status == 0) {
        off_t n = lseek(fout, 0, SEEK_END);
        if (n > 0 && lseek(fout, 0, SEEK_SET) == 0) {
            svg = xmalloc((size_t)n + 1);
            ssize_t got = read(fout, svg, (size_t)n);
            svg[got > 0 ? got : 0] = 0;
            char *start = strstr(svg, "<svg");
            if (start)
                memmove(svg, start, strlen(start) + 1);
            else {
                free(svg);
                svg = NULL;
            }
        }
    }
    close(fin);
    close(fout);
    unlink(in_path);
    unlink(out_path);
    return svg;
}

static bool dot_missing;

/* The graph of locks (all: NULL) as inline SVG, or the edge table. */
static void graph(FILE *out, const struct render_input *in, const uint32_t *locks, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (locks)
        render_dot_locks(mem, in, locks, n);
    else
        render_dot(mem, in);
    fclose(mem);
    const struct model *m = in->m;
    bool too_big = !locks && m->nedges > HTML_MAX_DOT_EDGES;
    char *svg = dot_missing || too_big ? NULL : dot_svg(text, len);
    free(text);
    if (svg) {
        fprintf(out, "<div class=\"graph\">%s</div>\n", svg);
        free(svg);
        return;
    }
    if (too_big)
        fprintf(out, "<p class=\"note\">The graph has %zu edges, too many for a picture (more "
                     "than %u): here they are as a table; <code>--format dot</code> writes the "
                     "graph.</p>\n",
                m->nedges, HTML_MAX_DOT_EDGES);
    else {
        dot_missing = true;
        fputs("<p class=\"note\">Graphviz's <code>dot</code> could not be run, so the lock graph "
              "is a table (install graphviz for the picture).</p>\n", out);
    }
    fputs("<div class=\"wide\"><table class=\"sortable\"><thead><tr>"
          "<th>held</th><th>then acquired</th><th>by</th><th>count</th></tr></thead><tbody>\n",
          out);
    char a[256], b[256], t[256];
    for (size_t i = 0; i < m->nedges && i < 2000; i++) {
        const struct model_edge *e = &m->edges[i];
        bool from_in = !locks, to_in = !locks;
        for (size_t k = 0; locks && k < n; k++) {
            from_in |= m->locks[locks[k]].node == e->from;
            to_in |= m->locks[locks[k]].node == e->to;
        }
        if (!from_in || !to_in)
            continue;
        fputs("<tr><td>", out);
        html(out, model_lock_label(m, e->from, a, sizeof a));
        fputs("</td><td>", out);
        html(out, model_lock_label(m, e->to, b, sizeof b));
        fputs("</td><td>", out);
        for (uint32_t v = 0; v < e->nvariants && v < 4; v++) {
            fputs(v ? ", " : "", out);
            html(out, model_thread_label(m, e->variants[v].thread, t, sizeof t));
        }
        fprintf(out, "</td><td data-v=\"%" PRIu64 "\">%" PRIu64 "</td></tr>\n", e->count,
                e->count);
    }
    fputs("</tbody></table></div>\n", out);
}

/* ---- timelines ---- */

struct window {
    const struct finding *f;
    uint64_t lo, hi, moment;
    bool *threads;              /* the rows: per model thread */
    struct timeline_piece *p;
    size_t n;
    bool cut;
};

struct windows {
    struct window *w;
    size_t n;
};

static void collect(void *ctx, const struct timeline_piece *p)
{
    struct windows *ws = ctx;
    for (size_t i = 0; i < ws->n; i++) {
        struct window *w = &ws->w[i];
        if (p->end < w->lo || p->start > w->hi || p->kind == TIMELINE_FLOW ||
            !w->threads[p->thread])
            continue;
        if (w->n < HTML_MAX_PIECES)
            w->p[w->n++] = *p;
        else
            w->cut = true;
    }
}

static void timeline_svg(FILE *out, const struct render_input *in, const struct window *w)
{
    const struct model *m = in->m;
    uint32_t rows[HTML_MAX_ROWS], nrows = 0;
    for (uint32_t t = 0; t < m->nthreads && nrows < HTML_MAX_ROWS; t++)
        if (w->threads[t])
            rows[nrows++] = t;
    if (!nrows)
        return;
    const double left = 170, width = 1000, plot = width - left - 10;
    const int rh = 22, top = 20;
    double span = (double)(w->hi - w->lo ? w->hi - w->lo : 1);
    int height = top + rh * (int)nrows + 24;
    static unsigned serial;
    serial++;
    /* data-*: what the zoom script (SCRIPT) needs to lay the bars out again */
    fprintf(out, "<svg class=\"timeline\" viewBox=\"0 0 %.0f %d\" width=\"%.0f\" height=\"%d\" "
                 "xmlns=\"http://www.w3.org/2000/svg\" data-lo=\"%" PRIu64 "\" data-span=\"%.0f\" "
                 "data-left=\"%.0f\" data-plot=\"%.0f\">\n"
                 "<clipPath id=\"tlclip%u\"><rect x=\"%.0f\" y=\"0\" width=\"%.0f\" "
                 "height=\"%d\"/></clipPath>\n",
            width, height, width, height, w->lo, span, left, plot, serial, left, plot, height);
    char buf[256], d1[32], d2[32];
    for (uint32_t r = 0; r < nrows; r++) {
        int y = top + rh * (int)r;
        fprintf(out, "<rect x=\"0\" y=\"%d\" width=\"%.0f\" height=\"%d\" class=\"row%u\"/>", y,
                width, rh, r % 2);
        fprintf(out, "<text x=\"4\" y=\"%d\" class=\"tl\">", y + 15);
        html(out, model_thread_label(m, rows[r], buf, sizeof buf));
        fputs("</text>\n", out);
    }
    fprintf(out, "<g clip-path=\"url(#tlclip%u)\">\n", serial);
    for (size_t i = 0; i < w->n; i++) {
        const struct timeline_piece *p = &w->p[i];
        uint32_t r = 0;
        while (r < nrows && rows[r] != p->thread)
            r++;
        if (r == nrows)
            continue;
        uint64_t s = p->start < w->lo ? w->lo : p->start, e = p->end > w->hi ? w->hi : p->end;
        double x = left + (double)(s - w->lo) / span * plot;
        double wd = (double)(e - s) / span * plot;
        bool hold = p->kind == TIMELINE_HOLD;
        int y = top + rh * (int)r + (hold ? 3 : 12);
        fprintf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" class=\"%s\" "
                     "data-s=\"%" PRIu64 "\" data-e=\"%" PRIu64 "\"><title>",
                x, y, wd < 1 ? 1 : wd, hold ? 9 : 7, hold ? "hold" : "wait", s - w->lo,
                e - w->lo);
        fputs(hold ? "holds " : "waits for ", out);
        html(out, model_lock_label(m, p->lock, buf, sizeof buf));
        fprintf(out, " %s from %s", render_duration(p->end - p->start, d1, sizeof d1),
                render_duration(p->start, d2, sizeof d2));
        if (p->site != MODEL_NONE) {
            fputs(" at ", out);
            html(out, names_site(in->names, p->site, buf, sizeof buf));
        }
        fputs("</title></rect>\n", out);
    }
    if (w->moment >= w->lo && w->moment <= w->hi) {
        double x = left + (double)(w->moment - w->lo) / span * plot;
        fprintf(out, "<line x1=\"%.2f\" y1=\"12\" x2=\"%.2f\" y2=\"%d\" class=\"moment\" "
                     "data-t=\"%" PRIu64 "\"/>",
                x, x, top + rh * (int)nrows, w->moment - w->lo);
    }
    fputs("</g>\n", out);
    if (w->moment >= w->lo && w->moment <= w->hi) {
        double x = left + (double)(w->moment - w->lo) / span * plot;
        fprintf(out, "<text x=\"%.2f\" y=\"10\" class=\"ml\" text-anchor=\"end\">finding"
                     "</text>\n",
                x - 3);
    }
    fprintf(out, "<text x=\"%.0f\" y=\"%d\" class=\"axis a0\">%s</text>", left,
            height - 6, render_duration(w->lo, d1, sizeof d1));
    fprintf(out, "<text x=\"%.0f\" y=\"%d\" class=\"axis a1\" text-anchor=\"end\">%s</text>\n",
            width - 10, height - 6, render_duration(w->hi, d2, sizeof d2));
    fputs("</svg>\n", out);
    fputs("<p class=\"legend\"><span class=\"k hold\"></span> holds <span class=\"k wait\">"
          "</span> waits", out);
    if (w->moment != UINT64_MAX)
        fputs(" <span class=\"k moment\"></span> the finding's moment", out);
    if (w->cut)
        fprintf(out, " (only the first %u slices drawn)", HTML_MAX_PIECES);
    fputs(" &middot; wheel to zoom, drag to pan, double-click to reset", out);
    fputs("</p>\n", out);
}

/* The windows: around each finding's story (padding a tenth each side, at
 * least 1 ms), or the whole run for a finding without times; its threads,
 * or every thread without. */
static void make_windows(const struct render_input *in, struct windows *ws)
{
    const struct model *m = in->m;
    ws->w = xcalloc(HTML_MAX_TIMELINES, sizeof *ws->w);
    for (size_t i = 0; i < in->fs->n && ws->n < HTML_MAX_TIMELINES; i++) {
        const struct finding *f = in->fs->list[i];
        if (!finding_reported(f))
            continue;
        struct window *w = &ws->w[ws->n++];
        w->f = f;
        uint64_t lo = UINT64_MAX, hi = 0;
        for (size_t k = 0; k < f->nitems; k++)
            if (f->items[k].ns) {
                lo = f->items[k].ns < lo ? f->items[k].ns : lo;
                hi = f->items[k].ns > hi ? f->items[k].ns : hi;
            }
        if (hi) {
            w->moment = hi;
            uint64_t pad = (hi - lo) / 10;
            if (pad < 1000000)
                pad = 1000000;
            w->lo = lo > pad ? lo - pad : 0;
            w->hi = hi + pad;
        } else {
            w->moment = UINT64_MAX;
            w->lo = 0;
            w->hi = m->duration_ns;
        }
        if (w->hi > m->duration_ns && m->duration_ns > w->lo)
            w->hi = m->duration_ns;
        w->threads = xcalloc(m->nthreads ? m->nthreads : 1, sizeof *w->threads);
        for (size_t k = 0; k < f->nthreads; k++)
            if (f->threads[k] < m->nthreads)
                w->threads[f->threads[k]] = true;
        for (size_t k = 0; k < f->nitems; k++)
            if (f->items[k].thread < m->nthreads)
                w->threads[f->items[k].thread] = true;
        if (!f->nthreads)
            for (uint32_t t = 0; t < m->nthreads && t < HTML_MAX_ROWS; t++)
                w->threads[t] = true;
        w->p = xcalloc(HTML_MAX_PIECES, sizeof *w->p);
    }
}

/* ---- findings ---- */

static void value(FILE *out, const struct render_input *in, const struct finding_kv *kv,
                  bool cell)
{
    char buf[512];
    if (cell) {
        if (kv->type == FV_U64 || kv->type == FV_NS)
            fprintf(out, "<td data-v=\"%" PRIu64 "\">", kv->v.u);
        else if (kv->type == FV_I64)
            fprintf(out, "<td data-v=\"%" PRId64 "\">", kv->v.i);
        else if (kv->type == FV_F64)
            fprintf(out, "<td data-v=\"%g\">", kv->v.d);
        else
            fputs("<td>", out);
    }
    switch (kv->type) {
    case FV_U64:
        fprintf(out, "%" PRIu64, kv->v.u);
        break;
    case FV_I64:
        fprintf(out, "%" PRId64, kv->v.i);
        break;
    case FV_F64:
        fprintf(out, "%.3g", kv->v.d);
        break;
    case FV_STR:
        html(out, kv->v.s);
        break;
    case FV_NS:
        fputs(render_duration(kv->v.u, buf, sizeof buf), out);
        break;
    case FV_STACK:
        html(out, names_site(in->names, (uint32_t)kv->v.u, buf, sizeof buf));
        break;
    case FV_THREAD:
        html(out, model_thread_label(in->m, (uint32_t)kv->v.u, buf, sizeof buf));
        break;
    case FV_LOCK:
        html(out, model_lock_label(in->m, (uint32_t)kv->v.u, buf, sizeof buf));
        break;
    }
    if (cell)
        fputs("</td>", out);
}

static void stack(FILE *out, const struct render_input *in, uint32_t st)
{
    const struct model *m = in->m;
    if (st == MODEL_NONE || st >= m->nstacks || !m->stacks[st].nframes)
        return;
    const struct model_stack *s = &m->stacks[st];
    char buf[512];
    fputs("<details class=\"stack\"><summary>stack</summary><ol>", out);
    for (uint32_t i = names_first_user_frame(in->names, st); i < s->nframes; i++) {
        if (names_is_infrastructure(in->names, s->proc, s->ips[i]))
            continue;
        fputs("<li>", out);
        html(out, names_frame(in->names, s->proc, s->ips[i], buf, sizeof buf));
        fputs("</li>", out);
    }
    fputs("</ol></details>", out);
}

static void finding(FILE *out, const struct render_input *in, const struct finding *f,
                    size_t number, const struct window *w)
{
    const struct model *m = in->m;
    char buf[512];
    const char *sev = findings_severity_name(f->severity);
    fprintf(out, "<details class=\"finding %s\" id=\"finding-%zu\" open><summary>"
                 "<span class=\"badge\">%s</span> <b>#%zu</b> <code>%s/%s</code> ",
            sev, number, sev, number, findings_kind_name(f->kind), f->code);
    html(out, f->title);
    fputs("</summary>\n<ol class=\"story\">\n", out);
    for (size_t i = 0; i < f->nitems; i++) {
        const struct finding_item *it = &f->items[i];
        fputs("<li>", out);
        if (it->thread != MODEL_NONE) {
            fputs("<span class=\"thread\">", out);
            html(out, model_thread_label(m, it->thread, buf, sizeof buf));
            fputs("</span> ", out);
        }
        html(out, it->role);
        if (it->lock != MODEL_NONE) {
            fputs(" <span class=\"lock\">", out);
            html(out, model_lock_label(m, it->lock, buf, sizeof buf));
            fputs("</span>", out);
        }
        if (it->note) {
            fputs(" (", out);
            html(out, it->note);
            fputs(")", out);
        }
        if (it->stack != MODEL_NONE) {
            fputs(" at <code>", out);
            html(out, names_site(in->names, it->stack, buf, sizeof buf));
            fputs("</code>", out);
        }
        if (it->ns) {
            fputs(" <span class=\"time\">at ", out);
            fputs(render_duration(it->ns, buf, sizeof buf), out);
            fputs("</span>", out);
        }
        stack(out, in, it->stack);
        fputs("</li>\n", out);
    }
    fputs("</ol>\n", out);
    if (f->nmetrics) {
        fputs("<p class=\"metrics\">", out);
        for (size_t i = 0; i < f->nmetrics; i++) {
            fprintf(out, "%s<span>%s: ", i ? " " : "", f->metrics[i].key);
            value(out, in, &f->metrics[i], false);
            fputs("</span>", out);
        }
        fputs("</p>\n", out);
    }
    if (f->nrows) {
        fputs("<div class=\"wide\"><table class=\"sortable\"><thead><tr>", out);
        size_t nc = f->ncolumns ? f->ncolumns : f->rows[0].ncells;
        for (size_t c = 0; c < nc; c++)
            fprintf(out, "<th>%s</th>", f->ncolumns ? f->columns[c] : f->rows[0].cells[c].key);
        fputs("</tr></thead><tbody>\n", out);
        for (size_t r = 0; r < f->nrows; r++) {
            fputs("<tr>", out);
            for (size_t c = 0; c < f->rows[r].ncells; c++)
                value(out, in, &f->rows[r].cells[c], true);
            fputs("</tr>\n", out);
        }
        fputs("</tbody></table></div>\n", out);
    }
    if (f->why) {
        fputs("<p><b>Why it matters:</b> ", out);
        html(out, f->why);
        fputs("</p>\n", out);
    }
    if (f->fix) {
        fputs("<p><b>How to fix:</b> ", out);
        html(out, f->fix);
        fputs("</p>\n", out);
    }
    if ((f->kind == FINDING_CYCLE || f->kind == FINDING_DEADLOCK) && f->nlocks) {
        fputs("<h4>The cycle</h4>\n", out);
        graph(out, in, f->locks, f->nlocks);
    }
    if (w && w->n) {
        fputs("<h4>Timeline</h4>\n", out);
        timeline_svg(out, in, w);
    }
    fprintf(out, "<p class=\"fp\">fingerprint %s</p>\n</details>\n", f->fingerprint);
}

/* ---- the page ---- */

static const char STYLE[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;"
    "margin:0 auto;max-width:1100px;padding:1em 1.5em;color:#1d232a;background:#fafbfc}"
    "h1{font-size:1.5em;margin:.2em 0}h2{margin-top:1.6em;border-bottom:1px solid #d0d7de;"
    "padding-bottom:.2em}h4{margin:.8em 0 .3em}"
    "code{font:12.5px ui-monospace,Menlo,Consolas,monospace;background:#eef1f4;padding:0 3px;"
    "border-radius:3px}"
    ".summary td{padding:2px 14px 2px 0}.counts span{display:inline-block;margin-right:10px;"
    "padding:2px 8px;border-radius:10px;background:#e6ebf0}"
    "details.finding{background:#fff;border:1px solid #d0d7de;border-left:5px solid #999;"
    "border-radius:6px;margin:10px 0;padding:6px 12px}"
    "details.finding.error{border-left-color:#cf222e}details.finding.warning{"
    "border-left-color:#d4a72c}details.finding.info{border-left-color:#0969da}"
    "details.finding>summary{cursor:pointer;font-size:15px;padding:4px 0}"
    ".badge{font-size:11px;text-transform:uppercase;padding:1px 6px;border-radius:8px;"
    "background:#eee}.error .badge{background:#ffebe9;color:#cf222e}.warning .badge{"
    "background:#fff8c5;color:#7d4e00}"
    ".story li{margin:3px 0}.thread{font-weight:600;color:#0550ae}.lock{font-weight:600;"
    "color:#953800}.time{color:#57606a;font-size:12px}"
    "details.stack{display:inline;margin-left:6px}details.stack>summary{display:inline;"
    "cursor:pointer;color:#57606a;font-size:12px}details.stack ol{font:12px ui-monospace,"
    "monospace;margin:2px 0 4px;background:#f6f8fa;padding:4px 4px 4px 36px}"
    ".metrics span{display:inline-block;margin-right:12px;color:#424a53}"
    "table{border-collapse:collapse;margin:6px 0;font-size:13px}th,td{border:1px solid "
    "#d0d7de;padding:3px 8px;text-align:left}th{background:#f0f3f6}"
    "table.sortable th{cursor:pointer;user-select:none}table.sortable th:after{content:' \\2195';"
    "color:#8c959f}td[data-v]{text-align:right;font-variant-numeric:tabular-nums}"
    ".graph svg{max-width:100%;height:auto;max-height:640px}.graph{overflow-x:auto;background:#fff}"
    "svg.timeline{max-width:100%;height:auto;border:1px solid #d0d7de;background:#fff}"
    ".row0{fill:#f6f8fa}.row1{fill:#fff}.tl{font-size:12px;fill:#24292f}"
    "rect.hold{fill:#2f81f7}rect.wait{fill:#e16f24}.moment{stroke:#cf222e;stroke-width:2}"
    ".ml{font-size:11px;fill:#cf222e}.axis{font-size:11px;fill:#57606a}"
    ".legend .k{display:inline-block;width:14px;height:8px;margin:0 3px 0 10px}"
    ".legend .hold{background:#2f81f7}.legend .wait{background:#e16f24}.legend .moment{"
    "background:#cf222e;width:3px}.note{color:#7d4e00;background:#fff8c5;padding:6px}"
    ".fp{color:#8c959f;font-size:11px}.wide{overflow-x:auto}";

/* Sorts a table by the clicked column: numbers by data-v, else text. */
static const char SCRIPT[] =
    "document.querySelectorAll('table.sortable').forEach(function(t){"
    "t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){"
    "var asc=th.getAttribute('data-dir')!=='asc';"
    "t.querySelectorAll('th').forEach(function(h){h.removeAttribute('data-dir')});"
    "th.setAttribute('data-dir',asc?'asc':'desc');var b=t.tBodies[0];"
    "var rows=Array.prototype.slice.call(b.rows);"
    "function key(r){var c=r.cells[i];if(!c)return '';var v=c.getAttribute('data-v');"
    "return v!==null?parseFloat(v):c.textContent.toLowerCase()}"
    "rows.sort(function(x,y){var a=key(x),c=key(y);return (a<c?-1:a>c?1:0)*(asc?1:-1)});"
    "rows.forEach(function(r){b.appendChild(r)})})})});"
    /* Timelines: the wheel zooms around the pointer, a drag pans, a
     * double-click shows the whole window again. */
    "function fmt(n){return n>=1e9?(n/1e9).toFixed(2)+' s':n>=1e6?(n/1e6).toFixed(1)+' ms':"
    "n>=1e3?(n/1e3).toFixed(1)+' us':Math.round(n)+' ns'}"
    "document.querySelectorAll('svg.timeline').forEach(function(sv){"
    "var lo=+sv.getAttribute('data-lo'),span=+sv.getAttribute('data-span'),"
    "L=+sv.getAttribute('data-left'),P=+sv.getAttribute('data-plot'),a=0,b=span,drag=null;"
    "function X(t){return L+(t-a)/(b-a)*P}"
    "function draw(){sv.querySelectorAll('rect.hold,rect.wait').forEach(function(r){"
    "var s=+r.getAttribute('data-s'),e=+r.getAttribute('data-e');r.setAttribute('x',X(s));"
    "r.setAttribute('width',Math.max(1,(e-s)/(b-a)*P))});"
    "sv.querySelectorAll('line.moment').forEach(function(l){var x=X(+l.getAttribute('data-t'));"
    "l.setAttribute('x1',x);l.setAttribute('x2',x)});"
    "var ml=sv.querySelector('text.ml'),mo=sv.querySelector('line.moment');"
    "if(ml&&mo)ml.setAttribute('x',+mo.getAttribute('x1')-3);"
    "sv.querySelector('text.a0').textContent=fmt(lo+a);"
    "sv.querySelector('text.a1').textContent=fmt(lo+b)}"
    "function vx(ev){var r=sv.getBoundingClientRect();"
    "return (ev.clientX-r.left)*sv.viewBox.baseVal.width/r.width}"
    "function at(ev){return a+Math.min(1,Math.max(0,(vx(ev)-L)/P))*(b-a)}"
    "sv.addEventListener('wheel',function(ev){ev.preventDefault();var t=at(ev),"
    "k=ev.deltaY<0?0.8:1.25,na=t-(t-a)*k,nb=t+(b-t)*k;if(nb-na<1e3)return;"
    "a=Math.max(0,na);b=Math.min(span,nb);draw()},{passive:false});"
    "sv.addEventListener('mousedown',function(ev){drag={x:vx(ev),a:a,b:b}});"
    "window.addEventListener('mouseup',function(){drag=null});"
    "sv.addEventListener('mousemove',function(ev){if(!drag)return;"
    "var d=(drag.x-vx(ev))/P*(drag.b-drag.a);if(drag.a+d<0)d=-drag.a;"
    "if(drag.b+d>span)d=span-drag.b;a=drag.a+d;b=drag.b+d;draw()});"
    "sv.addEventListener('dblclick',function(){a=0;b=span;draw()})});";

void render_html(FILE *out, const struct render_input *in)
{
    const struct model *m = in->m;
    const struct findings *fs = in->fs;
    dot_missing = false;
    struct windows ws = {0};
    make_windows(in, &ws);
    if (ws.n && in->traces && m->has_events) {
        char err[SWT_ERR_LEN];
        if (timeline_pass(m, in->traces, in->ntraces, collect, &ws, err, sizeof err) < 0)
            for (size_t i = 0; i < ws.n; i++)
                ws.w[i].n = 0;
    }
    const char *prog = m->nprocs ? (m->procs[0].hdr.cmdline[0] ? m->procs[0].hdr.cmdline
                                                                 : m->procs[0].hdr.exe)
                                 : "";
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>syncwatch report: ",
          out);
    html(out, prog);
    fprintf(out, "</title>\n<style>%s</style>\n</head><body>\n", STYLE);
    fputs("<h1>syncwatch report</h1>\n<table class=\"summary\">\n", out);
    char buf[256];
    for (size_t p = 0; p < m->nprocs; p++) {
        fprintf(out, "<tr><td>process P%u</td><td><code>", m->procs[p].index + 1);
        html(out, m->procs[p].hdr.cmdline[0] ? m->procs[p].hdr.cmdline : m->procs[p].hdr.exe);
        fprintf(out, "</code> (pid %d)</td></tr>\n", (int)m->procs[p].pid);
    }
    fprintf(out, "<tr><td>recorded</td><td>%" PRIu64 " events, %zu threads, %zu locks, %s%s</td>"
                 "</tr>\n",
            m->nevents, m->nthreads, m->nlocks, render_duration(m->duration_ns, buf, sizeof buf),
            m->has_events ? "" : " (profile mode: no per-event timeline)");
    if (m->dropped_events)
        fprintf(out, "<tr><td>dropped</td><td>%" PRIu64 " events could not be recorded</td></tr>\n",
                m->dropped_events);
    for (size_t i = 0; i < in->nfiles; i++) {
        fputs("<tr><td>trace</td><td><code>", out);
        html(out, in->files[i]);
        fputs("</code></td></tr>\n", out);
    }
    size_t total = 0, per[FINDING_KIND_COUNT] = {0};
    for (size_t i = 0; i < fs->n; i++)
        if (finding_reported(fs->list[i])) {
            total++;
            per[fs->list[i]->kind]++;
        }
    fprintf(out, "</table>\n<p class=\"counts\"><b><span id=\"finding-count\">%zu</span> "
                 "finding%s</b> ",
            total, total == 1 ? "" : "s");
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        if (per[k])
            fprintf(out, "<span>%zu %s</span>", per[k], findings_kind_name((enum finding_kind)k));
    fputs("</p>\n", out);
    for (size_t i = 0; i < in->nwarnings; i++) {
        fputs("<p class=\"note\">warning: ", out);
        html(out, in->warnings[i]);
        fputs("</p>\n", out);
    }
    for (size_t i = 0; i < fs->nnotes; i++) {
        fputs("<p class=\"note\">note: ", out);
        html(out, fs->notes[i]);
        fputs("</p>\n", out);
    }

    fputs("<h2>Findings</h2>\n", out);
    if (!total)
        fputs("<p>No findings.</p>\n", out);
    size_t number = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!finding_reported(f))
            continue;
        number++;
        const struct window *w = NULL;
        for (size_t k = 0; k < ws.n; k++)
            if (ws.w[k].f == f)
                w = &ws.w[k];
        finding(out, in, f, number, w);
    }

    fputs("<h2>Lock-order graph</h2>\n", out);
    if (m->nedges)
        graph(out, in, NULL, 0);
    else
        fputs("<p>No lock was taken while another was held: the graph has no edge.</p>\n", out);

    fputs("<h2>Threads</h2>\n<table class=\"sortable\"><thead><tr><th>thread</th><th>tid</th>"
          "<th>events</th><th>created at</th></tr></thead><tbody>\n",
          out);
    for (uint32_t t = 0; t < m->nthreads && t < 1000; t++) {
        const struct model_thread *mt = &m->threads[t];
        fputs("<tr><td>", out);
        html(out, model_thread_label(m, t, buf, sizeof buf));
        fprintf(out, "</td><td data-v=\"%u\">%u</td><td data-v=\"%" PRIu64 "\">%" PRIu64
                     "</td><td>",
                mt->tid, mt->tid, mt->nevents, mt->nevents);
        if (mt->create_site != MODEL_NONE) {
            fputs("<code>", out);
            html(out, names_site(in->names, mt->create_site, buf, sizeof buf));
            fputs("</code>", out);
        }
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody></table>\n<h2>Locks</h2>\n<table class=\"sortable\"><thead><tr><th>lock</th>"
          "<th>acquisitions</th><th>contentions</th><th>first used at</th></tr></thead><tbody>\n",
          out);
    for (uint32_t l = 0; l < m->nlocks && l < 1000; l++) {
        const struct model_lock *ml = &m->locks[l];
        fputs("<tr><td>", out);
        html(out, model_lock_label(m, l, buf, sizeof buf));
        fprintf(out, "</td><td data-v=\"%" PRIu64 "\">%" PRIu64 "</td><td data-v=\"%" PRIu64
                     "\">%" PRIu64 "</td><td><code>",
                ml->acquisitions, ml->acquisitions, ml->contentions, ml->contentions);
        if (ml->init_site != MODEL_NONE)
            html(out, names_site(in->names, ml->init_site, buf, sizeof buf));
        fputs("</code></td></tr>\n", out);
    }
    fputs("</tbody></table>\n", out);
    fprintf(out, "<script>%s</script>\n</body></html>\n", SCRIPT);
    for (size_t i = 0; i < ws.n; i++) {
        free(ws.w[i].threads);
        free(ws.w[i].p);
    }
    free(ws.w);
}
