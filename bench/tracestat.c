/* sw_tracestat: counts the records of trace files and the bytes they take,
 * for the bytes-per-event figures of the benchmark.
 *
 *   sw_tracestat FILE...
 *
 * Reads each file with the common reader (the analyzer's), thread by thread,
 * and sums: records, hot-path (core) records, the encoded bytes of the
 * records, the file sizes (apparent and allocated on disk).  Prints one JSON
 * object with the totals over all files.  Exit 2 if a file cannot be read. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/trace_format.h"
#include "common/trace_reader.h"

struct totals {
    uint64_t files, file_bytes, alloc_bytes, records, core_records, record_bytes, threads,
        warnings, dropped;
    uint64_t by_type[256];
};

/* The reader gives each record's file offset; decoding it again from the
 * mapped file gives its encoded length (up to the end of the file rather
 * than of its chunk: the reader already checked it fits). */
static int count_file(const char *path, struct totals *tot)
{
    char err[SWT_ERR_LEN];
    struct swt_trace *t = swt_open(path, err, sizeof err);
    if (!t) {
        fprintf(stderr, "sw_tracestat: %s\n", err);
        return -1;
    }
    int fd = open(path, O_RDONLY);
    struct stat st;
    const uint8_t *data = MAP_FAILED;
    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0)
        data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (fd >= 0)
        close(fd);
    if (data == MAP_FAILED) {
        fprintf(stderr, "sw_tracestat: %s: cannot map: %s\n", path, strerror(errno));
        swt_close(t);
        return -1;
    }
    const uint8_t *end = data + st.st_size;
    tot->files++;
    tot->file_bytes += (uint64_t)st.st_size;
    tot->alloc_bytes += (uint64_t)st.st_blocks * 512u;
    tot->dropped += swt_header(t)->dropped_events;

    int rc = 0;
    for (size_t i = 0; i < swt_thread_count(t); i++) {
        struct swt_cursor c;
        struct swt_rec r = {0};
        uint32_t thread = swt_thread_at(t, i);
        if (swt_cursor_init(t, thread, &c) != 0)
            continue;
        tot->threads++;
        int got;
        while ((got = swt_cursor_next(&c, &r, err, sizeof err)) == 1) {
            uint64_t ticks = 0;
            struct swt_rec again;
            long len = r.offset < (uint64_t)st.st_size
                           ? swt_decode(data + r.offset, end, &ticks, &again, err, sizeof err)
                           : -1;
            tot->records++;
            tot->core_records += !swt_is_ext(r.type);
            tot->record_bytes += len > 0 ? (uint64_t)len : 0;
            tot->by_type[r.type]++;
        }
        if (got < 0) {
            fprintf(stderr, "sw_tracestat: %s\n", err);
            rc = -1;
        }
    }
    tot->warnings += swt_warning_count(t);
    munmap((void *)data, (size_t)st.st_size);
    swt_close(t);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: sw_tracestat FILE...\n");
        return 2;
    }
    static struct totals tot;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (count_file(argv[i], &tot) != 0)
            rc = 2;
    printf("{\"files\":%" PRIu64 ",\"file_bytes\":%" PRIu64 ",\"alloc_bytes\":%" PRIu64
           ",\"records\":%" PRIu64 ",\"core_records\":%" PRIu64 ",\"record_bytes\":%" PRIu64
           ",\"threads\":%" PRIu64 ",\"warnings\":%" PRIu64 ",\"dropped\":%" PRIu64
           ",\"by_type\":{",
           tot.files, tot.file_bytes, tot.alloc_bytes, tot.records, tot.core_records,
           tot.record_bytes, tot.threads, tot.warnings, tot.dropped);
    const char *sep = "";
    for (unsigned ty = 1; ty < 256; ty++)
        if (tot.by_type[ty]) {
            printf("%s\"%s\":%" PRIu64, sep, swt_type_name(ty), tot.by_type[ty]);
            sep = ",";
        }
    printf("}}\n");
    return rc;
}
