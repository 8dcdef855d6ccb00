/* The recorder's clock: rdtscp when the TSC is invariant (19 ns, ordered
 * across CPUs, architecture.md fact 14), else CLOCK_MONOTONIC (24 ns). */
#ifndef SYNCWATCH_PRELOAD_CLOCK_H
#define SYNCWATCH_PRELOAD_CLOCK_H

#include <stdint.h>
#include <time.h>

extern int clock_use_tsc;

/* Chooses the clock and calibrates the TSC against CLOCK_MONOTONIC.
 * Returns enum swt_clock; *tick_ns_q32 gets ns per tick in 32.32. */
unsigned clock_setup(uint64_t *tick_ns_q32);
/* The choice and calibration of a traced ancestor image (passed through
 * exec, rec_exec.c): tick_ns_q32 of its TSC, or 0 for CLOCK_MONOTONIC.
 * Spares every exec'ed process the 2 ms calibration spin.  Returns like
 * clock_setup. */
unsigned clock_adopt(uint64_t tick_ns_q32, uint64_t *out_q32);
/* The choice clock_setup made, without measuring again. */
unsigned clock_setup_done(uint64_t *tick_ns_q32);
/* Recalibrates over the time since clock_setup (more precise at exit). */
uint64_t clock_recalibrate(void);

static inline uint64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t clock_ticks(void)
{
#if defined(__x86_64__)
    if (__builtin_expect(clock_use_tsc, 1)) {
        uint32_t lo, hi, aux;
        __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
        return ((uint64_t)hi << 32) | lo;
    }
#endif
    return clock_mono_ns();
}

/* A stamp taken just before a call that releases (unlock, post, the
 * unlock inside a condvar wait): plain rdtsc, half the cost of rdtscp.  No
 * fence is needed on this side: rdtsc reads the counter when it executes,
 * which is before it retires, and the releasing store that comes after it
 * in program order becomes visible to other CPUs only after it retires
 * itself (x86 retires in order and commits stores after retirement), so
 * the stamp always precedes the hand-off.  The acquiring side needs the
 * fence (clock_ticks): without it the read may execute before the lock's
 * atomic completes.  Measured on this VM (2 threads handing a mutex over
 * ~6 M times): plain rdtsc on both sides stamped ~7,000 acquisitions
 * before the previous release; rdtscp or lfence;rdtsc on the acquire with
 * plain rdtsc on the release, none. */
static inline uint64_t clock_ticks_release(void)
{
#if defined(__x86_64__)
    if (__builtin_expect(clock_use_tsc, 1)) {
        uint32_t lo, hi;
        __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t)hi << 32) | lo;
    }
#endif
    return clock_mono_ns();
}

#endif
