/* Aggregation state through checkpoints: every aggregate function's state
 * saved at the end of each batch (snapshots and deltas) and loaded into a
 * new engine must continue exactly where it stopped.  A query over the rate
 * source (deterministic batches) runs 12 batches in one engine; the same
 * query runs 5 batches with a checkpoint, its engine is freed, and a second
 * engine resumes from the checkpoint for the remaining 7.  In complete mode
 * the last batch prints every group, so the two final results must be equal
 * row for row; the total count must also equal the rows the source made.
 * Also: the opstate delta layer writes only changed records. */
#include "test.h"
#include "sluice.h"
#include "core/mem.h"
#include "driver/engine_int.h"
#include "state/ckpt_log.h"
#include "state/opstate.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct rows {
    char *text[64];
    int n;
    long long total;
} rows;

static void rows_clear(rows *r)
{
    for (int i = 0; i < r->n; i++) free(r->text[i]);
    r->n = 0;
    r->total = 0;
}

/* Keeps the latest batch's rows as text, one line per row. */
static int keep(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    rows *r = opaque;
    if (!sl_batch_num_rows(b)) return 0;
    rows_clear(r);
    for (int64_t i = 0; i < sl_batch_num_rows(b) && r->n < 64; i++) {
        char line[1024] = "", cell[128];
        for (int c = 0; c < sl_batch_num_columns(b); c++) {
            sl_batch_cell_text(b, c, i, cell, sizeof cell);
            strcat(line, cell);
            strcat(line, "|");
        }
        sl_batch_cell_text(b, 1, i, cell, sizeof cell);
        r->total += atoll(cell);
        r->text[r->n++] = strdup(line);
    }
    return 0;
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *SQL =
    "CREATE SOURCE rate (timestamp TIMESTAMP, value BIGINT) WITH (connector = 'rate', "
    "  rowsPerSecond = '1000', rowsPerBatch = '500', rows = '6000');"
    "CREATE SINK out WITH (connector = 'callback', 'output.mode' = 'complete'%s) AS "
    "SELECT value %% 7 AS k, count(*) AS n, count(DISTINCT value %% 13) AS d, "
    "  approx_count_distinct(value) AS a, sum(value) AS s, avg(value * 0.5) AS m, "
    "  min(concat('v', cast(value AS STRING))) AS lo, max(value * 1.5) AS hi "
    "FROM rate GROUP BY value %% 7;";

/* Runs up to `batches` batches; returns the number run. */
static int run(int *sl_test_failed, const char *opts, int batches, rows *out, bool close_ckpt)
{
    char sql[2048];
    snprintf(sql, sizeof sql, SQL, opts);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    int ran_n = 0;
    if (sl_engine_new(conf, &eng, err) || sl_engine_exec(eng, sql, "test", err) ||
        sl_engine_register_sink(eng, "out", keep, out, err) || sl_engine_start(eng, err)) {
        fprintf(stderr, "  %s\n", sl_error_message(err));
        CHECK(0);
    } else {
        for (int i = 0; i < batches; i++) {
            int ran, done;
            if (sl_engine_step(eng, &ran, &done, err)) {
                fprintf(stderr, "  %s\n", sl_error_message(err));
                CHECK(0);
                break;
            }
            ran_n += ran;
            if (done) break;
        }
    }
    /* The stepping API leaves the checkpoint open until the engine is
     * freed (which closes it, test_ckpt_close.c); closed here first, as a
     * stopped run would. */
    if (eng && close_ckpt)
        for (size_t k = 0; k < eng->n_queries; k++) sl_ckpt_query_close(eng->queries[k]);
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
    return ran_n;
}

static void rmrf(const char *d)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
    if (system(cmd)) {}
}

/* backend: the state options of the first 5 batches; then: of the other 7
 * (NULL: the same), e.g. "'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '1'" */
