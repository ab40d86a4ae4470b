/* Vectorised tree-ensemble scoring: the inner loop of predict() for every
 * tree model sluice loads (Spark GBT/RF/DT, XGBoost, sluice bundles).
 *
 * The scorer gets a column-major block of source columns (model_int.h) and
 * walks one tree for the whole block before the next, so a tree's nodes stay
 * in cache; eight rows go down together so their independent loads overlap
 * instead of waiting on each other.  Trees of depth <= SL_MDL_CDEPTH_MAX take
 * the complete walk: the tree padded to a complete one in level order, so a
 * step is one node, one value, one compare and j -> 2j + 1 + out, unrolled
 * for the usual depths (sl_mdl_cnode says how each producer's rule becomes
 * that compare exactly).  Deeper trees, and Spark categorical set splits,
 * take the general walk, where leaves loop back to themselves so a walk
 * takes exactly `depth` steps with no leaf test.  Comparison rules are the
 * producers' own: Spark goes left iff value <= threshold (NaN compares
 * false, so goes right) or, for categorical splits, iff the value is one of
 * the left categories; XGBoost goes left iff (float)value < split and sends
 * NaN to the node's default side. */
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
    sl_free(t->cnodes);
    sl_free(t->cnodesf);
    sl_free(t->cleaf);
    sl_free(t->cval);
    sl_free(t->cvalf);
    sl_free(t->zlev);
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

/* ---- the complete form (model_int.h, sl_mdl_cnode) ---------------------- */

typedef struct cbuild {
    const sl_mdl_tree *t;
    bool xgb;
    int32_t zero_off;      /* the block's zero column */
    int32_t n_int;         /* 2^depth - 1 */
    double *lo, *hi;
    int32_t *off;
} cbuild;

/* Interval [lo, hi] of the "in" side and which original child it leads to,
 * for wnode k; returns false when the node cannot be put in the form. */
static bool cnode_test(const cbuild *cb, int32_t k, double *lo, double *hi, int32_t *off,
                       int32_t *in_child, int32_t *out_child)
{
    const sl_mdl_wnode *w = &cb->t->wnodes[k];
    *off = w->off;
    if (!cb->xgb) {
        *in_child = w->child[0];
        *out_child = w->child[1];
        if (w->child[0] == w->child[1]) {   /* both sides agree: always in */
            *off = cb->zero_off;
            *lo = -INFINITY;
            *hi = INFINITY;
        } else {
            *lo = w->a;
            *hi = w->b;
        }
        return true;
    }
    /* XGBoost: left iff (float)v < thr (thr a float), NaN to child[2]. */
    float thr = (float)w->a;
    if (w->child[2] == w->child[1]) {   /* default right: in = v < thr, NaN out */
        *in_child = w->child[0];
        *out_child = w->child[1];
        if (thr != thr || thr == -INFINITY) {   /* nothing is < thr */
            *lo = INFINITY;
            *hi = -INFINITY;
        } else {
            *lo = -INFINITY;
            *hi = nextafterf(thr, -INFINITY);
        }
        return true;
    }
    if (w->child[2] == w->child[0]) {   /* default left: in = !(v < thr), NaN out */
        *in_child = w->child[1];
        *out_child = w->child[0];
        if (thr != thr) {                /* every number goes right */
            *lo = -INFINITY;
            *hi = INFINITY;
        } else {
            *lo = thr;
            *hi = INFINITY;
        }
        return true;
    }
    return false;
}

/* Puts original node k at level-order position j of depth d. */
static bool cplace(cbuild *cb, int32_t k, int32_t j, int d)
{
    const sl_mdl_tree *t = cb->t;
    if (j >= cb->n_int) {   /* a leaf position */
        if (t->nodes[k].left != k) return false;   /* deeper than depth: cannot happen */
        t->cleaf[j - cb->n_int] = k;
        t->cval[j - cb->n_int] = t->wnodes[k].a;
        return true;
    }
    int32_t in_child, out_child;
    if (t->nodes[k].left == k) {   /* a leaf above the last level: pad */
        cb->lo[j] = -INFINITY;
        cb->hi[j] = INFINITY;
        cb->off[j] = cb->zero_off;
        in_child = out_child = k;
    } else if (!cnode_test(cb, k, &cb->lo[j], &cb->hi[j], &cb->off[j], &in_child, &out_child)) {
        return false;
    }
    return cplace(cb, in_child, 2 * j + 1, d + 1) && cplace(cb, out_child, 2 * j + 2, d + 1);
}

