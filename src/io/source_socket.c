/* The socket source, as Spark's: a TCP client to host:port reading one
 * record per line.  Lines are buffered as they arrive; the offset is the
 * number of lines received ({"offset": N}), so a batch is a range of line
 * numbers.  Like Spark's, it cannot replay after a restart (the peer does
 * not resend): use it for demos and tests, Kafka for production.  When the
 * peer closes the connection the buffered lines are still delivered, then
 * the source reports itself exhausted and the query ends cleanly.
 * Options: host, port, format (text | json | csv), 'connect.timeout'
 * (default 10 seconds: the producer may start just after the query).
 *
 * A line is buffered until it is longer than 'maxRecordBytes'; from then on
 * only its first kilobyte stays in the buffer (as the line's text) and the
 * rest is counted as it arrives and dropped, so one endless line costs
 * 'maxRecordBytes' of memory at most; its full length is kept beside it
 * and the line is refused per mode when its batch reads it
 * (sl_lines_add_oversized). */
#include "io/lines.h"
#include "core/mem.h"
#include "core/status.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct sock_src {
    int fd;
    bool eof;
    sl_buf text;            /* lines [base, base + n_lines), '\n'-separated */
    int64_t base;           /* line number of the first buffered line */
    size_t *line_end;       /* end offset in text of each buffered line */
    size_t n_lines, lines_cap;
    /* Lines over the limit, by line number, ascending: their full length
     * (their text holds only the head). */
    struct over_line { int64_t line; size_t len; } *over;
    size_t n_over, over_cap;
    /* Inside a line over the limit: its head ends at text[skip_at]. */
    bool skipping;
    size_t skip_at, skip_len;
    char skip_last;
    sl_lines ln;
} sock_src;

#define OVERSIZED_HEAD 1024

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static sl_status connect_to(const char *host, const char *port, int64_t timeout_ms, int *out_fd, sl_error *err)
{
    int64_t deadline = now_ms() + timeout_ms;
    int last_errno = 0;
    for (;;) {
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int gai = getaddrinfo(host, port, &hints, &res);
        if (gai) return sl_err(err, SL_ERR_CONFIG, "cannot resolve %s: %s", host, gai_strerror(gai));
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) continue;
            if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                freeaddrinfo(res);
                fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
                *out_fd = fd;
                return SL_OK;
            }
            last_errno = errno;
            close(fd);
        }
        freeaddrinfo(res);
        if (now_ms() >= deadline) break;
        usleep(100 * 1000); /* waiting for a peer to come up, not for data */
    }
    return sl_err(err, SL_ERR_IO, "cannot connect to %s:%s: %s (is the producer running?)", host, port,
                  strerror(last_errno));
}

static sl_status sock_open(sl_source *src, sl_error *err)
{
    sock_src *s = sl_calloc(1, sizeof *s);
    if (!s) return sl_err_oom(err);
    s->fd = -1;
    src->impl = s;
    sl_buf_init(&s->text);
    sl_status st = sl_lines_init(&s->ln, src, err);
    if (st) return st;
    const char *host = sl_options_get(&src->opts, "host");
    const char *port = sl_options_get(&src->opts, "port");
    if (!host || !port) return sl_err(err, SL_ERR_CONFIG, "options 'host' and 'port' are required");
    int64_t timeout_us = 10 * 1000000LL;
    const char *t = sl_options_get(&src->opts, "connect.timeout");
    if (t && (st = sl_parse_duration(t, &timeout_us, err))) return st;
    return connect_to(host, port, timeout_us / 1000, &s->fd, err);
}

/* Indexes the line that ends at text[at] (its '\n'). */
static sl_status line_ends(sock_src *s, size_t at, sl_error *err)
{
    if (sl_grow((void **)&s->line_end, &s->lines_cap, s->n_lines + 1, sizeof *s->line_end))
        return sl_err_oom(err);
    s->line_end[s->n_lines++] = at;
    return SL_OK;
}

