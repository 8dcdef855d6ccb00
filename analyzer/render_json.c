/* The JSON report (schema: docs/json-schema.md).  Same content as the text
 * report; ids are the display numbers of the text (T<n>, L<n>), stacks are
 * numbered from 1 in the "stacks" array.  Written by hand: the analyzer has
 * no JSON dependency, and the output order is fixed. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/baseline.h"
#include "analyzer/jsonw.h"
#include "analyzer/render.h"
#include "analyzer/suppress.h"

#define JSON_SCHEMA_VERSION 1

struct js {
    FILE *out;
    const struct render_input *in;
    const struct model *m;
    bool *stack_used;
};

/* Names from the traced program can hold anything (jsonw.c). */
static void jstr(FILE *out, const char *s) { jsonw_str(out, s); }

static void jkey(FILE *out, const char *k, bool *first)
{
    if (!*first)
        fputc(',', out);
    *first = false;
    jstr(out, k);
    fputc(':', out);
}

static void jthread(const struct js *j, uint32_t t)
{
    if (t == MODEL_NONE || t >= j->m->nthreads)
        fputs("null", j->out);
    else
        fprintf(j->out, "%u", j->m->threads[t].display);
}

static void jlock(const struct js *j, uint32_t l)
{
    if (l == MODEL_NONE || l >= j->m->nlocks)
        fputs("null", j->out);
    else
        fprintf(j->out, "%u", j->m->locks[l].display);
}

static void jstack(const struct js *j, uint32_t s)
{
    if (s == MODEL_NONE || s >= j->m->nstacks) {
        fputs("null", j->out);
        return;
    }
    j->stack_used[s] = true;
    fprintf(j->out, "%u", s + 1);
}

static void jsite(const struct js *j, uint32_t s)
{
    char buf[512];
    if (s == MODEL_NONE || s >= j->m->nstacks)
        fputs("null", j->out);
    else
        jstr(j->out, names_site(j->in->names, s, buf, sizeof buf));
}

static void jvalue(const struct js *j, const struct finding_kv *kv)
{
    FILE *out = j->out;
    switch (kv->type) {
    case FV_U64:
    case FV_NS:
        fprintf(out, "%" PRIu64, kv->v.u);
        break;
    case FV_I64:
        fprintf(out, "%" PRId64, kv->v.i);
        break;
    case FV_F64:
        if (isfinite(kv->v.d))
            fprintf(out, "%.17g", kv->v.d);
        else
            fputs("null", out);
        break;
    case FV_STR:
        jstr(out, kv->v.s);
        break;
    case FV_STACK:
        fputs("{\"stack\":", out);
        jstack(j, (uint32_t)kv->v.u);
        fputs(",\"site\":", out);
        jsite(j, (uint32_t)kv->v.u);
        fputc('}', out);
        break;
    case FV_THREAD:
        fputs("{\"thread\":", out);
        jthread(j, (uint32_t)kv->v.u);
        fputc('}', out);
        break;
    case FV_LOCK:
        fputs("{\"lock\":", out);
        jlock(j, (uint32_t)kv->v.u);
        fputc('}', out);
        break;
    }
}

/* Durations get an _ns suffix so that a reader knows the unit. */
static void jkv_key(FILE *out, const struct finding_kv *kv, bool *first)
{
    if (!*first)
        fputc(',', out);
    *first = false;
    if (kv->type == FV_NS && !strstr(kv->key, "_ns")) {
        fputc('"', out);
        for (const char *p = kv->key; *p; p++)
            fputc(*p == '"' || *p == '\\' ? '_' : *p, out);
        fputs("_ns\":", out);
    } else {
        jstr(out, kv->key);
        fputc(':', out);
    }
}

