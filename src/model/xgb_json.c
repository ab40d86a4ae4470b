/* XGBoost JSON models (Booster.save_model("x.json"), format 1.x): the
 * learner's objective, base_score and gbtree trees, turned into the common
 * tree-ensemble form (model_int.h).  Scoring matches XGBoost's CPU
 * predictor: features as float, left iff value < split_condition, NaN to
 * the default side, margins accumulated in float from base_score turned
 * into a margin by the objective. */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const sl_jval *arr_member(const sl_jval *o, const char *key, size_t n_min)
{
    const sl_jval *a = sl_jval_get(o, key);
    return a && a->type == SL_JARR && a->n >= n_min ? a : NULL;
}

static double jnum(const sl_jval *v)
{
    if (v->type == SL_JNUM) return v->num;
    /* XGBoost 2 writes base_score as "[5E-1]". */
    if (v->type == SL_JSTR) return strtod(v->str + (v->str[0] == '['), NULL);
    if (v->type == SL_JBOOL) return v->b;
    return NAN;
}

/* XGBoost writes most scalar parameters as strings ("5E-1"). */
static double param_num(const sl_jval *o, const char *key, double dflt)
{
    const sl_jval *v = sl_jval_get(o, key);
    return v ? jnum(v) : dflt;
}

static sl_status load_tree(sl_mdl_tree *t, const sl_jval *jt, const char *what, sl_error *err)
{
    const sl_jval *lc = arr_member(jt, "left_children", 1);
    if (!lc) return sl_err(err, SL_ERR_MODEL, "%s: no left_children", what);
    size_t n = lc->n;
    const sl_jval *rc = arr_member(jt, "right_children", n);
    const sl_jval *si = arr_member(jt, "split_indices", n);
    const sl_jval *sc = arr_member(jt, "split_conditions", n);
    const sl_jval *dl = arr_member(jt, "default_left", n);
    const sl_jval *ty = arr_member(jt, "split_type", 0);
    if (!rc || !si || !sc || !dl)
        return sl_err(err, SL_ERR_MODEL, "%s: node arrays missing or of different lengths", what);
    t->nodes = sl_calloc(n, sizeof *t->nodes);
    if (!t->nodes) return sl_err_oom(err);
    t->n_nodes = (int32_t)n;
    for (size_t k = 0; k < n; k++) {
        sl_mdl_node *nd = &t->nodes[k];
        int32_t l = (int32_t)jnum(lc->items[k]), r = (int32_t)jnum(rc->items[k]);
        float cond = (float)jnum(sc->items[k]);
        if (l < 0) {
            nd->left = -1;
            nd->value = cond;
            continue;
        }
        if (ty && k < ty->n && jnum(ty->items[k]) != 0)
            return sl_err(err, SL_ERR_MODEL, "%s: categorical splits are not supported", what);
        nd->left = l;
        nd->right = r;
        nd->slot = (int32_t)jnum(si->items[k]);
        nd->thr = cond;
        nd->dflt = jnum(dl->items[k]) != 0 ? l : r;
    }
    return sl_mdl_tree_finish(t, what, err);
}

