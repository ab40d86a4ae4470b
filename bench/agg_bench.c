/* Aggregation benchmark driver (issue 2, benchmark b), used by bench/agg.sh.
 *
 *   agg_bench gen DIR ROWS FILES   writes ROWS CSV records (k,v,x,ts) into
 *                                  FILES files DIR/part-NNN.csv, fixed seed:
 *                                  the input of the file → GROUP BY → file
 *                                  pipeline that agg.sh runs with `sluice run`
 *                                  and DuckDB reads.
 *   agg_bench engine ROWS [BATCH]  the engine alone, no parsing: the rate
 *                                  source → GROUP BY (count, sum, avg, min,
 *                                  max over 4000 keys) → a callback sink,
 *                                  plain and windowed, each against a plain C
 *                                  hash aggregation of the same values in the
 *                                  same batches (the hardware-bound
 *                                  reference); both must agree.
 *
 * Figures are per core: rows divided by the CPU time of the process
 * (CLOCK_PROCESS_CPUTIME_ID), so a busy machine does not distort them.
 * Public API only. */
#include "sluice.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define KEYS 4000

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* splitmix64: a fixed-seed generator, so every run writes the same bytes. */
static uint64_t mix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Row i: key k0..k3999 at random, v an integer in [-500, 499], x a double
 * with two decimals, ts 10 ms apart from 2024-01-01 plus up to 5 s of
 * jitter (out of order, never behind a 10 s watermark). */
