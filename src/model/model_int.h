/* The inside of src/model/: how a loaded model is represented, shared by the
 * loaders (xgb_json.c, spark_pipeline.c, spark_stages.c, bundle.c) and the
 * scorer (tree_score.c, logreg.c, model.c).  Not for use outside src/model/.
 *
 * Whatever its origin, a model becomes three layers:
 *   sources  one per input column: its values as doubles (NaN for NULL) or,
 *            for string-indexed inputs, the label index as a double;
 *   slots    the features the predictor actually reads (a compacted subset
 *            of the full feature vector: a 937-wide, mostly one-hot Spark
 *            vector becomes the few dozen slots the trees test), each a
 *            source's value or a one-hot indicator (source == k);
 *   predictor a tree ensemble or a linear model over the slots.
 * Scoring fills a column-major block of sources (not of slots: a one-hot
 * slot is an interval test on its source's code) for a run of rows, column
 * at a time, then walks each tree for the whole block. */
#ifndef SL_MODEL_MODEL_INT_H
#define SL_MODEL_MODEL_INT_H

#include "model/model.h"
#include "core/jdoc.h"

#include <stdbool.h>
#include <stdint.h>

/* ---- string index (StringIndexer labels, bundle encoders) ------------- */

typedef struct sl_mdl_strindex {
    int n_labels;
    char **labels;        /* owned */
    uint32_t *lens;
    /* open addressing: (high 32 bits of the hash << 32) | (label index + 1);
     * 0 = empty. The hash tag rejects most non-matches without touching
     * the label. */
    uint64_t *slots;
    uint32_t mask;
} sl_mdl_strindex;

int sl_mdl_strindex_build(sl_mdl_strindex *ix, const char *const *labels, int n);
void sl_mdl_strindex_fini(sl_mdl_strindex *ix);
/* Index of s, or -1. */
int sl_mdl_strindex_find(const sl_mdl_strindex *ix, const char *s, size_t n);

/* ---- sources and slots ------------------------------------------------ */

enum { SL_MDL_INVALID_ERROR, SL_MDL_INVALID_SKIP, SL_MDL_INVALID_KEEP };

typedef struct sl_mdl_source {
    int input;                 /* index into the model's inputs */
    bool indexed;              /* string index (else numeric value) */
    sl_mdl_strindex ix;        /* when indexed */
    int invalid;               /* SL_MDL_INVALID_* for unseen labels */
    bool null_is_nan;          /* bundle encoders: NULL -> NaN, not invalid */
    int unseen_index;          /* index given to unseen under keep */
} sl_mdl_source;

/* A feature of the predictor's vector. */
typedef struct sl_mdl_feat {
    int source;                /* -1: constant 0 (an unused one-hot slot) */
    int onehot;                /* -1: the source's value; k: source == k */
} sl_mdl_feat;

/* ---- tree ensembles ----------------------------------------------------- */

/* Leaves point left and right (and default) at themselves, so a walk can run
 * a fixed number of branch-free steps (the tree's depth). */
typedef struct sl_mdl_node {
    double thr;        /* split threshold; for leaves unused */
    double value;      /* leaf value (prediction / XGBoost leaf weight) */
    int32_t slot;      /* feature slot tested */
    int32_t left, right;
    int32_t dflt;      /* XGBoost: where NaN goes */
} sl_mdl_node;

/* The compact form the walks read, built by sl_mdl_tree_compile once the
 * model is final.  Nodes read source columns directly (a block holds one
 * column per source, not per feature slot), so a one-hot feature costs
 * nothing to materialise: "indicator(source == k) <= t" becomes an
 * interval test on the source.
 *   Spark:   in = (a <= v && v <= b); next = child[!in].  A continuous
 *            split is [-inf, thr] -> left (NaN is not in, so goes right);
 *            a one-hot split is [k, k] -> the side the indicator 1 goes.
 *   XGBoost: next = child[!(v < a) + isnan(v)] (left, right, default).
 * For leaves `a` is the leaf value and every child the leaf itself.
 * 32 bytes: two nodes per cache line. */
typedef struct sl_mdl_wnode {
    double a, b;
    int32_t off;          /* source column * SL_MDL_BLOCK */
    int32_t child[3];
} sl_mdl_wnode;

