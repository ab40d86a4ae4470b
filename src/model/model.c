/* The model object: detection of what a path holds, the inputs a model
 * needs, and the block-at-a-time scoring driver that turns input columns
 * into feature slots and hands them to the predictor (tree_score.c,
 * logreg.c).  Loaders for each format live in their own files. */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* Rows per block (model_int.h): the slot block and per-source vectors stay
 * in L1/L2 for typical models. */
#define BLOCK SL_MDL_BLOCK

/* ---- string index ------------------------------------------------------- */

/* A fast hash for short labels: 8-byte words, then the tail read as two
 * overlapping 4-byte loads (or three bytes), so no byte loop or memcpy call. */
static uint64_t str_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 32;
    }
    size_t r = n - i;
    uint64_t w = 0;
    if (r >= 4) {
        uint32_t a, b;
        memcpy(&a, s + i, 4);
        memcpy(&b, s + i + r - 4, 4);
        w = ((uint64_t)a << 32) | b;
    } else if (r > 0) {
        w = (uint64_t)(unsigned char)s[i] << 16 | (uint64_t)(unsigned char)s[i + r / 2] << 8 |
            (unsigned char)s[i + r - 1];
    }
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 29;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 32;
    return h;
}

/* memcmp(a, b, n) == 0 for the short strings labels are, inline: 8-byte
 * words, then the tail as two overlapping 4-byte loads or three bytes. */
static inline bool bytes_eq(const char *a, const char *b, size_t n)
{
    for (; n >= 8; a += 8, b += 8, n -= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y) return false;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return ((x0 ^ y0) | (x1 ^ y1)) == 0;
    }
    if (n == 0) return true;
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

int sl_mdl_strindex_build(sl_mdl_strindex *ix, const char *const *labels, int n)
{
    memset(ix, 0, sizeof *ix);
    uint32_t cap = 16;
    while (cap < (uint32_t)n * 2u + 2u) cap <<= 1;
    ix->labels = sl_calloc((size_t)(n ? n : 1), sizeof *ix->labels);
    ix->lens = sl_calloc((size_t)(n ? n : 1), sizeof *ix->lens);
    ix->slots = sl_calloc(cap, sizeof *ix->slots);
    if (!ix->labels || !ix->lens || !ix->slots) goto oom;
    ix->mask = cap - 1;
    for (int i = 0; i < n; i++) {
        ix->labels[i] = sl_strdup(labels[i]);
        if (!ix->labels[i]) goto oom;
        ix->n_labels = i + 1;
        size_t len = strlen(labels[i]);
        ix->lens[i] = (uint32_t)len;
        /* Spark keeps the first index of a duplicated label. */
        if (sl_mdl_strindex_find(ix, labels[i], len) >= 0) continue;
        uint64_t h = str_hash(labels[i], len);
        uint32_t pos = (uint32_t)h & ix->mask;
        while (ix->slots[pos]) pos = (pos + 1) & ix->mask;
        ix->slots[pos] = (h & 0xFFFFFFFF00000000ull) | ((uint64_t)i + 1);
    }
    ix->n_labels = n;
    return 0;
oom:
    sl_mdl_strindex_fini(ix);
    return -1;
}

void sl_mdl_strindex_fini(sl_mdl_strindex *ix)
{
    if (ix->labels)
        for (int i = 0; i < ix->n_labels; i++) sl_free(ix->labels[i]);
    sl_free(ix->labels);
    sl_free(ix->lens);
    sl_free(ix->slots);
    memset(ix, 0, sizeof *ix);
}

int sl_mdl_strindex_find(const sl_mdl_strindex *ix, const char *s, size_t n)
{
    if (!ix->slots) return -1;
    uint64_t h = str_hash(s, n);
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    uint32_t pos = (uint32_t)h & ix->mask;
    for (;;) {
        uint64_t e = ix->slots[pos];
        if (!e) return -1;
        if ((e & 0xFFFFFFFF00000000ull) == tag) {
            uint32_t i = (uint32_t)e - 1;
            if (ix->lens[i] == n && bytes_eq(ix->labels[i], s, n)) return (int)i;
        }
        pos = (pos + 1) & ix->mask;
    }
}

