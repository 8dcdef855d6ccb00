/* The text report, for people: each finding says what happened, where
 * (symbolized stacks), why it matters and how to fix it.  Order and
 * numbering are stable; times stay in their own columns.  Colour only when
 * report_opts.color says so (main.c: stdout is a terminal). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/render.h"
#include "analyzer/xalloc.h"

#include "analyzer/baseline.h"
#include "analyzer/fingerprint.h"
#include "analyzer/suppress.h"

#define MAX_FRAMES_SHOWN 8

struct tx {
    FILE *out;
    const struct render_input *in;
    const struct model *m;
    bool color;
};

/* A command line or path from the traced program, control bytes as '?'. */
static void put_clean(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static const char *c_on(const struct tx *t, const char *code) { return t->color ? code : ""; }
static const char *c_off(const struct tx *t) { return t->color ? "\033[0m" : ""; }
#define BOLD "\033[1m"
#define RED "\033[1;31m"
#define YELLOW "\033[1;33m"
#define CYAN "\033[36m"
#define DIM "\033[2m"

const char *render_duration(uint64_t ns, char *buf, size_t len)
{
    if (ns < 1000)
        snprintf(buf, len, "%" PRIu64 " ns", ns);
    else if (ns < 1000000)
        snprintf(buf, len, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", (double)ns / 1e9);
    return buf;
}

static const char *sev_color(enum finding_severity s)
{
    return s == SEV_ERROR ? RED : s == SEV_WARNING ? YELLOW : CYAN;
}

static void print_stack(struct tx *t, uint32_t stack, const char *indent)
{
    const struct model *m = t->m;
    if (stack == MODEL_NONE || stack >= m->nstacks || !m->stacks[stack].nframes)
        return; /* the trace has no stacks (stack depth 0) */
    const struct model_stack *s = &m->stacks[stack];
    uint32_t first = names_first_user_frame(t->in->names, stack);
    char buf[512];
    uint32_t shown = 0, more = 0;
    for (uint32_t i = first; i < s->nframes; i++) {
        /* thread start-up and the shim's trampoline say nothing */
        if (i > first && names_is_infrastructure(t->in->names, s->proc, s->ips[i]))
            continue;
        names_frame(t->in->names, s->proc, s->ips[i], buf, sizeof buf);
        /* the C runtime's entry: its "line" is a guess from a neighbour */
        if (i > first && (!strncmp(buf, "_start ", 7) || !strncmp(buf, "_start+", 7) ||
                          !strncmp(buf, "__libc_start", 12)))
            continue;
        if (shown == MAX_FRAMES_SHOWN) {
            more++;
            continue;
        }
        fprintf(t->out, "%s#%u %s\n", indent, shown++, buf);
    }
    if (more)
        fprintf(t->out, "%s... %u more frames\n", indent, more);
}

static void print_value(struct tx *t, const struct finding_kv *kv)
{
    char buf[256];
    switch (kv->type) {
    case FV_U64:
        fprintf(t->out, "%" PRIu64, kv->v.u);
        break;
    case FV_I64:
        fprintf(t->out, "%" PRId64, kv->v.i);
        break;
    case FV_F64:
        fprintf(t->out, "%.3g", kv->v.d);
        break;
    case FV_STR:
        fputs(kv->v.s, t->out);
        break;
    case FV_NS:
        fputs(render_duration(kv->v.u, buf, sizeof buf), t->out);
        break;
    case FV_STACK:
        fputs(names_site(t->in->names, (uint32_t)kv->v.u, buf, sizeof buf), t->out);
        break;
    case FV_THREAD:
        fputs(model_thread_label(t->m, (uint32_t)kv->v.u, buf, sizeof buf), t->out);
        break;
    case FV_LOCK:
        fputs(model_lock_label(t->m, (uint32_t)kv->v.u, buf, sizeof buf), t->out);
        break;
    }
}

static int value_width(struct tx *t, const struct finding_kv *kv)
{
    char buf[512];
    FILE *saved = t->out;
    FILE *mem = fmemopen(buf, sizeof buf, "w");
    if (!mem)
        return 8;
    t->out = mem;
    print_value(t, kv);
    long n = ftell(mem);
    fclose(mem);
    t->out = saved;
    return (int)n;
}

static void print_table(struct tx *t, const struct finding *f)
{
    if (!f->nrows)
        return;
    size_t nc = f->ncolumns;
    if (!nc)
        nc = f->rows[0].ncells;
    int width[32] = {0};
    if (nc > 32)
        nc = 32;
    for (size_t c = 0; c < nc; c++) {
        const char *h = f->ncolumns ? f->columns[c] : f->rows[0].cells[c].key;
        width[c] = (int)strlen(h);
    }
    for (size_t r = 0; r < f->nrows; r++)
        for (size_t c = 0; c < nc && c < f->rows[r].ncells; c++) {
            int w = value_width(t, &f->rows[r].cells[c]);
            if (w > width[c])
                width[c] = w;
        }
    fprintf(t->out, "    ");
    for (size_t c = 0; c < nc; c++)
        fprintf(t->out, "%s%-*s%s%s", c_on(t, BOLD), c + 1 < nc ? width[c] : 0,
                f->ncolumns ? f->columns[c] : f->rows[0].cells[c].key, c_off(t),
                c + 1 < nc ? "  " : "");
    fputc('\n', t->out);
    for (size_t r = 0; r < f->nrows; r++) {
        fprintf(t->out, "    ");
        for (size_t c = 0; c < nc && c < f->rows[r].ncells; c++) {
            const struct finding_kv *kv = &f->rows[r].cells[c];
            int w = value_width(t, kv);
            bool num = kv->type == FV_U64 || kv->type == FV_I64 || kv->type == FV_F64 ||
                       kv->type == FV_NS;
            bool last = c + 1 == nc || c + 1 == f->rows[r].ncells;
            if (num)
                fprintf(t->out, "%*s", width[c] - w, "");
            print_value(t, kv);
            if (!num && !last)
                fprintf(t->out, "%*s", width[c] - w, "");
            if (!last)
                fprintf(t->out, "  ");
        }
        fputc('\n', t->out);
    }
}

static void print_scenario(struct tx *t, const struct finding *f)
{
    if (f->nscen < 2)
        return;
    char buf[160];
    enum { COLW = 26 };
    fprintf(t->out, "  Possible scenario (each column runs at the same time):\n    ");
    for (size_t i = 0; i < f->nscen; i++)
        fprintf(t->out, "%-*s", i + 1 < f->nscen ? COLW : 0,
                model_thread_label(t->m, f->scen_thread[i], buf, sizeof buf));
    fprintf(t->out, "\n    ");
    for (size_t i = 0; i < f->nscen; i++) {
        char cell[200];
        if (f->scen_hold[i] == MODEL_NONE)
            snprintf(cell, sizeof cell, "-");
        else
            snprintf(cell, sizeof cell, "holds %s",
                     model_lock_label(t->m, f->scen_hold[i], buf, sizeof buf));
        fprintf(t->out, "%-*s", i + 1 < f->nscen ? COLW : 0, cell);
    }
    fprintf(t->out, "\n    ");
    for (size_t i = 0; i < f->nscen; i++) {
        char cell[200];
        snprintf(cell, sizeof cell, "waits for %s",
                 model_lock_label(t->m, f->scen_wait[i], buf, sizeof buf));
        if (f->scen_wait[i] < t->m->nlocks &&
            (t->m->locks[f->scen_wait[i]].kind == SWT_KIND_COND ||
             t->m->locks[f->scen_wait[i]].kind == SWT_KIND_C11_CND))
            snprintf(cell, sizeof cell, "waits for a signal of %s",
                     model_lock_label(t->m, f->scen_wait[i], buf, sizeof buf));
        fprintf(t->out, "%-*s", i + 1 < f->nscen ? COLW : 0, cell);
    }
    fprintf(t->out, "\n    -> every thread waits for something another one holds back: deadlock.\n");
}

/* "  Label: text" wrapped at 100 columns, continuation lines indented. */
static void print_wrapped(struct tx *t, const char *label, const char *text)
{
    fprintf(t->out, "  %s%s%s", c_on(t, BOLD), label, c_off(t));
    int col = 2 + (int)strlen(label);
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        if (col + 1 + (int)n > 100 && col > 4) {
            fprintf(t->out, "\n   ");
            col = 3;
        }
        fprintf(t->out, " %.*s", (int)n, p);
        col += 1 + (int)n;
        p += n;
    }
    fputc('\n', t->out);
}

static void print_finding(struct tx *t, const struct finding *f, size_t number)
{
    char b1[160], b2[160], b3[160];
    fprintf(t->out, "%s%s #%zu%s %s[%s/%s]%s %s%s%s\n", c_on(t, sev_color(f->severity)),
            f->pruned           ? "PRUNED"
            : f->suppressed_by  ? "SUPPRESSED"
            : f->baseline_known ? "KNOWN"
                                : (f->severity == SEV_ERROR     ? "ERROR"
                                   : f->severity == SEV_WARNING ? "WARNING"
                                                                : "INFO"),
            number, c_off(t), c_on(t, DIM), findings_kind_name(f->kind), f->code, c_off(t),
            c_on(t, BOLD), f->title ? f->title : "", c_off(t));
    if (f->pruned) {
        char label[80];
        snprintf(label, sizeof label, "Not reported (rule %s):", f->prune_rule);
        print_wrapped(t, label, f->prune_reason ? f->prune_reason : "");
    }
    for (size_t i = 0; i < f->nitems; i++) {
        const struct finding_item *it = &f->items[i];
        fprintf(t->out, "  ");
        if (it->thread != MODEL_NONE)
            fprintf(t->out, "%s ", model_thread_label(t->m, it->thread, b1, sizeof b1));
        fprintf(t->out, "%s", it->role);
        if (it->lock != MODEL_NONE)
            fprintf(t->out, " %s", model_lock_label(t->m, it->lock, b2, sizeof b2));
        if (it->note)
            fprintf(t->out, " %s(%s)%s", c_on(t, DIM), it->note, c_off(t));
        if (it->ns)
            fprintf(t->out, " %sat %s%s", c_on(t, DIM), render_duration(it->ns, b3, sizeof b3),
                    c_off(t));
        fputc('\n', t->out);
        if (it->stack != MODEL_NONE)
            print_stack(t, it->stack, "      ");
    }
    if (!f->pruned) /* a ruled-out story has no scenario, no advice */
        print_scenario(t, f);
    if (f->nmetrics) {
        /* wrapped at about 100 columns */
        int col = 2;
        fprintf(t->out, "  ");
        for (size_t i = 0; i < f->nmetrics; i++) {
            int w = (int)strlen(f->metrics[i].key) + 2 + value_width(t, &f->metrics[i]);
            if (i && col + 2 + w > 100) {
                fprintf(t->out, ",\n  ");
                col = 2;
            } else if (i) {
                fprintf(t->out, ", ");
                col += 2;
            }
            fprintf(t->out, "%s: ", f->metrics[i].key);
            print_value(t, &f->metrics[i]);
            col += w;
        }
        fputc('\n', t->out);
    }
    print_table(t, f);
    if (f->why && !f->pruned)
        print_wrapped(t, "Why it matters:", f->why);
    if (f->fix && !f->pruned)
        print_wrapped(t, "How to fix:", f->fix);
    if (f->suppressed_by)
        fprintf(t->out, "  Suppressed by: %s\n", f->suppressed_by);
    if (f->baseline_known)
        fprintf(t->out, "  Known: the baseline report has it\n");
    if (f->runs && f->nthreads && f->threads[0] < t->m->nthreads) {
        const struct model_process *p = &t->m->procs[t->m->threads[f->threads[0]].proc];
        fputs("  In: ", t->out);
        put_clean(t->out, p->hdr.cmdline[0] ? p->hdr.cmdline : p->hdr.exe);
        fprintf(t->out, " (pid %d)\n", p->pid);
    }
    if (f->runs > 1)
        fprintf(t->out, "  Seen in %u runs (the same finding in each; the story is the first's)\n",
                f->runs);
    if (f->fingerprint[0])
        fprintf(t->out, "  %sFingerprint:%s %s\n", c_on(t, DIM), c_off(t), f->fingerprint);
    fputc('\n', t->out);
    if (t->in->o->gen_suppressions && !f->pruned)
        suppress_print_entry(t->out, f, t->m, t->in->names);
}

void render_text_finding(FILE *out, const struct render_input *in, const struct finding *f,
                         size_t number)
{
    struct tx t = {.out = out, .in = in, .m = in->m, .color = false};
    print_finding(&t, f, number);
}

/* "SUMMARY: syncwatch: lock-order-cycle abba.c:19 in take_a_then_b": one
 * line per kind, for the first reported finding of it, as the sanitizers
 * end their reports (CI logs are searched for these). */
static void print_summary_lines(struct tx *t)
{
    const struct findings *fs = t->in->fs;
    bool done[FINDING_KIND_COUNT] = {false};
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!finding_reported(f) || (unsigned)f->kind >= FINDING_KIND_COUNT || done[f->kind])
            continue;
        done[f->kind] = true;
        fprintf(t->out, "SUMMARY: syncwatch: %s", f->code);
        struct names_loc loc;
        uint32_t st = fp_primary_stack(f, t->m, t->in->names);
        if (names_site_loc(t->in->names, st, &loc) && (loc.file || loc.function)) {
            if (loc.file) {
                const char *b = strrchr(loc.file, '/');
                fprintf(t->out, " %s:%u", b ? b + 1 : loc.file, loc.line);
            }
            if (loc.function)
                fprintf(t->out, " in %s", loc.function);
        } else if (st != MODEL_NONE) {
            char buf[512];
            fprintf(t->out, " %s", names_site(t->in->names, st, buf, sizeof buf));
        }
        fputc('\n', t->out);
    }
}

