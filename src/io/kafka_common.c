/* Kafka plumbing shared by the source, the sink and the tools: librdkafka
 * configuration from WITH options, Spark's per-partition offset JSON, and
 * bounded waits for a broker.  See kafka_common.h. */
#include "io/kafka_common.h"
#include "core/buf.h"
#include "core/mem.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *sl_kafka_bootstrap_get(const sl_options *opts)
{
    const char *bs = sl_options_get(opts, "bootstrap.servers");
    if (!bs) bs = sl_options_get(opts, "kafka.bootstrap.servers");
    return bs;
}

sl_status sl_kafka_conf_set(rd_kafka_conf_t *conf, const char *name,
                            const char *value, sl_error *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return sl_err(err, SL_ERR_CONFIG, "kafka option '%s' = '%s': %s", name, value, errstr);
    return SL_OK;
}

/* Options that carry the 'kafka.' prefix but are sluice's own. */
static bool is_own_option(const char *name)
{
    return !strcasecmp(name, "kafka.bootstrap.servers") ||
           !strcasecmp(name, "kafka.transactional");
}

/* librdkafka logs every failed connection attempt; during a broker outage
 * that is a line per retry.  sluice reports Kafka trouble through its own
 * errors, so the client's log is shown only when SLUICE_KAFKA_LOG is set. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    if (getenv("SLUICE_KAFKA_LOG")) fprintf(stderr, "%%%d|%s|%s| %s\n", level, fac,
                                            rk ? rd_kafka_name(rk) : "", buf);
}

sl_status sl_kafka_conf_new(const sl_options *opts, const char *bootstrap,
                            const char *const *extra, rd_kafka_conf_t **out,
                            sl_error *err)
{
    *out = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) return sl_err_oom(err);
    sl_status st = SL_OK;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    /* After an outage a stream should resume within a second of the
     * broker's return, not after librdkafka's default 10 s backoff. */
    st = sl_kafka_conf_set(conf, "reconnect.backoff.max.ms", "1000", err);
    if (!st && bootstrap) st = sl_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err);
    for (int i = 0; !st && extra && extra[i]; i += 2)
        st = sl_kafka_conf_set(conf, extra[i], extra[i + 1], err);
    for (int i = 0; !st && opts && i < opts->n; i++) {
        const char *name = opts->items[i].name;
        if (strncasecmp(name, "kafka.", 6) != 0 || is_own_option(name)) continue;
        st = sl_kafka_conf_set(conf, name + 6, opts->items[i].value, err);
    }
    if (st) {
        rd_kafka_conf_destroy(conf);
        return st;
    }
    *out = conf;
    return SL_OK;
}

/* ---- offsets ------------------------------------------------------------- */

void sl_kafka_offsets_init(sl_kafka_offsets *o) { memset(o, 0, sizeof *o); }

void sl_kafka_offsets_fini(sl_kafka_offsets *o)
{
    for (int i = 0; i < o->n; i++) sl_free(o->items[i].topic);
    sl_free(o->items);
    memset(o, 0, sizeof *o);
}

static int tp_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb)
{
    int c = strcmp(ta, tb);
    if (c) return c;
    return pa < pb ? -1 : pa > pb;
}

/* Index of the entry, or -(insertion point) - 1. */
static int offsets_search(const sl_kafka_offsets *o, const char *topic, int32_t partition)
{
    int lo = 0, hi = o->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = tp_cmp(o->items[mid].topic, o->items[mid].partition, topic, partition);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid;
    }
    return -lo - 1;
}

sl_kafka_tp *sl_kafka_offsets_find(const sl_kafka_offsets *o, const char *topic,
                                   int32_t partition)
{
    int i = offsets_search(o, topic, partition);
    return i >= 0 ? &o->items[i] : NULL;
}

int sl_kafka_offsets_set(sl_kafka_offsets *o, const char *topic, int32_t partition,
                         int64_t offset)
{
    int i = offsets_search(o, topic, partition);
    if (i >= 0) {
        o->items[i].offset = offset;
        return 0;
    }
    i = -i - 1;
    size_t cap = (size_t)o->cap;
    if (sl_grow((void **)&o->items, &cap, (size_t)o->n + 1, sizeof *o->items)) return -1;
    o->cap = (int)cap;
    char *t = sl_strdup(topic);
    if (!t) return -1;
    memmove(&o->items[i + 1], &o->items[i], (size_t)(o->n - i) * sizeof *o->items);
    o->items[i] = (sl_kafka_tp){t, partition, offset};
    o->n++;
    return 0;
}

typedef struct jscan {
    const char *p, *start;
    sl_error *err;
} jscan;

static void skip_ws(jscan *s)
{
    while (*s->p && isspace((unsigned char)*s->p)) s->p++;
}

static sl_status scan_fail(jscan *s, const char *what)
{
    return sl_err(s->err, SL_ERR_CONFIG, "offsets JSON: %s at character %d",
                  what, (int)(s->p - s->start) + 1);
}

/* A JSON string into buf (escapes \" \\ \/ \b \f \n \r \t; \uXXXX kept
 * only for ASCII, which is all a Kafka topic name may hold). */
static sl_status scan_string(jscan *s, sl_buf *buf)
{
    skip_ws(s);
    if (*s->p != '"') return scan_fail(s, "expected a string");
    s->p++;
    sl_buf_reset(buf);
    while (*s->p && *s->p != '"') {
        char c = *s->p++;
        if (c == '\\') {
            char e = *s->p++;
            switch (e) {
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case 'r': c = '\r'; break;
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'u': {
                char hex[5] = {0};
                for (int i = 0; i < 4; i++) {
                    if (!isxdigit((unsigned char)s->p[i])) return scan_fail(s, "bad \\u escape");
                    hex[i] = s->p[i];
                }
                s->p += 4;
                long v = strtol(hex, NULL, 16);
                if (v <= 0 || v > 127) return scan_fail(s, "non-ASCII \\u escape");
                c = (char)v;
                break;
            }
            case '"': case '\\': case '/': c = e; break;
            default: return scan_fail(s, "bad escape");
            }
        }
        sl_buf_putc(buf, c);
    }
    if (*s->p != '"') return scan_fail(s, "unterminated string");
    s->p++;
    sl_buf_putc(buf, '\0');
    if (buf->oom) return sl_err_oom(s->err);
    return SL_OK;
}

