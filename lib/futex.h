/* Futex waits and wakes for the primitives (process-private futexes: the
 * objects live in one process's memory), with absolute CLOCK_MONOTONIC
 * deadlines so that a wait that wakes early keeps its original timeout. */
#ifndef SW_LIB_FUTEX_H
#define SW_LIB_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *addr == val, until woken or the deadline (NULL: none).
 * Returns 0 when woken (or spuriously), -ETIMEDOUT at the deadline, and
 * -EAGAIN when *addr already differed. */
static inline int futex_wait(uint32_t *addr, uint32_t val, const struct timespec *deadline)
{
    long rc = syscall(SYS_futex, addr, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val, deadline,
                      NULL, FUTEX_BITSET_MATCH_ANY);
    if (rc == 0)
        return 0;
    if (errno == ETIMEDOUT)
        return -ETIMEDOUT;
    return errno == EAGAIN ? -EAGAIN : 0;
}

static inline void futex_wake(uint32_t *addr, int n)
{
    syscall(SYS_futex, addr, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, NULL, NULL, 0);
}

/* now + timeout_ns on CLOCK_MONOTONIC (the clock FUTEX_WAIT_BITSET uses). */
static inline struct timespec futex_deadline(uint64_t timeout_ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    uint64_t ns = (uint64_t)t.tv_nsec + timeout_ns % 1000000000u;
    t.tv_sec += (time_t)(timeout_ns / 1000000000u + ns / 1000000000u);
    t.tv_nsec = (long)(ns % 1000000000u);
    return t;
}

#endif
