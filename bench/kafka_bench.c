/* Kafka → JSON parse → filter → Kafka through the connector API, for
 * bench/kafka.sh while `sluice run` cannot run a query yet: the Kafka source
 * (format json) reads topic `in` in micro-batches (plan/read), a filter
 * keeps rows with amount > 500, the Kafka sink writes them to topic `out`
 * as JSON objects and commits each batch.  Prints messages, rows out, wall
 * seconds and CPU seconds (the whole process: librdkafka's threads too).
 *
 *   kafka_bench BOOTSTRAP IN_TOPIC OUT_TOPIC EXPECTED_MESSAGES */
#include "core/mem.h"
#include "core/status.h"
#include "io/connector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

extern const sl_source_ops sl_kafka_source_ops;
extern const sl_sink_ops sl_kafka_sink_ops;

typedef struct ctx {
    sl_sink *snk;
    int64_t rows_in, rows_out;
} ctx;

static sl_status on_batch(void *opaque, sl_batch *b, sl_error *err)
{
    ctx *c = opaque;
    c->rows_in += b->n_rows;
    /* amount is column 2 */
    const sl_col *amt = b->cols[2];
    int32_t *sel = sl_malloc((size_t)(b->n_rows + 1) * sizeof *sel);
    if (!sel) return sl_err_oom(err);
    int64_t n = 0;
    for (int64_t i = 0; i < b->n_rows; i++)
        if (!sl_col_is_null(amt, i) && sl_col_f64(amt)[i] > 500) sel[n++] = (int32_t)i;
    sl_batch *out = sl_batch_gather(b, sel, n);
    sl_free(sel);
    if (!out) return sl_err_oom(err);
    c->rows_out += n;
    sl_status st = c->snk->ops->write(c->snk, out, err);
    sl_batch_unref(out);
    return st;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static sl_schema *schema(const char *const *names, const sl_type *types, int n)
{
    sl_schema *s = sl_schema_new(n);
    for (int i = 0; i < n; i++) sl_schema_set(s, i, names[i], types[i]);
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: kafka_bench BOOTSTRAP IN OUT EXPECTED\n");
        return 2;
    }
    const char *bs = argv[1];
    long long expected = atoll(argv[4]);
    sl_error *err = sl_error_new();
    static const char *const names[] = {"name", "surname", "amount", "delta_t", "flag"};
    static const sl_type types[] = {SL_TYPE_STRING, SL_TYPE_STRING, SL_TYPE_DOUBLE,
                                    SL_TYPE_DOUBLE, SL_TYPE_INT};

    sl_source src = {.ops = &sl_kafka_source_ops, .name = "bench_in"};
    src.schema = schema(names, types, 5);
    sl_options_init(&src.opts);
    sl_options_set(&src.opts, "bootstrap.servers", bs);
    sl_options_set(&src.opts, "subscribe", argv[2]);
    sl_options_set(&src.opts, "startingOffsets", "earliest");
    sl_options_set(&src.opts, "format", "json");
    sl_options_set(&src.opts, "maxOffsetsPerTrigger", "100000");
    for (int i = 0; getenv("KB_OPTS") && i < 1; i++) {
        char *o = strdup(getenv("KB_OPTS")), *save = NULL;
        for (char *kv = strtok_r(o, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
            char *eq = strchr(kv, '='); *eq = 0; sl_options_set(&src.opts, kv, eq + 1);
        }
        free(o);
    }
    sl_sink snk = {.ops = &sl_kafka_sink_ops, .name = "bench_out", .output_mode = "append"};
    snk.schema = schema(names, types, 5);
    sl_options_init(&snk.opts);
    sl_options_set(&snk.opts, "bootstrap.servers", bs);
    sl_options_set(&snk.opts, "topic", argv[3]);
    if (src.ops->open(&src, err) || snk.ops->open(&snk, err)) {
        fprintf(stderr, "kafka_bench: %s\n", sl_error_message(err));
        return 1;
    }
    ctx c = {.snk = &snk};
    double w0 = now_s(), c0 = cpu_s();
    char *start = NULL;
    int64_t batch = 0;
    double plan_s = 0, read_s = 0, commit_s = 0;
    while (c.rows_in < expected) {
        char *end = NULL;
        double t0 = now_s();
        sl_status st = src.ops->plan(&src, start, &end, err);
        double t1 = now_s();
        plan_s += t1 - t0;
        if (!st && end)
            st = snk.ops->begin(&snk, batch, err) ||
                 src.ops->read(&src, start, end, on_batch, &c, err);
        double t2 = now_s();
        read_s += t2 - t1;
        if (!st && end) st = snk.ops->commit(&snk, batch, err);
        commit_s += now_s() - t2;
        if (st) {
            fprintf(stderr, "kafka_bench: %s\n", sl_error_message(err));
            return 1;
        }
        if (!end) continue;
        batch++;
        sl_free(start);
        start = end;
    }
    double wall = now_s() - w0, cpu = cpu_s() - c0;
    printf("messages %lld rows_out %lld batches %lld wall %.3f cpu %.3f "
           "(plan %.3f, read+parse+filter+write %.3f, commit %.3f)\n",
           (long long)c.rows_in, (long long)c.rows_out, (long long)batch, wall, cpu, plan_s,
           read_s, commit_s);
    sl_free(start);
    src.ops->close(&src);
    snk.ops->close(&snk);
    sl_schema_free(src.schema);
    sl_schema_free(snk.schema);
    sl_options_fini(&src.opts);
    sl_options_fini(&snk.opts);
    sl_error_free(err);
    return 0;
}
