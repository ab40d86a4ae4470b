/* Vectorised tree-ensemble scoring: the inner loop of predict() for every
 * tree model sluice loads (Spark GBT/RF/DT, XGBoost, sluice bundles).
 *
 * The scorer gets a column-major block of feature slots (model_int.h) and walks
 * one tree for the whole block before the next, so a tree's nodes stay in
 * cache.  Leaves loop back to themselves, which lets a walk take exactly
 * `depth` steps with no leaf test; eight rows go down together so their
 * independent loads overlap instead of waiting on each other.  Comparison
 * rules are the producers' own: Spark goes left iff value <= threshold (NaN
 * compares false, so goes right) or, for categorical splits, iff the value is
 * one of the left categories; XGBoost goes left iff (float)value < split and
 * sends NaN to the node's default side. */
#include "model/model_int.h"
#include "core/mem.h"
#include "core/status.h"

#include <math.h>
#include <string.h>

void sl_mdl_tree_fini(sl_mdl_tree *t)
{
    sl_free(t->nodes);
    sl_free(t->wnodes);
    sl_free(t->cat_off);
    sl_free(t->n_cat);
    sl_free(t->cats);
    sl_free(t->leaf_stats);
    memset(t, 0, sizeof *t);
}

sl_status sl_mdl_tree_finish(sl_mdl_tree *t, const char *what, sl_error *err)
{
    int32_t n = t->n_nodes;
    if (n <= 0) return sl_err(err, SL_ERR_MODEL, "%s: empty tree", what);
    /* depth[] by a walk from the root: children must have larger indices
     * or at least form a tree; an explicit stack guards against cycles. */
    int32_t *stack = sl_malloc(sizeof *stack * (size_t)n * 2);
    uint8_t *seen = sl_calloc((size_t)n, 1);
    if (!stack || !seen) {
        sl_free(stack);
        sl_free(seen);
        return sl_err_oom(err);
    }
    int sp = 0, max_depth = 0;
    stack[sp++] = 0;
    stack[sp++] = 0;
    sl_status st = SL_OK;
    while (sp > 0) {
        int32_t d = stack[--sp], k = stack[--sp];
        if (seen[k]) { st = sl_err(err, SL_ERR_MODEL, "%s: node %d reached twice", what, k); break; }
        seen[k] = 1;
        sl_mdl_node *nd = &t->nodes[k];
        if (nd->left < 0) {   /* leaf */
            nd->left = nd->right = nd->dflt = k;
            nd->slot = 0;
            nd->thr = 0;
            if (d > max_depth) max_depth = d;
            continue;
        }
        if (nd->left >= n || nd->right < 0 || nd->right >= n) {
            st = sl_err(err, SL_ERR_MODEL, "%s: node %d has a child out of range", what, k);
            break;
        }
        if (sp + 4 > 2 * n) { st = sl_err(err, SL_ERR_MODEL, "%s: malformed tree", what); break; }
        stack[sp++] = nd->left;
        stack[sp++] = d + 1;
        stack[sp++] = nd->right;
        stack[sp++] = d + 1;
    }
    sl_free(stack);
    sl_free(seen);
    t->depth = max_depth;
    return st;
}

int sl_mdl_tree_compile(const sl_model *m, sl_mdl_tree *t)
{
    sl_free(t->wnodes);
    t->wnodes = sl_malloc(sizeof *t->wnodes * (size_t)t->n_nodes);
    if (!t->wnodes) return -1;
    bool xgb = m->kind == SL_MDL_XGB;
    for (int32_t k = 0; k < t->n_nodes; k++) {
        const sl_mdl_node *nd = &t->nodes[k];
        sl_mdl_wnode *w = &t->wnodes[k];
        w->child[0] = nd->left;
        w->child[1] = nd->right;
        w->child[2] = nd->dflt;
        w->off = 0;
        w->a = -INFINITY;
        w->b = INFINITY;
        if (nd->left == k) {   /* leaf */
            w->a = nd->value;
            continue;
        }
        const sl_mdl_feat *f = &m->slots[nd->slot];
        int col = f->source >= 0 ? f->source : m->n_sources;   /* zero column */
        w->off = col * SL_MDL_BLOCK;
        if (xgb) {
            w->a = nd->thr;
            continue;
        }
        if (f->source < 0 || f->onehot < 0) {
            /* a value (or the constant 0): left iff v <= thr */
            w->b = nd->thr;
            continue;
        }
        /* Indicator I = (source == k): left iff I <= thr. */
        bool left0 = 0.0 <= nd->thr, left1 = 1.0 <= nd->thr;
        if (left0 == left1) {
            w->child[0] = w->child[1] = left0 ? nd->left : nd->right;
        } else {
            w->a = w->b = f->onehot;
            w->child[0] = left1 ? nd->left : nd->right;   /* source == k */
            w->child[1] = left1 ? nd->right : nd->left;
        }
    }
    return 0;
}

