/* Allocation for the analyzer: a batch tool, so running out of memory ends
 * it with a message instead of every caller checking for NULL. */
#ifndef SYNCWATCH_ANALYZER_XALLOC_H
#define SYNCWATCH_ANALYZER_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
