/* Spark ML stages: StringIndexerModel, OneHotEncoderModel, VectorAssembler
 * (feature transformers, which only define columns over the inputs) and the
 * predictors (tree ensembles and logistic regression, read from their
 * Parquet node tables).  Semantics follow Spark 3.x:
 *   - StringIndexer: label -> its index in labelsArray; unseen labels and
 *     NULL go to index numLabels under handleInvalid='keep', drop the row
 *     under 'skip', fail under 'error'.  Numeric inputs are cast to strings.
 *   - OneHotEncoder: categorySizes from data; dropLast removes the last
 *     category (with handleInvalid='keep' the extra "invalid" category is
 *     the one dropped, so the size stays categorySize).
 *   - VectorAssembler: concatenation; NULL numbers become NaN (the
 *     reference sets handleInvalid='keep'; 'error'/'skip' are not enforced).
 *   - Trees: continuous splits go left iff value <= threshold, categorical
 *     ones iff the value is one of leftCategories.  Categorical splits on
 *     one-hot slots (which hold only 0 or 1) are rewritten as threshold
 *     splits so the fast walk applies.
 *   - GBT: margin = sum(weight_i * tree_i); P(1) = 1 / (1 + exp(-2 margin)). */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double jnum(const sl_jval *v, double dflt)
{
    return v && v->type == SL_JNUM ? v->num : dflt;
}

/* Column lists: inputCols/outputCols, or the single inputCol/outputCol. */
static sl_status col_lists(const char *dir, const sl_jval *meta, const sl_jval **ins,
                           const sl_jval **outs, bool *single, sl_error *err)
{
    *ins = sl_jval_get(sl_jval_get(meta, "paramMap"), "inputCols");
    *outs = sl_jval_get(sl_jval_get(meta, "paramMap"), "outputCols");
    *single = false;
    if (*ins && *outs && (*ins)->type == SL_JARR && (*outs)->type == SL_JARR &&
        (*ins)->n == (*outs)->n) {
        for (size_t i = 0; i < (*ins)->n; i++)
            if ((*ins)->items[i]->type != SL_JSTR || (*outs)->items[i]->type != SL_JSTR)
                return sl_err(err, SL_ERR_MODEL, "%s: column names must be strings", dir);
        return SL_OK;
    }
    *ins = sl_mdl_spark_param(meta, "inputCol");
    *outs = sl_mdl_spark_param(meta, "outputCol");
    if (*ins && *outs && (*ins)->type == SL_JSTR && (*outs)->type == SL_JSTR) {
        *single = true;
        return SL_OK;
    }
    return sl_err(err, SL_ERR_MODEL, "%s: no inputCols/outputCols", dir);
}

static const char *col_at(const sl_jval *list, bool single, size_t i)
{
    return single ? list->str : list->items[i]->str;
}

static int invalid_mode(const sl_jval *meta)
{
    const sl_jval *h = sl_mdl_spark_param(meta, "handleInvalid");
    const char *s = h && h->type == SL_JSTR ? h->str : "error";
    if (strcmp(s, "keep") == 0) return SL_MDL_INVALID_KEEP;
    if (strcmp(s, "skip") == 0) return SL_MDL_INVALID_SKIP;
    return SL_MDL_INVALID_ERROR;
}

static sl_status scalar_feat(sl_mdl_spark *sp, const char *name, int source, sl_error *err)
{
    sl_mdl_feat *f = sl_malloc(sizeof *f);
    if (!f) return sl_err_oom(err);
    f->source = source;
    f->onehot = -1;
    return sl_mdl_spark_define(sp, name, false, f, 1, err);
}

