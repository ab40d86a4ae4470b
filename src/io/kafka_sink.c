/* The Kafka sink (`connector = 'kafka'`): writes a query's rows to a topic.
 *
 * Each row is one message: the output column `key` (if any) is the key, the
 * column `value` (if any) the value, else the row without `key` as a JSON
 * object.  With format = 'json-array' a whole micro-batch becomes one
 * message holding its rows as a JSON array (the reference's consumer reads
 * that), keyed by the first row's `key`.
 *
 * The producer is idempotent (no duplicates from its own retries); commit()
 * flushes and waits for every delivery report, and any failed delivery turns
 * into SL_ERR_KAFKA with the broker's message — never a silent loss.  With
 * 'kafka.transactional' = 'true' each batch is one Kafka transaction whose
 * messages carry headers sluice.txn (the transactional.id) and sluice.batch
 * (the batch id); a restarted sink reads the tail of its topic back with
 * read_committed to find the last batch it committed, and skips a replay of
 * it: exactly-once output for read_committed readers.  (librdkafka 2.0.2's
 * mock cluster commits transactions but does not hide aborted ones from
 * read_committed readers, so there only commits are exact; a real cluster
 * honours aborts.  Its TxnOffsetCommit does not store offsets either, which
 * is why the batch id travels in headers rather than as group offsets.) */
#include "io/connector.h"
#include "io/kafka_common.h"
#include "core/buf.h"
#include "core/mem.h"
#include "format/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { OUT_ROW, OUT_JSON_ARRAY };

typedef struct ksink {
    rd_kafka_t *rk;
    char *topic;
    char *bootstrap;
    int key_col, value_col;
    int out;
    /* The row schema written as JSON: the output without `key`. */
    sl_schema *json_schema;
    int *json_cols;
    sl_buf buf, keybuf;
    int64_t rows_in_array;
    bool have_array_key;
    /* delivery reports, gathered by dr_cb during poll/flush */
    int64_t n_failed;
    char first_error[512];
    /* transactions */
    bool txn, in_txn, skip_batch;
    char *txn_id;               /* transactional.id */
    int64_t batch_id;           /* the batch being written */
    int64_t last_committed;     /* -1: none known */
    int64_t flush_ms;
} ksink;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    ksink *kk = opaque;
    if (!msg->err) return;
    if (kk->n_failed++ == 0)
        snprintf(kk->first_error, sizeof kk->first_error, "%s", rd_kafka_err2str(msg->err));
}

static void ksink_close(sl_sink *snk)
{
    ksink *kk = snk->impl;
    if (!kk) return;
    if (kk->rk) {
        if (kk->in_txn) rd_kafka_abort_transaction(kk->rk, 5000);
        rd_kafka_flush(kk->rk, 5000);
        rd_kafka_destroy(kk->rk);
    }
    sl_free(kk->topic);
    sl_free(kk->bootstrap);
    sl_free(kk->txn_id);
    sl_free(kk->json_cols);
    sl_schema_free(kk->json_schema);
    sl_buf_fini(&kk->buf);
    sl_buf_fini(&kk->keybuf);
    sl_free(kk);
    snk->impl = NULL;
}

static sl_status txn_err(sl_error *err, rd_kafka_error_t *kerror, const char *what)
{
    sl_status st = sl_err(err, SL_ERR_KAFKA, "%s: %s", what, rd_kafka_error_string(kerror));
    if (err) err->retriable = rd_kafka_error_is_retriable(kerror);
    rd_kafka_error_destroy(kerror);
    return st;
}

/* How far back from the end of each partition to look for this sink's last
 * committed batch (other writers' messages may follow ours). */
#define SCAN_BACK 1000

/* Reads the last batch id committed by an earlier run of this sink: the
 * highest `sluice.batch` header among the last messages of each partition
 * written under our transactional id, read with read_committed (so on a
 * real cluster a batch whose transaction aborted does not count). */
