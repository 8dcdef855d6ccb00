/* Clang thread-safety annotations for the syncwatch primitives (and for the
 * programs that use them): with clang -Wthread-safety the compiler checks
 * that data marked SW_GUARDED_BY(m) is touched only with m held and that
 * every SW_ACQUIRE is matched by a SW_RELEASE.  On compilers without the
 * attributes every macro is empty, so the headers cost nothing there. */
#ifndef SYNCWATCH_ANNOTATIONS_H
#define SYNCWATCH_ANNOTATIONS_H

#if defined(__clang__) && defined(__has_attribute)
#if __has_attribute(capability)
#define SW_TSA(x) __attribute__((x))
#endif
#endif
#ifndef SW_TSA
#define SW_TSA(x)
#endif

#define SW_CAPABILITY(kind) SW_TSA(capability(kind))
#define SW_SCOPED_CAPABILITY SW_TSA(scoped_lockable)
#define SW_GUARDED_BY(m) SW_TSA(guarded_by(m))
#define SW_PT_GUARDED_BY(m) SW_TSA(pt_guarded_by(m))
#define SW_ACQUIRED_BEFORE(...) SW_TSA(acquired_before(__VA_ARGS__))
#define SW_ACQUIRED_AFTER(...) SW_TSA(acquired_after(__VA_ARGS__))
#define SW_REQUIRES(...) SW_TSA(requires_capability(__VA_ARGS__))
#define SW_REQUIRES_SHARED(...) SW_TSA(requires_shared_capability(__VA_ARGS__))
#define SW_ACQUIRE(...) SW_TSA(acquire_capability(__VA_ARGS__))
#define SW_ACQUIRE_SHARED(...) SW_TSA(acquire_shared_capability(__VA_ARGS__))
#define SW_RELEASE(...) SW_TSA(release_capability(__VA_ARGS__))
#define SW_RELEASE_SHARED(...) SW_TSA(release_shared_capability(__VA_ARGS__))
#define SW_RELEASE_GENERIC(...) SW_TSA(release_generic_capability(__VA_ARGS__))
#define SW_TRY_ACQUIRE(...) SW_TSA(try_acquire_capability(__VA_ARGS__))
#define SW_TRY_ACQUIRE_SHARED(...) SW_TSA(try_acquire_shared_capability(__VA_ARGS__))
#define SW_EXCLUDES(...) SW_TSA(locks_excluded(__VA_ARGS__))
#define SW_ASSERT_CAPABILITY(x) SW_TSA(assert_capability(x))
#define SW_RETURN_CAPABILITY(x) SW_TSA(lock_returned(x))
#define SW_NO_THREAD_SAFETY_ANALYSIS SW_TSA(no_thread_safety_analysis)

#endif