static void resume_equals_uninterrupted(int *sl_test_failed, const char *backend, const char *then)
{
    char dir[] = "/tmp/sl_ckpt_agg_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char opts[512], opts2[512];
    snprintf(opts, sizeof opts, ", checkpointLocation = '%s/ck', 'state.snapshotInterval' = '3', %s",
             dir, backend);
    snprintf(opts2, sizeof opts2, ", checkpointLocation = '%s/ck', 'state.snapshotInterval' = '3', %s",
             dir, then ? then : backend);
    rows whole = {0}, part = {0};
    CHECK(run(sl_test_failed, "", 12, &whole, true) == 12);
    CHECK(run(sl_test_failed, opts, 5, &part, true) == 5);
    rows_clear(&part);
    CHECK(run(sl_test_failed, opts2, 7, &part, true) == 7);
    /* 12 batches of 500 rows, counted once each */
    CHECK(whole.total == 6000);
    CHECK(part.total == 6000);
    REQUIRE(whole.n == 7 && part.n == 7);
    qsort(whole.text, (size_t)whole.n, sizeof *whole.text, cmp);
    qsort(part.text, (size_t)part.n, sizeof *part.text, cmp);
    for (int i = 0; i < whole.n; i++) {
        if (strcmp(whole.text[i], part.text[i]))
            fprintf(stderr, "  uninterrupted: %s\n  resumed:       %s\n", whole.text[i], part.text[i]);
        CHECK(strcmp(whole.text[i], part.text[i]) == 0);
    }
    /* snapshots every 3 versions, deltas between */
    char path[600];
    snprintf(path, sizeof path, "%s/ck/state/0-aggregate", dir);
    DIR *d = opendir(path);
    int snaps = 0, deltas = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (strstr(e->d_name, ".snap")) snaps++;
            if (strstr(e->d_name, ".delta")) deltas++;
        }
        closedir(d);
    }
    CHECK(snaps >= 3);
    CHECK(deltas >= 6);
    rows_clear(&whole);
    rows_clear(&part);
    rmrf(dir);
}

#define MEMORY "'state.backend' = 'memory'"
#define ROCKSDB "'state.backend' = 'rocksdb'"
/* every group read from and written back to RocksDB in every batch */
#define ROCKSDB_NOCACHE "'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '1'"

TEST(ckpt_agg_resume_memory) { resume_equals_uninterrupted(sl_test_failed, MEMORY, NULL); }

/* In a child process: RocksDB's background threads would not survive the
 * fork of a later test (test_ckpt_crash.c forks its pipelines). */
