/* Stack capture and the global stack table.  The table is only touched on
 * a per-thread site-cache miss, so a spinlock around it is cheap; it is
 * taken with the in-hook flag set, so nothing re-enters it, and around
 * fork so that a child never finds it held. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#include "preload/log.h"
#include "preload/real.h"
#include "preload/stacks.h"

#define TABLE_SLOTS (1u << 16)
#define ARENA_IPS (1u << 21)

struct entry {
    uint64_t hash;
    uint32_t id;
    uint16_t n;
    uint8_t epoch;
    uint8_t used;
    uint32_t off; /* index into arena */
};

typedef int (*unw_backtrace_fn)(void **buffer, int size);
static unw_backtrace_fn unw_bt;
static void *(*real_dlopen)(const char *, int);

static uintptr_t unwinder_lo, unwinder_hi;
static struct entry *table;
static uintptr_t *arena;
static uint32_t arena_used;
static uint32_t next_id = 1;
static uint8_t epoch = 1;
static int lock_word;

static void spin_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}
static void spin_unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

/* Finds the executable segment holding the address in arg: libunwind's code. */
static int find_unwinder(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t fn = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && fn >= lo && fn < lo + ph->p_memsz) {
            unwinder_lo = lo;
            unwinder_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

int stacks_is_unwinder(uintptr_t ip) { return ip >= unwinder_lo && ip < unwinder_hi; }

int stacks_setup(unsigned depth)
{
    if (depth == 0)
        return 0;
    void *t = mmap(NULL, sizeof(struct entry) * TABLE_SLOTS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void *a = mmap(NULL, sizeof(uintptr_t) * ARENA_IPS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (t == MAP_FAILED || a == MAP_FAILED) {
        log_msg("syncwatch: no memory for the stack table; recording without stacks");
        return -1;
    }
    /* RTLD_LOCAL: libunwind's backtrace and _Unwind_* must not replace the
     * host's C++ unwinder (architecture.md fact 7). */
    real_dlopen = REAL(real_dlopen, "dlopen");
    void *h = real_dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
    if (h)
        unw_bt = (unw_backtrace_fn)dlsym(h, "unw_backtrace");
    if (unw_bt)
        dl_iterate_phdr(find_unwinder, (void *)unw_bt);
    if (!unw_bt) {
        log_msg("syncwatch: cannot load libunwind.so.8; recording without stacks");
        return -1;
    }
    table = t;
    arena = a;
    return 0;
}

unsigned stacks_unwind(uintptr_t *ips, unsigned depth, const void *ret, unsigned search)
{
    if (!unw_bt || depth == 0)
        return 0;
    if (search > STACKS_MAX_SEARCH)
        search = STACKS_MAX_SEARCH;
    void *buf[STACKS_MAX_DEPTH + STACKS_MAX_SEARCH];
    unsigned want = depth + search;
    int n = unw_bt(buf, (int)want);
    if (n <= 0)
        return 0;
    unsigned start = 0;
    for (unsigned i = 0; i < (unsigned)n && i < search; i++)
        if (buf[i] == ret) {
            start = i;
            break;
        }
    unsigned k = 0;
    for (unsigned i = start; i < (unsigned)n && k < depth; i++)
        ips[k++] = (uintptr_t)buf[i];
    return k;
}

static uint64_t hash_ips(const uintptr_t *ips, unsigned n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ n;
    for (unsigned i = 0; i < n; i++) {
        h ^= ips[i];
        h *= 0x100000001b3ull;
        h ^= h >> 29;
    }
    return h ? h : 1;
}

uint32_t stacks_intern(const uintptr_t *ips, unsigned n, int *fresh)
{
    *fresh = 0;
    if (!table || n == 0)
        return 0;
    uint64_t h = hash_ips(ips, n);
    uint32_t id = 0;
    spin_lock();
    uint32_t i = (uint32_t)(h >> 40) & (TABLE_SLOTS - 1);
    for (uint32_t probes = 0; probes < TABLE_SLOTS; probes++, i = (i + 1) & (TABLE_SLOTS - 1)) {
        struct entry *e = &table[i];
        if (!e->used) {
            if (arena_used + n > ARENA_IPS || probes > TABLE_SLOTS / 2)
                break;
            memcpy(&arena[arena_used], ips, n * sizeof *ips);
            e->hash = h;
            e->n = (uint16_t)n;
            e->off = arena_used;
            arena_used += n;
            e->id = next_id++;
            e->epoch = epoch;
            e->used = 1;
            *fresh = 1;
            id = e->id;
            break;
        }
        if (e->hash == h && e->n == n && memcmp(&arena[e->off], ips, n * sizeof *ips) == 0) {
            id = e->id;
            if (e->epoch != epoch) {
                e->epoch = epoch;
                *fresh = 1;
            }
            break;
        }
    }
    spin_unlock();
    return id;
}

void stacks_fork_prepare(void) { spin_lock(); }
void stacks_fork_parent(void) { spin_unlock(); }
void stacks_fork_child(void)
{
    spin_unlock();
    epoch++;
    if (epoch == 0)
        epoch = 1;
}