static sl_status fetch_last_committed(ksink *kk, const sl_options *o, sl_error *err)
{
    const char *extra[] = {"group.id", kk->txn_id, "enable.auto.commit", "false",
                           "enable.partition.eof", "true", "isolation.level", "read_committed",
                           NULL};
    rd_kafka_conf_t *conf;
    sl_status st = sl_kafka_conf_new(o, kk->bootstrap, extra, &conf, err);
    if (st) return st;
    char errstr[512];
    rd_kafka_t *rkc = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!rkc) {
        rd_kafka_conf_destroy(conf);
        return sl_err(err, SL_ERR_KAFKA, "cannot create a Kafka consumer: %s", errstr);
    }
    kk->last_committed = -1;
    int n_parts = 0;
    st = sl_kafka_partition_count(rkc, kk->topic, 10000, &n_parts, err);
    for (int p = 0; p < n_parts && !st; p++) {
        int64_t lo, hi;
        rd_kafka_resp_err_t kerr =
            rd_kafka_query_watermark_offsets(rkc, kk->topic, p, &lo, &hi, 10000);
        if (kerr) {
            st = sl_kafka_err(err, kerr, "reading the sink topic's offsets");
            break;
        }
        if (hi <= lo) continue;
        rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(parts, kk->topic, p)->offset =
            hi - lo > SCAN_BACK ? hi - SCAN_BACK : lo;
        rd_kafka_assign(rkc, parts);
        rd_kafka_topic_partition_list_destroy(parts);
        int64_t deadline = sl_kafka_now_ms() + kk->flush_ms;
        for (;;) {
            rd_kafka_message_t *msg = rd_kafka_consumer_poll(rkc, 200);
            if (!msg) {
                if (sl_kafka_now_ms() > deadline) {
                    st = sl_err(err, SL_ERR_KAFKA, "timed out reading back topic '%s'", kk->topic);
                    break;
                }
                continue;
            }
            bool eof = msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF && msg->partition == p;
            rd_kafka_headers_t *hdrs;
            if (!msg->err && msg->partition == p && !rd_kafka_message_headers(msg, &hdrs)) {
                const void *tv, *bv;
                size_t tlen, blen;
                if (!rd_kafka_header_get_last(hdrs, "sluice.txn", &tv, &tlen) &&
                    tlen == strlen(kk->txn_id) && !memcmp(tv, kk->txn_id, tlen) &&
                    !rd_kafka_header_get_last(hdrs, "sluice.batch", &bv, &blen) && blen < 24) {
                    char num[24];
                    memcpy(num, bv, blen);
                    num[blen] = '\0';
                    long long id = strtoll(num, NULL, 10);
                    if (id > kk->last_committed) kk->last_committed = id;
                }
            }
            bool done = eof || (!msg->err && msg->partition == p && msg->offset >= hi - 1);
            rd_kafka_message_destroy(msg);
            if (done) break;
        }
        rd_kafka_assign(rkc, NULL);
    }
    rd_kafka_consumer_close(rkc);
    rd_kafka_destroy(rkc);
    return st;
}