/* The complete form of a shallow tree (depth <= SL_MDL_CDEPTH_MAX, no
 * categorical set splits), which the walks prefer: the tree padded to a
 * complete one of its depth and stored in level order, so node j's children
 * are 2j+1 ("in") and 2j+2 ("out") and a node needs neither child indices
 * nor a leaf test. Each split is arranged so its "in" side is one of its
 * children and NaN falls on the "out" one:
 *   Spark (double): in = lo <= v <= hi, computed as
 *            max(lo - v, v - hi) <= 0 with C's (a > b ? a : b), which is
 *            false for NaN and true for v = lo = -inf; exact except for
 *            v = hi = +inf, so a tree with hi = +inf on a real column keeps
 *            the general walk. Continuous [-inf, thr], in = left; one-hot
 *            [k, k], in = the side the indicator 1 goes; a split both sides
 *            of which agree: always in, on the zero column.
 *   XGBoost (float): in = s * v <= t (s = +-1, exact, false for NaN):
 *            default right: (float) v < thr is v <= the float below thr,
 *            s = 1, in = left; default left: v >= thr is -v <= -thr,
 *            s = -1, in = right, out (NaN included) = left. The block of
 *            an XGBoost model holds each source negated as well (after
 *            the zero column, model_int.h's block layout), and a node with
 *            s = -1 reads that column, so a step is v' <= t: no multiply.
 * A leaf above the last level is padded with always-in nodes on the zero
 * column whose subtrees all end in it. 24 and 8 bytes. */
#define SL_MDL_CDEPTH_MAX 10
typedef struct sl_mdl_cnode {
    double lo, hi;
    int32_t off;          /* source column * SL_MDL_BLOCK */
    int32_t unused;
} sl_mdl_cnode;
typedef struct sl_mdl_cnodef {
    float t;
    int32_t off;          /* s = -1: the source's negated column */
} sl_mdl_cnodef;

/* One step of the complete walk from level-order node k for the row whose
 * block values start at xr (its column c at xr[c * SL_MDL_BLOCK]): the
 * child 2k + 1 ("in") or 2k + 2. The scalar rule every walk (scalar,
 * AVX2, AVX-512) computes exactly; tree_score.c, tree_simd.c. */
static inline int32_t sl_mdl_cstep_spark(const sl_mdl_cnode *nd, const double *xr, int32_t k)
{
    const sl_mdl_cnode *q = &nd[k];
    double v = xr[q->off], a = q->lo - v, b = v - q->hi;
    double m = a > b ? a : b;
    return 2 * k + 1 + !(m <= 0.0);
}
static inline int32_t sl_mdl_cstep_xgb(const sl_mdl_cnodef *nd, const float *xr, int32_t k)
{
    const sl_mdl_cnodef *q = &nd[k];
    return 2 * k + 1 + !(xr[q->off] <= q->t);
}

/* The AVX-512 walk's copy of a complete XGBoost tree's first six levels
 * and (depth <= 6) its leaves, one array per vector register so a tree's
 * splits are loaded once per block and each row's node is picked by a
 * permute (tree_simd.c). With kp = level-order index + 1 (level d holds kp
 * = 2^d .. 2^(d+1) - 1): levels 0-3 at t03[kp]; level 4 at t4[kp & 15];
 * level 5 at t5[kp & 31]; leaf j of a tree of depth D <= 6 at
 * leaf[(2^D + j) & 63]. o* are the nodes' block offsets (sl_mdl_cnodef). */
typedef struct sl_mdl_zlev {
    float t03[16], t4[16], t5[32];
    int32_t o03[16], o4[16], o5[32];
    float leaf[64];
} sl_mdl_zlev;

typedef struct sl_mdl_tree {
    int32_t n_nodes;
    int32_t depth;          /* longest root-to-leaf path in edges */
    sl_mdl_node *nodes;
    sl_mdl_wnode *wnodes;
    /* Complete form (see sl_mdl_cnode), when `complete`: 2^depth - 1
     * nodes (cnodes for Spark, cnodesf for XGBoost), and for each of the
     * 2^depth leaf positions its original node index and its value. */
    bool complete;
    sl_mdl_cnode *cnodes;
    sl_mdl_cnodef *cnodesf;
    int32_t *cleaf;
    double *cval;
    /* XGBoost complete trees: the leaf values as the margin adds them
     * (float), and the AVX-512 walk's layout (sl_mdl_zlev). */
    float *cvalf;
    sl_mdl_zlev *zlev;
    /* Spark categorical splits: node i goes left iff its value is one of
     * cats[cat_off[i] .. cat_off[i] + n_cat[i]); n_cat[i] < 0: continuous.
     * NULL when the tree has no categorical split. */
    int32_t *cat_off, *n_cat;
    double *cats;
    /* Spark RF/DT classifiers: leaf class distributions, n_nodes x n_classes
     * (normalised for RF, raw counts for DT). NULL otherwise. */
    double *leaf_stats;
} sl_mdl_tree;

