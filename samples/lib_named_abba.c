/* lib_named_abba: the lock-order inversion of abba, with libsyncwatch-sync's
 * named mutexes.  The variables are m1 and m2, the declared names
 * "accounts_lock" and "ledger_lock": under the shim the library reports its
 * operations into the trace with those names, so the report names the locks
 * as the program declared them, not by symbol.
 *
 * The two threads take turns (no hang this run).  Without the shim the
 * library records nothing and the program runs the same.
 *
 * The report must show: one potential deadlock (a cycle) through
 * accounts_lock and ledger_lock, with both threads; exit code 1. */
#include "sample_util.h"
#include "syncwatch/sync.h"

static sw_mutex_t m1 = SW_MUTEX_INITIALIZER("accounts_lock");
static sw_mutex_t m2;

static void *transfer(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    sw_mutex_lock(&m1);
    sw_mutex_lock(&m2);
    sw_mutex_unlock(&m2);
    sw_mutex_unlock(&m1);
    sample_give_turn(1);
    return NULL;
}

static void *audit(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    sw_mutex_lock(&m2);
    sw_mutex_lock(&m1);
    sw_mutex_unlock(&m1);
    sw_mutex_unlock(&m2);
    return NULL;
}

int main(void)
{
    sample_check(-sw_mutex_init(&m2, "ledger_lock", 0), "sw_mutex_init");
    pthread_t t1 = sample_start(transfer, NULL);
    pthread_t t2 = sample_start(audit, NULL);
    sample_join(t1);
    sample_join(t2);
    puts("lib_named_abba: done (no hang this time)");
    return 0;
}
