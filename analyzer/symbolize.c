/* Offline symbolization with elfutils libdw/libdwfl (symbolize.h).
 *
 * Each recorded module is looked up in a Dwfl session of its own file,
 * reported at the load bias computed from the recorded segment (start, file
 * offset) and the file's program headers.  One session per file rather than
 * one per process: MODULE records may overlap (a library unloaded and
 * another loaded at the same address), which a single session refuses, a
 * module whose file is missing or rebuilt must fail alone, and fork children
 * share their parent's sessions.  Results are cached per (address, kind) in
 * a uthash table; the strings they point to live in libdw's own tables,
 * which the context keeps alive by holding its sessions until sym_free. */
#include "analyzer/symbolize.h"

#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uthash.h>

#define DEFAULT_DEBUG_DIRS ":.debug:/usr/lib/debug"

/* A libdwfl session for one file at one load bias.  Sessions are shared
 * by all contexts (fork children map the same files at the same addresses,
 * and a run can have hundreds of processes) and opened on the first lookup
 * that needs them: each keeps the file open, and most modules of a process
 * (liblzma, libgcc_s, ...) never hold a frame of interest.  The analyzer
 * uses contexts from one thread; the registry takes no lock. */
struct session {
    struct session *next;
    char *path;
    char *debug_dirs;          /* owned: the callbacks point at it */
    uint64_t bias;
    unsigned refs;
    Dwfl_Callbacks callbacks;  /* owned: the Dwfl keeps a pointer to it */
    Dwfl *dwfl;
    Dwfl_Module *mod;
};

static struct session *sessions;

struct module {
    char *path;
    uint64_t start, end;   /* recorded executable segment */
    uint64_t lo, hi;       /* all PT_LOAD segments at run time: data lives there too */
    uint64_t bias;
    int status;            /* SYM_OK or why lookups in it fail */
    struct session *sess;  /* NULL until the first lookup in it */
};

enum lookup_kind { KIND_IP = 0, KIND_RETURN = 1, KIND_DATA = 2 };

struct cache_key {
    uint64_t addr;
    uint64_t kind;
};

struct cache_entry {
    struct cache_key key;
    int status;
    struct sym_frame frame;
    struct sym_data data;
    char *expr;     /* owns data.expr */
    char *names[2]; /* own demangled frame.function / frame.outer_function */
    UT_hash_handle hh;
};

struct sym_ctx {
    char *exe;
    char *debug_dirs;
    struct module *modules;
    size_t nmodules, capmodules;
    struct cache_entry *cache;
};

const char *sym_strerror(int err)
{
    switch (err) {
    case SYM_OK:
        return "ok";
    case SYM_E_NO_MODULE:
        return "not in any loaded module";
    case SYM_E_NO_FILE:
        return "module file not found or not ELF";
    case SYM_E_BUILD_ID:
        return "build-id mismatch";
    case SYM_E_NO_SYMBOL:
        return "no symbol";
    case SYM_E_NO_MEMORY:
        return "out of memory";
    case SYM_E_INVALID:
        return "invalid argument";
    default:
        return "unknown error";
    }
}

struct sym_ctx *sym_new(const char *exe, const char *debug_dirs)
{
    struct sym_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    ctx->exe = exe && *exe ? strdup(exe) : NULL;
    ctx->debug_dirs = strdup(debug_dirs ? debug_dirs : DEFAULT_DEBUG_DIRS);
    if ((exe && *exe && !ctx->exe) || !ctx->debug_dirs) {
        sym_free(ctx);
        return NULL;
    }
    elf_version(EV_CURRENT);
    return ctx;
}

