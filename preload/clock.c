/* Clock choice and TSC calibration. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "common/trace_format.h"
#include "preload/clock.h"

int clock_use_tsc;
/* 2 ms of spinning gives a rate good to a few parts per million. */
#define CAL_SPAN_NS 2000000u
static uint64_t cal_tsc0, cal_ns0, cal_q32 = 1ull << 32;

/* The TSC is usable only when it ticks at a constant rate in every
 * P/C-state and across CPUs; the kernel says so in /proc/cpuinfo. */
static int tsc_is_invariant(void)
{
#if defined(__x86_64__)
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[8192];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *flags = strstr(buf, "\nflags");
    if (!flags)
        return 0;
    char *eol = strchr(flags + 1, '\n');
    if (eol)
        *eol = 0;
    return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc") &&
           strstr(flags, " rdtscp");
#else
    return 0;
#endif
}

static uint64_t q32_ratio(uint64_t ns, uint64_t ticks)
{
    if (!ticks)
        return 1ull << 32;
    return (uint64_t)(((unsigned __int128)ns << 32) / ticks);
}

unsigned clock_setup(uint64_t *tick_ns_q32)
{
    clock_use_tsc = 0;
    *tick_ns_q32 = 1ull << 32;
    if (!tsc_is_invariant())
        return SWT_CLOCK_MONOTONIC;
    clock_use_tsc = 1;
    cal_ns0 = clock_mono_ns();
    cal_tsc0 = clock_ticks();
    /* 2 ms of spinning gives a rate good to a few parts per million;
     * clock_recalibrate refines it over the whole run at exit. */
    uint64_t ns1, tsc1;
    do {
        ns1 = clock_mono_ns();
        tsc1 = clock_ticks();
    } while (ns1 - cal_ns0 < CAL_SPAN_NS);
    *tick_ns_q32 = cal_q32 = q32_ratio(ns1 - cal_ns0, tsc1 - cal_tsc0);
    return SWT_CLOCK_TSC;
}

unsigned clock_adopt(uint64_t tick_ns_q32, uint64_t *out_q32)
{
    clock_use_tsc = 0;
    *out_q32 = 1ull << 32;
#if defined(__x86_64__)
    if (tick_ns_q32) {
        clock_use_tsc = 1;
        cal_ns0 = clock_mono_ns();
        cal_tsc0 = clock_ticks();
        *out_q32 = cal_q32 = tick_ns_q32;
        return SWT_CLOCK_TSC;
    }
#else
    (void)tick_ns_q32;
#endif
    return SWT_CLOCK_MONOTONIC;
}

unsigned clock_setup_done(uint64_t *tick_ns_q32)
{
    *tick_ns_q32 = clock_use_tsc ? cal_q32 : 1ull << 32;
    return clock_use_tsc ? SWT_CLOCK_TSC : SWT_CLOCK_MONOTONIC;
}

uint64_t clock_recalibrate(void)
{
    if (!clock_use_tsc)
        return 1ull << 32;
    uint64_t ns1 = clock_mono_ns();
    uint64_t tsc1 = clock_ticks();
    /* A run shorter than the calibration would measure worse than it (a
     * calibration inherited through exec, clock_adopt, is at least as
     * long). */
    if (ns1 - cal_ns0 < CAL_SPAN_NS)
        return cal_q32;
    return q32_ratio(ns1 - cal_ns0, tsc1 - cal_tsc0);
}
