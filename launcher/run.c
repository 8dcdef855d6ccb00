/* syncwatch run: runs a program under the shim, passes on the signals the
 * launcher is sent, stops the program at --timeout, then reports on its
 * traces however it ended.
 *
 * The launcher stays in the program's process group, so a Ctrl-C typed at
 * the terminal reaches the program directly; the launcher then only waits.
 * Signals sent to the launcher alone by another process (kill, a CI runner)
 * are passed on.  All of them are received synchronously with sigtimedwait,
 * so there is no handler and no race with the child's exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/duration.h"
#include "launcher/launcher.h"
#include "common/trace_files.h"

#define DEFAULT_KILL_AFTER_NS (5ull * 1000000000ull)

struct run_opts {
    const char *mode;
    const char *out;
    const char *fail_on;
    uint64_t timeout_ns;
    uint64_t kill_after_ns;
    int error_exitcode; /* -1: not given */
    int no_report;
    char **report_args;
    int nreport;
};

/* How the program ended, and what the launcher did to it. */
struct outcome {
    int status;       /* exit status, or 128+signal */
    int signal;       /* the signal that ended it, or 0 */
    int timed_out;    /* stopped by --timeout */
    int killed;       /* ... and needed SIGKILL */
    int passed_on;    /* the last signal passed on, or 0 */
};

static int usage(const char *fmt, const char *arg)
{
    fputs("syncwatch: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs(" (syncwatch --help tells more)\n", stderr);
    return SW_EXIT_USAGE;
}

static int parse_duration_opt(const char *opt, const char *s, uint64_t *ns)
{
    if (sw_parse_duration(s, 1e9, ns) == 0)
        return 0;
    fprintf(stderr, "syncwatch: %s wants a duration such as 30s, 500ms or 10m, not '%s'\n", opt,
            s);
    return -1;
}

enum { OPT_MODE = 256, OPT_OUTPUT, OPT_TIMEOUT, OPT_KILL_AFTER, OPT_ERROR_EXITCODE,
       OPT_FAIL_ON, OPT_REPORT_ARG, OPT_NO_REPORT, OPT_HELP };

/* Returns the index of PROGRAM in argv, or -1 after a message. */
static int parse(int argc, char **argv, struct run_opts *o)
{
    static const struct option longopts[] = {
        {"mode", required_argument, NULL, OPT_MODE},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"kill-after", required_argument, NULL, OPT_KILL_AFTER},
        {"error-exitcode", required_argument, NULL, OPT_ERROR_EXITCODE},
        {"fail-on", required_argument, NULL, OPT_FAIL_ON},
        {"report-arg", required_argument, NULL, OPT_REPORT_ARG},
        {"no-report", no_argument, NULL, OPT_NO_REPORT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    o->report_args = calloc((size_t)argc + 1, sizeof *o->report_args);
    if (!o->report_args)
        return -1;
    opterr = 0;
    optind = 1;
    int c;
    /* '+': options end at PROGRAM, whose own options are its business. */
    while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_MODE:
            if (strcmp(optarg, "trace") != 0 && strcmp(optarg, "profile") != 0)
                return usage("--mode must be trace or profile, not '%s'", optarg), -1;
            o->mode = optarg;
            break;
        case OPT_OUTPUT:
            if (!*optarg)
                return usage("--output wants a directory%s", ""), -1;
            o->out = optarg;
            break;
        case OPT_TIMEOUT:
            if (parse_duration_opt("--timeout", optarg, &o->timeout_ns) < 0)
                return -1;
            break;
        case OPT_KILL_AFTER:
            if (parse_duration_opt("--kill-after", optarg, &o->kill_after_ns) < 0)
                return -1;
            break;
        case OPT_ERROR_EXITCODE: {
            char *end;
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || v < 1 || v > 255)
                return usage("--error-exitcode wants a number from 1 to 255, not '%s'", optarg),
                       -1;
            o->error_exitcode = (int)v;
            break;
        }
        case OPT_FAIL_ON:
            if (!*optarg)
                return usage("--fail-on wants a comma list of finding kinds%s", ""), -1;
            o->fail_on = optarg;
            break;
        case OPT_REPORT_ARG:
            o->report_args[o->nreport++] = optarg;
            break;
        case OPT_NO_REPORT:
            o->no_report = 1;
            break;
        case 'h':
        case OPT_HELP:
            fputs(launcher_help, stdout);
            exit(fflush(stdout) == 0 ? 0 : SW_EXIT_USAGE);
        case ':':
            return usage("option '%s' wants a value", argv[optind - 1]), -1;
        default:
            return usage("unknown option '%s'", argv[optind - 1]), -1;
        }
    }
    if (optind >= argc)
        return usage("run: no program to run%s", ""), -1;
    return optind;
}

