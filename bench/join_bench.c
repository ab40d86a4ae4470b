/* Interval-join benchmark (issue 4): two streams of N/2 events each from
 * the rate source, joined on a key and a 1-second event-time range with
 * 2-second watermarks, micro-batch by micro-batch with state evicted as the
 * watermark advances.  Reports input rows/s, batches and peak state bytes,
 * against a batch hash join of the same rows (build the right side, probe
 * with the left, check the range) measured in the same run; both must find
 * the same number of matches.
 *
 * Usage: join_bench [total_rows] [rows_per_batch]  (public API only) */
#include "sluice.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEYS 100000
#define PER_SEC 100000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time (user + sys) of the process: the figure that stays meaningful
 * on a loaded machine, where wall time measures the neighbours. */
static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct stats { long long rows_out, peak_state_bytes, peak_state_rows, batches; } stats;

static int count_rows(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    ((stats *)opaque)->rows_out += sl_batch_num_rows(b);
    return 0;
}

static long long field(const char *json, const char *key)
{
    long long sum = 0;
    for (const char *p = json; (p = strstr(p, key)); p += strlen(key)) sum += atoll(p + strlen(key) + 1);
    return sum;
}

static void on_progress(const char *json, void *opaque)
{
    stats *s = opaque;
    long long bytes = field(json, "\"memoryUsedBytes\""), rows = field(json, "\"numRowsTotal\"");
    if (bytes > s->peak_state_bytes) s->peak_state_bytes = bytes;
    if (rows > s->peak_state_rows) s->peak_state_rows = rows;
    s->batches++;
}

/* The same rows, joined in one batch: row v is on the left when even
 * (key v % KEYS), on the right when odd (key (v - 1) % KEYS); ts = v * 10 µs. */
static long long batch_join(long long n)
{
    long long half = n / 2, matches = 0;
    int *head = malloc(sizeof *head * KEYS), *next = malloc(sizeof *next * (size_t)(half + 1));
    if (!head || !next) { fprintf(stderr, "out of memory\n"); exit(1); }
    memset(head, -1, sizeof *head * KEYS);
    for (long long i = 0; i < half; i++) { /* right rows v = 2i + 1 */
        long long v = 2 * i + 1;
        int k = (int)((v - 1) % KEYS);
        next[i] = head[k];
        head[k] = (int)i;
    }
    for (long long v = 0; v < n; v += 2) {
        long long ts = v * (1000000 / PER_SEC);
        for (int i = head[v % KEYS]; i >= 0; i = next[i]) {
            long long rts = (2LL * i + 1) * (1000000 / PER_SEC);
            matches += rts >= ts && rts <= ts + 1000000;
        }
    }
    free(head);
    free(next);
    return matches;
}

int main(int argc, char **argv)
{
    long long n = argc > 1 ? atoll(argv[1]) : 10000000, per_batch = argc > 2 ? atoll(argv[2]) : 200000;
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
             "rowsPerSecond = '%d', rowsPerBatch = '%lld', rows = '%lld');"
             "CREATE VIEW l (WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) AS "
             "  SELECT value %% %d AS k, timestamp AS ts FROM rate WHERE value %% 2 = 0;"
             "CREATE VIEW r (WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) AS "
             "  SELECT (value - 1) %% %d AS k, timestamp AS ts FROM rate WHERE value %% 2 = 1;"
             "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'append') AS "
             "  SELECT l.k FROM l JOIN r ON l.k = r.k AND r.ts BETWEEN l.ts AND l.ts + INTERVAL '1' SECOND;",
             PER_SEC, per_batch, n, KEYS, KEYS);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    stats s = {0};
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, "join_bench", err) ||
        sl_engine_register_sink(eng, "out", count_rows, &s, err)) {
        fprintf(stderr, "join_bench: %s\n", sl_error_message(err));
        return 1;
    }
    sl_engine_set_progress_cb(eng, on_progress, &s);
    double t0 = now(), c0 = cpu();
    if (sl_engine_run(eng, err)) { fprintf(stderr, "join_bench: %s\n", sl_error_message(err)); return 1; }
    double t_stream = now() - t0, c_stream = cpu() - c0;
    t0 = now();
    c0 = cpu();
    long long want = batch_join(n);
    double t_batch = now() - t0, c_batch = cpu() - c0;
    printf("interval join, %lld input rows (%lld per batch, %lld batches), 1 core:\n", n, per_batch, s.batches);
    printf("  sluice stream-stream join  %6.2f s CPU (%6.2f s wall)  %10.0f input rows/s per core  "
           "peak state %lld rows, %.1f MB\n",
           c_stream, t_stream, (double)n / c_stream, s.peak_state_rows, (double)s.peak_state_bytes / 1e6);
    printf("  batch hash join (C, ref)   %6.2f s CPU (%6.2f s wall)  %10.0f input rows/s per core  "
           "(all rows in memory)\n",
           c_batch, t_batch, (double)n / c_batch);
    printf("  matches: sluice %lld, batch join %lld%s\n", s.rows_out, want, s.rows_out == want ? "" : "  MISMATCH");
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    return s.rows_out == want ? 0 : 1;
}
