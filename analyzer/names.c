/* Symbolized names (see names.h). */
#include "analyzer/names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"
#include "analyzer/xalloc.h"

struct names {
    const struct model *m;
    bool symbols;
    struct sym_ctx **ctx; /* per process, NULL without symbols */
    bool *shared_ctx;     /* ctx[p] is another process's (same module map): not freed */
};

/* Fork children run the parent's mappings: one symbolizer (and its caches
 * of opened ELF/DWARF files) serves every process with the same modules. */
static bool same_modules(const struct model_process *a, const struct model_process *b)
{
    if (a->nmodules != b->nmodules || strcmp(a->hdr.exe, b->hdr.exe))
        return false;
    for (size_t k = 0; k < a->nmodules; k++) {
        const struct model_module *x = &a->modules[k], *y = &b->modules[k];
        if (x->start != y->start || x->end != y->end || x->offset != y->offset ||
            x->build_id_len != y->build_id_len || strcmp(x->path, y->path) ||
            memcmp(x->build_id, y->build_id, x->build_id_len))
            return false;
    }
    return true;
}

struct names *names_new(const struct model *m, bool symbols)
{
    struct names *n = xcalloc(1, sizeof *n);
    n->m = m;
    n->symbols = symbols;
    n->ctx = xcalloc(m->nprocs ? m->nprocs : 1, sizeof *n->ctx);
    n->shared_ctx = xcalloc(m->nprocs ? m->nprocs : 1, sizeof *n->shared_ctx);
    if (!symbols)
        return n;
    for (size_t p = 0; p < m->nprocs; p++) {
        const struct model_process *pr = &m->procs[p];
        bool reused = false;
        for (size_t q = 0; q < p && !reused; q++)
            if (n->ctx[q] && !n->shared_ctx[q] && same_modules(pr, &m->procs[q])) {
                n->ctx[p] = n->ctx[q];
                n->shared_ctx[p] = reused = true;
            }
        if (reused)
            continue;
        n->ctx[p] = sym_new(pr->hdr.exe[0] ? pr->hdr.exe : NULL, NULL);
        if (!n->ctx[p])
            continue;
        for (size_t k = 0; k < pr->nmodules; k++) {
            const struct model_module *mod = &pr->modules[k];
            struct sym_module sm = {
                .start = mod->start,
                .end = mod->end,
                .offset = mod->offset,
                .build_id = mod->build_id_len ? mod->build_id : NULL,
                .build_id_len = mod->build_id_len,
                .path = mod->path,
            };
            sym_add_module(n->ctx[p], &sm);
        }
    }
    return n;
}

void names_free(struct names *n)
{
    if (!n)
        return;
    for (size_t p = 0; p < n->m->nprocs; p++)
        if (n->ctx[p] && !n->shared_ctx[p])
            sym_free(n->ctx[p]);
    free(n->ctx);
    free(n->shared_ctx);
    free(n);
}

static const struct model_module *module_of(const struct model *m, uint32_t proc, uint64_t ip)
{
    if (proc >= m->nprocs)
        return NULL;
    const struct model_process *pr = &m->procs[proc];
    for (size_t k = 0; k < pr->nmodules; k++)
        if (ip >= pr->modules[k].start && ip < pr->modules[k].end)
            return &pr->modules[k];
    return NULL;
}

static const char *base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *names_frame(struct names *n, uint32_t proc, uint64_t ip, char *buf, size_t len)
{
    const struct model_module *mod = module_of(n->m, proc, ip);
    if (n->symbols && proc < n->m->nprocs && n->ctx[proc]) {
        struct sym_frame f;
        if (sym_lookup_ip(n->ctx[proc], ip, 1, &f) == 0 && f.function) {
            if (f.file && f.line)
                snprintf(buf, len, "%s (%s:%u)", f.function, base(f.file), f.line);
            else
                snprintf(buf, len, "%s+0x%llx (%s)", f.function,
                         (unsigned long long)f.function_offset,
                         f.module ? base(f.module) : "?");
            return buf;
        }
    }
    if (mod)
        snprintf(buf, len, "%s+0x%llx", base(mod->path[0] ? mod->path : n->m->procs[proc].hdr.exe),
                 (unsigned long long)(ip - mod->start + mod->offset));
    else
        snprintf(buf, len, "0x%llx", (unsigned long long)ip);
    return buf;
}

