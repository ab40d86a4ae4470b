/* The Kafka tools behind `sluice broker`, `sluice produce` and `sluice
 * consume`: an embedded broker (librdkafka's mock cluster on loopback), the
 * reference's Step 1 producer generalised (CSV or JSON lines replayed into
 * topics in batches of whole ID groups, optionally stamped with the send
 * time), and a consumer that hands each message of a topic to a callback.
 * They sit beside the source and sink, not in the query's data flow. */
#include "sluice.h"
#include "io/kafka_common.h"
#include "core/buf.h"
#include "core/jdoc.h"
#include "core/mem.h"

#include <librdkafka/rdkafka_mock.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- broker -------------------------------------------------------------- */

/* A fixed bootstrap port (sl_kafka_broker_listen): librdkafka 2.0.2's mock
 * brokers listen on ports the system picks, so a forwarder on the wanted
 * port relays bootstrap connections to broker 1.  Clients learn the
 * brokers' real addresses from the metadata and connect there directly; the
 * forwarder only carries the first few requests. */
#define MAX_RELAYS 64

typedef struct relay {
    int a, b;    /* client side, broker side; -1 when unused */
} relay;

struct sl_kafka_broker {
    rd_kafka_t *rk;                   /* the handle that owns the cluster */
    rd_kafka_mock_cluster_t *mcluster;
    int listen_fd;                    /* -1: no fixed port */
    int wake[2];                      /* a pipe that stops the forwarder */
    pthread_t thread;
    bool running;
    struct sockaddr_in target;
    relay relays[MAX_RELAYS];
    char *fixed_bootstrap;
};

SL_EXPORT sl_status sl_kafka_broker_new(int n_brokers, sl_kafka_broker **out_kb, sl_error *err)
{
    *out_kb = NULL;
    if (n_brokers < 1) return sl_err(err, SL_ERR_CONFIG, "a cluster needs at least one broker");
    sl_kafka_broker *kb = sl_calloc(1, sizeof *kb);
    if (!kb) return sl_err_oom(err);
    char n[16];
    snprintf(n, sizeof n, "%d", n_brokers);
    /* The mock cluster lives inside a client handle; a producer that never
     * produces is the lightest one. */
    const char *extra[] = {"test.mock.num.brokers", n, NULL};
    rd_kafka_conf_t *conf;
    sl_status st = sl_kafka_conf_new(NULL, NULL, extra, &conf, err);
    if (st) {
        sl_free(kb);
        return st;
    }
    char errstr[512];
    kb->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!kb->rk) {
        rd_kafka_conf_destroy(conf);
        sl_free(kb);
        return sl_err(err, SL_ERR_KAFKA, "cannot start the mock cluster: %s", errstr);
    }
    kb->listen_fd = -1;
    kb->wake[0] = kb->wake[1] = -1;
    kb->mcluster = rd_kafka_handle_mock_cluster(kb->rk);
    if (!kb->mcluster) {
        sl_kafka_broker_free(kb);
        return sl_err(err, SL_ERR_KAFKA, "librdkafka did not create a mock cluster");
    }
    *out_kb = kb;
    return SL_OK;
}

static void relay_close(relay *r)
{
    if (r->a >= 0) close(r->a);
    if (r->b >= 0) close(r->b);
    r->a = r->b = -1;
}

