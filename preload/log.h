/* The shim's only way to speak: one line on stderr through a fixed buffer
 * and write(2), so it is safe anywhere (no malloc, no stdio lock). */
#ifndef SYNCWATCH_PRELOAD_LOG_H
#define SYNCWATCH_PRELOAD_LOG_H

/* Writes "fmt\n" unless SYNCWATCH_QUIET is set.  Lines longer than the
 * buffer (512 bytes) are cut. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, even when quiet (fatal conditions). */
void log_always(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Set once by the configuration. */
void log_set_quiet(int quiet);

#endif