static sl_status scan_char(jscan *s, char c)
{
    skip_ws(s);
    if (*s->p != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return scan_fail(s, what);
    }
    s->p++;
    return SL_OK;
}

static bool scan_peek(jscan *s, char c)
{
    skip_ws(s);
    return *s->p == c;
}

sl_status sl_kafka_offsets_parse(sl_kafka_offsets *o, const char *json, sl_error *err)
{
    jscan s = {json, json, err};
    sl_buf topic, part;
    sl_buf_init(&topic);
    sl_buf_init(&part);
    sl_status st = scan_char(&s, '{');
    bool first_topic = true;
    while (!st && !scan_peek(&s, '}')) {
        if (!first_topic && (st = scan_char(&s, ','))) break;
        first_topic = false;
        if ((st = scan_string(&s, &topic)) || (st = scan_char(&s, ':')) ||
            (st = scan_char(&s, '{')))
            break;
        bool first = true;
        while (!st && !scan_peek(&s, '}')) {
            if (!first && (st = scan_char(&s, ','))) break;
            first = false;
            if ((st = scan_string(&s, &part)) || (st = scan_char(&s, ':'))) break;
            char *end;
            long pn = strtol(part.data, &end, 10);
            if (*end || end == part.data || pn < 0 || pn > INT32_MAX) {
                st = scan_fail(&s, "a partition must be a number");
                break;
            }
            skip_ws(&s);
            long long off = strtoll(s.p, &end, 10);
            if (end == s.p) {
                st = scan_fail(&s, "expected an offset number");
                break;
            }
            s.p = end;
            if (off < SL_KAFKA_OFFSET_EARLIEST) {
                st = scan_fail(&s, "an offset must be >= -2");
                break;
            }
            if (sl_kafka_offsets_set(o, topic.data, (int32_t)pn, off)) st = sl_err_oom(err);
        }
        if (!st) st = scan_char(&s, '}');
    }
    if (!st) st = scan_char(&s, '}');
    if (!st) {
        skip_ws(&s);
        if (*s.p) st = scan_fail(&s, "trailing text");
    }
    sl_buf_fini(&topic);
    sl_buf_fini(&part);
    return st;
}

char *sl_kafka_offsets_json(const sl_kafka_offsets *o)
{
    sl_buf b;
    sl_buf_init(&b);
    sl_buf_putc(&b, '{');
    for (int i = 0; i < o->n; i++) {
        bool new_topic = i == 0 || strcmp(o->items[i - 1].topic, o->items[i].topic);
        if (new_topic) {
            if (i) sl_buf_puts(&b, "},");
            sl_buf_json_str(&b, o->items[i].topic, strlen(o->items[i].topic));
            sl_buf_puts(&b, ":{");
        } else {
            sl_buf_putc(&b, ',');
        }
        sl_buf_printf(&b, "\"%d\":%lld", (int)o->items[i].partition,
                      (long long)o->items[i].offset);
    }
    if (o->n) sl_buf_putc(&b, '}');
    sl_buf_putc(&b, '}');
    return sl_buf_take(&b);
}

/* ---- brokers ------------------------------------------------------------- */

int64_t sl_kafka_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

sl_status sl_kafka_err(sl_error *err, rd_kafka_resp_err_t kerr, const char *what)
{
    sl_status st = sl_err(err, SL_ERR_KAFKA, "%s: %s", what, rd_kafka_err2str(kerr));
    if (err)
        err->retriable = kerr == RD_KAFKA_RESP_ERR__TRANSPORT ||
                         kerr == RD_KAFKA_RESP_ERR__TIMED_OUT ||
                         kerr == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN ||
                         kerr == RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE ||
                         kerr == RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION ||
                         kerr == RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT;
    return st;
}

sl_status sl_kafka_wait_broker(rd_kafka_t *rk, const char *bootstrap,
                               int64_t timeout_ms, sl_error *err)
{
    int64_t deadline = sl_kafka_now_ms() + timeout_ms;
    rd_kafka_resp_err_t kerr;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        int64_t left = deadline - sl_kafka_now_ms();
        if (left < 100) left = 100;
        if (left > 1000) left = 1000;
        kerr = rd_kafka_metadata(rk, 0, NULL, &md, (int)left);
        if (md) rd_kafka_metadata_destroy(md);
        if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) return SL_OK;
        if (sl_kafka_now_ms() >= deadline) break;
    }
    sl_status st = sl_err(err, SL_ERR_KAFKA,
                          "no Kafka broker answered at '%s' within %lld ms (%s); is it "
                          "running? (`sluice broker` starts one)",
                          bootstrap ? bootstrap : "?", (long long)timeout_ms,
                          rd_kafka_err2str(kerr));
    if (err) err->retriable = 1;
    return st;
}

sl_status sl_kafka_partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
                                   int *out_n, sl_error *err)
{
    *out_n = 0;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    if (!rkt) return sl_kafka_err(err, rd_kafka_last_error(), topic);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    rd_kafka_topic_destroy(rkt);
    if (kerr) return sl_kafka_err(err, kerr, "metadata");
    if (md->topic_cnt == 1 && md->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR)
        *out_n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return SL_OK;
}
