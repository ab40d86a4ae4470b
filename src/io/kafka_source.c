/* The Kafka source (`connector = 'kafka'`): reads topics through librdkafka
 * in micro-batches whose ranges sluice tracks itself, as Spark does.
 *
 * plan() asks the brokers for every partition's watermarks (one ListOffsets
 * request per broker for all of them) and returns
 * Spark's offset JSON ({"topic":{"0":42}}), capped by maxOffsetsPerTrigger
 * (split across partitions in proportion to their backlog, as Spark's
 * rateLimit does, or with 'maxOffsetsPerTrigger.split' = 'even' poured over
 * them lowest offset first: see split_even).  read(start, end) assigns one partition at a time at its
 * start offset and consumes exactly [start, end), so a replayed batch yields
 * the same records in the same order (topic, partition, offset).  No
 * consumer-group offsets are committed: the driver's offset log is the truth.
 *
 * The declared columns key, value, topic, partition, offset, timestamp and
 * timestampType come from message metadata; with format 'json' or 'csv' the
 * other columns are parsed from the value by format.h (a JSON array value
 * becomes several rows, each carrying the message's metadata).  A broker
 * outage is waited for (option outageTimeout, default 10 minutes): librdkafka
 * reconnects by itself and the batch goes on where it stopped. */
#include "io/connector.h"
#include "io/kafka_common.h"
#include "core/mem.h"
#include "format/format.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum { META_KEY, META_VALUE, META_TOPIC, META_PARTITION, META_OFFSET, META_TIMESTAMP,
       META_TIMESTAMP_TYPE, N_META };
static const char *const meta_names[N_META] = {"key", "value", "topic", "partition",
                                               "offset", "timestamp", "timestampType"};

enum { START_EARLIEST, START_LATEST, START_JSON };

/* readAhead.maxBytes unless set. */
#define READ_AHEAD_DEFAULT ((int64_t)64 << 20)

/* A message fetched past the end of the batch that wanted it, copied out of
 * librdkafka (whose messages pin their whole fetch response), for a later
 * batch. */
typedef struct kept_msg {
    int64_t offset, ts;
    rd_kafka_timestamp_type_t tstype;
    char *buf;                  /* key_len bytes of key, then len of value */
    size_t key_len, len;
    bool has_key, has_value;    /* false: NULL (not empty) */
} kept_msg;

/* One partition's kept messages: every message of [lo, hi) that exists,
 * in offset order, msgs[head..n). */
typedef struct kept_part {
    char *topic;
    int32_t partition;
    int64_t lo, hi;
    bool open;                  /* false once the budget stopped the run */
    kept_msg *msgs;
    int head, n, cap;
} kept_part;

typedef struct ksrc {
    rd_kafka_t *rk;
    char *bootstrap;
    char **topics;            /* subscribe */
    int n_topics;
    pcre2_code *pattern;      /* subscribePattern */
    pcre2_match_data *md;
    int starting;
    sl_kafka_offsets starting_json;
    sl_kafka_offsets initial;   /* startingOffsets resolved at the first plan */
    bool have_initial;
    int64_t max_per_trigger;    /* 0: no cap; default SL_KAFKA_DEFAULT_MAX_OFFSETS */
    bool split_even;            /* maxOffsetsPerTrigger.split = 'even' */
    bool fail_on_data_loss;
    int64_t outage_ms;
    sl_format *fmt;             /* NULL: raw */
    int meta_col[N_META];       /* schema index or -1 */
    /* bounded (availableNow): the offsets to stop at, fixed at first plan */
    sl_kafka_offsets bound;
    bool have_bound, done;
    /* Fetched past a batch's end and kept for the next ones (see
     * keep_message); at most keep_max bytes of keys and values. */
    kept_part **kept;           /* one entry per partition read */
    int n_kept;
    int64_t kept_bytes, keep_max;
} ksrc;

/* ---- kept messages ------------------------------------------------------- */

static void kept_drop_msgs(ksrc *ks, kept_part *kp, int upto)
{
    for (; kp->head < upto; kp->head++) {
        kept_msg *m = &kp->msgs[kp->head];
        ks->kept_bytes -= (int64_t)(m->key_len + m->len);
        sl_free(m->buf);
    }
    if (kp->head == kp->n) kp->head = kp->n = 0;
}

/* Forgets a partition's kept messages and restarts them at `at`. */
static void kept_reset(ksrc *ks, kept_part *kp, int64_t at)
{
    kept_drop_msgs(ks, kp, kp->n);
    kp->lo = kp->hi = at;
    kp->open = at >= 0;
}

/* The partition's entry, created empty (lo = hi = -1) when absent; NULL on
 * OOM.  One per partition read, found linearly. */
static kept_part *kept_get(ksrc *ks, const char *topic, int32_t partition)
{
    for (int i = 0; i < ks->n_kept; i++)
        if (ks->kept[i]->partition == partition && !strcmp(ks->kept[i]->topic, topic))
            return ks->kept[i];
    size_t cap = (size_t)ks->n_kept;
    if (sl_grow((void **)&ks->kept, &cap, (size_t)ks->n_kept + 1, sizeof *ks->kept)) return NULL;
    kept_part *kp = sl_calloc(1, sizeof *kp);
    if (!kp || !(kp->topic = sl_strdup(topic))) {
        sl_free(kp);
        return NULL;
    }
    kp->partition = partition;
    kp->lo = kp->hi = -1;
    ks->kept[ks->n_kept++] = kp;
    return kp;
}

/* Keeps a copy of message m of partition kp if it continues the kept run
 * (offset >= hi) and the budget allows; otherwise the run just stops
 * growing and the later offsets are fetched again when wanted. */
