/* The trace file of this process: creation, the header mapping and chunk
 * allocation.  Chunks are numbered by an atomic increment of
 * header.chunks_allocated, backed by fallocate (so a full disk is an error
 * here, not a SIGBUS later) and mapped MAP_SHARED, so every committed byte
 * survives a kill (architecture.md fact 12). */
#ifndef SYNCWATCH_PRELOAD_TRACE_FILE_H
#define SYNCWATCH_PRELOAD_TRACE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/trace_format.h"

/* Creates a new file at path, mode 0600, and maps its header region,
 * zeroed except for magic, versions, header_size and chunk_size; the caller
 * fills the rest.  Exclusive creation: an existing name (a file, a
 * symlink) is never opened, truncated or followed; the file is then
 * PATH.1, PATH.2, ... (tf_path_used says which).  A missing directory
 * (the last component of its name only) is created 0700.  Returns the
 * header, or NULL with errno set. */
struct swt_file_header *tf_create(const char *path, uint32_t chunk_size);
/* The name of the file tf_create made. */
const char *tf_path_used(void);
struct swt_file_header *tf_header(void);
uint32_t tf_chunk_size(void);

/* A new chunk of the given kind, mapped and zeroed, with its header set up
 * (magic stored last).  NULL if the file cannot grow (errno set). */
void *tf_chunk_new(unsigned kind, uint32_t thread, uint32_t seq, uint32_t tid,
                   uint64_t base_ticks);
/* Unmaps a chunk this process no longer writes (the data stays in the file). */
void tf_chunk_unmap(void *chunk);

/* In a fork child: drops the parent's file (without touching it) so that
 * tf_create can start the child's own. */
void tf_forget(void);

/* Expands the SYNCWATCH_OUTPUT rules into out: "" means
 * ./syncwatch.<pid>.swt; a directory (existing, or ending in '/') means
 * DIR/syncwatch.<pid>.swt; "%p" is replaced by pid; otherwise the name as
 * given, with ".<pid>" appended when descendant != 0 (a fork or exec child
 * must not overwrite its parent's file).  Image exec_gen > 0 of a pid (it
 * replaced an earlier traced image by exec) gets ".exec<gen>": before the
 * ".swt" of the pid-named files (syncwatch.<pid>.exec1.swt), at the end of
 * other names.  Returns 0, or -1 if it does not fit. */
int tf_expand_path(const char *spec, int pid, int descendant, unsigned exec_gen, char *out,
                   size_t outlen);

#endif
