/* One-line messages on stderr from inside the traced program. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "preload/log.h"

static int quiet;

void log_set_quiet(int q) { quiet = q; }

static void vlog(const char *fmt, va_list ap)
{
    char buf[512];
    int saved = errno;
    /* vsnprintf with %s/%d/%u conversions does not allocate in glibc. */
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof buf - 2)
        n = (int)sizeof buf - 2;
    buf[n++] = '\n';
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(2, p, (size_t)n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        n -= (int)w;
    }
    errno = saved;
}

void log_msg(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void log_always(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}
