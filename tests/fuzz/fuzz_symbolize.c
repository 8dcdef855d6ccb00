/* libFuzzer harness for the symbolizer: MODULE records come from traces,
 * so start, end, offset and build-id may be anything.  The input is read as
 * a few module records over real files (libc, libdw, this program, a
 * directory, a device, a missing path) followed by addresses to look up;
 * every lookup must return a defined status and, on success, strings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/symbolize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libdw.so.1",
    "/proc/self/exe",
    "/usr/lib",
    "/dev/zero",
    "/nonexistent/lib.so",
    "",
};

struct input {
    const uint8_t *p, *end;
};

static uint64_t take(struct input *in, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n && in->p < in->end; i++)
        v |= (uint64_t)*in->p++ << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, data + size};
    struct sym_ctx *ctx = sym_new("/proc/self/exe", NULL);
    if (!ctx)
        return 0;
    unsigned nmods = (unsigned)take(&in, 1) % 4;
    uint64_t bases[4] = {0};
    for (unsigned i = 0; i < nmods; i++) {
        uint8_t bid[20];
        size_t bid_len = (size_t)take(&in, 1) % 21;
        for (size_t k = 0; k < bid_len; k++)
            bid[k] = (uint8_t)take(&in, 1);
        /* mostly plausible: page-aligned starts in user space, small offsets */
        uint64_t start = take(&in, 1) & 1 ? take(&in, 8) : 0x7f0000000000ull + (take(&in, 2) << 12);
        uint64_t len = take(&in, 3) + 1;
        struct sym_module m = {start, start + len, take(&in, 1) & 1 ? take(&in, 8) : take(&in, 2),
                               bid_len ? bid : NULL, bid_len,
                               paths[take(&in, 1) % (sizeof paths / sizeof paths[0])]};
        if (m.end < m.start)
            m.end = UINT64_MAX;
        bases[i] = start;
        int rc = sym_add_module(ctx, &m);
        if (rc > 0 || rc < SYM_E_INVALID)
            abort();
    }
    while (in.p < in.end) {
        unsigned which = (unsigned)take(&in, 1);
        uint64_t addr = bases[which % 4] + take(&in, 3);
        if (which & 0x80)
            addr = take(&in, 8);
        int rc;
        if (which & 0x40) {
            struct sym_data d;
            rc = sym_lookup_data(ctx, addr, &d);
            if (rc == SYM_OK && (!d.name || strlen(d.name) > 100000))
                abort();
        } else {
            struct sym_frame f;
            rc = sym_lookup_ip(ctx, addr, which & 0x20, &f);
            if (rc == SYM_OK && (!f.function || (f.file && strlen(f.file) > 100000)))
                abort();
        }
        if (rc > 0 || rc < SYM_E_INVALID || !sym_strerror(rc))
            abort();
    }
    sym_free(ctx);
    return 0;
}
