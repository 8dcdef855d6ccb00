#ifndef SW_COMMON_TRACE_FILES_H
#define SW_COMMON_TRACE_FILES_H

#include <stdbool.h>

/* Trace files are recognised by their content (the magic at offset 0),
 * never by their names: SYNCWATCH_OUTPUT may name them anything. */

/* True when the open file fd starts with the trace magic. */
bool swt_fd_is_trace(int fd);

/* True when name, in the directory open as dfd, is a regular file (not
 * followed through a link, never blocking on a FIFO) that is a trace. */
bool swt_dirent_is_trace(int dfd, const char *name);

/* How many regular files in dir are traces; -1 if dir cannot be read. */
int swt_dir_count_traces(const char *dir);

#endif