static void keep_message(ksrc *ks, kept_part *kp, const rd_kafka_message_t *m)
{
    if (!kp->open || m->offset < kp->hi) return;
    size_t key_len = m->key ? m->key_len : 0, len = m->payload ? m->len : 0;
    if (ks->kept_bytes + (int64_t)(key_len + len) > ks->keep_max) goto full;
    if (kp->n == kp->cap) {
        size_t cap = (size_t)kp->cap;
        if (kp->head > 0) {     /* slide the live part down first */
            memmove(kp->msgs, kp->msgs + kp->head, sizeof *kp->msgs * (size_t)(kp->n - kp->head));
            kp->n -= kp->head;
            kp->head = 0;
        }
        if (kp->n == kp->cap) {
            if (sl_grow((void **)&kp->msgs, &cap, (size_t)kp->n + 1, sizeof *kp->msgs)) goto full;
            kp->cap = (int)cap;
        }
    }
    char *buf = sl_malloc(key_len + len + 1);
    if (!buf) goto full;
    kept_msg *km = &kp->msgs[kp->n++];
    km->offset = m->offset;
    km->ts = rd_kafka_message_timestamp(m, &km->tstype);
    km->buf = buf;
    km->key_len = key_len;
    km->len = len;
    km->has_key = m->key != NULL;
    km->has_value = m->payload != NULL;
    if (key_len) memcpy(buf, m->key, key_len);
    if (len) memcpy(buf + key_len, m->payload, len);
    ks->kept_bytes += (int64_t)(key_len + len);
    kp->hi = m->offset + 1;
    return;
full:
    kp->open = false;   /* nothing past hi is kept: fetched again when wanted */
}

/* ---- open / close -------------------------------------------------------- */

static void ksrc_close(sl_source *src)
{
    ksrc *ks = src->impl;
    if (!ks) return;
    if (ks->rk) {
        rd_kafka_consumer_close(ks->rk);
        rd_kafka_destroy(ks->rk);
    }
    sl_free(ks->bootstrap);
    for (int i = 0; i < ks->n_topics; i++) sl_free(ks->topics[i]);
    sl_free(ks->topics);
    if (ks->md) pcre2_match_data_free(ks->md);
    if (ks->pattern) pcre2_code_free(ks->pattern);
    sl_kafka_offsets_fini(&ks->starting_json);
    sl_kafka_offsets_fini(&ks->initial);
    sl_kafka_offsets_fini(&ks->bound);
    for (int i = 0; i < ks->n_kept; i++) {
        kept_reset(ks, ks->kept[i], -1);
        sl_free(ks->kept[i]->msgs);
        sl_free(ks->kept[i]->topic);
        sl_free(ks->kept[i]);
    }
    sl_free(ks->kept);
    sl_format_free(ks->fmt);
    sl_free(ks);
    src->impl = NULL;
}

static sl_status parse_topics(ksrc *ks, const char *list, sl_error *err)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        if (t > p) {
            size_t cap = (size_t)ks->n_topics;
            if (sl_grow((void **)&ks->topics, &cap, (size_t)ks->n_topics + 1, sizeof(char *)))
                return sl_err_oom(err);
            if (!(ks->topics[ks->n_topics] = sl_strndup(p, (size_t)(t - p)))) return sl_err_oom(err);
            ks->n_topics++;
        }
        p = e;
    }
    if (!ks->n_topics) return sl_err(err, SL_ERR_CONFIG, "option 'subscribe' names no topic");
    return SL_OK;
}

static bool type_fits(int meta, sl_type t)
{
    switch (meta) {
    case META_KEY: case META_VALUE: case META_TOPIC: return t == SL_TYPE_STRING;
    case META_PARTITION: case META_OFFSET: case META_TIMESTAMP_TYPE:
        return t == SL_TYPE_INT || t == SL_TYPE_BIGINT;
    case META_TIMESTAMP: return t == SL_TYPE_TIMESTAMP || t == SL_TYPE_BIGINT;
    }
    return false;
}

