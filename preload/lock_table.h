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
#define LT_META_SEM (1u << 9)    /* a semaphore: its holds need the foreign-post bookkeeping */
#define LT_META_DEAD (1u << 10)  /* destroyed or initialised again: the address has a newer id */

struct lt_info {
    uint32_t meta;
    uint32_t last_owner; /* thread index of the last acquirer (owner changes) */
    uint64_t addr;
    uint16_t generation;
    uint8_t announced_epoch; /* epoch whose trace has this id's LOCK_NEW */
    uint8_t type;            /* enum swt_lock_type, for announcing again */
    uint8_t lock_flags;      /* enum swt_lock_flag */
    uint8_t pad[3];
    /* Semaphores: posts by threads that did not hold it.  A holder whose
     * entry saw another value knows its hold was ended by someone else. */
    uint32_t foreign_posts;
    uint32_t value; /* initial value (semaphores) or count (barriers), for announcing again */
};

/* The slot array, for the inline first-probe lookup below. */
struct lt_slot {
    uint64_t addr; /* 0 = free */
    uint32_t id;   /* 0 = not yet published, or forgotten after destroy */
    uint32_t last_gen; /* generation of the id last forgotten here */
};
extern struct lt_slot *lt_slots;
extern struct lt_info *lt_infos;

static inline uint32_t lt_slot_of(uintptr_t addr)
{
    uint64_t h = (uint64_t)addr * 0x9e3779b97f4a7c15ull;
    return (uint32_t)(h >> 44) & (LT_SLOTS - 1);
}

/* The id of addr if its slot is the first probed (almost always), else 0:
 * the caller then takes lt_lookup. */
static inline uint32_t lt_lookup_fast(uintptr_t addr)
{
    const struct lt_slot *s = &lt_slots[lt_slot_of(addr)];
    if (__builtin_expect(__atomic_load_n(&s->addr, __ATOMIC_ACQUIRE) == addr, 1))
        return __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
    return 0;
}

int lt_setup(void);
/* The id of addr.  *fresh is set when this call created it (the caller
 * writes LOCK_NEW).  0 if the table is full. */
uint32_t lt_lookup(uintptr_t addr, unsigned kind, int *fresh);
/* A new generation of addr (init, or first sight after destroy). */
uint32_t lt_renew(uintptr_t addr, unsigned kind);
/* The object was destroyed: its next sight gets a new id. */
void lt_forget(uint32_t id);
static inline struct lt_info *lt_info(uint32_t id)
{
    return (id && id < LT_MAX_IDS && lt_infos) ? &lt_infos[id] : (struct lt_info *)0;
}
uint32_t lt_ids_used(void);

/* The trace epoch: a fork child starts a new trace, in which every id must
 * be announced again.  lt_claim_announce returns 1 exactly once per id per
 * epoch. */
extern uint8_t lt_epoch;
void lt_new_epoch(void);
int lt_claim_announce(uint32_t id);

#endif