static void session_put(struct session *s)
{
    if (!s || --s->refs)
        return;
    for (struct session **pp = &sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    dwfl_end(s->dwfl);
    free(s->path);
    free(s->debug_dirs);
    free(s);
}

static struct session *session_get(const char *path, uint64_t bias, const char *debug_dirs,
                                   int *status)
{
    for (struct session *s = sessions; s; s = s->next)
        if (s->bias == bias && !strcmp(s->path, path) && !strcmp(s->debug_dirs, debug_dirs)) {
            s->refs++;
            return s;
        }
    *status = SYM_E_NO_MEMORY;
    struct session *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->path = strdup(path);
    s->debug_dirs = strdup(debug_dirs);
    s->bias = bias;
    s->callbacks.find_elf = dwfl_build_id_find_elf;
    s->callbacks.find_debuginfo = dwfl_standard_find_debuginfo;
    s->callbacks.section_address = dwfl_offline_section_address;
    s->callbacks.debuginfo_path = &s->debug_dirs;
    if (s->path && s->debug_dirs)
        s->dwfl = dwfl_begin(&s->callbacks);
    if (!s->dwfl) {
        free(s->path);
        free(s->debug_dirs);
        free(s);
        return NULL;
    }
    dwfl_report_begin(s->dwfl);
    /* ET_DYN: placed at the bias; ET_EXEC: at its own addresses (bias 0) */
    s->mod = dwfl_report_elf(s->dwfl, s->path, s->path, -1, bias, false);
    dwfl_report_end(s->dwfl, NULL, NULL);
    if (!s->mod) {
        dwfl_end(s->dwfl);
        free(s->path);
        free(s->debug_dirs);
        free(s);
        *status = SYM_E_NO_FILE;
        return NULL;
    }
    s->refs = 1;
    s->next = sessions;
    sessions = s;
    return s;
}

void sym_free(struct sym_ctx *ctx)
{
    if (!ctx)
        return;
    struct cache_entry *e, *tmp;
    HASH_ITER(hh, ctx->cache, e, tmp) {
        HASH_DEL(ctx->cache, e);
        free(e->expr);
        free(e->names[0]);
        free(e->names[1]);
        free(e);
    }
    for (size_t i = 0; i < ctx->nmodules; i++) {
        session_put(ctx->modules[i].sess);
        free(ctx->modules[i].path);
    }
    free(ctx->modules);
    free(ctx->exe);
    free(ctx->debug_dirs);
    free(ctx);
}

/* Checks the file against the record and finds where it was loaded: the
 * load bias (run-time address minus ELF virtual address) from the segment
 * that holds the recorded file offset, and the run-time extent of all its
 * loadable segments. */
static int inspect_file(const struct sym_module *rec, const char *path, uint64_t *bias,
                        uint64_t *lo, uint64_t *hi)
{
    /* The path comes from the trace: never block on a FIFO or read a device */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return SYM_E_NO_FILE;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return SYM_E_NO_FILE;
    }
    int status = SYM_E_NO_FILE;
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    size_t nph;
    if (!elf || elf_kind(elf) != ELF_K_ELF || elf_getphdrnum(elf, &nph) != 0)
        goto out;
    if (rec->build_id_len) {
        const void *bid;
        ssize_t n = dwelf_elf_gnu_build_id(elf, &bid);
        if (n != (ssize_t)rec->build_id_len || memcmp(bid, rec->build_id, rec->build_id_len)) {
            status = SYM_E_BUILD_ID;
            goto out;
        }
    }
    int found = 0;
    uint64_t vlo = UINT64_MAX, vhi = 0;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        if (ph.p_vaddr < vlo)
            vlo = ph.p_vaddr;
        if (ph.p_vaddr + ph.p_memsz > vhi)
            vhi = ph.p_vaddr + ph.p_memsz;
        if (!found && rec->offset >= ph.p_offset &&
            (rec->offset < ph.p_offset + ph.p_filesz || rec->offset == ph.p_offset)) {
            *bias = rec->start - (ph.p_vaddr + (rec->offset - ph.p_offset));
            found = 1;
        }
    }
    if (!found)
        goto out;
    *lo = vlo + *bias;
    *hi = vhi + *bias;
    status = SYM_OK;
out:
    if (elf)
        elf_end(elf);
    close(fd);
    return status;
}

