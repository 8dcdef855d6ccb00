/* Abandoned locks: a lock still held when its holder went away (thread
 * return/pthread_exit/cancel, process exit or kill), a lock another thread
 * held when the process forked (locked forever in the child), a robust
 * mutex that reported EOWNERDEAD, and the waits that failed or hung on such
 * a lock.  Reads the facts of the model pass. */
#include <stdio.h>
#include <stdlib.h>

#include "analyzer/detect.h"
#include "analyzer/xalloc.h"

static bool is_sem(const struct model_lock *l)
{
    return l->kind == SWT_KIND_SEM || l->kind == SWT_KIND_SEM_NAMED;
}

static bool shared(const struct model_lock *l)
{
    return (l->flags & SWT_LOCK_PSHARED) || l->kind == SWT_KIND_SEM_NAMED;
}

static const char *proc_text(const struct model *m, uint32_t proc, char *buf, size_t len)
{
    if (m->nprocs > 1 && proc < m->nprocs)
        snprintf(buf, len, " (pid %d)", m->procs[proc].pid);
    else
        buf[0] = 0;
    return buf;
}

/* Whether the recorder lost events of this thread: its DROPPED records,
 * or drops its process's header counts that no DROPPED record reported (a
 * full disk: the record waits for space that never came), which may be
 * any thread's.  Its release of a lock may be among them. */
static bool lost_events(const struct model *m, uint32_t thread, const uint64_t *unreported)
{
    if (thread >= m->nthreads)
        return false;
    const struct model_thread *t = &m->threads[thread];
    return t->dropped_events || (t->proc < m->nprocs && unreported[t->proc]);
}

/* A finding that rests on the absence of a thread's release: a note when
 * events of that thread were lost, since the release may be one of them. */
static void weigh_lost(const struct model *m, struct finding *f, uint32_t thread,
                       const uint64_t *unreported)
{
    if (!lost_events(m, thread, unreported))
        return;
    char b[160];
    const char *who = model_thread_label(m, thread, b, sizeof b);
    f->severity = SEV_INFO;
    f->note_only = true;
    finding_metric_str(f, "confidence", "low");
    char *title = xstrdup(f->title ? f->title : ""), *why = xstrdup(f->why ? f->why : "");
    finding_title(f, "%s (events of %s were lost)", title, who);
    finding_why(f,
                "The recorder lost events of %s (its trace was full, or the disk ran out of "
                "space), and its release of the lock may be one of them: this is a note, not an "
                "error. Give the trace more space and run again to confirm. %s",
                who, why);
    free(title);
    free(why);
}

