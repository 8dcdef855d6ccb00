/* Stack capture and the global stack table.  The table is only touched on
 * a per-thread site-cache miss, so a spinlock around it is cheap; it is
 * taken with the in-hook flag set, so nothing re-enters it, and around
 * fork so that a child never finds it held. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "preload/log.h"
#include "preload/stacks.h"
#include "preload/unwind/unwind_ns.h"

#define TABLE_SLOTS (1u << 16)
#define ARENA_IPS (1u << 21)
/* A stack is stored within this many slots of its hash's slot, and the
 * table takes no new stack once 3/4 full: a full table costs a short probe,
 * not a search of half of it. */
#define TABLE_PROBES 256u
#define TABLE_FILL (TABLE_SLOTS / 4 * 3)

struct entry {
    uint64_t hash;
    uint32_t id;
    uint16_t n;
    uint8_t epoch;
    uint8_t used;
    uint32_t off; /* index into arena */
};

static unwind_ns_backtrace_fn unw_bt;

static struct entry *table;
static uintptr_t *arena;
static uint32_t arena_used;
static uint32_t next_id = 1;
static uint8_t epoch = 1;
static int lock_word;
/* glibc's signal trampoline (__restore_rt: mov $15, %rax; syscall), the
 * return address of every signal handler's frame, learned from the first
 * stack that shows it; only addresses in libc's code are read for it. */
static uintptr_t libc_lo, libc_hi, sigreturn_ip;
static const uint8_t sigreturn_code[9] = {0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05};

static void spin_lock(void)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        sched_yield();
}
static void spin_unlock(void) { __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE); }

/* dl_iterate_phdr lists the objects of its caller's namespace: called from
 * here, the main one.  Not a tail call (the caller must stay this code). */
__attribute__((noinline)) static int iterate_main(unwind_ns_phdr_cb cb, void *data)
{
    int r = dl_iterate_phdr(cb, data);
    __asm__ volatile("" ::: "memory");
    return r;
}

static int set_specific(pthread_key_t key, uintptr_t value)
{
    return pthread_setspecific(key, (const void *)value);
}

static const struct unwind_ns_ops ns_ops = {
    .iterate_main = iterate_main,
    .key_create = pthread_key_create,
    .setspecific = set_specific,
    .getspecific = pthread_getspecific,
};

/* Finds the code segment holding the address in arg: libc's. */
static int find_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    uintptr_t fn = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && fn >= lo && fn < lo + ph->p_memsz) {
            libc_lo = lo;
            libc_hi = lo + ph->p_memsz;
            return 1;
        }
    }
    return 0;
}

static int is_sigreturn(uintptr_t ip)
{
    uintptr_t known = __atomic_load_n(&sigreturn_ip, __ATOMIC_RELAXED);
    if (known)
        return ip == known;
    if (ip < libc_lo || ip + sizeof sigreturn_code > libc_hi ||
        memcmp((const void *)ip, sigreturn_code, sizeof sigreturn_code) != 0)
        return 0;
    __atomic_store_n(&sigreturn_ip, ip, __ATOMIC_RELAXED);
    return 1;
}

/* The helper next to this object (the shim), else in the build tree (the
 * recorder core linked into a unit test). */
static void *load_private_unwinder(void)
{
    char path[4096];
    Dl_info info;
    if (dladdr((void *)load_private_unwinder, &info) && info.dli_fname) {
        const char *slash = strrchr(info.dli_fname, '/');
        size_t dir = slash ? (size_t)(slash - info.dli_fname) + 1 : 0;
        if (dir + sizeof UNWIND_NS_FILE <= sizeof path) {
            memcpy(path, info.dli_fname, dir);
            memcpy(path + dir, UNWIND_NS_FILE, sizeof UNWIND_NS_FILE);
            void *h = dlmopen(LM_ID_NEWLM, path, RTLD_NOW | RTLD_LOCAL);
            if (h)
                return h;
        }
    }
#ifdef SW_UNWIND_NS_BUILD_PATH
    return dlmopen(LM_ID_NEWLM, SW_UNWIND_NS_BUILD_PATH, RTLD_NOW | RTLD_LOCAL);
#else
    return NULL;
#endif
}

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
    /* A private copy in a namespace of its own (unwind_ns.h): never the
     * program's libunwind, whose locks, caches and descriptors are the
     * program's; and never linked, so libunwind's backtrace and _Unwind_*
     * do not replace the host's C++ unwinder (architecture.md fact 7). */
    void *h = load_private_unwinder();
    unwind_ns_setup_fn setup = h ? (unwind_ns_setup_fn)dlsym(h, UNWIND_NS_SETUP) : NULL;
    if (setup)
        unw_bt = setup(UNWIND_NS_ABI, &ns_ops);
    if (!unw_bt) {
        log_msg("syncwatch: cannot load the private libunwind (" UNWIND_NS_FILE
                " and libunwind.so.8 in a namespace of their own); recording without stacks");
        return -1;
    }
    dl_iterate_phdr(find_libc, (void *)(uintptr_t)&sigaction);
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
    /* A signal handler's stack ends at the signal frame: what lies beyond
     * is wherever the signal happened to interrupt the thread, a new stack
     * at every signal that would make the handler's call sites ambiguous
     * and fill the table. */
    unsigned k = 0;
    for (unsigned i = start; i < (unsigned)n && k < depth; i++) {
        ips[k++] = (uintptr_t)buf[i];
        if (k > 1 && is_sigreturn((uintptr_t)buf[i]))
            break;
    }
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
    for (uint32_t probes = 0; probes < TABLE_PROBES; probes++, i = (i + 1) & (TABLE_SLOTS - 1)) {
        struct entry *e = &table[i];
        if (!e->used) {
            if (arena_used + n > ARENA_IPS || next_id > TABLE_FILL)
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