int sym_add_module(struct sym_ctx *ctx, const struct sym_module *rec)
{
    if (!ctx || !rec || rec->end <= rec->start || (!rec->build_id && rec->build_id_len))
        return SYM_E_INVALID;
    const char *path = rec->path && *rec->path ? rec->path : ctx->exe;
    if (!path)
        path = "";
    for (size_t i = 0; i < ctx->nmodules; i++)
        if (ctx->modules[i].start == rec->start && ctx->modules[i].end == rec->end &&
            !strcmp(ctx->modules[i].path, path))
            return ctx->modules[i].status;
    if (ctx->nmodules == ctx->capmodules) {
        size_t cap = ctx->capmodules ? 2 * ctx->capmodules : 16;
        struct module *mods = realloc(ctx->modules, cap * sizeof *mods);
        if (!mods)
            return SYM_E_NO_MEMORY;
        ctx->modules = mods;
        ctx->capmodules = cap;
    }
    struct module *m = &ctx->modules[ctx->nmodules];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    if (!m->path)
        return SYM_E_NO_MEMORY;
    m->start = m->lo = rec->start;
    m->end = m->hi = rec->end;
    ctx->nmodules++;
    m->status = *path ? inspect_file(rec, path, &m->bias, &m->lo, &m->hi) : SYM_E_NO_FILE;
    /* a lookup cached before this module arrived may now resolve */
    struct cache_entry *e, *tmp;
    HASH_ITER(hh, ctx->cache, e, tmp) {
        if (e->status == SYM_E_NO_MODULE) {
            HASH_DEL(ctx->cache, e);
            free(e);
        }
    }
    return m->status;
}

/* The module of an address; the latest added wins where records overlap. */
static struct module *find_module(struct sym_ctx *ctx, uint64_t addr, int data)
{
    for (size_t i = ctx->nmodules; i-- > 0;) {
        struct module *m = &ctx->modules[i];
        if (data ? (addr >= m->lo && addr < m->hi) : (addr >= m->start && addr < m->end))
            return m;
    }
    return NULL;
}

/* The compile unit containing addr.  libdwfl finds it through
 * .debug_aranges, which clang does not emit by default: then the units are
 * searched by their own address ranges (once per distinct address, as
 * results are cached). */
static Dwarf_Die *find_cu(Dwfl_Module *mod, uint64_t addr, Dwarf_Addr *bias)
{
    Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, bias);
    if (cu)
        return cu;
    while ((cu = dwfl_module_nextcu(mod, cu, bias)))
        if (dwarf_haspc(cu, addr - *bias) > 0)
            return cu;
    return NULL;
}

/* The inlined function at addr, if the innermost DWARF scope is one. */
static const char *inlined_name(Dwarf_Die *cu, Dwarf_Addr pc)
{
    Dwarf_Die *scopes = NULL;
    int n = dwarf_getscopes(cu, pc, &scopes);
    const char *name = NULL;
    for (int i = 0; i < n; i++) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag == DW_TAG_inlined_subroutine) {
            name = dwarf_diename(&scopes[i]);
            break;
        }
        if (tag == DW_TAG_subprogram)
            break;
    }
    free(scopes);
    return name;
}

typedef char *(*demangle_fn)(const char *mangled, char *buf, size_t *len, int *status);

/* C++ names are demangled with the C++ runtime's own demangler, looked up
 * at run time so that the analyzer does not link libstdc++: without it the
 * names stay mangled, which is still correct. */
static demangle_fn demangler(void)
{
    static int tried;
    static demangle_fn fn;
    if (!tried) {
        tried = 1;
        void *lib = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
        if (lib)
            fn = (demangle_fn)(uintptr_t)dlsym(lib, "__cxa_demangle");
    }
    return fn;
}

/* The name to show: demangled when it is a C++ name, then owned by *slot. */
static const char *readable(const char *name, char **slot)
{
    if (!name || strncmp(name, "_Z", 2) != 0)
        return name;
    demangle_fn fn = demangler();
    int status = -1;
    char *d = fn ? fn(name, NULL, NULL, &status) : NULL;
    if (!d || status != 0) {
        free(d);
        return name;
    }
    *slot = d;
    return d;
}