static sl_status ksink_open(sl_sink *snk, sl_error *err)
{
    ksink *kk = sl_calloc(1, sizeof *kk);
    if (!kk) return sl_err_oom(err);
    snk->impl = kk;
    sl_buf_init(&kk->buf);
    sl_buf_init(&kk->keybuf);
    kk->last_committed = -1;
    const sl_options *o = &snk->opts;
    sl_status st;

    const char *bs = sl_kafka_bootstrap_get(o);
    if (!bs) return sl_err(err, SL_ERR_CONFIG, "option 'bootstrap.servers' is missing");
    const char *topic = sl_options_get(o, "topic");
    if (!topic) return sl_err(err, SL_ERR_CONFIG, "option 'topic' is missing");
    if (!(kk->bootstrap = sl_strdup(bs)) || !(kk->topic = sl_strdup(topic)))
        return sl_err_oom(err);
    const char *format = sl_options_get_or(o, "format", "json");
    if (!strcasecmp(format, "json-array")) kk->out = OUT_JSON_ARRAY;
    else if (!strcasecmp(format, "json")) kk->out = OUT_ROW;
    else return sl_err(err, SL_ERR_CONFIG, "option 'format': '%s' is not json or json-array", format);
    if ((st = sl_options_get_bool(o, "kafka.transactional", false, &kk->txn, err))) return st;
    int64_t us;
    if ((st = sl_parse_duration(sl_options_get_or(o, "connectTimeout", "10 seconds"), &us, err)))
        return st;
    int64_t connect_ms = us / 1000;
    if ((st = sl_parse_duration(sl_options_get_or(o, "outageTimeout", "10 minutes"), &us, err)))
        return st;
    kk->flush_ms = us / 1000;

    kk->key_col = sl_schema_find(snk->schema, "key");
    kk->value_col = sl_schema_find(snk->schema, "value");
    if (kk->key_col >= 0 && snk->schema->fields[kk->key_col].type != SL_TYPE_STRING)
        return sl_err(err, SL_ERR_CONFIG, "output column 'key' must be STRING (CAST it)");
    if (kk->value_col >= 0 && snk->schema->fields[kk->value_col].type != SL_TYPE_STRING)
        return sl_err(err, SL_ERR_CONFIG, "output column 'value' must be STRING (CAST it)");
    if (kk->value_col < 0 || kk->out == OUT_JSON_ARRAY) {
        int n = snk->schema->n - (kk->key_col >= 0);
        if (!(kk->json_schema = sl_schema_new(n)) ||
            !(kk->json_cols = sl_calloc((size_t)n + 1, sizeof(int))))
            return sl_err_oom(err);
        for (int i = 0, j = 0; i < snk->schema->n; i++) {
            if (i == kk->key_col) continue;
            if (sl_schema_set(kk->json_schema, j, snk->schema->fields[i].name,
                              snk->schema->fields[i].type))
                return sl_err_oom(err);
            kk->json_cols[j++] = i;
        }
    }

    char txid[300];
    const char *tid = sl_options_get(o, "transactional.id");
    if (!tid) tid = sl_options_get(o, "kafka.transactional.id");
    if (kk->txn && !tid) {
        snprintf(txid, sizeof txid, "sluice-%s-%s", snk->name ? snk->name : "sink", topic);
        tid = txid;
    }
    const char *extra[] = {
        "enable.idempotence", "true",
        "linger.ms", "5",
        kk->txn ? "transactional.id" : NULL, tid,
        NULL};
    rd_kafka_conf_t *conf;
    if ((st = sl_kafka_conf_new(o, kk->bootstrap, extra, &conf, err))) return st;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, kk);
    char errstr[512];
    kk->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!kk->rk) {
        rd_kafka_conf_destroy(conf);
        return sl_err(err, SL_ERR_KAFKA, "cannot create a Kafka producer: %s", errstr);
    }
    if ((st = sl_kafka_wait_broker(kk->rk, kk->bootstrap, connect_ms, err))) return st;
    if (kk->txn) {
        if (!(kk->txn_id = sl_strdup(tid))) return sl_err_oom(err);
        rd_kafka_error_t *kerror = rd_kafka_init_transactions(kk->rk, (int)connect_ms);
        if (kerror) return txn_err(err, kerror, "init_transactions");
        if ((st = fetch_last_committed(kk, o, err))) return st;
    }
    return SL_OK;
}

static sl_status ksink_begin(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    ksink *kk = snk->impl;
    kk->n_failed = 0;
    kk->first_error[0] = '\0';
    kk->rows_in_array = 0;
    kk->have_array_key = false;
    sl_buf_reset(&kk->buf);
    sl_buf_reset(&kk->keybuf);
    kk->batch_id = batch_id;
    kk->skip_batch = kk->txn && batch_id <= kk->last_committed;
    if (kk->txn && !kk->skip_batch) {
        rd_kafka_error_t *kerror = rd_kafka_begin_transaction(kk->rk);
        if (kerror) return txn_err(err, kerror, "begin_transaction");
        kk->in_txn = true;
    }
    return SL_OK;
}