/* Copies what is readable on `from` to `to`; false when either side ended. */
static bool relay_pump(int from, int to)
{
    char buf[65536];
    ssize_t n = read(from, buf, sizeof buf);
    if (n <= 0) return false;
    for (ssize_t off = 0; off < n;) {
        ssize_t w = write(to, buf + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        off += w;
    }
    return true;
}

static void *forwarder(void *arg)
{
    sl_kafka_broker *kb = arg;
    struct pollfd pfd[2 + 2 * MAX_RELAYS];
    for (;;) {
        int n = 0;
        pfd[n++] = (struct pollfd){kb->wake[0], POLLIN, 0};
        pfd[n++] = (struct pollfd){kb->listen_fd, POLLIN, 0};
        for (int i = 0; i < MAX_RELAYS; i++) {
            pfd[n++] = (struct pollfd){kb->relays[i].a, POLLIN, 0};   /* fd -1 is ignored */
            pfd[n++] = (struct pollfd){kb->relays[i].b, POLLIN, 0};
        }
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (pfd[0].revents) break;
        if (pfd[1].revents & POLLIN) {
            int c = accept(kb->listen_fd, NULL, NULL);
            int slot = -1;
            for (int i = 0; i < MAX_RELAYS && slot < 0; i++)
                if (kb->relays[i].a < 0) slot = i;
            int t = c >= 0 && slot >= 0 ? socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
            if (t >= 0 && connect(t, (struct sockaddr *)&kb->target, sizeof kb->target) == 0) {
                kb->relays[slot] = (relay){c, t};
            } else {
                if (t >= 0) close(t);
                if (c >= 0) close(c);
            }
        }
        for (int i = 0; i < MAX_RELAYS; i++) {
            relay *r = &kb->relays[i];
            short ra = pfd[2 + 2 * i].revents, rb = pfd[3 + 2 * i].revents;
            if (r->a < 0) continue;
            bool ok = true;
            if (ra) ok = relay_pump(r->a, r->b);
            if (ok && rb) ok = relay_pump(r->b, r->a);
            if (!ok) relay_close(r);
        }
    }
    for (int i = 0; i < MAX_RELAYS; i++) relay_close(&kb->relays[i]);
    return NULL;
}

SL_EXPORT sl_status sl_kafka_broker_listen(sl_kafka_broker *kb, int port, sl_error *err)
{
    if (kb->listen_fd >= 0) return sl_err(err, SL_ERR_CONFIG, "the broker already has a fixed port");
    if (port < 1 || port > 65535) return sl_err(err, SL_ERR_CONFIG, "bad port %d", port);
    /* broker 1's address: the first entry of the bootstrap list */
    const char *bs = sl_kafka_broker_bootstraps(kb);
    const char *colon = strchr(bs, ':');
    if (!colon) return sl_err(err, SL_ERR_INTERNAL, "unexpected bootstrap list '%s'", bs);
    memset(&kb->target, 0, sizeof kb->target);
    kb->target.sin_family = AF_INET;
    kb->target.sin_port = htons((uint16_t)atoi(colon + 1));
    kb->target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < MAX_RELAYS; i++) kb->relays[i] = (relay){-1, -1};

    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return sl_err(err, SL_ERR_IO, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 16)) {
        sl_status st = sl_err(err, SL_ERR_IO, "cannot listen on 127.0.0.1:%d: %s", port,
                              strerror(errno));
        close(fd);
        return st;
    }
    if (pipe2(kb->wake, O_CLOEXEC)) {
        close(fd);
        return sl_err(err, SL_ERR_IO, "pipe: %s", strerror(errno));
    }
    char text[64];
    snprintf(text, sizeof text, "127.0.0.1:%d", port);
    if (!(kb->fixed_bootstrap = sl_strdup(text))) {
        close(fd);
        return sl_err_oom(err);
    }
    kb->listen_fd = fd;
    if (pthread_create(&kb->thread, NULL, forwarder, kb)) {
        close(fd);
        kb->listen_fd = -1;
        return sl_err(err, SL_ERR_IO, "cannot start the port forwarder");
    }
    kb->running = true;
    return SL_OK;
}

SL_EXPORT void sl_kafka_broker_free(sl_kafka_broker *kb)
{
    if (!kb) return;
    if (kb->running) {
        if (write(kb->wake[1], "x", 1) < 0) { /* the thread also ends on close */ }
        pthread_join(kb->thread, NULL);
    }
    if (kb->listen_fd >= 0) close(kb->listen_fd);
    if (kb->wake[0] >= 0) close(kb->wake[0]);
    if (kb->wake[1] >= 0) close(kb->wake[1]);
    sl_free(kb->fixed_bootstrap);
    if (kb->rk) rd_kafka_destroy(kb->rk);
    sl_free(kb);
}

SL_EXPORT const char *sl_kafka_broker_bootstraps(const sl_kafka_broker *kb)
{
    return kb->fixed_bootstrap ? kb->fixed_bootstrap
                               : rd_kafka_mock_cluster_bootstraps(kb->mcluster);
}

