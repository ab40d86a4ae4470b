/* Kafka source and sink driven through the connector API against an
 * in-process embedded broker (librdkafka's mock cluster): offsets per batch,
 * replays across restarts, maxOffsetsPerTrigger, multi-partition topics,
 * JSON values exploded into rows, the sink's formats and transactions, and a
 * broker that goes down and comes back.  Expected values come from what the
 * test itself produced, never from the code under test. */
#include "test.h"

#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "io/connector.h"
#include "io/kafka_common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const sl_source_ops sl_kafka_source_ops;
extern const sl_sink_ops sl_kafka_sink_ops;

/* ---- helpers -------------------------------------------------------------- */

static sl_schema *schema_of(const char *spec)
{
    /* "name:TYPE,name:TYPE" with TYPE one of S I B T D */
    int n = 1;
    for (const char *p = spec; *p; p++) n += *p == ',';
    sl_schema *s = sl_schema_new(n);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    int i = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","), i++) {
        char *c = strchr(tok, ':');
        *c = '\0';
        sl_type t = c[1] == 'S' ? SL_TYPE_STRING : c[1] == 'I' ? SL_TYPE_INT
                  : c[1] == 'B' ? SL_TYPE_BIGINT : c[1] == 'T' ? SL_TYPE_TIMESTAMP
                                                 : SL_TYPE_DOUBLE;
        sl_schema_set(s, i, tok, t);
    }
    return s;
}

/* Opens a source the way sl_source_new does (the registry is not needed). */
static sl_status source_open(const char *schema, const char *const *kv, sl_source **out,
                             sl_error *err)
{
    sl_source *src = sl_calloc(1, sizeof *src);
    src->ops = &sl_kafka_source_ops;
    src->name = sl_strdup("src");
    src->schema = schema_of(schema);
    sl_options_init(&src->opts);
    for (int i = 0; kv[i]; i += 2) sl_options_set(&src->opts, kv[i], kv[i + 1]);
    sl_status st = src->ops->open(src, err);
    *out = src;
    return st;
}

static void source_close(sl_source *src)
{
    if (!src) return;
    src->ops->close(src);
    sl_free(src->name);
    sl_schema_free(src->schema);
    sl_options_fini(&src->opts);
    sl_free(src);
}

static sl_status sink_open(const char *schema, const char *const *kv, sl_sink **out,
                           sl_error *err)
{
    sl_sink *snk = sl_calloc(1, sizeof *snk);
    snk->ops = &sl_kafka_sink_ops;
    snk->name = sl_strdup("snk");
    snk->schema = schema_of(schema);
    snk->output_mode = "append";
    sl_options_init(&snk->opts);
    for (int i = 0; kv[i]; i += 2) sl_options_set(&snk->opts, kv[i], kv[i + 1]);
    sl_status st = snk->ops->open(snk, err);
    *out = snk;
    return st;
}

static void sink_close(sl_sink *snk)
{
    if (!snk) return;
    snk->ops->close(snk);
    sl_free(snk->name);
    sl_schema_free(snk->schema);
    sl_options_fini(&snk->opts);
    sl_free(snk);
}

/* Produces "p<partition>-<i>" values (keys "k<i>") to explicit partitions. */
static int produce_n(const char *bs, const char *topic, int partition, int from, int n)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) return -1;
    for (int i = from; i < from + n; i++) {
        char v[64], k[32];
        snprintf(v, sizeof v, "p%d-%d", partition, i);
        snprintf(k, sizeof k, "k%d", i);
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_VALUE(v, strlen(v)),
                          RD_KAFKA_V_KEY(k, strlen(k)), RD_KAFKA_V_END);
    }
    int rc = rd_kafka_flush(rk, 10000) ? -1 : 0;
    rd_kafka_destroy(rk);
    return rc;
}

static int produce_values(const char *bs, const char *topic, const char *const *values)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    for (int i = 0; values[i]; i++)
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE((void *)values[i], strlen(values[i])), RD_KAFKA_V_END);
    int rc = rd_kafka_flush(rk, 10000) ? -1 : 0;
    rd_kafka_destroy(rk);
    return rc;
}

/* Rows collected by emit: columns value (STRING), partition (INT),
 * offset (BIGINT) at indexes 0, 1, 2. */
typedef struct rows {
    int n;
    char val[4096][24];
    int part[4096];
    long long off[4096];
    int batches;
    int64_t max_batch;
} rows;

static sl_status collect(void *ctx, sl_batch *b, sl_error *err)
{
    rows *r = ctx;
    r->batches++;
    if (b->n_rows > r->max_batch) r->max_batch = b->n_rows;
    for (int64_t i = 0; i < b->n_rows && r->n < 4096; i++) {
        size_t len;
        const char *s = sl_col_str(b->cols[0], i, &len);
        snprintf(r->val[r->n], sizeof r->val[0], "%.*s", (int)len, s);
        r->part[r->n] = sl_col_i32(b->cols[1])[i];
        r->off[r->n] = sl_col_i64(b->cols[2])[i];
        r->n++;
    }
    return SL_OK;
}

static const char *SCHEMA = "value:S,partition:I,offset:B,key:S,topic:S,timestamp:T";

/* ---- tests ---------------------------------------------------------------- */

