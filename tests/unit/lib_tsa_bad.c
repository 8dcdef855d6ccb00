/* Breaks the lock discipline its annotations declare: clang
 * -Wthread-safety must warn on every line marked EXPECT-WARNING and on no
 * other (test_lib_tsa.sh). */
#include "syncwatch/sync.h"

static sw_mutex_t cache_lock = SW_MUTEX_INITIALIZER("cache_lock");
static int cache_hits SW_GUARDED_BY(&cache_lock);
static sw_rwlock_t table_lock = SW_RWLOCK_INITIALIZER("table_lock");
static int table_size SW_GUARDED_BY(&table_lock);

static void bump_locked(void) SW_REQUIRES(&cache_lock)
{
    cache_hits++;
}

void unguarded_write(void)
{
    cache_hits++; /* EXPECT-WARNING */
}

void call_without_lock(void)
{
    bump_locked(); /* EXPECT-WARNING */
}

void forgets_to_unlock(void)
{
    sw_mutex_lock(&cache_lock);
    cache_hits++;
} /* EXPECT-WARNING */

void unlocks_twice(void)
{
    sw_mutex_lock(&cache_lock);
    sw_mutex_unlock(&cache_lock);
    sw_mutex_unlock(&cache_lock); /* EXPECT-WARNING */
}

void writes_under_read_lock(void)
{
    sw_rwlock_rdlock(&table_lock);
    table_size++; /* EXPECT-WARNING */
    sw_rwlock_unlock(&table_lock);
}

void trylock_unchecked(void)
{
    sw_mutex_trylock(&cache_lock);
    cache_hits++;                 /* EXPECT-WARNING */
    sw_mutex_unlock(&cache_lock); /* EXPECT-WARNING */
}
