/* Lock identity: object address -> lock id, lock-free.  Ids start at 1 and
 * are never reused; a new id (a new generation of the address) is handed
 * out on init, and on the first sight after a destroy.  Per id the table
 * keeps the kind, the flags the recorder needs on the hot path and the
 * address.  All memory is mapped once, MAP_NORESERVE, at lt_setup. */
#ifndef SYNCWATCH_PRELOAD_LOCK_TABLE_H
#define SYNCWATCH_PRELOAD_LOCK_TABLE_H

#include <stdint.h>

#define LT_SLOTS (1u << 20)   /* distinct addresses */
#define LT_MAX_IDS (1u << 22) /* lock ids (generations) */

/* lt_info.meta bits */
#define LT_META_KIND_MASK 0xffu /* enum swt_lock_kind */
#define LT_META_NOHOLD (1u << 8) /* never on a held list (condvar, barrier, counting sem) */

struct lt_info {
    uint32_t meta;
    uint32_t last_owner; /* thread index of the last acquirer (owner changes) */
    uint64_t addr;
    uint16_t generation;
    uint8_t announced_epoch; /* epoch whose trace has this id's LOCK_NEW */
    uint8_t type;            /* enum swt_lock_type, for announcing again */
    uint8_t lock_flags;      /* enum swt_lock_flag */
    uint8_t pad[3];
};

int lt_setup(void);
/* The id of addr.  *fresh is set when this call created it (the caller
 * writes LOCK_NEW).  0 if the table is full. */
uint32_t lt_lookup(uintptr_t addr, unsigned kind, int *fresh);
/* A new generation of addr (init, or first sight after destroy). */
uint32_t lt_renew(uintptr_t addr, unsigned kind);
/* The object was destroyed: its next sight gets a new id. */
void lt_forget(uint32_t id);
struct lt_info *lt_info(uint32_t id);
uint32_t lt_ids_used(void);

/* The trace epoch: a fork child starts a new trace, in which every id must
 * be announced again.  lt_claim_announce returns 1 exactly once per id per
 * epoch. */
extern uint8_t lt_epoch;
void lt_new_epoch(void);
int lt_claim_announce(uint32_t id);

#endif