TEST(kafka_offsets_json)
{
    sl_kafka_offsets o;
    sl_kafka_offsets_init(&o);
    sl_error *err = sl_error_new();
    REQUIRE(sl_kafka_offsets_parse(&o, " {\"b\": {\"1\": 7, \"0\":-2}, \"a.x\":{\"10\":23}} ", err) == SL_OK);
    char *j = sl_kafka_offsets_json(&o);
    CHECK_STR(j, "{\"a.x\":{\"10\":23},\"b\":{\"0\":-2,\"1\":7}}");
    sl_free(j);
    CHECK(sl_kafka_offsets_find(&o, "b", 1)->offset == 7);
    CHECK(sl_kafka_offsets_find(&o, "b", 2) == NULL);
    sl_kafka_offsets_fini(&o);
    CHECK(sl_kafka_offsets_parse(&o, "{\"t\":{\"x\":1}}", err) != SL_OK);
    sl_kafka_offsets_fini(&o);
    CHECK(sl_kafka_offsets_parse(&o, "{\"t\":{\"0\":1}", err) != SL_OK);
    sl_kafka_offsets_fini(&o);
    sl_error_free(err);
}

/* Without maxOffsetsPerTrigger a backlog is read SL_KAFKA_DEFAULT_MAX_OFFSETS
 * records a batch (a default cap, beyond Spark); '0' lifts the cap. */
TEST(kafka_source_default_cap)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "t:2", err) == SL_OK);
    enum { N0 = SL_KAFKA_DEFAULT_MAX_OFFSETS / 2 + 7, N1 = SL_KAFKA_DEFAULT_MAX_OFFSETS / 2 + 3 };
    REQUIRE(produce_n(bs, "t", 0, 0, N0) == 0);
    REQUIRE(produce_n(bs, "t", 1, 0, N1) == 0);
    const char *capped[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t",
                            "startingOffsets", "earliest", NULL};
    const char *uncapped[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t",
                              "startingOffsets", "earliest", "maxOffsetsPerTrigger", "0", NULL};
    const char **kvs[2] = {capped, uncapped};
    int64_t total[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        sl_source *src;
        REQUIRE(source_open(SCHEMA, kvs[k], &src, err) == SL_OK);
        char *e = NULL;
        REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
        REQUIRE(e);
        sl_kafka_offsets o;
        sl_kafka_offsets_init(&o);
        REQUIRE(sl_kafka_offsets_parse(&o, e, err) == SL_OK);
        for (int p = 0; p < 2; p++) total[k] += sl_kafka_offsets_find(&o, "t", p)->offset;
        sl_kafka_offsets_fini(&o);
        sl_free(e);
        source_close(src);
    }
    /* the proportional split rounds per partition */
    CHECK(total[0] <= SL_KAFKA_DEFAULT_MAX_OFFSETS && total[0] >= SL_KAFKA_DEFAULT_MAX_OFFSETS - 2);
    CHECK_INT(total[1], N0 + N1);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_source_partitions_and_restart)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "t:3", err) == SL_OK);
    REQUIRE(produce_n(bs, "t", 0, 0, 30) == 0);
    REQUIRE(produce_n(bs, "t", 1, 0, 10) == 0);
    REQUIRE(produce_n(bs, "t", 2, 0, 1) == 0);

    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t",
                        "startingOffsets", "earliest", "maxOffsetsPerTrigger", "8", NULL};
    sl_source *src;
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    char *e1 = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e1, err) == SL_OK);
    /* backlog 30/10/1, limit 8: floor(8*30/41)=5, floor(8*10/41)=1,
     * ceil(8*1/41)=1 (Spark never starves a small partition) */
    CHECK_STR(e1, "{\"t\":{\"0\":5,\"1\":1,\"2\":1}}");
    static rows r1, r2, r2b, rall;
    memset(&r1, 0, sizeof r1);
    REQUIRE(src->ops->read(src, NULL, e1, collect, &r1, err) == SL_OK);
    CHECK_INT(r1.n, 7);
    /* ordered by partition then offset */
    CHECK_STR(r1.val[0], "p0-0");
    CHECK_STR(r1.val[4], "p0-4");
    CHECK_STR(r1.val[5], "p1-0");
    CHECK_STR(r1.val[6], "p2-0");
    CHECK_INT(r1.part[6], 2);
    CHECK_INT(r1.off[4], 4);
    source_close(src);

    /* "restart": a new instance continues from the saved end offset */
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    char *e2 = NULL;
    REQUIRE(src->ops->plan(src, e1, &e2, err) == SL_OK);
    /* backlog 25/9/0: floor(8*25/34)=5, floor(8*9/34)=2 */
    CHECK_STR(e2, "{\"t\":{\"0\":10,\"1\":3,\"2\":1}}");
    memset(&r2, 0, sizeof r2);
    REQUIRE(src->ops->read(src, e1, e2, collect, &r2, err) == SL_OK);
    CHECK_INT(r2.n, 7);
    CHECK_STR(r2.val[0], "p0-5");
    CHECK_STR(r2.val[5], "p1-1");
    source_close(src);

    /* a replay of the same range on yet another instance: identical rows */
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    memset(&r2b, 0, sizeof r2b);
    REQUIRE(src->ops->read(src, e1, e2, collect, &r2b, err) == SL_OK);
    CHECK_INT(r2b.n, r2.n);
    for (int i = 0; i < r2.n && i < r2b.n; i++) CHECK_STR(r2b.val[i], r2.val[i]);

    /* drain the rest batch by batch: every message exactly once */
    memset(&rall, 0, sizeof rall);
    char *start = e2;
    int guard = 0;
    for (;;) {
        char *e = NULL;
        REQUIRE(src->ops->plan(src, start, &e, err) == SL_OK);
        if (!e) break;
        REQUIRE(src->ops->read(src, start, e, collect, &rall, err) == SL_OK);
        if (start != e2) sl_free(start);
        start = e;
        REQUIRE(++guard < 100);
    }
    CHECK_INT(rall.n, 41 - 14);
    int seen[3][30] = {{0}};
    for (int i = 0; i < r1.n; i++) seen[r1.part[i]][r1.off[i]]++;
    for (int i = 0; i < r2.n; i++) seen[r2.part[i]][r2.off[i]]++;
    for (int i = 0; i < rall.n; i++) seen[rall.part[i]][rall.off[i]]++;
    int want[3] = {30, 10, 1}, bad = 0;
    for (int p = 0; p < 3; p++)
        for (int o = 0; o < 30; o++) bad += seen[p][o] != (o < want[p]);
    CHECK_INT(bad, 0);
    if (start != e2) sl_free(start);
    source_close(src);
    sl_free(e1);
    sl_free(e2);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

