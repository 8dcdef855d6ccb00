/* The address -> lock id table: open addressing with linear probing; a
 * slot's address is claimed with one CAS and never released, its id word
 * changes on init/destroy. */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "common/trace_format.h"
#include "preload/lock_table.h"


#define PROBE_LIMIT 4096u

struct lt_slot *lt_slots;
struct lt_info *lt_infos;
static uint32_t next_id = 1;
uint8_t lt_epoch = 1;

int lt_setup(void)
{
    if (lt_slots)
        return 0;
    void *s = mmap(NULL, sizeof(struct lt_slot) * LT_SLOTS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (s == MAP_FAILED)
        return -1;
    void *i = mmap(NULL, sizeof(struct lt_info) * LT_MAX_IDS, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (i == MAP_FAILED) {
        munmap(s, sizeof(struct lt_slot) * LT_SLOTS);
        return -1;
    }
    lt_slots = s;
    lt_infos = i;
    return 0;
}


static uint32_t new_id(uintptr_t addr, unsigned kind, uint16_t generation)
{
    uint32_t id = __atomic_fetch_add(&next_id, 1, __ATOMIC_RELAXED);
    if (id >= LT_MAX_IDS)
        return 0;
    struct lt_info *in = &lt_infos[id];
    in->addr = addr;
    in->generation = generation;
    in->last_owner = 0;
    unsigned meta = kind & LT_META_KIND_MASK;
    if (kind == SWT_KIND_COND || kind == SWT_KIND_BARRIER || kind == SWT_KIND_C11_CND)
        meta |= LT_META_NOHOLD;
    if (kind == SWT_KIND_SEM || kind == SWT_KIND_SEM_NAMED)
        meta |= LT_META_SEM;
    in->meta = meta;
    in->announced_epoch = 0;
    in->type = 0;
    in->lock_flags = 0;
    in->foreign_posts = 0;
    in->value = 0;
    return id;
}

/* Finds or claims the slot of addr; NULL if the table is full. */
static struct lt_slot *find_slot(uintptr_t addr, int *claimed)
{
    *claimed = 0;
    uint32_t i = lt_slot_of(addr);
    for (uint32_t n = 0; n < PROBE_LIMIT; n++, i = (i + 1) & (LT_SLOTS - 1)) {
        struct lt_slot *s = &lt_slots[i];
        uint64_t a = __atomic_load_n(&s->addr, __ATOMIC_ACQUIRE);
        if (a == addr)
            return s;
        if (a == 0) {
            uint64_t expect = 0;
            if (__atomic_compare_exchange_n(&s->addr, &expect, (uint64_t)addr, 0,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                *claimed = 1;
                return s;
            }
            if (expect == addr)
                return s;
        }
    }
    return NULL;
}

uint32_t lt_lookup(uintptr_t addr, unsigned kind, int *fresh)
{
    *fresh = 0;
    int claimed;
    struct lt_slot *s = find_slot(addr, &claimed);
    if (!s)
        return 0;
    uint32_t id = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
    if (__builtin_expect(id != 0, 1))
        return id;
    /* Unpublished (another thread is registering it, or it was destroyed):
     * offer a fresh id; if another thread publishes first, take theirs. */
    uint16_t gen = claimed ? 0 : (uint16_t)(s->last_gen + 1);
    uint32_t mine = new_id(addr, kind, gen);
    if (!mine)
        return 0;
    uint32_t expect = 0;
    if (__atomic_compare_exchange_n(&s->id, &expect, mine, 0, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        *fresh = 1;
        return mine;
    }
    lt_infos[mine].meta = 0; /* wasted id, left unannounced */
    return expect;
}

uint32_t lt_renew(uintptr_t addr, unsigned kind)
{
    int claimed;
    struct lt_slot *s = find_slot(addr, &claimed);
    if (!s)
        return 0;
    uint32_t old = __atomic_load_n(&s->id, __ATOMIC_ACQUIRE);
    uint16_t gen = old ? (uint16_t)(lt_infos[old].generation + 1)
                       : (claimed ? 0 : (uint16_t)(s->last_gen + 1));
    uint32_t id = new_id(addr, kind, gen);
    if (id)
        __atomic_store_n(&s->id, id, __ATOMIC_RELEASE);
    if (old && id)
        __atomic_fetch_or(&lt_infos[old].meta, LT_META_DEAD, __ATOMIC_RELEASE);
    return id;
}

void lt_forget(uint32_t id)
{
    if (!id || id >= LT_MAX_IDS || !lt_slots)
        return;
    int claimed;
    struct lt_slot *s = find_slot((uintptr_t)lt_infos[id].addr, &claimed);
    if (!s)
        return;
    s->last_gen = lt_infos[id].generation;
    uint32_t expect = id;
    if (__atomic_compare_exchange_n(&s->id, &expect, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        __atomic_fetch_or(&lt_infos[id].meta, LT_META_DEAD, __ATOMIC_RELEASE);
}


uint32_t lt_ids_used(void)
{
    uint32_t n = __atomic_load_n(&next_id, __ATOMIC_RELAXED) - 1;
    return n < LT_MAX_IDS ? n : LT_MAX_IDS - 1;
}

void lt_new_epoch(void)
{
    lt_epoch++;
    if (lt_epoch == 0)
        lt_epoch = 1;
}

int lt_claim_announce(uint32_t id)
{
    struct lt_info *in = lt_info(id);
    if (!in)
        return 0;
    uint8_t cur = __atomic_load_n(&in->announced_epoch, __ATOMIC_RELAXED);
    while (cur != lt_epoch) {
        if (__atomic_compare_exchange_n(&in->announced_epoch, &cur, lt_epoch, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            return 1;
    }
    return 0;
}
