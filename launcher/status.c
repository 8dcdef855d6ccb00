/* syncwatch status PID: the report on a running process's trace, taken
 * while it runs (like jstack, for locks).  The shim keeps its trace open
 * (MAP_SHARED, on a high descriptor), so the trace is found among the
 * process's open files by its content; syncwatch-report reads the live
 * per-thread blocks (who holds what, who waits for what) from it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launcher/launcher.h"
#include "common/trace_files.h"

/* The path of the trace open as /proc/PID/fd/NAME into out: the file's own
 * name when it still names the same file, else the /proc path itself. */
static int trace_of_fd(const char *fddir, const char *name, char *out, size_t len)
{
    char proc_path[PATH_MAX];
    snprintf(proc_path, sizeof proc_path, "%s/%s", fddir, name);
    struct stat st;
    /* stat follows the magic link: only regular files are opened, never a
     * device or a FIFO, whose open could block or have side effects. */
    if (stat(proc_path, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    int fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return 0;
    int is_trace = swt_fd_is_trace(fd);
    close(fd);
    if (!is_trace)
        return 0;
    char target[PATH_MAX];
    ssize_t n = readlink(proc_path, target, sizeof target - 1);
    struct stat tst;
    if (n > 0) {
        target[n] = '\0';
        if (target[0] == '/' && stat(target, &tst) == 0 && tst.st_dev == st.st_dev &&
            tst.st_ino == st.st_ino) {
            snprintf(out, len, "%s", target);
            return 1;
        }
    }
    snprintf(out, len, "%s", proc_path);
    return 1;
}

int launcher_status(int argc, char **argv)
{
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        launcher_say("status wants a process id: syncwatch status PID");
        return SW_EXIT_USAGE;
    }
    const char *pid = argv[i++];
    char *end;
    errno = 0;
    long v = strtol(pid, &end, 10);
    if (errno || end == pid || *end || v <= 0 || v > INT32_MAX) {
        launcher_say("status wants a process id, not '%s'", pid);
        return SW_EXIT_USAGE;
    }
    char fddir[64];
    snprintf(fddir, sizeof fddir, "/proc/%ld/fd", v);
    DIR *d = opendir(fddir);
    if (!d) {
        if (errno == ENOENT)
            launcher_say("no process %ld", v);
        else
            launcher_say("cannot read %s: %s (run as the process's user, or root)", fddir,
                         strerror(errno));
        return SW_EXIT_USAGE;
    }
    char trace[PATH_MAX] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (trace_of_fd(fddir, e->d_name, trace, sizeof trace))
            break;
    }
    closedir(d);
    if (!trace[0]) {
        launcher_say("process %ld has no syncwatch trace open: it does not run under the "
                     "shim (LD_PRELOAD, syncwatch run), or SYNCWATCH_DISABLE or "
                     "SYNCWATCH_FILTER kept it out",
                     v);
        return SW_EXIT_USAGE;
    }
    const char *bin = launcher_report_path();
    if (!bin)
        return SW_EXIT_USAGE;
    char **rargv = calloc((size_t)argc + 2, sizeof *rargv);
    if (!rargv)
        return SW_EXIT_USAGE;
    int n = 0;
    rargv[n++] = (char *)bin;
    while (i < argc)
        rargv[n++] = argv[i++];
    rargv[n++] = trace;
    rargv[n] = NULL;
    fprintf(stderr, "syncwatch: process %ld, trace %s\n", v, trace);
    fflush(stderr);
    execv(bin, rargv);
    launcher_say("cannot run %s: %s", bin, strerror(errno));
    return SW_EXIT_USAGE;
}