/* maxOffsetsPerTrigger.split = 'even': the cap is poured over the
 * partitions lowest offset first, and a round-robin producer's messages
 * come back in send order, batch after batch. */
TEST(kafka_source_split_even)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "ev:3,rr:4", err) == SL_OK);
    REQUIRE(produce_n(bs, "ev", 0, 0, 30) == 0);
    REQUIRE(produce_n(bs, "ev", 1, 0, 10) == 0);
    REQUIRE(produce_n(bs, "ev", 2, 0, 1) == 0);
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "ev",
                        "startingOffsets", "earliest", "maxOffsetsPerTrigger", "8",
                        "maxOffsetsPerTrigger.split", "even", NULL};
    sl_source *src;
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    char *e1 = NULL, *e2 = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e1, err) == SL_OK);
    /* backlog 30/10/1, cap 8: level 3 pours 3+3+1 = 7, the eighth offset
     * goes to the first partition that can grow (Spark's split: 5/1/1) */
    CHECK_STR(e1, "{\"ev\":{\"0\":4,\"1\":3,\"2\":1}}");
    REQUIRE(src->ops->plan(src, e1, &e2, err) == SL_OK);
    /* from 4/3/1: level 7 pours 3+4 = 7, then partition 0 once more */
    CHECK_STR(e2, "{\"ev\":{\"0\":8,\"1\":7,\"2\":1}}");
    source_close(src);
    sl_free(e1);
    sl_free(e2);

    /* 22 messages written round-robin (message g in partition g % 4 at
     * offset g / 4), read 5 at a time: each batch is exactly the next 5. */
    for (int p = 0; p < 4; p++) REQUIRE(produce_n(bs, "rr", p, 0, p < 2 ? 6 : 5) == 0);
    const char *kv2[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "rr",
                         "startingOffsets", "earliest", "maxOffsetsPerTrigger", "5",
                         "maxOffsetsPerTrigger.split", "even", NULL};
    REQUIRE(source_open(SCHEMA, kv2, &src, err) == SL_OK);
    static rows rb;
    char *start = NULL;
    int batches = 0, bad = 0, seen[22] = {0};
    for (;;) {
        char *e = NULL;
        REQUIRE(src->ops->plan(src, start, &e, err) == SL_OK);
        if (!e) break;
        memset(&rb, 0, sizeof rb);
        REQUIRE(src->ops->read(src, start, e, collect, &rb, err) == SL_OK);
        int want = 22 - batches * 5 < 5 ? 22 - batches * 5 : 5;
        CHECK_INT(rb.n, want);
        for (int i = 0; i < rb.n; i++) {
            long long g = rb.off[i] * 4 + rb.part[i];
            bad += g < batches * 5 || g >= batches * 5 + want;
            if (g >= 0 && g < 22) seen[g]++;
        }
        sl_free(start);
        start = e;
        REQUIRE(++batches < 20);
    }
    CHECK_INT(batches, 5);
    CHECK_INT(bad, 0);
    for (int g = 0; g < 22; g++) bad += seen[g] != 1;
    CHECK_INT(bad, 0);
    sl_free(start);
    source_close(src);

    const char *kv3[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "rr",
                         "maxOffsetsPerTrigger.split", "evenly", NULL};
    CHECK(source_open(SCHEMA, kv3, &src, err) == SL_ERR_CONFIG);
    CHECK(strstr(sl_error_message(err), "maxOffsetsPerTrigger.split") != NULL);
    source_close(src);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

/* Reads topic ra (4 partitions) 5 messages a batch with the
 * 'even' split and the given readAhead.maxBytes; the rows of every batch go
 * to out[batch].  Returns the number of batches, -1 on a failure. */
