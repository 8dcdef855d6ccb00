/* Hangs other than lock cycles: threads of a process that was killed, or is
 * still running, blocked at the end in a wait that nothing left could end.
 *
 * Runs after detect_deadlocks and detect_abandoned, and explains only the
 * blocked threads those did not (a lock cycle, a self-deadlock, a wait on a
 * lock whose holder died).  Each blocked thread's wait-for chain is
 * followed through the holders of the locks it waits for to its root: the
 * thread whose own wait is not for a lock held by another blocked thread.
 * One finding per root, naming the cause:
 *
 *   lost-wakeup      a condvar or semaphore wait (not a lock's) whose known
 *                    posters/signallers are all blocked or gone, or that
 *                    nobody posted or signalled during the run while every
 *                    thread is blocked;
 *   self-wait        a semaphore used as a lock, waited for by its holder (a
 *                    non-reentrant lock re-acquired; CPython's Condition and
 *                    Event waits block this way too, until notified);
 *   barrier          a barrier wait that the other parties never reached;
 *   hang             every thread blocked, cause unknown (the last resort).
 *
 * A wait with a deadline ends by itself and never counts; a chain that
 * reaches a thread that was running (not waiting) at the end is no hang.  A
 * process that exited normally has no hang (idle workers at exit).  For a
 * live trace, only waits older than HANG_LIVE_NS count. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/detect.h"
#include "analyzer/xalloc.h"

#define HANG_LIVE_NS (5ull * 1000000000ull) /* the watchdog's default timeout */
#define MAX_CHAIN 64

static bool is_sem(const struct model_lock *l)
{
    return l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED;
}

static bool is_cond(const struct model_lock *l)
{
    return l->kind == SWT_KIND_COND || l->kind == SWT_KIND_C11_CND;
}

/* Gone: its life ended (or it ended with its process). */
static bool gone(const struct model_thread *t)
{
    return t->end == MODEL_END_EXITED || t->end == MODEL_END_CANCELED ||
           t->end == MODEL_END_PROC_EXIT;
}

/* Blocked at the end, without a deadline, in a process that did not end. */
static bool stuck(const struct model *m, const struct model_thread *t)
{
    bool join = t->waiting_lock == MODEL_NONE && t->waiting_join < m->nthreads;
    if (join && gone(&m->threads[t->waiting_join]))
        return false; /* the joined thread ended: the join returns */
    if (!join && (t->waiting_lock == MODEL_NONE || t->waiting_lock >= m->nlocks ||
                  (t->waiting_flags & SWT_ACQ_TIMED)))
        return false;
    const struct model_process *p = &m->procs[t->proc];
    if (t->end != MODEL_END_UNKNOWN && t->end != MODEL_END_KILLED)
        return false;
    if (p->running)
        return p->now_ns > t->waiting_since_ns && p->now_ns - t->waiting_since_ns >= HANG_LIVE_NS;
    return p->killed;
}

/* The thread other than self holding what t waits for, or MODEL_NONE. */
static uint32_t holder_of(const struct model *m, uint32_t self)
{
    const struct model_thread *t = &m->threads[self];
    uint32_t node = m->locks[t->waiting_lock].node;
    for (size_t k = 0; k < m->nthreads; k++) {
        if (k == self)
            continue;
        const struct model_thread *h = &m->threads[k];
        for (size_t i = 0; i < h->nheld; i++)
            if (m->locks[h->held[i].lock].node == node)
                return (uint32_t)k;
    }
    return MODEL_NONE;
}

static bool holds_itself(const struct model *m, const struct model_thread *t)
{
    uint32_t node = m->locks[t->waiting_lock].node;
    for (size_t i = 0; i < t->nheld; i++)
        if (m->locks[t->held[i].lock].node == node)
            return true;
    return false;
}

static const char *end_note(const struct model *m, const struct model_thread *t)
{
    return m->procs[t->proc].running ? "still waiting now: the process is running"
                                     : "still waiting when the process was killed";
}

/* Threads already in a finding that explains their wait. */
static bool *explained_threads(const struct model *m, const struct findings *fs)
{
    bool *ex = xcalloc(m->nthreads ? m->nthreads : 1, sizeof *ex);
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (f->pruned)
            continue;
        bool explains = f->kind == FINDING_DEADLOCK ||
                        (f->kind == FINDING_ABANDONED && strcmp(f->code, "wait-on-abandoned") == 0);
        if (!explains)
            continue;
        for (size_t k = 0; k < f->nthreads; k++)
            if (f->threads[k] < m->nthreads)
                ex[f->threads[k]] = true;
    }
    return ex;
}