sl_status sl_mdl_err_recode(sl_error *err, sl_status code)
{
    if (!err) return code;
    char msg[sizeof err->msg];
    memcpy(msg, err->msg, sizeof msg);
    return sl_err(err, code, "%s", msg);
}

/* ---- building ------------------------------------------------------------ */

int sl_mdl_add_input(sl_model *m, const char *name, sl_type type)
{
    for (int i = 0; i < m->n_inputs; i++)
        if (strcmp(m->inputs[i].name, name) == 0) {
            if (type == SL_TYPE_STRING) m->inputs[i].type = SL_TYPE_STRING;
            return i;
        }
    sl_model_input *in = sl_realloc(m->inputs, sizeof *in * (size_t)(m->n_inputs + 1));
    if (!in) return -1;
    m->inputs = in;
    char *dup = sl_strdup(name);
    if (!dup) return -1;
    in[m->n_inputs].name = dup;
    in[m->n_inputs].type = type;
    return m->n_inputs++;
}

sl_status sl_mdl_compact(sl_model *m, const sl_mdl_feat *feats, int n_feats, sl_error *err)
{
    int32_t *map = sl_malloc(sizeof *map * (size_t)(n_feats ? n_feats : 1));
    if (!map) return sl_err_oom(err);
    for (int f = 0; f < n_feats; f++) map[f] = -1;
    int n_slots = 0;
    sl_status st = SL_OK;
    if (m->kind == SL_MDL_LOGREG) {
        for (int f = 0; f < n_feats; f++)
            if (m->lin.coef[f] != 0) map[f] = n_slots++;
    } else {
        for (int t = 0; t < m->ens.n_trees; t++) {
            sl_mdl_tree *tr = &m->ens.trees[t];
            for (int k = 0; k < tr->n_nodes; k++) {
                sl_mdl_node *nd = &tr->nodes[k];
                if (nd->left == k) continue;  /* leaf */
                if (nd->slot < 0 || nd->slot >= n_feats) {
                    st = sl_err(err, SL_ERR_MODEL,
                                "tree %d tests feature %d of a %d-feature vector", t,
                                nd->slot, n_feats);
                    goto out;
                }
                if (map[nd->slot] < 0) map[nd->slot] = n_slots++;
                nd->slot = map[nd->slot];
            }
        }
    }
    m->slots = sl_calloc((size_t)(n_slots ? n_slots : 1), sizeof *m->slots);
    if (!m->slots) { st = sl_err_oom(err); goto out; }
    m->n_slots = n_slots;
    for (int f = 0; f < n_feats; f++) {
        if (map[f] < 0) continue;
        if (feats) {
            m->slots[map[f]] = feats[f];
        } else {
            m->slots[map[f]].source = f;
            m->slots[map[f]].onehot = -1;
        }
    }
    if (m->kind == SL_MDL_LOGREG) {
        for (int f = 0; f < n_feats; f++)
            if (map[f] >= 0) m->lin.coef[map[f]] = m->lin.coef[f];
    }
out:
    sl_free(map);
    return st;
}

