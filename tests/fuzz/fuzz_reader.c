/* libFuzzer harness for the trace reader: the input is a trace file.  It is
 * opened with swt_open_buffer and read the way the analyzer reads it
 * (reader_walk.h); a broken promise of the reader API aborts, so the fuzzer
 * keeps it as a crash.  docs/testing.md says how to build and run it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/reader_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A private copy: malloc's alignment is what the analyzer's mmap gives,
     * and its exact size lets ASan catch a read one byte too far. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct walk_result res;
    if (walk_trace(copy, size, &res) < 0) {
        fprintf(stderr, "fuzz_reader: %s\n", res.violation);
        abort();
    }
    free(copy);
    return 0;
}
