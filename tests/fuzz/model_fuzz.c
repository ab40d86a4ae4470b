/* libFuzzer target for model loading (src/model): XGBoost JSON model files,
 * sluice model bundles (features.json + model.json) and Spark ML model
 * directories (PipelineModel metadata, stage metadata and the Parquet data
 * files the stages keep).  sl_model_load takes a path, so the input is laid
 * out as files in a private temporary directory first:
 *
 *   byte 0 % 4 == 0  the rest is an XGBoost JSON model file
 *               1  a bundle: parts = features.json, model.json
 *               2  a Spark PipelineModel: parts = metadata/part-00000, then
 *                  per stage i (directory stages/<i>_<U>, U = A, B, C, D)
 *                  its metadata/part-00000 and data/part-0.parquet
 *               3  a single Spark predictor: parts = metadata/part-00000,
 *                  data/part-0.parquet, treesMetadata/part-0.parquet
 *
 * where "parts" are the rest of the input cut at each "@@SLUICE-FILE@@"
 * (an absent part is an absent file).  A model that loads is also scored on
 * a few rows of NULLs and zeros, the cheapest check that what the loader
 * built is consistent.  Build and run (from the repository root):
 *
 *   make build/fuzz/model_fuzz
 *   build/fuzz/model_fuzz -max_total_time=60 tests/fuzz/corpus/model
 *
 * Built without libFuzzer (tests/fuzz/replay.c renames the entry point) it
 * replays the corpus in `make test`. */
#include "model/model.h"
#include "core/column.h"
#include "core/mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

#define SEP "@@SLUICE-FILE@@"
#define MAX_PARTS 9

static char fuzz_dir[256];

static void remove_tree(const char *path)
{
    /* Only files this target wrote, at known places: no directory walk. */
    static const char *const rel[] = {
        "model.json", "m/features.json", "m/model.json", "m/metadata/part-00000",
        "m/data/part-0.parquet", "m/treesMetadata/part-0.parquet",
    };
    char p[512];
    for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
        snprintf(p, sizeof p, "%s/%s", path, rel[i]);
        unlink(p);
    }
    static const char *const stages[] = {"0_A", "1_B", "2_C", "3_D"};
    for (int s = 0; s < 4; s++) {
        snprintf(p, sizeof p, "%s/m/stages/%s/metadata/part-00000", path, stages[s]);
        unlink(p);
        snprintf(p, sizeof p, "%s/m/stages/%s/data/part-0.parquet", path, stages[s]);
        unlink(p);
        snprintf(p, sizeof p, "%s/m/stages/%s/metadata", path, stages[s]);
        rmdir(p);
        snprintf(p, sizeof p, "%s/m/stages/%s/data", path, stages[s]);
        rmdir(p);
        snprintf(p, sizeof p, "%s/m/stages/%s", path, stages[s]);
        rmdir(p);
    }
    static const char *const dirs[] = {"m/stages", "m/metadata", "m/data", "m/treesMetadata", "m"};
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        snprintf(p, sizeof p, "%s/%s", path, dirs[i]);
        rmdir(p);
    }
}

static void cleanup(void)
{
    if (!fuzz_dir[0]) return;
    remove_tree(fuzz_dir);
    rmdir(fuzz_dir);
}

/* Writes data to dir/rel, creating the parent directories. */
static void put_file(const char *rel, const unsigned char *data, size_t n)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", fuzz_dir, rel);
    for (char *s = p + strlen(fuzz_dir) + 1; *s; s++) {
        if (*s != '/') continue;
        *s = 0;
        if (mkdir(p, 0700) != 0 && errno != EEXIST) abort();
        *s = '/';
    }
    FILE *f = fopen(p, "wb");
    if (!f) abort();
    if (n && fwrite(data, 1, n, f) != n) abort();
    fclose(f);
}

static int split(const unsigned char *data, size_t n, const unsigned char **part,
                 size_t *part_len)
{
    int k = 0;
    size_t sl = strlen(SEP);
    while (k < MAX_PARTS) {
        const unsigned char *e = memmem(data, n, SEP, sl);
        part[k] = data;
        part_len[k] = e ? (size_t)(e - data) : n;
        k++;
        if (!e) break;
        n -= (size_t)(e - data) + sl;
        data = e + sl;
    }
    return k;
}

static void score(const sl_model *m)
{
    int n_in = sl_model_num_inputs(m);
    if (n_in > 4096) return;
    sl_col **cols = calloc((size_t)n_in + 1, sizeof *cols);
    if (!cols) return;
    int ok = 1;
    for (int i = 0; i < n_in && ok; i++) {
        sl_type t = sl_model_input_get(m, i)->type;
        cols[i] = sl_col_new(t == SL_TYPE_STRING ? SL_TYPE_STRING : SL_TYPE_DOUBLE);
        if (!cols[i]) { ok = 0; break; }
        sl_col_append_null(cols[i]);
        if (t == SL_TYPE_STRING) {
            sl_col_append_str(cols[i], "", 0);
            sl_col_append_str(cols[i], "0", 1);
        } else {
            sl_col_append_f64(cols[i], 0.0);
            sl_col_append_f64(cols[i], -1e300);
        }
    }
    if (ok) {
        sl_col *pred = NULL, *prob = NULL;
        sl_error *err = sl_error_new();
        if (err && sl_model_score(m, cols, 3, &pred, &prob, err) == SL_OK) {
            sl_col_unref(pred);
            sl_col_unref(prob);
        }
        sl_error_free(err);
    }
    for (int i = 0; i < n_in; i++) sl_col_unref(cols[i]);
    free(cols);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    if (size < 1 || size > 1 << 20) return 0;
    if (!fuzz_dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/sluice-model-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(fuzz_dir)) abort();
        atexit(cleanup);
    }
    remove_tree(fuzz_dir);
    const unsigned char *part[MAX_PARTS];
    size_t part_len[MAX_PARTS];
    int n = split(data + 1, size - 1, part, part_len);
    char path[300];
    switch (data[0] % 4) {
    case 0:
        put_file("model.json", data + 1, size - 1);
        snprintf(path, sizeof path, "%s/model.json", fuzz_dir);
        break;
    case 1:
        put_file("m/features.json", part[0], part_len[0]);
        if (n > 1) put_file("m/model.json", part[1], part_len[1]);
        snprintf(path, sizeof path, "%s/m", fuzz_dir);
        break;
    case 2: {
        static const char *const stages[] = {"0_A", "1_B", "2_C", "3_D"};
        put_file("m/metadata/part-00000", part[0], part_len[0]);
        for (int i = 1; i < n; i++) {
            char rel[128];
            const char *st = stages[((i - 1) / 2) % 4];
            if (i % 2) snprintf(rel, sizeof rel, "m/stages/%s/metadata/part-00000", st);
            else snprintf(rel, sizeof rel, "m/stages/%s/data/part-0.parquet", st);
            put_file(rel, part[i], part_len[i]);
        }
        snprintf(path, sizeof path, "%s/m", fuzz_dir);
        break;
    }
    default:
        put_file("m/metadata/part-00000", part[0], part_len[0]);
        if (n > 1) put_file("m/data/part-0.parquet", part[1], part_len[1]);
        if (n > 2) put_file("m/treesMetadata/part-0.parquet", part[2], part_len[2]);
        snprintf(path, sizeof path, "%s/m", fuzz_dir);
        break;
    }
    sl_error *err = sl_error_new();
    sl_model *m = NULL;
    if (err && sl_model_load(path, &m, err) == SL_OK) {
        sl_model_describe(m);
        score(m);
        sl_model_free(m);
    }
    sl_error_free(err);
    return 0;
}