void sl_model_free(sl_model *m)
{
    if (!m) return;
    sl_free(m->describe);
    for (int i = 0; i < m->n_inputs; i++) sl_free((char *)m->inputs[i].name);
    sl_free(m->inputs);
    for (int i = 0; i < m->n_sources; i++) sl_mdl_strindex_fini(&m->sources[i].ix);
    sl_free(m->sources);
    sl_free(m->slots);
    for (int t = 0; t < m->ens.n_trees; t++) sl_mdl_tree_fini(&m->ens.trees[t]);
    sl_free(m->ens.trees);
    sl_free(m->ens.weights);
    sl_free(m->ens.group);
    sl_free(m->lin.coef);
    sl_free(m);
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static bool is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

sl_status sl_model_load(const char *path, sl_model **out_model, sl_error *err)
{
    *out_model = NULL;
    sl_model *m = sl_calloc(1, sizeof *m);
    if (!m) return sl_err_oom(err);
    sl_status st;
    char sub[4096];
    if (is_file(path)) {
        st = sl_mdl_load_xgb_json(m, path, err);
    } else if (is_dir(path)) {
        snprintf(sub, sizeof sub, "%s/features.json", path);
        if (is_file(sub)) {
            st = sl_mdl_load_bundle(m, path, err);
        } else {
            snprintf(sub, sizeof sub, "%s/metadata/part-00000", path);
            if (!is_file(sub)) {
                st = sl_err(err, SL_ERR_MODEL,
                            "%s: not a model (no metadata/part-00000 of a Spark model, "
                            "no features.json of a sluice bundle)", path);
            } else {
                sl_jdoc *doc = NULL;
                st = sl_jdoc_parse_file(sub, &doc, err);
                if (st == SL_OK) {
                    const char *cls = sl_jval_get_str(doc->root, "class", "");
                    bool pipe = strcmp(cls, "org.apache.spark.ml.PipelineModel") == 0;
                    sl_jdoc_free(doc);
                    st = sl_mdl_load_spark(m, path, pipe, err);
                } else if (st != SL_ERR_NOMEM) {
                    st = sl_mdl_err_recode(err, SL_ERR_MODEL);
                }
            }
        }
    } else {
        st = sl_err(err, SL_ERR_MODEL, "model path %s does not exist", path);
    }
    for (int t = 0; st == SL_OK && t < m->ens.n_trees; t++)
        if (sl_mdl_tree_compile(m, &m->ens.trees[t]) < 0) st = sl_err_oom(err);
    if (st == SL_OK && m->n_slots == 0 && !m->slots) {
        m->slots = sl_calloc(1, sizeof *m->slots);
        if (!m->slots) st = sl_err_oom(err);
    }
    if (st != SL_OK) {
        sl_model_free(m);
        return st;
    }
    *out_model = m;
    return SL_OK;
}

/* ---- queries -------------------------------------------------------------- */

int sl_model_num_inputs(const sl_model *m) { return m->n_inputs; }
const sl_model_input *sl_model_input_get(const sl_model *m, int i) { return &m->inputs[i]; }

int sl_model_input_find(const sl_model *m, const char *name)
{
    for (int i = 0; i < m->n_inputs; i++)
        if (strcasecmp(m->inputs[i].name, name) == 0) return i;
    return -1;
}

bool sl_model_input_accepts(const sl_model *m, int i, sl_type t)
{
    if (i < 0 || i >= m->n_inputs) return false;
    if (t == SL_TYPE_NULL || t == SL_TYPE_BOOLEAN || sl_type_is_numeric(t)) return true;
    return t == SL_TYPE_STRING && m->inputs[i].type == SL_TYPE_STRING;
}

bool sl_model_is_classifier(const sl_model *m) { return m->n_classes > 0; }
int sl_model_num_classes(const sl_model *m) { return m->n_classes; }
const char *sl_model_describe(const sl_model *m) { return m->describe ? m->describe : "model"; }
int sl_model_num_outputs(const sl_model *m) { return m->n_classes > 0 ? m->n_classes : 1; }

/* ---- scoring ---------------------------------------------------------------- */

static double num_at(const sl_col *col, int64_t r)
{
    if (col->type == SL_TYPE_NULL || sl_col_is_null(col, r)) return NAN;
    switch (col->type) {
    case SL_TYPE_DOUBLE: return sl_col_f64(col)[r];
    case SL_TYPE_INT: case SL_TYPE_DATE: return sl_col_i32(col)[r];
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: return (double)sl_col_i64(col)[r];
    case SL_TYPE_BOOLEAN: return sl_col_bool(col, r) ? 1.0 : 0.0;
    default: return NAN;
    }
}

/* The code of a NULL or a label the index lacks, as handleInvalid (or a
 * bundle's NULL-is-missing) says. */
static sl_status unresolved(const sl_model *m, const sl_mdl_source *s, bool null,
                            const char *str, size_t len, double *v, uint8_t *skip,
                            sl_error *err)
{
    if (null && s->null_is_nan) { *v = NAN; return SL_OK; }
    switch (s->invalid) {
    case SL_MDL_INVALID_KEEP: *v = s->unseen_index; return SL_OK;
    case SL_MDL_INVALID_SKIP: *v = NAN; *skip = 1; return SL_OK;
    default:
        if (null)
            return sl_err(err, SL_ERR_MODEL,
                          "StringIndexer encountered NULL value in input %s; "
                          "set handleInvalid to 'keep' or 'skip'", m->inputs[s->input].name);
        return sl_err(err, SL_ERR_MODEL,
                      "unseen label '%.*s' in input %s (StringIndexer handleInvalid='error')",
                      (int)(len > 200 ? 200 : len), str, m->inputs[s->input].name);
    }
}

/* Fills v[0..n) for one source over rows [r0, r0+n); marks rows a
 * handleInvalid='skip' indexer drops. */
static sl_status eval_source(const sl_model *m, const sl_mdl_source *s, const sl_col *col,
                             int64_t r0, int n, double *v, uint8_t *skip, sl_error *err)
{
    if (!s->indexed) {
        if (col->type == SL_TYPE_DOUBLE) {
            memcpy(v, sl_col_f64(col) + r0, sizeof *v * (size_t)n);
            if (col->validity) {   /* NULL -> NaN, without a branch per row */
                const uint8_t *bits = col->validity;
                for (int i = 0; i < n; i++) v[i] = sl_bit_get(bits, r0 + i) ? v[i] : NAN;
            }
        } else {
            for (int i = 0; i < n; i++) v[i] = num_at(col, r0 + i);
        }
        return SL_OK;
    }
    /* Streams often repeat a value in consecutive rows (one branch, one
     * state): remember the last string looked up. */
    const char *last = NULL;
    size_t last_len = 0;
    int last_k = -1;
    if (col->type == SL_TYPE_STRING) {   /* the usual case, without the type switch */
        const int32_t *o = sl_col_offsets(col);
        const char *chars = col->chars ? col->chars : "";   /* no bytes behind empty strings */
        for (int i = 0; i < n; i++) {
            int64_t r = r0 + i;
            const char *str = chars + o[r];
            size_t len = (size_t)(o[r + 1] - o[r]);
            bool null = sl_col_is_null(col, r);
            int k;
            if (null) {
                k = -1;
            } else if (last && len == last_len && bytes_eq(str, last, len)) {
                k = last_k;
            } else {
                k = sl_mdl_strindex_find(&s->ix, str, len);
                last = str;
                last_len = len;
                last_k = k;
            }
            if (k >= 0) { v[i] = k; continue; }
            sl_status st = unresolved(m, s, null, str, len, &v[i], &skip[i], err);
            if (st != SL_OK) return st;
        }
        return SL_OK;
    }
    char buf[64];
    for (int i = 0; i < n; i++) {
        int64_t r = r0 + i;
        const char *str = NULL;
        size_t len = 0;
        bool null = col->type == SL_TYPE_NULL || sl_col_is_null(col, r);
        if (!null) {
            switch (col->type) {
            case SL_TYPE_DOUBLE: len = sl_f64_to_text(sl_col_f64(col)[r], buf); str = buf; break;
            case SL_TYPE_INT: len = (size_t)snprintf(buf, sizeof buf, "%d", sl_col_i32(col)[r]); str = buf; break;
            case SL_TYPE_BIGINT:
                len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)sl_col_i64(col)[r]);
                str = buf;
                break;
            case SL_TYPE_BOOLEAN: str = sl_col_bool(col, r) ? "true" : "false"; len = strlen(str); break;
            default: null = true; break;
            }
        }
        int k = null ? -1 : sl_mdl_strindex_find(&s->ix, str, len);
        if (k >= 0) { v[i] = k; continue; }
        sl_status st = unresolved(m, s, null, str, len, &v[i], &skip[i], err);
        if (st != SL_OK) return st;
    }
    return SL_OK;
}

