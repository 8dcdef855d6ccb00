/* syncwatch: the launcher's entry point and its help text.
 *
 *   syncwatch run [OPTIONS] -- PROGRAM [ARGS...]   record, then report
 *   syncwatch status PID                          report on a running process
 */
#include <stdio.h>
#include <string.h>

#include "launcher/launcher.h"

#ifndef SW_VERSION
#define SW_VERSION "unknown"
#endif

const char launcher_help[] =
    "Usage: syncwatch run [OPTIONS] [--] PROGRAM [ARGS...]\n"
    "       syncwatch status [--] PID [REPORT OPTIONS]\n"
    "       syncwatch --help | --version\n"
    "\n"
    "Finds deadlocks, hangs, lock misuse and contention in a program without\n"
    "recompiling it.\n"
    "\n"
    "syncwatch run runs PROGRAM with the syncwatch shim preloaded, its traces in a\n"
    "fresh directory, then prints the report of syncwatch-report on them.\n"
    "SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to syncwatch are passed to PROGRAM,\n"
    "and the report is printed however PROGRAM ended (exit, signal, kill, timeout).\n"
    "\n"
    "Options of run:\n"
    "  --mode MODE             recorder mode: trace (every event, the default) or\n"
    "                          profile (counters and lock-order edges only)\n"
    "  --output DIR            directory for the traces (made if missing, mode 0700;\n"
    "                          it must hold no traces yet); default: a new\n"
    "                          ./syncwatch-run.XXXXXX\n"
    "  --timeout DURATION      stop PROGRAM if it runs longer (SIGTERM, then SIGKILL\n"
    "                          after --kill-after) and report it as hung; DURATION\n"
    "                          is a number with a unit: 500ms, 30s, 10m, 1h (a bare\n"
    "                          number is seconds)\n"
    "  --kill-after DURATION   grace period between SIGTERM and SIGKILL (default 5s)\n"
    "  --error-exitcode N      exit with N (1-255) when the report has findings of\n"
    "                          the --fail-on kinds, when PROGRAM was stopped by\n"
    "                          --timeout, or when the report could not be made;\n"
    "                          like Valgrind's option of that name\n"
    "  --fail-on KINDS         passed to syncwatch-report: the finding kinds that\n"
    "                          count (see syncwatch-report --help)\n"
    "  --report-arg ARG        pass ARG to syncwatch-report (repeatable), e.g.\n"
    "                          --report-arg=--format=json --report-arg=-o\n"
    "                          --report-arg=report.json\n"
    "  --no-report             record only; print where the traces are\n"
    "\n"
    "Exit status of run: the --error-exitcode N when it applies; otherwise PROGRAM's\n"
    "own status (128+S when signal S ended it); 2 for a usage error or when\n"
    "PROGRAM could not be started (127 when it was not found, 126 when it could\n"
    "not be executed).\n"
    "\n"
    "syncwatch status PID prints the current state of a running process traced by\n"
    "syncwatch (who holds which lock, who waits for what, any deadlock among them),\n"
    "without stopping it: it finds the process's trace among its open files and\n"
    "runs syncwatch-report on it with the REPORT OPTIONS.  Needs the right to read\n"
    "/proc/PID/fd (the same user, or root).  Exit status: that of syncwatch-report,\n"
    "or 2 when PID has no trace.\n"
    "\n"
    "Environment: run sets SYNCWATCH_OUTPUT, LD_PRELOAD (the shim first) and, with\n"
    "--mode, SYNCWATCH_MODE for PROGRAM; the shim reads these variables of the\n"
    "traced program (docs/shim.md has every detail):\n"
    "  SYNCWATCH_OUTPUT        trace file, or DIR/ (default ./syncwatch.PID.swt)\n"
    "  SYNCWATCH_MODE          trace (default) or profile\n"
    "  SYNCWATCH_HANG_TIMEOUT  hang watchdog: report threads blocked this long in a\n"
    "                          lock cycle, or all blocked (default 5s; 0 = off)\n"
    "  SYNCWATCH_ON_HANG       after that report: report (default), abort, exit=N\n"
    "  SYNCWATCH_STACK_DEPTH   frames per stack, 0-64 (default 16)\n"
    "  SYNCWATCH_HOLD_SAMPLE   profile mode: time 1 hold in N (default 64)\n"
    "  SYNCWATCH_CHUNK_SIZE    bytes per trace chunk (default 65536)\n"
    "  SYNCWATCH_FILTER        trace only the executable of this basename\n"
    "  SYNCWATCH_DISABLE       1: the shim only forwards, writes nothing\n"
    "  SYNCWATCH_QUIET         1: no messages from the shim\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(launcher_help, stderr);
        return SW_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        fputs(launcher_help, stdout);
        return fflush(stdout) == 0 ? 0 : SW_EXIT_USAGE;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("syncwatch %s\n", SW_VERSION);
        return fflush(stdout) == 0 ? 0 : SW_EXIT_USAGE;
    }
    if (strcmp(cmd, "run") == 0)
        return launcher_run(argc - 1, argv + 1);
    if (strcmp(cmd, "status") == 0)
        return launcher_status(argc - 1, argv + 1);
    launcher_say("unknown command '%s' (run, status; syncwatch --help tells more)", cmd);
    return SW_EXIT_USAGE;
}