static void resolve_ip(Dwfl_Module *mod, uint64_t addr, struct cache_entry *e)
{
    struct sym_frame *f = &e->frame;
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
    Dwarf_Addr bias = 0;
    Dwarf_Die *cu = find_cu(mod, addr, &bias);
    Dwarf_Line *line = cu ? dwarf_getsrc_die(cu, addr - bias) : NULL;
    if (line) {
        int lineno = 0, col = 0;
        dwarf_lineno(line, &lineno);
        dwarf_linecol(line, &col);
        f->file = dwarf_linesrc(line, NULL, NULL);
        f->line = lineno > 0 ? (unsigned)lineno : 0;
        f->column = col > 0 ? (unsigned)col : 0;
    }
    const char *inl = cu ? inlined_name(cu, addr - bias) : NULL;
    f->function_offset = name ? off : 0;
    name = readable(name, &e->names[1]);
    if (inl) {
        f->function = inl;
        f->inlined = 1;
        f->outer_function = name;
    } else {
        f->function = name;
    }
    e->status = f->function ? SYM_OK : SYM_E_NO_SYMBOL;
}

static int append(char *buf, size_t len, const char *fmt, unsigned long long v, const char *s)
{
    size_t used = strlen(buf);
    int n = s ? snprintf(buf + used, len - used, fmt, s) : snprintf(buf + used, len - used, fmt, v);
    return n > 0 && (size_t)n < len - used;
}

/* Extends buf (the variable's name) with the member path that leads to
 * byte off of an object of this type: ".field", "[3]", nested.  Returns 1
 * when the path ends exactly at off (the lock is a member or an element),
 * 0 when the type does not say. */
