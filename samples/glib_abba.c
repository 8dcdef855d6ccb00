/* glib_abba: ABBA with GLib's GMutex, which is futex-based on Linux (no
 * pthread call underneath).
 *
 * Two GLib threads take gmutex_a/gmutex_b in opposite orders, taking turns
 * (sample_util.h), so nothing hangs.  Around that, clean GLib use that must
 * add no finding: a producer/consumer on a GCond with its GMutex, a
 * GRecMutex taken twice by its owner and a GRWLock read-locked twice
 * (GLib builds those two on pthread objects, which the shim sees once).
 *
 * The report must show one cycle, gmutex_a and gmutex_b, two threads;
 * exit code 1. */
#include <glib.h>

#include "sample_util.h"

GMutex gmutex_a, gmutex_b; /* static GMutexes need no g_mutex_init */
GMutex queue_lock;
GCond queue_cond;
GRecMutex rec_lock;
GRWLock table_lock;
static int queued;

static gpointer a_then_b(gpointer arg)
{
    (void)arg;
    g_mutex_lock(&gmutex_a);
    g_mutex_lock(&gmutex_b);
    g_mutex_unlock(&gmutex_b);
    g_mutex_unlock(&gmutex_a);
    sample_give_turn(1);
    return NULL;
}

static gpointer b_then_a(gpointer arg)
{
    (void)arg;
    sample_wait_turn(1);
    g_mutex_lock(&gmutex_b);
    g_mutex_lock(&gmutex_a);
    g_mutex_unlock(&gmutex_a);
    g_mutex_unlock(&gmutex_b);
    return NULL;
}

static gpointer producer(gpointer arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        g_mutex_lock(&queue_lock);
        queued++;
        g_cond_signal(&queue_cond);
        g_mutex_unlock(&queue_lock);
    }
    return NULL;
}

int main(void)
{
    g_rec_mutex_init(&rec_lock);
    g_rw_lock_init(&table_lock);
    g_cond_init(&queue_cond);

    GThread *p = g_thread_new("producer", producer, NULL);
    int taken = 0;
    g_mutex_lock(&queue_lock);
    while (taken < 100) {
        while (queued == 0)
            g_cond_wait(&queue_cond, &queue_lock);
        taken += queued;
        queued = 0;
    }
    g_mutex_unlock(&queue_lock);
    g_thread_join(p);

    g_rec_mutex_lock(&rec_lock);
    g_rec_mutex_lock(&rec_lock);
    g_rec_mutex_unlock(&rec_lock);
    g_rec_mutex_unlock(&rec_lock);
    g_rw_lock_reader_lock(&table_lock);
    g_rw_lock_reader_lock(&table_lock);
    g_rw_lock_reader_unlock(&table_lock);
    g_rw_lock_reader_unlock(&table_lock);

    GThread *t1 = g_thread_new("a_then_b", a_then_b, NULL);
    GThread *t2 = g_thread_new("b_then_a", b_then_a, NULL);
    g_thread_join(t1);
    g_thread_join(t2);

    g_cond_clear(&queue_cond);
    g_rw_lock_clear(&table_lock);
    g_rec_mutex_clear(&rec_lock);
    printf("glib_abba: done (%d items)\n", taken);
    return taken == 100 ? 0 : 3;
}