/* Ends a line over the limit: a '\n' after its head, its length beside. */
static sl_status skipped_ends(sock_src *s, sl_error *err)
{
    if (sl_grow((void **)&s->over, &s->over_cap, s->n_over + 1, sizeof *s->over))
        return sl_err_oom(err);
    s->over[s->n_over].line = s->base + (int64_t)s->n_lines;
    s->over[s->n_over++].len = s->skip_len - (s->skip_last == '\r');
    s->skipping = false;
    s->text.data[s->skip_at] = '\n';
    return line_ends(s, s->skip_at, err);
}

/* Scans text[from, text.len) for line ends: whole lines are indexed; the
 * unfinished last line, once over the limit, is cut to its head, and the
 * bytes of a line being skipped are counted and dropped. */
static sl_status index_lines(sock_src *s, size_t from, sl_error *err)
{
    size_t limit = (size_t)s->ln.max_record;
    while (from < s->text.len) {
        char *d = s->text.data;
        char *nl = memchr(d + from, '\n', s->text.len - from);
        size_t stop = nl ? (size_t)(nl - d) : s->text.len;
        if (s->skipping) {
            if (stop > from) {
                s->skip_len += stop - from;
                s->skip_last = d[stop - 1];
            }
            if (!nl) { /* all of it belongs to the skipped line */
                s->text.len = s->skip_at;
                return SL_OK;
            }
            size_t rest = s->text.len - (stop + 1);
            memmove(d + s->skip_at + 1, d + stop + 1, rest);
            s->text.len = s->skip_at + 1 + rest;
            from = s->skip_at + 1;
            sl_status st = skipped_ends(s, err);
            if (st) return st;
            continue;
        }
        if (!nl) {
            size_t start = s->n_lines ? s->line_end[s->n_lines - 1] + 1 : 0;
            /* over the limit whatever follows, even if its last byte is a
             * '\r' that the newline to come makes no part of the record */
            if (s->text.len - start > limit + 1) {
                size_t head = s->text.len - start < OVERSIZED_HEAD ? s->text.len - start : OVERSIZED_HEAD;
                s->skipping = true;
                s->skip_len = s->text.len - start;
                s->skip_last = d[s->text.len - 1];
                s->skip_at = start + head;
                s->text.len = s->skip_at;
            }
            return SL_OK;
        }
        sl_status st = line_ends(s, stop, err);
        if (st) return st;
        from = stop + 1;
    }
    return SL_OK;
}

/* Reads whatever has arrived, without blocking, and indexes whole lines. */
static sl_status drain(sl_source *src, sl_error *err)
{
    sock_src *s = src->impl;
    while (!s->eof) {
        /* room for the skipped line's '\n' after its head too */
        if (sl_buf_reserve(&s->text, 65536 + 1)) return sl_err_oom(err);
        ssize_t n = recv(s->fd, s->text.data + s->text.len, 65536, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) break;
            if (errno == ECONNRESET) { s->eof = true; break; }
            return sl_err(err, SL_ERR_IO, "socket read failed: %s", strerror(errno));
        }
        if (n == 0) { s->eof = true; break; }
        size_t from = s->text.len;
        s->text.len += (size_t)n;
        sl_status st = index_lines(s, from, err);
        if (st) return st;
    }
    /* A final line without a newline still counts once the peer is gone. */
    if (s->eof && s->skipping) {
        if (sl_buf_reserve(&s->text, 1)) return sl_err_oom(err);
        sl_status st = skipped_ends(s, err);
        if (st) return st;
        s->text.len = s->skip_at + 1;
    }
    size_t last = s->n_lines ? s->line_end[s->n_lines - 1] + 1 : 0;
    if (s->eof && s->text.len > last) {
        if (sl_buf_reserve(&s->text, 1)) return sl_err_oom(err);
        sl_status st = line_ends(s, s->text.len, err);
        if (st) return st;
        s->text.data[s->text.len++] = '\n';
    }
    return SL_OK;
}