sl_status sl_mdl_stage_string_indexer(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                                      sl_error *err)
{
    const sl_jval *ins, *outs;
    bool single;
    sl_status st = col_lists(dir, meta, &ins, &outs, &single, err);
    if (st != SL_OK) return st;
    size_t n_cols = single ? 1 : ins->n;
    sl_mdl_rows data;
    if ((st = sl_mdl_spark_read_data(dir, "data", &data, err)) != SL_OK) return st;
    const sl_jval *la = data.n ? sl_jval_get(data.rows[0], "labelsArray") : NULL;
    const sl_jval *one = data.n ? sl_jval_get(data.rows[0], "labels") : NULL;
    if (!(la && la->type == SL_JARR && la->n == n_cols) &&
        !(one && one->type == SL_JARR && n_cols == 1)) {
        st = sl_err(err, SL_ERR_MODEL, "%s: data has no labels for its %zu columns", dir, n_cols);
        goto out;
    }
    int invalid = invalid_mode(meta);
    for (size_t c = 0; c < n_cols && st == SL_OK; c++) {
        const sl_jval *labels = la && la->type == SL_JARR && la->n == n_cols ? la->items[c] : one;
        if (labels->type != SL_JARR) { st = sl_err(err, SL_ERR_MODEL, "%s: labels not a list", dir); break; }
        const char **lv = sl_malloc(sizeof *lv * (labels->n + 1));
        if (!lv) { st = sl_err_oom(err); break; }
        for (size_t i = 0; i < labels->n; i++)
            lv[i] = labels->items[i]->type == SL_JSTR ? labels->items[i]->str : "";
        const char *in_name = col_at(ins, single, c);
        for (int s = 0; s < sp->n_syms; s++)
            if (strcmp(sp->syms[s].name, in_name) == 0)
                st = sl_err(err, SL_ERR_MODEL,
                            "%s: StringIndexer over a column made by an earlier stage (%s) "
                            "is not supported", dir, in_name);
        int in = st == SL_OK ? sl_mdl_add_input(sp->m, in_name, SL_TYPE_STRING) : 0;
        int src = in < 0 ? -1 : sl_mdl_add_source(sp->m, in, true);
        if (st == SL_OK && src < 0) st = sl_err_oom(err);
        if (st == SL_OK) {
            sl_mdl_source *so = &sp->m->sources[src];
            if (sl_mdl_strindex_build(&so->ix, lv, (int)labels->n) < 0) st = sl_err_oom(err);
            so->invalid = invalid;
            so->unseen_index = (int)labels->n;
        }
        sl_free(lv);
        if (st == SL_OK) st = scalar_feat(sp, col_at(outs, single, c), src, err);
    }
out:
    sl_mdl_spark_rows_free(&data);
    return st;
}

sl_status sl_mdl_stage_one_hot(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                               sl_error *err)
{
    const sl_jval *ins, *outs;
    bool single;
    sl_status st = col_lists(dir, meta, &ins, &outs, &single, err);
    if (st != SL_OK) return st;
    size_t n_cols = single ? 1 : ins->n;
    sl_mdl_rows data;
    if ((st = sl_mdl_spark_read_data(dir, "data", &data, err)) != SL_OK) return st;
    const sl_jval *sizes = data.n ? sl_jval_get(data.rows[0], "categorySizes") : NULL;
    if (!sizes || sizes->type != SL_JARR || sizes->n != n_cols) {
        st = sl_err(err, SL_ERR_MODEL, "%s: data has no categorySizes for its %zu columns", dir, n_cols);
        goto out;
    }
    const sl_jval *dl = sl_mdl_spark_param(meta, "dropLast");
    bool drop_last = !dl || dl->type != SL_JBOOL || dl->b;
    bool keep = invalid_mode(meta) == SL_MDL_INVALID_KEEP;
    for (size_t c = 0; c < n_cols && st == SL_OK; c++) {
        int cat = (int)jnum(sizes->items[c], -1);
        if (cat < 0) { st = sl_err(err, SL_ERR_MODEL, "%s: bad category size", dir); break; }
        /* Spark's getConfigedCategorySizes. */
        int size = (!drop_last && keep) ? cat + 1 : (drop_last && !keep) ? cat - 1 : cat;
        const sl_mdl_sym *in = sl_mdl_spark_resolve(sp, col_at(ins, single, c), err, &st);
        if (!in) break;
        if (in->vector || in->feats[0].onehot >= 0 || in->feats[0].source < 0) {
            st = sl_err(err, SL_ERR_MODEL, "%s: OneHotEncoder input %s is not a category index",
                        dir, col_at(ins, single, c));
            break;
        }
        int src = in->feats[0].source;
        sl_mdl_feat *f = sl_malloc(sizeof *f * (size_t)(size > 0 ? size : 1));
        if (!f) { st = sl_err_oom(err); break; }
        for (int k = 0; k < size; k++) { f[k].source = src; f[k].onehot = k; }
        st = sl_mdl_spark_define(sp, col_at(outs, single, c), true, f, size, err);
    }
out:
    sl_mdl_spark_rows_free(&data);
    return st;
}

