/* Trace Event Format JSON (--format chrome, -o FILE.trace.json), what the
 * Perfetto UI and chrome://tracing open: one track per thread (pid = the
 * traced process, tid = the kernel thread id, named by process_name and
 * thread_name metadata events), a complete ("X") slice per hold and per
 * wait named by the lock, a flow arrow from a release to the acquisition it
 * let through when that thread was waiting, and an instant ("i") event at
 * each reported finding's moment.
 *
 * The slices need every event with its time, which the model does not
 * keep: they come from a second pass over the traces (timeline.h).  Memory and output are bounded by CHROME_MAX_SLICES
 * slices and flows: with --from/--to only those in that window (durations
 * since the start of the run), else a window around the earliest finding's
 * moment (half before it, as a ring of the latest ones, the rest after it),
 * or the start of the run without findings.  The metadata (otherData, and
 * an instant at the window's start) says when the trace was cut. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/jsonw.h"
#include "analyzer/render.h"
#include "analyzer/timeline.h"
#include "analyzer/xalloc.h"

/* What is kept: a ring of the latest pieces that begin before the
 * center, then the pieces from the center on while there is room. */
struct chrome {
    size_t max;
    bool windowed;          /* --from/--to given */
    uint64_t from, to;      /* the window, if windowed */
    uint64_t center;        /* else: the earliest finding's moment */
    struct timeline_piece *ring; /* pieces that begin before center (latest kept) */
    size_t ring_cap, ring_n, ring_head;
    struct timeline_piece *after; /* pieces from center on, in order, while room */
    size_t after_n;
    uint64_t total, dropped;
};

static void keep(void *ctx, const struct timeline_piece *p)
{
    struct chrome *c = ctx;
    c->total++;
    if (c->windowed) {
        if (p->end < c->from || p->start > c->to || c->after_n >= c->max) {
            c->dropped += p->end >= c->from && p->start <= c->to;
            return;
        }
        c->after[c->after_n++] = *p;
        return;
    }
    if (p->start < c->center) {
        if (c->ring_n < c->ring_cap && c->ring_n + c->after_n < c->max) {
            c->ring[(c->ring_head + c->ring_n++) % c->ring_cap] = *p;
            return;
        }
        if (c->ring_n == c->ring_cap && c->ring_cap) { /* the oldest goes */
            c->ring[c->ring_head] = *p;
            c->ring_head = (c->ring_head + 1) % c->ring_cap;
        }
        c->dropped++;
        return;
    }
    if (c->ring_n + c->after_n < c->max)
        c->after[c->after_n++] = *p;
    else
        c->dropped++;
}

/* ---- output ---- */

static void sep(FILE *out, bool *first)
{
    fputs(*first ? "\n" : ",\n", out);
    *first = false;
}

static void ts(FILE *out, const char *key, uint64_t ns)
{
    fprintf(out, ",\"%s\":%" PRIu64 ".%03u", key, ns / 1000, (unsigned)(ns % 1000));
}

static int pid_of(const struct model *m, uint32_t thread)
{
    return thread < m->nthreads ? (int)m->procs[m->threads[thread].proc].pid : 0;
}

/* A kernel tid, or a number of our own past any tid when it is unknown. */
static unsigned long tid_of(const struct model *m, uint32_t thread)
{
    if (thread >= m->nthreads)
        return 0;
    return m->threads[thread].tid ? m->threads[thread].tid
                                  : 4000000000ul + m->threads[thread].display;
}

struct site_names {
    struct names *names;
    char **text; /* per model stack, made on first use */
    size_t n;
};

static const char *site_text(struct site_names *s, uint32_t stack)
{
    if (stack == MODEL_NONE || stack >= s->n)
        return NULL;
    if (!s->text[stack]) {
        char buf[512];
        s->text[stack] = xstrdup(names_site(s->names, stack, buf, sizeof buf));
    }
    return s->text[stack];
}

