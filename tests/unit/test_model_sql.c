/* Models through the public API (CREATE MODEL, predict, predict_proba), and
 * allocation faults over them: a script that loads a hand-written XGBoost
 * model and scores a table, and one that trains a model from a table and
 * scores with it, are each run with allocation k failing for k = 1, 2, …
 * until a run no longer reaches the fault.  Every run must give the right
 * rows or fail cleanly with an out-of-memory error; under ASan the leak
 * checker runs after every k.  (libxgboost's own allocations are not
 * faulted: they do not go through sl_malloc.)
 *
 * The scores were worked out by hand: two stumps, binary:logistic with
 * base_score 0.5; tree 0 gives x < 0.5 ? -1 : +1 (missing: left), tree 1
 * y < 2 ? +0.5 : -0.5 (missing: right); p = 1 / (1 + exp(-margin)). */
#include "test.h"
#include "sluice.h"
#include "core/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

typedef struct msql_rows {
    char text[32][128];
    int n;
} msql_rows;

static int msql_collect(const sl_batch *b, const char *const *names, int64_t batch_id, void *opaque)
{
    msql_rows *r = opaque;
    for (int64_t i = 0; i < sl_batch_num_rows(b); i++) {
        if (r->n == 32) return 1;
        char *t = r->text[r->n++];
        size_t used = 0;
        for (int c = 0; c < sl_batch_num_columns(b) && used < 120; c++) {
            if (c) t[used++] = '|';
            used += sl_batch_cell_text(b, c, i, t + used, 128 - used);
            if (used > 127) used = 127;
        }
        t[used] = 0;
    }
    return 0;
}

static void msql_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static sl_status msql_run(const char *sql, msql_rows *rows, char *msg, size_t msg_len)
{
    memset(rows, 0, sizeof *rows);
    sl_error *err = sl_error_new();
    sl_engine *eng = NULL;
    sl_status s = sl_engine_new(NULL, &eng, err);
    if (!s) s = sl_engine_register_sink(eng, "out", msql_collect, rows, err);
    if (!s) s = sl_engine_exec(eng, sql, "model.sql", err);
    if (!s) s = sl_engine_run(eng, err);
    snprintf(msg, msg_len, "%s", err ? sl_error_message(err) : "(no error object)");
    sl_engine_free(eng);
    sl_error_free(err);
    return s;
}

static double sigmoid(double z) { return 1 / (1 + exp(-z)); }

/* Rows "id|p|class" of the load script, in id order. */
static int load_rows_ok(msql_rows *r)
{
    static const double margin[] = {-0.5, 0.5, -1.5, 0.5, 1.5};
    if (r->n != 5) return 0;
    for (int i = 0; i < 5; i++) {
        int id = 0;
        double p = 0, c = 0;
        const char *t = r->text[i];
        if (sscanf(t, "%d|%lf|%lf", &id, &p, &c) != 3 || id < 1 || id > 5) return 0;
        double want = sigmoid(margin[id - 1]);
        if (fabs(p - want) > 1e-6 || c != (want > 0.5 ? 1.0 : 0.0)) return 0;
    }
    return 1;
}

/* Rows "id|label|p" of the training script: the model must separate the
 * planted signal (label = x > 0) on its own training rows. */
static int train_rows_ok(msql_rows *r)
{
    if (r->n != 20) return 0;
    for (int i = 0; i < r->n; i++) {
        int id = 0, label = 0;
        double p = 0;
        if (sscanf(r->text[i], "%d|%d|%lf", &id, &label, &p) != 3) return 0;
        if ((p > 0.5) != (label == 1)) return 0;
    }
    return 1;
}

static const char *const model_json =
    "{\"learner\": {\"learner_model_param\": {\"base_score\": \"5E-1\", \"num_class\": \"0\", \"num_feature\": \"2\"},\n"
    " \"feature_names\": [\"x\", \"y\"], \"objective\": {\"name\": \"binary:logistic\"},\n"
    " \"gradient_booster\": {\"name\": \"gbtree\", \"model\": {\"tree_info\": [0, 0], \"trees\": [\n"
    "  {\"left_children\": [1, -1, -1], \"right_children\": [2, -1, -1], \"split_indices\": [0, 0, 0],\n"
    "   \"split_conditions\": [0.5, -1.0, 1.0], \"default_left\": [1, 0, 0], \"split_type\": [0, 0, 0]},\n"
    "  {\"left_children\": [1, -1, -1], \"right_children\": [2, -1, -1], \"split_indices\": [1, 0, 0],\n"
    "   \"split_conditions\": [2.0, 0.5, -0.5], \"default_left\": [0, 0, 0], \"split_type\": [0, 0, 0]}]}}}}\n";

typedef int (*rows_check)(msql_rows *r);

