#ifndef SW_LAUNCHER_H
#define SW_LAUNCHER_H

/* `syncwatch`: the command users type.  main.c dispatches, run.c runs a
 * program under the shim and reports, status.c reports on a running
 * process, paths.c finds the shim and the analyzer next to the launcher. */

#define SW_EXIT_USAGE 2

/* The launcher's help text, printed by --help (and turned into the man page,
 * so the two cannot drift). */
extern const char launcher_help[];

int launcher_run(int argc, char **argv);
int launcher_status(int argc, char **argv);

/* Absolute paths of the shim and of syncwatch-report, found relative to the
 * launcher's own executable (build tree first, then the installed layout).
 * NULL, with a message on stderr, when it is not there. */
const char *launcher_shim_path(void);
const char *launcher_report_path(void);

/* Prints "syncwatch: " + the message to stderr. */
void launcher_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