static sl_status ksrc_open(sl_source *src, sl_error *err)
{
    ksrc *ks = sl_calloc(1, sizeof *ks);
    if (!ks) return sl_err_oom(err);
    src->impl = ks;
    sl_kafka_offsets_init(&ks->starting_json);
    sl_kafka_offsets_init(&ks->initial);
    sl_kafka_offsets_init(&ks->bound);
    const sl_options *o = &src->opts;
    sl_status st;

    const char *bs = sl_kafka_bootstrap_get(o);
    if (!bs) return sl_err(err, SL_ERR_CONFIG, "option 'bootstrap.servers' is missing");
    if (!(ks->bootstrap = sl_strdup(bs))) return sl_err_oom(err);

    const char *sub = sl_options_get(o, "subscribe");
    if (!sub) sub = sl_options_get(o, "topic");
    const char *pat = sl_options_get(o, "subscribePattern");
    if (sl_options_get(o, "assign"))
        return sl_err(err, SL_ERR_CONFIG, "option 'assign' is not supported; use 'subscribe'");
    if (!!sub == !!pat)
        return sl_err(err, SL_ERR_CONFIG,
                      "exactly one of 'subscribe' and 'subscribePattern' must be given");
    if (sub && (st = parse_topics(ks, sub, err))) return st;
    if (pat) {
        int ecode;
        PCRE2_SIZE eoff;
        ks->pattern = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED,
                                    &ecode, &eoff, NULL);
        if (!ks->pattern) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(ecode, msg, sizeof msg);
            return sl_err(err, SL_ERR_CONFIG, "subscribePattern '%s': %s at %d", pat,
                          (char *)msg, (int)eoff);
        }
        if (!(ks->md = pcre2_match_data_create_from_pattern(ks->pattern, NULL)))
            return sl_err_oom(err);
    }

    const char *so = sl_options_get_or(o, "startingOffsets", "latest");
    if (!strcasecmp(so, "earliest")) ks->starting = START_EARLIEST;
    else if (!strcasecmp(so, "latest")) ks->starting = START_LATEST;
    else {
        ks->starting = START_JSON;
        if ((st = sl_kafka_offsets_parse(&ks->starting_json, so, err))) {
            sl_err_prefix(err, "option 'startingOffsets'");
            return st;
        }
    }
    /* A default cap (Spark has none) keeps a backlog from becoming one batch
     * that does not fit in memory; '0' lifts it. trigger = 'once' reads
     * everything regardless, as Spark's Trigger.Once. */
    if ((st = sl_options_get_i64(o, "maxOffsetsPerTrigger", SL_KAFKA_DEFAULT_MAX_OFFSETS,
                                 &ks->max_per_trigger, err)))
        return st;
    if (ks->max_per_trigger < 0)
        return sl_err(err, SL_ERR_CONFIG,
                      "option 'maxOffsetsPerTrigger' must be positive (or 0 for no cap)");
    const char *split = sl_options_get_or(o, "maxOffsetsPerTrigger.split", "proportional");
    if (!strcasecmp(split, "even")) ks->split_even = true;
    else if (strcasecmp(split, "proportional"))
        return sl_err(err, SL_ERR_CONFIG,
                      "option 'maxOffsetsPerTrigger.split': '%s' is neither 'proportional' "
                      "(Spark's split, the default) nor 'even'", split);
    if ((st = sl_options_get_bool(o, "failOnDataLoss", true, &ks->fail_on_data_loss, err)))
        return st;
    /* Messages fetched past a batch's end are kept for the next batches up
     * to this many bytes of keys and values (see read_group). */
    if ((st = sl_options_get_i64(o, "readAhead.maxBytes", READ_AHEAD_DEFAULT, &ks->keep_max, err)))
        return st;
    if (ks->keep_max < 0)
        return sl_err(err, SL_ERR_CONFIG,
                      "option 'readAhead.maxBytes' must be 0 (keep nothing) or more");
    int64_t us;
    if ((st = sl_parse_duration(sl_options_get_or(o, "outageTimeout", "10 minutes"), &us, err)))
        return st;
    ks->outage_ms = us / 1000;
    int64_t connect_ms;
    if ((st = sl_parse_duration(sl_options_get_or(o, "connectTimeout", "10 seconds"), &us, err)))
        return st;
    connect_ms = us / 1000;

    /* Columns: metadata first, the rest parsed from the value. */
    bool *skip = sl_calloc((size_t)src->schema->n + 1, sizeof *skip);
    if (!skip) return sl_err_oom(err);
    int n_data = 0;
    for (int m = 0; m < N_META; m++) ks->meta_col[m] = -1;
    for (int i = 0; i < src->schema->n; i++) {
        const sl_field *f = &src->schema->fields[i];
        int m = -1;
        for (int k = 0; k < N_META; k++)
            if (!strcasecmp(f->name, meta_names[k])) m = k;
        if (m < 0) {
            n_data++;
            continue;
        }
        if (!type_fits(m, f->type)) {
            sl_free(skip);
            return sl_err(err, SL_ERR_CONFIG, "Kafka column '%s' cannot be %s", f->name,
                          sl_type_name(f->type));
        }
        ks->meta_col[m] = i;
        skip[i] = true;
    }
    const char *format = sl_options_get_or(o, "format", "raw");
    if (!strcasecmp(format, "json") || !strcasecmp(format, "csv")) {
        sl_options fo;
        sl_options_init(&fo);
        /* A message is one record: no CSV header unless asked for. */
        if (sl_options_set(&fo, "header", "false") || sl_options_merge(&fo, o)) {
            sl_options_fini(&fo);
            sl_free(skip);
            return sl_err_oom(err);
        }
        st = sl_format_new(format, src->schema, skip, &fo, &ks->fmt, err);
        sl_options_fini(&fo);
        if (st) {
            sl_free(skip);
            return st;
        }
    } else if (strcasecmp(format, "raw") != 0) {
        sl_free(skip);
        return sl_err(err, SL_ERR_CONFIG, "option 'format': '%s' is not json, csv or raw", format);
    } else if (n_data) {
        for (int i = 0; i < src->schema->n; i++)
            if (!skip[i]) {
                sl_status s2 = sl_err(err, SL_ERR_CONFIG,
                                      "column '%s' is not a Kafka column (key, value, topic, "
                                      "partition, offset, timestamp, timestampType); set "
                                      "format = 'json' or 'csv' to parse it from the value",
                                      src->schema->fields[i].name);
                sl_free(skip);
                return s2;
            }
    }
    sl_free(skip);

    char group[256];
    snprintf(group, sizeof group, "sluice-source-%s", src->name ? src->name : "kafka");
    const char *extra[] = {
        "group.id", group,
        "enable.auto.commit", "false",
        "enable.auto.offset.store", "false",
        "enable.partition.eof", "true",
        /* read() only fetches ranges known to exist: a short broker-side
         * wait costs nothing and keeps small batches fast. */
        "fetch.wait.max.ms", "10",
        /* Per partition queue (read_ranges fetches READ_GROUP at a time):
         * one fetch, not the log.  Every message fetched past a range is
         * fetched for nothing (drained when the partition is released), and
         * a batch of a backlog often wants a message or two a partition: the
         * top-up benchmark's bureau batches take one ~100 KB message from
         * each of 128 partitions, and 4 MB queues fetched each partition's
         * whole ~1.2 MB every batch (peak RSS 237 -> 140 MB, CPU 8.95 ->
         * 7.95 s with 256 KB).  Fetches under a message's size (64 KB) cost
         * round trips: 3.4 times the wall time. */
        "queued.max.messages.kbytes", "256",
        "max.partition.fetch.bytes", "262144",
        /* Offsets below the log start are data loss: see failOnDataLoss. */
        "auto.offset.reset", ks->fail_on_data_loss ? "error" : "earliest",
        NULL};
    rd_kafka_conf_t *conf;
    if ((st = sl_kafka_conf_new(o, ks->bootstrap, extra, &conf, err))) return st;
    char errstr[512];
    ks->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!ks->rk) {
        rd_kafka_conf_destroy(conf);
        return sl_err(err, SL_ERR_KAFKA, "cannot create a Kafka consumer: %s", errstr);
    }
    return sl_kafka_wait_broker(ks->rk, ks->bootstrap, connect_ms, err);
}

/* ---- plan ---------------------------------------------------------------- */

static bool topic_wanted(ksrc *ks, const char *topic)
{
    if (ks->pattern) {
        size_t len = strlen(topic);
        int rc = pcre2_match(ks->pattern, (PCRE2_SPTR)topic, len, 0, PCRE2_ANCHORED, ks->md, NULL);
        if (rc < 0) return false;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(ks->md);
        return ov[1] == len;   /* the whole name, as Java's Pattern.matches */
    }
    for (int i = 0; i < ks->n_topics; i++)
        if (!strcmp(ks->topics[i], topic)) return true;
    return false;
}