#define LANES 8

/* One step. Spark: right iff !(v <= thr), so NaN goes right. XGBoost: left
 * iff v < thr, NaN to child[2]: !(v < thr) is 1 for NaN, plus 1. Written
 * as index arithmetic so the compiler emits no branch. */
static inline int32_t step_spark(const sl_mdl_wnode *w, const double *xr, int32_t k)
{
    double v = xr[w[k].off];
    return w[k].child[!((w[k].a <= v) & (v <= w[k].b))];
}
#define STEP_SPARK(w, xr, k) step_spark(w, xr, k)
static inline int32_t step_xgb(const sl_mdl_wnode *w, const double *xr, int32_t k)
{
    double v = xr[w[k].off];
    return w[k].child[!(v < w[k].a) + (v != v)];
}

void sl_mdl_tree_walk_spark(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    const sl_mdl_wnode *w = t->wnodes;
    const int depth = t->depth;
    if (t->n_cat) {
        /* Categorical splits on values present: the general walk
         * (one-hot ones were made threshold splits at load). */
        for (int i = 0; i < n; i++) {
            const double *xr = x + i;
            int32_t k = 0;
            for (int d = 0; d < depth; d++) {
                int nc = t->n_cat[k];
                if (nc >= 0 && w[k].child[0] != k) {
                    double v = xr[w[k].off];
                    const double *c = t->cats + t->cat_off[k];
                    bool in = false;
                    for (int j = 0; j < nc; j++) in |= (c[j] == v);
                    k = in ? t->nodes[k].left : t->nodes[k].right;
                } else {
                    k = step_spark(w, xr, k);
                }
            }
            leaf[i] = k;
        }
        return;
    }
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        const double *x0 = x + i, *x1 = x0 + 1, *x2 = x0 + 2, *x3 = x0 + 3;
        const double *x4 = x0 + 4, *x5 = x0 + 5, *x6 = x0 + 6, *x7 = x0 + 7;
        int32_t k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0;
        for (int d = 0; d < depth; d++) {
            k0 = STEP_SPARK(w, x0, k0); k1 = STEP_SPARK(w, x1, k1);
            k2 = STEP_SPARK(w, x2, k2); k3 = STEP_SPARK(w, x3, k3);
            k4 = STEP_SPARK(w, x4, k4); k5 = STEP_SPARK(w, x5, k5);
            k6 = STEP_SPARK(w, x6, k6); k7 = STEP_SPARK(w, x7, k7);
        }
        leaf[i] = k0; leaf[i + 1] = k1; leaf[i + 2] = k2; leaf[i + 3] = k3;
        leaf[i + 4] = k4; leaf[i + 5] = k5; leaf[i + 6] = k6; leaf[i + 7] = k7;
    }
    for (; i < n; i++) {
        const double *xr = x + i;
        int32_t k = 0;
        for (int d = 0; d < depth; d++) k = STEP_SPARK(w, xr, k);
        leaf[i] = k;
    }
}

void sl_mdl_tree_walk_xgb(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    const sl_mdl_wnode *w = t->wnodes;
    const int depth = t->depth;
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        const double *x0 = x + i, *x1 = x0 + 1, *x2 = x0 + 2, *x3 = x0 + 3;
        const double *x4 = x0 + 4, *x5 = x0 + 5, *x6 = x0 + 6, *x7 = x0 + 7;
        int32_t k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0;
        for (int d = 0; d < depth; d++) {
            k0 = step_xgb(w, x0, k0); k1 = step_xgb(w, x1, k1);
            k2 = step_xgb(w, x2, k2); k3 = step_xgb(w, x3, k3);
            k4 = step_xgb(w, x4, k4); k5 = step_xgb(w, x5, k5);
            k6 = step_xgb(w, x6, k6); k7 = step_xgb(w, x7, k7);
        }
        leaf[i] = k0; leaf[i + 1] = k1; leaf[i + 2] = k2; leaf[i + 3] = k3;
        leaf[i + 4] = k4; leaf[i + 5] = k5; leaf[i + 6] = k6; leaf[i + 7] = k7;
    }
    for (; i < n; i++) {
        const double *xr = x + i;
        int32_t k = 0;
        for (int d = 0; d < depth; d++) k = step_xgb(w, xr, k);
        leaf[i] = k;
    }
}

