/* The interface between the shim (preload/stacks.c) and its private copy of
 * libunwind: libsyncwatch-unwind.so, loaded with dlmopen(LM_ID_NEWLM) so that
 * it, libunwind and a libc of their own live in a link-map namespace of
 * their own (docs/shim.md, "Guarantees: unwinding and the program's
 * descriptors").
 *
 * A namespace of its own shares nothing with the program's libunwind
 * (caches, locks, the memory-validation pipe), and its libunwind's locks are
 * that namespace's libc's, which the shim does not interpose.  What a second
 * libc would otherwise get wrong is routed back to the main namespace by the
 * functions the shim passes in: dl_iterate_phdr there lists only the
 * namespace's own objects (the caller's namespace decides), and its
 * pthread keys would collide with the main libc's in the shared thread
 * descriptor. */
#ifndef SYNCWATCH_PRELOAD_UNWIND_UNWIND_NS_H
#define SYNCWATCH_PRELOAD_UNWIND_UNWIND_NS_H

#include <link.h>
#include <pthread.h>
#include <stdint.h>

#define UNWIND_NS_ABI 1

typedef int (*unwind_ns_phdr_cb)(struct dl_phdr_info *, size_t, void *);

struct unwind_ns_ops {
    /* dl_iterate_phdr called from the main namespace (the shim's code). */
    int (*iterate_main)(unwind_ns_phdr_cb cb, void *data);
    /* The main libc's thread-specific data. */
    int (*key_create)(pthread_key_t *key, void (*destructor)(void *));
    /* The value as a number: glibc declares pthread_setspecific's pointer
     * access(none), and gcc takes passing it on for a read. */
    int (*setspecific)(pthread_key_t key, uintptr_t value);
    void *(*getspecific)(pthread_key_t key);
};

/* Exported by libsyncwatch-unwind.so.  Returns its libunwind's
 * unw_backtrace, or NULL when abi is not UNWIND_NS_ABI. */
typedef int (*unwind_ns_backtrace_fn)(void **buffer, int size);
typedef unwind_ns_backtrace_fn (*unwind_ns_setup_fn)(int abi, const struct unwind_ns_ops *ops);
#define UNWIND_NS_SETUP "syncwatch_unwind_setup"
#define UNWIND_NS_FILE "libsyncwatch-unwind.so"

#endif
