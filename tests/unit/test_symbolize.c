/* Unit tests of analyzer/symbolize.c against libsymtarget.so (built with -g
 * from tests/tools/symtarget.c): the library is loaded, its MODULE records
 * are made from dl_iterate_phdr exactly as the shim makes them (executable
 * PT_LOAD segments, GNU build-id), and real run-time addresses of its
 * functions and variables are symbolized. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "analyzer/symbolize.h"

#define MAX_MODS 8

struct rec_module {
    uint64_t start, end, offset;
    uint8_t build_id[64];
    size_t build_id_len;
    char path[PATH_MAX];
};

struct collect {
    const char *want; /* dlpi_name to match, or "" for the main program */
    struct rec_module mods[MAX_MODS];
    size_t n;
};

static size_t note_build_id(const struct dl_phdr_info *info, uint8_t *out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + ((nh->n_namesz + 3u) & ~3u);
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
                nh->n_descsz <= 64) {
                memcpy(out, desc, nh->n_descsz);
                return nh->n_descsz;
            }
            p = desc + ((nh->n_descsz + 3u) & ~3u);
        }
    }
    return 0;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct collect *c = arg;
    const char *name = info->dlpi_name ? info->dlpi_name : "";
    if (strcmp(name, c->want))
        return 0;
    for (int i = 0; i < info->dlpi_phnum && c->n < MAX_MODS; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        struct rec_module *m = &c->mods[c->n++];
        m->start = info->dlpi_addr + ph->p_vaddr;
        m->end = m->start + ph->p_memsz;
        m->offset = ph->p_offset;
        m->build_id_len = note_build_id(info, m->build_id);
        snprintf(m->path, sizeof m->path, "%s", name);
    }
    return 1;
}

static void *lib;
static struct collect lib_mods;

static struct sym_module as_sym(const struct rec_module *m, const char *path)
{
    return (struct sym_module){m->start, m->end, m->offset, m->build_id, m->build_id_len,
                               path ? path : m->path};
}

static int add(struct sym_ctx *ctx, const struct rec_module *m, const char *path)
{
    struct sym_module sm = as_sym(m, path);
    return sym_add_module(ctx, &sm);
}

static struct sym_ctx *ctx_with_lib(const char *path, const char *debug_dirs)
{
    struct sym_ctx *ctx = sym_new(NULL, debug_dirs);
    assert_non_null(ctx);
    for (size_t i = 0; i < lib_mods.n; i++)
        assert_int_equal(add(ctx, &lib_mods.mods[i], path),
                         SYM_OK);
    return ctx;
}

static int setup(void **state)
{
    (void)state;
    lib = dlopen(SW_SYMTARGET, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        print_error("dlopen %s: %s\n", SW_SYMTARGET, dlerror());
        return -1;
    }
    struct link_map *lm;
    if (dlinfo(lib, RTLD_DI_LINKMAP, &lm) != 0)
        return -1;
    lib_mods.want = lm->l_name;
    dl_iterate_phdr(visit, &lib_mods);
    if (lib_mods.n == 0 || lib_mods.mods[0].build_id_len == 0) {
        print_error("no executable segment or build-id found for %s\n", lm->l_name);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    dlclose(lib);
    return 0;
}

static void *fn(const char *name)
{
    void *p = dlsym(lib, name);
    assert_non_null(p);
    return p;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static void test_return_address_gives_call_line(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    void *(*caller)(void) = (void *(*)(void))fn("symtarget_caller");
    uint64_t ret = (uint64_t)(uintptr_t)caller();
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, ret, 1, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget_caller");
    assert_false(f.inlined);
    assert_non_null(f.file);
    assert_true(ends_with(f.file, "symtarget.c"));
    assert_int_equal(f.line, *(const int *)fn("symtarget_call_line"));
    assert_true(f.function_offset > 0);
    assert_true(ends_with(f.module, "libsymtarget.so"));
    sym_free(ctx);
}

static void test_function_entry(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, (uint64_t)(uintptr_t)fn("symtarget_leaf"), 0, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget_leaf");
    assert_int_equal(f.function_offset, 0);
    sym_free(ctx);
}

static void test_cxx_names_are_demangled(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    struct sym_frame f;
    uint64_t ip = (uint64_t)(uintptr_t)fn("_ZN9symtarget5entryEv");
    assert_int_equal(sym_lookup_ip(ctx, ip, 0, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget::entry()");
    sym_free(ctx);
}

static void test_inlined_frame(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    void *(*caller)(void) = (void *(*)(void))fn("symtarget_inline_caller");
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, (uint64_t)(uintptr_t)caller(), 1, &f), SYM_OK);
    assert_string_equal(f.function, "inlined_helper");
    assert_true(f.inlined);
    assert_string_equal(f.outer_function, "symtarget_inline_caller");
    assert_int_equal(f.line, *(const int *)fn("symtarget_inline_line"));
    sym_free(ctx);
}

static void test_data_symbols(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    struct sym_data d;
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)fn("symtarget_lock_a"), &d),
                     SYM_OK);
    assert_string_equal(d.name, "symtarget_lock_a");
    assert_int_equal(d.offset, 0);
    assert_true(d.size >= sizeof(pthread_mutex_t)); /* ASan pads globals */

    void *(*counter)(void) = (void *(*)(void))fn("symtarget_counter_lock_addr");
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)counter(), &d), SYM_OK);
    assert_string_equal(d.name, "counter_lock");

    /* a lock inside a global struct: the struct's symbol and the offset */
    uint8_t *shm = fn("symtarget_shm");
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)(shm + 8), &d), SYM_OK);
    assert_string_equal(d.name, "symtarget_shm");
    assert_int_equal(d.offset, 8);
    assert_string_equal(d.expr, "symtarget_shm.field");

    /* members and elements, named from the DWARF types */
    uint8_t *table = fn("symtarget_table");
    size_t elem = 8 + sizeof(pthread_mutex_t);
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)(table + elem + 8), &d), SYM_OK);
    assert_string_equal(d.expr, "symtarget_table[1].field");
    uint8_t *pool = fn("symtarget_pool");
    assert_int_equal(
        sym_lookup_data(ctx, (uint64_t)(uintptr_t)(pool + 8 + 2 * sizeof(pthread_mutex_t)), &d),
        SYM_OK);
    assert_string_equal(d.expr, "symtarget_pool.locks[2]");
    /* the start of a variable needs no expression */
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)pool, &d), SYM_OK);
    assert_null(d.expr);

    /* heap memory is in no module */
    void *heap = malloc(64);
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)heap, &d), SYM_E_NO_MODULE);
    free(heap);
    /* a function is not a variable */
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)fn("symtarget_leaf"), &d),
                     SYM_E_NO_SYMBOL);
    sym_free(ctx);
}

