/* The facts the misuse and abandoned-lock detectors turn into findings:
 * one entry per (kind, thread, lock, site), repeats counted on it; facts a
 * later record disproves are withdrawn (kind MODEL_FACT_NONE), never
 * removed, so indices held elsewhere stay valid. */
#include <string.h>

#include "analyzer/model_state.h"

struct model_fact *facts_add(struct model *m, enum model_fact_kind kind, uint32_t thread,
                             uint32_t lock, uint32_t site, uint64_t ns)
{
    struct model_priv *p = m->priv;
    /* With events of this thread lost, an unlock without a hold may just
     * have lost its lock record: no accusation then. */
    if (thread != MODEL_NONE && p->ts[thread].dropped &&
        (kind == MODEL_FACT_UNLOCK_UNHELD || kind == MODEL_FACT_DOUBLE_UNLOCK ||
         kind == MODEL_FACT_UNLOCK_NOT_OWNER || kind == MODEL_FACT_COND_NO_MUTEX))
        return NULL;
    struct fact_key key = {kind, thread, lock, site};
    struct fact_entry *e;
    HASH_FIND(hh, p->fact_hash, &key, sizeof key, e);
    if (e) {
        m->facts[e->index].count++;
        return NULL;
    }
    ids_grow((void **)&m->facts, &p->facts_cap, m->nfacts + 1, sizeof *m->facts);
    struct model_fact *f = &m->facts[m->nfacts];
    memset(f, 0, sizeof *f);
    f->kind = kind;
    f->thread = thread;
    f->lock = lock;
    f->lock2 = f->lock3 = f->other = f->other_site = f->proc2 = MODEL_NONE;
    f->site = site;
    f->ns = ns;
    f->count = 1;
    e = xcalloc(1, sizeof *e);
    e->key = key;
    e->index = m->nfacts++;
    HASH_ADD(hh, p->fact_hash, key, sizeof e->key, e);
    return f;
}

/* lock MODEL_NONE: all of the thread's process-end facts (it ended after
 * exit() began); a lock: its process-end and thread-end facts (a release
 * after the exit record: a pthread_cleanup_push handler that pthread_exit
 * runs after the shim recorded the exit). */
void facts_withdraw_exit(struct model *m, uint32_t thread, uint32_t lock)
{
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nexit_facts; i++) {
        struct model_fact *f = &m->facts[ts->exit_facts[i]];
        bool end = f->kind == MODEL_FACT_HELD_AT_PROC_END ||
                   (f->kind == MODEL_FACT_HELD_AT_THREAD_END && lock != MODEL_NONE);
        if (end && (lock == MODEL_NONE || m->locks[f->lock].node == m->locks[lock].node))
            f->kind = MODEL_FACT_NONE;
    }
}

/* One fact of kind per lock the thread holds now: the end of a thread or a
 * process, or a fork.  Facts at a thread's or process's end are remembered
 * so that a later release (or, for a process's end, thread exit) can
 * withdraw them. */
void facts_held_at_end(struct model *m, enum model_fact_kind kind, uint32_t thread, uint64_t ns,
                       uint32_t proc2, uint32_t other)
{
    struct tstate *ts = &m->priv->ts[thread];
    for (size_t i = 0; i < ts->nheld; i++) {
        const struct model_held *h = &ts->held[i];
        struct model_fact *f = facts_add(m, kind, thread, h->lock, h->site, ns);
        if (f) {
            f->proc2 = proc2;
            f->other = other;
            f->other_site = MODEL_NONE;
            if (kind == MODEL_FACT_HELD_AT_PROC_END || kind == MODEL_FACT_HELD_AT_THREAD_END) {
                ts->exit_facts =
                    xrealloc(ts->exit_facts, (ts->nexit_facts + 1) * sizeof *ts->exit_facts);
                ts->exit_facts[ts->nexit_facts++] = (size_t)(f - m->facts);
            }
        }
    }
}