static void write_piece(FILE *out, const struct render_input *in, struct site_names *sn,
                        const struct timeline_piece *p, uint64_t *flow_id, bool *first)
{
    const struct model *m = in->m;
    char lk[256];
    const char *name = model_lock_label(m, p->lock, lk, sizeof lk);
    sep(out, first);
    if (p->kind == TIMELINE_FLOW) {
        uint64_t id = ++*flow_id;
        /* the start binds to the releasing hold: 1 ns inside it */
        fputs("{\"ph\":\"s\",\"cat\":\"handoff\",\"name\":", out);
        jsonw_str(out, name);
        fprintf(out, ",\"id\":%" PRIu64 ",\"pid\":%d,\"tid\":%lu", id, pid_of(m, p->thread),
                tid_of(m, p->thread));
        ts(out, "ts", p->start ? p->start - 1 : 0);
        fputs("},\n{\"ph\":\"f\",\"bp\":\"e\",\"cat\":\"handoff\",\"name\":", out);
        jsonw_str(out, name);
        fprintf(out, ",\"id\":%" PRIu64 ",\"pid\":%d,\"tid\":%lu", id, pid_of(m, p->thread2),
                tid_of(m, p->thread2));
        ts(out, "ts", p->end);
        fputs("}", out);
        return;
    }
    fprintf(out, "{\"ph\":\"X\",\"cat\":\"%s\",\"name\":", p->kind == TIMELINE_HOLD ? "hold" : "wait");
    if (p->kind == TIMELINE_WAIT) {
        char w[300];
        snprintf(w, sizeof w, "wait %s", name);
        jsonw_str(out, w);
    } else
        jsonw_str(out, name);
    fprintf(out, ",\"pid\":%d,\"tid\":%lu", pid_of(m, p->thread), tid_of(m, p->thread));
    ts(out, "ts", p->start);
    ts(out, "dur", p->end - p->start);
    const char *site = site_text(sn, p->site);
    if (site) {
        fputs(",\"args\":{\"site\":", out);
        jsonw_str(out, site);
        fputs("}", out);
    }
    fputs("}", out);
}

/* A finding's moment: the latest time in its story, and the thread then. */
static uint64_t finding_moment(const struct finding *f, uint32_t *thread)
{
    uint64_t ns = 0;
    *thread = MODEL_NONE;
    for (size_t i = 0; i < f->nitems; i++)
        if (f->items[i].ns >= ns && f->items[i].ns) {
            ns = f->items[i].ns;
            *thread = f->items[i].thread;
        }
    return ns;
}