/* Waits out an outage: returns false once the deadline has passed. */
static bool outage_wait(ksrc *ks, int64_t *deadline)
{
    int64_t now = sl_kafka_now_ms();
    if (!*deadline) *deadline = now + ks->outage_ms;
    return now < *deadline;
}

/* Asks for one offset of every partition in `parts` at once: ListOffsets
 * with timestamp -2 (earliest) or -1 (latest) is the request
 * rd_kafka_query_watermark_offsets sends for one partition, here one request
 * per broker for all of them (the top-up benchmark's 576 partitions took
 * 1,152 round trips a plan).  Returns the error, or the first partition's. */
static rd_kafka_resp_err_t list_offsets(ksrc *ks, rd_kafka_topic_partition_list_t *parts,
                                        int64_t spec)
{
    for (int i = 0; i < parts->cnt; i++) {
        parts->elems[i].offset = spec;
        parts->elems[i].err = RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    rd_kafka_resp_err_t kerr = rd_kafka_offsets_for_times(ks->rk, parts, 5000);
    for (int i = 0; i < parts->cnt && !kerr; i++)
        if (parts->elems[i].err) kerr = parts->elems[i].err;
        else if (parts->elems[i].offset < 0) kerr = RD_KAFKA_RESP_ERR__BAD_MSG;
    return kerr;
}

/* The partitions of the subscribed topics with their watermarks: lo in
 * out_lo, hi in out_hi. */
static sl_status list_partitions(ksrc *ks, sl_kafka_offsets *out_lo, sl_kafka_offsets *out_hi,
                                 sl_error *err)
{
    int64_t deadline = 0;
    for (;;) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t kerr = rd_kafka_metadata(ks->rk, 1, NULL, &md, 5000);
        if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(64);
            int64_t *lo = NULL;
            if (!parts) {
                rd_kafka_metadata_destroy(md);
                return sl_err_oom(err);
            }
            for (int t = 0; t < md->topic_cnt; t++) {
                const rd_kafka_metadata_topic_t *mt = &md->topics[t];
                if (mt->err || !topic_wanted(ks, mt->topic)) continue;
                for (int p = 0; p < mt->partition_cnt; p++)
                    rd_kafka_topic_partition_list_add(parts, mt->topic, mt->partitions[p].id);
            }
            rd_kafka_metadata_destroy(md);
            if (parts->cnt && !(lo = sl_malloc(sizeof *lo * (size_t)parts->cnt))) {
                rd_kafka_topic_partition_list_destroy(parts);
                return sl_err_oom(err);
            }
            if (parts->cnt) {
                kerr = list_offsets(ks, parts, RD_KAFKA_OFFSET_BEGINNING);
                for (int i = 0; i < parts->cnt && !kerr; i++) lo[i] = parts->elems[i].offset;
                if (!kerr) kerr = list_offsets(ks, parts, RD_KAFKA_OFFSET_END);
            }
            int oom = 0;
            for (int i = 0; i < parts->cnt && !kerr && !oom; i++) {
                const rd_kafka_topic_partition_t *e = &parts->elems[i];
                oom = sl_kafka_offsets_set(out_lo, e->topic, e->partition, lo[i]) ||
                      sl_kafka_offsets_set(out_hi, e->topic, e->partition, e->offset);
            }
            sl_free(lo);
            rd_kafka_topic_partition_list_destroy(parts);
            if (oom) return sl_err_oom(err);
            if (!kerr) return SL_OK;
        }
        if (!outage_wait(ks, &deadline))
            return sl_kafka_err(err, kerr, "Kafka broker unreachable (outageTimeout passed)");
    }
}

/* Resolves startingOffsets against the current watermarks. */
static sl_status resolve_initial(ksrc *ks, const sl_kafka_offsets *lo, const sl_kafka_offsets *hi,
                                 sl_kafka_offsets *out, sl_error *err)
{
    for (int i = 0; i < hi->n; i++) {
        const sl_kafka_tp *tp = &hi->items[i];
        int64_t off;
        if (ks->starting == START_EARLIEST) off = lo->items[i].offset;
        else if (ks->starting == START_LATEST) off = tp->offset;
        else {
            const sl_kafka_tp *want = sl_kafka_offsets_find(&ks->starting_json, tp->topic,
                                                            tp->partition);
            if (!want)
                return sl_err(err, SL_ERR_CONFIG,
                              "startingOffsets does not name %s-%d: when it gives offsets, "
                              "it must name every partition (-2 earliest, -1 latest)",
                              tp->topic, (int)tp->partition);
            off = want->offset == SL_KAFKA_OFFSET_EARLIEST ? lo->items[i].offset
                  : want->offset == SL_KAFKA_OFFSET_LATEST ? tp->offset
                                                           : want->offset;
        }
        if (sl_kafka_offsets_set(out, tp->topic, tp->partition, off)) return sl_err_oom(err);
    }
    return SL_OK;
}

/* maxOffsetsPerTrigger.split = 'even': the cap is poured over the
 * partitions like water, lowest offset first, so that after the batch every
 * partition that still has a backlog ends at the same offset L or L + 1.
 * L is the highest level with sum(clamp(L, begin, end) - begin) <= cap; the
 * rest of the cap takes one more offset from the partitions that can grow
 * past L, in (topic, partition) order.  When a producer writes round-robin
 * over the partitions from partition 0 (as `sluice produce` does with
 * keyless messages), each batch is then exactly the next `cap` messages in
 * send order, so event time advances evenly and a watermark drops nothing
 * as late.  Spark's proportional split rounds each partition down on its
 * own and leaves up to a message per partition out of order, which a short
 * watermark delay over many partitions cannot absorb.  Returns -1 when out
 * of memory. */
