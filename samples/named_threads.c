/* named_threads: threads named with pthread_setname_np right after
 * pthread_create (by their creator, the usual pattern), and one that names
 * itself.  Reports name threads by these names instead of T2, T3.
 *
 * "reader" and "writer" take lock_a/lock_b in opposite orders (in turn, so
 * it never hangs; they start only once named, so they are still alive
 * when named); "self-named" names itself and takes nothing.
 *
 * The report must show: one cycle through lock_a and lock_b whose threads
 * are "reader" and "writer"; the thread table has all three names; exit 1. */
#define _GNU_SOURCE /* pthread_setname_np */
#include "sample_util.h"

pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;

static void *take_a_then_b(void *arg)
{
    (void)arg;
    sample_wait_turn(1); /* named by now */
    pthread_mutex_lock(&lock_a);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_unlock(&lock_b);
    pthread_mutex_unlock(&lock_a);
    sample_give_turn(2);
    return NULL;
}

static void *take_b_then_a(void *arg)
{
    (void)arg;
    sample_wait_turn(2);
    pthread_mutex_lock(&lock_b);
    pthread_mutex_lock(&lock_a);
    pthread_mutex_unlock(&lock_a);
    pthread_mutex_unlock(&lock_b);
    sample_give_turn(3);
    return NULL;
}

static void *name_myself(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "self-named");
    sample_wait_turn(3);
    return NULL;
}

int main(void)
{
    pthread_t r = sample_start(take_a_then_b, NULL);
    sample_check(pthread_setname_np(r, "reader"), "pthread_setname_np");
    pthread_t w = sample_start(take_b_then_a, NULL);
    sample_check(pthread_setname_np(w, "writer"), "pthread_setname_np");
    pthread_t s = sample_start(name_myself, NULL);
    sample_give_turn(1); /* both are named: go */
    sample_join(r);
    sample_join(w);
    sample_join(s);
    puts("named_threads: done");
    return 0;
}
