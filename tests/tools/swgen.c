/* swgen: the command-line face of the trace generator (swgen_lib.c).
 *
 *   swgen [--cut N] [--tear] [-e TEXT]... [INPUT|-] OUTPUT
 *
 * Reads the text form of a trace (docs/testing.md) from INPUT, from standard
 * input ('-'), or from -e arguments, and writes the binary trace to OUTPUT.
 * Exit 0 on success, 2 on a usage error or an error in the text (one line,
 * "INPUT:LINE: what is wrong"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/tools/swgen.h"

static int usage(void)
{
    fprintf(stderr, "usage: swgen [--cut N|--cut -N] [--tear] [-e TEXT]... [INPUT|-] OUTPUT\n"
                    "  writes the trace described by INPUT (or the -e texts) to OUTPUT;\n"
                    "  --cut N keeps the first N bytes, --cut -N drops the last N,\n"
                    "  --tear zeroes the type byte of the last record written\n");
    return 2;
}

static int append(char **text, size_t *len, const char *s, size_t n)
{
    char *t = realloc(*text, *len + n + 2);
    if (!t)
        return -1;
    memcpy(t + *len, s, n);
    *len += n;
    t[(*len)++] = '\n';
    t[*len] = 0;
    *text = t;
    return 0;
}

static int read_all(FILE *f, char **text, size_t *len)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        if (append(text, len, buf, n))
            return -1;
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    char *text = NULL;
    size_t len = 0;
    const char *paths[2];
    int npaths = 0, have_e = 0;
    char extra[128] = "";

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cut") && i + 1 < argc) {
            char *end;
            strtoll(argv[i + 1], &end, 0);
            if (*end || end == argv[i + 1]) {
                fprintf(stderr, "swgen: --cut needs a number, not '%s'\n", argv[i + 1]);
                return 2;
            }
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "cut %s\n", argv[++i]);
        } else if (!strcmp(argv[i], "--tear")) {
            snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "tear\n");
        } else if (!strcmp(argv[i], "-e") && i + 1 < argc) {
            i++;
            if (append(&text, &len, argv[i], strlen(argv[i]))) {
                fprintf(stderr, "swgen: out of memory\n");
                return 2;
            }
            have_e = 1;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage();
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return usage();
        } else if (npaths < 2) {
            paths[npaths++] = argv[i];
        } else {
            return usage();
        }
    }
    if (npaths != (have_e ? 1 : 2))
        return usage();
    const char *input = have_e ? "-e" : paths[0];
    const char *output = paths[npaths - 1];
    if (!have_e) {
        FILE *f = strcmp(input, "-") ? fopen(input, "r") : stdin;
        if (!f) {
            fprintf(stderr, "swgen: %s: %s\n", input, strerror(errno));
            return 2;
        }
        int rc = read_all(f, &text, &len);
        if (f != stdin)
            fclose(f);
        if (rc) {
            fprintf(stderr, "swgen: %s: read error\n", input);
            free(text);
            return 2;
        }
    }
    /* --cut and --tear are the language's `cut` and `tear` statements */
    if (extra[0] && append(&text, &len, extra, strlen(extra))) {
        fprintf(stderr, "swgen: out of memory\n");
        return 2;
    }

    uint8_t *out;
    size_t outlen;
    char err[512];
    int rc = swgen_compile(text ? text : "", input, &out, &outlen, err, sizeof err);
    free(text);
    if (rc) {
        fprintf(stderr, "swgen: %s\n", err);
        return 2;
    }
    FILE *f = fopen(output, "wb");
    if (!f || (outlen && fwrite(out, 1, outlen, f) != outlen) || fclose(f)) {
        fprintf(stderr, "swgen: %s: %s\n", output, strerror(errno));
        free(out);
        return 2;
    }
    free(out);
    return 0;
}
