/* Training (the reference's Part 2A) through libxgboost's C API: feature
 * columns and a label column become a dense float matrix (STRING features
 * encoded by a per-column string index, NULL as missing), libxgboost trains
 * a booster, and the result is written as a sluice model bundle directory
 * (features.json + model.json, see model.h) that bundle.c loads back.
 *
 * libxgboost is the only place this file leans on: its handles are freed on
 * every path, and its errors (XGBGetLastError) become SL_ERR_MODEL. */
#include "model/model_int.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <xgboost/c_api.h>

typedef struct strref {
    const char *s;
    size_t n;
} strref;

static int cmp_strref(const void *a, const void *b)
{
    const strref *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->s, y->s, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* The sorted distinct non-NULL values of a STRING column, as NUL-terminated
 * copies in *out_labels (caller frees each and the array). */
static int distinct_labels(const sl_col *col, int64_t n_rows, char ***out_labels, int *out_n)
{
    strref *v = sl_malloc(sizeof *v * (size_t)(n_rows ? n_rows : 1));
    if (!v) return -1;
    int64_t k = 0;
    for (int64_t r = 0; r < n_rows; r++) {
        if (sl_col_is_null(col, r)) continue;
        v[k].s = sl_col_str(col, r, &v[k].n);
        if (!v[k].s) v[k].s = "";   /* an empty string may have no bytes behind it */
        k++;
    }
    qsort(v, (size_t)k, sizeof *v, cmp_strref);
    int64_t u = 0;
    for (int64_t i = 0; i < k; i++)
        if (u == 0 || cmp_strref(&v[u - 1], &v[i]) != 0) v[u++] = v[i];
    char **labels = sl_calloc((size_t)(u ? u : 1), sizeof *labels);
    if (!labels) { sl_free(v); return -1; }
    for (int64_t i = 0; i < u; i++) {
        if (!(labels[i] = sl_strndup(v[i].s, v[i].n))) {
            for (int64_t j = 0; j < i; j++) sl_free(labels[j]);
            sl_free(labels);
            sl_free(v);
            return -1;
        }
    }
    sl_free(v);
    *out_labels = labels;
    *out_n = (int)u;
    return 0;
}

static double num_value(const sl_col *col, int64_t r)
{
    if (col->type == SL_TYPE_NULL || sl_col_is_null(col, r)) return NAN;
    switch (col->type) {
    case SL_TYPE_DOUBLE: return sl_col_f64(col)[r];
    case SL_TYPE_INT: case SL_TYPE_DATE: return sl_col_i32(col)[r];
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: return (double)sl_col_i64(col)[r];
    case SL_TYPE_BOOLEAN: return sl_col_bool(col, r);
    default: return NAN;
    }
}

/* libxgboost's message up to its first line (the rest is a stack trace). */
static sl_status xgb_fail(sl_error *err, const char *what)
{
    const char *msg = XGBGetLastError();
    size_t n = strcspn(msg, "\n");
    return sl_err(err, SL_ERR_MODEL, "libxgboost %s: %.*s", what, (int)(n > 500 ? 500 : n), msg);
}

static const char *opt_get(const char *const *options, const char *key)
{
    for (int i = 0; options && options[i] && options[i + 1]; i += 2)
        if (strcasecmp(options[i], key) == 0) return options[i + 1];
    return NULL;
}

/* Options sluice names itself and does not pass to XGBoost as-is. */
static bool opt_is_ours(const char *k)
{
    static const char *ours[] = { "num_round", "n_estimators", "learning_rate", "type",
                                  "label", "eta", "objective", "max_depth", "seed", "nthread" };
    for (size_t i = 0; i < sizeof ours / sizeof *ours; i++)
        if (strcasecmp(k, ours[i]) == 0) return true;
    return false;
}

static sl_status write_file(const char *path, const char *data, size_t len, sl_error *err)
{
    FILE *f = fopen(path, "wb");
    if (!f) return sl_err(err, SL_ERR_IO, "cannot write %s: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || w != len) return sl_err(err, SL_ERR_IO, "cannot write %s", path);
    return SL_OK;
}

sl_status sl_model_train_xgb(const char *dir, const char *const *names,
                             sl_col *const *cols, int n_features, const sl_col *label,
                             int64_t n_rows, const char *const *options, sl_error *err)
{
    sl_status st = SL_OK;
    char ***labels = sl_calloc((size_t)(n_features ? n_features : 1), sizeof *labels);
    int *n_labels = sl_calloc((size_t)(n_features ? n_features : 1), sizeof *n_labels);
    sl_mdl_strindex *ix = sl_calloc((size_t)(n_features ? n_features : 1), sizeof *ix);
    float *x = NULL, *y = NULL;
    DMatrixHandle dm = NULL;
    BoosterHandle bst = NULL;
    sl_buf js;
    sl_buf_init(&js);
    if (!labels || !n_labels || !ix) { st = sl_err_oom(err); goto out; }
    if (n_features <= 0) { st = sl_err(err, SL_ERR_MODEL, "training needs at least one feature"); goto out; }
    if (!sl_type_is_numeric(label->type) && label->type != SL_TYPE_BOOLEAN) {
        st = sl_err(err, SL_ERR_TYPE, "label column must be numeric, not %s", sl_type_name(label->type));
        goto out;
    }
    for (int f = 0; f < n_features; f++) {
        sl_type t = cols[f]->type;
        if (t == SL_TYPE_STRING) {
            if (distinct_labels(cols[f], n_rows, &labels[f], &n_labels[f]) < 0 ||
                sl_mdl_strindex_build(&ix[f], (const char *const *)labels[f], n_labels[f]) < 0) {
                st = sl_err_oom(err);
                goto out;
            }
        } else if (!sl_type_is_numeric(t) && t != SL_TYPE_BOOLEAN && t != SL_TYPE_NULL) {
            st = sl_err(err, SL_ERR_TYPE, "feature %s: type %s cannot feed a model", names[f],
                        sl_type_name(t));
            goto out;
        }
    }
    /* Dense row-major matrix of the rows with a label. */
    x = sl_malloc(sizeof *x * (size_t)(n_rows ? n_rows : 1) * (size_t)n_features);
    y = sl_malloc(sizeof *y * (size_t)(n_rows ? n_rows : 1));
    if (!x || !y) { st = sl_err_oom(err); goto out; }
    int64_t n = 0;
    for (int64_t r = 0; r < n_rows; r++) {
        double lv = num_value(label, r);
        if (lv != lv) continue;
        float *xr = x + (size_t)n * n_features;
        for (int f = 0; f < n_features; f++) {
            const sl_col *c = cols[f];
            if (c->type == SL_TYPE_STRING) {
                size_t len;
                if (sl_col_is_null(c, r)) {
                    xr[f] = NAN;
                } else {
                    const char *s = sl_col_str(c, r, &len);
                    xr[f] = (float)sl_mdl_strindex_find(&ix[f], s ? s : "", len);
                }
            } else {
                xr[f] = (float)num_value(c, r);
            }
        }
        y[n++] = (float)lv;
    }
    if (n == 0) { st = sl_err(err, SL_ERR_MODEL, "no rows with a label to train on"); goto out; }
    if (XGDMatrixCreateFromMat(x, (bst_ulong)n, (bst_ulong)n_features, NAN, &dm) != 0) { st = xgb_fail(err, "DMatrix"); goto out; }
    if (XGDMatrixSetFloatInfo(dm, "label", y, (bst_ulong)n) != 0) { st = xgb_fail(err, "label"); goto out; }
    if (XGBoosterCreate(&dm, 1, &bst) != 0) { st = xgb_fail(err, "booster"); goto out; }
    const char *obj = opt_get(options, "objective");
    /* Only objectives the loader can score back (xgb_json.c). */
    static const char *objectives[] = { "binary:logistic", "reg:logistic", "binary:logitraw",
                                        "reg:squarederror", "multi:softprob", "multi:softmax" };
    bool obj_ok = !obj;
    for (size_t i = 0; obj && i < sizeof objectives / sizeof *objectives; i++)
        obj_ok |= strcmp(obj, objectives[i]) == 0;
    if (!obj_ok) {
        st = sl_err(err, SL_ERR_CONFIG, "objective '%s' is not supported (binary:logistic, "
                    "reg:logistic, binary:logitraw, reg:squarederror, multi:softprob, "
                    "multi:softmax)", obj);
        goto out;
    }
    const char *rounds_s = opt_get(options, "num_round");
    if (!rounds_s) rounds_s = opt_get(options, "n_estimators");
    const char *eta = opt_get(options, "eta");
    if (!eta) eta = opt_get(options, "learning_rate");
    const char *params[][2] = {
        { "objective", obj ? obj : "binary:logistic" },
        { "max_depth", opt_get(options, "max_depth") ? opt_get(options, "max_depth") : "6" },
        { "eta", eta ? eta : "0.3" },
        { "seed", opt_get(options, "seed") ? opt_get(options, "seed") : "0" },
        { "nthread", opt_get(options, "nthread") ? opt_get(options, "nthread") : "1" },
        { "verbosity", "0" },
    };
    for (size_t i = 0; i < sizeof params / sizeof *params; i++)
        if (XGBoosterSetParam(bst, params[i][0], params[i][1]) != 0) {
            st = sl_err(err, SL_ERR_CONFIG, "XGBoost parameter %s = '%s': %s", params[i][0],
                        params[i][1], XGBGetLastError());
            goto out;
        }
    for (int i = 0; options && options[i] && options[i + 1]; i += 2) {
        if (opt_is_ours(options[i])) continue;
        if (XGBoosterSetParam(bst, options[i], options[i + 1]) != 0) {
            st = sl_err(err, SL_ERR_CONFIG, "XGBoost parameter %s = '%s': %s", options[i],
                        options[i + 1], XGBGetLastError());
            goto out;
        }
    }
    char *end;
    long rounds = strtol(rounds_s ? rounds_s : "100", &end, 10);
    if (*end || rounds <= 0 || rounds > 100000) {
        st = sl_err(err, SL_ERR_CONFIG, "num_round must be a positive integer, not '%s'", rounds_s);
        goto out;
    }
    for (long it = 0; it < rounds; it++)
        if (XGBoosterUpdateOneIter(bst, (int)it, dm) != 0) { st = xgb_fail(err, "training"); goto out; }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        st = sl_err(err, SL_ERR_IO, "cannot create %s: %s", dir, strerror(errno));
        goto out;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/model.json", dir);
    if (XGBoosterSaveModel(bst, path) != 0) { st = xgb_fail(err, "save"); goto out; }
    /* features.json last: its presence marks a complete bundle. */
    sl_buf_puts(&js, "{\"format\":\"sluice-model-bundle\",\"version\":1,\"objective\":");
    sl_buf_json_str(&js, params[0][1], strlen(params[0][1]));
    sl_buf_puts(&js, ",\"features\":[");
    for (int f = 0; f < n_features; f++) {
        sl_buf_puts(&js, f ? ",\n{\"name\":" : "\n{\"name\":");
        sl_buf_json_str(&js, names[f], strlen(names[f]));
        bool str = cols[f]->type == SL_TYPE_STRING;
        sl_buf_printf(&js, ",\"type\":\"%s\"", str ? "STRING" : "DOUBLE");
        if (str) {
            sl_buf_puts(&js, ",\"labels\":[");
            for (int k = 0; k < n_labels[f]; k++) {
                if (k) sl_buf_putc(&js, ',');
                sl_buf_json_str(&js, labels[f][k], strlen(labels[f][k]));
            }
            sl_buf_putc(&js, ']');
        }
        sl_buf_putc(&js, '}');
    }
    sl_buf_puts(&js, "]}\n");
    if (js.oom) { st = sl_err_oom(err); goto out; }
    snprintf(path, sizeof path, "%s/features.json", dir);
    st = write_file(path, js.data, js.len, err);
out:
    if (bst) XGBoosterFree(bst);
    if (dm) XGDMatrixFree(dm);
    sl_buf_fini(&js);
    sl_free(x);
    sl_free(y);
    for (int f = 0; labels && ix && n_labels && f < n_features; f++) {
        for (int k = 0; labels[f] && k < n_labels[f]; k++) sl_free(labels[f][k]);
        sl_free(labels[f]);
        sl_mdl_strindex_fini(&ix[f]);
    }
    sl_free(labels);
    sl_free(n_labels);
    sl_free(ix);
    return st;
}
