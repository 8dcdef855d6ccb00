/* The JSON reader (json_read.h): recursive descent over RFC 8259. */
#include "analyzer/json_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/xalloc.h"

#define MAX_DEPTH 64

struct parser {
    const char *s;
    size_t len, pos;
    char *err;
    size_t errlen;
    bool failed;
};

static void fail(struct parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "offset %zu: %s", p->pos, what);
    p->failed = true;
}

static void ws(struct parser *p)
{
    while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) && p->s[p->pos])
        p->pos++;
}

static bool lit(struct parser *p, const char *word)
{
    size_t n = strlen(word);
    if (p->len - p->pos >= n && !memcmp(p->s + p->pos, word, n)) {
        p->pos += n;
        return true;
    }
    return false;
}

static int hex4(struct parser *p, unsigned *v)
{
    if (p->len - p->pos < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p->s[p->pos++];
        *v <<= 4;
        if (c >= '0' && c <= '9')
            *v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            *v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            *v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    return 0;
}

static void put_utf8(char *buf, size_t *n, unsigned cp)
{
    if (cp < 0x80) {
        buf[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        buf[(*n)++] = (char)(0xc0 | (cp >> 6));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        buf[(*n)++] = (char)(0xe0 | (cp >> 12));
        buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    } else {
        buf[(*n)++] = (char)(0xf0 | (cp >> 18));
        buf[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
        buf[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
        buf[(*n)++] = (char)(0x80 | (cp & 0x3f));
    }
}

/* At the opening quote.  The decoded text is never longer than the
 * escaped one, so one buffer of that size holds it. */
static char *string(struct parser *p)
{
    p->pos++;
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] != '"') {
        if (p->s[p->pos] == '\\')
            p->pos++;
        p->pos++;
    }
    if (p->pos >= p->len) {
        fail(p, "unterminated string");
        return NULL;
    }
    size_t end = p->pos;
    char *buf = xmalloc(end - start + 1);
    size_t n = 0;
    p->pos = start;
    while (p->pos < end) {
        unsigned char c = (unsigned char)p->s[p->pos++];
        if (c < 0x20 || !c) {
            fail(p, "control character in a string");
            break;
        }
        if (c != '\\') {
            buf[n++] = (char)c;
            continue;
        }
        char e = p->s[p->pos++];
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            buf[n++] = to[k - from];
            continue;
        }
        unsigned cp;
        if (e != 'u' || hex4(p, &cp) < 0) {
            fail(p, "bad escape in a string");
            break;
        }
        if (cp >= 0xd800 && cp < 0xdc00) {
            unsigned lo;
            if (p->pos + 6 <= end && p->s[p->pos] == '\\' && p->s[p->pos + 1] == 'u') {
                p->pos += 2;
                if (hex4(p, &lo) == 0 && lo >= 0xdc00 && lo < 0xe000)
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                else
                    cp = 0xfffd;
            } else {
                cp = 0xfffd;
            }
        } else if (cp >= 0xdc00 && cp < 0xe000) {
            cp = 0xfffd;
        }
        if (!cp)
            cp = 0xfffd; /* a NUL would cut the C string */
        put_utf8(buf, &n, cp);
    }
    buf[n] = 0;
    p->pos = end + 1;
    if (p->failed) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void value(struct parser *p, struct jr_value *v, int depth);

static void push(struct jr_value *v, size_t *cap)
{
    if (v->n == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        v->items = xrealloc(v->items, *cap * sizeof *v->items);
        if (v->type == JR_OBJECT)
            v->keys = xrealloc(v->keys, *cap * sizeof *v->keys);
    }
    memset(&v->items[v->n], 0, sizeof v->items[v->n]);
    if (v->type == JR_OBJECT)
        v->keys[v->n] = NULL;
    v->n++;
}

static void container(struct parser *p, struct jr_value *v, int depth, char close)
{
    size_t cap = 0;
    p->pos++;
    ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return;
    }
    for (;;) {
        push(v, &cap);
        if (v->type == JR_OBJECT) {
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != '"') {
                fail(p, "expected a string key");
                return;
            }
            v->keys[v->n - 1] = string(p);
            if (p->failed)
                return;
            ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':') {
                fail(p, "expected ':'");
                return;
            }
            p->pos++;
        }
        value(p, &v->items[v->n - 1], depth + 1);
        if (p->failed)
            return;
        ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return;
        }
        fail(p, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
        return;
    }
}

static void value(struct parser *p, struct jr_value *v, int depth)
{
    memset(v, 0, sizeof *v);
    if (depth > MAX_DEPTH) {
        fail(p, "nested too deeply");
        return;
    }
    ws(p);
    if (p->pos >= p->len) {
        fail(p, "unexpected end");
        return;
    }
    char c = p->s[p->pos];
    if (c == '{') {
        v->type = JR_OBJECT;
        container(p, v, depth, '}');
    } else if (c == '[') {
        v->type = JR_ARRAY;
        container(p, v, depth, ']');
    } else if (c == '"') {
        v->type = JR_STRING;
        v->str = string(p);
    } else if (lit(p, "true")) {
        v->type = JR_BOOL;
        v->b = true;
    } else if (lit(p, "false")) {
        v->type = JR_BOOL;
    } else if (lit(p, "null")) {
        v->type = JR_NULL;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        char buf[64];
        size_t n = strspn(p->s + p->pos, "0123456789+-.eE");
        if (n >= sizeof buf || p->pos + n > p->len) {
            fail(p, "bad number");
            return;
        }
        memcpy(buf, p->s + p->pos, n);
        buf[n] = 0;
        char *end;
        v->type = JR_NUMBER;
        v->num = strtod(buf, &end);
        if (*end) {
            fail(p, "bad number");
            return;
        }
        p->pos += n;
    } else {
        fail(p, "unexpected character");
    }
}

int jr_parse(const char *text, size_t len, struct jr_value *out, char *err, size_t errlen)
{
    struct parser p = {.s = text, .len = len, .err = err, .errlen = errlen};
    value(&p, out, 0);
    ws(&p);
    if (!p.failed && p.pos != len)
        fail(&p, "text after the JSON value");
    if (p.failed) {
        jr_free(out);
        return -1;
    }
    return 0;
}

void jr_free(struct jr_value *v)
{
    for (size_t i = 0; i < v->n; i++) {
        jr_free(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const struct jr_value *jr_get(const struct jr_value *v, const char *key)
{
    if (!v || v->type != JR_OBJECT)
        return NULL;
    for (size_t i = 0; i < v->n; i++)
        if (v->keys[i] && !strcmp(v->keys[i], key))
            return &v->items[i];
    return NULL;
}

const char *jr_get_str(const struct jr_value *v, const char *key)
{
    const struct jr_value *s = jr_get(v, key);
    return s && s->type == JR_STRING ? s->str : NULL;
}