static sl_status check_inputs(const sl_model *m, sl_col *const *inputs, int64_t n_rows,
                              sl_error *err)
{
    for (int i = 0; i < m->n_inputs; i++) {
        if (!inputs[i] || inputs[i]->len < n_rows)
            return sl_err(err, SL_ERR_INTERNAL, "model input %s: column missing or short",
                          m->inputs[i].name);
        if (!sl_model_input_accepts(m, i, inputs[i]->type))
            return sl_err(err, SL_ERR_TYPE, "model input %s (%s) cannot take a %s column",
                          m->inputs[i].name, sl_type_name(m->inputs[i].type),
                          sl_type_name(inputs[i]->type));
    }
    return SL_OK;
}

/* Scratch of one scoring call: the block (one column per source, then a
 * zero column), double or float (m->f32). */
typedef struct score_scratch {
    void *x;
    double *v;      /* f32: a source's values before narrowing */
} score_scratch;

static sl_status scratch_init(const sl_model *m, score_scratch *sc, sl_error *err)
{
    size_t cells = (size_t)BLOCK * (size_t)SL_MDL_BLOCK_COLS(m);
    sc->x = sl_calloc(cells, m->f32 ? sizeof(float) : sizeof(double));
    sc->v = m->f32 ? sl_malloc(sizeof *sc->v * BLOCK) : NULL;
    if (!sc->x || (m->f32 && !sc->v)) {
        sl_free(sc->x);
        sl_free(sc->v);
        sc->x = NULL;
        sc->v = NULL;
        return sl_err_oom(err);
    }
    return SL_OK;
}