sl_status sl_mdl_stage_assembler(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                                 sl_error *err)
{
    const sl_jval *ins = sl_mdl_spark_param(meta, "inputCols");
    const sl_jval *out = sl_mdl_spark_param(meta, "outputCol");
    if (!ins || ins->type != SL_JARR || !out || out->type != SL_JSTR)
        return sl_err(err, SL_ERR_MODEL, "%s: VectorAssembler without inputCols/outputCol", dir);
    int total = 0;
    sl_status st = SL_OK;
    for (size_t i = 0; i < ins->n; i++) {
        if (ins->items[i]->type != SL_JSTR)
            return sl_err(err, SL_ERR_MODEL, "%s: input column %zu is not a name", dir, i);
        const sl_mdl_sym *s = sl_mdl_spark_resolve(sp, ins->items[i]->str, err, &st);
        if (!s) return st;
        total += s->n;
    }
    sl_mdl_feat *f = sl_malloc(sizeof *f * (size_t)(total ? total : 1));
    if (!f) return sl_err_oom(err);
    int k = 0;
    for (size_t i = 0; i < ins->n; i++) {
        const sl_mdl_sym *s = sl_mdl_spark_resolve(sp, ins->items[i]->str, err, &st);
        memcpy(f + k, s->feats, sizeof *f * (size_t)s->n);
        k += s->n;
    }
    return sl_mdl_spark_define(sp, out->str, true, f, total, err);
}

/* The predictor's feature vector, checked against numFeatures. */
static const sl_mdl_sym *features_sym(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                                      sl_error *err, sl_status *st)
{
    const sl_jval *fc = sl_mdl_spark_param(meta, "featuresCol");
    const char *name = fc && fc->type == SL_JSTR ? fc->str : "features";
    const sl_mdl_sym *s = NULL;
    for (int i = sp->n_syms - 1; i >= 0 && !s; i--)
        if (strcmp(sp->syms[i].name, name) == 0) s = &sp->syms[i];
    if (!s || !s->vector) {
        *st = sl_err(err, SL_ERR_MODEL, "%s: features column %s is not made by an earlier stage",
                     dir, name);
        return NULL;
    }
    int64_t nf = sl_jval_get_int(meta, "numFeatures", s->n);
    if (nf != s->n) {
        *st = sl_err(err, SL_ERR_MODEL, "%s: model has %lld features, %s has %d", dir,
                     (long long)nf, name, s->n);
        return NULL;
    }
    *st = SL_OK;
    return s;
}

/* After compaction: categorical splits on one-hot slots become threshold
 * splits (0 <= 0.5 < 1), swapping children when only 1 goes left. */
static sl_status rewrite_onehot_splits(sl_model *m, sl_mdl_tree *t)
{
    if (!t->n_cat) return SL_OK;
    bool any = false;
    for (int k = 0; k < t->n_nodes; k++) {
        if (t->n_cat[k] < 0) continue;
        sl_mdl_node *nd = &t->nodes[k];
        const sl_mdl_feat *f = &m->slots[nd->slot];
        if (f->onehot < 0 && f->source >= 0) { any = true; continue; }
        bool in0 = false, in1 = false;
        for (int j = 0; j < t->n_cat[k]; j++) {
            in0 |= t->cats[t->cat_off[k] + j] == 0.0;
            in1 |= t->cats[t->cat_off[k] + j] == 1.0;
        }
        if (in0 && in1) nd->thr = INFINITY;
        else if (!in0 && !in1) nd->thr = -INFINITY;
        else {
            nd->thr = 0.5;
            if (in1) { int32_t l = nd->left; nd->left = nd->right; nd->right = l; }
        }
        t->n_cat[k] = -1;
    }
    if (!any) {
        sl_free(t->n_cat);
        sl_free(t->cat_off);
        sl_free(t->cats);
        t->n_cat = t->cat_off = NULL;
        t->cats = NULL;
    }
    return SL_OK;
}