static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static int split_even(const sl_kafka_offsets *from, sl_kafka_offsets *end, int64_t cap)
{
    int n = end->n;
    int64_t *b = sl_calloc((size_t)n + 1, sizeof *b);
    if (!b) return -1;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int i = 0; i < n; i++) {
        const sl_kafka_tp *f = sl_kafka_offsets_find(from, end->items[i].topic,
                                                     end->items[i].partition);
        b[i] = f && f->offset < end->items[i].offset ? f->offset : end->items[i].offset;
        if (b[i] < lo) lo = b[i];
        if (end->items[i].offset > hi) hi = end->items[i].offset;
    }
    /* poured(lo) = 0 <= cap < poured(hi) = the whole backlog. */
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2, poured = 0;
        for (int i = 0; i < n && poured <= cap; i++)
            poured += clamp64(mid, b[i], end->items[i].offset) - b[i];
        if (poured <= cap) lo = mid;
        else hi = mid;
    }
    int64_t left = cap;
    for (int i = 0; i < n; i++) left -= clamp64(lo, b[i], end->items[i].offset) - b[i];
    for (int i = 0; i < n; i++) {
        int64_t e = end->items[i].offset, to = clamp64(lo, b[i], e);
        if (left > 0 && b[i] <= lo && lo < e) {
            to++;
            left--;
        }
        end->items[i].offset = to;
    }
    sl_free(b);
    return 0;
}

static sl_status ksrc_plan(sl_source *src, const char *start, char **out_end, sl_error *err)
{
    ksrc *ks = src->impl;
    *out_end = NULL;
    if (ks->done) return SL_OK;
    sl_kafka_offsets lo, hi, from, end;
    sl_kafka_offsets_init(&lo);
    sl_kafka_offsets_init(&hi);
    sl_kafka_offsets_init(&from);
    sl_kafka_offsets_init(&end);
    sl_status st = list_partitions(ks, &lo, &hi, err);
    if (st) goto out;
    if (src->bounded && !ks->have_bound) {
        for (int i = 0; i < hi.n; i++)
            if (sl_kafka_offsets_set(&ks->bound, hi.items[i].topic, hi.items[i].partition,
                                     hi.items[i].offset)) {
                st = sl_err_oom(err);
                goto out;
            }
        ks->have_bound = true;
    }
    if (start) {
        if ((st = sl_kafka_offsets_parse(&from, start, err))) goto out;
    } else {
        if (!ks->have_initial) {
            if ((st = resolve_initial(ks, &lo, &hi, &ks->initial, err))) goto out;
            ks->have_initial = true;
        }
        for (int i = 0; i < ks->initial.n; i++) {
            sl_kafka_tp *tp = &ks->initial.items[i];
            if (sl_kafka_offsets_set(&from, tp->topic, tp->partition, tp->offset)) {
                st = sl_err_oom(err);
                goto out;
            }
        }
    }
    /* Partitions of the previous end that vanished keep their offsets. */
    for (int i = 0; i < from.n; i++)
        if (sl_kafka_offsets_set(&end, from.items[i].topic, from.items[i].partition,
                                 from.items[i].offset)) {
            st = sl_err_oom(err);
            goto out;
        }
    /* New partitions start at their earliest offset, as Spark does. */
    int64_t total = 0;
    for (int i = 0; i < hi.n; i++) {
        sl_kafka_tp *h = &hi.items[i];
        sl_kafka_tp *f = sl_kafka_offsets_find(&from, h->topic, h->partition);
        int64_t begin = f ? f->offset : lo.items[i].offset;
        int64_t until = h->offset;
        if (ks->have_bound) {
            sl_kafka_tp *b = sl_kafka_offsets_find(&ks->bound, h->topic, h->partition);
            until = b ? (b->offset < until ? b->offset : until) : begin;
        }
        if (until < begin) {
            if (ks->fail_on_data_loss && f) {
                st = sl_err(err, SL_ERR_KAFKA,
                            "%s-%d: offset %lld is beyond the log end %lld (topic deleted "
                            "or recreated?); set failOnDataLoss = 'false' to go on",
                            h->topic, (int)h->partition, (long long)begin, (long long)until);
                goto out;
            }
            begin = until;
        }
        if (until > begin) total += until - begin;
        if (sl_kafka_offsets_set(&end, h->topic, h->partition, until)) {
            st = sl_err_oom(err);
            goto out;
        }
        /* Remember where this partition begins so the cap below can use it. */
        if (!f && sl_kafka_offsets_set(&from, h->topic, h->partition, begin)) {
            st = sl_err_oom(err);
            goto out;
        }
        else if (f) f->offset = begin;
    }
    if (total == 0) {
        if (src->bounded) ks->done = true;
        goto out;
    }
    if (ks->max_per_trigger > 0 && total > ks->max_per_trigger && ks->split_even) {
        if (split_even(&from, &end, ks->max_per_trigger)) {
            st = sl_err_oom(err);
            goto out;
        }
    } else if (ks->max_per_trigger > 0 && total > ks->max_per_trigger) {
        /* Spark's rateLimit: each partition gets limit * size / total,
         * rounded down, but at least 1 when its share is below one. */
        for (int i = 0; i < end.n; i++) {
            sl_kafka_tp *e = &end.items[i];
            sl_kafka_tp *f = sl_kafka_offsets_find(&from, e->topic, e->partition);
            int64_t begin = f ? f->offset : e->offset;
            int64_t size = e->offset - begin;
            if (size <= 0) continue;
            double prorate = (double)ks->max_per_trigger * ((double)size / (double)total);
            int64_t n = prorate < 1 ? (int64_t)__builtin_ceil(prorate)
                                    : (int64_t)__builtin_floor(prorate);
            if (begin + n < e->offset) e->offset = begin + n;
        }
    }
    if (!(*out_end = sl_kafka_offsets_json(&end))) st = sl_err_oom(err);
out:
    sl_kafka_offsets_fini(&lo);
    sl_kafka_offsets_fini(&hi);
    sl_kafka_offsets_fini(&from);
    sl_kafka_offsets_fini(&end);
    return st;
}

/* ---- read ---------------------------------------------------------------- */

typedef struct reader {
    sl_source *src;
    ksrc *ks;
    sl_batch *b;
    sl_emit_fn emit;
    void *ctx;
} reader;

static int append_int(sl_col *col, int64_t v)
{
    switch (col->type) {
    case SL_TYPE_INT: return sl_col_append_i32(col, (int32_t)v);
    default: return sl_col_append_i64(col, v);
    }
}

/* Emits the builder batch (in slices of at most SL_BATCH_ROWS rows) and
 * starts a new one. */