static int member_path(Dwarf_Die *type, uint64_t off, char *buf, size_t len, int depth)
{
    Dwarf_Die t;
    if (off == 0)
        return 1;
    if (depth > 16 || dwarf_peel_type(type, &t) != 0)
        return 0;
    int tag = dwarf_tag(&t);
    if (tag == DW_TAG_array_type) {
        Dwarf_Attribute a;
        Dwarf_Die elem;
        Dwarf_Word esize;
        if (!dwarf_attr_integrate(&t, DW_AT_type, &a) || !dwarf_formref_die(&a, &elem) ||
            dwarf_aggregate_size(&elem, &esize) != 0 || esize == 0)
            return 0;
        if (!append(buf, len, "[%llu]", (unsigned long long)(off / esize), NULL))
            return 0;
        return member_path(&elem, off % esize, buf, len, depth + 1);
    }
    if (tag != DW_TAG_structure_type && tag != DW_TAG_union_type && tag != DW_TAG_class_type)
        return 0;
    Dwarf_Die child;
    if (dwarf_child(&t, &child) != 0)
        return 0;
    do {
        if (dwarf_tag(&child) != DW_TAG_member)
            continue;
        Dwarf_Attribute a;
        Dwarf_Word loc = 0, size;
        Dwarf_Die mtype;
        if (dwarf_attr(&child, DW_AT_data_member_location, &a) && dwarf_formudata(&a, &loc) != 0)
            continue; /* a location expression: not a plain offset */
        if (!dwarf_attr_integrate(&child, DW_AT_type, &a) || !dwarf_formref_die(&a, &mtype) ||
            dwarf_aggregate_size(&mtype, &size) != 0)
            continue;
        if (off < loc || off >= loc + size)
            continue;
        const char *name = dwarf_diename(&child);
        if (!name)
            return 0; /* anonymous member: the path cannot be written */
        if (!append(buf, len, ".%s", 0, name))
            return 0;
        return member_path(&mtype, off - loc, buf, len, depth + 1);
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

/* The expression naming byte off of the global variable var, from the
 * DWARF description of its type; NULL without debug info. */
static char *data_expr(Dwfl_Module *mod, const char *var, uint64_t off)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = NULL;
    while ((cu = dwfl_module_nextcu(mod, cu, &bias))) {
        Dwarf_Die child;
        if (dwarf_child(cu, &child) != 0)
            continue;
        do {
            if (dwarf_tag(&child) != DW_TAG_variable)
                continue;
            const char *name = dwarf_diename(&child);
            Dwarf_Attribute a;
            Dwarf_Die type;
            if (!name || strcmp(name, var) || !dwarf_attr_integrate(&child, DW_AT_type, &a) ||
                !dwarf_formref_die(&a, &type))
                continue;
            char buf[512];
            snprintf(buf, sizeof buf, "%s", var);
            if (member_path(&type, off, buf, sizeof buf, 0))
                return strdup(buf);
            return NULL;
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    return NULL;
}

static void resolve_data(Dwfl_Module *mod, uint64_t addr, struct cache_entry *e)
{
    GElf_Off off = 0;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
    int type = name ? GELF_ST_TYPE(sym.st_info) : STT_NOTYPE;
    if (!name || type == STT_FUNC || type == STT_SECTION || type == STT_FILE ||
        (sym.st_size && off >= sym.st_size) || (!sym.st_size && off)) {
        e->status = SYM_E_NO_SYMBOL;
        return;
    }
    e->data.name = name;
    e->data.offset = off;
    e->data.size = sym.st_size;
    if (off)
        e->data.expr = e->expr = data_expr(mod, name, off);
    e->status = SYM_OK;
}

static struct cache_entry *lookup(struct sym_ctx *ctx, uint64_t addr, enum lookup_kind kind,
                                  int *status)
{
    struct cache_key key = {addr, kind};
    struct cache_entry *e;
    HASH_FIND(hh, ctx->cache, &key, sizeof key, e);
    if (e) {
        *status = e->status;
        return e;
    }
    e = calloc(1, sizeof *e);
    if (!e) {
        *status = SYM_E_NO_MEMORY;
        return NULL;
    }
    e->key = key;
    struct module *m = find_module(ctx, addr, kind == KIND_DATA);
    if (!m) {
        e->status = SYM_E_NO_MODULE;
    } else {
        e->frame.module = e->data.module = m->path;
        if (m->status == SYM_OK && !m->sess) {
            int err = SYM_OK;
            m->sess = session_get(m->path, m->bias, ctx->debug_dirs, &err);
            if (!m->sess && err == SYM_E_NO_MEMORY) {
                free(e); /* the module stays usable: it may work next time */
                *status = SYM_E_NO_MEMORY;
                return NULL;
            }
            if (!m->sess)
                m->status = err;
        }
        if (m->status != SYM_OK)
            e->status = m->status;
        else if (kind == KIND_DATA)
            resolve_data(m->sess->mod, addr, e);
        else
            resolve_ip(m->sess->mod, kind == KIND_RETURN ? addr - 1 : addr, e);
    }
    HASH_ADD(hh, ctx->cache, key, sizeof key, e);
    *status = e->status;
    return e;
}

int sym_lookup_ip(struct sym_ctx *ctx, uint64_t ip, int is_return_address, struct sym_frame *out)
{
    if (!ctx || !out)
        return SYM_E_INVALID;
    memset(out, 0, sizeof *out);
    if (is_return_address && ip == 0)
        return SYM_E_NO_MODULE;
    int status;
    struct cache_entry *e = lookup(ctx, ip, is_return_address ? KIND_RETURN : KIND_IP, &status);
    if (!e)
        return status;
    if (status == SYM_OK)
        *out = e->frame;
    else
        out->module = e->frame.module;
    return status;
}

int sym_lookup_data(struct sym_ctx *ctx, uint64_t addr, struct sym_data *out)
{
    if (!ctx || !out)
        return SYM_E_INVALID;
    memset(out, 0, sizeof *out);
    int status;
    struct cache_entry *e = lookup(ctx, addr, KIND_DATA, &status);
    if (!e)
        return status;
    if (status == SYM_OK)
        *out = e->data;
    else
        out->module = e->data.module;
    return status;
}