enum cause { CAUSE_NONE, CAUSE_LOST_WAKEUP, CAUSE_SELF_WAIT, CAUSE_BARRIER, CAUSE_UNKNOWN };

/* Why the root's wait cannot end; CAUSE_NONE when something could end it
 * (a poster still running). *live_poster names a running poster. */
static enum cause root_cause(const struct model *m, uint32_t root, const bool *is_stuck,
                             bool all_stuck)
{
    const struct model_thread *t = &m->threads[root];
    const struct model_lock *l = &m->locks[t->waiting_lock];
    bool self = is_sem(l) && holds_itself(m, t);
    if (is_sem(l) || is_cond(l)) {
        if (!m->has_events) /* profile mode: who posts is not known */
            return all_stuck ? CAUSE_UNKNOWN : CAUSE_NONE;
        if (l->flags & SWT_LOCK_PSHARED || l->kind == SWT_KIND_SEM_NAMED) {
            /* Another process may post it: only when every thread of the
             * run is stuck is that known not to happen. */
            if (!all_stuck)
                return CAUSE_NONE;
        }
        /* Its known posters: all ended or blocked means nobody is left to
         * wake it.  With none known, any running thread might still be
         * the first: only when every thread is blocked is that ruled out. */
        size_t known = 0;
        for (uint8_t i = 0; i < l->nposters; i++) {
            uint32_t p = l->posters[i];
            if (p == root || p >= m->nthreads)
                continue;
            known++;
            if (!is_stuck[p] && !gone(&m->threads[p]))
                return CAUSE_NONE; /* it may post again */
        }
        if ((l->more_posters || !known) && !all_stuck)
            return CAUSE_NONE;
        return self ? CAUSE_SELF_WAIT : CAUSE_LOST_WAKEUP;
    }
    if (l->kind == SWT_KIND_BARRIER)
        return all_stuck ? CAUSE_BARRIER : CAUSE_NONE;
    return all_stuck ? CAUSE_UNKNOWN : CAUSE_NONE;
}

static const char *obj_word(const struct model_lock *l)
{
    if (is_cond(l))
        return "condition variable";
    if (is_sem(l))
        return l->binary_sem || l->is_lock ? "semaphore (used as a lock)" : "semaphore";
    if (l->kind == SWT_KIND_BARRIER)
        return "barrier";
    if (l->kind == SWT_KIND_RWLOCK)
        return "rwlock";
    if (l->kind == SWT_KIND_SPIN)
        return "spinlock";
    return "mutex";
}

