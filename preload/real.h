/* The real functions behind the interposed names, and the one macro that
 * exports an interposed name from the otherwise hidden shim.
 *
 * Every hook keeps its saved original in a static `real_<name>` pointer and
 * loads it with REAL(); the first call resolves it with dlsym/dlvsym
 * (RTLD_NEXT).  On glibc 2.36 dlsym takes no interposed lock and does not
 * allocate (architecture.md fact 2), so resolving from inside a hook is safe, and a
 * racing second resolution stores the same value. */
#ifndef SYNCWATCH_PRELOAD_REAL_H
#define SYNCWATCH_PRELOAD_REAL_H

/* Marks a definition as one of the names the shim interposes.  The library
 * is built with -fvisibility=hidden, so only these are exported. */
#define SW_HOOK __attribute__((visibility("default")))

/* The next definition of name after the shim: dlvsym(RTLD_NEXT, name,
 * version) when version is non-NULL (pthread_cond_* need "GLIBC_2.3.2",
 * architecture.md fact 1), else dlsym(RTLD_NEXT, name).  Never returns NULL: a
 * missing libc function is reported on stderr and the process aborts,
 * because the hook could not do what the program asked. */
void *real_resolve(const char *name, const char *version_or_NULL);

/* Loads the saved original in var (a static function pointer), resolving
 * it on first use. */
#define REAL_V(var, name, version)                                                  \
    ({                                                                              \
        __typeof__(var) real_fn_ = __atomic_load_n(&(var), __ATOMIC_RELAXED);      \
        if (__builtin_expect(real_fn_ == NULL, 0)) {                                \
            real_fn_ = (__typeof__(var))real_resolve((name), (version));            \
            __atomic_store_n(&(var), real_fn_, __ATOMIC_RELAXED);                   \
        }                                                                           \
        real_fn_;                                                                   \
    })
#define REAL(var, name) REAL_V(var, name, NULL)

#endif
