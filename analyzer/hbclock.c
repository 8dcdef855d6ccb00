/* Happens-before vector clocks (see hbclock.h). */
#include "analyzer/hbclock.h"

#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

static uint32_t get(const struct hb_vc *v, uint32_t i) { return i < v->n ? v->v[i] : 0; }

/* dst = max(dst, src) over max(dst.n, src.n, need) entries */
static void merge_into(struct hb_vc *dst, const struct hb_vc *src, uint32_t need)
{
    uint32_t n = src->n > need ? src->n : need;
    if (dst->n > n)
        n = dst->n;
    if (n > dst->n) {
        dst->v = xrealloc(dst->v, n * sizeof *dst->v);
        memset(dst->v + dst->n, 0, (n - dst->n) * sizeof *dst->v);
        dst->n = n;
    }
    for (uint32_t i = 0; i < src->n; i++)
        if (src->v[i] > dst->v[i])
            dst->v[i] = src->v[i];
}

void hb_init(struct hb_clock *c)
{
    memset(c, 0, sizeof *c);
    c->epoch = 1;
}

void hb_vc_free(struct hb_vc *v)
{
    free(v->v);
    v->v = NULL;
    v->n = 0;
}

void hb_free(struct hb_clock *c)
{
    hb_vc_free(&c->vc);
    for (size_t i = 0; i < c->nsnaps; i++)
        hb_vc_free(&c->snaps[i].vc);
    free(c->snaps);
    memset(c, 0, sizeof *c);
}

void hb_vc_copy(struct hb_vc *dst, const struct hb_clock *c)
{
    dst->n = c->vc.n;
    dst->v = xmalloc((c->vc.n ? c->vc.n : 1) * sizeof *dst->v);
    if (c->vc.n)
        memcpy(dst->v, c->vc.v, c->vc.n * sizeof *dst->v);
}

void hb_snapshot(struct hb_clock *c)
{
    c->snaps = xrealloc(c->snaps, (c->nsnaps + 1) * sizeof *c->snaps);
    struct hb_snap *s = &c->snaps[c->nsnaps++];
    s->epoch = c->epoch;
    hb_vc_copy(&s->vc, c);
}

void hb_inherit(struct hb_clock *child, uint32_t parent_id, const struct hb_clock *parent,
                uint32_t parent_epoch, const struct hb_vc *at)
{
    merge_into(&child->vc, at ? at : &parent->vc, parent_id + 1);
    if (child->vc.v[parent_id] < parent_epoch)
        child->vc.v[parent_id] = parent_epoch;
    hb_snapshot(child);
}

void hb_join(struct hb_clock *joiner, struct hb_clock *joined, uint32_t joined_id)
{
    merge_into(&joiner->vc, &joined->vc, joined_id + 1);
    if (joiner->vc.v[joined_id] < joined->epoch)
        joiner->vc.v[joined_id] = joined->epoch;
    joiner->epoch++;
    joined->epoch++; /* anything the joined thread still records comes after */
    hb_snapshot(joiner);
}

bool hb_before(const struct hb_clock *b, uint32_t b_epoch, uint32_t a_id, uint32_t a_epoch)
{
    for (size_t i = b->nsnaps; i-- > 0;)
        if (b->snaps[i].epoch <= b_epoch)
            return get(&b->snaps[i].vc, a_id) >= a_epoch;
    return false;
}