SL_EXPORT sl_status sl_kafka_broker_create_topics(sl_kafka_broker *kb, const char *spec,
                                                  sl_error *err)
{
    const char *p = spec;
    while (*p) {
        while (*p == ',' || *p == ' ') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        char item[512];
        size_t len = (size_t)(e - p);
        if (len >= sizeof item) return sl_err(err, SL_ERR_CONFIG, "topic name too long");
        memcpy(item, p, len);
        item[len] = '\0';
        int parts = 1;
        char *colon = strrchr(item, ':');
        if (colon) {
            char *end;
            long v = strtol(colon + 1, &end, 10);
            if (*end || v < 1 || v > 100000)
                return sl_err(err, SL_ERR_CONFIG, "topic '%s': bad partition count", item);
            parts = (int)v;
            *colon = '\0';
        }
        if (!item[0]) return sl_err(err, SL_ERR_CONFIG, "empty topic name in '%s'", spec);
        rd_kafka_resp_err_t kerr = rd_kafka_mock_topic_create(kb->mcluster, item, parts, 1);
        if (kerr) return sl_kafka_err(err, kerr, item);
        p = e;
    }
    return SL_OK;
}

SL_EXPORT sl_status sl_kafka_broker_set_down(sl_kafka_broker *kb, int down, sl_error *err)
{
    rd_kafka_resp_err_t kerr = down ? rd_kafka_mock_broker_set_down(kb->mcluster, -1)
                                    : rd_kafka_mock_broker_set_up(kb->mcluster, -1);
    if (kerr) return sl_kafka_err(err, kerr, down ? "broker down" : "broker up");
    return SL_OK;
}

/* ---- producer ------------------------------------------------------------ */

SL_EXPORT void sl_kafka_produce_opts_init(sl_kafka_produce_opts *po)
{
    memset(po, 0, sizeof *po);
    po->format = "json";
    po->batch_min = po->batch_max = 1;
    po->seed = 42;
    po->connect_timeout_ms = 10000;
}

/* One input row: its JSON object text (without the closing brace, so a
 * `ts` member can be added at send time) and its group id. */
typedef struct prow {
    char *json;      /* "{…" without the final "}" */
    size_t json_len;
    char *id;        /* group-by value as text, or NULL */
} prow;

typedef struct pinput {
    const char *topic;
    int n_parts;     /* the topic's partitions, written round-robin */
    int next_part;
    prow *rows;
    size_t n, cap;
    size_t next;     /* the next row to send */
} pinput;

static void pinput_fini(pinput *in)
{
    for (size_t i = 0; i < in->n; i++) {
        sl_free(in->rows[i].json);
        sl_free(in->rows[i].id);
    }
    sl_free(in->rows);
}

static sl_status read_all(const char *path, sl_buf *out, sl_error *err)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f) return sl_err(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) sl_buf_append(out, chunk, n);
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (bad) return sl_err(err, SL_ERR_IO, "%s: read error", path);
    if (out->oom) return sl_err_oom(err);
    return SL_OK;
}

static sl_status add_row(pinput *in, sl_buf *json, const char *id, size_t id_len, sl_error *err)
{
    if (sl_grow((void **)&in->rows, &in->cap, in->n + 1, sizeof *in->rows)) return sl_err_oom(err);
    prow *r = &in->rows[in->n];
    r->json_len = json->len;
    r->json = sl_strndup(json->data ? json->data : "", json->len);
    r->id = id ? sl_strndup(id, id_len) : NULL;
    if (!r->json || (id && !r->id)) {
        sl_free(r->json);
        sl_free(r->id);
        return sl_err_oom(err);
    }
    in->n++;
    return SL_OK;
}

/* Splits CSV text (RFC 4180 quoting, "" inside quotes) into fields, one
 * record per call: the fields go NUL-terminated, back to back, into
 * `fields`, their starts into offs; returns false at the end of the text. */