static int read_batches(const char *bs, const char *keep, rows *out, int max_batches,
                        char **ends, sl_error *err)
{
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "ra",
                        "startingOffsets", "earliest", "maxOffsetsPerTrigger", "5",
                        "maxOffsetsPerTrigger.split", "even", "readAhead.maxBytes", keep,
                        NULL};
    sl_source *src;
    if (source_open(SCHEMA, kv, &src, err) != SL_OK) return -1;
    char *start = NULL;
    int b = 0;
    for (; b < max_batches; b++) {
        char *e = NULL;
        if (src->ops->plan(src, start, &e, err) != SL_OK) b = -1;
        if (b < 0 || !e) break;
        memset(&out[b], 0, sizeof out[b]);
        if (src->ops->read(src, start, e, collect, &out[b], err) != SL_OK) {
            b = -1;
            break;
        }
        ends[b] = e;
        start = e;
    }
    source_close(src);
    return b;
}

/* Messages fetched past a batch's end are kept for the next batches
 * (readAhead.maxBytes): the rows of every batch are those read with it off,
 * a batch whose range was prefetched reads with the broker down, a replay of
 * an earlier range and a budget smaller than a message change nothing. */
TEST(kafka_source_read_ahead)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "ra:4", err) == SL_OK);
    /* each partition's 10 messages in one flush: fetched together */
    for (int p = 0; p < 4; p++) REQUIRE(produce_n(bs, "ra", p, 0, 10) == 0);
    static rows off[12], on[12], tiny[12];
    char *e_off[12] = {0}, *e_on[12] = {0}, *e_tiny[12] = {0};
    int n_off = read_batches(bs, "0", off, 12, e_off, err);
    int n_on = read_batches(bs, "1000000", on, 12, e_on, err);
    int n_tiny = read_batches(bs, "3", tiny, 12, e_tiny, err);
    CHECK_INT(n_off, 8);
    CHECK_INT(n_on, n_off);
    CHECK_INT(n_tiny, n_off);
    int bad = 0, total = 0;
    for (int b = 0; b < n_off && b < n_on && b < n_tiny; b++) {
        CHECK_STR(e_on[b], e_off[b]);
        bad += on[b].n != off[b].n || tiny[b].n != off[b].n;
        for (int i = 0; i < off[b].n && i < on[b].n && i < tiny[b].n; i++)
            bad += strcmp(on[b].val[i], off[b].val[i]) != 0 || on[b].off[i] != off[b].off[i] ||
                   strcmp(tiny[b].val[i], off[b].val[i]) != 0;
        total += off[b].n;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(total, 40);

    /* Batch 1 fetches the partitions' producer batches: batch 2 is read
     * with the broker down (a 1 s outageTimeout fails it otherwise).  What
     * a fetch brings is enqueued while batch 1 reads, so under load its
     * tail may come after the read ended and not be kept: up to five
     * tries, one must read batch 2 from memory (none can without the
     * read-ahead).  A replay of batch 1 after it, no longer in the kept
     * run, comes back from the broker once it is up, equal. */
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "ra",
                        "startingOffsets", "earliest", "maxOffsetsPerTrigger", "5",
                        "maxOffsetsPerTrigger.split", "even", "outageTimeout", "1s", NULL};
    sl_source *src;
    static rows r1, r2, r1b;
    bool from_memory = false;
    for (int attempt = 0; attempt < 5 && !from_memory; attempt++) {
        REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
        char *e1 = NULL, *e2 = NULL;
        REQUIRE(src->ops->plan(src, NULL, &e1, err) == SL_OK);
        REQUIRE(src->ops->plan(src, e1, &e2, err) == SL_OK);
        memset(&r1, 0, sizeof r1);
        REQUIRE(src->ops->read(src, NULL, e1, collect, &r1, err) == SL_OK);
        REQUIRE(sl_kafka_broker_set_down(kb, 1, err) == SL_OK);
        memset(&r2, 0, sizeof r2);
        from_memory = src->ops->read(src, e1, e2, collect, &r2, err) == SL_OK;
        REQUIRE(sl_kafka_broker_set_down(kb, 0, err) == SL_OK);
        if (from_memory) {
            CHECK_INT(r2.n, on[1].n);
            for (int i = 0; i < r2.n && i < on[1].n; i++) CHECK_STR(r2.val[i], on[1].val[i]);
            memset(&r1b, 0, sizeof r1b);
            REQUIRE(src->ops->read(src, NULL, e1, collect, &r1b, err) == SL_OK);
            CHECK_INT(r1b.n, r1.n);
            for (int i = 0; i < r1.n && i < r1b.n; i++) CHECK_STR(r1b.val[i], r1.val[i]);
        }
        source_close(src);
        sl_free(e1);
        sl_free(e2);
    }
    CHECK(from_memory);

    CHECK(source_open(SCHEMA, (const char *[]){"connector", "kafka", "bootstrap.servers", bs,
                                               "subscribe", "ra", "readAhead.maxBytes", "-1",
                                               NULL},
                      &src, err) == SL_ERR_CONFIG);
    CHECK(strstr(sl_error_message(err), "readAhead.maxBytes") != NULL);
    source_close(src);
    for (int b = 0; b < 12; b++) {
        sl_free(e_off[b]);
        sl_free(e_on[b]);
        sl_free(e_tiny[b]);
    }
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_source_latest_and_json_offsets)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "u:2", err) == SL_OK);
    REQUIRE(produce_n(bs, "u", 0, 0, 5) == 0);
    REQUIRE(produce_n(bs, "u", 1, 0, 5) == 0);

    /* latest: what was there before the first plan is not read */
    const char *kv[] = {"connector", "kafka", "kafka.bootstrap.servers", bs, "subscribe", "u", NULL};
    sl_source *src;
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    char *e = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    CHECK(e == NULL);
    REQUIRE(produce_n(bs, "u", 1, 5, 2) == 0);
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    CHECK_STR(e, "{\"u\":{\"0\":5,\"1\":7}}");
    static rows r;
    memset(&r, 0, sizeof r);
    REQUIRE(src->ops->read(src, NULL, e, collect, &r, err) == SL_OK);
    CHECK_INT(r.n, 2);
    CHECK_STR(r.val[0], "p1-5");
    CHECK_STR(r.val[1], "p1-6");
    sl_free(e);
    source_close(src);

    /* JSON startingOffsets: -2 earliest on 0, offset 6 on 1 */
    const char *kv2[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribePattern", "u.*",
                         "startingOffsets", "{\"u\":{\"0\":-2,\"1\":6}}", NULL};
    REQUIRE(source_open(SCHEMA, kv2, &src, err) == SL_OK);
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    memset(&r, 0, sizeof r);
    REQUIRE(src->ops->read(src, NULL, e, collect, &r, err) == SL_OK);
    CHECK_INT(r.n, 6);
    CHECK_STR(r.val[5], "p1-6");
    sl_free(e);
    source_close(src);

    /* a JSON that does not name every partition is refused, as Spark does */
    const char *kv3[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "u",
                         "startingOffsets", "{\"u\":{\"0\":1}}", NULL};
    REQUIRE(source_open(SCHEMA, kv3, &src, err) == SL_OK);
    CHECK(src->ops->plan(src, NULL, &e, err) == SL_ERR_CONFIG);
    source_close(src);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_source_json_values)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "j", err) == SL_OK);
    const char *vals[] = {"[{\"ID\":\"1\",\"n\":10},{\"ID\":\"2\",\"n\":20}]",
                          "{\"ID\":\"3\",\"n\":30}", "not json", NULL};
    REQUIRE(produce_values(bs, "j", vals) == 0);
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "j",
                        "startingOffsets", "earliest", "format", "json", NULL};
    sl_source *src;
    REQUIRE(source_open("ID:S,n:I,offset:B", kv, &src, err) == SL_OK);
    char *e = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    CHECK_STR(e, "{\"j\":{\"0\":3}}");
    /* collect by hand: ID, n, offset */
    struct { int n; char id[8][8]; int v[8]; long long off[8]; bool vnull[8]; } got = {0};
    sl_status collect_json(void *ctx, sl_batch *b, sl_error *e2);
    REQUIRE(src->ops->read(src, NULL, e, collect_json, &got, err) == SL_OK);
    CHECK_INT(got.n, 4);   /* the array explodes; the bad record is one NULL row */
    CHECK_STR(got.id[0], "1");
    CHECK_INT(got.v[1], 20);
    CHECK_INT(got.off[1], 0);
    CHECK_STR(got.id[2], "3");
    CHECK_INT(got.off[2], 1);
    CHECK(got.vnull[3]);
    CHECK_INT(got.off[3], 2);
    CHECK_INT(src->stats.malformed, 1);
    sl_free(e);
    source_close(src);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

