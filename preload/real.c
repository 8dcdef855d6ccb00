/* Resolution of the real functions behind the interposed names. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>

#include "preload/log.h"
#include "preload/real.h"

void *real_resolve(const char *name, const char *version_or_NULL)
{
    void *fn = version_or_NULL ? dlvsym(RTLD_NEXT, name, version_or_NULL)
                               : dlsym(RTLD_NEXT, name);
    if (!fn) {
        /* Without the original the hook cannot do what the program asked;
         * carrying on would return a made-up result. */
        log_always("syncwatch: cannot find the real %s%s%s; aborting", name,
                   version_or_NULL ? "@" : "", version_or_NULL ? version_or_NULL : "");
        abort();
    }
    return fn;
}