/* Runs sql unfaulted (must pass), then with each allocation k failing. */
static void msql_fault_loop(int *sl_test_failed, const char *sql, rows_check ok)
{
    msql_rows rows;
    char msg[1200];
    sl_status s = msql_run(sql, &rows, msg, sizeof msg);
    if (s) fprintf(stderr, "  unfaulted run: %s\n", msg);
    REQUIRE(s == SL_OK);
    if (!ok(&rows))
        for (int i = 0; i < rows.n; i++) fprintf(stderr, "  got row %s\n", rows.text[i]);
    REQUIRE(ok(&rows));
    long stride = getenv("SL_FAULTS_STRIDE") ? atol(getenv("SL_FAULTS_STRIDE")) : 1;
    if (stride < 1) stride = 1;
    long k, n_ok = 0, n_err = 0;
    for (k = 1; k < 200000; k += stride) {
        sl_mem_fault_arm(k, 0);
        s = msql_run(sql, &rows, msg, sizeof msg);
        long hits = sl_mem_fault_hits();
        sl_mem_fault_arm(0, 0);
        if (hits == 0) {
            CHECK(s == SL_OK && ok(&rows));
            break;
        }
        if (s == SL_OK) {
            if (!ok(&rows)) { fprintf(stderr, "  k=%ld: wrong rows\n", k); CHECK(0); }
            n_ok++;
        } else if (s == SL_ERR_NOMEM || strstr(msg, "out of memory")) {
            n_err++;
        } else {
            fprintf(stderr, "  k=%ld: unclean error %s: %s\n", k, sl_status_name(s), msg);
            CHECK(0);
        }
        if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
            fprintf(stderr, "  k=%ld: leak\n", k);
            CHECK(0);
        }
    }
    fprintf(stderr, "  %ld allocations faulted: %ld clean errors, %ld runs recovered\n", k - 1, n_err, n_ok);
}

TEST(model_sql_load_faults)
{
    char dir[] = "/tmp/sluice-model-sql-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char p[600], sql[4096];
    snprintf(p, sizeof p, "%s/m.json", dir);
    msql_write(p, model_json);
    snprintf(p, sizeof p, "%s/r.json", dir);
    msql_write(p, "{\"id\": 1, \"x\": 0, \"y\": 1}\n{\"id\": 2, \"x\": 1, \"y\": 3}\n"
                  "{\"id\": 3, \"x\": null, \"y\": null}\n{\"id\": 4, \"x\": 0.5, \"y\": 2}\n"
                  "{\"id\": 5, \"x\": 1, \"y\": 0}\n");
    snprintf(sql, sizeof sql,
             "SET 'progress' = 'false';\n"
             "CREATE TABLE r (id INT, x DOUBLE, y INT) WITH (connector = 'file', path = '%s/r.json', format = 'json');\n"
             "CREATE MODEL m FROM '%s/m.json';\n"
             "CREATE SINK o WITH (connector = 'callback', name = 'out') AS\n"
             "SELECT id, predict_proba(m, *) AS p, predict(m, x, y) AS c FROM r;\n",
             dir, dir);
    msql_fault_loop(sl_test_failed, sql, load_rows_ok);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

TEST(model_sql_train_faults)
{
    char dir[] = "/tmp/sluice-model-sql-XXXXXX";
    REQUIRE(mkdtemp(dir));
    char p[600], sql[4096], data[2048];
    size_t len = 0;
    /* label = x > 0, with a string column and NULLs as noise */
    for (int i = 0; i < 20; i++) {
        double x = (i % 2 ? 1 : -1) * (1 + i % 5);
        len += (size_t)snprintf(data + len, sizeof data - len, "{\"id\": %d, \"x\": %g, \"s\": %s, \"label\": %d}\n",
                                i, x, i % 3 ? "\"a\"" : "null", x > 0);
    }
    snprintf(p, sizeof p, "%s/t.json", dir);
    msql_write(p, data);
    snprintf(sql, sizeof sql,
             "SET 'progress' = 'false';\n"
             "CREATE TABLE t (id INT, x DOUBLE, s STRING, label INT)\n"
             "  WITH (connector = 'file', path = '%s/t.json', format = 'json');\n"
             "CREATE MODEL m WITH (type = 'xgboost', label = 'label', path = '%s/bundle',\n"
             "  num_round = '5', max_depth = '2', min_child_weight = '0') AS\n"
             "SELECT regexp_replace(s, '[^a-z]', '') AS s, x, label FROM t;\n"
             "CREATE SINK o WITH (connector = 'callback', name = 'out') AS\n"
             "SELECT id, label, predict_proba(m, *) AS p FROM t;\n",
             dir, dir);
    msql_fault_loop(sl_test_failed, sql, train_rows_ok);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}
