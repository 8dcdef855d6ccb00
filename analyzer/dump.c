/* info and dump (see dump.h). */
#include "analyzer/dump.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analyzer/rec_fields.h"
#include "common/trace_encode.h"

static void feature_names(FILE *out, uint64_t f)
{
    static const char *const names[] = {"events", "profile", "edges", "stacks", "hold-sampled"};
    bool first = true;
    for (unsigned i = 0; i < 5; i++)
        if (f & (1ull << i)) {
            fprintf(out, "%s%s", first ? "" : ",", names[i]);
            first = false;
        }
    if (f >> 5)
        fprintf(out, "%sunknown(0x%" PRIx64 ")", first ? "" : ",", f >> 5 << 5);
    if (!f)
        fputs("none", out);
}

struct count_ctx {
    uint64_t slots, acq;
};

static void count_slot(void *ctx, uint32_t thread, const struct swt_stat_slot *s)
{
    (void)thread;
    struct count_ctx *c = ctx;
    c->slots++;
    c->acq += s->acquisitions;
}

/* The thread's SWT_STAT_UNCOUNTED slot (it lives in the thread block). */
static const struct swt_stat_slot *uncounted_slot(const struct swt_trace *t,
                                                  const struct swt_thread_block *b)
{
    size_t room = (swt_header(t)->chunk_size - sizeof *b) / sizeof(struct swt_stat_slot);
    for (size_t i = 0; i < b->nstats && i < room; i++)
        if (b->stats[i].lock == SWT_STAT_UNCOUNTED)
            return &b->stats[i];
    return NULL;
}