static sl_status flush_batch(reader *r, bool last, sl_error *err)
{
    if (sl_batch_seal(r->b)) return sl_err(err, SL_ERR_INTERNAL, "kafka source: ragged batch");
    sl_status st = SL_OK;
    int64_t n = r->b->n_rows;
    if (n == 0) goto fresh;
    if (n <= SL_BATCH_ROWS) {
        r->src->stats.rows += n;
        st = r->emit(r->ctx, r->b, err);
    } else {
        for (int64_t at = 0; at < n && !st; at += SL_BATCH_ROWS) {
            int64_t k = n - at < SL_BATCH_ROWS ? n - at : SL_BATCH_ROWS;
            sl_batch *s = sl_batch_new(r->b->n_cols);
            if (!s) return sl_err_oom(err);
            for (int c = 0; c < r->b->n_cols; c++)
                if (!(s->cols[c] = sl_col_slice(r->b->cols[c], at, k))) {
                    sl_batch_unref(s);
                    return sl_err_oom(err);
                }
            s->n_rows = k;
            r->src->stats.rows += k;
            st = r->emit(r->ctx, s, err);
            sl_batch_unref(s);
        }
    }
fresh:
    sl_batch_unref(r->b);
    r->b = NULL;
    if (st || last) return st;
    if (!(r->b = sl_batch_new_builder(r->src->schema))) return sl_err_oom(err);
    return SL_OK;
}

/* One record to append: a librdkafka message or a kept copy of one. */
typedef struct krec {
    const char *topic;
    int32_t partition;
    int64_t offset, ts;
    rd_kafka_timestamp_type_t tstype;
    const char *key, *payload;  /* NULL: none */
    size_t key_len, len;
} krec;

static sl_status add_record(reader *r, const krec *msg, sl_error *err)
{
    ksrc *ks = r->ks;
    int64_t rows = 1;
    r->src->stats.bytes += (int64_t)msg->len + (int64_t)msg->key_len;
    if (ks->fmt) {
        const sl_format_stats *fs = sl_format_get_stats(ks->fmt);
        int64_t mal = fs->malformed, drop = fs->dropped;
        sl_status st = sl_format_parse(ks->fmt, msg->payload ? msg->payload : "", msg->len,
                                       r->b, &rows, err);
        r->src->stats.malformed += fs->malformed - mal;
        r->src->stats.dropped += fs->dropped - drop;
        if (st) {
            sl_err_prefix(err, "%s-%d offset %lld", msg->topic, (int)msg->partition,
                          (long long)msg->offset);
            return st;
        }
    }
    rd_kafka_timestamp_type_t tstype = msg->tstype;
    int64_t ts = msg->ts;
    const char *topic = msg->topic;
    for (int64_t k = 0; k < rows; k++) {
        for (int m = 0; m < N_META; m++) {
            int c = ks->meta_col[m];
            if (c < 0) continue;
            sl_col *col = r->b->cols[c];
            int rc = 0;
            switch (m) {
            case META_KEY:
                rc = msg->key ? sl_col_append_str(col, msg->key, msg->key_len)
                              : sl_col_append_null(col);
                break;
            case META_VALUE:
                rc = msg->payload ? sl_col_append_str(col, msg->payload, msg->len)
                                  : sl_col_append_null(col);
                break;
            case META_TOPIC: rc = sl_col_append_str(col, topic, strlen(topic)); break;
            case META_PARTITION: rc = append_int(col, msg->partition); break;
            case META_OFFSET: rc = append_int(col, msg->offset); break;
            case META_TIMESTAMP:
                if (tstype == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) rc = sl_col_append_null(col);
                else rc = append_int(col, col->type == SL_TYPE_TIMESTAMP ? ts * 1000 : ts);
                break;
            case META_TIMESTAMP_TYPE:
                /* Kafka's TimestampType ids, which Spark shows. */
                rc = append_int(col, tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME      ? 0
                                     : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 1
                                                                                    : -1);
                break;
            }
            if (rc) return sl_err_oom(err);
        }
    }
    if (r->src->schema->n == 0) return SL_OK;
    int64_t have = r->b->cols[0]->len;
    if (have >= SL_BATCH_ROWS) return flush_batch(r, false, err);
    return SL_OK;
}

static sl_status add_message(reader *r, const rd_kafka_message_t *m, sl_error *err)
{
    krec k = {rd_kafka_topic_name(m->rkt), m->partition, m->offset, 0, 0,
              m->key, m->payload, m->key_len, m->len};
    k.ts = rd_kafka_message_timestamp(m, &k.tstype);
    return add_record(r, &k, err);
}

/* One partition's range in a read: [begin, until), of which the kept
 * messages give [begin, fetch) and the broker [fetch, until). */
typedef struct prange {
    const char *topic;
    int32_t partition;
    int64_t begin, until;
    int64_t fetch;              /* == until: nothing to fetch */
    kept_part *kp;              /* NULL when out of memory for the entry */
    rd_kafka_queue_t *q;
} prange;

/* Appends the kept messages of [pr->begin, pr->fetch) and drops them. */
static sl_status add_kept(reader *r, prange *pr, sl_error *err)
{
    kept_part *kp = pr->kp;
    if (!kp || pr->fetch <= pr->begin) return SL_OK;
    int i = kp->head;
    sl_status st = SL_OK;
    for (; i < kp->n && kp->msgs[i].offset < pr->fetch && !st; i++) {
        const kept_msg *km = &kp->msgs[i];
        if (km->offset < pr->begin) continue;
        krec k = {pr->topic, pr->partition, km->offset, km->ts, km->tstype,
                  km->has_key ? km->buf : NULL, km->has_value ? km->buf + km->key_len : NULL,
                  km->key_len, km->len};
        st = add_record(r, &k, err);
    }
    kept_drop_msgs(r->ks, kp, i);
    kp->lo = pr->fetch;
    return st;
}

/* Handles one event of partition pr: a message, EOF or an error.  *next is
 * the next offset wanted; a message past the range is kept for a later
 * batch. */