void render_chrome(FILE *out, const struct render_input *in)
{
    const struct model *m = in->m;
    const struct report_opts *o = in->o;
    struct chrome c = {.max = CHROME_MAX_SLICES};
    c.windowed = o->window_from_ns || o->window_to_ns != UINT64_MAX;
    c.from = o->window_from_ns;
    c.to = o->window_to_ns;
    bool any = false;
    for (size_t i = 0; i < in->fs->n; i++) {
        uint32_t th;
        uint64_t ns = finding_moment(in->fs->list[i], &th);
        if (finding_reported(in->fs->list[i]) && ns && (!any || ns < c.center)) {
            c.center = ns;
            any = true;
        }
    }
    c.ring_cap = c.windowed ? 0 : c.max / 2;
    c.ring = xcalloc(c.ring_cap ? c.ring_cap : 1, sizeof *c.ring);
    c.after = xcalloc(c.max, sizeof *c.after);

    /* The second pass, when the traces are at hand and have events. */
    const char *pass_error = NULL;
    char err[SWT_ERR_LEN];
    if (in->traces && m->has_events &&
        timeline_pass(m, in->traces, in->ntraces, keep, &c, err, sizeof err) < 0)
        pass_error = err;

    struct site_names sn = {.names = in->names, .n = m->nstacks};
    sn.text = xcalloc(sn.n ? sn.n : 1, sizeof *sn.text);
    uint64_t kept = c.ring_n + c.after_n, lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < c.ring_n; i++) {
        const struct timeline_piece *p = &c.ring[(c.ring_head + i) % c.ring_cap];
        lo = p->start < lo ? p->start : lo;
        hi = p->end > hi ? p->end : hi;
    }
    for (size_t i = 0; i < c.after_n; i++) {
        lo = c.after[i].start < lo ? c.after[i].start : lo;
        hi = c.after[i].end > hi ? c.after[i].end : hi;
    }
    if (!kept)
        lo = hi = 0;

    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"tool\":\"syncwatch\"", out);
    fprintf(out, ",\"slices\":%" PRIu64 ",\"slices_in_run\":%" PRIu64
                 ",\"max_slices\":%zu,\"cut\":%s",
            kept, c.total, c.max, c.dropped ? "true" : "false");
    fprintf(out, ",\"window_from_ns\":%" PRIu64 ",\"window_to_ns\":%" PRIu64, lo, hi);
    fprintf(out, ",\"events\":%s", m->has_events ? "\"trace mode\"" : "\"none: profile mode\"");
    if (pass_error) {
        fputs(",\"error\":", out);
        jsonw_str(out, pass_error);
    }
    fputs("},\n\"traceEvents\":[", out);
    bool first = true;
    /* metadata: name every process and thread track */
    for (size_t p = 0; p < m->nprocs; p++) {
        const struct model_process *mp = &m->procs[p];
        const char *exe = strrchr(mp->hdr.exe, '/');
        char name[320];
        snprintf(name, sizeof name, "P%u %.256s (pid %d)", mp->index + 1,
                 exe ? exe + 1 : mp->hdr.exe, (int)mp->pid);
        sep(out, &first);
        fprintf(out, "{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":%d,\"args\":{\"name\":",
                (int)mp->pid);
        jsonw_str(out, name);
        fputs("}}", out);
    }
    for (uint32_t t = 0; t < m->nthreads; t++) {
        char name[300];
        const struct model_thread *mt = &m->threads[t];
        snprintf(name, sizeof name, "T%u%s%.280s", mt->display, mt->name ? " " : "",
                 mt->name ? mt->name : "");
        sep(out, &first);
        fprintf(out, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":%d,\"tid\":%lu,"
                     "\"args\":{\"name\":",
                pid_of(m, t), tid_of(m, t));
        jsonw_str(out, name);
        fprintf(out, "}},\n{\"ph\":\"M\",\"name\":\"thread_sort_index\",\"pid\":%d,\"tid\":%lu,"
                     "\"args\":{\"sort_index\":%u}}",
                pid_of(m, t), tid_of(m, t), mt->display);
    }
    uint64_t flow_id = 0;
    for (size_t i = 0; i < c.ring_n; i++)
        write_piece(out, in, &sn, &c.ring[(c.ring_head + i) % c.ring_cap], &flow_id, &first);
    for (size_t i = 0; i < c.after_n; i++)
        write_piece(out, in, &sn, &c.after[i], &flow_id, &first);
    /* the findings, each at its moment */
    size_t number = 0;
    for (size_t i = 0; i < in->fs->n; i++) {
        const struct finding *f = in->fs->list[i];
        if (!finding_reported(f))
            continue;
        number++;
        uint32_t th;
        uint64_t ns = finding_moment(f, &th);
        char name[512];
        snprintf(name, sizeof name, "#%zu %s", number, f->title ? f->title : f->code);
        sep(out, &first);
        fputs("{\"ph\":\"i\",\"cat\":\"finding\",\"name\":", out);
        jsonw_str(out, name);
        if (th != MODEL_NONE && th < m->nthreads)
            fprintf(out, ",\"s\":\"t\",\"pid\":%d,\"tid\":%lu", pid_of(m, th), tid_of(m, th));
        else
            fprintf(out, ",\"s\":\"g\",\"pid\":%d,\"tid\":0",
                    m->nprocs ? (int)m->procs[0].pid : 0);
        ts(out, "ts", ns);
        fputs(",\"args\":{\"code\":", out);
        jsonw_str(out, f->code);
        fputs(",\"fingerprint\":", out);
        jsonw_str(out, f->fingerprint);
        fputs("}}", out);
    }
    if (c.dropped) {
        char note[256];
        snprintf(note, sizeof note,
                 "syncwatch: trace cut: %" PRIu64 " of %" PRIu64
                 " slices shown (at most %zu; choose the window with --from/--to)",
                 kept, c.total, c.max);
        sep(out, &first);
        fprintf(out, "{\"ph\":\"i\",\"cat\":\"syncwatch\",\"s\":\"g\",\"pid\":%d,\"tid\":0,"
                     "\"name\":",
                m->nprocs ? (int)m->procs[0].pid : 0);
        jsonw_str(out, note);
        ts(out, "ts", lo);
        fputs("}", out);
    }
    fputs("\n]}\n", out);

    for (size_t i = 0; i < sn.n; i++)
        free(sn.text[i]);
    free(sn.text);
    free(c.ring);
    free(c.after);
}