static void scratch_fini(score_scratch *sc)
{
    sl_free(sc->x);
    sl_free(sc->v);
}

/* An f32 (XGBoost) block's columns for a DOUBLE input: rows [r0, r0 + n)
 * as floats, NULL as NaN, and negated — what eval_source and the loop in
 * score_block give, without the copy through doubles. */
static void fill_f32(const sl_col *col, int64_t r0, int n, float *xf, float *xn)
{
    const double *src = sl_col_f64(col) + r0;
    for (int i = 0; i < n; i++) xf[i] = (float)src[i];
    if (col->validity) {
        const uint8_t *bits = col->validity;
        for (int i = 0; i < n; i++) xf[i] = sl_bit_get(bits, r0 + i) ? xf[i] : NAN;
    }
    for (int i = 0; i < n; i++) xn[i] = -xf[i];
}

/* Scores rows [r0, r0 + n), n <= BLOCK, into out (n x n_out). */
static sl_status score_block(const sl_model *m, sl_col *const *inputs, int64_t r0, int n,
                             score_scratch *sc, double *out, sl_error *err)
{
    int n_out = sl_model_num_outputs(m);
    uint8_t skip[BLOCK];
    memset(skip, 0, (size_t)n);
    for (int s = 0; s < m->n_sources; s++) {
        const sl_mdl_source *src = &m->sources[s];
        const sl_col *col = inputs[src->input];
        if (m->f32 && !src->indexed && col->type == SL_TYPE_DOUBLE) {
            fill_f32(col, r0, n, (float *)sc->x + (size_t)s * BLOCK,
                     (float *)sc->x + (size_t)(m->n_sources + 1 + s) * BLOCK);
            continue;
        }
        double *v = m->f32 ? sc->v : (double *)sc->x + (size_t)s * BLOCK;
        sl_status st = eval_source(m, src, inputs[src->input], r0, n, v, skip, err);
        if (st != SL_OK) return st;
        if (m->f32) {   /* XGBoost compares features as float; and negated */
            float *xf = (float *)sc->x + (size_t)s * BLOCK;
            float *xn = (float *)sc->x + (size_t)(m->n_sources + 1 + s) * BLOCK;
            for (int i = 0; i < n; i++) {
                xf[i] = (float)v[i];
                xn[i] = -xf[i];
            }
        }
    }
    if (m->kind == SL_MDL_LOGREG)
        sl_mdl_linear_predict(m, sc->x, n, out);
    else
        sl_mdl_ens_predict(m, sc->x, n, out);
    for (int i = 0; i < n; i++)
        if (skip[i])
            for (int c = 0; c < n_out; c++) out[(size_t)i * n_out + c] = NAN;
    return SL_OK;
}

sl_status sl_model_score_raw(const sl_model *m, sl_col *const *inputs, int64_t n_rows,
                             double *out, sl_error *err)
{
    sl_status st = check_inputs(m, inputs, n_rows, err);
    if (st != SL_OK) return st;
    int n_out = sl_model_num_outputs(m);
    score_scratch sc;
    if ((st = scratch_init(m, &sc, err)) != SL_OK) return st;
    for (int64_t r0 = 0; r0 < n_rows && st == SL_OK; r0 += BLOCK) {
        int n = n_rows - r0 < BLOCK ? (int)(n_rows - r0) : BLOCK;
        st = score_block(m, inputs, r0, n, &sc, out + (size_t)r0 * n_out, err);
    }
    scratch_fini(&sc);
    return st;
}