static bool csv_record(const char **pp, const char *end, sl_buf *fields, int *out_n,
                       size_t *offs, int max_fields)
{
    const char *p = *pp;
    if (p >= end) return false;
    sl_buf_reset(fields);
    int n = 0;
    for (;;) {
        if (n < max_fields) offs[n] = fields->len;
        n++;
        if (p < end && *p == '"') {
            p++;
            while (p < end) {
                if (*p == '"') {
                    if (p + 1 < end && p[1] == '"') {
                        sl_buf_putc(fields, '"');
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                sl_buf_putc(fields, *p++);
            }
        }
        while (p < end && *p != ',' && *p != '\n' && *p != '\r') sl_buf_putc(fields, *p++);
        sl_buf_putc(fields, '\0');
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '\r') p++;
        if (p < end && *p == '\n') p++;
        break;
    }
    *pp = p;
    *out_n = n;
    return true;
}

#define MAX_FIELDS 1024

static sl_status load_csv(pinput *in, const char *text, size_t len, const char *group_by,
                          sl_error *err)
{
    const char *p = text, *end = text + len;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3;   /* a UTF-8 BOM */
    sl_buf hdr, fields, json;
    sl_buf_init(&hdr);
    sl_buf_init(&fields);
    sl_buf_init(&json);
    size_t *hoff = sl_calloc(MAX_FIELDS, sizeof *hoff);
    size_t *foff = sl_calloc(MAX_FIELDS, sizeof *foff);
    sl_status st = SL_OK;
    int nh = 0, nf, gcol = -1;
    if (!hoff || !foff) {
        st = sl_err_oom(err);
        goto out;
    }
    if (!csv_record(&p, end, &hdr, &nh, hoff, MAX_FIELDS)) goto out;
    if (nh > MAX_FIELDS) {
        st = sl_err(err, SL_ERR_FORMAT, "more than %d columns", MAX_FIELDS);
        goto out;
    }
    for (int i = 0; i < nh && group_by; i++)
        if (!strcmp(hdr.data + hoff[i], group_by)) {
            gcol = i;
            break;
        }
    if (group_by && gcol < 0) {
        st = sl_err(err, SL_ERR_CONFIG, "--group-by: no column '%s' in the header", group_by);
        goto out;
    }
    while (!st && csv_record(&p, end, &fields, &nf, foff, MAX_FIELDS)) {
        if (nf == 1 && fields.data[0] == '\0') continue;   /* blank line */
        sl_buf_reset(&json);
        sl_buf_putc(&json, '{');
        for (int i = 0; i < nh; i++) {
            if (i) sl_buf_putc(&json, ',');
            const char *name = hdr.data + hoff[i];
            sl_buf_json_str(&json, name, strlen(name));
            sl_buf_putc(&json, ':');
            if (i < nf && i < MAX_FIELDS) {
                const char *v = fields.data + foff[i];
                sl_buf_json_str(&json, v, strlen(v));
            } else {
                sl_buf_puts(&json, "null");
            }
        }
        if (json.oom) {
            st = sl_err_oom(err);
            break;
        }
        const char *id = gcol >= 0 && gcol < nf ? fields.data + foff[gcol] : NULL;
        st = add_row(in, &json, id, id ? strlen(id) : 0, err);
    }
out:
    sl_free(hoff);
    sl_free(foff);
    sl_buf_fini(&hdr);
    sl_buf_fini(&fields);
    sl_buf_fini(&json);
    return st;
}

static sl_status load_jsonl(pinput *in, const char *text, size_t len, const char *group_by,
                            const char *path, sl_error *err)
{
    const char *p = text, *end = text + len;
    sl_buf json, idbuf;
    sl_buf_init(&json);
    sl_buf_init(&idbuf);
    sl_status st = SL_OK;
    int line = 0;
    while (!st && p < end) {
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e) e = end;
        line++;
        const char *a = p, *b = e;
        p = e + 1;
        while (a < b && (*a == ' ' || *a == '\t' || *a == '\r')) a++;
        while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r')) b--;
        if (a == b) continue;
        if (*a != '{' || b[-1] != '}') {
            st = sl_err(err, SL_ERR_FORMAT, "%s:%d: not a JSON object", path, line);
            break;
        }
        const char *id = NULL;
        size_t id_len = 0;
        sl_jdoc *doc = NULL;
        if (group_by) {
            if ((st = sl_jdoc_parse(a, (size_t)(b - a), &doc, err))) {
                sl_err_prefix(err, "%s:%d", path, line);
                break;
            }
            const sl_jval *v = sl_jval_get(doc->root, group_by);
            sl_buf_reset(&idbuf);
            if (v && v->type == SL_JSTR) sl_buf_append(&idbuf, v->str, v->str_len);
            else if (v && v->type == SL_JNUM && v->is_int) sl_buf_printf(&idbuf, "%lld", (long long)v->i);
            else if (v && v->type == SL_JNUM) sl_buf_printf(&idbuf, "%.17g", v->num);
            if (idbuf.len) {
                id = idbuf.data;
                id_len = idbuf.len;
            }
        }
        sl_buf_reset(&json);
        sl_buf_append(&json, a, (size_t)(b - a - 1));   /* without the '}' */
        if (json.oom) st = sl_err_oom(err);
        else st = add_row(in, &json, id, id_len, err);
        sl_jdoc_free(doc);
    }
    sl_buf_fini(&json);
    sl_buf_fini(&idbuf);
    return st;
}

