/* Violations: the handler, the default report and the declared lock order.
 * Everything here is off the fast path (a violation has happened, or the
 * lock has a class and the thread holds others). */
#include "lib/check.h"

#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


__thread struct held_stack held_tls __attribute__((tls_model("initial-exec")));

static sw_violation_handler_t handler = sw_default_violation_handler;
static void *handler_arg;

static const char *const violation_names[] = {
#define NAME(name, msg) #name,
    SW_VIOLATION_MAP(NAME)
#undef NAME
};
static const char *const violation_whats[] = {
#define WHAT(name, msg) msg,
    SW_VIOLATION_MAP(WHAT)
#undef WHAT
};

const char *sw_violation_name(enum sw_violation_kind kind)
{
    return (unsigned)kind < SW_V_COUNT ? violation_names[kind] : "?";
}

const char *sw_violation_what(enum sw_violation_kind kind)
{
    return (unsigned)kind < SW_V_COUNT ? violation_whats[kind] : "unknown violation";
}

sw_violation_handler_t sw_set_violation_handler(sw_violation_handler_t h, void *arg)
{
    sw_violation_handler_t old = __atomic_load_n(&handler, __ATOMIC_ACQUIRE);
    __atomic_store_n(&handler_arg, arg, __ATOMIC_RELEASE);
    __atomic_store_n(&handler, h ? h : sw_default_violation_handler, __ATOMIC_RELEASE);
    return old;
}

const char *check_type_name(uint32_t magic)
{
    switch (magic) {
    case SW_MAGIC_MUTEX: return "mutex";
    case SW_MAGIC_RWLOCK: return "rwlock";
    case SW_MAGIC_SPIN: return "spinlock";
    case SW_MAGIC_SEM: return "semaphore";
    case SW_MAGIC_COND: return "condvar";
    case SW_MAGIC_EVENT: return "event";
    case SW_MAGIC_BARRIER: return "barrier";
    default: return "object";
    }
}

unsigned sw_held_locks(sw_held_lock_t *out, unsigned max)
{
    unsigned n = held_tls.n < HELD_MAX ? held_tls.n : HELD_MAX;
    for (unsigned i = 0; i < n && i < max; i++)
        out[i] = held_tls.lock[i];
    return held_tls.n;
}

int check_violation(enum sw_violation_kind kind, int err, const char *op, const void *object,
                    const struct sw_object *obj, const struct sw_object *other)
{
    /* A copy of the held stack: the handler may lock and unlock. */
    sw_held_lock_t held[HELD_MAX];
    unsigned nheld = sw_held_locks(held, HELD_MAX);
    int valid = obj && (kind != SW_V_UNINIT && kind != SW_V_DESTROYED);
    sw_violation_t v = {
        .kind = kind,
        .error = err,
        .what = sw_violation_what(kind),
        .op = op,
        .object = object,
        .type = valid ? check_type_name(obj->magic) : "object",
        .name = valid && obj->name ? obj->name : "?",
        .other = other,
        .held = held,
        .nheld = nheld < HELD_MAX ? nheld : HELD_MAX,
    };
    sw_violation_handler_t h = __atomic_load_n(&handler, __ATOMIC_ACQUIRE);
    h(&v, __atomic_load_n(&handler_arg, __ATOMIC_ACQUIRE));
    return err;
}

int check_bad_object(const struct sw_object *obj, uint32_t magic, const char *op)
{
    if (obj->magic == SW_MAGIC_DEAD)
        return check_violation(SW_V_DESTROYED, SW_EDESTROYED, op, obj, obj, NULL);
    (void)magic;
    return check_violation(SW_V_UNINIT, SW_EUNINIT, op, obj, obj, NULL);
}

/* Does class `c` declare that it is acquired after class `d`? */
static int declared_after(const sw_lock_class_t *c, const sw_lock_class_t *d)
{
    if (!c->after)
        return 0;
    for (const sw_lock_class_t *const *a = c->after; *a; a++)
        if (*a == d)
            return 1;
    return 0;
}

