/* spin_abba: the abba inversion with spinlocks.
 *
 * pthread_spin_lock never sleeps, so a spinlock deadlock burns two CPUs
 * forever.  Two threads take spin_a/spin_b in opposite orders, in turn, so
 * this run does not hang.
 *
 * The report must show: one potential deadlock through spin_a and spin_b,
 * with two threads; exit code 1. */
#include "sample_util.h"

pthread_spinlock_t spin_a, spin_b;

static void *take_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_spin_lock(&spin_a);
    pthread_spin_lock(&spin_b);
    pthread_spin_unlock(&spin_b);
    pthread_spin_unlock(&spin_a);
    sample_give_turn(1);
    return NULL;
}

static void *take_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_spin_lock(&spin_b);
    pthread_spin_lock(&spin_a);
    pthread_spin_unlock(&spin_a);
    pthread_spin_unlock(&spin_b);
    return NULL;
}

int main(void)
{
    sample_check(pthread_spin_init(&spin_a, PTHREAD_PROCESS_PRIVATE), "pthread_spin_init");
    sample_check(pthread_spin_init(&spin_b, PTHREAD_PROCESS_PRIVATE), "pthread_spin_init");
    pthread_t t1 = sample_start(take_a_then_b, NULL);
    pthread_t t2 = sample_start(take_b_then_a, NULL);
    sample_join(t1);
    sample_join(t2);
    pthread_spin_destroy(&spin_a);
    pthread_spin_destroy(&spin_b);
    puts("spin_abba: done (no hang this time)");
    return 0;
}
