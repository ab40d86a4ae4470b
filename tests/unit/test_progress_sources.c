/* The progress report's per-source counters are the batch's own, as Spark's
 * SourceProgress: numInputRows, numMalformedRecords and numDroppedRecords of
 * each report count what that batch read, not a running total — also when
 * two queries share the source.  Two JSON files read one per batch hold 2
 * and 1 malformed records; the expected counts follow from the files. */
#include "test.h"
#include "sluice.h"

#include <stdlib.h>
#include <unistd.h>
#include <utime.h>

typedef struct report {
    char query[16];
    long long batch, rows, malformed, dropped;
} report;

typedef struct reports {
    report r[16];
    int n;
} reports;

static long long num_after(const char *from, const char *key)
{
    const char *p = strstr(from, key);
    return p ? atoll(p + strlen(key)) : -1;
}

static void on_progress(const char *json, void *opaque)
{
    reports *rs = opaque;
    if (rs->n >= 16) return;
    report *r = &rs->r[rs->n++];
    const char *name = strstr(json, "\"name\":\"");
    snprintf(r->query, sizeof r->query, "%.*s", name ? (int)strcspn(name + 8, "\"") : 0, name ? name + 8 : "");
    r->batch = num_after(json, "\"batchId\":");
    const char *src = strstr(json, "\"sources\":[");
    r->rows = src ? num_after(src, "\"numInputRows\":") : -1;
    r->malformed = src ? num_after(src, "\"numMalformedRecords\":") : -1;
    r->dropped = src ? num_after(src, "\"numDroppedRecords\":") : -1;
}

static int ignore(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque) { return 0; }

static void write_file(const char *dir, const char *name, const char *text, long mtime)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
    struct utimbuf t = {mtime, mtime};
    utime(path, &t);
}

/* Runs two callback queries over one file source in `mode` until done. */
static void run(int *sl_test_failed, const char *dir, const char *mode, reports *rs)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE s (k STRING, x INT) WITH (connector = 'file', path = '%s', format = 'json', "
             "maxFilesPerTrigger = '1', mode = '%s');"
             "CREATE SINK a WITH (connector = 'callback', name = 'a', trigger = 'availableNow') AS SELECT * FROM s;"
             "CREATE SINK b WITH (connector = 'callback', name = 'b', trigger = 'availableNow') AS SELECT k FROM s WHERE x > 0;",
             dir, mode);
    sl_error *err = sl_error_new();
    sl_config *conf = sl_config_new();
    sl_config_set(conf, "progress", "false", err);
    sl_engine *eng = NULL;
    sl_status st = sl_engine_new(conf, &eng, err);
    if (!st) st = sl_engine_exec(eng, sql, "test", err);
    if (!st) st = sl_engine_register_sink(eng, "a", ignore, NULL, err);
    if (!st) st = sl_engine_register_sink(eng, "b", ignore, NULL, err);
    if (!st) {
        sl_engine_set_progress_cb(eng, on_progress, rs);
        st = sl_engine_start(eng, err);
    }
    for (int i = 0; i < 10 && !st; i++) {
        int ran, done;
        st = sl_engine_step(eng, &ran, &done, err);
        if (done) break;
    }
    if (st) fprintf(stderr, "  %s: %s\n", mode, sl_error_message(err));
    CHECK(st == SL_OK);
    sl_engine_free(eng);
    sl_config_free(conf);
    sl_error_free(err);
}

static void expect(int *sl_test_failed, const reports *rs, const char *mode, const long long want[2][3])
{
    int seen[2][2] = {{0}};
    for (int i = 0; i < rs->n; i++) {
        const report *r = &rs->r[i];
        int q = r->query[0] == 'b';
        if (r->batch < 0 || r->batch > 1) { CHECK(!"unexpected batch id"); continue; }
        seen[q][r->batch]++;
        const long long *w = want[r->batch];
        if (r->rows != w[0] || r->malformed != w[1] || r->dropped != w[2]) {
            fprintf(stderr, "  %s: query %s batch %lld: rows %lld malformed %lld dropped %lld, want %lld %lld %lld\n",
                    mode, r->query, r->batch, r->rows, r->malformed, r->dropped, w[0], w[1], w[2]);
            CHECK(0);
        }
    }
    for (int q = 0; q < 2; q++)
        for (int b = 0; b < 2; b++) CHECK(seen[q][b] == 1);
}

TEST(progress_source_counts_per_batch)
{
    char dir[] = "/tmp/sl_progress_XXXXXX";
    REQUIRE(mkdtemp(dir));
    write_file(dir, "1.json", "{\"k\":\"a\",\"x\":1}\nnot json\n{\"k\":\"b\",\"x\":\"zz\"}\n", 1700000000);
    write_file(dir, "2.json", "{\"k\":\"c\",\"x\":3}\n{\"k\":\"d\"\n", 1700000001);

    /* PERMISSIVE keeps a row for each record */
    reports perm = {0};
    run(sl_test_failed, dir, "PERMISSIVE", &perm);
    const long long want_perm[2][3] = {{3, 2, 0}, {2, 1, 0}};
    expect(sl_test_failed, &perm, "PERMISSIVE", want_perm);

    /* DROPMALFORMED: the malformed records are counted and dropped */
    reports drop = {0};
    run(sl_test_failed, dir, "DROPMALFORMED", &drop);
    const long long want_drop[2][3] = {{1, 2, 2}, {1, 1, 1}};
    expect(sl_test_failed, &drop, "DROPMALFORMED", want_drop);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
}