static void finding_json(struct js *j, const struct finding *f, size_t id)
{
    FILE *out = j->out;
    bool first = true;
    fputc('{', out);
    jkey(out, "id", &first);
    fprintf(out, "%zu", id);
    jkey(out, "kind", &first);
    jstr(out, findings_kind_name(f->kind));
    jkey(out, "code", &first);
    jstr(out, f->code);
    jkey(out, "fingerprint", &first);
    jstr(out, f->fingerprint);
    if (f->runs) {
        jkey(out, "runs", &first);
        fprintf(out, "%u", f->runs);
    }
    jkey(out, "severity", &first);
    jstr(out, findings_severity_name(f->severity));
    jkey(out, "title", &first);
    jstr(out, f->title);
    jkey(out, "why", &first);
    if (f->why)
        jstr(out, f->why);
    else
        fputs("null", out);
    jkey(out, "fix", &first);
    if (f->fix)
        jstr(out, f->fix);
    else
        fputs("null", out);
    jkey(out, "pruned", &first);
    fputs(f->pruned ? "true" : "false", out);
    if (f->suppressed_by) {
        jkey(out, "suppressed_by", &first);
        jstr(out, f->suppressed_by);
    }
    if (j->in->base && !f->pruned && !f->suppressed_by) {
        jkey(out, "baseline", &first);
        jstr(out, f->baseline_known ? "known" : "new");
    }
    if (f->pruned) {
        jkey(out, "prune_rule", &first);
        jstr(out, f->prune_rule);
        jkey(out, "prune_reason", &first);
        jstr(out, f->prune_reason);
    }
    jkey(out, "locks", &first);
    fputc('[', out);
    for (size_t i = 0; i < f->nlocks; i++) {
        if (i)
            fputc(',', out);
        jlock(j, f->locks[i]);
    }
    fputc(']', out);
    jkey(out, "threads", &first);
    fputc('[', out);
    for (size_t i = 0; i < f->nthreads; i++) {
        if (i)
            fputc(',', out);
        jthread(j, f->threads[i]);
    }
    fputc(']', out);
    jkey(out, "steps", &first);
    fputc('[', out);
    for (size_t i = 0; i < f->nitems; i++) {
        const struct finding_item *it = &f->items[i];
        bool f2 = true;
        fputs(i ? ",{" : "{", out);
        jkey(out, "role", &f2);
        jstr(out, it->role);
        jkey(out, "thread", &f2);
        jthread(j, it->thread);
        jkey(out, "lock", &f2);
        jlock(j, it->lock);
        jkey(out, "stack", &f2);
        jstack(j, it->stack);
        jkey(out, "site", &f2);
        jsite(j, it->stack);
        jkey(out, "time_ns", &f2);
        if (it->ns)
            fprintf(out, "%" PRIu64, it->ns);
        else
            fputs("null", out);
        jkey(out, "note", &f2);
        if (it->note)
            jstr(out, it->note);
        else
            fputs("null", out);
        fputc('}', out);
    }
    fputc(']', out);
    if (f->nscen) {
        jkey(out, "scenario", &first);
        fputc('[', out);
        for (size_t i = 0; i < f->nscen; i++) {
            fputs(i ? ",{\"thread\":" : "{\"thread\":", out);
            jthread(j, f->scen_thread[i]);
            fputs(",\"holds\":", out);
            jlock(j, f->scen_hold[i]);
            fputs(",\"waits_for\":", out);
            jlock(j, f->scen_wait[i]);
            fputc('}', out);
        }
        fputc(']', out);
    }
    jkey(out, "metrics", &first);
    fputc('{', out);
    bool f3 = true;
    for (size_t i = 0; i < f->nmetrics; i++) {
        jkv_key(out, &f->metrics[i], &f3);
        jvalue(j, &f->metrics[i]);
    }
    fputc('}', out);
    if (f->nrows) {
        jkey(out, "table", &first);
        fputc('[', out);
        for (size_t r = 0; r < f->nrows; r++) {
            fputs(r ? ",{" : "{", out);
            bool f4 = true;
            for (size_t c = 0; c < f->rows[r].ncells; c++) {
                jkv_key(out, &f->rows[r].cells[c], &f4);
                jvalue(j, &f->rows[r].cells[c]);
            }
            fputc('}', out);
        }
        fputc(']', out);
    }
    fputc('}', out);
}

static const char *end_name(enum model_thread_end e)
{
    switch (e) {
    case MODEL_END_EXITED:
        return "exited";
    case MODEL_END_CANCELED:
        return "cancelled";
    case MODEL_END_PROC_EXIT:
        return "process-exit";
    case MODEL_END_KILLED:
        return "killed";
    default:
        return "running";
    }
}

static const char *type_name(const struct model_lock *l)
{
    switch (l->type) {
    case SWT_TYPE_NORMAL:
        return "normal";
    case SWT_TYPE_RECURSIVE:
        return "recursive";
    case SWT_TYPE_ERRORCHECK:
        return "errorcheck";
    case SWT_TYPE_ADAPTIVE:
        return "adaptive";
    case SWT_TYPE_RW_PREFER_READER:
        return "prefer-reader";
    case SWT_TYPE_RW_PREFER_WRITER:
        return "prefer-writer";
    case SWT_TYPE_RW_PREFER_WRITER_NONREC:
        return "prefer-writer-nonrecursive";
    default:
        return l->kind == SWT_KIND_RWLOCK ? "prefer-reader" : "default";
    }
}