static sl_status load_input(pinput *in, const char *path, const char *group_by, sl_error *err)
{
    sl_buf text;
    sl_buf_init(&text);
    sl_status st = read_all(path, &text, err);
    if (!st) {
        /* CSV by extension, or when the first character cannot start a
         * JSON object. */
        size_t len = strlen(path);
        const char *d = text.data ? text.data : "";
        while (*d == ' ' || *d == '\n' || *d == '\r' || *d == '\t') d++;
        bool csv = (len > 4 && !strcasecmp(path + len - 4, ".csv")) || (*d && *d != '{');
        if (csv) {
            st = load_csv(in, text.data ? text.data : "", text.len, group_by, err);
        } else {
            st = load_jsonl(in, text.data ? text.data : "", text.len, group_by, path, err);
        }
        if (st) sl_err_prefix(err, "%s", path);
    }
    sl_buf_fini(&text);
    return st;
}

typedef struct pstate {
    int64_t n_failed;
    char first_error[512];
} pstate;

static void produce_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    pstate *ps = opaque;
    if (msg->err && ps->n_failed++ == 0)
        snprintf(ps->first_error, sizeof ps->first_error, "%s", rd_kafka_err2str(msg->err));
}

static uint64_t rng_next(uint64_t *s)
{
    /* splitmix64: small, seedable, good enough to draw batch sizes. */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void sleep_ms(int64_t ms, const volatile int *stop)
{
    while (ms > 0 && !(stop && *stop)) {
        int64_t step = ms > 100 ? 100 : ms;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/* Orders group ids numerically when both are numbers, else as text. */
static int id_cmp(const char *a, const char *b)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb) return x < y ? -1 : x > y;
    return strcmp(a, b);
}

static bool id_in(const char *id, char **ids, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ids[i], id)) return true;
    return false;
}

/* Keyless messages go round-robin over the topic's partitions, starting at
 * partition 0: message k of a run lands in partition k mod n, so a
 * consumer that takes the same number of messages from every partition
 * (the Kafka source's maxOffsetsPerTrigger.split = 'even') reads them in
 * send order. */
static sl_status send_msg(rd_kafka_t *rk, pstate *ps, pinput *in, const char *val,
                          size_t len, sl_error *err)
{
    const char *topic = in->topic;
    int32_t part = RD_KAFKA_PARTITION_UA;
    if (in->n_parts > 0) {
        part = in->next_part;
        in->next_part = (in->next_part + 1) % in->n_parts;
    }
    for (;;) {
        rd_kafka_resp_err_t kerr = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE((void *)val, len), RD_KAFKA_V_END);
        if (!kerr) break;
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) return sl_kafka_err(err, kerr, topic);
        rd_kafka_poll(rk, 100);
    }
    rd_kafka_poll(rk, 0);
    if (ps->n_failed)
        return sl_err(err, SL_ERR_KAFKA, "delivery to '%s' failed: %s", topic, ps->first_error);
    return SL_OK;
}