/* Builds the complete form if the tree allows it; -1 on OOM. */
static int build_complete(const sl_model *m, sl_mdl_tree *t)
{
    t->complete = false;
    if (t->depth > SL_MDL_CDEPTH_MAX) return 0;
    for (int32_t k = 0; t->n_cat && k < t->n_nodes; k++)
        if (t->n_cat[k] >= 0 && t->nodes[k].left != k) return 0;   /* a set split */
    cbuild cb = { .t = t, .xgb = m->kind == SL_MDL_XGB, .zero_off = m->n_sources * SL_MDL_BLOCK };
    cb.n_int = (1 << t->depth) - 1;
    size_t ni = (size_t)(cb.n_int ? cb.n_int : 1), nl = (size_t)cb.n_int + 1;
    cb.lo = sl_malloc(sizeof *cb.lo * ni);
    cb.hi = sl_malloc(sizeof *cb.hi * ni);
    cb.off = sl_malloc(sizeof *cb.off * ni);
    t->cleaf = sl_malloc(sizeof *t->cleaf * nl);
    t->cval = sl_malloc(sizeof *t->cval * nl);
    if (cb.xgb) t->cnodesf = sl_calloc(ni, sizeof *t->cnodesf);
    else t->cnodes = sl_calloc(ni, sizeof *t->cnodes);
    int rc = 0;
    if (!cb.lo || !cb.hi || !cb.off || !t->cleaf || !t->cval || (!t->cnodesf && !t->cnodes)) {
        rc = -1;
    } else if (cplace(&cb, 0, 0, 0)) {
        t->complete = true;
        for (int32_t j = 0; j < cb.n_int; j++) {
            double lo = cb.lo[j], hi = cb.hi[j];
            if (cb.xgb) {
                sl_mdl_cnodef *c = &t->cnodesf[j];
                c->off = cb.off[j];
                if (lo == -INFINITY) {          /* v <= hi */
                    c->t = (float)hi;
                } else if (hi == INFINITY) {    /* v >= lo: -v <= -lo */
                    c->t = (float)-lo;
                    if (c->off != cb.zero_off) c->off += (m->n_sources + 1) * SL_MDL_BLOCK;
                } else if (lo > hi) {           /* nothing is in */
                    c->t = NAN;
                } else {
                    t->complete = false;        /* not produced by cnode_test */
                }
            } else {
                /* max(lo - v, v - hi) <= 0 is wrong for v = hi = +inf */
                if (hi == INFINITY && cb.off[j] != cb.zero_off) t->complete = false;
                t->cnodes[j].lo = lo;
                t->cnodes[j].hi = hi;
                t->cnodes[j].off = cb.off[j];
            }
        }
    }
    sl_free(cb.lo);
    sl_free(cb.hi);
    sl_free(cb.off);
    if (rc == 0 && t->complete && cb.xgb && sl_mdl_zlev_build(t) != 0) rc = -1;
    if (!t->complete) {
        sl_free(t->cleaf);
        sl_free(t->cval);
        sl_free(t->cnodes);
        sl_free(t->cnodesf);
        t->cleaf = NULL;
        t->cval = NULL;
        t->cnodes = NULL;
        t->cnodesf = NULL;
    }
    return rc;
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
    return build_complete(m, t);
}

#define LANES 8

/* ---- walks over the complete form ----------------------------------------
 * Level-order nodes: j -> 2j + 1 + out, out as model_int.h's sl_mdl_cnode
 * says. No child index is loaded, so a step is the node's loads, one value
 * load and one compare. Eight rows go down together so their loads overlap; the
 * depth is a compile-time constant for the usual depths (the loop unrolls
 * completely) through the switch in cwalk_*. */
#define CSTEP_SPARK(nd, xr, k) ((k) = sl_mdl_cstep_spark(nd, xr, k))
#define CSTEP_XGB(nd, xr, k) ((k) = sl_mdl_cstep_xgb(nd, xr, k))