static int64_t parse_offset(const char *json)
{
    const char *p = json ? strstr(json, "\"offset\"") : NULL;
    return p ? strtoll(strchr(p, ':') + 1, NULL, 10) : 0;
}

static sl_status sock_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    sock_src *s = src->impl;
    *out_end = NULL;
    sl_status st = drain(src, err);
    if (st) return st;
    int64_t end = s->base + (int64_t)s->n_lines;
    if (end <= parse_offset(start)) return SL_OK;
    char buf[64];
    snprintf(buf, sizeof buf, "{\"offset\":%lld}", (long long)end);
    *out_end = sl_strdup(buf);
    return *out_end ? SL_OK : sl_err_oom(err);
}

static sl_status sock_read(sl_source *src, const char *start, const char *end, sl_emit_fn emit,
                           void *ctx, sl_error *err)
{
    sock_src *s = src->impl;
    int64_t a = parse_offset(start), b = parse_offset(end);
    if (a < s->base)
        return sl_err(err, SL_ERR_IO,
                      "the socket source cannot replay lines %lld.. after a restart (Spark's socket source "
                      "does not support recovery either); use Kafka for exactly-once input",
                      (long long)a);
    if (b > s->base + (int64_t)s->n_lines) b = s->base + (int64_t)s->n_lines;
    sl_lines_start(&s->ln, emit, ctx);
    size_t o = 0; /* the first line over the limit at or after k */
    while (o < s->n_over && s->over[o].line < a) o++;
    for (int64_t k = a; k < b; k++) {
        size_t i = (size_t)(k - s->base);
        size_t from = i ? s->line_end[i - 1] + 1 : 0, to = s->line_end[i];
        sl_status st;
        if (o < s->n_over && s->over[o].line == k) {
            st = sl_lines_add_oversized(&s->ln, s->text.data + from, to - from, s->over[o++].len, err);
        } else {
            if (to > from && s->text.data[to - 1] == '\r') to--;
            st = sl_lines_add(&s->ln, s->text.data + from, to - from, err);
        }
        if (st) return st;
    }
    return sl_lines_flush(&s->ln, err);
}

static void sock_commit(sl_source *src, const char *end)
{
    sock_src *s = src->impl;
    int64_t upto = parse_offset(end) - s->base;
    if (upto <= 0) return;
    if ((size_t)upto > s->n_lines) upto = (int64_t)s->n_lines;
    size_t cut = s->line_end[upto - 1] + 1;
    memmove(s->text.data, s->text.data + cut, s->text.len - cut);
    s->text.len -= cut;
    for (size_t i = (size_t)upto; i < s->n_lines; i++) s->line_end[i - (size_t)upto] = s->line_end[i] - cut;
    s->n_lines -= (size_t)upto;
    s->base += upto;
    size_t gone = 0;
    while (gone < s->n_over && s->over[gone].line < s->base) gone++;
    if (gone) {
        memmove(s->over, s->over + gone, (s->n_over - gone) * sizeof *s->over);
        s->n_over -= gone;
    }
    if (s->skipping) s->skip_at -= cut;
}

static bool sock_exhausted(sl_source *src)
{
    sock_src *s = src->impl;
    return s->eof && s->n_lines == 0;
}

static void sock_close(sl_source *src)
{
    sock_src *s = src->impl;
    if (!s) return;
    if (s->fd >= 0) close(s->fd);
    sl_lines_fini(&s->ln);
    sl_buf_fini(&s->text);
    sl_free(s->line_end);
    sl_free(s->over);
    sl_free(s);
}

const sl_source_ops sl_socket_source_ops = {
    .connector = "socket", .open = sock_open, .plan = sock_plan, .read = sock_read,
    .commit = sock_commit, .exhausted = sock_exhausted, .close = sock_close};