SL_EXPORT sl_status sl_kafka_produce(const sl_kafka_produce_opts *po, const volatile int *stop,
                                     sl_error *err)
{
    if (!po->bootstrap) return sl_err(err, SL_ERR_CONFIG, "no bootstrap servers given");
    if (po->n_inputs < 1) return sl_err(err, SL_ERR_CONFIG, "no input: give --topic T FILE");
    bool array = po->format && !strcasecmp(po->format, "json-array");
    if (po->format && !array && strcasecmp(po->format, "json"))
        return sl_err(err, SL_ERR_CONFIG, "--format must be json or json-array");
    int bmin = po->batch_min > 0 ? po->batch_min : 1;
    int bmax = po->batch_max >= bmin ? po->batch_max : bmin;

    pstate ps = {0};
    pinput *ins = sl_calloc((size_t)po->n_inputs, sizeof *ins);
    char **ids = sl_calloc((size_t)bmax + 1, sizeof *ids);
    rd_kafka_t *rk = NULL;
    sl_buf msg;
    sl_buf_init(&msg);
    sl_status st = SL_OK;
    if (!ins || !ids) {
        st = sl_err_oom(err);
        goto out;
    }
    for (int i = 0; i < po->n_inputs && !st; i++) {
        ins[i].topic = po->topics[i];
        st = load_input(&ins[i], po->files[i], po->group_by, err);
    }
    if (st) goto out;

    /* Keyless rows spread over the partitions round-robin (send_msg). */
    const char *extra[] = {"enable.idempotence", "true", "linger.ms", "5",
                           "sticky.partitioning.linger.ms", "0", NULL};
    rd_kafka_conf_t *conf;
    if ((st = sl_kafka_conf_new(NULL, po->bootstrap, extra, &conf, err))) goto out;
    rd_kafka_conf_set_dr_msg_cb(conf, produce_dr_cb);
    rd_kafka_conf_set_opaque(conf, &ps);
    char errstr[512];
    if (!(rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr))) {
        rd_kafka_conf_destroy(conf);
        st = sl_err(err, SL_ERR_KAFKA, "cannot create a Kafka producer: %s", errstr);
        goto out;
    }
    if ((st = sl_kafka_wait_broker(rk, po->bootstrap, po->connect_timeout_ms, err))) goto out;
    /* 0 (unknown, e.g. a topic the broker creates on first use): librdkafka
     * picks the partition. */
    for (int i = 0; i < po->n_inputs && !st; i++)
        st = sl_kafka_partition_count(rk, ins[i].topic, 10000, &ins[i].n_parts, err);
    if (st) goto out;

    uint64_t rng = po->seed;
    int64_t batches = 0, messages = 0, rows = 0;
    int64_t t0 = sl_kafka_now_ms();
    while (!st && !(stop && *stop) && (!po->max_batches || batches < po->max_batches)) {
        pinput *lead = &ins[0];
        if (lead->next >= lead->n) {
            if (!po->loop || lead->n == 0) break;
            for (int i = 0; i < po->n_inputs; i++) ins[i].next = 0;
        }
        int want = bmin + (int)(rng_next(&rng) % (uint64_t)(bmax - bmin + 1));
        /* The lead input decides the batch: `want` rows, or `want` ID groups. */
        int n_ids = 0;
        size_t lead_end = lead->next;
        if (po->group_by) {
            while (lead_end < lead->n) {
                const char *id = lead->rows[lead_end].id ? lead->rows[lead_end].id : "";
                if (!n_ids || strcmp(ids[n_ids - 1], id)) {
                    if (n_ids == want) break;
                    ids[n_ids++] = (char *)id;
                }
                lead_end++;
            }
        } else {
            lead_end += (size_t)want;
            if (lead_end > lead->n) lead_end = lead->n;
        }
        char ts[32] = "";
        if (po->ts_now) snprintf(ts, sizeof ts, ",\"ts\":%lld", (long long)time(NULL));
        for (int i = 0; i < po->n_inputs && !st; i++) {
            pinput *in = &ins[i];
            size_t from = in->next, to;
            if (i == 0) to = lead_end;
            else if (po->group_by) {
                /* Other inputs follow the same IDs (and anything sorting
                 * before the batch's last ID, so a gap cannot stall them). */
                to = from;
                while (to < in->n && n_ids) {
                    const char *id = in->rows[to].id ? in->rows[to].id : "";
                    if (!id_in(id, ids, n_ids) && id_cmp(id, ids[n_ids - 1]) > 0) break;
                    to++;
                }
            } else {
                to = from + (lead_end - lead->next);
                if (to > in->n) to = in->n;
            }
            sl_buf_reset(&msg);
            for (size_t r = from; r < to && !st; r++) {
                prow *row = &in->rows[r];
                if (array) sl_buf_putc(&msg, r == from ? '[' : ',');
                else sl_buf_reset(&msg);
                sl_buf_append(&msg, row->json, row->json_len);
                sl_buf_puts(&msg, ts);
                sl_buf_putc(&msg, '}');
                if (msg.oom) st = sl_err_oom(err);
                else if (!array) {
                    st = send_msg(rk, &ps, in, msg.data, msg.len, err);
                    messages++;
                    if (po->rate > 0) {
                        int64_t due = t0 + (int64_t)((double)messages * 1000.0 / po->rate);
                        sleep_ms(due - sl_kafka_now_ms(), stop);
                    }
                }
                rows++;
            }
            if (!st && array && to > from) {
                sl_buf_putc(&msg, ']');
                if (msg.oom) st = sl_err_oom(err);
                else st = send_msg(rk, &ps, in, msg.data, msg.len, err);
                messages++;
                if (po->rate > 0) {
                    int64_t due = t0 + (int64_t)((double)messages * 1000.0 / po->rate);
                    sleep_ms(due - sl_kafka_now_ms(), stop);
                }
            }
            in->next = to;
        }
        batches++;
        if (po->progress) po->progress(batches, messages, rows, po->opaque);
        bool more = po->loop || ins[0].next < ins[0].n;
        if (po->max_batches && batches >= po->max_batches) more = false;
        if (!st && more && po->interval_ms > 0) {
            /* Deliver before pausing, so a consumer sees whole batches. */
            rd_kafka_flush(rk, 10000);
            sleep_ms(po->interval_ms, stop);
        }
    }
    if (!st) {
        rd_kafka_resp_err_t kerr = rd_kafka_flush(rk, 60000);
        if (kerr) st = sl_kafka_err(err, kerr, "waiting for deliveries");
        else if (ps.n_failed)
            st = sl_err(err, SL_ERR_KAFKA, "%lld message(s) were not delivered: %s",
                        (long long)ps.n_failed, ps.first_error);
    }
