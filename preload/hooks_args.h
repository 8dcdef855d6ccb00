/* The argument checks glibc 2.36 makes before it would block, shared by the
 * hook files that acquire "trylock first, then the real blocking call".
 *
 * The timed and clock variants of rwlocks, semaphores and condvars reject a
 * bad timeout with EINVAL even when the object is free (checked on this
 * machine, see docs/hooks.md).  A hook that tried the trylock first would
 * succeed where the program expects EINVAL, so when these checks fail the
 * hook forwards the call unchanged and lets glibc give its answer. */
#ifndef SYNCWATCH_PRELOAD_HOOKS_ARGS_H
#define SYNCWATCH_PRELOAD_HOOKS_ARGS_H

#include <stddef.h>
#include <time.h>

/* abstime is a valid absolute timeout (NULL is left to glibc: no check). */
static inline int hooks_abstime_ok(const struct timespec *abstime)
{
    return abstime == NULL || (abstime->tv_nsec >= 0 && abstime->tv_nsec < 1000000000L);
}

/* The clocks glibc's futex waits accept. */
static inline int hooks_clock_ok(clockid_t clock)
{
    return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC;
}

#endif