typedef enum sl_mdl_kind {
    SL_MDL_GBT_CLS, SL_MDL_GBT_REG, SL_MDL_RF_CLS, SL_MDL_RF_REG,
    SL_MDL_DT_CLS, SL_MDL_DT_REG, SL_MDL_LOGREG, SL_MDL_XGB
} sl_mdl_kind;

typedef enum sl_mdl_xgb_obj {
    SL_XGB_BINARY_LOGISTIC, SL_XGB_REG_LOGISTIC, SL_XGB_BINARY_LOGITRAW,
    SL_XGB_REG_SQUAREDERROR, SL_XGB_MULTI_SOFTPROB, SL_XGB_MULTI_SOFTMAX
} sl_mdl_xgb_obj;

typedef struct sl_mdl_ens {
    int n_trees;
    sl_mdl_tree *trees;
    double *weights;        /* Spark GBT tree weights */
    int *group;             /* XGBoost: output group (class) of each tree */
    int n_groups;
    float base_margin;      /* XGBoost */
    sl_mdl_xgb_obj obj;
} sl_mdl_ens;

typedef struct sl_mdl_linear {
    int n_classes;          /* 2: binary */
    double *coef;           /* per slot (binary) */
    double intercept;
    double threshold;
} sl_mdl_linear;

struct sl_model {
    char *describe;
    int n_inputs;
    sl_model_input *inputs;   /* names owned (char *) */
    int n_sources;
    sl_mdl_source *sources;
    int n_slots;
    sl_mdl_feat *slots;
    bool f32;                 /* round slot values to float (XGBoost) */
    sl_mdl_kind kind;
    int n_classes;            /* 0 regressor */
    sl_mdl_ens ens;
    sl_mdl_linear lin;
};

/* Builds slots from a full feature vector: the predictor's feature indices
 * (already set in trees' node.slot / lin.coef indexed by feature) are
 * remapped to compact slots. feats has n_feats entries. Called by loaders
 * once the predictor is read. For linear models coef has n_feats entries on
 * entry and n_slots after. */
sl_status sl_mdl_compact(sl_model *m, const sl_mdl_feat *feats, int n_feats, sl_error *err);

/* Adds an input (name copied); returns its index or -1 on OOM. An existing
 * input of that name is reused. */
int sl_mdl_add_input(sl_model *m, const char *name, sl_type type);

/* Turns an already-filled error (e.g. a JSON parse error) into `code`,
 * keeping its message; returns code. */
sl_status sl_mdl_err_recode(sl_error *err, sl_status code);

/* Loaders. Each fills a zeroed model. */
sl_status sl_mdl_load_xgb_json(sl_model *m, const char *path, sl_error *err);
/* XGBoost learner from a parsed document: trees and objective into m->ens
 * with node.slot = feature index; *out_n_features the model's width. */
sl_status sl_mdl_xgb_from_doc(sl_model *m, const sl_jval *root, const char *path,
                              int *out_n_features, char ***out_names, sl_error *err);
sl_status sl_mdl_load_spark(sl_model *m, const char *dir, bool pipeline, sl_error *err);

/* ---- Spark stages (spark_stages.c), driven by spark_pipeline.c --------- */

/* A column the pipeline has produced so far: a scalar (n == 1) or a vector
 * of n features, each defined over the sources. */
typedef struct sl_mdl_sym {
    char *name;
    bool vector;
    int n;
    sl_mdl_feat *feats;
} sl_mdl_sym;

typedef struct sl_mdl_spark {
    sl_model *m;
    int n_syms;
    sl_mdl_sym *syms;
    bool have_predictor;
} sl_mdl_spark;

/* The column `name`: an earlier stage's output, or else a new numeric input
 * (NULL on OOM). */
const sl_mdl_sym *sl_mdl_spark_resolve(sl_mdl_spark *sp, const char *name, sl_error *err,
                                       sl_status *st);
/* Defines an output column; takes feats. */
sl_status sl_mdl_spark_define(sl_mdl_spark *sp, const char *name, bool vector,
                              sl_mdl_feat *feats, int n, sl_error *err);
/* Adds a source; returns its index or -1 on OOM. */
int sl_mdl_add_source(sl_model *m, int input, bool indexed);
/* Param from paramMap, else defaultParamMap, else NULL. */
const sl_jval *sl_mdl_spark_param(const sl_jval *meta, const char *key);
/* Reads every part-*.parquet file of dir/<sub> as records: rows of all
 * files in order, as an array of record objects (*out_rows, n) that live in
 * the returned docs; free with sl_mdl_spark_rows_free. */