void render_json(FILE *out, const struct render_input *in)
{
    const struct model *m = in->m;
    const struct findings *fs = in->fs;
    struct js j = {.out = out, .in = in, .m = m};
    j.stack_used = calloc(m->nstacks + 1, sizeof *j.stack_used);
    if (!j.stack_used)
        return;
    bool first = true;
    fputc('{', out);
    jkey(out, "schema_version", &first);
    fprintf(out, "%d", JSON_SCHEMA_VERSION);
    jkey(out, "tool", &first);
    jstr(out, "syncwatch-report");
    jkey(out, "files", &first);
    fputc('[', out);
    for (size_t i = 0; i < in->nfiles; i++) {
        if (i)
            fputc(',', out);
        jstr(out, in->files[i]);
    }
    fputc(']', out);
    jkey(out, "processes", &first);
    fputc('[', out);
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct model_process *p = &m->procs[i];
        fprintf(out, "%s{\"pid\":%d,\"ppid\":%d,\"parent_pid\":", i ? "," : "", p->pid, p->ppid);
        if (p->parent_proc != MODEL_NONE)
            fprintf(out, "%d", m->procs[p->parent_proc].pid);
        else
            fputs("null", out);
        /* exec: the images of one pid, as indices into this array */
        fprintf(out, ",\"exec_generation\":%u,\"exec_prev\":", p->hdr.exec_generation);
        if (p->exec_prev != MODEL_NONE)
            fprintf(out, "%u", p->exec_prev);
        else
            fputs("null", out);
        fputs(",\"exec_next\":", out);
        if (p->exec_next != MODEL_NONE)
            fprintf(out, "%u", p->exec_next);
        else
            fputs("null", out);
        fputs(",\"file\":", out);
        jstr(out, p->file);
        fputs(",\"exe\":", out);
        jstr(out, p->hdr.exe);
        fputs(",\"cmdline\":", out);
        jstr(out, p->hdr.cmdline);
        fprintf(out, ",\"mode\":\"%s\",\"ended\":%s,\"killed\":%s,\"running\":%s,"
                     "\"exit_status\":%d,\"events\":%" PRIu64 "}",
                p->hdr.mode == SWT_MODE_PROFILE ? "profile" : "trace",
                p->ended ? "true" : "false", p->killed ? "true" : "false",
                p->running ? "true" : "false", p->exit_status, p->nevents);
    }
    fputc(']', out);
    jkey(out, "events", &first);
    fprintf(out, "%" PRIu64, m->nevents);
    jkey(out, "duration_ns", &first);
    fprintf(out, "%" PRIu64, m->duration_ns);
    jkey(out, "dropped_events", &first);
    fprintf(out, "%" PRIu64, m->dropped_events);

    size_t counts[FINDING_KIND_COUNT] = {0}, real = 0, pruned = 0, suppressed = 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->list[i]->pruned)
            pruned++;
        else if (fs->list[i]->suppressed_by)
            suppressed++;
        else if (finding_reported(fs->list[i])) {
            real++;
            counts[fs->list[i]->kind]++;
        }
    }
    jkey(out, "summary", &first);
    fprintf(out, "{\"findings\":%zu,\"pruned\":%zu,\"suppressed\":%zu,\"known\":%zu,\"by_kind\":{",
            real, pruned, suppressed, baseline_known_count(in->base));
    for (int k = 0; k < FINDING_KIND_COUNT; k++)
        fprintf(out, "%s\"%s\":%zu", k ? "," : "", findings_kind_name((enum finding_kind)k),
                counts[k]);
    fputs("}}", out);
    jkey(out, "findings", &first);
    fputc('[', out);
    size_t id = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (!finding_reported(f) && !in->o->verbose)
            continue;
        if (id)
            fputc(',', out);
        finding_json(&j, f, ++id);
    }
    fputc(']', out);

    jkey(out, "threads", &first);
    fputc('[', out);
    for (size_t i = 0; i < m->nthreads; i++) {
        const struct model_thread *t = &m->threads[i];
        fprintf(out, "%s{\"id\":%u,\"name\":", i ? "," : "", t->display);
        if (t->name)
            jstr(out, t->name);
        else
            fputs("null", out);
        fprintf(out, ",\"pid\":%d,\"tid\":%u,\"index\":%u,\"parent\":", m->procs[t->proc].pid,
                t->tid, t->tindex);
        jthread(&j, t->parent);
        fputs(",\"create_stack\":", out);
        jstack(&j, t->create_site);
        fputs(",\"create_site\":", out);
        jsite(&j, t->create_site);
        fprintf(out, ",\"end\":\"%s\"}", end_name(t->end));
    }
    fputc(']', out);
    jkey(out, "locks", &first);
    fputc('[', out);
    for (size_t i = 0; i < m->nlocks; i++) {
        const struct model_lock *l = &m->locks[i];
        fprintf(out, "%s{\"id\":%u,\"name\":", i ? "," : "", l->display);
        if (l->name)
            jstr(out, l->name);
        else
            fputs("null", out);
        fprintf(out, ",\"kind\":");
        jstr(out, swt_kind_name(l->kind));
        fprintf(out, ",\"type\":\"%s\",\"robust\":%s,\"pshared\":%s,\"static\":%s,"
                     "\"binary_semaphore\":%s,\"pid\":%d,\"address\":\"0x%" PRIx64
                     "\",\"label\":",
                type_name(l), (l->flags & SWT_LOCK_ROBUST) ? "true" : "false",
                (l->flags & SWT_LOCK_PSHARED) ? "true" : "false",
                (l->flags & SWT_LOCK_STATIC) ? "true" : "false", l->binary_sem ? "true" : "false",
                m->procs[l->proc].pid, l->addr);
        if (l->label)
            jstr(out, l->label);
        else
            fputs("null", out);
        fputs(",\"same_as\":", out);
        if (l->node != i)
            jlock(&j, l->node);
        else
            fputs("null", out);
        fputs(",\"init_stack\":", out);
        jstack(&j, l->init_site);
        fputs(",\"init_site\":", out);
        jsite(&j, l->init_site);
        fprintf(out, ",\"acquisitions\":%" PRIu64 ",\"contentions\":%" PRIu64 "}",
                l->acquisitions, l->contentions);
    }
    fputc(']', out);
    jkey(out, "stacks", &first);
    fputc('[', out);
    bool fs1 = true;
    char buf[512];
    for (size_t i = 0; i < m->nstacks; i++) {
        if (!j.stack_used[i])
            continue;
        const struct model_stack *s = &m->stacks[i];
        fprintf(out, "%s{\"id\":%zu,\"frames\":[", fs1 ? "" : ",", i + 1);
        fs1 = false;
        uint32_t u = names_first_user_frame(in->names, (uint32_t)i);
        for (uint32_t k = 0; k < s->nframes; k++) {
            fprintf(out, "%s{\"ip\":\"0x%" PRIx64 "\",\"frame\":", k ? "," : "", s->ips[k]);
            jstr(out, names_frame(in->names, s->proc, s->ips[k], buf, sizeof buf));
            /* the parts, with the full source path (SARIF, other tools) */
            struct names_loc loc;
            names_frame_loc(in->names, s->proc, s->ips[k], &loc);
            fputs(",\"function\":", out);
            if (loc.function)
                jstr(out, loc.function);
            else
                fputs("null", out);
            fputs(",\"file\":", out);
            if (loc.file)
                jstr(out, loc.file);
            else
                fputs("null", out);
            fprintf(out, ",\"line\":%u,\"module\":", loc.line);
            if (loc.module)
                jstr(out, loc.module);
            else
                fputs("null", out);
            fprintf(out, ",\"user\":%s}", k >= u ? "true" : "false");
        }
        fputs("]}", out);
    }
    fputc(']', out);
    jkey(out, "notes", &first);
    fputc('[', out);
    for (size_t i = 0; i < fs->nnotes; i++) {
        if (i)
            fputc(',', out);
        jstr(out, fs->notes[i]);
    }
    fputc(']', out);
    if (in->base) {
        jkey(out, "baseline", &first);
        fputs("{\"file\":", out);
        jstr(out, baseline_path(in->base));
        fprintf(out, ",\"known\":%zu,\"new\":%zu,\"fixed\":[", baseline_known_count(in->base),
                real);
        const char *bfp, *bkind, *bcode, *btitle;
        for (size_t i = 0; baseline_fixed_at(in->base, i, &bfp, &bkind, &bcode, &btitle); i++) {
            fputs(i ? ",{\"fingerprint\":" : "{\"fingerprint\":", out);
            jstr(out, bfp);
            fputs(",\"kind\":", out);
            jstr(out, bkind);
            fputs(",\"code\":", out);
            jstr(out, bcode);
            fputs(",\"title\":", out);
            jstr(out, btitle);
            fputc('}', out);
        }
        fputs("]}", out);
    }
    jkey(out, "unused_suppressions", &first);
    fputc('[', out);
    const char *sname, *sfile;
    unsigned sline;
    for (size_t i = 0; suppress_unused_at(in->supp, i, &sname, &sfile, &sline); i++) {
        fputs(i ? ",{\"name\":" : "{\"name\":", out);
        jstr(out, sname);
        fputs(",\"file\":", out);
        jstr(out, sfile);
        fprintf(out, ",\"line\":%u}", sline);
    }
    fputc(']', out);
    jkey(out, "warnings", &first);
    fputc('[', out);
    for (size_t i = 0; i < in->nwarnings; i++) {
        if (i)
            fputc(',', out);
        jstr(out, in->warnings[i]);
    }
    fputs("]}\n", out);
    free(j.stack_used);
}
