/* Sites of ambiguous return addresses, computed lazily (rec_sites.c) and
 * settled by the semaphore lock path (rec_locks.c).
 *
 * CPython reaches every sem_* call from one return address (architecture.md fact
 * 16): rec_site unwinds such an address in full only when the answer may
 * matter beyond a counter.  Once a return address is known to feed only
 * semaphore acquisitions and posts (learned: its exact sites were consumed
 * there), rec_site answers a thread that holds no lock with a guess and
 * leaves the decision to the lock path, which knows the lock and whether
 * the call waited: rec_site_exact unwinds (waits, failures, foreign posts,
 * nested acquisitions), rec_site_for_lock takes the verified site of this
 * (return address, lock) pair. */
#ifndef SYNCWATCH_PRELOAD_REC_SITES_H
#define SYNCWATCH_PRELOAD_REC_SITES_H

#include <stdint.h>

#include "preload/rec_internal.h"

struct rec_site_lazy {
    uintptr_t ret;      /* return address of the pending guess; 0: none */
    uint32_t guess;     /* the site rec_site answered */
    uint32_t exact;     /* its full unwind, once made; 0: not yet */
    uintptr_t probe_ret; /* last exactly unwound ambiguous address, to learn */
    uint32_t probe_site;
    uint32_t pad;
};
extern __thread struct rec_site_lazy rec_site_lazy __attribute__((tls_model("initial-exec")));

/* 1 when site is rec_site's guess for the current call (cheap). */
static inline int rec_site_is_guess(uint32_t site)
{
    return __builtin_expect(rec_site_lazy.ret != 0, 0) && site == rec_site_lazy.guess;
}
/* The exact site of a guess (unwinds once per call). */
uint32_t rec_site_exact(struct rec_thread *t);
/* The site of a use of lock by the guessed call that neither waits nor
 * writes an EDGE.  verified (an acquisition: its site may become the
 * "from" site of a later EDGE): the verified site of (return address,
 * lock), re-checked by full unwinds on the 1st, 2nd, 4th ... 4096th use and
 * unwound on every use once two stacks came through the pair.  Otherwise
 * (a busy trylock, a post of the thread's own hold): the pair's last exact
 * site. */
uint32_t rec_site_for_lock(struct rec_thread *t, uint32_t lock, int verified);
/* The call is recorded: the guess is no longer pending. */
static inline void rec_site_done(void) { rec_site_lazy.ret = 0; }
/* A semaphore acquisition or post consumed site: if it is the last exact
 * unwind of an ambiguous address, that address may be guessed from now on. */
void rec_site_learn(struct rec_thread *t, uint32_t site);
/* Forgets the lazy state (fork child, thread state reused). */
void rec_sites_thread_reset(void);

#endif
