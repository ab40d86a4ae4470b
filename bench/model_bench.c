/* Model scoring benchmark: rows/s on one core for
 *   1. the reference Spark PipelineModel (StringIndexer x7 -> OneHotEncoder
 *      -> VectorAssembler, 937 features -> GBT 20 trees depth 5) over real
 *      LTFS rows (replicated), through sl_model_score — string lookups,
 *      one-hot and the trees included;
 *   2. an XGBoost model of 100 trees of depth 6 (trained here with
 *      libxgboost on random data), through sl_model_score, against
 *      libxgboost's XGBoosterPredictFromDense on the same rows with
 *      nthread=1, checking both agree.
 *
 *   model_bench <spark_model_dir|-> <ltfs_rows.csv|-> [rows [spark|xgb]]
 * (the CSV as tests/model/spark_rows.py writes it; "-" skips the Spark
 * model, a fourth argument runs only one of the two). Prints one line per
 * figure. Times are CPU time (user + sys) of the process, best of several
 * runs, so "per core" holds on a loaded machine. */
#include "model/model.h"
#include "core/column.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <xgboost/c_api.h>

/* CPU time of the process (user + sys): the machine is shared, so wall
 * time measures the other tenants as much as us. Both scorers run on this
 * one thread (libxgboost with nthread=1). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what, sl_error *err)
{
    fprintf(stderr, "%s: %s\n", what, err ? sl_error_message(err) : XGBGetLastError());
    exit(1);
}

/* Best of `reps` timings of scoring n rows (the first run warms caches). */
static double time_score(const sl_model *m, sl_col **cols, int64_t n, int reps, sl_error *err)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        sl_col *pred, *prob;
        double t0 = now();
        if (sl_model_score(m, cols, n, &pred, &prob, err) != SL_OK) die("score", err);
        double t = now() - t0;
        if (t < best) best = t;
        sl_col_unref(pred);
        sl_col_unref(prob);
    }
    return best;
}

static void bench_spark(const char *dir, const char *csv, int64_t n_rows, sl_error *err)
{
    sl_model *m;
    if (sl_model_load(dir, &m, err) != SL_OK) die("load", err);
    FILE *f = fopen(csv, "r");
    if (!f) { perror(csv); exit(1); }
    char line[8192];
    if (!fgets(line, sizeof line, f)) exit(1);
    line[strcspn(line, "\r\n")] = 0;
    char *hdr[64];
    int nh = 0;
    for (char *p = line, *c; nh < 64; p = c + 1) {
        c = strchr(p, ',');
        hdr[nh++] = strdup(p);
        if (!c) break;
        *c = 0;
        hdr[nh - 1][c - p] = 0;
    }
    /* Read the sample rows once. */
    char ***cells = NULL;
    int64_t n_src = 0, cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (n_src == cap) { cap = cap ? cap * 2 : 1024; cells = realloc(cells, sizeof *cells * cap); }
        char **row = calloc(nh, sizeof *row);
        char *p = line;
        for (int i = 0; i < nh; i++) {
            char *c = strchr(p, ',');
            if (c) *c = 0;
            row[i] = *p ? strdup(p) : NULL;
            if (!c) break;
            p = c + 1;
        }
        cells[n_src++] = row;
    }
    fclose(f);
    int ni = sl_model_num_inputs(m);
    sl_col **cols = calloc(ni, sizeof *cols);
    for (int i = 0; i < ni; i++) {
        const sl_model_input *in = sl_model_input_get(m, i);
        int h = -1;
        for (int k = 0; k < nh; k++) if (strcasecmp(hdr[k], in->name) == 0) h = k;
        if (h < 0) { fprintf(stderr, "no column %s\n", in->name); exit(1); }
        cols[i] = sl_col_new(in->type);
        for (int64_t r = 0; r < n_rows; r++) {
            const char *s = cells[r % n_src][h];
            if (!s) sl_col_append_null(cols[i]);
            else if (in->type == SL_TYPE_STRING) sl_col_append_str(cols[i], s, strlen(s));
            else sl_col_append_f64(cols[i], strtod(s, NULL));
        }
    }
    double t = time_score(m, cols, n_rows, 5, err);
    printf("spark_reference_model rows=%lld seconds=%.4f rows_per_sec_per_core=%.0f  (%s)\n",
           (long long)n_rows, t, n_rows / t, sl_model_describe(m));
    for (int i = 0; i < ni; i++) sl_col_unref(cols[i]);
    free(cols);
    sl_model_free(m);
}

