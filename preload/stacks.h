/* Call stacks: capture with a private copy of libunwind (dlmopen'ed into a
 * namespace of its own, preload/unwind/unwind_ns.h; never linked:
 * architecture.md fact 7) and a process-wide table that gives each distinct stack
 * one id, so a STACK record is written once per stack. */
#ifndef SYNCWATCH_PRELOAD_STACKS_H
#define SYNCWATCH_PRELOAD_STACKS_H

#include <stdint.h>

#define STACKS_MAX_DEPTH 64u

/* Loads the private libunwind.  Returns 0, or -1 (stacks are then off; message logged). */
int stacks_setup(unsigned depth);
/* Captures up to depth frames, innermost first, starting at the frame whose
 * return address is ret (the hook's caller) when it is among the first
 * search frames (the recorder's own; each one searched is one more frame
 * unwound), and ending at a signal frame (glibc's signal trampoline is the
 * last frame of a handler's stack).  Returns the number of frames (0 if
 * stacks are off). */
#define STACKS_MAX_SEARCH 16u
unsigned stacks_unwind(uintptr_t *ips, unsigned depth, const void *ret, unsigned search);
/* The id of this stack (ids start at 1).  *fresh: the caller must write
 * the STACK record (first sight in this trace epoch).  0 if the table is
 * full. */
uint32_t stacks_intern(const uintptr_t *ips, unsigned n, int *fresh);

/* Fork handling of the table's spinlock, and a new trace in the child. */
void stacks_fork_prepare(void);
void stacks_fork_parent(void);
void stacks_fork_child(void);

#endif