static void report(const struct model *m, uint32_t root, enum cause cause, const uint32_t *deps,
                   size_t nbeside, size_t ndeps, struct findings *out)
{
    static const char *const codes[] = {
        [CAUSE_LOST_WAKEUP] = "lost-wakeup",
        [CAUSE_SELF_WAIT] = "self-wait",
        [CAUSE_BARRIER] = "barrier",
        [CAUSE_UNKNOWN] = "hang",
    };
    const struct model_thread *t = &m->threads[root];
    const struct model_lock *l = &m->locks[t->waiting_lock];
    char b1[160], b2[160], b3[160];
    const char *who = model_thread_label(m, root, b1, sizeof b1);
    const char *obj = model_lock_label(m, t->waiting_lock, b2, sizeof b2);
    struct finding *f = findings_add(out, FINDING_DEADLOCK, codes[cause], SEV_ERROR);
    f->sort_key = t->display;
    bool never = l->nposters == 0 || (l->nposters == 1 && l->posters[0] == root);
    switch (cause) {
    case CAUSE_LOST_WAKEUP:
        finding_title(f, "hang: %s waits on %s %s, which %s", who, obj_word(l), obj,
                      never ? (is_cond(l) ? "nobody signalled during the run"
                                          : "nobody posted during the run")
                            : (is_cond(l) ? "nobody left can signal"
                                          : "nobody left can post"));
        break;
    case CAUSE_SELF_WAIT:
        finding_title(f, "hang: %s waits for %s %s, which it holds itself", who, obj_word(l), obj);
        break;
    case CAUSE_BARRIER:
        finding_title(f, "hang: %s waits at barrier %s, which the other threads never reach", who,
                      obj);
        break;
    default:
        finding_title(f, "hang: every thread is blocked; %s waits on %s %s", who, obj_word(l), obj);
        break;
    }
    finding_thread(f, root);
    finding_lock(f, t->waiting_lock);
    if (cause == CAUSE_SELF_WAIT)
        finding_item(f, "holds", root, t->waiting_lock, MODEL_NONE, 0, NULL);
    finding_item(f, "waits for", root, t->waiting_lock, t->waiting_site, t->waiting_since_ns,
                 end_note(m, t));
    /* Who woke it before, and where they are now. */
    for (uint8_t i = 0; i < l->nposters; i++) {
        uint32_t p = l->posters[i];
        if (p == root || p >= m->nthreads)
            continue;
        const struct model_thread *pt = &m->threads[p];
        finding_thread(f, p);
        const char *state = gone(pt) ? "has ended since" : "is blocked itself at the end";
        char note[96];
        snprintf(note, sizeof note, "%s %s", is_cond(l) ? "signalled it before, and" : "posted it "
                 "before, and", state);
        if (pt->waiting_lock != MODEL_NONE && !gone(pt))
            finding_item(f, "waits for", p, pt->waiting_lock, pt->waiting_site,
                         pt->waiting_since_ns, note);
        else
            finding_item(f, is_cond(l) ? "signalled" : "posted", p, t->waiting_lock,
                         l->poster_sites[i], 0, note);
    }
    /* The threads waiting on the same object, then those whose waits lead
     * here through locks or joins. */
    for (size_t i = 0; i < nbeside; i++) {
        const struct model_thread *d = &m->threads[deps[i]];
        finding_thread(f, deps[i]);
        finding_item(f, "waits for", deps[i], d->waiting_lock, d->waiting_site, d->waiting_since_ns,
                     end_note(m, d));
    }
    for (size_t i = nbeside; i < ndeps; i++) {
        const struct model_thread *d = &m->threads[deps[i]];
        finding_thread(f, deps[i]);
        char note[200];
        if (d->waiting_lock == MODEL_NONE) {
            snprintf(note, sizeof note, "for %s to end, which is blocked too",
                     model_thread_label(m, d->waiting_join, b3, sizeof b3));
            finding_item(f, "waits in pthread_join", deps[i], MODEL_NONE, d->waiting_site,
                         d->waiting_since_ns, note);
            continue;
        }
        uint32_t h = holder_of(m, deps[i]);
        finding_lock(f, d->waiting_lock);
        snprintf(note, sizeof note, "held by %s, which is blocked too",
                 h != MODEL_NONE ? model_thread_label(m, h, b3, sizeof b3) : "another thread");
        finding_item(f, "waits for", deps[i], d->waiting_lock, d->waiting_site,
                     d->waiting_since_ns, note);
    }
    finding_metric_u64(f, "blocked_threads", 1 + ndeps);
    switch (cause) {
    case CAUSE_LOST_WAKEUP:
        finding_why(f,
                    "%s waits without a deadline, and no thread that could %s %s is left: "
                    "every one that did before has ended or is blocked itself%s. The wait "
                    "never ends and the program hangs here%s.",
                    who, is_cond(l) ? "signal" : "post", obj,
                    never ? " (none did during the run)" : "",
                    ndeps ? ", with the threads that wait for its locks" : "");
        finding_fix(f, "Make sure the %s comes after every wait that needs it (a predicate "
                       "checked under the mutex in a loop, so a %s sent before the wait is not "
                       "lost), send a shutdown sentinel or signal before the last poster ends, "
                       "or wait with a deadline and check why it passed.",
                    is_cond(l) ? "signal" : "post", is_cond(l) ? "signal" : "post");
        break;
    case CAUSE_SELF_WAIT:
        finding_why(f,
                    "%s holds %s and waits to take it again. A semaphore has no owner: only "
                    "another thread's post could end this wait, and none is left to do it. "
                    "This is a non-reentrant lock taken twice by one thread, or (CPython) a "
                    "Condition or Event wait that nobody notifies.",
                    who, obj);
        finding_fix(f, "Do not take the lock again on this path (a reentrant lock, such as "
                       "threading.RLock, allows it), or make sure the notify or set comes.");
        break;
    case CAUSE_BARRIER:
        finding_why(f, "A barrier opens only when all its parties arrive; the others ended or "
                       "block elsewhere, so %s waits forever.",
                    who);
        finding_fix(f, "Make every party reach the barrier on every path (also on errors), or "
                       "size the barrier to the threads that really come.");
        break;
    default:
        finding_why(f, "When the process was stopped every thread was blocked, and none was "
                       "running that could end another's wait. The stacks show where each one "
                       "waits.");
        finding_fix(f, "Follow what each thread waits for to the thread that should have "
                       "released or signalled it.");
        break;
    }
}

