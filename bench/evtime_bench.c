/* Event-time benchmark (issue 3): N out-of-order events over 100k keys
 * from the rate source (micro-batches of 200k rows), a 5-second watermark,
 * a 10-second tumbling window with count and sum per key in append mode,
 * into a callback sink.  Event time is whole seconds: event v happens at
 * second v / 100000 minus a jitter of 0-3 s ((v * 7919) % 4), so rows arrive
 * out of order but never behind the watermark.  Prints CPU seconds, input
 * rows/s per core and peak RSS, and, for bench/evtime.sh to compare with
 * DuckDB, the closed windows' totals: "result <rows> <sum of counts> <sum
 * of sums>".
 *
 * Usage: evtime_bench [events] (public API only) */
#include "sluice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct totals { long long rows, count, sum, batches, late; } totals;

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Columns: k, window_start, window_end, c, s. */
static int collect(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    totals *t = opaque;
    char cell[64];
    for (int64_t i = 0; i < sl_batch_num_rows(b); i++) {
        sl_batch_cell_text(b, 3, i, cell, sizeof cell);
        t->count += atoll(cell);
        sl_batch_cell_text(b, 4, i, cell, sizeof cell);
        t->sum += atoll(cell);
    }
    t->rows += sl_batch_num_rows(b);
    return 0;
}

static void on_progress(const char *json, void *opaque)
{
    totals *t = opaque;
    t->batches++;
    const char *p = strstr(json, "\"numRowsDroppedByWatermark\":");
    if (p) t->late += atoll(p + strlen("\"numRowsDroppedByWatermark\":"));
}

int main(int argc, char **argv)
{
    long long n = argc > 1 ? atoll(argv[1]) : 10000000;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
             "  rowsPerSecond = '100000', rowsPerBatch = '200000', rows = '%lld');"
             "CREATE VIEW ev (WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) AS "
             "  SELECT value %% 100000 AS k, value AS v,"
             "         CAST((value - value %% 100000) / 100000 - (value * 7919) %% 4 AS TIMESTAMP) AS ts FROM rate;"
             "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'append') AS "
             "  SELECT k, window_start, window_end, count(*) AS c, sum(v) AS s "
             "  FROM ev GROUP BY window(ts, '10 seconds'), k;",
             n);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    totals t = {0};
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, "evtime_bench", err) ||
        sl_engine_register_sink(eng, "out", collect, &t, err)) {
        fprintf(stderr, "evtime_bench: %s\n", sl_error_message(err));
        return 1;
    }
    sl_engine_set_progress_cb(eng, on_progress, &t);
    double c0 = cpu_now(), w0 = wall_now();
    if (sl_engine_run(eng, err)) { fprintf(stderr, "evtime_bench: %s\n", sl_error_message(err)); return 1; }
    double cpu = cpu_now() - c0, wall = wall_now() - w0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("sluice %.3f %.3f %ld %lld %lld\n", cpu, wall, ru.ru_maxrss / 1024, t.batches, t.late);
    printf("result %lld %lld %lld\n", t.rows, t.count, t.sum);
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    return 0;
}