static void test_build_id_mismatch(void **state)
{
    (void)state;
    struct sym_ctx *ctx = sym_new(NULL, NULL);
    struct rec_module m = lib_mods.mods[0];
    m.build_id[0] ^= 0xff;
    assert_int_equal(add(ctx, &m, NULL), SYM_E_BUILD_ID);
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, (uint64_t)(uintptr_t)fn("symtarget_leaf"), 0, &f),
                     SYM_E_BUILD_ID);
    assert_null(f.function);
    assert_true(ends_with(f.module, "libsymtarget.so"));
    assert_string_equal(sym_strerror(SYM_E_BUILD_ID), "build-id mismatch");
    sym_free(ctx);
}

static void test_missing_file(void **state)
{
    (void)state;
    struct sym_ctx *ctx = sym_new(NULL, NULL);
    struct rec_module m = lib_mods.mods[0];
    assert_int_equal(add(ctx, &m, "/nonexistent/lib.so"),
                     SYM_E_NO_FILE);
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, m.start + 16, 1, &f), SYM_E_NO_FILE);
    assert_string_equal(f.module, "/nonexistent/lib.so");
    assert_int_equal(sym_lookup_ip(ctx, 16, 1, &f), SYM_E_NO_MODULE);
    assert_null(f.module);
    /* paths come from the trace: a FIFO must not block, a device is no ELF file */
    char fifo[] = "/tmp/sw-symbolize-fifo-XXXXXX";
    int fd = mkstemp(fifo);
    assert_true(fd >= 0);
    close(fd);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    m.start += 0x100000;
    m.end += 0x100000;
    assert_int_equal(add(ctx, &m, fifo), SYM_E_NO_FILE);
    unlink(fifo);
    m.start += 0x100000;
    m.end += 0x100000;
    assert_int_equal(add(ctx, &m, "/dev/zero"), SYM_E_NO_FILE);
    sym_free(ctx);
}