void detect_hangs(const struct model *m, const struct report_opts *o, struct findings *out)
{
    (void)o;
    /* What the watchdog said while the program ran. */
    for (size_t i = 0; i < m->nprocs; i++) {
        const struct swt_file_header *h = &m->procs[i].hdr;
        if (h->hang_count)
            findings_note(out, "the hang watchdog reported %s in pid %d while it ran (%u "
                               "report%s; SYNCWATCH_HANG_TIMEOUT)",
                          h->hang_kind == SWT_HANG_ALL_WAITING ? "every thread waiting"
                                                               : "a deadlock",
                          m->procs[i].pid, h->hang_count, h->hang_count == 1 ? "" : "s");
    }
    size_t n = m->nthreads;
    if (!n)
        return;
    bool *is_stuck = xcalloc(n, sizeof *is_stuck);
    bool *ex = explained_threads(m, out);
    bool *done = xcalloc(n, sizeof *done);
    uint32_t *root_of = xmalloc(n * sizeof *root_of);
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        is_stuck[i] = stuck(m, &m->threads[i]);
        any |= is_stuck[i];
        root_of[i] = MODEL_NONE;
    }
    if (!any)
        goto out;
    /* Every live thread of every process stuck? (Then nothing can end any
     * wait, whatever the posters did before.) */
    bool all_stuck = true;
    for (size_t i = 0; i < n; i++) {
        const struct model_thread *t = &m->threads[i];
        const struct model_process *p = &m->procs[t->proc];
        if ((p->killed || p->running) && !gone(t) && !is_stuck[i])
            all_stuck = false;
    }
    /* Chains: a lock wait whose holder is another stuck thread leads to
     * that thread; a chain into an explained thread, or to a running one,
     * is no new hang. */
    for (size_t i = 0; i < n; i++) {
        if (!is_stuck[i] || ex[i])
            continue;
        uint32_t chain[MAX_CHAIN];
        size_t len = 0;
        uint32_t cur = (uint32_t)i;
        bool dead_end = false;
        for (;;) {
            if (len == MAX_CHAIN) {
                dead_end = true;
                break;
            }
            for (size_t k = 0; k < len; k++)
                if (chain[k] == cur)
                    dead_end = true; /* a cycle: the deadlock detector's */
            if (dead_end)
                break;
            chain[len++] = cur;
            if (m->threads[cur].waiting_lock == MODEL_NONE) {
                /* In pthread_join: it waits for the joined thread to end. */
                uint32_t j = m->threads[cur].waiting_join;
                if (!is_stuck[j] || ex[j]) {
                    dead_end = true;
                    break;
                }
                cur = j;
                continue;
            }
            const struct model_lock *l = &m->locks[m->threads[cur].waiting_lock];
            if (is_sem(l) && !l->is_lock)
                break; /* a counting semaphore: no holder */
            if (is_cond(l) || l->kind == SWT_KIND_BARRIER)
                break;
            uint32_t h = holder_of(m, cur);
            if (h == MODEL_NONE)
                break;
            if (!is_stuck[h] || ex[h]) {
                dead_end = true; /* its holder runs (or is explained) */
                break;
            }
            cur = h;
        }
        if (!dead_end)
            root_of[i] = chain[len - 1];
    }
    /* One finding per waited-for object: roots waiting on the same
     * condvar, semaphore or barrier for the same cause are told together
     * (the first is the story's root, the others wait beside it). */
    enum cause *cause = xcalloc(n, sizeof *cause);
    for (size_t r = 0; r < n; r++)
        if (root_of[r] == r)
            cause[r] = root_cause(m, (uint32_t)r, is_stuck, all_stuck);
    uint32_t *deps = xmalloc(n * sizeof *deps);
    for (size_t r = 0; r < n; r++) {
        if (done[r] || root_of[r] != r || cause[r] == CAUSE_NONE)
            continue;
        uint32_t node = m->locks[m->threads[r].waiting_lock].node;
        size_t nd = 0;
        for (size_t r2 = r + 1; r2 < n; r2++) {
            if (root_of[r2] == r2 && !done[r2] && cause[r2] == cause[r] &&
                m->threads[r2].waiting_lock != MODEL_NONE &&
                m->locks[m->threads[r2].waiting_lock].node == node) {
                done[r2] = true;
                deps[nd++] = (uint32_t)r2;
            }
        }
        size_t nbeside = nd;
        for (size_t i = 0; i < n; i++) {
            if (i == r || root_of[i] == i)
                continue;
            bool mine = root_of[i] == r;
            for (size_t k = 0; k < nbeside && !mine; k++)
                mine = root_of[i] == deps[k];
            if (mine)
                deps[nd++] = (uint32_t)i;
        }
        report(m, (uint32_t)r, cause[r], deps, nbeside, nd, out);
        done[r] = true;
    }
    free(deps);
    free(cause);
out:
    free(is_stuck);
    free(ex);
    free(done);
    free(root_of);
}
