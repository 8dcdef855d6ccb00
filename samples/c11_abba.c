/* c11_abba: the abba inversion with C11 <threads.h> mutexes.
 *
 * glibc implements mtx_lock without going through pthread_mutex_lock, so the
 * shim must hook mtx_* separately to see this at all.  Two C11 threads take
 * mtx_a/mtx_b in opposite orders, in turn, so the run never hangs.
 *
 * The report must show: one potential deadlock through mtx_a and mtx_b,
 * with two threads; exit code 1. */
#include <threads.h>

#include "sample_util.h"

mtx_t mtx_a, mtx_b;

static int take_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    mtx_lock(&mtx_a);
    mtx_lock(&mtx_b);
    mtx_unlock(&mtx_b);
    mtx_unlock(&mtx_a);
    sample_give_turn(1);
    return 0;
}

static int take_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    mtx_lock(&mtx_b);
    mtx_lock(&mtx_a);
    mtx_unlock(&mtx_a);
    mtx_unlock(&mtx_b);
    return 0;
}

int main(void)
{
    if (mtx_init(&mtx_a, mtx_plain) != thrd_success || mtx_init(&mtx_b, mtx_plain) != thrd_success)
        return 3;
    thrd_t t1, t2;
    if (thrd_create(&t1, take_a_then_b, NULL) != thrd_success ||
        thrd_create(&t2, take_b_then_a, NULL) != thrd_success)
        return 3;
    thrd_join(t1, NULL);
    thrd_join(t2, NULL);
    mtx_destroy(&mtx_a);
    mtx_destroy(&mtx_b);
    puts("c11_abba: done (no hang this time)");
    return 0;
}