static void test_separate_debug_info(void **state)
{
    (void)state;
    /* stripped copy: names from .symtab, but lines only from the debug tree */
    struct sym_ctx *ctx = ctx_with_lib(SW_SYMTARGET_SPLIT "/stripped/libsymtarget.so",
                                       "/nonexistent");
    void *(*caller)(void) = (void *(*)(void))fn("symtarget_caller");
    uint64_t ret = (uint64_t)(uintptr_t)caller();
    struct sym_frame f;
    assert_int_equal(sym_lookup_ip(ctx, ret, 1, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget_caller");
    assert_null(f.file);
    sym_free(ctx);

    ctx = ctx_with_lib(SW_SYMTARGET_SPLIT "/stripped/libsymtarget.so",
                       SW_SYMTARGET_SPLIT "/debug");
    assert_int_equal(sym_lookup_ip(ctx, ret, 1, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget_caller");
    assert_non_null(f.file);
    assert_true(ends_with(f.file, "symtarget.c"));
    assert_int_equal(f.line, *(const int *)fn("symtarget_call_line"));
    sym_free(ctx);
}

static void test_cache_returns_same_result(void **state)
{
    (void)state;
    struct sym_ctx *ctx = ctx_with_lib(NULL, NULL);
    uint64_t ip = (uint64_t)(uintptr_t)fn("symtarget_leaf");
    struct sym_frame a, b;
    assert_int_equal(sym_lookup_ip(ctx, ip, 0, &a), SYM_OK);
    assert_int_equal(sym_lookup_ip(ctx, ip, 0, &b), SYM_OK);
    assert_ptr_equal(a.function, b.function);
    /* the same module twice is harmless */
    assert_int_equal(add(ctx, &lib_mods.mods[0], NULL),
                     SYM_OK);
    sym_free(ctx);
}

static int open_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

/* A run can have hundreds of processes (fork children) with the same
 * modules: their contexts share one session per file, opened only when a
 * lookup needs it, so open files do not grow with the processes. */
static void test_sessions_are_lazy_and_shared(void **state)
{
    (void)state;
    enum { NCTX = 50 };
    struct sym_ctx *ctx[NCTX];
    int before = open_fds();
    for (int i = 0; i < NCTX; i++)
        ctx[i] = ctx_with_lib(NULL, NULL);
    assert_int_equal(open_fds(), before); /* nothing opened yet */
    uint64_t ip = (uint64_t)(uintptr_t)fn("symtarget_leaf");
    struct sym_frame f;
    for (int i = 0; i < NCTX; i++)
        assert_int_equal(sym_lookup_ip(ctx[i], ip, 0, &f), SYM_OK);
    assert_true(open_fds() <= before + 2);
    for (int i = 0; i < NCTX - 1; i++)
        sym_free(ctx[i]);
    /* the last context's cached strings and session outlive the others */
    assert_string_equal(f.function, "symtarget_leaf");
    uint64_t ret = (uint64_t)(uintptr_t)((void *(*)(void))fn("symtarget_caller"))();
    assert_int_equal(sym_lookup_ip(ctx[NCTX - 1], ret, 1, &f), SYM_OK);
    assert_string_equal(f.function, "symtarget_caller");
    sym_free(ctx[NCTX - 1]);
    assert_int_equal(open_fds(), before);
}

static int test_main_marker;

static void test_main_program_by_exe_path(void **state)
{
    (void)state;
    struct collect self = {.want = ""};
    dl_iterate_phdr(visit, &self);
    assert_true(self.n > 0);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    assert_true(n > 0);
    exe[n] = 0;
    struct sym_ctx *ctx = sym_new(exe, NULL);
    for (size_t i = 0; i < self.n; i++)
        assert_int_equal(add(ctx, &self.mods[i], ""),
                         SYM_OK);
    struct sym_frame f;
    assert_int_equal(
        sym_lookup_ip(ctx, (uint64_t)(uintptr_t)test_main_program_by_exe_path, 0, &f), SYM_OK);
    assert_string_equal(f.function, "test_main_program_by_exe_path");
    struct sym_data d;
    assert_int_equal(sym_lookup_data(ctx, (uint64_t)(uintptr_t)&test_main_marker, &d), SYM_OK);
    assert_string_equal(d.name, "test_main_marker");
    sym_free(ctx);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct sym_ctx *ctx = sym_new(NULL, NULL);
    struct sym_frame f;
    assert_int_equal(sym_add_module(ctx, &(struct sym_module){0, 0, 0, NULL, 0, "/x"}),
                     SYM_E_INVALID);
    assert_int_equal(sym_add_module(NULL, NULL), SYM_E_INVALID);
    assert_int_equal(sym_lookup_ip(ctx, 0, 1, &f), SYM_E_NO_MODULE);
    assert_int_equal(sym_lookup_ip(NULL, 1, 0, &f), SYM_E_INVALID);
    assert_string_equal(sym_strerror(12345), "unknown error");
    sym_free(ctx);
    sym_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_return_address_gives_call_line),
        cmocka_unit_test(test_function_entry),
        cmocka_unit_test(test_cxx_names_are_demangled),
        cmocka_unit_test(test_inlined_frame),
        cmocka_unit_test(test_data_symbols),
        cmocka_unit_test(test_build_id_mismatch),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_separate_debug_info),
        cmocka_unit_test(test_cache_returns_same_result),
        cmocka_unit_test(test_sessions_are_lazy_and_shared),
        cmocka_unit_test(test_main_program_by_exe_path),
        cmocka_unit_test(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