static sl_status on_event(reader *r, prange *pr, rd_kafka_message_t *msg, int64_t *next,
                          int64_t *deadline, sl_error *err)
{
    ksrc *ks = r->ks;
    bool ours = msg->rkt && msg->partition == pr->partition &&
                !strcmp(rd_kafka_topic_name(msg->rkt), pr->topic);
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        /* The log ends before `until` only when the trailing offsets are
         * transaction markers (or were aborted): nothing is lost. */
        if (ours && msg->offset >= pr->until) *next = pr->until;
    } else if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET ||
               msg->err == RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE) {
        return sl_err(err, SL_ERR_KAFKA,
                      "%s-%d: offset %lld is no longer in the log (%s); set "
                      "failOnDataLoss = 'false' to skip to the earliest",
                      pr->topic, (int)pr->partition, (long long)*next,
                      rd_kafka_message_errstr(msg));
    } else if (msg->err) {
        /* Transport and leader errors: librdkafka retries by itself. */
        if (!outage_wait(ks, deadline)) return sl_kafka_err(err, msg->err, "Kafka fetch");
    } else if (ours && msg->offset >= *next) {
        *deadline = 0;
        if (msg->offset >= pr->until) {
            *next = pr->until;
            if (pr->kp) keep_message(ks, pr->kp, msg);
        } else {
            sl_status st = add_message(r, msg, err);
            *next = msg->offset + 1;
            return st;
        }
    }
    return SL_OK;
}

/* How long a partition may wait for its next message before librdkafka's
 * fetcher is nudged.  librdkafka 2.0's fetcher thread re-decides which
 * partitions to fetch when something wakes it (a fetch response, an
 * operation), else after up to a second: a partition that had stopped
 * fetching (its prefetch queue full, or started while the thread slept)
 * and is wanted again could sit idle for that second.  A seek to the offset
 * wanted — the queue holds nothing from there on — wakes it: the top-up
 * benchmark's replay lost ~1 s in about one read in fifteen without it. */
enum { NUDGE_MS = 20 };

static void nudge(ksrc *ks, const prange *pr, int64_t next)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    if (!tp) return;
    rd_kafka_topic_partition_list_add(tp, pr->topic, pr->partition)->offset = next;
    rd_kafka_error_t *e = rd_kafka_seek_partitions(ks->rk, tp, 0);   /* asynchronous */
    if (e) rd_kafka_error_destroy(e);
    rd_kafka_topic_partition_list_destroy(tp);
}

/* Consumes [fetch, until) of one partition from its queue. */
static sl_status read_fetched(reader *r, prange *pr, sl_error *err)
{
    ksrc *ks = r->ks;
    sl_status st = SL_OK;
    rd_kafka_message_t *msgs[1024];
    int64_t next = pr->fetch, deadline = 0;
    int64_t waited_since = sl_kafka_now_ms(), nudged_at = -1;
    while (next < pr->until && !st) {
        /* The call waits until it has as many as asked for (or times out):
         * never ask for more than the range still holds. */
        int64_t left = pr->until - next;
        size_t want = left < 1024 ? (size_t)left : 1024;
        ssize_t got = rd_kafka_consume_batch_queue(pr->q, NUDGE_MS, msgs, want);
        if (got <= 0) {
            /* Errors not tied to a partition come on the consumer queue. */
            rd_kafka_message_t *m = rd_kafka_consumer_poll(ks->rk, 0);
            if (m) {
                if (m->err) st = on_event(r, pr, m, &next, &deadline, err);
                rd_kafka_message_destroy(m);
                continue;
            }
            int64_t now = sl_kafka_now_ms();
            if (nudged_at != next) {   /* once per offset waited for */
                nudge(ks, pr, next);
                nudged_at = next;
            } else if (now - waited_since >= 200 && !outage_wait(ks, &deadline)) {
                st = sl_err(err, SL_ERR_KAFKA,
                            "%s-%d: no progress at offset %lld for %lld ms (broker down?)",
                            pr->topic, (int)pr->partition, (long long)next,
                            (long long)ks->outage_ms);
            }
            continue;
        }
        waited_since = sl_kafka_now_ms();
        for (ssize_t k = 0; k < got; k++) {
            if (!st) st = on_event(r, pr, msgs[k], &next, &deadline, err);
            rd_kafka_message_destroy(msgs[k]);
        }
    }
    return st;
}

/* Reads the ranges pr[0..n) in order: each one's kept messages, then what
 * is left of it from the broker.  The partitions to fetch are assigned at
 * once, each into its own queue, and drained one after the other, so rows
 * come in (topic, partition, offset) order whatever the timing.  What they
 * prefetched past their ranges is kept (up to keep_max) before the
 * assignment is dropped. */