int dump_info(FILE *out, const struct swt_trace *t, char *err, size_t errlen)
{
    const struct swt_file_header *h = swt_header(t);
    fprintf(out, "file:            %s (%" PRIu64 " bytes)\n", swt_path(t), swt_file_size(t));
    fprintf(out, "format:          %u.%u (header %u bytes)\n", h->version_major, h->version_minor,
            h->header_size);
    fprintf(out, "mode:            %s\n",
            h->mode == SWT_MODE_TRACE     ? "trace"
            : h->mode == SWT_MODE_PROFILE ? "profile"
                                          : "unknown");
    fprintf(out, "features:        ");
    feature_names(out, h->features);
    fputc('\n', out);
    fprintf(out, "program:         %s\n", h->exe);
    fprintf(out, "command line:    %s\n", h->cmdline);
    fprintf(out, "pid:             %d (parent %d)\n", h->pid, h->ppid);
    if (h->fork_parent_pid)
        fprintf(out, "forked from:     pid %d, thread %u\n", h->fork_parent_pid,
                h->fork_parent_thread);
    if (h->exec_generation)
        fprintf(out, "exec image:      %u (pid %d exec'ed %u traced image%s before this one)\n",
                h->exec_generation, h->pid, h->exec_generation,
                h->exec_generation == 1 ? "" : "s");
    if (h->hang_count)
        fprintf(out, "hang watchdog:   reported %u hang%s, the last (%s) at tick %" PRIu64 "\n",
                h->hang_count, h->hang_count == 1 ? "" : "s",
                h->hang_kind == SWT_HANG_CYCLE         ? "a wait-for cycle"
                : h->hang_kind == SWT_HANG_ALL_WAITING ? "every thread waiting"
                                                       : "?",
                h->hang_ticks);
    fprintf(out, "run id:          %016" PRIx64 "\n", h->run_id);
    time_t secs = (time_t)(h->start_realtime_ns / 1000000000u);
    struct tm tm;
    char when[64] = "?";
    if (gmtime_r(&secs, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fprintf(out, "started:         %s\n", when);
    fprintf(out, "clock:           %s\n", h->clock == SWT_CLOCK_TSC ? "tsc" : "monotonic");
    if (h->end_ticks)
        fprintf(out, "duration:        %.6f s\n", (double)swt_ticks_to_ns(t, h->end_ticks) / 1e9);
    fprintf(out, "state:           %s",
            h->state == SWT_PROC_EXITED     ? "exited"
            : h->state == SWT_PROC_SIGNALED ? "killed by a signal"
                                            : "running, killed or crashed (no clean end)");
    if (h->state == SWT_PROC_EXITED)
        fprintf(out, " (status %d)", h->exit_status);
    else if (h->state == SWT_PROC_SIGNALED)
        fprintf(out, " (signal %d)", h->exit_status);
    fputc('\n', out);
    fprintf(out, "chunks:          %" PRIu64 " of %u bytes\n", h->chunks_allocated, h->chunk_size);
    fprintf(out, "stack depth:     %u\n", h->stack_depth);
    fprintf(out, "threads:         %u started, %zu with chunks\n", h->threads_started,
            swt_thread_count(t));
    fprintf(out, "locks:           %u registered\n", h->locks_registered);
    fprintf(out, "dropped events:  %" PRIu64 "\n", h->dropped_events);
    struct count_ctx cc = {0};
    swt_foreach_stat(t, count_slot, &cc);
    if (cc.slots)
        fprintf(out, "profile slots:   %" PRIu64 " (%" PRIu64 " acquisitions)\n", cc.slots, cc.acq);
    /* Count the records so that damage shows here too. */
    uint64_t counts[256] = {0}, total = 0;
    struct swt_merge *mg = swt_merge_new(t);
    if (!mg) {
        snprintf(err, errlen, "%s: out of memory", swt_path(t));
        return -1;
    }
    struct swt_rec r = {0};
    int rc;
    while ((rc = swt_merge_next(mg, &r, err, errlen)) > 0) {
        counts[r.type]++;
        total++;
    }
    swt_merge_free(mg);
    if (rc < 0)
        return -1;
    fprintf(out, "records:         %" PRIu64 "\n", total);
    for (unsigned ty = 1; ty < 256; ty++)
        if (counts[ty])
            fprintf(out, "  %-15s %" PRIu64 "\n", swt_type_name(ty), counts[ty]);
    for (size_t i = 0; i < swt_thread_count(t); i++) {
        uint32_t th = swt_thread_at(t, i);
        const struct swt_thread_block *b = swt_thread_block(t, th);
        fprintf(out, "thread %u:        tid %u", th, swt_thread_tid(t, th));
        if (b) {
            fprintf(out, ", %s",
                    b->state == SWT_THREAD_EXITED     ? "exited"
                    : b->state == SWT_THREAD_CANCELED ? "cancelled"
                                                      : "running");
            if (b->nheld)
                fprintf(out, ", holds %u lock%s", b->nheld, b->nheld == 1 ? "" : "s");
            if (b->waiting_lock)
                fprintf(out, ", waits for lock %u", b->waiting_lock);
            if (b->waiting_join == SWT_JOIN_UNKNOWN)
                fputs(", waiting in join for a thread not traced", out);
            else if (b->waiting_join)
                fprintf(out, ", waiting in join for thread %u", b->waiting_join);
            const struct swt_stat_slot *u = uncounted_slot(t, b);
            if (u)
                fprintf(out,
                        ", counter tables full: %" PRIu64 " acquisitions, %" PRIu64
                        " failures counted without their lock",
                        u->acquisitions, u->failures);
        }
        fputc('\n', out);
    }
    return 0;
}

static void print_ids(FILE *out, const char *label, const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t v;
    fprintf(out, " %s=[", label);
    bool first = true;
    while (p < end && swt_get_varint(&p, end, &v) == 0) {
        fprintf(out, "%s%" PRIu64, first ? "" : ",", v);
        first = false;
    }
    fputc(']', out);
}

static void print_text(FILE *out, const char *label, const uint8_t *p, size_t len)
{
    fprintf(out, " %s=\"", label);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        if (ch == '"' || ch == '\\')
            fprintf(out, "\\%c", ch);
        else if (ch < 0x20 || ch >= 0x7f)
            fprintf(out, "\\x%02x", ch);
        else
            fputc(ch, out);
    }
    fputc('"', out);
}

static bool hex_field(unsigned type, unsigned i)
{
    switch (type) {
    case SWT_REC_ACQUIRE:
    case SWT_REC_WAIT:
    case SWT_REC_FAIL:
    case SWT_REC_RELEASE:
    case SWT_REC_COND_SIGNAL:
        return i == 1; /* flags */
    case SWT_REC_LOCK_NEW:
        return i == 3 || i == 4; /* flags, addr */
    case SWT_REC_MODULE:
        return i <= 2;
    case SWT_REC_EDGE:
        return i == 2;
    case SWT_REC_THREAD_START:
        return i == 3;
    default:
        return false;
    }
}

int dump_events(FILE *out, const struct swt_trace *t, char *err, size_t errlen)
{
    struct swt_merge *mg = swt_merge_new(t);
    if (!mg) {
        snprintf(err, errlen, "%s: out of memory", swt_path(t));
        return -1;
    }
    struct swt_rec r = {0};
    int rc;
    while ((rc = swt_merge_next(mg, &r, err, errlen)) > 0) {
        const struct swt_schema *s = swt_schema_of(r.type);
        fprintf(out, "%12" PRIu64 " T%-3u %-13s", r.ns, r.thread, s ? s->name : "unknown");
        unsigned nf = s ? s->nfields : 0;
        for (unsigned i = 0; i < nf && i < SWT_MAX_FIELDS; i++) {
            if (hex_field(r.type, i))
                fprintf(out, " %s=0x%" PRIx64, s->fields[i], r.f[i]);
            else
                fprintf(out, " %s=%" PRIu64, s->fields[i], r.f[i]);
        }
        if (r.blob_len) {
            switch (r.type) {
            case SWT_REC_THREAD_EXIT:
                print_ids(out, "held", r.blob, r.blob_len);
                break;
            case SWT_REC_EDGE:
                print_ids(out, "also_held", r.blob, r.blob_len);
                break;
            case SWT_REC_STACK: {
                const uint8_t *p = r.blob, *end = r.blob + r.blob_len;
                uint64_t ip;
                fprintf(out, " ips=[");
                bool first = true;
                while (p < end && swt_get_varint(&p, end, &ip) == 0) {
                    fprintf(out, "%s0x%" PRIx64, first ? "" : ",", ip);
                    first = false;
                }
                fputc(']', out);
                break;
            }
            case SWT_REC_MODULE: {
                size_t bl = r.f[RF_MODULE_BUILD_ID_LEN] <= r.blob_len ? (size_t)r.f[RF_MODULE_BUILD_ID_LEN] : r.blob_len;
                fprintf(out, " build_id=");
                for (size_t i = 0; i < bl; i++)
                    fprintf(out, "%02x", r.blob[i]);
                print_text(out, "path", r.blob + bl, r.blob_len - bl);
                break;
            }
            default:
                print_text(out, "text", r.blob, r.blob_len);
            }
        }
        fputc('\n', out);
    }
    swt_merge_free(mg);
    return rc < 0 ? -1 : 0;
}
