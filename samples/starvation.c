/* starvation: one thread hogs a lock, another barely gets it.
 *
 * The hog takes starved_lock 300 times, holds it 1 ms each time and takes it
 * again right after releasing it.  glibc mutexes are not fair: the woken
 * waiter usually loses the race against the hog, which is still running.
 * The victim asks for the lock once the hog has it and waits for a long
 * time while the hog re-acquires it again and again (barging).
 *
 * The report must show: starvation on starved_lock (the victim waited far
 * longer than the threshold while the hog acquired it many times; the
 * hog's run of re-acquisitions); exit code 1. */
#include "sample_util.h"

pthread_mutex_t starved_lock = PTHREAD_MUTEX_INITIALIZER;

static void *hog(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        pthread_mutex_lock(&starved_lock);
        if (i == 0)
            sample_give_turn(1); /* the victim may start asking now */
        sample_sleep_us(1000);
        pthread_mutex_unlock(&starved_lock);
    }
    return NULL;
}

static void *victim(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&starved_lock);
        pthread_mutex_unlock(&starved_lock);
    }
    return NULL;
}

int main(void)
{
    pthread_t h = sample_start(hog, NULL);
    pthread_t v = sample_start(victim, NULL);
    sample_join(h);
    sample_join(v);
    puts("starvation: done");
    return 0;
}