typedef struct sl_mdl_rows {
    int n_docs;
    sl_jdoc **docs;
    size_t n;
    const sl_jval **rows;
} sl_mdl_rows;
sl_status sl_mdl_spark_read_data(const char *dir, const char *sub, sl_mdl_rows *out,
                                 sl_error *err);
void sl_mdl_spark_rows_free(sl_mdl_rows *r);

/* One stage; `dir` is the stage directory, `meta` its parsed metadata. */
sl_status sl_mdl_stage_string_indexer(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                                      sl_error *err);
sl_status sl_mdl_stage_one_hot(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                               sl_error *err);
sl_status sl_mdl_stage_assembler(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                                 sl_error *err);
/* Predictors: kind from the class name. */
sl_status sl_mdl_stage_trees(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                             sl_mdl_kind kind, sl_error *err);
sl_status sl_mdl_stage_logreg(sl_mdl_spark *sp, const char *dir, const sl_jval *meta,
                              sl_error *err);
sl_status sl_mdl_load_bundle(sl_model *m, const char *dir, sl_error *err);

/* Rows per scoring block. A block is column-major, one column per source
 * plus an all-zero column (for features that are constant 0): source s
 * of row i is x[s * SL_MDL_BLOCK + i]; node offsets are premultiplied. The
 * block holds doubles, or floats when the model is f32 (XGBoost); an f32
 * block then holds every source negated, source s at column
 * n_sources + 1 + s (sl_mdl_cnodef). */
#define SL_MDL_BLOCK 256
/* Columns of m's block. */
#define SL_MDL_BLOCK_COLS(m) ((m)->f32 ? 2 * (m)->n_sources + 1 : (m)->n_sources + 1)

/* Tree walking: for each of rows [0, n) (n <= SL_MDL_BLOCK) of block x,
 * the leaf reached: its position j among the 2^depth leaves of the complete
 * form when t->complete (cleaf[j] / cval[j]), else its node index.
 * walk_xgb takes a float block. */
void sl_mdl_tree_walk_spark(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf);
void sl_mdl_tree_walk_xgb(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf);
/* Predictor outputs for a block (double, or float when m->f32): out is
 * n x sl_model_num_outputs. */
void sl_mdl_ens_predict(const sl_model *m, const void *x, int n, double *out);
void sl_mdl_linear_predict(const sl_model *m, const double *x, int n, double *out);

/* The SIMD walks (tree_simd.c). sl_mdl_simd_level: which of them run —
 * SL_MDL_SIMD_OFF (the scalar walks), SL_MDL_SIMD_AVX2, SL_MDL_SIMD_AVX512
 * (XGBoost's complete trees summed 16 rows a vector, the AVX2 walks for the
 * rest): the best the CPU has, capped by SLUICE_MODEL_SIMD ("0" off,
 * "avx2"), decided once. sl_mdl_simd_enabled: level >= AVX2.
 * sl_mdl_simd_set, for tests: the highest level wanted (-1: back to the
 * default); returns the level now in effect (lower when the CPU lacks it).
 * sl_mdl_cwalk_{xgb,spark}_avx2 walk complete tree t (depth >= 1) for rows
 * in whole eights from 0 and return how many rows they did; the caller
 * walks the rest. sl_mdl_csum_xgb_avx512 adds the leaf value of complete
 * XGBoost tree t (with zlev) to margin[i] for rows in whole sixteens from
 * 0, returning how many it did. sl_mdl_zlev_build fills t->zlev and
 * t->cvalf from the complete form; -1 on OOM. */
enum { SL_MDL_SIMD_OFF = 0, SL_MDL_SIMD_AVX2 = 1, SL_MDL_SIMD_AVX512 = 2 };
int sl_mdl_simd_level(void);
bool sl_mdl_simd_enabled(void);
int sl_mdl_simd_set(int level);
int sl_mdl_cwalk_xgb_avx2(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf);
int sl_mdl_cwalk_spark_avx2(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf);
int sl_mdl_csum_xgb_avx512(const sl_mdl_tree *t, const float *x, int n, float *margin);
int sl_mdl_zlev_build(sl_mdl_tree *t);

void sl_mdl_tree_fini(sl_mdl_tree *t);
/* Builds t->wnodes from t->nodes and m's slots, and the complete form when
 * the tree allows it. Returns -1 on OOM. */
int sl_mdl_tree_compile(const sl_model *m, sl_mdl_tree *t);
/* Sets depth and self-loops leaves; checks child indices (SL_ERR_MODEL). */
sl_status sl_mdl_tree_finish(sl_mdl_tree *t, const char *what, sl_error *err);

#endif