/* XGBoost's own float transforms, so results match its predictions bit for
 * bit where the arithmetic allows. */
static float xgb_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

static void xgb_finish(const sl_model *m, const float *margin, int n, double *out)
{
    const sl_mdl_ens *e = &m->ens;
    int g = e->n_groups;
    for (int i = 0; i < n; i++) {
        const float *mg = margin + (size_t)i * g;
        switch (e->obj) {
        case SL_XGB_BINARY_LOGISTIC: {
            float p = xgb_sigmoid(mg[0]);
            out[2 * i] = 1.0 - (double)p;
            out[2 * i + 1] = p;
            break;
        }
        case SL_XGB_REG_LOGISTIC:
            out[i] = xgb_sigmoid(mg[0]);
            break;
        case SL_XGB_BINARY_LOGITRAW:
        case SL_XGB_REG_SQUAREDERROR:
            out[i] = mg[0];
            break;
        case SL_XGB_MULTI_SOFTPROB:
        case SL_XGB_MULTI_SOFTMAX: {
            float mx = mg[0];
            for (int c = 1; c < g; c++) if (mg[c] > mx) mx = mg[c];
            float sum = 0;
            float ex[g];
            for (int c = 0; c < g; c++) { ex[c] = expf(mg[c] - mx); sum += ex[c]; }
            for (int c = 0; c < g; c++) out[(size_t)i * g + c] = ex[c] / sum;
            break;
        }
        }
    }
}

void sl_mdl_ens_predict(const sl_model *m, const double *x, int n, double *out)
{
    const sl_mdl_ens *e = &m->ens;
    int32_t leaf[n];
    int n_out = sl_model_num_outputs(m);
    if (m->kind == SL_MDL_XGB) {
        int g = e->n_groups;
        float margin[(size_t)n * g];
        for (int i = 0; i < n * g; i++) margin[i] = e->base_margin;
        for (int t = 0; t < e->n_trees; t++) {
            const sl_mdl_tree *tr = &e->trees[t];
            sl_mdl_tree_walk_xgb(tr, x, n, leaf);
            int grp = e->group ? e->group[t] : 0;
            for (int i = 0; i < n; i++)
                margin[(size_t)i * g + grp] += (float)tr->wnodes[leaf[i]].a;
        }
        xgb_finish(m, margin, n, out);
        return;
    }
    int nc = m->n_classes;
    memset(out, 0, sizeof *out * (size_t)n * n_out);
    double acc[n];
    memset(acc, 0, sizeof acc);
    for (int t = 0; t < e->n_trees; t++) {
        const sl_mdl_tree *tr = &e->trees[t];
        sl_mdl_tree_walk_spark(tr, x, n, leaf);
        switch (m->kind) {
        case SL_MDL_GBT_CLS:
        case SL_MDL_GBT_REG: {
            double w = e->weights[t];
            for (int i = 0; i < n; i++) acc[i] += w * tr->wnodes[leaf[i]].a;
            break;
        }
        case SL_MDL_RF_REG:
        case SL_MDL_DT_REG:
            for (int i = 0; i < n; i++) acc[i] += tr->wnodes[leaf[i]].a;
            break;
        case SL_MDL_RF_CLS:
        case SL_MDL_DT_CLS:
            for (int i = 0; i < n; i++) {
                const double *s = tr->leaf_stats + (size_t)leaf[i] * nc;
                for (int c = 0; c < nc; c++) out[(size_t)i * nc + c] += s[c];
            }
            break;
        default:
            break;
        }
    }
    switch (m->kind) {
    case SL_MDL_GBT_CLS:
        /* Spark's LogLoss.computeProbability: 1 / (1 + exp(-2 * margin)). */
        for (int i = 0; i < n; i++) {
            double p = 1.0 / (1.0 + exp(-2.0 * acc[i]));
            out[2 * i] = 1.0 - p;
            out[2 * i + 1] = p;
        }
        break;
    case SL_MDL_GBT_REG:
    case SL_MDL_DT_REG:
        for (int i = 0; i < n; i++) out[i] = acc[i];
        break;
    case SL_MDL_RF_REG:
        for (int i = 0; i < n; i++) out[i] = acc[i] / e->n_trees;
        break;
    case SL_MDL_RF_CLS:
    case SL_MDL_DT_CLS:
        /* Spark normalises the summed (RF) or raw (DT) distribution. */
        for (int i = 0; i < n; i++) {
            double *o = out + (size_t)i * nc, s = 0;
            for (int c = 0; c < nc; c++) s += o[c];
            if (s > 0) for (int c = 0; c < nc; c++) o[c] /= s;
        }
        break;
    default:
        break;
    }
}