void detect_abandoned(const struct model *m, const struct report_opts *o, struct findings *out)
{
    (void)o;
    char b1[160], b2[160], b3[64];
    /* per process: dropped events its header counts beyond its DROPPED records */
    uint64_t *unreported = xcalloc(m->nprocs ? m->nprocs : 1, sizeof *unreported);
    for (size_t p = 0; p < m->nprocs; p++)
        unreported[p] = m->procs[p].hdr.dropped_events;
    for (size_t i = 0; i < m->nthreads; i++) {
        uint32_t p = m->threads[i].proc;
        if (p < m->nprocs)
            unreported[p] -= unreported[p] < m->threads[i].dropped_events
                                 ? unreported[p]
                                 : m->threads[i].dropped_events;
    }
    for (size_t i = 0; i < m->nfacts; i++) {
        const struct model_fact *x = &m->facts[i];
        if (x->lock >= m->nlocks)
            continue;
        const struct model_lock *l = &m->locks[x->lock];
        const char *lk = model_lock_label(m, x->lock, b1, sizeof b1);
        const char *th = x->thread != MODEL_NONE ? model_thread_label(m, x->thread, b2, sizeof b2)
                                                 : "?";
        struct finding *f = NULL;
        switch (x->kind) {
        case MODEL_FACT_HELD_AT_THREAD_END: {
            if (l->label)
                continue;
            /* threading.Condition drops its per-waiter lock while taken */
            if (is_sem(l) && l->destroyed)
                continue;
            const struct model_thread *t = &m->threads[x->thread];
            bool cancel = t->end == MODEL_END_CANCELED;
            f = findings_add(out, FINDING_ABANDONED,
                             cancel ? "held-at-thread-cancel" : "held-at-thread-exit", SEV_ERROR);
            finding_title(f, "abandoned lock: %s %s while holding %s", th,
                          cancel ? "was cancelled" : "ended", lk);
            finding_item(f, "acquired", x->thread, x->lock, x->site, 0, NULL);
            finding_item(f, cancel ? "was cancelled holding" : "ended holding", x->thread, x->lock,
                         MODEL_NONE, x->ns, NULL);
            finding_why(f,
                        "Nobody will ever unlock %s: %s is gone. The next thread that locks it "
                        "waits forever%s.",
                        lk, th,
                        is_sem(l) ? "" : " (an errorcheck or robust mutex fails instead)");
            finding_fix(f, "%s", cancel
                                     ? "Release the lock on every way out: push a cleanup handler "
                                       "(pthread_cleanup_push) that unlocks it, or disable "
                                       "cancellation while it is held."
                                     : "Unlock it on every path before the thread returns or "
                                       "calls pthread_exit (look for an early return or error "
                                       "path between the lock and the unlock).");
            break;
        }
        case MODEL_FACT_HELD_AT_PROC_END: {
            if (l->label)
                continue;
            /* An unnamed semaphore has no owner, and CPython keeps some taken
             * for a thread's whole life; only a named one, which other
             * processes may wait on, matters at exit. */
            if (is_sem(l) && !shared(l))
                continue;
            const struct model_thread *t = &m->threads[x->thread];
            /* A holder blocked at the end is part of a hang that the
             * deadlock finding tells; its holds are not news. */
            if (t->waiting_lock != MODEL_NONE && !shared(l))
                continue;
            /* Joined already: the joiner went on (to exit) while the thread
             * finished its teardown (CPython drops the GIL after its join
             * sentinel is released): a race at exit, not an abandonment. */
            if (t->joined_by != MODEL_NONE && !shared(l))
                continue;
            bool killed = t->end == MODEL_END_KILLED;
            f = findings_add(out, FINDING_ABANDONED, killed ? "held-at-kill" : "held-at-exit",
                             killed || shared(l) ? SEV_ERROR : SEV_WARNING);
            finding_title(f, "abandoned lock: %s still held by %s when the process%s %s", lk, th,
                          proc_text(m, t->proc, b3, sizeof b3),
                          killed ? "was killed" : "exited");
            finding_item(f, "acquired", x->thread, x->lock, x->site, 0, NULL);
            if (shared(l))
                finding_why(f,
                            "%s is shared with other processes: they wait forever for it%s.", lk,
                            (l->flags & SWT_LOCK_ROBUST) ? " (a robust mutex reports "
                                                           "EOWNERDEAD to the next one instead)"
                                                         : "");
            else
                finding_why(f,
                            "The process ended in the middle of a critical section of %s: "
                            "whatever %s protects may have been left half-updated (files, "
                            "shared memory, output)%s.",
                            lk, lk, killed ? ", and nothing ran to repair it" : "");
            finding_fix(f, "%s", shared(l)
                                     ? "Make the mutex robust (PTHREAD_MUTEX_ROBUST) and repair "
                                       "the state on EOWNERDEAD, or make sure the process "
                                       "unlocks it before it exits."
                                     : "Finish or abandon the critical section before the "
                                       "process ends: stop and join the threads first, or "
                                       "unlock before calling exit.");
            break;
        }
        case MODEL_FACT_HELD_AT_FORK: {
            f = findings_add(out, FINDING_ABANDONED, "held-at-fork", SEV_ERROR);
            char b4[160];
            finding_title(f, "abandoned lock: %s was held by %s when %s called fork", lk, th,
                          model_thread_label(m, x->other, b4, sizeof b4));
            finding_item(f, "holds", x->thread, x->lock, x->site, 0, NULL);
            finding_item(f, "forks", x->other, MODEL_NONE, x->other_site, x->ns,
                         x->proc2 != MODEL_NONE && x->proc2 < m->nprocs ? "child traced too"
                                                                        : NULL);
            finding_why(f,
                        "The child process gets a copy of %s in the locked state, but not the "
                        "thread that would unlock it: in the child it is locked forever, and "
                        "any lock of it there hangs.",
                        lk);
            finding_fix(f, "Only call async-signal-safe functions between fork and exec in the "
                           "child, or take the lock around fork with pthread_atfork handlers "
                           "(prepare: lock, parent and child: unlock), or fork before threads "
                           "start.");
            break;
        }
        case MODEL_FACT_OWNER_DEAD: {
            f = findings_add(out, FINDING_ABANDONED, "owner-dead", SEV_ERROR);
            if (x->other != MODEL_NONE) {
                char b4[160];
                finding_title(f, "abandoned lock: robust %s returned EOWNERDEAD to %s: %s%s "
                                 "died holding it",
                              lk, th, model_thread_label(m, x->other, b4, sizeof b4),
                              proc_text(m, m->threads[x->other].proc, b3, sizeof b3));
                finding_item(f, "held", x->other, x->lock, x->other_site, 0, "and died");
            } else {
                finding_title(f, "abandoned lock: robust %s returned EOWNERDEAD to %s: its "
                                 "owner died holding it",
                              lk, th);
            }
            finding_item(f, "acquired (EOWNERDEAD)", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "The owner of %s ended inside its critical section; the data it "
                           "protects may be inconsistent.",
                        lk);
            finding_fix(f, "Find why the owner died holding the lock (see the abandoned-lock "
                           "finding of that thread, if any); the EOWNERDEAD path must repair "
                           "the state and call pthread_mutex_consistent.");
            break;
        }
        case MODEL_FACT_WAIT_ON_ABANDONED: {
            /* Still waiting when a killed (or still running) process was
             * read: a hang, of the deadlock kind like every other hang. */
            const struct model_process *wp = &m->procs[m->threads[x->thread].proc];
            bool hang = x->never_ended && (wp->killed || wp->running);
            f = findings_add(out, hang ? FINDING_DEADLOCK : FINDING_ABANDONED, "wait-on-abandoned",
                             SEV_ERROR);
            char b4[160];
            finding_title(f, "%s waited for %s, abandoned by %s", th, lk,
                          x->other != MODEL_NONE ? model_thread_label(m, x->other, b4, sizeof b4)
                                                 : "its holder");
            if (x->other != MODEL_NONE)
                finding_item(f, "acquired and left", x->other, x->lock, x->other_site, 0, NULL);
            finding_item(f, "waited for", x->thread, x->lock, x->site, x->ns,
                         "the wait failed or never ended");
            finding_why(f, "%s's holder is gone, so the wait cannot succeed: the program hangs "
                           "or times out here.",
                        lk);
            finding_fix(f, "Fix the path that left %s locked (see the abandoned-lock finding).",
                        lk);
            break;
        }
        default:
            continue;
        }
        if (x->kind == MODEL_FACT_HELD_AT_THREAD_END || x->kind == MODEL_FACT_HELD_AT_PROC_END)
            weigh_lost(m, f, x->thread, unreported);
        else if (x->kind == MODEL_FACT_WAIT_ON_ABANDONED && x->other != MODEL_NONE)
            weigh_lost(m, f, x->other, unreported);
        f->sort_key = 0; /* by code, lock, thread: not by time, which varies run to run */
        finding_lock(f, x->lock);
        finding_thread(f, x->thread);
        if (x->other != MODEL_NONE)
            finding_thread(f, x->other);
        if (x->count > 1)
            finding_metric_u64(f, "times", x->count);
    }
    free(unreported);
}
