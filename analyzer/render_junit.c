/* The JUnit XML report (--format junit), for CI dashboards that show test
 * results.  One testsuite per finding kind; one testcase per finding, which
 * fails when its kind is one of --fail-on (the exit status agrees), and a
 * passing "no findings" testcase for a kind without any, so that a clean
 * run shows green tests rather than none.  Suppressed and baseline-known
 * findings are skipped testcases with -v.  The failure's message is the
 * title, its body the finding's text report.
 *
 * Names from the traced program can hold anything: XML's five special
 * characters are escaped, characters XML 1.0 cannot carry at all (control
 * characters) and bytes that are not UTF-8 become U+FFFD. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/fingerprint.h"
#include "analyzer/jsonw.h"
#include "analyzer/render.h"

static void xml(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        size_t n = 1;
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        case '\t':
        case '\n':
        case '\r':
            fputc(*p, out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fputs("\xef\xbf\xbd", out);
            } else if (*p >= 0x80) {
                n = jsonw_utf8_len(p);
                /* U+FFFE and U+FFFF are not XML characters either */
                if (!n || (n == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe)) {
                    fputs("\xef\xbf\xbd", out);
                    n = n ? n : 1;
                } else {
                    fwrite(p, 1, n, out);
                }
            } else {
                fputc(*p, out);
            }
        }
        p += n;
    }
}

/* A dashboard tracks a test by its name across runs, so the name is made
 * of what the fingerprint is made of, never of T/L numbers or times:
 * "lock-order-cycle: lock_a, lock_b in take_a_then_b, take_b_then_a
 * [9de4da180a152b05]". */
static void testcase_name(FILE *out, const struct finding *f, const struct render_input *in)
{
    struct fp_subject sub;
    fp_subject_get(&sub, f, in->m, in->names);
    xml(out, f->code);
    for (size_t i = 0; i < sub.nlocks; i++) {
        fputs(i ? ", " : ": ", out);
        xml(out, sub.locks[i]);
    }
    for (size_t i = 0; i < sub.nfunctions; i++) {
        fputs(i ? ", " : " in ", out);
        xml(out, sub.functions[i]);
    }
    fprintf(out, " [%s]", f->fingerprint);
    fp_subject_free(&sub);
}

/* The text of one finding, for a failure body. */
static char *finding_text(const struct render_input *in, const struct finding *f, size_t number)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return NULL;
    render_text_finding(mem, in, f, number);
    fclose(mem);
    return buf;
}

void render_junit(FILE *out, const struct render_input *in)
{
    const struct findings *fs = in->fs;
    const struct model *m = in->m;
    size_t tests[FINDING_KIND_COUNT] = {0}, failures[FINDING_KIND_COUNT] = {0},
           skipped[FINDING_KIND_COUNT] = {0}, total = 0, total_fail = 0, total_skip = 0;
    for (size_t i = 0; i < fs->n; i++) {
        const struct finding *f = fs->list[i];
        if (f->pruned || (!finding_reported(f) && !in->o->verbose))
            continue;
        tests[f->kind]++;
        if (!finding_reported(f))
            skipped[f->kind]++;
        else if (finding_fails(f, in->o->fail_on))
            failures[f->kind]++;
    }
    for (int k = 0; k < FINDING_KIND_COUNT; k++) {
        total += tests[k] ? tests[k] : 1;
        total_fail += failures[k];
        total_skip += skipped[k];
    }
    const char *prog = m->nprocs ? (m->procs[0].hdr.cmdline[0] ? m->procs[0].hdr.cmdline
                                                               : m->procs[0].hdr.exe)
                                 : "";
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out, "<testsuites name=\"syncwatch\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
                 "skipped=\"%zu\">\n",
            total, total_fail, total_skip);
    size_t number = 0;
    for (int k = 0; k < FINDING_KIND_COUNT; k++) {
        const char *kind = findings_kind_name((enum finding_kind)k);
        fprintf(out, "  <testsuite name=\"syncwatch.%s\" tests=\"%zu\" failures=\"%zu\" "
                     "errors=\"0\" skipped=\"%zu\">\n",
                kind, tests[k] ? tests[k] : 1, failures[k], skipped[k]);
        fputs("    <properties><property name=\"program\" value=\"", out);
        xml(out, prog);
        fputs("\"/></properties>\n", out);
        if (!tests[k])
            fprintf(out, "    <testcase classname=\"syncwatch.%s\" name=\"no %s findings\"/>\n",
                    kind, kind);
        for (size_t i = 0; i < fs->n; i++) {
            const struct finding *f = fs->list[i];
            if ((int)f->kind != k || f->pruned || (!finding_reported(f) && !in->o->verbose))
                continue;
            number++;
            fprintf(out, "    <testcase classname=\"syncwatch.%s.", kind);
            xml(out, f->code);
            fputs("\" name=\"", out);
            testcase_name(out, f, in);
            fputs("\">\n", out);
            char *body = finding_text(in, f, number);
            if (f->suppressed_by) {
                fputs("      <skipped message=\"suppressed by ", out);
                xml(out, f->suppressed_by);
                fputs("\"/>\n", out);
            } else if (f->baseline_known) {
                fputs("      <skipped message=\"known from the baseline\"/>\n", out);
            } else if (finding_fails(f, in->o->fail_on)) {
                fputs("      <failure type=\"", out);
                xml(out, kind);
                fputc('/', out);
                xml(out, f->code);
                fputs("\" message=\"", out);
                xml(out, f->title);
                fputs("\">", out);
                xml(out, body);
                fputs("</failure>\n", out);
            } else {
                fputs("      <system-out>", out);
                xml(out, body);
                fputs("</system-out>\n", out);
            }
            free(body);
            fputs("    </testcase>\n", out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
}
