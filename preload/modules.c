/* Walking the loaded objects with dl_iterate_phdr (which holds the
 * loader's lock around the callbacks, serialising the walks). */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <string.h>
#include <unistd.h>

#include "preload/modules.h"

#define MAX_REPORTED 1024

/* Segment start addresses already reported in this trace.  Touched only
 * under the loader's lock (inside dl_iterate_phdr), which serialises us. */
static uint64_t reported[MAX_REPORTED];
static unsigned nreported;

struct walk {
    modules_fn fn;
    void *ctx;
    int first;
    unsigned long long adds;
};

/* dl_phdr_info.dlpi_adds at the last complete walk: when no object was
 * loaded since, a walk stops at the first object (cheap enough to ask at
 * every stack capture). */
static unsigned long long walked_adds;

static int seen(uint64_t start)
{
    for (unsigned i = 0; i < nreported; i++)
        if (reported[i] == start)
            return 1;
    return 0;
}

static size_t find_build_id(const struct dl_phdr_info *info, const uint8_t **out)
{
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_NOTE)
            continue;
        const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
        const uint8_t *end = p + ph->p_memsz;
        while (p + sizeof(ElfW(Nhdr)) <= end) {
            const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
            size_t name_sz = (nh->n_namesz + 3u) & ~3u;
            size_t desc_sz = (nh->n_descsz + 3u) & ~3u;
            const uint8_t *name = p + sizeof *nh;
            const uint8_t *desc = name + name_sz;
            if (desc + desc_sz > end)
                break;
            if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 &&
                memcmp(name, "GNU", 4) == 0) {
                *out = desc;
                return nh->n_descsz;
            }
            p = desc + desc_sz;
        }
    }
    return 0;
}

static int visit(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct walk *w = arg;
    if (w->first) {
        w->first = 0;
        w->adds = info->dlpi_adds;
        if (walked_adds && info->dlpi_adds == walked_adds)
            return 1;
    }
    char exe[512];
    const char *path = info->dlpi_name;
    if (!path || !*path) {
        /* The main program has an empty name. */
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        if (n <= 0)
            return 0;
        exe[n] = 0;
        path = exe;
    } else if (path[0] != '/') {
        return 0; /* the vdso: nothing on disk to symbolize from */
    }
    const uint8_t *bid = NULL;
    size_t bid_len = find_build_id(info, &bid);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uint64_t start = info->dlpi_addr + ph->p_vaddr;
        if (seen(start))
            continue;
        if (nreported < MAX_REPORTED)
            reported[nreported++] = start;
        w->fn(w->ctx, start, start + ph->p_memsz, ph->p_offset, bid, bid_len, path);
    }
    return 0;
}

void modules_report_new(modules_fn fn, void *ctx)
{
    struct walk w = {fn, ctx, 1, 0};
    dl_iterate_phdr(visit, &w);
    __atomic_store_n(&walked_adds, w.adds, __ATOMIC_RELAXED);
}

void modules_forget_reported(void)
{
    nreported = 0;
    walked_adds = 0;
}