sl_status collect_json(void *ctx, sl_batch *b, sl_error *err)
{
    struct { int n; char id[8][8]; int v[8]; long long off[8]; bool vnull[8]; } *g = ctx;
    for (int64_t i = 0; i < b->n_rows && g->n < 8; i++) {
        size_t len = 0;
        const char *s = sl_col_is_null(b->cols[0], i) ? "" : sl_col_str(b->cols[0], i, &len);
        snprintf(g->id[g->n], 8, "%.*s", (int)len, s);
        g->vnull[g->n] = sl_col_is_null(b->cols[1], i);
        g->v[g->n] = g->vnull[g->n] ? 0 : sl_col_i32(b->cols[1])[i];
        g->off[g->n] = sl_col_i64(b->cols[2])[i];
        g->n++;
    }
    return SL_OK;
}

/* Reads every message of a topic partition 0 (read_committed unless told). */
static int consume_all(const char *bs, const char *topic, char out[][256], char keys[][64],
                       int max, const char *isolation)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "test", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "isolation.level", isolation, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, parts);
    rd_kafka_topic_partition_list_destroy(parts);
    int n = 0;
    int64_t deadline = sl_kafka_now_ms() + 10000;
    while (sl_kafka_now_ms() < deadline) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) continue;
        bool eof = m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
        if (!m->err && n < max) {
            snprintf(out[n], 256, "%.*s", (int)m->len, (const char *)m->payload);
            if (keys) snprintf(keys[n], 64, "%.*s", (int)m->key_len, m->key ? (const char *)m->key : "");
            n++;
        }
        rd_kafka_message_destroy(m);
        if (eof) break;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return n;
}

static sl_batch *two_rows(void)
{
    /* key STRING, State STRING, n INT */
    sl_batch *b = sl_batch_new(3);
    b->cols[0] = sl_col_new(SL_TYPE_STRING);
    b->cols[1] = sl_col_new(SL_TYPE_STRING);
    b->cols[2] = sl_col_new(SL_TYPE_INT);
    sl_col_append_str(b->cols[0], "k1", 2);
    sl_col_append_str(b->cols[1], "GOA", 3);
    sl_col_append_i32(b->cols[2], 7);
    sl_col_append_str(b->cols[0], "k2", 2);
    sl_col_append_str(b->cols[1], "KERALA", 6);
    sl_col_append_null(b->cols[2]);
    sl_batch_seal(b);
    return b;
}