static void bench_xgb(int64_t n_rows, sl_error *err)
{
    const int nf = 20, n_train = 100000, trees = 100, depth = 6;
    float *x = malloc(sizeof *x * (size_t)n_train * nf), *y = malloc(sizeof *y * n_train);
    srand(42);
    for (int i = 0; i < n_train; i++) {
        double s = 0;
        for (int j = 0; j < nf; j++) {
            float v = (float)rand() / RAND_MAX * 2 - 1;
            if (rand() % 20 == 0) v = NAN;
            x[(size_t)i * nf + j] = v;
            if (v == v) s += v * (j % 3 == 0 ? 1.0 : j % 3 == 1 ? -0.5 : 0.2) + (j < 3 ? v * v : 0);
        }
        y[i] = s + 0.3 * ((float)rand() / RAND_MAX - 0.5) > 0;
    }
    DMatrixHandle dm;
    BoosterHandle b;
    if (XGDMatrixCreateFromMat(x, n_train, nf, NAN, &dm) || XGDMatrixSetFloatInfo(dm, "label", y, n_train) ||
        XGBoosterCreate(&dm, 1, &b)) die("xgb", NULL);
    char md[8];
    snprintf(md, sizeof md, "%d", depth);
    XGBoosterSetParam(b, "objective", "binary:logistic");
    XGBoosterSetParam(b, "max_depth", md);
    XGBoosterSetParam(b, "nthread", "1");
    XGBoosterSetParam(b, "verbosity", "0");
    for (int i = 0; i < trees; i++) if (XGBoosterUpdateOneIter(b, i, dm)) die("train", NULL);
    char path[] = "/tmp/sl_model_bench_XXXXXX.json";
    int fd = mkstemps(path, 5);
    close(fd);
    if (XGBoosterSaveModel(b, path)) die("save", NULL);
    sl_model *m;
    if (sl_model_load(path, &m, err) != SL_OK) die("load", err);
    unlink(path);
    /* Scoring rows: fresh random rows, same distribution. */
    float *xs = malloc(sizeof *xs * (size_t)n_rows * nf);
    sl_col **cols = calloc(nf, sizeof *cols);
    for (int j = 0; j < nf; j++) cols[j] = sl_col_new_sized(SL_TYPE_DOUBLE, n_rows, 0);
    for (int64_t i = 0; i < n_rows; i++)
        for (int j = 0; j < nf; j++) {
            float v = (float)rand() / RAND_MAX * 2 - 1;
            if (rand() % 20 == 0) v = NAN;
            xs[(size_t)i * nf + j] = v;
            sl_col_f64(cols[j])[i] = v;
        }
    double t = time_score(m, cols, n_rows, 5, err);
    /* libxgboost on the same rows, one thread. */
    char arr[256], cfg[] = "{\"type\": 0, \"training\": false, \"iteration_begin\": 0, "
                           "\"iteration_end\": 0, \"strict_shape\": false, \"missing\": NaN, \"cache_id\": 0}";
    snprintf(arr, sizeof arr,
             "{\"data\": [%llu, true], \"shape\": [%lld, %d], \"typestr\": \"<f4\", \"version\": 3}",
             (unsigned long long)(uintptr_t)xs, (long long)n_rows, nf);
    double tx = 1e30;
    const float *res = NULL;
    for (int r = 0; r < 3; r++) {
        const bst_ulong *shape;
        bst_ulong dim;
        double t0 = now();
        if (XGBoosterPredictFromDense(b, arr, cfg, NULL, &shape, &dim, &res)) die("predict", NULL);
        double d = now() - t0;
        if (d < tx) tx = d;
    }
    sl_col *pred, *prob;
    if (sl_model_score(m, cols, n_rows, &pred, &prob, err) != SL_OK) die("score", err);
    double worst = 0;
    for (int64_t i = 0; i < n_rows; i++) {
        double d = fabs(sl_col_f64(prob)[i] - res[i]);
        if (d > worst) worst = d;
    }
    printf("xgboost_100x6 rows=%lld sluice_rows_per_sec_per_core=%.0f libxgboost_rows_per_sec_per_core=%.0f "
           "speedup=%.2fx max_abs_diff=%.3g\n",
           (long long)n_rows, n_rows / t, n_rows / tx, tx / t, worst);
    sl_col_unref(pred);
    sl_col_unref(prob);
    for (int j = 0; j < nf; j++) sl_col_unref(cols[j]);
    free(cols);
    free(xs);
    free(x);
    free(y);
    sl_model_free(m);
    XGBoosterFree(b);
    XGDMatrixFree(dm);
}

int main(int argc, char **argv)
{
    sl_error *err = sl_error_new();
    int64_t rows = argc > 3 ? atoll(argv[3]) : 1000000;
    const char *only = argc > 4 ? argv[4] : "";
    if (argc > 2 && strcmp(argv[1], "-") != 0 && strcmp(only, "xgb") != 0)
        bench_spark(argv[1], argv[2], rows, err);
    if (strcmp(only, "spark") != 0) bench_xgb(rows, err);
    sl_error_free(err);
    return 0;
}