static sl_status read_node(sl_mdl_tree *t, const sl_jval *nd, int n_classes, const char *dir,
                           size_t *n_cats_used, size_t *cats_cap, sl_error *err)
{
    int64_t id = sl_jval_get_int(nd, "id", -1);
    if (id < 0 || id >= t->n_nodes) return sl_err(err, SL_ERR_MODEL, "%s: node id %lld out of range", dir, (long long)id);
    sl_mdl_node *n = &t->nodes[id];
    n->value = sl_jval_get_num(nd, "prediction", 0);
    int64_t l = sl_jval_get_int(nd, "leftChild", -1), r = sl_jval_get_int(nd, "rightChild", -1);
    if (t->leaf_stats) {
        const sl_jval *stats = sl_jval_get(nd, "impurityStats");
        double *o = t->leaf_stats + (size_t)id * n_classes;
        for (int c = 0; c < n_classes; c++)
            o[c] = stats && stats->type == SL_JARR && (size_t)c < stats->n ? jnum(stats->items[c], 0) : 0;
    }
    t->n_cat[id] = -1;
    if (l < 0) {
        n->left = -1;
        return SL_OK;
    }
    n->left = (int32_t)l;
    n->right = (int32_t)r;
    const sl_jval *sp = sl_jval_get(nd, "split");
    const sl_jval *lc = sl_jval_get(sp, "leftCategoriesOrThreshold");
    if (!sp || !lc || lc->type != SL_JARR)
        return sl_err(err, SL_ERR_MODEL, "%s: node %lld has no split", dir, (long long)id);
    n->slot = (int32_t)sl_jval_get_int(sp, "featureIndex", -1);
    int64_t ncat = sl_jval_get_int(sp, "numCategories", -1);
    if (ncat < 0) {
        if (lc->n != 1) return sl_err(err, SL_ERR_MODEL, "%s: node %lld: bad threshold", dir, (long long)id);
        n->thr = jnum(lc->items[0], NAN);
        return SL_OK;
    }
    if (sl_grow((void **)&t->cats, cats_cap, *n_cats_used + lc->n + 1, sizeof *t->cats) < 0)
        return sl_err_oom(err);
    t->cat_off[id] = (int32_t)*n_cats_used;
    t->n_cat[id] = (int32_t)lc->n;
    for (size_t j = 0; j < lc->n; j++) t->cats[(*n_cats_used)++] = jnum(lc->items[j], NAN);
    return SL_OK;
}