TEST(kafka_sink_rows_and_json_array)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "out1,out2", err) == SL_OK);
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "topic", "out1", NULL};
    sl_sink *snk;
    REQUIRE(sink_open("key:S,State:S,n:I", kv, &snk, err) == SL_OK);
    sl_batch *b = two_rows();
    REQUIRE(snk->ops->begin(snk, 0, err) == SL_OK);
    REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
    REQUIRE(snk->ops->commit(snk, 0, err) == SL_OK);
    sink_close(snk);
    static char vals[16][256], keys[16][64];
    int n = consume_all(bs, "out1", vals, keys, 16, "read_committed");
    CHECK_INT(n, 2);
    CHECK_STR(keys[0], "k1");
    CHECK_STR(vals[0], "{\"State\":\"GOA\",\"n\":7}");
    CHECK_STR(vals[1], "{\"State\":\"KERALA\"}");

    const char *kv2[] = {"connector", "kafka", "bootstrap.servers", bs, "topic", "out2",
                         "format", "json-array", NULL};
    REQUIRE(sink_open("key:S,State:S,n:I", kv2, &snk, err) == SL_OK);
    REQUIRE(snk->ops->begin(snk, 0, err) == SL_OK);
    REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
    REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
    REQUIRE(snk->ops->commit(snk, 0, err) == SL_OK);
    REQUIRE(snk->ops->begin(snk, 1, err) == SL_OK);   /* empty batch: no message */
    REQUIRE(snk->ops->commit(snk, 1, err) == SL_OK);
    sink_close(snk);
    n = consume_all(bs, "out2", vals, keys, 16, "read_committed");
    CHECK_INT(n, 1);
    CHECK_STR(keys[0], "k1");
    CHECK_STR(vals[0], "[{\"State\":\"GOA\",\"n\":7},{\"State\":\"KERALA\"},"
                       "{\"State\":\"GOA\",\"n\":7},{\"State\":\"KERALA\"}]");
    sl_batch_unref(b);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_sink_transactions_exactly_once)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "tx", err) == SL_OK);
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "topic", "tx",
                        "kafka.transactional", "true", NULL};
    sl_sink *snk;
    REQUIRE(sink_open("key:S,State:S,n:I", kv, &snk, err) == SL_OK);
    sl_batch *b = two_rows();
    for (int id = 0; id < 2; id++) {
        REQUIRE(snk->ops->begin(snk, id, err) == SL_OK);
        REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
        REQUIRE(snk->ops->commit(snk, id, err) == SL_OK);
    }
    sink_close(snk);
    /* a restart replays batch 1 (already committed) and then runs batch 2 */
    REQUIRE(sink_open("key:S,State:S,n:I", kv, &snk, err) == SL_OK);
    for (int id = 1; id < 3; id++) {
        REQUIRE(snk->ops->begin(snk, id, err) == SL_OK);
        REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
        REQUIRE(snk->ops->commit(snk, id, err) == SL_OK);
    }
    sink_close(snk);
    static char vals[16][256];
    int n = consume_all(bs, "tx", vals, NULL, 16, "read_committed");
    CHECK_INT(n, 6);   /* batches 0, 1, 2: two rows each, batch 1 once */
    sl_batch_unref(b);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

typedef struct outage {
    sl_kafka_broker *kb;
    int delay_ms;
} outage;

