/* Misuse of the lock API: unlock of a lock the caller does not hold (held by
 * another thread, or by nobody), double unlock, destroy of a held lock,
 * re-lock of a non-recursive mutex by its holder, one condvar waited with
 * two mutexes, condvar wait without its mutex, use after destroy, and a
 * binary semaphore posted past 1.  Semaphores have no owner: posting one
 * from another thread is never misuse (the model pass never records it). */
#include <stdio.h>

#include "analyzer/detect.h"

static bool still_blocked_on(const struct model *m, uint32_t thread, uint32_t lock)
{
    return thread < m->nthreads && m->threads[thread].waiting_lock == lock &&
           m->threads[thread].end != MODEL_END_EXITED &&
           m->threads[thread].end != MODEL_END_CANCELED;
}

void detect_misuse(const struct model *m, const struct report_opts *o, struct findings *out)
{
    (void)o;
    char b1[160], b2[160], b3[160];
    for (size_t i = 0; i < m->nfacts; i++) {
        const struct model_fact *x = &m->facts[i];
        if (x->lock >= m->nlocks)
            continue;
        const char *lk = model_lock_label(m, x->lock, b1, sizeof b1);
        const char *th = model_thread_label(m, x->thread, b2, sizeof b2);
        const char *other =
            x->other != MODEL_NONE ? model_thread_label(m, x->other, b3, sizeof b3) : "?";
        struct finding *f = NULL;
        switch (x->kind) {
        case MODEL_FACT_UNLOCK_NOT_OWNER:
            f = findings_add(out, FINDING_MISUSE, "unlock-not-owner", SEV_ERROR);
            finding_title(f, "misuse: %s unlocked %s, which %s holds", th, lk, other);
            finding_item(f, "acquired", x->other, x->lock, x->other_site, 0, NULL);
            finding_item(f, "unlocked", x->thread, x->lock, x->site, x->ns, "without holding it");
            finding_why(f, "Only the owner may unlock a mutex. For a default mutex glibc "
                           "unlocks it anyway, so %s's critical section is no longer "
                           "protected; an errorcheck or recursive mutex returns EPERM.",
                        other);
            finding_fix(f, "Unlock in the thread that locked. To hand a permission from one "
                           "thread to another, use a semaphore or a condition variable.");
            break;
        case MODEL_FACT_UNLOCK_UNHELD:
            f = findings_add(out, FINDING_MISUSE, "unlock-unheld", SEV_ERROR);
            finding_title(f, "misuse: %s unlocked %s, which nobody holds", th, lk);
            finding_item(f, "unlocked", x->thread, x->lock, x->site, x->ns, "not locked");
            finding_why(f, "Unlocking a mutex that is not locked is undefined behaviour: it "
                           "can corrupt the mutex, so that later it lets two threads in or "
                           "none.");
            finding_fix(f, "Pair every unlock with a lock on the same path; look for an "
                           "unlock on an error path that did not lock.");
            break;
        case MODEL_FACT_DOUBLE_UNLOCK:
            f = findings_add(out, FINDING_MISUSE, "double-unlock", SEV_ERROR);
            finding_title(f, "misuse: %s unlocked %s twice", th, lk);
            finding_item(f, "unlocked again", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "The second unlock releases a mutex that is not locked: undefined "
                           "behaviour that can let two threads into the critical section.");
            finding_fix(f, "Remove the second unlock (often a shared cleanup label reached "
                           "after an earlier unlock).");
            break;
        case MODEL_FACT_DESTROY_HELD:
            f = findings_add(out, FINDING_MISUSE, "destroy-held", SEV_ERROR);
            finding_title(f, "misuse: %s destroyed %s while %s held it", th, lk, other);
            if (x->other != MODEL_NONE)
                finding_item(f, "holds", x->other, x->lock, x->other_site, 0, NULL);
            finding_item(f, "destroyed", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "Destroying a locked mutex is undefined behaviour (glibc returns "
                           "EBUSY); its holder will unlock freed or reused memory.");
            finding_fix(f, "Unlock it, and make sure no thread can still use it, before "
                           "destroying it (join the threads first).");
            break;
        case MODEL_FACT_RELOCK:
            if (still_blocked_on(m, x->thread, x->lock))
                continue; /* reported as a self-deadlock */
            f = findings_add(out, FINDING_MISUSE, "relock", SEV_ERROR);
            finding_title(f, "misuse: %s locked %s again while holding it", th, lk);
            if (x->other_site != MODEL_NONE)
                finding_item(f, "holds", x->thread, x->lock, x->other_site, 0, NULL);
            finding_item(f, "locks again", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "%s is not recursive: a second lock by its holder deadlocks the "
                           "thread (a normal mutex) or fails with EDEADLK (an errorcheck "
                           "mutex, whose caller must then not unlock twice).",
                        lk);
            finding_fix(f, "Do not re-lock on this path, or make the mutex recursive.");
            break;
        case MODEL_FACT_COND_TWO_MUTEXES: {
            char b4[160], b5[160];
            f = findings_add(out, FINDING_MISUSE, "cond-two-mutexes", SEV_ERROR);
            finding_title(f, "misuse: condvar %s waited with two different mutexes, %s and %s",
                          lk, model_lock_label(m, x->lock2, b4, sizeof b4),
                          model_lock_label(m, x->lock3, b5, sizeof b5));
            finding_lock(f, x->lock2);
            finding_lock(f, x->lock3);
            finding_item(f, "waits with", x->thread, x->lock3, x->site, x->ns, NULL);
            finding_why(f, "POSIX leaves this undefined: all concurrent waiters of a "
                           "condition variable must use the same mutex, else a wake-up can "
                           "be lost or the condvar corrupted.");
            finding_fix(f, "Use one mutex per condition variable (the one that protects the "
                           "predicate), or separate condition variables.");
            break;
        }
        case MODEL_FACT_COND_NO_MUTEX:
            f = findings_add(out, FINDING_MISUSE, "cond-wait-unheld", SEV_ERROR);
            finding_title(f, "misuse: %s waited on condvar %s without holding its mutex %s", th,
                          model_lock_label(m, x->lock2, b3, sizeof b3), lk);
            finding_lock(f, x->lock2);
            finding_item(f, "waits without", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "pthread_cond_wait must be called with the mutex locked: without "
                           "it the predicate check and the wait race with the signaller, and "
                           "the wake-up can be lost (the thread sleeps forever).");
            finding_fix(f, "Lock the mutex, check the predicate in a loop, wait, unlock.");
            break;
        case MODEL_FACT_USE_AFTER_DESTROY:
            f = findings_add(out, FINDING_MISUSE, "use-after-destroy", SEV_ERROR);
            finding_title(f, "misuse: %s used %s after it was destroyed", th, lk);
            finding_item(f, "uses", x->thread, x->lock, x->site, x->ns, NULL);
            finding_why(f, "A destroyed lock must be initialised again before use; the memory "
                           "may already be freed or reused (or, if it was reset with a static "
                           "initialiser, this is a false alarm).");
            finding_fix(f, "Destroy a lock only when no thread can use it any more; "
                           "re-initialise it with pthread_mutex_init if it is reused.");
            break;
        case MODEL_FACT_SEM_OVERPOST:
            f = findings_add(out, FINDING_MISUSE, "sem-overpost", SEV_ERROR);
            finding_title(f, "misuse: binary semaphore %s posted past 1 by %s", lk, th);
            finding_item(f, "posts", x->thread, x->lock, x->site, x->ns, "value becomes 2");
            finding_why(f, "%s starts at 1 and is used as a lock; a second post (a double "
                           "release) lets two threads in at once.",
                        lk);
            finding_fix(f, "Post only what was taken: look for a release on an error path "
                           "that runs after the normal one.");
            break;
        default:
            continue;
        }
        f->sort_key = 0; /* by code, lock, thread: not by time, which varies run to run */
        finding_lock(f, x->lock);
        finding_thread(f, x->thread);
        if (x->other != MODEL_NONE)
            finding_thread(f, x->other);
        if (x->count > 1)
            finding_metric_u64(f, "times", x->count);
    }
}