/* mkdir -p, new directories 0700 (traces hold command lines). */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return errno = ENAMETOOLONG, -1;
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return errno = ENOTDIR, -1;
    return 0;
}

/* The trace directory, absolute, into out; made fresh when not given. */
static int trace_dir(const struct run_opts *o, char *out, int *made)
{
    char path[PATH_MAX];
    *made = 0;
    if (!o->out) {
        char cwd[PATH_MAX - 32];
        if (!getcwd(cwd, sizeof cwd)) {
            launcher_say("cannot tell the current directory: %s", strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s/syncwatch-run.XXXXXX", cwd);
        if (!mkdtemp(path)) {
            launcher_say("cannot make a trace directory in %s: %s (use --output DIR)", cwd,
                         strerror(errno));
            return -1;
        }
        *made = 1;
    } else {
        if (make_dirs(o->out) != 0) {
            launcher_say("cannot make the trace directory %s: %s", o->out, strerror(errno));
            return -1;
        }
        snprintf(path, sizeof path, "%s", o->out);
        int n = swt_dir_count_traces(path);
        if (n < 0) {
            launcher_say("cannot read the trace directory %s: %s", o->out, strerror(errno));
            return -1;
        }
        if (n > 0) {
            launcher_say("%s already holds %d trace%s; choose an empty directory", o->out, n,
                         n == 1 ? "" : "s");
            return -1;
        }
    }
    if (!realpath(path, out)) {
        launcher_say("cannot resolve %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *signame(int sig)
{
    const char *s = sigabbrev_np(sig);
    static char buf[24];
    snprintf(buf, sizeof buf, "SIG%s", s ? s : "?");
    return buf;
}

/* In the child: the shim's environment, the original signal mask, exec.
 * A failed exec reports its errno through the close-on-exec pipe. */
static void __attribute__((noreturn))
exec_program(char **prog, const struct run_opts *o, const char *dir, const char *shim,
             const sigset_t *mask, int errpipe)
{
    char output[PATH_MAX + 2];
    snprintf(output, sizeof output, "%s/", dir);
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(shim) + (old ? strlen(old) + 1 : 0) + 1;
    char *preload = malloc(len);
    if (preload) {
        /* The shim first, before any preload the user already had; an
         * absolute path, as children that change directory need
         * (architecture.md fact 13). */
        snprintf(preload, len, "%s%s%s", shim, old && *old ? ":" : "", old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
    }
    setenv("SYNCWATCH_OUTPUT", output, 1);
    if (o->mode)
        setenv("SYNCWATCH_MODE", o->mode, 1);
    sigprocmask(SIG_SETMASK, mask, NULL);
    execvp(prog[0], prog);
    int e = errno;
    if (write(errpipe, &e, sizeof e) < 0) {
        /* nothing more can be said */
    }
    _exit(e == ENOENT ? 127 : 126);
}

/* Waits for the child, passing signals on and enforcing the timeout. */
static void supervise(pid_t child, const struct run_opts *o, const char *name,
                      const sigset_t *waitset, struct outcome *r)
{
    uint64_t deadline = o->timeout_ns ? now_ns() + o->timeout_ns : 0;
    for (;;) {
        int st;
        pid_t w = waitpid(child, &st, WNOHANG);
        if (w == child) {
            if (WIFEXITED(st)) {
                r->status = WEXITSTATUS(st);
            } else {
                r->signal = WTERMSIG(st);
                r->status = 128 + r->signal;
            }
            return;
        }
        if (w < 0 && errno != EINTR) {
            r->status = SW_EXIT_USAGE;
            return;
        }
        siginfo_t si;
        int sig;
        if (deadline) {
            uint64_t now = now_ns();
            uint64_t left = deadline > now ? deadline - now : 0;
            struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
            sig = sigtimedwait(waitset, &si, &ts);
        } else {
            sig = sigwaitinfo(waitset, &si);
        }
        if (sig < 0) {
            if (errno != EAGAIN)
                continue;
            /* The deadline passed: first SIGTERM, then SIGKILL. */
            if (!r->timed_out) {
                r->timed_out = 1;
                launcher_say("%s ran longer than --timeout: stopping it with SIGTERM", name);
                kill(child, SIGTERM);
                uint64_t grace = o->kill_after_ns ? o->kill_after_ns : DEFAULT_KILL_AFTER_NS;
                deadline = now_ns() + grace;
            } else {
                r->killed = 1;
                launcher_say("%s is still running after SIGTERM: killing it with SIGKILL", name);
                kill(child, SIGKILL);
                deadline = 0;
            }
            continue;
        }
        if (sig == SIGCHLD)
            continue;
        /* si_code <= 0: sent by a process (kill, sigqueue, tgkill) to the
         * launcher; a terminal's signal (SI_KERNEL) reached the whole
         * foreground group, the program included, already. */
        if (si.si_code <= 0) {
            kill(child, sig);
            r->passed_on = sig;
        }
    }
}

/* Runs syncwatch-report on the trace directory; its exit status, or 2 when
 * it could not run or crashed. */
static int report(const struct run_opts *o, const char *dir, const sigset_t *mask)
{
    const char *bin = launcher_report_path();
    if (!bin)
        return SW_EXIT_USAGE;
    char **argv = calloc((size_t)o->nreport + 4, sizeof *argv);
    char failon[PATH_MAX];
    if (!argv)
        return SW_EXIT_USAGE;
    int n = 0;
    argv[n++] = (char *)bin;
    if (o->fail_on) {
        snprintf(failon, sizeof failon, "--fail-on=%s", o->fail_on);
        argv[n++] = failon;
    }
    for (int i = 0; i < o->nreport; i++)
        argv[n++] = o->report_args[i];
    argv[n++] = (char *)dir;
    argv[n] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        launcher_say("cannot start syncwatch-report: %s", strerror(errno));
        free(argv);
        return SW_EXIT_USAGE;
    }
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, mask, NULL);
        execv(bin, argv);
        launcher_say("cannot run %s: %s", bin, strerror(errno));
        _exit(SW_EXIT_USAGE);
    }
    free(argv);
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR)
            return SW_EXIT_USAGE;
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    launcher_say("syncwatch-report ended by %s", signame(WTERMSIG(st)));
    return SW_EXIT_USAGE;
}

static void say_outcome(const char *name, const struct outcome *r)
{
    if (r->timed_out)
        launcher_say("%s was stopped by --timeout (%s): reported as hung", name,
                     r->killed ? "SIGKILL" : "SIGTERM");
    else if (r->signal)
        launcher_say("%s was ended by %s%s", name, signame(r->signal),
                     r->passed_on ? " (passed on by syncwatch)" : "");
}

int launcher_run(int argc, char **argv)
{
    struct run_opts o = {.error_exitcode = -1};
    int first = parse(argc, argv, &o);
    if (first < 0)
        return SW_EXIT_USAGE;
    char **prog = argv + first;
    const char *shim = launcher_shim_path();
    if (!shim)
        return SW_EXIT_USAGE;
    char dir[PATH_MAX];
    int made;
    if (trace_dir(&o, dir, &made) < 0)
        return SW_EXIT_USAGE;

    /* Block what supervise() waits for before the child exists. */
    sigset_t waitset, oldmask;
    sigemptyset(&waitset);
    int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&waitset, sigs[i]);
    sigprocmask(SIG_BLOCK, &waitset, &oldmask);

    int errpipe[2];
    if (pipe2(errpipe, O_CLOEXEC) != 0) {
        launcher_say("cannot make a pipe: %s", strerror(errno));
        return SW_EXIT_USAGE;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t child = fork();
    if (child < 0) {
        launcher_say("cannot fork: %s", strerror(errno));
        return SW_EXIT_USAGE;
    }
    if (child == 0) {
        close(errpipe[0]);
        exec_program(prog, &o, dir, shim, &oldmask, errpipe[1]);
    }
    close(errpipe[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(errpipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
    }
    close(errpipe[0]);

    struct outcome r = {0};
    supervise(child, &o, prog[0], &waitset, &r);
    if (got == (ssize_t)sizeof exec_errno) {
        launcher_say("cannot run %s: %s", prog[0], strerror(exec_errno));
        if (made)
            rmdir(dir);
        return r.status;
    }
    say_outcome(prog[0], &r);

    int traces = swt_dir_count_traces(dir);
    if (traces <= 0) {
        launcher_say("%s wrote no trace (exit status %d): a static or setuid program, "
                     "SYNCWATCH_DISABLE or SYNCWATCH_FILTER, or it did not start",
                     prog[0], r.status);
        if (made)
            rmdir(dir);
        return o.error_exitcode > 0 && r.timed_out ? o.error_exitcode : r.status;
    }
    launcher_say("traces in %s", dir);
    if (o.no_report)
        return o.error_exitcode > 0 && r.timed_out ? o.error_exitcode : r.status;
    int rc = report(&o, dir, &oldmask);
    launcher_say("report exit code %d (0 clean, 1 findings, 2 usage or input error)", rc);
    if (o.error_exitcode > 0 && (rc != 0 || r.timed_out))
        return o.error_exitcode;
    return r.status;
}