static int gen(const char *dir, long long rows, int files)
{
    mkdir(dir, 0755);
    uint64_t seed = 42;
    long long per_file = (rows + files - 1) / files, i = 0;
    const int64_t base = 1704067200LL; /* 2024-01-01 00:00:00 UTC */
    for (int f = 0; f < files && i < rows; f++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/part-%03d.csv", dir, f);
        FILE *out = fopen(path, "w");
        if (!out) { perror(path); return 1; }
        static char buf[1 << 20];
        setvbuf(out, buf, _IOFBF, sizeof buf);
        fputs("k,v,x,ts\n", out);
        for (long long end = i + per_file; i < end && i < rows; i++) {
            uint64_t r = mix(&seed);
            int k = (int)(r % KEYS);
            int v = (int)((r >> 16) % 1000) - 500;
            int x = (int)((r >> 32) % 100000);
            int64_t ms = i * 10 + (int64_t)((r >> 48) % 5000);
            time_t t = (time_t)(base + ms / 1000);
            struct tm tm;
            gmtime_r(&t, &tm);
            fprintf(out, "k%d,%d,%d.%02d,%04d-%02d-%02d %02d:%02d:%02d.%03d\n", k, v, x / 100, x % 100,
                    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
        }
        if (fclose(out)) { perror(path); return 1; }
    }
    return 0;
}

/* ---- engine: rate source → aggregation, against a C hash aggregation ---- */

typedef struct sums {
    long long groups, cnt, sum, min_sum, max_sum;
    int per_batch;       /* complete mode: keep only the last batch's rows */
    int64_t last_batch;
} sums;

/* Sums over the result rows (k, count, sum, avg, min, max): a checksum both
 * sides must reproduce. */
static int on_rows(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    sums *s = opaque;
    char cell[64];
    if (s->per_batch && batch_id != s->last_batch) {
        s->groups = s->cnt = s->sum = s->min_sum = s->max_sum = 0;
        s->last_batch = batch_id;
    }
    int nc = sl_batch_num_columns(b);
    for (int64_t i = 0; i < sl_batch_num_rows(b); i++) {
        s->groups++;
        sl_batch_cell_text(b, nc - 5, i, cell, sizeof cell);
        s->cnt += atoll(cell);
        sl_batch_cell_text(b, nc - 4, i, cell, sizeof cell);
        s->sum += atoll(cell);
        sl_batch_cell_text(b, nc - 2, i, cell, sizeof cell);
        s->min_sum += atoll(cell);
        sl_batch_cell_text(b, nc - 1, i, cell, sizeof cell);
        s->max_sum += atoll(cell);
    }
    return 0;
}

/* The reference: an open-addressing table keyed by (window, key) with
 * count/sum/min/max per slot, fed batch by batch with the same expressions
 * the query computes (k = value * 2654435761 % 4000, x = value % 1000). */
typedef struct slot { int64_t win, key, cnt, sum, min, max; int used; } slot;

static uint64_t hash2(int64_t a, int64_t b)
{
    uint64_t h = (uint64_t)a * 0x9e3779b97f4a7c15ULL ^ (uint64_t)b * 0xc2b2ae3d27d4eb4fULL;
    return h ^ (h >> 29);
}

static void ref_agg(long long n, long long per_batch, int64_t win_rows, sums *out)
{
    size_t cap = 1;
    long long max_groups = win_rows ? KEYS * (n / win_rows + 2) : KEYS;
    while (cap < (size_t)max_groups * 2) cap <<= 1;
    slot *t = calloc(cap, sizeof *t);
    int64_t *k = malloc(sizeof *k * (size_t)per_batch), *x = malloc(sizeof *x * (size_t)per_batch),
            *w = malloc(sizeof *w * (size_t)per_batch);
    if (!t || !k || !x || !w) { fprintf(stderr, "out of memory\n"); exit(1); }
    for (long long b0 = 0; b0 < n; b0 += per_batch) {
        long long m = n - b0 < per_batch ? n - b0 : per_batch;
        for (long long i = 0; i < m; i++) { /* expression evaluation, a column at a time */
            int64_t v = b0 + i;
            k[i] = v * 2654435761LL % KEYS;
            x[i] = v % 1000;
            w[i] = win_rows ? v / win_rows : 0;
        }
        for (long long i = 0; i < m; i++) {
            size_t h = hash2(w[i], k[i]) & (cap - 1);
            while (t[h].used && (t[h].key != k[i] || t[h].win != w[i])) h = (h + 1) & (cap - 1);
            slot *s = &t[h];
            if (!s->used) { s->used = 1; s->key = k[i]; s->win = w[i]; s->min = s->max = x[i]; }
            s->cnt++;
            s->sum += x[i];
            if (x[i] < s->min) s->min = x[i];
            if (x[i] > s->max) s->max = x[i];
        }
    }
    /* In append mode only closed windows come out: those whose end is at
     * or before the final watermark, max ts − 10 s (row v is at v × 10 µs,
     * so in rows: window w closes when (w + 1) × win_rows ≤ n − 1 − 10⁶). */
    int64_t last_closed = 0;
    if (win_rows) {
        int64_t wm_rows = (n - 1) - 10 * (int64_t)100000;
        last_closed = wm_rows < 0 ? 0 : wm_rows / win_rows;
    }
    for (size_t i = 0; i < cap; i++) {
        if (!t[i].used || (win_rows && t[i].win >= last_closed)) continue;
        out->groups++;
        out->cnt += t[i].cnt;
        out->sum += t[i].sum;
        out->min_sum += t[i].min;
        out->max_sum += t[i].max;
    }
    free(t);
    free(k);
    free(x);
    free(w);
}

static int run_engine(const char *label, const char *select, long long n, long long per_batch, int64_t win_rows)
{
    char sql[2048];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
             "rowsPerSecond = '100000', rowsPerBatch = '%lld', rows = '%lld');"
             /* event time from the value (v × 10 µs since the epoch), so
              * the reference knows the window of every row */
             "CREATE VIEW r (WATERMARK FOR ts AS ts - INTERVAL '10' SECOND) AS SELECT "
             "CAST(value / 100000.0 AS TIMESTAMP) AS ts, value * 2654435761 %% %d AS k, value %% 1000 AS x FROM rate;"
             "CREATE SINK out WITH (connector = 'callback', 'output.mode' = '%s') AS %s;",
             per_batch, n, KEYS, win_rows ? "append" : "complete", select);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    sums got = {.per_batch = !win_rows, .last_batch = -1}, want = {0};
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, "agg_bench", err) ||
        sl_engine_register_sink(eng, "out", on_rows, &got, err)) {
        fprintf(stderr, "agg_bench: %s\n", sl_error_message(err));
        return 1;
    }
    double t0 = cpu_now();
    if (sl_engine_run(eng, err)) { fprintf(stderr, "agg_bench: %s\n", sl_error_message(err)); return 1; }
    double t_eng = cpu_now() - t0;
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    t0 = cpu_now();
    ref_agg(n, per_batch, win_rows, &want);
    double t_ref = cpu_now() - t0;
    int ok = got.groups == want.groups && got.cnt == want.cnt && got.sum == want.sum &&
             got.min_sum == want.min_sum && got.max_sum == want.max_sum;
    printf("  %-34s sluice %7.2f s CPU %12.0f rows/s/core | C hash agg (ref) %6.2f s %12.0f rows/s/core | %.1fx\n",
           label, t_eng, (double)n / t_eng, t_ref, (double)n / t_ref, t_eng / t_ref);
    printf("  %-34s groups %lld (ref %lld), sum(count) %lld (ref %lld), sum(sum) %lld (ref %lld)%s\n", "", got.groups,
           want.groups, got.cnt, want.cnt, got.sum, want.sum, ok ? "" : "  MISMATCH");
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && !strcmp(argv[1], "gen")) return gen(argv[2], atoll(argv[3]), atoi(argv[4]));
    if (argc >= 3 && !strcmp(argv[1], "engine")) {
        long long n = atoll(argv[2]), per_batch = argc > 3 ? atoll(argv[3]) : 1000000;
        printf("engine only (rate source, no parsing), %lld rows in batches of %lld, %d keys:\n", n, per_batch, KEYS);
        int rc = run_engine("GROUP BY k (complete mode)",
                            "SELECT k, count(*), sum(x), avg(x), min(x), max(x) FROM r GROUP BY k", n, per_batch, 0);
        rc |= run_engine("GROUP BY window(ts, 1 s), k (append)",
                         "SELECT k, count(*), sum(x), avg(x), min(x), max(x) FROM r "
                         "GROUP BY window(ts, '1 second'), k",
                         n, per_batch, 100000);
        return rc;
    }
    fprintf(stderr, "usage: agg_bench gen DIR ROWS FILES | agg_bench engine ROWS [BATCH]\n");
    return 2;
}
