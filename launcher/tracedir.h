#ifndef SW_LAUNCHER_TRACEDIR_H
#define SW_LAUNCHER_TRACEDIR_H

#include <stdbool.h>

/* True when the open file fd starts with the trace magic. */
bool tracedir_is_trace_fd(int fd);

/* How many regular files in dir are traces (by content); -1 if dir cannot
 * be read. */
int tracedir_count(const char *dir);

#endif
