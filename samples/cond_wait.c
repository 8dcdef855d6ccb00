/* cond_wait: a correct producer/consumer hand-off through a condvar.
 *
 * The producer puts 100 items into a one-slot mailbox; the consumer takes
 * them out.  Each waits on its condition (slot_free / slot_full) with
 * mailbox_lock held, in a predicate loop, and signals the other after
 * unlocking (so the woken thread does not wake up only to wait for the
 * mutex its waker still holds).
 *
 * The report must show: no findings (waits on condition variables are not
 * lock holds; no misuse); exit code 0. */
#include "sample_util.h"

pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t slot_full = PTHREAD_COND_INITIALIZER;
pthread_cond_t slot_free = PTHREAD_COND_INITIALIZER;
static int slot, has_item;

#define ITEMS 100

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&mailbox_lock);
        while (has_item)
            pthread_cond_wait(&slot_free, &mailbox_lock);
        slot = i;
        has_item = 1;
        pthread_mutex_unlock(&mailbox_lock);
        pthread_cond_signal(&slot_full);
    }
    return NULL;
}

int main(void)
{
    pthread_t p = sample_start(producer, NULL);
    long sum = 0;
    for (int i = 0; i < ITEMS; i++) {
        pthread_mutex_lock(&mailbox_lock);
        while (!has_item)
            pthread_cond_wait(&slot_full, &mailbox_lock);
        sum += slot;
        has_item = 0;
        pthread_mutex_unlock(&mailbox_lock);
        pthread_cond_signal(&slot_free);
    }
    sample_join(p);
    printf("cond_wait: sum %ld\n", sum);
    return sum == (long)ITEMS * (ITEMS + 1) / 2 ? 0 : 3;
}