sl_status sl_mdl_stage_trees(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                             sl_mdl_kind kind, sl_error *err)
{
    sl_model *m = sp->m;
    sl_status st;
    const sl_mdl_sym *fs = features_sym(sp, dir, meta, err, &st);
    if (!fs) return st;
    bool cls = kind == SL_MDL_GBT_CLS || kind == SL_MDL_RF_CLS || kind == SL_MDL_DT_CLS;
    int n_classes = kind == SL_MDL_GBT_CLS ? 2 : cls ? (int)sl_jval_get_int(meta, "numClasses", 0) : 0;
    if (cls && n_classes < 2) return sl_err(err, SL_ERR_MODEL, "%s: metadata lacks numClasses", dir);
    bool single = kind == SL_MDL_DT_CLS || kind == SL_MDL_DT_REG;
    bool stats = kind == SL_MDL_RF_CLS || kind == SL_MDL_DT_CLS;
    m->kind = kind;
    m->n_classes = n_classes;
    sl_mdl_rows data, tmeta = {0};
    if ((st = sl_mdl_spark_read_data(dir, "data", &data, err)) != SL_OK) return st;
    /* Count trees and nodes per tree. */
    int n_trees = 0;
    for (size_t i = 0; i < data.n; i++) {
        int64_t tid = single ? 0 : sl_jval_get_int(data.rows[i], "treeID", -1);
        if (tid < 0 || tid > 100000) { st = sl_err(err, SL_ERR_MODEL, "%s: bad treeID", dir); goto out; }
        if (tid + 1 > n_trees) n_trees = (int)tid + 1;
    }
    if (n_trees == 0) { st = sl_err(err, SL_ERR_MODEL, "%s: no trees", dir); goto out; }
    sl_mdl_ens *e = &m->ens;
    e->trees = sl_calloc((size_t)n_trees, sizeof *e->trees);
    e->weights = sl_malloc(sizeof *e->weights * (size_t)n_trees);
    size_t *cats_cap = sl_calloc((size_t)n_trees, sizeof *cats_cap);
    size_t *cats_used = sl_calloc((size_t)n_trees, sizeof *cats_used);
    if (!e->trees || !e->weights || !cats_cap || !cats_used) { st = sl_err_oom(err); goto out2; }
    e->n_trees = n_trees;
    for (int t = 0; t < n_trees; t++) e->weights[t] = 1.0;
    for (size_t i = 0; i < data.n; i++) {
        int tid = single ? 0 : (int)sl_jval_get_int(data.rows[i], "treeID", 0);
        const sl_jval *nd = single ? data.rows[i] : sl_jval_get(data.rows[i], "nodeData");
        int64_t id = sl_jval_get_int(nd, "id", -1);
        if (id < 0 || id > 10000000) { st = sl_err(err, SL_ERR_MODEL, "%s: bad node id", dir); goto out2; }
        if (id + 1 > e->trees[tid].n_nodes) e->trees[tid].n_nodes = (int32_t)id + 1;
    }
    for (int t = 0; t < n_trees; t++) {
        sl_mdl_tree *tr = &e->trees[t];
        size_t nn = (size_t)(tr->n_nodes ? tr->n_nodes : 1);
        tr->nodes = sl_calloc(nn, sizeof *tr->nodes);
        tr->n_cat = sl_malloc(sizeof *tr->n_cat * nn);
        tr->cat_off = sl_calloc(nn, sizeof *tr->cat_off);
        if (stats) tr->leaf_stats = sl_calloc(nn * (size_t)n_classes, sizeof *tr->leaf_stats);
        if (!tr->nodes || !tr->n_cat || !tr->cat_off || (stats && !tr->leaf_stats)) {
            st = sl_err_oom(err);
            goto out2;
        }
        for (size_t k = 0; k < nn; k++) { tr->nodes[k].left = -2; tr->n_cat[k] = -1; }
    }
    for (size_t i = 0; i < data.n; i++) {
        int tid = single ? 0 : (int)sl_jval_get_int(data.rows[i], "treeID", 0);
        const sl_jval *nd = single ? data.rows[i] : sl_jval_get(data.rows[i], "nodeData");
        st = read_node(&e->trees[tid], nd, n_classes, dir, &cats_used[tid], &cats_cap[tid], err);
        if (st != SL_OK) goto out2;
    }
    for (int t = 0; t < n_trees; t++) {
        sl_mdl_tree *tr = &e->trees[t];
        for (int k = 0; k < tr->n_nodes; k++)
            if (tr->nodes[k].left == -2) {
                st = sl_err(err, SL_ERR_MODEL, "%s: tree %d lacks node %d", dir, t, k);
                goto out2;
            }
        char what[4300];
        snprintf(what, sizeof what, "%s: tree %d", dir, t);
        if ((st = sl_mdl_tree_finish(tr, what, err)) != SL_OK) goto out2;
        if (kind == SL_MDL_RF_CLS) {
            /* Each tree votes with its leaf's class distribution, normalised. */
            for (int k = 0; k < tr->n_nodes; k++) {
                double *s = tr->leaf_stats + (size_t)k * n_classes, tot = 0;
                for (int c = 0; c < n_classes; c++) tot += s[c];
                if (tot != 0) for (int c = 0; c < n_classes; c++) s[c] /= tot;
            }
        }
    }
    if (kind == SL_MDL_GBT_CLS || kind == SL_MDL_GBT_REG) {
        if ((st = sl_mdl_spark_read_data(dir, "treesMetadata", &tmeta, err)) != SL_OK) goto out2;
        for (size_t i = 0; i < tmeta.n; i++) {
            int64_t tid = sl_jval_get_int(tmeta.rows[i], "treeID", -1);
            if (tid < 0 || tid >= n_trees) continue;
            e->weights[tid] = sl_jval_get_num(tmeta.rows[i], "weights", 1.0);
        }
    }
    if ((st = sl_mdl_compact(m, fs->feats, fs->n, err)) != SL_OK) goto out2;
    for (int t = 0; t < n_trees; t++) rewrite_onehot_splits(m, &e->trees[t]);
out2:
    sl_free(cats_cap);
    sl_free(cats_used);
out:
    sl_mdl_spark_rows_free(&data);
    sl_mdl_spark_rows_free(&tmeta);
    return st;
}

/* Values of a Spark VectorUDT struct (type 0 sparse, 1 dense) into a dense
 * array of n. */