sl_status sl_mdl_xgb_from_doc(sl_model *m, const sl_jval *root, const char *path,
                              int *out_n_features, char ***out_names, sl_error *err)
{
    *out_names = NULL;
    const sl_jval *learner = sl_jval_get(root, "learner");
    if (!learner) return sl_err(err, SL_ERR_MODEL, "%s: not an XGBoost JSON model (no \"learner\")", path);
    const sl_jval *mp = sl_jval_get(learner, "learner_model_param");
    const char *obj = sl_jval_get_str(sl_jval_get(learner, "objective"), "name", "");
    const sl_jval *gb = sl_jval_get(learner, "gradient_booster");
    const char *gbname = sl_jval_get_str(gb, "name", "");
    if (strcmp(gbname, "gbtree") != 0)
        return sl_err(err, SL_ERR_MODEL, "%s: booster '%s' is not supported (only gbtree)", path, gbname);
    float base = (float)param_num(mp, "base_score", 0.5);
    int num_class = (int)param_num(mp, "num_class", 0);
    int n_feat = (int)param_num(mp, "num_feature", 0);
    sl_mdl_ens *e = &m->ens;
    m->kind = SL_MDL_XGB;
    m->f32 = true;
    e->n_groups = 1;
    if (strcmp(obj, "binary:logistic") == 0) {
        e->obj = SL_XGB_BINARY_LOGISTIC;
        m->n_classes = 2;
    } else if (strcmp(obj, "reg:logistic") == 0) {
        e->obj = SL_XGB_REG_LOGISTIC;
    } else if (strcmp(obj, "binary:logitraw") == 0) {
        e->obj = SL_XGB_BINARY_LOGITRAW;
    } else if (strcmp(obj, "reg:squarederror") == 0 || strcmp(obj, "reg:linear") == 0) {
        e->obj = SL_XGB_REG_SQUAREDERROR;
    } else if (strcmp(obj, "multi:softprob") == 0 || strcmp(obj, "multi:softmax") == 0) {
        e->obj = obj[6] == 'p' ? SL_XGB_MULTI_SOFTPROB : SL_XGB_MULTI_SOFTMAX;
        if (num_class < 2) return sl_err(err, SL_ERR_MODEL, "%s: %s with num_class %d", path, obj, num_class);
        m->n_classes = num_class;
        e->n_groups = num_class;
    } else {
        return sl_err(err, SL_ERR_MODEL, "%s: unsupported XGBoost objective '%s'", path, obj);
    }
    /* ProbToMargin of the objective, in float as XGBoost does it. */
    /* (binary:logitraw keeps base_score as the margin, as XGBoost 1.7 does.) */
    if (e->obj == SL_XGB_BINARY_LOGISTIC || e->obj == SL_XGB_REG_LOGISTIC)
        e->base_margin = -logf(1.0f / base - 1.0f);
    else
        e->base_margin = base;

    const sl_jval *model = sl_jval_get(gb, "model");
    const sl_jval *trees = arr_member(model, "trees", 0);
    const sl_jval *info = arr_member(model, "tree_info", 0);
    if (!trees || !info || info->n != trees->n)
        return sl_err(err, SL_ERR_MODEL, "%s: gbtree model without trees/tree_info", path);
    e->trees = sl_calloc(trees->n ? trees->n : 1, sizeof *e->trees);
    e->group = sl_calloc(trees->n ? trees->n : 1, sizeof *e->group);
    if (!e->trees || !e->group) return sl_err_oom(err);
    for (size_t t = 0; t < trees->n; t++) {
        char what[4200];
        snprintf(what, sizeof what, "%s: tree %zu", path, t);
        e->n_trees = (int)t + 1;
        sl_status st = load_tree(&e->trees[t], trees->items[t], what, err);
        if (st != SL_OK) return st;
        int g = (int)jnum(info->items[t]);
        if (g < 0 || g >= e->n_groups)
            return sl_err(err, SL_ERR_MODEL, "%s: tree %zu of class %d", path, t, g);
        e->group[t] = g;
        for (int k = 0; k < e->trees[t].n_nodes; k++) {
            const sl_mdl_node *nd = &e->trees[t].nodes[k];
            if (nd->left != k && nd->slot + 1 > n_feat) n_feat = nd->slot + 1;
        }
    }
    const sl_jval *names = arr_member(learner, "feature_names", 0);
    if (names && names->n > 0) {
        if ((int)names->n < n_feat)
            return sl_err(err, SL_ERR_MODEL, "%s: %zu feature names for %d features", path, names->n, n_feat);
        n_feat = (int)names->n;
        char **nm = sl_calloc(names->n, sizeof *nm);
        if (!nm) return sl_err_oom(err);
        *out_names = nm;
        *out_n_features = n_feat;   /* so the caller frees every name even on failure */
        for (size_t i = 0; i < names->n; i++) {
            if (names->items[i]->type != SL_JSTR)
                return sl_err(err, SL_ERR_MODEL, "%s: feature name %zu is not a string", path, i);
            if (!(nm[i] = sl_strdup(names->items[i]->str))) return sl_err_oom(err);
        }
    }
    *out_n_features = n_feat;
    return SL_OK;
}

static void free_names(char **names, int n)
{
    if (!names) return;
    for (int i = 0; i < n; i++) sl_free(names[i]);
    sl_free(names);
}

sl_status sl_mdl_load_xgb_json(sl_model *m, const char *path, sl_error *err)
{
    sl_jdoc *doc = NULL;
    sl_status st = sl_jdoc_parse_file(path, &doc, err);
    if (st != SL_OK) {
        if (st == SL_ERR_NOMEM) return st;
        return sl_mdl_err_recode(err, SL_ERR_MODEL);
    }
    int n_feat = 0;
    char **names = NULL;
    st = sl_mdl_xgb_from_doc(m, doc->root, path, &n_feat, &names, err);
    sl_jdoc_free(doc);
    if (st != SL_OK) goto out;
    /* Inputs are the feature names (or f0, f1, …), all numeric. */
    m->sources = sl_calloc((size_t)(n_feat ? n_feat : 1), sizeof *m->sources);
    if (!m->sources) { st = sl_err_oom(err); goto out; }
    for (int f = 0; f < n_feat; f++) {
        char buf[32];
        const char *nm = names ? names[f] : (snprintf(buf, sizeof buf, "f%d", f), buf);
        int in = sl_mdl_add_input(m, nm, SL_TYPE_DOUBLE);
        if (in < 0) { st = sl_err_oom(err); goto out; }
        m->sources[f].input = in;
        m->n_sources = f + 1;
    }
    st = sl_mdl_compact(m, NULL, n_feat, err);
    if (st != SL_OK) goto out;
    char buf[256];
    snprintf(buf, sizeof buf, "XGBoost model (%d trees, %d features)", m->ens.n_trees, n_feat);
    if (!(m->describe = sl_strdup(buf))) st = sl_err_oom(err);
out:
    free_names(names, n_feat);
    return st;
}