static void *bring_up(void *arg)
{
    outage *o = arg;
    struct timespec ts = {o->delay_ms / 1000, (o->delay_ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    sl_kafka_broker_set_down(o->kb, 0, NULL);
    return NULL;
}

TEST(kafka_broker_outage)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "o:2,osink", err) == SL_OK);
    REQUIRE(produce_n(bs, "o", 0, 0, 50) == 0);
    REQUIRE(produce_n(bs, "o", 1, 0, 50) == 0);
    /* readAhead off: batch 2 must come from the broker, not from what
     * batch 1 prefetched */
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "o",
                        "startingOffsets", "earliest", "maxOffsetsPerTrigger", "60",
                        "readAhead.maxBytes", "0", NULL};
    sl_source *src;
    REQUIRE(source_open(SCHEMA, kv, &src, err) == SL_OK);
    const char *skv[] = {"connector", "kafka", "bootstrap.servers", bs, "topic", "osink", NULL};
    sl_sink *snk;
    REQUIRE(sink_open("value:S", skv, &snk, err) == SL_OK);
    static rows r;
    memset(&r, 0, sizeof r);
    char *e1 = NULL, *e2 = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e1, err) == SL_OK);
    REQUIRE(src->ops->read(src, NULL, e1, collect, &r, err) == SL_OK);
    int first = r.n;
    CHECK_INT(first, 60);

    /* down between batches: plan, read and the sink wait for it to return */
    outage o = {kb, 1500};
    pthread_t th;
    REQUIRE(sl_kafka_broker_set_down(kb, 1, err) == SL_OK);
    pthread_create(&th, NULL, bring_up, &o);
    REQUIRE(src->ops->plan(src, e1, &e2, err) == SL_OK);
    pthread_join(th, NULL);
    REQUIRE(e2 != NULL);
    REQUIRE(sl_kafka_broker_set_down(kb, 1, err) == SL_OK);
    pthread_create(&th, NULL, bring_up, &o);
    sl_status st = src->ops->read(src, e1, e2, collect, &r, err);
    pthread_join(th, NULL);
    REQUIRE(st == SL_OK);
    CHECK_INT(r.n, 100);
    int seen[2][50] = {{0}}, bad = 0;
    for (int i = 0; i < r.n; i++) seen[r.part[i]][r.off[i]]++;
    for (int p = 0; p < 2; p++)
        for (int k = 0; k < 50; k++) bad += seen[p][k] != 1;
    CHECK_INT(bad, 0);

    /* the sink: rows written while the broker is down are all delivered,
     * once each (idempotent producer), by commit */
    sl_batch *b = sl_batch_new(1);
    b->cols[0] = sl_col_new(SL_TYPE_STRING);
    for (int i = 0; i < 20; i++) {
        char v[16];
        snprintf(v, sizeof v, "m%d", i);
        sl_col_append_str(b->cols[0], v, strlen(v));
    }
    sl_batch_seal(b);
    REQUIRE(sl_kafka_broker_set_down(kb, 1, err) == SL_OK);
    pthread_create(&th, NULL, bring_up, &o);
    REQUIRE(snk->ops->begin(snk, 0, err) == SL_OK);
    REQUIRE(snk->ops->write(snk, b, err) == SL_OK);
    st = snk->ops->commit(snk, 0, err);
    pthread_join(th, NULL);
    CHECK(st == SL_OK);
    static char vals[64][256];
    int n = consume_all(bs, "osink", vals, NULL, 64, "read_committed");
    CHECK_INT(n, 20);
    if (n == 20) {
        CHECK_STR(vals[0], "m0");
        CHECK_STR(vals[19], "m19");
    }
    sl_batch_unref(b);
    sink_close(snk);
    sl_free(e1);
    sl_free(e2);
    source_close(src);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_broker_absent_at_start)
{
    sl_error *err = sl_error_new();
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", "127.0.0.1:1",
                        "subscribe", "t", "connectTimeout", "1s", NULL};
    sl_source *src;
    sl_status st = source_open(SCHEMA, kv, &src, err);
    CHECK(st == SL_ERR_KAFKA);
    CHECK(strstr(sl_error_message(err), "127.0.0.1:1") != NULL);
    CHECK(sl_error_is_retriable(err));
    source_close(src);
    sl_error_free(err);
}

TEST(kafka_sink_delivery_failure_is_an_error)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "lost", err) == SL_OK);
    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "topic", "lost",
                        "kafka.message.timeout.ms", "500", NULL};
    sl_sink *snk;
    REQUIRE(sink_open("key:S,State:S,n:I", kv, &snk, err) == SL_OK);
    sl_batch *b = two_rows();
    REQUIRE(sl_kafka_broker_set_down(kb, 1, err) == SL_OK);
    REQUIRE(snk->ops->begin(snk, 0, err) == SL_OK);
    sl_status st = snk->ops->write(snk, b, err);
    if (st == SL_OK) st = snk->ops->commit(snk, 0, err);
    CHECK(st == SL_ERR_KAFKA);
    CHECK(strstr(sl_error_message(err), "timed out") != NULL);
    sl_kafka_broker_set_down(kb, 0, err);
    sl_batch_unref(b);
    sink_close(snk);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

TEST(kafka_options_passed_to_librdkafka)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    const char *bad[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t",
                         "kafka.no.such.property", "1", NULL};
    sl_source *src;
    CHECK(source_open(SCHEMA, bad, &src, err) == SL_ERR_CONFIG);
    CHECK(strstr(sl_error_message(err), "no.such.property") != NULL);
    source_close(src);
    const char *good[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t",
                          "kafka.client.id", "sluice-test", NULL};
    CHECK(source_open(SCHEMA, good, &src, err) == SL_OK);
    source_close(src);
    const char *raw[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "t", NULL};
    CHECK(source_open("value:S,amount:D", raw, &src, err) == SL_ERR_CONFIG);
    CHECK(strstr(sl_error_message(err), "amount") != NULL);
    source_close(src);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

static int64_t low_watermark(const char *bs, const char *topic)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    int64_t lo = -1, hi = -1;
    rd_kafka_query_watermark_offsets(rk, topic, 0, &lo, &hi, 5000);
    rd_kafka_destroy(rk);
    return lo;
}