static sl_status read_vector(const sl_jval *v, double *out, int n, const char *dir, sl_error *err)
{
    const sl_jval *vals = sl_jval_get(v, "values");
    if (!vals || vals->type != SL_JARR) return sl_err(err, SL_ERR_MODEL, "%s: bad vector", dir);
    memset(out, 0, sizeof *out * (size_t)n);
    if (sl_jval_get_int(v, "type", 1) == 1) {
        for (size_t i = 0; i < vals->n && (int)i < n; i++) out[i] = jnum(vals->items[i], 0);
        return SL_OK;
    }
    const sl_jval *idx = sl_jval_get(v, "indices");
    if (!idx || idx->type != SL_JARR || idx->n != vals->n) return sl_err(err, SL_ERR_MODEL, "%s: bad sparse vector", dir);
    for (size_t i = 0; i < vals->n; i++) {
        int k = (int)jnum(idx->items[i], -1);
        if (k >= 0 && k < n) out[k] = jnum(vals->items[i], 0);
    }
    return SL_OK;
}

sl_status sl_mdl_stage_logreg(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                              sl_error *err)
{
    sl_model *m = sp->m;
    sl_status st;
    const sl_mdl_sym *fs = features_sym(sp, dir, meta, err, &st);
    if (!fs) return st;
    sl_mdl_rows data;
    if ((st = sl_mdl_spark_read_data(dir, "data", &data, err)) != SL_OK) return st;
    const sl_jval *row = data.n ? data.rows[0] : NULL;
    int nf = fs->n;
    const sl_jval *mult = sl_jval_get(row, "isMultinomial");
    const sl_jval *cm = sl_jval_get(row, "coefficientMatrix");
    if (!row || sl_jval_get_int(row, "numClasses", 2) != 2 || (mult && mult->type == SL_JBOOL && mult->b)) {
        st = sl_err(err, SL_ERR_MODEL, "%s: only binary logistic regression is supported", dir);
        goto out;
    }
    if (!cm || sl_jval_get_int(cm, "numRows", 0) != 1 || sl_jval_get_int(cm, "numCols", -1) != nf) {
        st = sl_err(err, SL_ERR_MODEL, "%s: coefficient matrix is not 1 x %d", dir, nf);
        goto out;
    }
    m->kind = SL_MDL_LOGREG;
    m->n_classes = 2;
    m->lin.n_classes = 2;
    m->lin.coef = sl_calloc((size_t)(nf ? nf : 1), sizeof *m->lin.coef);
    if (!m->lin.coef) { st = sl_err_oom(err); goto out; }
    const sl_jval *vals = sl_jval_get(cm, "values");
    if (!vals || vals->type != SL_JARR) { st = sl_err(err, SL_ERR_MODEL, "%s: no coefficients", dir); goto out; }
    if (sl_jval_get_int(cm, "type", 1) == 1) {
        for (size_t i = 0; i < vals->n && (int)i < nf; i++) m->lin.coef[i] = jnum(vals->items[i], 0);
    } else {
        const sl_jval *ptr = sl_jval_get(cm, "colPtrs"), *ri = sl_jval_get(cm, "rowIndices");
        const sl_jval *tr = sl_jval_get(cm, "isTransposed");
        if (!ptr || !ri || ptr->type != SL_JARR || ri->type != SL_JARR || ri->n != vals->n) {
            st = sl_err(err, SL_ERR_MODEL, "%s: bad sparse coefficients", dir);
            goto out;
        }
        if (tr && tr->type == SL_JBOOL && tr->b) {   /* CSR of one row */
            for (size_t k = 0; k < vals->n; k++) {
                int j = (int)jnum(ri->items[k], -1);
                if (j >= 0 && j < nf) m->lin.coef[j] = jnum(vals->items[k], 0);
            }
        } else {                                     /* CSC: column j's entries */
            for (size_t j = 0; j + 1 < ptr->n && (int)j < nf; j++)
                for (int k = (int)jnum(ptr->items[j], 0); k < (int)jnum(ptr->items[j + 1], 0); k++)
                    if (k >= 0 && (size_t)k < vals->n) m->lin.coef[j] = jnum(vals->items[k], 0);
        }
    }
    double icpt[1];
    const sl_jval *iv = sl_jval_get(row, "interceptVector");
    if (iv && (st = read_vector(iv, icpt, 1, dir, err)) != SL_OK) goto out;
    m->lin.intercept = iv ? icpt[0] : 0;
    m->lin.threshold = jnum(sl_mdl_spark_param(meta, "threshold"), 0.5);
    st = sl_mdl_compact(m, fs->feats, nf, err);
out:
    sl_mdl_spark_rows_free(&data);
    return st;
}
