/* Offline symbolization with elfutils libdw: from the MODULE records of one
 * traced process (path, executable segment start/end, file offset, GNU
 * build-id) to function, file and line of an instruction pointer, and to the
 * symbol (+ offset) of a data address, for naming global and static locks.
 *
 * One sym_ctx per process (each has its own module map).  Nothing prints;
 * every lookup returns 0 or a negative SYM_E_* code (sym_strerror names it).
 * Results are cached per address, so memory grows with the distinct
 * addresses looked up, not with the number of lookups.  Strings in results
 * belong to the context and stay valid until sym_free.
 *
 * Build-ids: a module whose file on disk has another build-id than the one
 * recorded is never used for names (SYM_E_BUILD_ID: "build-id mismatch"),
 * because names from a rebuilt binary would be wrong, not just missing.
 * Separate debug info is found by build-id under the debug directories
 * (default /usr/lib/debug: /usr/lib/debug/.build-id/xx/yyyy.debug) and by
 * .gnu_debuglink, as gdb does.  docs/symbolize.md says why libdw. */
#ifndef SYNCWATCH_ANALYZER_SYMBOLIZE_H
#define SYNCWATCH_ANALYZER_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

enum sym_error {
    SYM_OK = 0,
    SYM_E_NO_MODULE = -1, /* the address is in no recorded module (heap, stack, JIT, vdso) */
    SYM_E_NO_FILE = -2,   /* the module's file cannot be opened or is not ELF */
    SYM_E_BUILD_ID = -3,  /* the file on disk has another build-id than the recorded one */
    SYM_E_NO_SYMBOL = -4, /* the module has no symbol covering the address (stripped) */
    SYM_E_NO_MEMORY = -5,
    SYM_E_INVALID = -6,   /* bad argument (NULL, empty module range) */
};

/* A MODULE record: an executable segment of a loaded ELF file. */
struct sym_module {
    uint64_t start, end;     /* the segment's run-time addresses [start, end) */
    uint64_t offset;         /* its offset in the file */
    const uint8_t *build_id; /* GNU build-id as recorded, or NULL */
    size_t build_id_len;
    const char *path;        /* absolute path; "" means the main program (sym_new's exe) */
};

/* Where an instruction is.  function is NULL only when status says why;
 * file is NULL (line 0) when the module has no line information. */
struct sym_frame {
    const char *function;    /* innermost function containing the ip (inlined callee first);
                                C++ names demangled ("ns::f(int)") when libstdc++ is there */
    uint64_t function_offset; /* ip - start of the ELF symbol of the function */
    const char *file;        /* source file, as in the DWARF line table */
    unsigned line, column;
    const char *module;      /* path of the module */
    int inlined;             /* function was inlined into outer_function */
    const char *outer_function; /* the real (out-of-line) function when inlined, else NULL */
};

/* The symbol containing a data address (a global or static lock). */
struct sym_data {
    const char *name;        /* ELF symbol name, e.g. "lock_a" or "counter_lock.0" */
    uint64_t offset;         /* addr - symbol start: 0 for the lock itself, >0 inside a struct */
    uint64_t size;           /* the symbol's size in bytes */
    const char *module;
    /* When offset > 0 and the debug info describes the variable's type: the
     * C expression of the object at addr, e.g. "shm_state.robust_lock",
     * "pool.locks[2]" or "table[1].lock"; NULL otherwise. */
    const char *expr;
};

struct sym_ctx;

/* exe: the path of the main program (header.exe) for modules recorded with
 * an empty path, or NULL.  debug_dirs: colon-separated directories searched
 * for separate debug info, or NULL for the default ":.debug:/usr/lib/debug".
 * Returns NULL only when out of memory. */
struct sym_ctx *sym_new(const char *exe, const char *debug_dirs);
void sym_free(struct sym_ctx *ctx);

/* Adds a module of the process.  Its file is opened and checked now (the
 * result is what later lookups in it return); adding the same mapping
 * twice is harmless.  Returns 0, SYM_E_NO_FILE, SYM_E_BUILD_ID,
 * SYM_E_NO_MEMORY or SYM_E_INVALID; the module is kept in all cases, so that
 * lookups in it report the reason instead of SYM_E_NO_MODULE. */
int sym_add_module(struct sym_ctx *ctx, const struct sym_module *m);

/* Function and line of ip.  Stack frames recorded by the shim are return
 * addresses: pass is_return_address = 1 so that the call instruction (ip - 1)
 * is looked up and the line is the call's, not the next statement's.  On
 * error *out has module set when known and everything else NULL/0. */
int sym_lookup_ip(struct sym_ctx *ctx, uint64_t ip, int is_return_address, struct sym_frame *out);

/* The global or static variable that contains addr.  SYM_E_NO_MODULE for
 * heap and stack addresses. */
int sym_lookup_data(struct sym_ctx *ctx, uint64_t addr, struct sym_data *out);

/* A short text for a SYM_E_* code, e.g. "build-id mismatch". */
const char *sym_strerror(int err);

#endif
