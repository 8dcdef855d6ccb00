/* Unit tests of the CI gating parts of the analyzer: JSON strings that stay
 * valid (jsonw.c), the JSON reader (json_read.c), fingerprints
 * (fingerprint.c), suppression files (suppress.c) and baselines
 * (baseline.c), on hand-built models and findings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyzer/baseline.h"
#include "analyzer/finding_codes.h"
#include "analyzer/findings.h"
#include "analyzer/fingerprint.h"
#include "analyzer/json_read.h"
#include "analyzer/jsonw.h"
#include "analyzer/suppress.h"
#include "test_tmpdir.h"

/* ---- jsonw ---- */

static char *jsonw_of(const char *s)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    jsonw_str(f, s);
    fclose(f);
    return buf;
}

static void test_jsonw_escapes(void **state)
{
    (void)state;
    struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "\"plain\""},
        {"q\"b\\n\nt\t", "\"q\\\"b\\\\n\\nt\\t\""},
        {"\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92\""},
        {"\xff", "\"\\ufffd\""},                 /* never a UTF-8 byte */
        {"\xc3(", "\"\\ufffd(\""},               /* a cut sequence */
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},      /* overlong '/' */
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""}, /* a UTF-16 surrogate */
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* past U+10FFFF */
        {"end\xe2\x82", "\"end\\ufffd\\ufffd\""}, /* cut at the end of the string */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = jsonw_of(cases[i].in);
        assert_string_equal(got, cases[i].out);
        free(got);
    }
    char *got = jsonw_of(NULL);
    assert_string_equal(got, "\"\"");
    free(got);
}

/* ---- json_read ---- */

static void test_json_read_document(void **state)
{
    (void)state;
    const char *text = " {\"tool\":\"syncwatch-report\",\"n\":-1.5e2,\"t\":true,\"f\":false,"
                       "\"z\":null,\"s\":\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\udd12\","
                       "\"bad\":\"\\udd12\\u0000\",\"a\":[1,[],{}]} ";
    struct jr_value v;
    char err[128];
    assert_int_equal(jr_parse(text, strlen(text), &v, err, sizeof err), 0);
    assert_string_equal(jr_get_str(&v, "tool"), "syncwatch-report");
    assert_true(jr_get(&v, "n")->num == -150.0);
    assert_true(jr_get(&v, "t")->b);
    assert_int_equal(jr_get(&v, "f")->type, JR_BOOL);
    assert_int_equal(jr_get(&v, "z")->type, JR_NULL);
    assert_string_equal(jr_get_str(&v, "s"), "a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x94\x92");
    /* a lone low surrogate and a NUL become U+FFFD: C strings stay whole */
    assert_string_equal(jr_get_str(&v, "bad"), "\xef\xbf\xbd\xef\xbf\xbd");
    assert_int_equal(jr_get(&v, "a")->n, 3);
    assert_null(jr_get(&v, "missing"));
    assert_null(jr_get_str(&v, "n"));
    jr_free(&v);
}