/* The threads and locks the findings mention, with where they came from. */
static void print_legend(struct tx *t, bool verbose)
{
    const struct model *m = t->m;
    const struct findings *fs = t->in->fs;
    bool *lk = calloc(m->nlocks + 1, 1), *th = calloc(m->nthreads + 1, 1);
    if (!lk || !th) {
        free(lk);
        free(th);
        return;
    }
    bool any = false;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!finding_reported(f) && !verbose)
            continue;
        for (size_t k = 0; k < f->nlocks; k++)
            if (f->locks[k] < m->nlocks)
                lk[f->locks[k]] = any = true;
        for (size_t k = 0; k < f->nthreads; k++)
            if (f->threads[k] < m->nthreads)
                th[f->threads[k]] = any = true;
        for (size_t k = 0; k < f->nitems; k++) {
            if (f->items[k].lock < m->nlocks)
                lk[f->items[k].lock] = any = true;
            if (f->items[k].thread < m->nthreads)
                th[f->items[k].thread] = any = true;
        }
    }
    if (any) {
        char b1[160], b2[512], b3[160];
        fprintf(t->out, "%sThreads%s\n", c_on(t, BOLD), c_off(t));
        uint32_t *by_display = calloc(m->nthreads + 1, sizeof *by_display);
        for (size_t i = 0; by_display && i < m->nthreads; i++)
            if (m->threads[i].display >= 1 && m->threads[i].display <= m->nthreads)
                by_display[m->threads[i].display - 1] = (uint32_t)i;
        for (size_t d = 0; by_display && d < m->nthreads; d++) {
            size_t i = by_display[d];
            if (!th[i])
                continue;
            const struct model_thread *tt = &m->threads[i];
            fprintf(t->out, "  %-16s tid %u", model_thread_label(m, (uint32_t)i, b1, sizeof b1),
                    tt->tid);
            if (m->nprocs > 1)
                fprintf(t->out, " pid %d", m->procs[tt->proc].pid);
            if (tt->parent != MODEL_NONE)
                fprintf(t->out, ", created by %s at %s",
                        model_thread_label(m, tt->parent, b3, sizeof b3),
                        names_site(t->in->names, tt->create_site, b2, sizeof b2));
            else if (tt->tindex == 1)
                fprintf(t->out, ", main thread");
            fputc('\n', t->out);
        }
        free(by_display);
        fprintf(t->out, "%sLocks%s\n", c_on(t, BOLD), c_off(t));
        for (size_t i = 0; i < m->nlocks; i++) {
            if (!lk[i])
                continue;
            const struct model_lock *l = &m->locks[i];
            fprintf(t->out, "  %-16s %s", model_lock_label(m, (uint32_t)i, b1, sizeof b1),
                    l->binary_sem ? "binary semaphore (used as a lock)" : swt_kind_name(l->kind));
            if (l->kind == SWT_KIND_RWLOCK)
                fprintf(t->out, " (%s)",
                        l->type == SWT_TYPE_RW_PREFER_WRITER ||
                                l->type == SWT_TYPE_RW_PREFER_WRITER_NONREC
                            ? "writer-preferring"
                            : "reader-preferring");
            else if (l->type == SWT_TYPE_RECURSIVE)
                fprintf(t->out, " (recursive)");
            else if (l->type == SWT_TYPE_ERRORCHECK)
                fprintf(t->out, " (errorcheck)");
            if (l->flags & SWT_LOCK_ROBUST)
                fprintf(t->out, " robust");
            if (l->flags & SWT_LOCK_PSHARED)
                fprintf(t->out, " process-shared");
            if (l->label)
                fprintf(t->out, " [%s]", l->label);
            fprintf(t->out, ", %s %s\n",
                    (l->flags & SWT_LOCK_STATIC) ? "first used at" : "initialised at",
                    names_site(t->in->names, l->init_site, b2, sizeof b2));
        }
        fputc('\n', t->out);
    }
    free(lk);
    free(th);
}