TEST(kafka_source_fail_on_data_loss)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "dl", err) == SL_OK);
    /* the mock cluster keeps ~5 MB per partition: 7 MB pushes the log start */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    rd_kafka_conf_set(conf, "bootstrap.servers", bs, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    static char big[1000];
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 7000; i++) {
        while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("dl"), RD_KAFKA_V_PARTITION(0),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_VALUE(big, sizeof big), RD_KAFKA_V_END))
            rd_kafka_poll(rk, 10);
    }
    REQUIRE(rd_kafka_flush(rk, 20000) == 0);
    rd_kafka_destroy(rk);
    int64_t lo = low_watermark(bs, "dl");
    REQUIRE(lo > 0);

    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "dl",
                        "startingOffsets", "{\"dl\":{\"0\":0}}", NULL};
    sl_source *src;
    REQUIRE(source_open("offset:B", kv, &src, err) == SL_OK);
    char *e = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    CHECK_STR(e, "{\"dl\":{\"0\":7000}}");
    int64_t count = 0;
    sl_status count_rows(void *ctx, sl_batch *b, sl_error *e2);
    CHECK(src->ops->read(src, NULL, e, count_rows, &count, err) == SL_ERR_KAFKA);
    CHECK(strstr(sl_error_message(err), "failOnDataLoss") != NULL);
    source_close(src);

    const char *kv2[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "dl",
                         "startingOffsets", "{\"dl\":{\"0\":0}}", "failOnDataLoss", "false", NULL};
    REQUIRE(source_open("offset:B", kv2, &src, err) == SL_OK);
    count = 0;
    CHECK(src->ops->read(src, NULL, e, count_rows, &count, err) == SL_OK);
    CHECK_INT(count, 7000 - lo);
    source_close(src);
    sl_free(e);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

sl_status count_rows(void *ctx, sl_batch *b, sl_error *err)
{
    *(int64_t *)ctx += b->n_rows;
    return SL_OK;
}

typedef struct sizes {
    int64_t rows, max_batch, batches;
} sizes;

static sl_status count_sizes(void *ctx, sl_batch *b, sl_error *err)
{
    sizes *s = ctx;
    s->rows += b->n_rows;
    s->batches++;
    if (b->n_rows > s->max_batch) s->max_batch = b->n_rows;
    return SL_OK;
}

TEST(kafka_source_batch_limit_and_csv)
{
    sl_error *err = sl_error_new();
    sl_kafka_broker *kb;
    REQUIRE(sl_kafka_broker_new(1, &kb, err) == SL_OK);
    const char *bs = sl_kafka_broker_bootstraps(kb);
    REQUIRE(sl_kafka_broker_create_topics(kb, "many,arr,csv", err) == SL_OK);
    int n = SL_BATCH_ROWS + 1000;
    REQUIRE(produce_n(bs, "many", 0, 0, n) == 0);
    /* one message holding an array of n objects */
    sl_buf big;
    sl_buf_init(&big);
    for (int i = 0; i < n; i++) sl_buf_printf(&big, "%s{\"x\":%d}", i ? "," : "[", i);
    sl_buf_putc(&big, ']');
    const char *arr[] = {big.data, NULL};
    REQUIRE(produce_values(bs, "arr", arr) == 0);
    const char *csv[] = {"1,abc", "2,\"d,e\"", NULL};
    REQUIRE(produce_values(bs, "csv", csv) == 0);

    const char *kv[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "many",
                        "startingOffsets", "earliest", NULL};
    sl_source *src;
    REQUIRE(source_open("offset:B", kv, &src, err) == SL_OK);
    char *e = NULL;
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    sizes s = {0};
    REQUIRE(src->ops->read(src, NULL, e, count_sizes, &s, err) == SL_OK);
    CHECK_INT(s.rows, n);
    CHECK(s.batches >= 2);
    CHECK(s.max_batch <= SL_BATCH_ROWS);
    sl_free(e);
    source_close(src);

    const char *kv2[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "arr",
                         "startingOffsets", "earliest", "format", "json", NULL};
    REQUIRE(source_open("x:I,offset:B", kv2, &src, err) == SL_OK);
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    memset(&s, 0, sizeof s);
    REQUIRE(src->ops->read(src, NULL, e, count_sizes, &s, err) == SL_OK);
    CHECK_INT(s.rows, n);
    CHECK(s.batches >= 2);
    CHECK(s.max_batch <= SL_BATCH_ROWS);
    sl_free(e);
    source_close(src);

    const char *kv3[] = {"connector", "kafka", "bootstrap.servers", bs, "subscribe", "csv",
                         "startingOffsets", "earliest", "format", "csv", NULL};
    REQUIRE(source_open("ID:I,name:S,partition:I", kv3, &src, err) == SL_OK);
    REQUIRE(src->ops->plan(src, NULL, &e, err) == SL_OK);
    struct { int n; char id[8][8]; int v[8]; long long off[8]; bool vnull[8]; } got = {0};
    sl_status grab(void *ctx, sl_batch *b, sl_error *e2);
    REQUIRE(src->ops->read(src, NULL, e, grab, &got, err) == SL_OK);
    CHECK_INT(got.n, 2);
    CHECK_INT(got.v[0], 1);
    CHECK_STR(got.id[0], "abc");
    CHECK_INT(got.v[1], 2);
    CHECK_STR(got.id[1], "d,e");
    sl_free(e);
    source_close(src);
    sl_buf_fini(&big);
    sl_kafka_broker_free(kb);
    sl_error_free(err);
}

sl_status grab(void *ctx, sl_batch *b, sl_error *err)
{
    struct { int n; char id[8][8]; int v[8]; long long off[8]; bool vnull[8]; } *g = ctx;
    for (int64_t i = 0; i < b->n_rows && g->n < 8; i++) {
        size_t len = 0;
        const char *s = sl_col_is_null(b->cols[1], i) ? "" : sl_col_str(b->cols[1], i, &len);
        snprintf(g->id[g->n], 8, "%.*s", (int)len, s);
        g->v[g->n] = sl_col_is_null(b->cols[0], i) ? -1 : sl_col_i32(b->cols[0])[i];
        g->n++;
    }
    return SL_OK;
}
