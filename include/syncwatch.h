/* syncwatch public header: what is installed for programs and scripts that
 * work with syncwatch.  Today that is the version and the exit codes of
 * syncwatch-report (for CI wrappers).  The instrumented primitives
 * (sw_mutex_* and friends, with named, checked locks) have their own header,
 * syncwatch/sync.h (C++: syncwatch/sync.hpp), and library,
 * libsyncwatch-sync (docs/library.md). */
#ifndef SYNCWATCH_H
#define SYNCWATCH_H

#define SW_VERSION_MAJOR 0
#define SW_VERSION_MINOR 1
#define SW_VERSION_PATCH 0

/* The trace format version this release writes and reads
 * (docs/trace-format.md). */
#define SW_TRACE_FORMAT_MAJOR 1
#define SW_TRACE_FORMAT_MINOR 1

/* Exit codes of syncwatch-report. */
enum sw_report_exit {
    SW_REPORT_CLEAN = 0,    /* no findings of the kinds selected with --fail-on */
    SW_REPORT_FINDINGS = 1, /* findings */
    SW_REPORT_ERROR = 2,    /* usage error or unusable input */
};

#endif