static void in_child(int *sl_test_failed, const char *backend, const char *then)
{
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int failed = 0;
        resume_equals_uninterrupted(&failed, backend, then);
        fflush(NULL);
        _exit(failed);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(ckpt_agg_resume_rocksdb) { in_child(sl_test_failed, ROCKSDB, NULL); }
/* The groups live in RocksDB, the cache holds none after a batch: complete
 * mode emits them from the store, every aggregate's state goes through it. */
TEST(ckpt_agg_resume_rocksdb_nocache) { in_child(sl_test_failed, ROCKSDB_NOCACHE, NULL); }
/* A restart may change the backend: RocksDB's event-time-ordered records
 * restore into memory, memory's plain ones into RocksDB. */
TEST(ckpt_agg_resume_rocksdb_then_memory) { in_child(sl_test_failed, ROCKSDB_NOCACHE, MEMORY); }
TEST(ckpt_agg_resume_memory_then_rocksdb) { in_child(sl_test_failed, MEMORY, ROCKSDB_NOCACHE); }

/* Restarted without the checkpoint's state (a new location), the counts
 * differ: the comparison above can fail. */
TEST(ckpt_agg_resume_without_state_differs)
{
    char dir[] = "/tmp/sl_ckpt_agg_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char a[512], b[512];
    snprintf(a, sizeof a, ", checkpointLocation = '%s/a'", dir);
    snprintf(b, sizeof b, ", checkpointLocation = '%s/b'", dir);
    rows r = {0};
    run(sl_test_failed, a, 5, &r, true);
    rows_clear(&r);
    run(sl_test_failed, b, 7, &r, true);
    CHECK(r.total == 3500); /* the new location starts over: 7 batches only */
    rows_clear(&r);
    rmrf(dir);
}

/* Counts restored records whose value is the one last put for the key
 * (k<i> -> w<i> for i < 5, v<i> otherwise). */
static sl_status collect(void *ctx, const void *k, size_t kl, const void *v, size_t vl, sl_error *err)
{
    char key[16] = "", want[16];
    memcpy(key, k, kl < 15 ? kl : 15);
    int i = atoi(key + 1);
    snprintf(want, sizeof want, i < 5 ? "w%d" : "v%d", i);
    if (vl == strlen(want) && !memcmp(v, want, vl)) (*(int *)ctx)++;
    return SL_OK;
}

/* The delta of a save holds only records that changed or disappeared. */
TEST(ckpt_opstate_delta)
{
    char dir[] = "/tmp/sl_ckpt_agg_XXXXXX";
    REQUIRE(mkdtemp(dir));
    char ck[600];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    sl_error *err = sl_error_new();
    sl_ckpt_log_opts lo = {.fingerprint = "x", .snapshot_interval = 100};
    sl_ckpt_log *log = NULL;
    REQUIRE(sl_ckpt_log_open(ck, &lo, &log, err) == SL_OK);
    sl_opstate *s = NULL;
    REQUIRE(sl_opstate_open(log, "op", NULL, &s, err) == SL_OK);
    sl_opstate_stats st;
    char k[16], v[16];
    CHECK(sl_opstate_begin(s, 0, err) == SL_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "v%d", i);
        CHECK(sl_opstate_put(s, k, strlen(k), v, strlen(v), err) == SL_OK);
    }
    CHECK(sl_opstate_commit(s, err) == SL_OK);
    sl_opstate_stats_get(s, &st);
    CHECK(st.changed == 100 && st.deleted == 0 && st.records == 100);
    /* version 1: keys 0..89 again, 5 of them changed; 90..99 gone */
    CHECK(sl_opstate_begin(s, 1, err) == SL_OK);
    for (int i = 0; i < 90; i++) {
        snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, i < 5 ? "w%d" : "v%d", i);
        CHECK(sl_opstate_put(s, k, strlen(k), v, strlen(v), err) == SL_OK);
    }
    CHECK(sl_opstate_put(s, "k1", 2, "x", 1, err) == SL_ERR_INTERNAL); /* twice in one save */
    CHECK(sl_opstate_commit(s, err) == SL_OK);
    sl_opstate_stats_get(s, &st);
    CHECK(st.put == 90 && st.changed == 5 && st.deleted == 10 && st.records == 90);
    /* version 2: keys 0..79 kept without values, 80..89 not saved: deleted */
    CHECK(sl_opstate_begin(s, 2, err) == SL_OK);
    CHECK(!sl_opstate_keep(s, "nope", 4)); /* unknown key: must be put */
    for (int i = 0; i < 80; i++) {
        snprintf(k, sizeof k, "k%d", i);
        CHECK(sl_opstate_keep(s, k, strlen(k)));
    }
    CHECK(sl_opstate_commit(s, err) == SL_OK);
    sl_opstate_stats_get(s, &st);
    CHECK(st.put == 80 && st.changed == 0 && st.deleted == 10 && st.records == 80);
    sl_opstate_free(s);
    /* the chain (snapshot 0 + deltas 1, 2) restores 80 records, the kept
     * ones with the values last put */
    REQUIRE(sl_opstate_open(log, "op", NULL, &s, err) == SL_OK);
    int n = 0;
    int64_t got = 0;
    CHECK(sl_opstate_restore(s, 2, collect, &n, &got, err) == SL_OK);
    CHECK(n == 80 && got == 80);
    n = 0;
    CHECK(sl_opstate_restore(s, 1, collect, &n, &got, err) == SL_OK);
    CHECK(n == 90 && got == 90);
    sl_opstate_free(s);
    sl_ckpt_log_free(log);
    sl_error_free(err);
    rmrf(dir);
}