static sl_status read_group(reader *r, prange *pr, int n, sl_error *err)
{
    ksrc *ks = r->ks;
    sl_status st = SL_OK;
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(n);
    if (!parts) return sl_err_oom(err);
    for (int i = 0; i < n && !st; i++) {
        if (pr[i].fetch >= pr[i].until) continue;
        /* fetch < 0: a partition that appeared after the previous batch,
         * read from its first offset. */
        rd_kafka_topic_partition_list_add(parts, pr[i].topic, pr[i].partition)->offset =
            pr[i].fetch < 0 ? RD_KAFKA_OFFSET_BEGINNING : pr[i].fetch;
        if (pr[i].fetch < 0) pr[i].fetch = 0;
        /* Detach the partition's queue from the consumer queue before any
         * message can arrive. */
        pr[i].q = rd_kafka_queue_get_partition(ks->rk, pr[i].topic, pr[i].partition);
        if (!pr[i].q) {
            st = sl_err(err, SL_ERR_KAFKA, "%s-%d: unknown partition", pr[i].topic,
                        (int)pr[i].partition);
            break;
        }
        rd_kafka_queue_forward(pr[i].q, NULL);
    }
    bool assigned = false;
    if (!st && parts->cnt) {
        rd_kafka_resp_err_t kerr = rd_kafka_assign(ks->rk, parts);
        if (kerr) st = sl_kafka_err(err, kerr, "assign");
        assigned = !kerr;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    for (int i = 0; i < n && !st; i++) {
        st = add_kept(r, &pr[i], err);
        if (st || !pr[i].q) continue;
        /* The kept run restarts where this range ends. */
        if (pr[i].kp) kept_reset(ks, pr[i].kp, pr[i].until);
        st = read_fetched(r, &pr[i], err);
    }
    rd_kafka_message_t *msgs[1024];
    /* What was prefetched past each range, kept while it is still current
     * (dropping the assignment outdates it). */
    for (int i = 0; i < n && !st; i++) {
        if (!pr[i].q || !pr[i].kp) continue;
        ssize_t got;
        while ((got = rd_kafka_consume_batch_queue(pr[i].q, 0, msgs, 1024)) > 0)
            for (ssize_t k = 0; k < got; k++) {
                const rd_kafka_message_t *m = msgs[k];
                if (!m->err && m->partition == pr[i].partition)
                    keep_message(ks, pr[i].kp, m);
                rd_kafka_message_destroy(msgs[k]);
            }
    }
    /* Drop the assignment, then the messages prefetched past each range:
     * librdkafka discards them only when their queue is served again,
     * which for a partition not read for a while was never — the top-up
     * benchmark held ~700 MB of them over 512 partitions. */
    if (assigned) rd_kafka_assign(ks->rk, NULL);
    for (int i = 0; i < n; i++) {
        if (!pr[i].q) continue;
        ssize_t got;
        while ((got = rd_kafka_consume_batch_queue(pr[i].q, 0, msgs, 1024)) > 0)
            for (ssize_t k = 0; k < got; k++) rd_kafka_message_destroy(msgs[k]);
        rd_kafka_queue_destroy(pr[i].q);
        pr[i].q = NULL;
    }
    if (st)   /* a failed read keeps nothing: the batch is read again */
        for (int i = 0; i < n; i++)
            if (pr[i].kp) kept_reset(ks, pr[i].kp, -1);
    return st;
}

/* Partitions fetched at a time.  librdkafka prefetches every assigned
 * partition up to queued.max.messages.kbytes (per partition queue) and past
 * the range wanted: assigning hundreds at once held the whole log in
 * memory (the top-up benchmark's 512 partitions of ~5 MB).  A group of 32
 * keeps the fetches parallel and the prefetch bounded.  Partitions served
 * from kept messages alone do not count. */
enum { READ_GROUP = 32 };

static sl_status read_ranges(reader *r, prange *pr, int n, sl_error *err)
{
    sl_status st = SL_OK;
    for (int i = 0; i < n && !st;) {
        int j = i, fetching = 0;
        for (; j < n; j++) {
            bool fetch = pr[j].fetch < pr[j].until;
            if (fetch && fetching == READ_GROUP) break;
            fetching += fetch;
        }
        st = read_group(r, pr + i, j - i, err);
        i = j;
    }
    return st;
}

/* Where a range's fetching starts: past the kept messages that continue it
 * (they start at or before `begin` and reach past it), else at begin with
 * the kept run forgotten. */
static void plan_range(ksrc *ks, prange *pr)
{
    kept_part *kp = pr->kp;
    pr->fetch = pr->begin;
    if (!kp) return;
    if (pr->begin >= 0 && kp->lo <= pr->begin && pr->begin < kp->hi)
        pr->fetch = kp->hi < pr->until ? kp->hi : pr->until;
    else
        kept_reset(ks, kp, -1);
}

static sl_status ksrc_read(sl_source *src, const char *start, const char *end_json,
                           sl_emit_fn emit, void *ctx, sl_error *err)
{
    ksrc *ks = src->impl;
    sl_kafka_offsets from, end;
    sl_kafka_offsets_init(&from);
    sl_kafka_offsets_init(&end);
    reader r = {src, ks, NULL, emit, ctx};
    sl_status st = sl_kafka_offsets_parse(&end, end_json, err);
    if (st) goto out;
    if (start) {
        if ((st = sl_kafka_offsets_parse(&from, start, err))) goto out;
    } else if (ks->have_initial) {
        for (int i = 0; i < ks->initial.n; i++)
            if (sl_kafka_offsets_set(&from, ks->initial.items[i].topic,
                                     ks->initial.items[i].partition,
                                     ks->initial.items[i].offset)) {
                st = sl_err_oom(err);
                goto out;
            }
    } else if (ks->starting == START_LATEST) {
        /* A replay of the first batch after a restart: 'latest' made that
         * batch start where it ends. */
    } else {
        sl_kafka_offsets lo, hi;
        sl_kafka_offsets_init(&lo);
        sl_kafka_offsets_init(&hi);
        st = list_partitions(ks, &lo, &hi, err);
        if (!st) st = resolve_initial(ks, &lo, &hi, &from, err);
        sl_kafka_offsets_fini(&lo);
        sl_kafka_offsets_fini(&hi);
        if (st) goto out;
    }
    if (!(r.b = sl_batch_new_builder(src->schema))) {
        st = sl_err_oom(err);
        goto out;
    }
    prange *pr = sl_calloc((size_t)end.n + 1, sizeof *pr);
    if (!pr) {
        st = sl_err_oom(err);
        goto out;
    }
    int n = 0;
    for (int i = 0; i < end.n; i++) {
        sl_kafka_tp *e = &end.items[i];
        sl_kafka_tp *f = sl_kafka_offsets_find(&from, e->topic, e->partition);
        /* Absent from start: a partition new in this batch, read from its
         * first offset (-1 tells read_ranges so). */
        int64_t begin = f ? f->offset : (start ? -1 : e->offset);
        if (begin >= e->offset) continue;
        pr[n] = (prange){e->topic, e->partition, begin, e->offset, begin, NULL, NULL};
        if (ks->keep_max > 0) pr[n].kp = kept_get(ks, e->topic, e->partition); /* NULL: keep none */
        plan_range(ks, &pr[n]);
        n++;
    }
    if (n) st = read_ranges(&r, pr, n, err);
    sl_free(pr);
    if (!st) st = flush_batch(&r, true, err);
out:
    if (r.b) sl_batch_unref(r.b);
    sl_kafka_offsets_fini(&from);
    sl_kafka_offsets_fini(&end);
    return st;
}

static void ksrc_commit(sl_source *src, const char *end) {}

static bool ksrc_exhausted(sl_source *src)
{
    ksrc *ks = src->impl;
    return ks && ks->done;
}

const sl_source_ops sl_kafka_source_ops = {
    .connector = "kafka",
    .open = ksrc_open,
    .plan = ksrc_plan,
    .read = ksrc_read,
    .commit = ksrc_commit,
    .exhausted = ksrc_exhausted,
    .close = ksrc_close,
};