static void test_json_read_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "",          "{",          "{\"a\"}",     "{\"a\":}",    "[1,]",    "[1 2]",
        "\"abc",     "\"\\x\"",    "\"\\u12\"",   "\"a\nb\"",    "tru",     "{} x",
        "[-]",       "{1:2}",      "nul",         "\"\\",        "[\"\\u\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct jr_value v;
        char err[128] = "";
        assert_int_equal(jr_parse(bad[i], strlen(bad[i]), &v, err, sizeof err), -1);
        assert_non_null(strstr(err, "offset "));
    }
    /* nesting is bounded: no stack overflow */
    char deep[4001];
    memset(deep, '[', 4000);
    deep[4000] = 0;
    struct jr_value v;
    char err[128];
    assert_int_equal(jr_parse(deep, 4000, &v, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested too deeply"));
    /* every prefix of a valid document is an error, never a crash */
    const char *doc = "{\"findings\":[{\"fingerprint\":\"00ff\",\"title\":\"x\\u00e9\"}],"
                      "\"n\":[1.5,true,null]}";
    for (size_t n = 0; n < strlen(doc); n++) {
        char *cut = malloc(n + 1);
        memcpy(cut, doc, n);
        cut[n] = 0;
        assert_int_equal(jr_parse(cut, n, &v, err, sizeof err), -1);
        free(cut);
    }
}

/* ---- a hand-built model: locks with names, no stacks ---- */

struct fixture {
    struct model m;
    struct model_lock locks[4];
    struct names *names;
};

static void fixture_init(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    const char *names[] = {"lock_a", "lock_b", "make_account:42", NULL};
    for (uint32_t i = 0; i < 4; i++) {
        fx->locks[i].index = i;
        fx->locks[i].display = i + 1;
        fx->locks[i].node = i;
        fx->locks[i].kind = SWT_KIND_MUTEX;
        fx->locks[i].name = names[i] ? strdup(names[i]) : NULL;
    }
    fx->m.locks = fx->locks;
    fx->m.nlocks = 4;
    fx->names = names_new(&fx->m, false);
}

static void fixture_free(struct fixture *fx)
{
    names_free(fx->names);
    for (int i = 0; i < 4; i++)
        free(fx->locks[i].name);
}

static struct finding *cycle(struct findings *fs, uint32_t l1, uint32_t l2)
{
    struct finding *f = findings_add(fs, FINDING_CYCLE, "lock-order-cycle", SEV_ERROR);
    finding_lock(f, l1);
    finding_lock(f, l2);
    finding_title(f, "cycle L%u L%u", l1 + 1, l2 + 1);
    return f;
}

static void test_fingerprints(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct findings fs;
    findings_init(&fs);
    struct finding *a = cycle(&fs, 0, 1);
    struct finding *b = cycle(&fs, 1, 0); /* the same cycle, found from the other lock */
    struct finding *c = cycle(&fs, 0, 2);
    struct finding *d = findings_add(&fs, FINDING_MISUSE, "double-unlock", SEV_ERROR);
    finding_lock(d, 0);
    fingerprint_findings(&fs, &fx.m, fx.names);
    assert_int_equal(strlen(a->fingerprint), 16);
    assert_string_equal(a->fingerprint, b->fingerprint);
    assert_string_not_equal(a->fingerprint, c->fingerprint);
    assert_string_not_equal(a->fingerprint, d->fingerprint);
    /* a heap lock named by its init's function:line: the line is not part of it */
    char c_before[17];
    strcpy(c_before, c->fingerprint);
    free(fx.locks[2].name);
    fx.locks[2].name = strdup("make_account:57");
    fingerprint_findings(&fs, &fx.m, fx.names);
    assert_string_equal(c->fingerprint, c_before);
    char buf[64];
    assert_string_equal(fp_lock_name(&fx.m, fx.names, 2, buf, sizeof buf), "make_account");
    assert_string_equal(fp_lock_name(&fx.m, fx.names, 3, buf, sizeof buf), "");
    /* renumbered locks (another run's order) keep the fingerprint */
    fx.locks[0].display = 7;
    fingerprint_findings(&fs, &fx.m, fx.names);
    assert_string_equal(a->fingerprint, b->fingerprint);
    findings_free(&fs);
    fixture_free(&fx);
}

/* ---- suppressions ---- */

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static void test_suppress_parse_errors(void **state)
{
    (void)state;
    struct {
        const char *text;
        const char *where; /* ":LINE: " */
        const char *what;
    } cases[] = {
        {"lock:x\n", ":1: ", "expected '{'"},
        {"{\n}\n", ":2: ", "starts with its name"},
        {"{\n n\n}\n", ":3: ", "no kind line"},
        {"{\n n\n  cycles\n}\n", ":3: ", "not a kind"},
        {"{\n n\n cycle/\n}\n", ":3: ", "not a kind"},
        {"{\n n\n lock:a\n}\n", ":3: ", "not a kind"},
        {"# c\n{\n n\n cycle\n fn:x\n}\n", ":5: ", "not lock:, fun:"},
        {"{\n n\n cycle\n fun:\n}\n", ":4: ", "wants a pattern"},
        {"\n\n{\n n\n cycle\n", ":3: ", "not closed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct suppressions *s = suppress_new();
        char err[512] = "";
        const char *path = write_file("bad.supp", cases[i].text);
        assert_int_equal(suppress_load(s, path, err, sizeof err), -1);
        assert_non_null(strstr(err, cases[i].where));
        assert_non_null(strstr(err, cases[i].what));
        suppress_free(s);
    }
    struct suppressions *s = suppress_new();
    char err[512];
    assert_int_equal(suppress_load(s, "/nonexistent/x.supp", err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/x.supp"));
    suppress_free(s);
}

static void test_suppress_match(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct findings fs;
    findings_init(&fs);
    struct finding *ab = cycle(&fs, 0, 1);
    struct finding *heap = cycle(&fs, 0, 2);
    struct finding *mis = findings_add(&fs, FINDING_MISUSE, "double-unlock", SEV_ERROR);
    finding_lock(mis, 1);
    struct finding *pruned = cycle(&fs, 1, 0);
    finding_prune(pruned, "gate-lock", "x");
    fingerprint_findings(&fs, &fx.m, fx.names);
    char text[1024];
    snprintf(text, sizeof text,
             "# comments and blank lines\n\n"
             "{\n   heap-accounts\n   cycle/lock-order-*\n   lock:make_account\n}\n"
             "  {  \n   by the displayed name\n   cycle\n   lock:make_account:4?\n}\n"
             "{\n   misuse on b\n   misuse/double-unlock\n   lock:lock_[b]\n"
             "   fingerprint:%s\n}\n"
             "{\n   stale\n   deadlock\n}\n",
             mis->fingerprint);
    struct suppressions *s = suppress_new();
    char err[512];
    assert_int_equal(suppress_load(s, write_file("ok.supp", text), err, sizeof err), 0);
    assert_int_equal(suppress_count(s), 4);
    suppress_apply(s, &fs, &fx.m, fx.names);
    assert_null(ab->suppressed_by);
    assert_string_equal(heap->suppressed_by, "heap-accounts");
    assert_string_equal(mis->suppressed_by, "misuse on b");
    assert_null(pruned->suppressed_by);
    assert_false(finding_reported(heap));
    assert_int_equal(findings_count(&fs, ~0u), 1);
    const char *name, *file;
    unsigned line;
    assert_true(suppress_unused_at(s, 0, &name, &file, &line));
    assert_string_equal(name, "by the displayed name"); /* the first match wins */
    assert_int_equal(line, 8);
    assert_true(suppress_unused_at(s, 1, &name, &file, &line));
    assert_string_equal(name, "stale");
    assert_false(suppress_unused_at(s, 2, &name, &file, &line));
    /* a generated entry parses again and matches its finding only */
    char *gen = NULL;
    size_t len = 0;
    FILE *g = open_memstream(&gen, &len);
    suppress_print_entry(g, ab, &fx.m, fx.names);
    fclose(g);
    assert_non_null(strstr(gen, "   cycle/lock-order-cycle\n   lock:lock_a\n   lock:lock_b\n"));
    struct suppressions *s2 = suppress_new();
    assert_int_equal(suppress_load(s2, write_file("gen.supp", gen), err, sizeof err), 0);
    ab->suppressed_by = heap->suppressed_by = mis->suppressed_by = NULL;
    suppress_apply(s2, &fs, &fx.m, fx.names);
    assert_non_null(ab->suppressed_by);
    assert_null(heap->suppressed_by);
    assert_null(mis->suppressed_by);
    free(gen);
    suppress_free(s2);
    suppress_free(s);
    findings_free(&fs);
    fixture_free(&fx);
}

/* ---- baselines ---- */

static void test_baseline_counts(void **state)
{
    (void)state;
    struct fixture fx;
    fixture_init(&fx);
    struct findings fs;
    findings_init(&fs);
    struct finding *one = cycle(&fs, 0, 1);
    struct finding *two = cycle(&fs, 1, 0); /* the same fingerprint again */
    struct finding *three = cycle(&fs, 0, 1);
    struct finding *other = cycle(&fs, 0, 2);
    fingerprint_findings(&fs, &fx.m, fx.names);
    char text[1024];
    snprintf(text, sizeof text,
             "{\"tool\":\"syncwatch-report\",\"findings\":["
             "{\"kind\":\"cycle\",\"code\":\"lock-order-cycle\",\"fingerprint\":\"%s\"},"
             "{\"kind\":\"cycle\",\"code\":\"lock-order-cycle\",\"fingerprint\":\"%s\"},"
             "{\"kind\":\"cycle\",\"fingerprint\":\"%s\",\"pruned\":true},"
             "{\"kind\":\"misuse\",\"code\":\"relock\",\"title\":\"gone \\u00e9\","
             "\"fingerprint\":\"0123456789abcdef\"}]}",
             one->fingerprint, one->fingerprint, other->fingerprint);
    char err[512];
    struct baseline *b = baseline_load(write_file("base.json", text), err, sizeof err);
    assert_non_null(b);
    baseline_apply(b, &fs);
    assert_true(one->baseline_known);
    assert_true(two->baseline_known);
    assert_false(three->baseline_known); /* two old ones, a third is new */
    assert_false(other->baseline_known); /* the old one was pruned: not a baseline finding */
    assert_int_equal(baseline_known_count(b), 2);
    const char *fp, *kind, *code, *title;
    assert_true(baseline_fixed_at(b, 0, &fp, &kind, &code, &title));
    assert_string_equal(fp, "0123456789abcdef");
    assert_string_equal(code, "relock");
    assert_string_equal(title, "gone \xc3\xa9");
    assert_false(baseline_fixed_at(b, 1, &fp, &kind, &code, &title));
    baseline_free(b);

    const char *bad[] = {"[]", "{\"tool\":\"other\",\"findings\":[]}",
                         "{\"tool\":\"syncwatch-report\",\"findings\":[{\"kind\":\"cycle\"}]}",
                         "{\"tool\":\"syncwatch-report\",\"findings\":[1]}", "not json"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *path = write_file("bad.json", bad[i]);
        assert_null(baseline_load(path, err, sizeof err));
        assert_non_null(strstr(err, path));
    }
    assert_null(baseline_load(dir, err, sizeof err)); /* a directory */
    findings_free(&fs);
    fixture_free(&fx);
}

/* Every code of docs/json-schema.md has its own description (SARIF rules). */
static void test_finding_codes(void **state)
{
    (void)state;
    const char *codes[] = {
        "deadlock", "self-deadlock", "lost-wakeup", "self-wait", "barrier", "hang",
        "lock-order-cycle", "lock-order-cycle-rw", "cycle-search-incomplete", "wait-holding-lock",
        "held-at-thread-exit",
        "held-at-thread-cancel", "held-at-exit", "held-at-kill", "held-at-fork", "owner-dead",
        "wait-on-abandoned", "unlock-not-owner", "unlock-unheld", "double-unlock", "destroy-held",
        "relock", "cond-two-mutexes", "cond-wait-unheld", "use-after-destroy", "sem-overpost",
        "starved-waiter", "writer-starved-by-readers", "barging", "contention-hotspot",
    };
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        const struct finding_code_info *ci = finding_code_info(codes[i]);
        assert_string_equal(ci->code, codes[i]);
        assert_true(strlen(ci->help) > 40);
    }
    assert_string_equal(finding_code_info("no-such-code")->code, "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonw_escapes),       cmocka_unit_test(test_json_read_document),
        cmocka_unit_test(test_json_read_errors),    cmocka_unit_test(test_fingerprints),
        cmocka_unit_test(test_suppress_parse_errors), cmocka_unit_test(test_suppress_match),
        cmocka_unit_test(test_baseline_counts),     cmocka_unit_test(test_finding_codes),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
