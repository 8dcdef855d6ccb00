/* The hang watchdog (watchdog.c): started once per process, from the
 * constructor and in fork children, never on the lock path. */
#ifndef SYNCWATCH_PRELOAD_WATCHDOG_H
#define SYNCWATCH_PRELOAD_WATCHDOG_H

/* Starts the watchdog thread of this process unless SYNCWATCH_HANG_TIMEOUT
 * is 0, the recorder is off, or it runs already. */
void wd_start(void);

#endif