static sl_status produce(ksink *kk, const char *key, size_t key_len, const char *val,
                         size_t val_len, sl_error *err)
{
    for (;;) {
        rd_kafka_resp_err_t kerr;
        if (kk->txn) {
            /* Tags that let a restarted sink find its last committed batch. */
            char num[24];
            snprintf(num, sizeof num, "%lld", (long long)kk->batch_id);
            kerr = rd_kafka_producev(
                kk->rk, RD_KAFKA_V_TOPIC(kk->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
                RD_KAFKA_V_HEADER("sluice.txn", kk->txn_id, -1),
                RD_KAFKA_V_HEADER("sluice.batch", num, -1), RD_KAFKA_V_END);
        } else {
            kerr = rd_kafka_producev(
                kk->rk, RD_KAFKA_V_TOPIC(kk->topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_VALUE((void *)val, val_len),
                RD_KAFKA_V_END);
        }
        if (!kerr) break;
        /* A full local queue (e.g. while the broker is down): wait for room. */
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) return sl_kafka_err(err, kerr, "produce");
        rd_kafka_poll(kk->rk, 100);
        if (kk->n_failed) break;
    }
    rd_kafka_poll(kk->rk, 0);
    return SL_OK;
}

/* The row as a JSON object, without the key column. */
static void json_row(ksink *kk, const sl_batch *b, int64_t row, sl_buf *out)
{
    sl_batch view = {.refs = 1, .n_cols = kk->json_schema->n, .n_rows = b->n_rows};
    sl_col *cols[kk->json_schema->n > 0 ? kk->json_schema->n : 1];
    for (int j = 0; j < kk->json_schema->n; j++) cols[j] = b->cols[kk->json_cols[j]];
    view.cols = cols;
    sl_format_json_row(&view, kk->json_schema, row, out);
}

static sl_status ksink_write(sl_sink *snk, sl_batch *b, sl_error *err)
{
    ksink *kk = snk->impl;
    if (kk->skip_batch) return SL_OK;
    for (int64_t r = 0; r < b->n_rows; r++) {
        const char *key = NULL;
        size_t key_len = 0;
        if (kk->key_col >= 0 && !sl_col_is_null(b->cols[kk->key_col], r))
            key = sl_col_str(b->cols[kk->key_col], r, &key_len);
        if (kk->out == OUT_JSON_ARRAY) {
            if (!kk->have_array_key) {
                kk->have_array_key = true;
                if (key) {
                    sl_buf_append(&kk->keybuf, key, key_len);
                    sl_buf_putc(&kk->keybuf, '\0');
                }
            }
            sl_buf_putc(&kk->buf, kk->rows_in_array++ ? ',' : '[');
            json_row(kk, b, r, &kk->buf);
            if (kk->buf.oom) return sl_err_oom(err);
            continue;
        }
        sl_status st;
        if (kk->value_col >= 0) {
            const sl_col *vc = b->cols[kk->value_col];
            size_t vlen = 0;
            const char *v = sl_col_is_null(vc, r) ? NULL : sl_col_str(vc, r, &vlen);
            st = produce(kk, key, key_len, v, vlen, err);
        } else {
            sl_buf_reset(&kk->buf);
            json_row(kk, b, r, &kk->buf);
            if (kk->buf.oom) return sl_err_oom(err);
            st = produce(kk, key, key_len, kk->buf.data, kk->buf.len, err);
        }
        if (st) return st;
    }
    if (kk->n_failed)
        return sl_err(err, SL_ERR_KAFKA, "delivery to topic '%s' failed: %s", kk->topic,
                      kk->first_error);
    return SL_OK;
}

static sl_status ksink_commit(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    ksink *kk = snk->impl;
    sl_status st = SL_OK;
    if (kk->skip_batch) return SL_OK;
    if (kk->out == OUT_JSON_ARRAY && kk->rows_in_array) {
        sl_buf_putc(&kk->buf, ']');
        if (kk->buf.oom || kk->keybuf.oom) return sl_err_oom(err);
        size_t klen = kk->keybuf.len ? kk->keybuf.len - 1 : 0;
        st = produce(kk, kk->keybuf.len ? kk->keybuf.data : NULL, klen, kk->buf.data,
                     kk->buf.len, err);
        kk->rows_in_array = 0;
        if (st) return st;
    }
    if (kk->txn) {
        rd_kafka_error_t *kerror = NULL;
        if (!kerror) kerror = rd_kafka_commit_transaction(kk->rk, (int)kk->flush_ms);
        if (kerror) {
            st = txn_err(err, kerror, "commit_transaction");
            rd_kafka_error_t *e2 = rd_kafka_abort_transaction(kk->rk, 10000);
            if (e2) rd_kafka_error_destroy(e2);
            kk->in_txn = false;
            return st;
        }
        kk->in_txn = false;
        kk->last_committed = batch_id;
    } else {
        rd_kafka_resp_err_t kerr = rd_kafka_flush(kk->rk, (int)kk->flush_ms);
        if (kerr == RD_KAFKA_RESP_ERR__TIMED_OUT)
            return sl_err(err, SL_ERR_KAFKA,
                          "topic '%s': %d messages still undelivered after %lld ms",
                          kk->topic, rd_kafka_outq_len(kk->rk), (long long)kk->flush_ms);
    }
    if (kk->n_failed)
        return sl_err(err, SL_ERR_KAFKA, "delivery of %lld message(s) to topic '%s' failed: %s",
                      (long long)kk->n_failed, kk->topic, kk->first_error);
    return SL_OK;
}

static const char *ksink_at_least_once(const sl_sink *snk)
{
    const ksink *kk = snk->impl;
    return kk->txn ? NULL
                   : "the Kafka sink is at-least-once: a re-run batch may have been delivered before "
                     "(set 'kafka.transactional' = 'true' for exactly-once)";
}

const sl_sink_ops sl_kafka_sink_ops = {
    .connector = "kafka",
    .at_least_once = ksink_at_least_once,
    .open = ksink_open,
    .begin = ksink_begin,
    .write = ksink_write,
    .commit = ksink_commit,
    .close = ksink_close,
};
