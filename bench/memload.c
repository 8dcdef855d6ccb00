/* sw_memload: a small memcached load client for the real-program benchmark.
 *
 *   sw_memload PORT CONNECTIONS REQUESTS SECONDS
 *
 * Talks the memcached text protocol to 127.0.0.1:PORT only (the benchmark
 * never leaves loopback).  CONNECTIONS threads, one connection each, share
 * REQUESTS requests: first every key is set once, then 9 gets for every set
 * over a fixed key space.  Stops early at the SECONDS deadline, so a server
 * slowed down by a peer tool still gives a rate.  Prints one JSON line:
 * requests done, elapsed ns and ns per request (the figure the driver
 * compares).  Exit 2 on usage or connection errors, 1 on protocol errors or
 * a request that got no answer within 10 s (the JSON line is still printed). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 64
#define KEYS 10000
#define VALUE_LEN 100
#define SET_EVERY 10

struct conn {
    pthread_t tid;
    unsigned idx;
    int fd;
    uint64_t quota;
    uint64_t done;
    uint64_t errors;
    char buf[4096];
    size_t len;
};

static uint16_t g_port;
static unsigned g_nconn;
static uint64_t g_deadline_ns;
static atomic_int g_failed;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads until the reply ends with term; the values we store never contain
 * it.  Returns 0, or -1 on a closed connection or an oversized reply. */
static int read_reply(struct conn *c, const char *term)
{
    size_t tlen = strlen(term);
    c->len = 0;
    for (;;) {
        if (c->len >= tlen && !memcmp(c->buf + c->len - tlen, term, tlen))
            return 0;
        if (c->len == sizeof c->buf)
            return -1;
        ssize_t r = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        c->len += (size_t)r;
    }
}

static int request(struct conn *c, uint64_t i, unsigned key)
{
    char req[256];
    int n;
    const char *term;
    if (i % SET_EVERY == 0) {
        char value[VALUE_LEN + 1];
        memset(value, 'a' + (int)(i % 26), VALUE_LEN);
        value[VALUE_LEN] = 0;
        n = snprintf(req, sizeof req, "set k%u 0 0 %d\r\n%s\r\n", key, VALUE_LEN, value);
        term = "STORED\r\n";
    } else {
        n = snprintf(req, sizeof req, "get k%u\r\n", key);
        term = "END\r\n";
    }
    if (send_all(c->fd, req, (size_t)n) != 0 || read_reply(c, term) != 0)
        return -1;
    return 0;
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    uint64_t x = 0x9e3779b97f4a7c15u * (c->idx + 1);
    for (uint64_t i = 0; i < c->quota; i++) {
        /* Each connection first sets its share of the key space. */
        unsigned key;
        if (i < KEYS / g_nconn) {
            key = (unsigned)(i * g_nconn + c->idx);
            if (request(c, 0, key) != 0)
                goto fail;
        } else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            key = (unsigned)(x % KEYS);
            if (request(c, i, key) != 0)
                goto fail;
        }
        c->done++;
        if ((i & 63) == 0 && now_ns() > g_deadline_ns)
            break;
    }
    return NULL;
fail:
    c->errors++;
    atomic_store(&g_failed, 1);
    return NULL;
}

static int connect_loopback(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(g_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* A server slowed down by a peer tool must not hang the client past
     * its deadline: a request that waits this long ends the connection. */
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return fd;
}

static unsigned long parse(const char *s, unsigned long min, unsigned long max)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max) {
        fprintf(stderr, "sw_memload: bad number '%s'\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: sw_memload PORT CONNECTIONS REQUESTS SECONDS\n");
        return 2;
    }
    g_port = (uint16_t)parse(argv[1], 1, 65535);
    unsigned nconn = (unsigned)parse(argv[2], 1, MAX_CONNS);
    g_nconn = nconn;
    uint64_t requests = parse(argv[3], 1, 1000000000ul);
    uint64_t seconds = parse(argv[4], 1, 86400);

    static struct conn conns[MAX_CONNS];
    for (unsigned i = 0; i < nconn; i++) {
        conns[i].idx = i;
        conns[i].quota = requests / nconn + (i < requests % nconn);
        conns[i].fd = connect_loopback();
        if (conns[i].fd < 0) {
            fprintf(stderr, "sw_memload: cannot connect to 127.0.0.1:%u: %s\n", g_port,
                    strerror(errno));
            return 2;
        }
    }
    uint64_t t0 = now_ns();
    g_deadline_ns = t0 + seconds * 1000000000u;
    for (unsigned i = 0; i < nconn; i++) {
        int err = pthread_create(&conns[i].tid, NULL, conn_main, &conns[i]);
        if (err) {
            fprintf(stderr, "sw_memload: pthread_create: %s\n", strerror(err));
            return 2;
        }
    }
    uint64_t done = 0, errors = 0;
    for (unsigned i = 0; i < nconn; i++) {
        pthread_join(conns[i].tid, NULL);
        done += conns[i].done;
        errors += conns[i].errors;
        close(conns[i].fd);
    }
    uint64_t elapsed = now_ns() - t0;
    printf("{\"requests\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"elapsed_ns\":%" PRIu64
           ",\"ns_per_request\":%.1f,\"complete\":%s}\n",
           done, errors, elapsed, done ? (double)elapsed / (double)done : 0.0,
           done == requests ? "true" : "false");
    return atomic_load(&g_failed) ? 1 : 0;
}
