/* What the condition variable needs from sw_mutex: give the mutex up
 * entirely for the wait and take it back with its recursion depth, the
 * thread's held stack unchanged (it still holds the mutex, logically). */
#ifndef SW_LIB_MUTEX_H
#define SW_LIB_MUTEX_H

#include "syncwatch/sync.h"

int mutex_held_by_self(const sw_mutex_t *m);
unsigned mutex_release_for_wait(sw_mutex_t *m);
void mutex_reacquire_after_wait(sw_mutex_t *m, unsigned depth);

#endif