sl_status sl_model_score(const sl_model *m, sl_col *const *inputs, int64_t n_rows,
                         sl_col **out_pred, sl_col **out_prob1, sl_error *err)
{
    if (out_pred) *out_pred = NULL;
    if (out_prob1) *out_prob1 = NULL;
    sl_status st = check_inputs(m, inputs, n_rows, err);
    if (st != SL_OK) return st;
    int n_out = sl_model_num_outputs(m);
    /* A block's raw outputs at a time, turned into the columns at once, so
     * no n_rows-sized intermediate is written and read back. */
    double *raw = sl_malloc(sizeof *raw * BLOCK * (size_t)n_out);
    /* Every row of both is written below, so their buffers need no zeroing
     * and may be warm ones of earlier batches (sl_col_new_reused). */
    sl_col *pred = out_pred ? sl_col_new_reused(SL_TYPE_DOUBLE, n_rows) : NULL;
    sl_col *prob = out_prob1 ? sl_col_new_reused(SL_TYPE_DOUBLE, n_rows) : NULL;
    score_scratch sc = { 0 };
    if (!raw || (out_pred && !pred) || (out_prob1 && !prob)) { st = sl_err_oom(err); goto fail; }
    if ((st = scratch_init(m, &sc, err)) != SL_OK) goto fail;
    double *pv = pred ? sl_col_f64(pred) : NULL, *qv = prob ? sl_col_f64(prob) : NULL;
    for (int64_t r0 = 0; r0 < n_rows; r0 += BLOCK) {
        int n = n_rows - r0 < BLOCK ? (int)(n_rows - r0) : BLOCK;
        if ((st = score_block(m, inputs, r0, n, &sc, raw, err)) != SL_OK) goto fail;
        /* Without NULL rows (a NaN first output), the usual shapes in a
         * straight loop: binary classifiers and regressors. */
        bool any_nan = false;
        for (int j = 0; j < n; j++) any_nan |= raw[(size_t)j * n_out] != raw[(size_t)j * n_out];
        if (!any_nan && n_out == 2 && m->kind != SL_MDL_LOGREG) {
            for (int j = 0; j < n; j++) {
                /* argmax of two, the first of equal maxima */
                if (pv) pv[r0 + j] = raw[2 * j + 1] > raw[2 * j] ? 1.0 : 0.0;
                if (qv) qv[r0 + j] = raw[2 * j + 1];
            }
            continue;
        }
        if (!any_nan && n_out == 1 && m->n_classes == 0 && pv && !qv) {
            memcpy(pv + r0, raw, sizeof *raw * (size_t)n);
            continue;
        }
        for (int j = 0; j < n; j++) {
            int64_t i = r0 + j;
            const double *o = raw + (size_t)j * n_out;
            bool skipped = o[0] != o[0];
            if (pv) {
                if (skipped) {
                    if (sl_col_set_null(pred, i) < 0) { st = sl_err_oom(err); goto fail; }
                    pv[i] = 0;
                } else if (m->kind == SL_MDL_LOGREG) {
                    /* Spark's binary threshold (0.5 unless set). */
                    pv[i] = o[1] > m->lin.threshold ? 1.0 : 0.0;
                } else if (m->n_classes > 0) {
                    /* argmax, the first of equal maxima, as Spark's probability2prediction */
                    int best = 0;
                    for (int c = 1; c < n_out; c++) if (o[c] > o[best]) best = c;
                    pv[i] = best;
                } else {
                    pv[i] = o[0];
                }
            }
            if (qv) {
                if (skipped || m->n_classes < 2) {
                    if (sl_col_set_null(prob, i) < 0) { st = sl_err_oom(err); goto fail; }
                    qv[i] = 0;
                } else {
                    qv[i] = o[1];
                }
            }
        }
    }
    if (pred) sl_col_finish_nulls(pred);
    if (prob) sl_col_finish_nulls(prob);
    scratch_fini(&sc);
    sl_free(raw);
    if (out_pred) *out_pred = pred;
    if (out_prob1) *out_prob1 = prob;
    return SL_OK;
fail:
    scratch_fini(&sc);
    sl_free(raw);
    sl_col_unref(pred);
    sl_col_unref(prob);
    return st;
}
