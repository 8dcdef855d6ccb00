/* Identity of process-shared objects across processes: the (device, inode,
 * file offset) of the mapping that holds them, from /proc/self/maps.
 * Resolved once per mapping: later objects in a known mapping take no
 * system call. */
#ifndef SYNCWATCH_PRELOAD_MAPS_H
#define SYNCWATCH_PRELOAD_MAPS_H

#include <stdint.h>

/* 0 and the identity of addr, or -1 if addr is in no file-backed shared
 * mapping we can see. */
int maps_resolve(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset);
/* The same, always reading /proc/self/maps (init calls: the mapping may be
 * new at an address the cache knows from an earlier mapping). */
int maps_resolve_fresh(uintptr_t addr, uint64_t *dev, uint64_t *ino, uint64_t *offset);
void maps_fork_child(void);

#endif