out:
    if (rk) rd_kafka_destroy(rk);
    for (int i = 0; ins && i < po->n_inputs; i++) pinput_fini(&ins[i]);
    sl_free(ins);
    sl_free(ids);
    sl_buf_fini(&msg);
    return st;
}

/* ---- consumer ------------------------------------------------------------ */

SL_EXPORT sl_status sl_kafka_consume(const sl_kafka_consume_opts *co, sl_kafka_msg_cb cb,
                                     void *opaque, const volatile int *stop, sl_error *err)
{
    if (!co->bootstrap) return sl_err(err, SL_ERR_CONFIG, "no bootstrap servers given");
    if (!co->topic) return sl_err(err, SL_ERR_CONFIG, "no topic given");
    char group[64];
    snprintf(group, sizeof group, "sluice-consume-%ld", (long)getpid());
    const char *extra[] = {"group.id", group, "enable.auto.commit", "false",
                           "enable.partition.eof", "false", NULL};
    rd_kafka_conf_t *conf;
    sl_status st = sl_kafka_conf_new(NULL, co->bootstrap, extra, &conf, err);
    if (st) return st;
    char errstr[512];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return sl_err(err, SL_ERR_KAFKA, "cannot create a Kafka consumer: %s", errstr);
    }
    int64_t connect_ms = co->connect_timeout_ms > 0 ? co->connect_timeout_ms : 10000;
    int n_parts = 0;
    if (!(st = sl_kafka_wait_broker(rk, co->bootstrap, connect_ms, err)))
        st = sl_kafka_partition_count(rk, co->topic, 5000, &n_parts, err);
    if (!st && n_parts == 0)
        st = sl_err(err, SL_ERR_KAFKA, "topic '%s' does not exist", co->topic);
    if (!st) {
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n_parts);
        for (int i = 0; i < n_parts; i++)
            rd_kafka_topic_partition_list_add(parts, co->topic, i)->offset =
                co->from_end ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_resp_err_t kerr = rd_kafka_assign(rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        if (kerr) st = sl_kafka_err(err, kerr, "assign");
    }
    int64_t seen = 0, last = sl_kafka_now_ms();
    bool halt = false;
    while (!st && !halt && !(stop && *stop) && (!co->max || seen < co->max)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 100);
        if (!msg) {
            if (co->timeout_ms > 0 && sl_kafka_now_ms() - last >= co->timeout_ms) break;
            continue;
        }
        if (!msg->err) {
            last = sl_kafka_now_ms();
            seen++;
            int64_t ts = rd_kafka_message_timestamp(msg, NULL);
            if (cb(rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset, ts, msg->key,
                   msg->key_len, msg->payload, msg->len, opaque))
                halt = true;
        }
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return st;
}
