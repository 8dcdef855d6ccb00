/* The finding codes' descriptions (finding_codes.h).  Keep in step with
 * the detectors (detect_*.c) and docs/json-schema.md's list of codes. */
#include "analyzer/finding_codes.h"

#include <string.h>

static const struct finding_code_info codes[] = {
    {"deadlock", "Deadlock", "Threads blocked in a wait-for cycle: an actual deadlock",
     "Each thread of the cycle waits for a lock another one holds, so none can go on: the "
     "program hangs. Take the locks in one global order on every path, or take the later "
     "ones with a trylock and back off."},
    {"self-deadlock", "SelfDeadlock", "A thread waits for a lock it holds itself",
     "A non-recursive lock taken again by its holder blocks forever. Do not re-enter the "
     "locked section, or restructure so that the inner call receives the lock already held."},
    {"lost-wakeup", "LostWakeup",
     "A thread blocked forever in a wait nobody will end",
     "The thread waits on a condition variable or semaphore whose signallers or posters are "
     "all blocked or gone (or never signalled): the wake-up was lost. Signal under the mutex "
     "after changing the predicate, wait in a loop on the predicate, and make sure every path "
     "that ends the work posts or signals."},
    {"self-wait", "SelfWait", "A thread waits for a semaphore-lock it holds itself",
     "A semaphore used as a non-reentrant lock is waited for by its holder: it never returns. "
     "Do not re-enter the locked section, or use a reentrant lock."},
    {"barrier", "BarrierHang", "A barrier wait the other parties never reached",
     "The barrier needs more threads than arrive: the waiters hang. Make the count match the "
     "threads that reach it on every path (including errors)."},
    {"hang", "Hang", "Every thread blocked: the program hangs",
     "All threads of the process were blocked at the end, for a reason the analyzer cannot "
     "name. The waits in the story show where each thread stopped."},
    {"lock-order-cycle", "LockOrderCycle", "Potential deadlock: locks taken in opposite orders",
     "Threads acquire these locks in orders that form a cycle. If they run at the same time "
     "each can hold its first lock and wait forever for the next. Pick one global order and "
     "take the locks in it on every path, protect them with one lock, or take the later lock "
     "with a trylock and back off."},
    {"lock-order-cycle-rw", "LockOrderCycleRw",
     "Potential deadlock: a lock-order cycle through a reader-writer lock",
     "Threads take these locks, one of them a reader-writer lock held for writing somewhere, "
     "in orders that form a cycle: they can deadlock. Use one global lock order."},
    {"cycle-search-incomplete", "CycleSearchIncomplete",
     "The lock-order cycle search stopped at its budget",
     "These locks are taken in so many orders that not every lock-order cycle among them was "
     "listed: one that can deadlock may be missing. Take them in one global order, or fewer "
     "at a time, or with trylock back-off (std::lock), which is left out of the search."},
    {"wait-holding-lock", "WaitHoldingLock",
     "Waits for a signal or post while holding a lock the signaller needs",
     "A thread waits on a condition variable or semaphore while it holds a lock that the "
     "thread that would signal it takes first: the signal never comes. Release the lock "
     "before waiting, or signal without taking it."},
    {"held-at-thread-exit", "HeldAtThreadExit", "A thread ended holding a lock",
     "Nobody will unlock it: the next thread that locks it waits forever. Unlock on every "
     "exit path (early returns, errors), or use a robust mutex and recover."},
    {"held-at-thread-cancel", "HeldAtThreadCancel", "A thread was cancelled holding a lock",
     "Cancellation ended the thread inside a locked section. Push a cleanup handler that "
     "unlocks (pthread_cleanup_push), or disable cancellation there."},
    {"held-at-exit", "HeldAtExit", "The process exited while a thread held a lock",
     "Exit handlers and destructors that take this lock hang, and process-shared locks stay "
     "locked for other processes. Stop and join the threads before exiting."},
    {"held-at-kill", "HeldAtKill", "The process was killed while a thread held a lock",
     "A process-shared lock stays locked for every other process. Use robust mutexes for "
     "locks shared between processes."},
    {"held-at-fork", "HeldAtFork", "Another thread held a lock when the process forked",
     "The child inherits the lock locked, with no thread to unlock it: its first lock call "
     "hangs. Exec right after fork, or take the locks in a pthread_atfork prepare handler."},
    {"owner-dead", "OwnerDead", "A robust mutex returned EOWNERDEAD",
     "Its owner died holding it, so the data it protects may be half updated. Check and "
     "repair the state, then call pthread_mutex_consistent."},
    {"wait-on-abandoned", "WaitOnAbandoned", "A wait on an abandoned lock",
     "The lock's holder is gone: the wait fails or never ends. Fix the holder's exit path."},
    {"unlock-not-owner", "UnlockNotOwner", "Unlock of a lock held by another thread",
     "Undefined behaviour for mutexes: the owner's critical section is broken open. Unlock "
     "only in the thread that locked."},
    {"unlock-unheld", "UnlockUnheld", "Unlock of a lock nobody holds",
     "Undefined behaviour; usually an unlock on a path that never locked. Pair every unlock "
     "with its lock."},
    {"double-unlock", "DoubleUnlock", "A lock unlocked twice",
     "The second unlock may release another thread's hold. Remove the extra unlock."},
    {"destroy-held", "DestroyHeld", "A lock destroyed while held",
     "Undefined behaviour: the holder will unlock freed or reused memory. Destroy a lock only "
     "when no thread holds or waits for it."},
    {"relock", "Relock", "A non-recursive lock taken again by its holder",
     "The thread deadlocks itself (or gets EDEADLK from an error-checking mutex). Do not "
     "re-enter the locked section."},
    {"cond-two-mutexes", "CondTwoMutexes", "One condition variable waited with two mutexes",
     "Undefined behaviour: a condition variable must always be used with the same mutex."},
    {"cond-wait-unheld", "CondWaitUnheld", "A condition wait without holding its mutex",
     "Undefined behaviour, and a lost wake-up: lock the mutex, check the predicate, then "
     "wait."},
    {"use-after-destroy", "UseAfterDestroy", "A destroyed lock used again",
     "Undefined behaviour: initialise it again first, or do not destroy it while in use."},
    {"sem-overpost", "SemOverpost", "A binary semaphore posted above 1",
     "A semaphore used as a lock was released twice, so two threads can enter the critical "
     "section. Post only after a wait."},
    {"starved-waiter", "StarvedWaiter", "A thread waited long while others took the lock",
     "The lock is unfair to this thread: its work stalls. Shorten the holds, or use a fair "
     "hand-off (a queue, a ticket lock)."},
    {"writer-starved-by-readers", "WriterStarvedByReaders",
     "A writer waited while readers kept the rwlock",
     "A reader-preferring rwlock lets a stream of readers starve writers. Use a "
     "writer-preferring rwlock (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP)."},
    {"barging", "Barging", "Threads re-took a lock ahead of waiters",
     "The releaser takes the lock again before a waiter wakes: throughput for one, starvation "
     "for the rest. Hand off explicitly if fairness matters."},
    {"contention-hotspot", "ContentionHotspot", "A lock threads queue for again and again",
     "Waiting threads do no work, and the cost grows with every thread. Shorten the critical "
     "sections, split the lock, or use a reader-writer lock for read-mostly data."},
};

const struct finding_code_info *finding_code_info(const char *code)
{
    static const struct finding_code_info unknown = {
        "unknown", "Unknown", "A syncwatch finding", "See docs/analyzer.md of syncwatch."};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
        if (code && !strcmp(codes[i].code, code))
            return &codes[i];
    return &unknown;
}
