/* trylock_bank: a real inversion inside a busy lock graph.
 *
 * Four tellers move money between 64 accounts, each with its own mutex,
 * taking the two accounts' mutexes the way std::lock and std::scoped_lock
 * do: lock the first, *try* the second, and on EBUSY release the first and
 * start again from the other one.  That cannot deadlock, but it makes a
 * lock-order edge between almost every pair of accounts.  Meanwhile one
 * thread takes lock_x then lock_y and another lock_y then lock_x (taking
 * turns, so this run never hangs): a real potential deadlock.
 *
 * The report must show: one potential deadlock (a cycle) through lock_x and
 * lock_y with two threads, and no cycle through the accounts (their edges
 * are trylocks, left out of the search, so they can neither be reported nor
 * use up the search budget before lock_x and lock_y are reached); exit
 * code 1.  Contention on the accounts may be reported too. */
#include <sched.h>

#include "sample_util.h"

#define ACCOUNTS 64
#define TELLERS 4
#define TRANSFERS 3000

static pthread_mutex_t accounts[ACCOUNTS];
static long balance[ACCOUNTS];

pthread_mutex_t lock_x = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_y = PTHREAD_MUTEX_INITIALIZER;

/* Both mutexes, without a lock order: lock one, try the other, back off. */
static void lock_both(pthread_mutex_t *a, pthread_mutex_t *b)
{
    for (;;) {
        pthread_mutex_lock(a);
        if (pthread_mutex_trylock(b) == 0)
            return;
        pthread_mutex_unlock(a);
        sched_yield();
        pthread_mutex_t *t = a;
        a = b;
        b = t;
    }
}

static void *teller(void *arg)
{
    unsigned seed = (unsigned)(unsigned long)arg * 2654435761u + 1;
    for (int i = 0; i < TRANSFERS; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned from = (seed >> 16) % ACCOUNTS, to = (seed >> 8) % ACCOUNTS;
        if (from == to)
            continue;
        lock_both(&accounts[from], &accounts[to]);
        balance[from] -= 1;
        balance[to] += 1;
        pthread_mutex_unlock(&accounts[to]);
        pthread_mutex_unlock(&accounts[from]);
    }
    return NULL;
}

static void *take_x_then_y(void *arg)
{
    (void)arg;
    sample_wait_turn(0);
    pthread_mutex_lock(&lock_x);
    pthread_mutex_lock(&lock_y);
    pthread_mutex_unlock(&lock_y);
    pthread_mutex_unlock(&lock_x);
    sample_give_turn(1);
    return NULL;
}

static void *take_y_then_x(void *arg)
{
    (void)arg;
    sample_wait_turn(1);
    pthread_mutex_lock(&lock_y);
    pthread_mutex_lock(&lock_x);
    pthread_mutex_unlock(&lock_x);
    pthread_mutex_unlock(&lock_y);
    return NULL;
}

int main(void)
{
    for (int i = 0; i < ACCOUNTS; i++) {
        sample_check(pthread_mutex_init(&accounts[i], NULL), "pthread_mutex_init");
        balance[i] = 1000;
    }
    pthread_t t[TELLERS];
    for (long i = 0; i < TELLERS; i++)
        t[i] = sample_start(teller, (void *)i);
    pthread_t x = sample_start(take_x_then_y, NULL);
    pthread_t y = sample_start(take_y_then_x, NULL);
    for (int i = 0; i < TELLERS; i++)
        sample_join(t[i]);
    sample_join(x);
    sample_join(y);
    long sum = 0;
    for (int i = 0; i < ACCOUNTS; i++)
        sum += balance[i];
    printf("trylock_bank: done, total %ld\n", sum);
    return sum == ACCOUNTS * 1000L ? 0 : 3;
}