#define DEFINE_CWALK(NAME, NODE, T, CSTEP)                                             \
    static inline __attribute__((always_inline)) void NAME##_d(                  \
        const NODE *nd, const T *x, int n, int32_t *leaf, const int depth)        \
    {                                                                             \
        const int32_t first_leaf = (1 << depth) - 1;                              \
        int i = 0;                                                                \
        for (; i + LANES <= n; i += LANES) {                                      \
            const T *x0 = x + i;                                                  \
            int32_t k0 = 0, k1 = 0, k2 = 0, k3 = 0, k4 = 0, k5 = 0, k6 = 0, k7 = 0; \
            for (int d = 0; d < depth; d++) {                                     \
                CSTEP(nd, x0, k0); CSTEP(nd, x0 + 1, k1);                         \
                CSTEP(nd, x0 + 2, k2); CSTEP(nd, x0 + 3, k3);                     \
                CSTEP(nd, x0 + 4, k4); CSTEP(nd, x0 + 5, k5);                     \
                CSTEP(nd, x0 + 6, k6); CSTEP(nd, x0 + 7, k7);                     \
            }                                                                     \
            leaf[i] = k0 - first_leaf; leaf[i + 1] = k1 - first_leaf;             \
            leaf[i + 2] = k2 - first_leaf; leaf[i + 3] = k3 - first_leaf;         \
            leaf[i + 4] = k4 - first_leaf; leaf[i + 5] = k5 - first_leaf;         \
            leaf[i + 6] = k6 - first_leaf; leaf[i + 7] = k7 - first_leaf;         \
        }                                                                         \
        for (; i < n; i++) {                                                      \
            int32_t k = 0;                                                        \
            for (int d = 0; d < depth; d++) CSTEP(nd, x + i, k);                  \
            leaf[i] = k - first_leaf;                                             \
        }                                                                         \
    }                                                                             \
    static void NAME(const NODE *nd, const T *x, int n, int32_t *leaf, int depth) \
    {                                                                             \
        switch (depth) {                                                          \
        case 1: NAME##_d(nd, x, n, leaf, 1); break;                               \
        case 2: NAME##_d(nd, x, n, leaf, 2); break;                               \
        case 3: NAME##_d(nd, x, n, leaf, 3); break;                               \
        case 4: NAME##_d(nd, x, n, leaf, 4); break;                               \
        case 5: NAME##_d(nd, x, n, leaf, 5); break;                               \
        case 6: NAME##_d(nd, x, n, leaf, 6); break;                               \
        case 7: NAME##_d(nd, x, n, leaf, 7); break;                               \
        case 8: NAME##_d(nd, x, n, leaf, 8); break;                               \
        default: NAME##_d(nd, x, n, leaf, depth); break;                          \
        }                                                                         \
    }

DEFINE_CWALK(cwalk_spark, sl_mdl_cnode, double, CSTEP_SPARK)
DEFINE_CWALK(cwalk_xgb, sl_mdl_cnodef, float, CSTEP_XGB)

/* ---- general walks (deep trees, Spark categorical set splits) -------------
 * One step. Spark: right iff !(v <= thr), so NaN goes right. XGBoost: left
 * iff v < thr, NaN to child[2]: !(v < thr) is 1 for NaN, plus 1. Written
 * as index arithmetic so the compiler emits no branch. */
static inline int32_t step_spark(const sl_mdl_wnode *w, const double *xr, int32_t k)
{
    double v = xr[w[k].off];
    return w[k].child[!((w[k].a <= v) & (v <= w[k].b))];
}
#define STEP_SPARK(w, xr, k) step_spark(w, xr, k)
static inline int32_t step_xgb(const sl_mdl_wnode *w, const float *xr, int32_t k)
{
    float v = xr[w[k].off];
    return w[k].child[!(v < w[k].a) + (v != v)];
}

