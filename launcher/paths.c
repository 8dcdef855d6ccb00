/* Where the shim and the analyzer are: next to the launcher's own
 * executable, never at a path baked in at build time, so that a build tree
 * and an installed prefix (moved or not) both work. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/launcher.h"

/* Relative to the directory of the installed launcher (bin/); set by CMake
 * from the install directories. */
#ifndef SW_INSTALL_REL_SHIM
#define SW_INSTALL_REL_SHIM "../lib/libsyncwatch.so"
#endif

void launcher_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("syncwatch: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static const char *exe_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    ssize_t n = readlink("/proc/self/exe", dir, sizeof dir - 1);
    if (n <= 0) {
        snprintf(dir, sizeof dir, ".");
        return dir;
    }
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir)
        *slash = '\0';
    else if (slash)
        slash[1] = '\0';
    return dir;
}

/* The first candidate (relative to the launcher's directory) that exists,
 * made absolute and free of "..", or NULL. */
static const char *first_existing(char *out, size_t len, const char *const *rel, size_t n,
                                  int want_exec)
{
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", exe_dir(), rel[i]);
        if (access(path, want_exec ? X_OK : R_OK) != 0)
            continue;
        if (!realpath(path, out))
            snprintf(out, len, "%s", path);
        return out;
    }
    return NULL;
}

const char *launcher_shim_path(void)
{
    static char path[PATH_MAX];
    static const char *const rel[] = {"preload/libsyncwatch.so", SW_INSTALL_REL_SHIM};
    if (path[0] || first_existing(path, sizeof path, rel, 2, 0))
        return path;
    launcher_say("the shim libsyncwatch.so is not next to the launcher (looked in %s/%s and "
                 "%s/%s); build or install the project first",
                 exe_dir(), rel[0], exe_dir(), rel[1]);
    return NULL;
}

const char *launcher_report_path(void)
{
    static char path[PATH_MAX];
    static const char *const rel[] = {"analyzer/syncwatch-report", "syncwatch-report"};
    if (path[0] || first_existing(path, sizeof path, rel, 2, 1))
        return path;
    launcher_say("syncwatch-report is not next to the launcher (looked in %s/%s and %s/%s)",
                 exe_dir(), rel[0], exe_dir(), rel[1]);
    return NULL;
}
