/* The SYNCWATCH_* environment variables, read once at initialisation.
 * docs/shim.md describes each. */
#ifndef SYNCWATCH_PRELOAD_CONFIG_H
#define SYNCWATCH_PRELOAD_CONFIG_H

#include <stdint.h>

#define CFG_PATH_MAX 1024

struct cfg {
    int disabled;                  /* SYNCWATCH_DISABLE=1 */
    int quiet;                     /* SYNCWATCH_QUIET=1 */
    unsigned mode;                 /* enum swt_mode, SYNCWATCH_MODE */
    unsigned stack_depth;          /* SYNCWATCH_STACK_DEPTH, 0 = no stacks */
    unsigned hold_sample;          /* SYNCWATCH_HOLD_SAMPLE: time 1 in N holds (profile) */
    uint32_t chunk_size;           /* SYNCWATCH_CHUNK_SIZE */
    char output[CFG_PATH_MAX];     /* SYNCWATCH_OUTPUT, or "" for the default */
    char filter[256];              /* SYNCWATCH_FILTER, or "" */
    uint64_t hang_timeout_ns;      /* SYNCWATCH_HANG_TIMEOUT, 0 = no watchdog */
    unsigned on_hang;              /* enum cfg_on_hang, SYNCWATCH_ON_HANG */
    unsigned on_hang_status;       /* N of SYNCWATCH_ON_HANG=exit=N */
};

enum cfg_on_hang { CFG_HANG_REPORT = 0, CFG_HANG_ABORT = 1, CFG_HANG_EXIT = 2 };

#define CFG_DEFAULT_STACK_DEPTH 16u
#define CFG_MAX_STACK_DEPTH 64u
#define CFG_DEFAULT_HOLD_SAMPLE 64u
#define CFG_DEFAULT_HANG_TIMEOUT_NS (5ull * 1000000000ull)

/* Fills c from the environment getenv_fn (getenv in the shim, a fake in
 * tests).  Bad values get one line on stderr each and the default. */
void cfg_load(struct cfg *c, char *(*getenv_fn)(const char *));

/* Unknown SYNCWATCH_* names: one line on stderr for each in env (a
 * "NAME=value" array like environ), naming the closest known name when
 * one is close (SYNCWATCH_OUPUT: did you mean SYNCWATCH_OUTPUT?).
 * SYNCWATCH_QUIET silences them like every other message.  Returns how
 * many there were. */
unsigned cfg_check_names(char *const *env);
/* 1 if the name of entry ("NAME" or "NAME=value") is one the shim reads. */
int cfg_is_known(const char *entry);
/* The known name within two edits of entry's name, or NULL. */
const char *cfg_closest_name(const char *entry);

#endif
