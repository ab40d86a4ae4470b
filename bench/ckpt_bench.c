/* Checkpoint cost (issue 6): the windowed-aggregation workload run twice in
 * one process, without and with a checkpoint location, through the public
 * stepping API; prints CPU time of each run and the time each batch's
 * checkpoint took (offsets, operator state snapshot/delta, commit; read from
 * the engine's own measurement).  Built by bench/ckpt.sh against
 * build/libsluice.a with -Isrc (it reads sl_query.ckpt_us).
 *
 *   ckpt_bench ROWS ROWS_PER_BATCH KEYS BACKEND DIR */
#include "sluice.h"
#include "driver/engine_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long long rows_out;

static int count(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    rows_out += sl_batch_num_rows(b);
    return 0;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double wall_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int run(long long rows, long long per_batch, long long keys, const char *ckpt_opts, const char *label)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
             "  rowsPerSecond = '%lld', rowsPerBatch = '%lld', rows = '%lld');"
             "CREATE VIEW ev (WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) AS "
             "  SELECT value %% %lld AS k, value AS v, timestamp AS ts FROM rate;"
             "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'append'%s) AS "
             "SELECT k, window_start, count(*) AS n, sum(v) AS s FROM ev GROUP BY k, window(ts, '10 seconds');",
             per_batch, per_batch, rows, keys, ckpt_opts);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    rows_out = 0;
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, "bench", err) ||
        sl_engine_register_sink(eng, "out", count, NULL, err) || sl_engine_start(eng, err)) {
        fprintf(stderr, "ckpt_bench: %s\n", sl_error_message(err));
        return 1;
    }
    double c0 = cpu_s(), w0 = wall_s(), ck_sum = 0, ck_max = 0;
    int batches = 0;
    for (;;) {
        int ran, done;
        if (sl_engine_step(eng, &ran, &done, err)) {
            fprintf(stderr, "ckpt_bench: %s\n", sl_error_message(err));
            return 1;
        }
        if (ran) {
            double ms = eng->queries[0]->ckpt_us / 1000.0;
            batches++;
            ck_sum += ms;
            if (ms > ck_max) ck_max = ms;
        }
        if (done) break;
    }
    double c = cpu_s() - c0, w = wall_s() - w0;
    printf("%s %.3f %.3f %d %.3f %.3f %lld\n", label, c, w, batches, batches ? ck_sum / batches : 0, ck_max, rows_out);
    for (size_t k = 0; k < eng->n_queries; k++) sl_ckpt_query_close(eng->queries[k]);
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: ckpt_bench ROWS ROWS_PER_BATCH KEYS BACKEND[:CACHE_BYTES] DIR\n");
        return 2;
    }
    long long rows = atoll(argv[1]), per_batch = atoll(argv[2]), keys = atoll(argv[3]);
    char opts[1024], backend[64];
    snprintf(backend, sizeof backend, "%s", argv[4]);
    char *cache = strchr(backend, ':');
    if (cache) *cache++ = '\0';
    snprintf(opts, sizeof opts, ", checkpointLocation = '%s/ck', 'state.backend' = '%s'%s%s%s", argv[5], backend,
             cache ? ", 'state.rocksdb.cacheBytes' = '" : "", cache ? cache : "", cache ? "'" : "");
    /* off, on, off again: the two "off" runs bound the noise */
    return run(rows, per_batch, keys, "", "off") || run(rows, per_batch, keys, opts, "on") ||
           run(rows, per_batch, keys, "", "off2");
}
