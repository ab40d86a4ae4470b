/* A checkpoint is released with its engine, whatever way the run ended:
 * freeing an engine that was started and stepped but never stopped, or one
 * whose start failed after an earlier query had opened its checkpoint,
 * closes the checkpoint (its .lock flock, log and state stores), so a new
 * engine in the same process can resume from it.  Under ASan the same runs
 * also show nothing leaks.  And the progress report carries the time the
 * batch's checkpoint took (durationMs.checkpoint) when there is one. */
#include "test.h"
#include "sluice.h"

#include <stdlib.h>
#include <unistd.h>

typedef struct seen {
    int reports, with_ckpt;
} seen;

static void on_progress(const char *json, void *opaque)
{
    seen *s = opaque;
    s->reports++;
    const char *d = strstr(json, "\"durationMs\":{");
    const char *e = d ? strchr(d, '}') : NULL;
    const char *c = d ? strstr(d, "\"checkpoint\":") : NULL;
    if (c && c < e && c[13] >= '0' && c[13] <= '9') s->with_ckpt++;
}

static int ignore(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque) { return 0; }

static void rmrf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd)) {}
}

/* Runs `sql` (sinks `out` and maybe `out2`, both callbacks): start, then up
 * to `steps` steps, then frees the engine without stopping it.  Returns the
 * start's status. */
static sl_status start_steps_free(int *sl_test_failed, const char *sql, int steps, seen *s, char *msg, size_t msg_len)
{
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    sl_status st = sl_engine_new(conf, &eng, err);
    if (!st) st = sl_engine_exec(eng, sql, "test", err);
    if (!st) st = sl_engine_register_sink(eng, "out", ignore, NULL, err);
    if (!st && strstr(sql, "out2")) st = sl_engine_register_sink(eng, "out2", ignore, NULL, err);
    if (!st) {
        if (s) sl_engine_set_progress_cb(eng, on_progress, s);
        st = sl_engine_start(eng, err);
    }
    for (int i = 0; i < steps && !st; i++) {
        int ran, done;
        if (sl_engine_step(eng, &ran, &done, err)) {
            fprintf(stderr, "  step: %s\n", sl_error_message(err));
            CHECK(0);
            break;
        }
        if (done) break;
    }
    snprintf(msg, msg_len, "%s", st ? sl_error_message(err) : "");
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    return st;
}

#define SRC                                                                                                     \
    "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "                      \
    "rowsPerSecond = '100', rowsPerBatch = '100', rows = '1000');"
#define SINK(name, loc)                                                                                         \
    "CREATE SINK " name " WITH (connector = 'callback', 'output.mode' = 'update', checkpointLocation = '" loc \
    "') AS SELECT value %% 7 AS k, count(*) AS n FROM rate GROUP BY value %% 7;"

TEST(ckpt_released_when_engine_freed_unstopped)
{
    char dir[] = "/tmp/sluice-ckclose-XXXXXX", sql[2048], msg[512];
    REQUIRE(mkdtemp(dir));
    snprintf(sql, sizeof sql, SRC SINK("out", "%s/ck"), dir);
    seen s = {0};
    CHECK(start_steps_free(sl_test_failed, sql, 3, &s, msg, sizeof msg) == SL_OK);
    CHECK(s.reports == 3);
    CHECK(s.with_ckpt == s.reports); /* every report says what its checkpoint took */
    /* the same checkpoint again, in the same process: the lock is free */
    CHECK(start_steps_free(sl_test_failed, sql, 2, NULL, msg, sizeof msg) == SL_OK);
    if (*msg) fprintf(stderr, "  %s\n", msg);
    rmrf(dir);
}

TEST(ckpt_released_when_a_later_query_fails_to_start)
{
    char dir[] = "/tmp/sluice-ckclose-XXXXXX", sql[2048], path[512], msg[512];
    REQUIRE(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/afile", dir);
    FILE *f = fopen(path, "w");
    REQUIRE(f);
    fclose(f);
    /* out's checkpoint opens; out2's lies below a regular file: start fails */
    snprintf(sql, sizeof sql, SRC SINK("out", "%s/ck") SINK("out2", "%s/afile/ck"), dir, dir);
    CHECK(start_steps_free(sl_test_failed, sql, 0, NULL, msg, sizeof msg) != SL_OK);
    CHECK(strstr(msg, "afile") != NULL);
    snprintf(sql, sizeof sql, SRC SINK("out", "%s/ck"), dir);
    CHECK(start_steps_free(sl_test_failed, sql, 1, NULL, msg, sizeof msg) == SL_OK);
    if (*msg) fprintf(stderr, "  %s\n", msg);
    rmrf(dir);
}

TEST(progress_without_ckpt_has_no_ckpt_time)
{
    char sql[1024], msg[512];
    seen s = {0};
    snprintf(sql, sizeof sql, "%s", SRC "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'update') AS "
                                        "SELECT value % 7 AS k, count(*) AS n FROM rate GROUP BY value % 7;");
    CHECK(start_steps_free(sl_test_failed, sql, 2, &s, msg, sizeof msg) == SL_OK);
    CHECK(s.reports == 2);
    CHECK(s.with_ckpt == 0);
}
