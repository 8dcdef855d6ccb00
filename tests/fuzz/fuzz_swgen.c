/* libFuzzer harness that enters through swgen: the input is swgen text.
 * It is compiled (exercising swgen's parser on arbitrary text) and, when it
 * compiles, the trace is read with the reader walk (reader_walk.h).  Traces
 * made this way are structurally valid and deep (many threads, locks, flags,
 * stacks, damage statements), which byte mutations of a binary file rarely
 * reach.  docs/testing.md says how to run it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/reader_walk.h"
#include "tests/tools/swgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* Chunk size is the one knob that scales memory with a short text
     * (1024 threads x 16 MiB chunks); keep the default 4 KiB chunks. */
    if (strstr(text, "chunk")) {
        free(text);
        return 0;
    }
    uint8_t *trace;
    size_t len;
    char err[512];
    if (swgen_compile(text, "fuzz", &trace, &len, err, sizeof err) == 0) {
        struct walk_result res;
        if (walk_trace(trace, len, &res) < 0) {
            fprintf(stderr, "fuzz_swgen: %s\n", res.violation);
            abort();
        }
        free(trace);
    } else if (!err[0]) {
        fprintf(stderr, "fuzz_swgen: compile failed without a message\n");
        abort();
    }
    free(text);
    return 0;
}
