/* /proc/self/maps lookups with a small cache of mappings.  Called only on
 * lock init and first sight of a process-shared object, with the in-hook
 * flag set; no allocation (a fixed read buffer). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "preload/maps.h"

#define CACHE 64

struct mapping {
    uintptr_t start, end;
    uint64_t dev, ino, offset;
};

static struct mapping cache[CACHE];
static unsigned ncache, next_victim;
static int lock_word;

static int cache_find(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset)
{
    for (unsigned i = 0; i < ncache; i++)
        if (addr >= cache[i].start && addr < cache[i].end) {
            *dev = cache[i].dev;
            *ino = cache[i].ino;
            *offset = cache[i].offset + (addr - cache[i].start);
            return 0;
        }
    return -1;
}

/* Parses one maps line "start-end perms offset maj:min inode path". */
static int parse_line(const char *l, struct mapping *m, int *shared)
{
    char *e;
    m->start = strtoull(l, &e, 16);
    if (*e != '-')
        return -1;
    m->end = strtoull(e + 1, &e, 16);
    if (*e != ' ' || strlen(e) < 6)
        return -1;
    *shared = e[4] == 's';
    e += 6;
    m->offset = strtoull(e, &e, 16);
    unsigned maj = (unsigned)strtoul(e, &e, 16);
    if (*e != ':')
        return -1;
    unsigned min = (unsigned)strtoul(e + 1, &e, 16);
    m->dev = makedev(maj, min);
    m->ino = strtoull(e, &e, 10);
    return 0;
}

static int scan(uintptr_t addr, struct mapping *out)
{
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[8192];
    size_t have = 0;
    int found = -1;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = 0;
        char *line = buf, *nl;
        while ((nl = strchr(line, '\n'))) {
            *nl = 0;
            struct mapping m;
            int shared;
            if (parse_line(line, &m, &shared) == 0 && addr >= m.start && addr < m.end) {
                if (shared && m.ino) {
                    *out = m;
                    found = 0;
                }
                goto done;
            }
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof buf - 1)
            have = 0; /* an absurdly long line: skip it */
    }
done:
    close(fd);
    return found;
}

static int resolve(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset, int fresh)
{
    while (__atomic_exchange_n(&lock_word, 1, __ATOMIC_ACQUIRE))
        sched_yield();
    int r = -1;
    if (fresh) {
        for (unsigned i = 0; i < ncache; i++)
            if (addr >= cache[i].start && addr < cache[i].end)
                cache[i] = cache[--ncache];
    } else {
        r = cache_find(addr, dev, ino, offset);
    }
    if (r != 0) {
        struct mapping m;
        if (scan(addr, &m) == 0) {
            unsigned slot = ncache < CACHE ? ncache++ : (next_victim++ % CACHE);
            cache[slot] = m;
            r = cache_find(addr, dev, ino, offset);
        }
    }
    __atomic_store_n(&lock_word, 0, __ATOMIC_RELEASE);
    return r;
}

int maps_resolve(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset)
{
    return resolve(addr, dev, ino, offset, 0);
}

int maps_resolve_fresh(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset)
{
    return resolve(addr, dev, ino, offset, 1);
}

void maps_fork_child(void) { lock_word = 0; }