void render_text(FILE *out, const struct render_input *in)
{
    struct tx t = {.out = out, .in = in, .m = in->m, .color = in->o->color};
    const struct findings *fs = in->fs;
    const struct model *m = in->m;
    char b1[64];
    fprintf(out, "%ssyncwatch report%s: ", c_on(&t, BOLD), c_off(&t));
    /* fork storms write hundreds of traces: name a few processes.  The
     * images of one pid (exec) are one process: "a (pid N) -> exec b". */
    size_t nlives = 0;
    for (size_t i = 0; i < m->nprocs; i++)
        nlives += m->procs[i].exec_prev == MODEL_NONE;
    /* Programs that used locks first: a wrapper in front of the program
     * (timeout, a shell, pyenv's shims) is not what the report is about. */
    bool *uses = xcalloc(m->nprocs ? m->nprocs : 1, sizeof *uses);
    for (size_t i = 0; i < m->nlocks; i++)
        uses[m->locks[i].proc] = true;
    for (size_t i = 0; i < m->nprocs; i++)
        for (uint32_t k = m->procs[i].exec_next; k != MODEL_NONE; k = m->procs[k].exec_next)
            uses[i] |= uses[k];
    size_t nshow = nlives > 3 ? 2 : nlives, named = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < m->nprocs && named < nshow; i++) {
            const struct model_process *p = &m->procs[i];
            if (p->exec_prev != MODEL_NONE || uses[i] != (pass == 0))
                continue;
            fputs(named ? ", " : "", out);
            put_clean(out, p->hdr.cmdline[0] ? p->hdr.cmdline : p->hdr.exe);
            fprintf(out, " (pid %d)", p->pid);
            for (uint32_t k = p->exec_next; k != MODEL_NONE; k = m->procs[k].exec_next) {
                fputs(" -> exec ", out);
                put_clean(out, m->procs[k].hdr.cmdline[0] ? m->procs[k].hdr.cmdline
                                                          : m->procs[k].hdr.exe);
            }
            named++;
        }
    free(uses);
    if (named < nlives)
        fprintf(out, " and %zu more processes", nlives - named);
    size_t nruns = 0;
    for (size_t i = 0; i < m->nprocs; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = m->procs[k].hdr.run_id == m->procs[i].hdr.run_id;
        nruns += !seen;
    }
    if (nruns > 1)
        fprintf(out, " (%zu runs)", nruns);
    fprintf(out, "\n  %" PRIu64 " event%s, %zu thread%s, %zu lock%s, %s%s\n\n", m->nevents,
            m->nevents == 1 ? "" : "s", m->nthreads, m->nthreads == 1 ? "" : "s", m->nlocks,
            m->nlocks == 1 ? "" : "s", render_duration(m->duration_ns, b1, sizeof b1),
            m->has_events ? "" : " (profile mode: counters and lock orders only)");
    size_t shown = 0, pruned = 0, suppressed = 0, known = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!finding_reported(f)) {
            if (f->pruned)
                pruned++;
            else if (f->suppressed_by)
                suppressed++;
            else
                known++;
            if (!in->o->verbose)
                continue;
        }
        print_finding(&t, f, ++shown);
    }
    if (shown)
        print_legend(&t, in->o->verbose);
    size_t counts[FINDING_KIND_COUNT] = {0};
    size_t real = 0;
    for (size_t i = 0; i < fs->n; i++)
        if (finding_reported(fs->list[i])) {
            counts[fs->list[i]->kind]++;
            real++;
        }
    /* with a baseline, what is left is what is new */
    const char *new_ = in->base ? "new " : "";
    if (!real) {
        fprintf(out, "%sNo %sfindings.%s", c_on(&t, BOLD), new_, c_off(&t));
    } else {
        fprintf(out, "%s%zu %sfinding%s:%s", c_on(&t, BOLD), real, new_, real == 1 ? "" : "s",
                c_off(&t));
        bool first = true;
        for (int k = 0; k < FINDING_KIND_COUNT; k++)
            if (counts[k]) {
                bool plural = counts[k] > 1 && (k == FINDING_DEADLOCK || k == FINDING_CYCLE);
                fprintf(out, "%s %zu %s%s", first ? "" : ",", counts[k],
                        findings_kind_name((enum finding_kind)k), plural ? "s" : "");
                first = false;
            }
        fputc('.', out);
    }
    if (pruned && !in->o->verbose)
        fprintf(out, " %zu possible issue%s ruled out as false alarm%s (--verbose shows why).",
                pruned, pruned == 1 ? "" : "s", pruned == 1 ? "" : "s");
    if (suppressed)
        fprintf(out, " %zu suppressed%s.", suppressed, in->o->verbose ? "" : " (-v lists them)");
    if (known)
        fprintf(out, " %zu known from the baseline%s.", known,
                in->o->verbose ? "" : " (-v lists them)");
    fputc('\n', out);
    for (size_t i = 0; i < fs->nnotes; i++)
        fprintf(out, "note: %s\n", fs->notes[i]);
    if (m->dropped_events)
        fprintf(out, "note: the recorder dropped %" PRIu64 " events; findings may be incomplete\n",
                m->dropped_events);
    if (in->supp && in->o->verbose)
        suppress_print_unused(out, in->supp);
    if (in->base)
        baseline_print_fixed(out, in->base);
    print_summary_lines(&t);
}
