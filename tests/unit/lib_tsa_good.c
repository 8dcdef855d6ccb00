/* Follows the lock discipline its annotations declare: clang
 * -Wthread-safety must say nothing (test_lib_tsa.sh). */
#include "syncwatch/sync.h"

static sw_mutex_t cache_lock = SW_MUTEX_INITIALIZER("cache_lock");
static int cache_hits SW_GUARDED_BY(&cache_lock);
static sw_rwlock_t table_lock = SW_RWLOCK_INITIALIZER("table_lock");
static int table_size SW_GUARDED_BY(&table_lock);
static sw_spin_t stats_lock = SW_SPIN_INITIALIZER("stats_lock");
static long stats SW_GUARDED_BY(&stats_lock);

static void bump_locked(void) SW_REQUIRES(&cache_lock)
{
    cache_hits++;
}

int hit(void)
{
    sw_mutex_lock(&cache_lock);
    bump_locked();
    int n = cache_hits;
    sw_mutex_unlock(&cache_lock);
    return n;
}

int try_hit(void)
{
    if (sw_mutex_trylock(&cache_lock) != 0)
        return -1;
    cache_hits++;
    sw_mutex_unlock(&cache_lock);
    return 0;
}

int size(void)
{
    sw_rwlock_rdlock(&table_lock);
    int n = table_size;
    sw_rwlock_unlock(&table_lock);
    return n;
}

void grow(void)
{
    sw_rwlock_wrlock(&table_lock);
    table_size++;
    sw_rwlock_unlock(&table_lock);
}

void count(void)
{
    sw_spin_lock(&stats_lock);
    stats++;
    sw_spin_unlock(&stats_lock);
}
