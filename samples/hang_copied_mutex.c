/* hang_copied_mutex: a mutex copied while it was locked.
 *
 * main locks template_lock, copies the struct it lives in (a "clone this
 * config" helper that copies the lock with the data), unlocks the original
 * and later locks the copy.  The copy still says "locked", and nobody will
 * ever unlock it: main blocks forever (the test harness kills it after
 * 2 s).  The trace cannot say who holds the copy (no thread ever locked
 * it), so the cause is not one the analyzer can name.
 *
 * The report on the trace of the killed process must show: a hang
 * (deadlock/hang: every thread blocked, cause unknown) on copy.lock, with
 * main's stack; exit code 1. */
#include "sample_util.h"

struct config {
    pthread_mutex_t lock;
    int value;
};

static struct config original = {PTHREAD_MUTEX_INITIALIZER, 1};
static struct config copy;

int main(void)
{
    pthread_mutex_lock(&original.lock);
    copy = original; /* the bug: the locked mutex is copied with the data */
    pthread_mutex_unlock(&original.lock);
    puts("hang_copied_mutex: about to hang (kill me)");
    fflush(stdout);
    pthread_mutex_lock(&copy.lock); /* "locked" by nobody: waits forever */
    pthread_mutex_unlock(&copy.lock);
    return copy.value == 1 ? 0 : 3;
}