void sl_mdl_tree_walk_spark(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    if (t->complete) {
        if (t->depth == 0) memset(leaf, 0, sizeof *leaf * (size_t)n);
        else {
            int done = sl_mdl_simd_enabled() ? sl_mdl_cwalk_spark_avx2(t, x, n, leaf) : 0;
            if (done < n) cwalk_spark(t->cnodes, x + done, n - done, leaf + done, t->depth);
        }
        return;
    }
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

void sl_mdl_tree_walk_xgb(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf)
{
    if (t->complete) {
        if (t->depth == 0) memset(leaf, 0, sizeof *leaf * (size_t)n);
        else {
            int done = sl_mdl_simd_enabled() ? sl_mdl_cwalk_xgb_avx2(t, x, n, leaf) : 0;
            if (done < n) cwalk_xgb(t->cnodesf, x + done, n - done, leaf + done, t->depth);
        }
        return;
    }
    const sl_mdl_wnode *w = t->wnodes;
    const int depth = t->depth;
    int i = 0;
    for (; i + LANES <= n; i += LANES) {
        const float *x0 = x + i, *x1 = x0 + 1, *x2 = x0 + 2, *x3 = x0 + 3;
        const float *x4 = x0 + 4, *x5 = x0 + 5, *x6 = x0 + 6, *x7 = x0 + 7;
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
        const float *xr = x + i;
        int32_t k = 0;
        for (int d = 0; d < depth; d++) k = step_xgb(w, xr, k);
        leaf[i] = k;
    }
}

/* XGBoost's own float transforms, so results match its predictions bit for
 * bit where the arithmetic allows. */
static float xgb_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

/* margin: one column of n per output group (sl_mdl_ens_predict). */
static void xgb_finish(const sl_model *m, const float *margin, int n, double *out)
{
    const sl_mdl_ens *e = &m->ens;
    int g = e->n_groups;
    for (int i = 0; i < n; i++) {
        float mg[g];
        for (int c = 0; c < g; c++) mg[c] = margin[(size_t)c * n + i];
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

/* Leaf values and node indices of a walk's result (see sl_mdl_tree_walk_*). */
static inline double leaf_value(const sl_mdl_tree *t, int32_t leaf)
{
    return t->complete ? t->cval[leaf] : t->wnodes[leaf].a;
}
static inline int32_t leaf_node(const sl_mdl_tree *t, int32_t leaf)
{
    return t->complete ? t->cleaf[leaf] : leaf;
}

void sl_mdl_ens_predict(const sl_model *m, const void *xv, int n, double *out)
{
    const sl_mdl_ens *e = &m->ens;
    int32_t leaf[n];
    int n_out = sl_model_num_outputs(m);
    if (m->kind == SL_MDL_XGB) {
        const float *x = xv;
        int g = e->n_groups;
        /* One margin column per output group: group c's row i at
         * margin[c * n + i], so every tree adds to a contiguous run. */
        float margin[(size_t)n * g];
        for (int i = 0; i < n * g; i++) margin[i] = e->base_margin;
        bool z = sl_mdl_simd_level() >= SL_MDL_SIMD_AVX512;
        for (int t = 0; t < e->n_trees; t++) {
            const sl_mdl_tree *tr = &e->trees[t];
            float *mg = margin + (size_t)(e->group ? e->group[t] : 0) * n;
            if (tr->complete) {
                /* AVX-512: the leaf values straight into the margin for
                 * whole sixteens of rows; the rest by leaf positions. */
                int i0 = z && tr->zlev ? sl_mdl_csum_xgb_avx512(tr, x, n, mg) : 0;
                if (i0 == n) continue;
                sl_mdl_tree_walk_xgb(tr, x + i0, n - i0, leaf + i0);
                const float *cv = tr->cvalf;
                for (int i = i0; i < n; i++) mg[i] += cv[leaf[i]];
            } else {
                sl_mdl_tree_walk_xgb(tr, x, n, leaf);
                for (int i = 0; i < n; i++) mg[i] += (float)tr->wnodes[leaf[i]].a;
            }
        }
        xgb_finish(m, margin, n, out);
        return;
    }
    const double *x = xv;
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
            if (tr->complete)
                for (int i = 0; i < n; i++) acc[i] += w * tr->cval[leaf[i]];
            else
                for (int i = 0; i < n; i++) acc[i] += w * tr->wnodes[leaf[i]].a;
            break;
        }
        case SL_MDL_RF_REG:
        case SL_MDL_DT_REG:
            for (int i = 0; i < n; i++) acc[i] += leaf_value(tr, leaf[i]);
            break;
        case SL_MDL_RF_CLS:
        case SL_MDL_DT_CLS:
            for (int i = 0; i < n; i++) {
                const double *s = tr->leaf_stats + (size_t)leaf_node(tr, leaf[i]) * nc;
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
