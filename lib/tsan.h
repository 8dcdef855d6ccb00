/* The primitives announced to ThreadSanitizer.  Built with
 * -fsanitize=thread, every lock operation goes through TSan's mutex
 * annotation interface (sanitizer/tsan_interface.h), so TSan sees
 * happens-before through an sw_spin exactly as through a pthread mutex and
 * its deadlock detector sees their lock order; events, semaphores,
 * barriers and once use its acquire/release annotations.  In every other
 * build the macros are empty: zero cost. */
#ifndef SW_LIB_TSAN_H
#define SW_LIB_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define SW_LIB_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SW_LIB_TSAN 1
#endif
#endif

#ifdef SW_LIB_TSAN
#include <sanitizer/tsan_interface.h>
#define TSAN_REENTRANT __tsan_mutex_write_reentrant
#define TSAN_READ_REENTRANT __tsan_mutex_read_reentrant
#define TSAN_READ __tsan_mutex_read_lock
#define TSAN_TRY __tsan_mutex_try_lock
#define TSAN_TRY_FAILED __tsan_mutex_try_lock_failed
#define TSAN_RECURSIVE_LOCK __tsan_mutex_recursive_lock
#define TSAN_RECURSIVE_UNLOCK __tsan_mutex_recursive_unlock
#define tsan_mutex_create(a, f) __tsan_mutex_create((void *)(a), (f))
#define tsan_mutex_destroy(a, f) __tsan_mutex_destroy((void *)(a), (f))
#define tsan_pre_lock(a, f) __tsan_mutex_pre_lock((void *)(a), (f))
#define tsan_post_lock(a, f, r) __tsan_mutex_post_lock((void *)(a), (f), (r))
#define tsan_pre_unlock(a, f) __tsan_mutex_pre_unlock((void *)(a), (f))
#define tsan_post_unlock(a, f) __tsan_mutex_post_unlock((void *)(a), (f))
#define tsan_pre_signal(a, f) __tsan_mutex_pre_signal((void *)(a), (f))
#define tsan_post_signal(a, f) __tsan_mutex_post_signal((void *)(a), (f))
#define tsan_pre_divert(a, f) __tsan_mutex_pre_divert((void *)(a), (f))
#define tsan_post_divert(a, f) __tsan_mutex_post_divert((void *)(a), (f))
#define tsan_release(a) __tsan_release((void *)(a))
#define tsan_acquire(a) __tsan_acquire((void *)(a))
#else
#define TSAN_REENTRANT 0u
#define TSAN_READ_REENTRANT 0u
#define TSAN_READ 0u
#define TSAN_TRY 0u
#define TSAN_TRY_FAILED 0u
#define TSAN_RECURSIVE_LOCK 0u
#define TSAN_RECURSIVE_UNLOCK 0u
#define tsan_mutex_create(a, f) ((void)(f))
#define tsan_mutex_destroy(a, f) ((void)(f))
#define tsan_pre_lock(a, f) ((void)(f))
#define tsan_post_lock(a, f, r) ((void)(f), (void)(r))
#define tsan_pre_unlock(a, f) ((void)(f))
#define tsan_post_unlock(a, f) ((void)(f))
#define tsan_pre_signal(a, f) ((void)(f))
#define tsan_post_signal(a, f) ((void)(f))
#define tsan_pre_divert(a, f) ((void)(f))
#define tsan_post_divert(a, f) ((void)(f))
#define tsan_release(a) ((void)0)
#define tsan_acquire(a) ((void)0)
#endif

#endif
