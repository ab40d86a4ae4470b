/* Join and deduplication state stays bounded over a long run: with the
 * watermark advancing, what a stateful operator keeps after each batch
 * stops growing once it is warm (rows enter and leave at the same rate),
 * while every match is still found. Run through the public API on the rate
 * source, whose rowsPerBatch gives deterministic batches and event time. */
#include "test.h"
#include "sluice.h"

#include <stdlib.h>

typedef struct seen {
    long long rows[128], removed;
    int n;
    long long out;
} seen;

static long long json_num(const char *json, const char *key)
{
    const char *p = strstr(json, key);
    return p ? atoll(p + strlen(key) + 1) : -1;
}

static void on_progress(const char *json, void *opaque)
{
    seen *s = opaque;
    if (s->n < 128) s->rows[s->n++] = json_num(json, "\"numRowsTotal\"");
    long long r = json_num(json, "\"numRowsRemoved\"");
    if (r > 0) s->removed += r;
}

static int count(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    ((seen *)opaque)->out += sl_batch_num_rows(b);
    return 0;
}

static void run(int *sl_test_failed, const char *query, long long want_out)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
             "rowsPerSecond = '1000', rowsPerBatch = '1000', rows = '60000');"
             "CREATE VIEW l (WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) AS "
             "  SELECT value %% 1000 AS k, timestamp AS ts FROM rate WHERE value %% 2 = 0;"
             "CREATE VIEW r (WATERMARK FOR ts AS ts - INTERVAL '2' SECOND) AS "
             "  SELECT (value - 1) %% 1000 AS k, timestamp AS ts FROM rate WHERE value %% 2 = 1;"
             "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'append') AS %s;", query);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    seen s = {0};
    REQUIRE(sl_engine_new(conf, &eng, err) == SL_OK);
    if (sl_engine_exec(eng, sql, "test", err) || sl_engine_register_sink(eng, "out", count, &s, err) ||
        (sl_engine_set_progress_cb(eng, on_progress, &s), sl_engine_run(eng, err))) {
        fprintf(stderr, "  %s\n", sl_error_message(err));
        CHECK(0);
    }
    CHECK(s.n >= 60);
    CHECK(s.removed > 0);
    /* warm after 10 batches (10 s of event time against 2-3 s of state) */
    long long warm = 0;
    for (int i = 5; i < 10 && i < s.n; i++) if (s.rows[i] > warm) warm = s.rows[i];
    CHECK(warm > 0);
    for (int i = 10; i < s.n - 1; i++) CHECK(s.rows[i] <= warm);
    if (s.out != want_out) fprintf(stderr, "  rows out: %lld, want %lld\n", s.out, want_out);
    CHECK(s.out == want_out);
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
}

/* Left row v (even) matches right row v + 1 only (v + 1001 is 1.001 s
 * later, outside the range): 30000 matches. */
TEST(join_state_flat_inner)
{
    run(sl_test_failed, "SELECT l.k FROM l JOIN r ON l.k = r.k AND r.ts BETWEEN l.ts AND l.ts + INTERVAL '1' SECOND",
        30000);
}

/* The same as a full outer join: every row matches, so no NULL rows. */
TEST(join_state_flat_full_outer)
{
    run(sl_test_failed,
        "SELECT l.k FROM l FULL JOIN r ON l.k = r.k AND r.ts BETWEEN l.ts AND l.ts + INTERVAL '1' SECOND", 30000);
}

/* Dedup on (k, ts) keeps one entry per row until the watermark passes it. */
TEST(dedup_state_flat)
{
    run(sl_test_failed, "SELECT k, ts FROM l DEDUPLICATE BY k, ts", 30000);
}