/* Frames that are the tool or the lock implementation, not the program. */
static bool infrastructure(const struct model *m, uint32_t proc, uint64_t ip)
{
    const struct model_module *mod = module_of(m, proc, ip);
    if (!mod)
        return false;
    const char *b = base(mod->path);
    return !strncmp(b, "libsyncwatch", 12) || !strncmp(b, "libc.so", 7) ||
           !strncmp(b, "libc-", 5) || !strncmp(b, "libpthread", 10) ||
           !strncmp(b, "libunwind", 9) || !strncmp(b, "ld-linux", 8);
}

bool names_is_infrastructure(struct names *n, uint32_t proc, uint64_t ip)
{
    return infrastructure(n->m, proc, ip);
}

uint32_t names_first_user_frame(struct names *n, uint32_t stack)
{
    if (stack == MODEL_NONE || stack >= n->m->nstacks)
        return 0;
    const struct model_stack *s = &n->m->stacks[stack];
    for (uint32_t i = 0; i < s->nframes; i++)
        if (!infrastructure(n->m, s->proc, s->ips[i]))
            return i;
    return 0;
}

const char *names_site(struct names *n, uint32_t stack, char *buf, size_t len)
{
    if (stack == MODEL_NONE || stack >= n->m->nstacks || !n->m->stacks[stack].nframes) {
        snprintf(buf, len, "?");
        return buf;
    }
    const struct model_stack *s = &n->m->stacks[stack];
    return names_frame(n, s->proc, s->ips[names_first_user_frame(n, stack)], buf, len);
}

void names_frame_loc(struct names *n, uint32_t proc, uint64_t ip, struct names_loc *out)
{
    memset(out, 0, sizeof *out);
    const struct model_module *mod = module_of(n->m, proc, ip);
    if (mod)
        out->module = mod->path[0] ? mod->path : n->m->procs[proc].hdr.exe;
    if (!n->symbols || proc >= n->m->nprocs || !n->ctx[proc])
        return;
    struct sym_frame f;
    if (sym_lookup_ip(n->ctx[proc], ip, 1, &f) != 0 || !f.function)
        return;
    out->function = f.function;
    if (f.file && f.line) {
        out->file = f.file;
        out->line = f.line;
    }
}

bool names_site_loc(struct names *n, uint32_t stack, struct names_loc *out)
{
    memset(out, 0, sizeof *out);
    if (stack == MODEL_NONE || stack >= n->m->nstacks || !n->m->stacks[stack].nframes)
        return false;
    const struct model_stack *s = &n->m->stacks[stack];
    names_frame_loc(n, s->proc, s->ips[names_first_user_frame(n, stack)], out);
    return true;
}

static void name_one(struct names *n, struct model *m, size_t i);

/* One object shared by several processes gets one name: its first lock's
 * (the graph node), so that findings about it agree. */
void names_name_locks(struct names *n, struct model *m)
{
    for (size_t i = 0; i < m->nlocks; i++)
        name_one(n, m, i);
    for (size_t i = 0; i < m->nlocks; i++) {
        struct model_lock *l = &m->locks[i];
        if (l->node != i && l->node < m->nlocks && m->locks[l->node].name) {
            free(l->name);
            l->name = xstrdup(m->locks[l->node].name);
        }
    }
}

static void name_one(struct names *n, struct model *m, size_t i)
{
    struct model_lock *l = &m->locks[i];
    free(l->name);
    l->name = NULL;
    if (l->sem_name) {
        l->name = xstrdup(l->sem_name);
        return;
    }
    if (!n->symbols)
        return;
    struct sym_ctx *ctx = l->proc < m->nprocs ? n->ctx[l->proc] : NULL;
    struct sym_data d;
    if (ctx && l->addr && sym_lookup_data(ctx, l->addr, &d) == 0 && d.name) {
        if (d.offset && d.expr) /* "fork_lock[1]", "shm_state.robust_lock" */
            l->name = xstrdup(d.expr);
        else if (d.offset)
            l->name = xasprintf("%s+0x%llx", d.name, (unsigned long long)d.offset);
        else
            l->name = xstrdup(d.name);
        return;
    }
    uint32_t site = l->init_site;
    if (site != MODEL_NONE && site < m->nstacks && m->stacks[site].nframes && ctx) {
        const struct model_stack *s = &m->stacks[site];
        struct sym_frame f;
        uint64_t ip = s->ips[names_first_user_frame(n, site)];
        if (sym_lookup_ip(ctx, ip, 1, &f) == 0 && f.function) {
            if (f.line)
                l->name = xasprintf("%s:%u", f.function, f.line);
            else
                l->name = xstrdup(f.function);
        }
    }
}