void check_order_slow(const struct sw_object *obj, const char *op)
{
    const sw_lock_class_t *want = obj->cls;
    unsigned n = held_tls.n < HELD_MAX ? held_tls.n : HELD_MAX;
    for (unsigned i = n; i-- > 0;) {
        const struct sw_object *h = held_tls.lock[i].obj;
        if (!h || h == obj || !h->cls)
            continue;
        const sw_lock_class_t *have = h->cls;
        int wrong = (want->rank && have->rank && have->rank >= want->rank) ||
                    declared_after(have, want);
        if (wrong) {
            check_violation(SW_V_ORDER, SW_EORDER, op, obj, obj, h);
            return;
        }
    }
}

/* ---- the report ---------------------------------------------------------- */

struct out {
    char buf[1024];
    size_t len;
    int fd;
};

static void out_flush(struct out *o)
{
    size_t off = 0;
    while (off < o->len) {
        ssize_t w = write(o->fd, o->buf + off, o->len - off);
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    o->len = 0;
}

static void out_printf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out_printf(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof o->buf - o->len) {
        out_flush(o);
        va_start(ap, fmt);
        n = vsnprintf(o->buf, sizeof o->buf, fmt, ap);
        va_end(ap);
        if (n < 0)
            return;
        o->len = (size_t)n < sizeof o->buf ? (size_t)n : sizeof o->buf - 1;
        return;
    }
    o->len += (size_t)n;
}

static void out_lock(struct out *o, const struct sw_object *l)
{
    if (!l) {
        out_printf(o, "(a lock not recorded: more than %d held)", HELD_MAX);
        return;
    }
    out_printf(o, "%s \"%s\" (%p", check_type_name(l->magic), l->name ? l->name : "?",
               (const void *)l);
    if (l->cls)
        out_printf(o, ", class \"%s\" rank %u", l->cls->name ? l->cls->name : "?", l->cls->rank);
    out_printf(o, ")");
}

void sw_violation_write(int fd, const sw_violation_t *v)
{
    struct out o = { .len = 0, .fd = fd };
    out_printf(&o, "syncwatch-sync: violation %s: %s\n", sw_violation_name(v->kind), v->what);
    if (v->kind == SW_V_ORDER) /* reported, and the lock still taken */
        out_printf(&o, "  in %s on %s \"%s\" (%p): taken anyway, the call returns 0\n", v->op,
                   v->type, v->name, v->object);
    else
        out_printf(&o, "  in %s on %s \"%s\" (%p): returns %s (%s)\n", v->op, v->type, v->name,
                   v->object, sw_errname(v->error), sw_strerror(v->error));
    if (v->other) {
        out_printf(&o, "  taken while holding ");
        out_lock(&o, v->other);
        out_printf(&o, ", declared to come after it\n");
    }
    if (v->nheld == 0) {
        out_printf(&o, "  locks held by this thread: none\n");
    } else {
        out_printf(&o, "  locks held by this thread (oldest first):\n");
        for (unsigned i = 0; i < v->nheld; i++) {
            out_printf(&o, "    #%u ", i);
            out_lock(&o, v->held[i].obj);
            out_printf(&o, "%s\n", v->held[i].shared ? " for reading" : "");
        }
    }
    out_flush(&o);
}

/* SYNCWATCH_ON_VIOLATION, read once: 1 report and go on, 0 abort. */
static int report_only(void)
{
    static int cached = -1;
    int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (c < 0) {
        const char *e = getenv("SYNCWATCH_ON_VIOLATION");
        c = e && strcmp(e, "report") == 0;
        __atomic_store_n(&cached, c, __ATOMIC_RELAXED);
    }
    return c;
}

void sw_default_violation_handler(const sw_violation_t *v, void *arg)
{
    (void)arg;
    sw_violation_write(2, v);
    void *frames[32];
    int n = backtrace(frames, 32);
    static const char bt[] = "  backtrace:\n";
    if (write(2, bt, sizeof bt - 1) < 0)
        return;
    backtrace_symbols_fd(frames, n, 2);
    if (!report_only()) {
        static const char ab[] =
            "syncwatch-sync: aborting (SYNCWATCH_ON_VIOLATION=report reports and goes on)\n";
        if (write(2, ab, sizeof ab - 1) < 0) {
        }
        abort();
    }
}
