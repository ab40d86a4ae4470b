/* SIMD tree walks over the complete form (model_int.h, sl_mdl_cnode): a
 * vector of rows goes down one tree together, a level per step.
 *   AVX2 (XGBoost floats eight rows a vector, Spark doubles four): the
 *        first levels node by node with whole-column loads and blends,
 *        the rest in scalar steps; leaf positions out (below).
 *   AVX-512 (XGBoost, sixteen rows a vector, eight vectors at once): the
 *        first six levels' splits in registers, values by blends or
 *        gathers, leaf values added straight into the margin (below).
 * Every step computes the scalar walk's rule exactly (sl_mdl_cstep_*: an
 * ordered <= that is false for NaN; Spark's max(lo - v, v - hi) <= 0), and
 * the margin gets the same float additions in the same tree order, so
 * scores are the scalar walk's bits, which stays as the fallback on CPUs
 * without these units and for the rows after the last whole vector.
 *
 * The functions are compiled for their units by target attributes and run
 * only after a runtime check (sl_mdl_simd_level), so the binary still runs
 * on any x86-64. SLUICE_MODEL_SIMD=0 in the environment gives the scalar
 * walks, SLUICE_MODEL_SIMD=avx2 no AVX-512. */
#include "model/model_int.h"
#include "core/mem.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* The unroll pragmas below are requests: for a depth known only at run
 * time (the switch's default) or at -O1, clang may not unroll, which is
 * fine, and says so. */
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wpass-failed"
#endif

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SL_MDL_HAVE_AVX2 1
#include <immintrin.h>
#endif

/* -1: not decided yet; else an SL_MDL_SIMD_* level. */
static _Atomic int simd_mode = -1;

/* The best level this CPU has (__builtin_cpu_supports checks that the OS
 * saves the registers too). */
static int cpu_level(void)
{
#ifdef SL_MDL_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return SL_MDL_SIMD_AVX512;
    if (__builtin_cpu_supports("avx2")) return SL_MDL_SIMD_AVX2;
#endif
    return SL_MDL_SIMD_OFF;
}

static int min_level(int a, int b) { return a < b ? a : b; }

/* SLUICE_MODEL_SIMD: "0" the scalar walks, "avx2" no AVX-512, anything
 * else (or unset) the best the CPU has. */
static int simd_detect(void)
{
    const char *env = getenv("SLUICE_MODEL_SIMD");
    int cap = SL_MDL_SIMD_AVX512;
    if (env && strcmp(env, "0") == 0) cap = SL_MDL_SIMD_OFF;
    else if (env && strcmp(env, "avx2") == 0) cap = SL_MDL_SIMD_AVX2;
    return min_level(cap, cpu_level());
}

int sl_mdl_simd_level(void)
{
    int m = atomic_load_explicit(&simd_mode, memory_order_relaxed);
    if (m < 0) {
        m = simd_detect();
        atomic_store_explicit(&simd_mode, m, memory_order_relaxed);
    }
    return m;
}

bool sl_mdl_simd_enabled(void)
{
    return sl_mdl_simd_level() >= SL_MDL_SIMD_AVX2;
}

int sl_mdl_simd_set(int level)
{
    int m = level < 0 ? simd_detect() : min_level(level, cpu_level());
    atomic_store_explicit(&simd_mode, m, memory_order_relaxed);
    return m;
}

/* The AVX-512 layout of a complete XGBoost tree (model_int.h,
 * sl_mdl_zlev): plain C, built once at load. */
int sl_mdl_zlev_build(sl_mdl_tree *t)
{
    const int depth = t->depth, n_leaves = 1 << depth;
    t->cvalf = sl_malloc(sizeof *t->cvalf * (size_t)n_leaves);
    t->zlev = depth >= 1 ? sl_calloc(1, sizeof *t->zlev) : NULL;
    if (!t->cvalf || (depth >= 1 && !t->zlev)) return -1;
    for (int j = 0; j < n_leaves; j++) t->cvalf[j] = (float)t->cval[j];
    if (!t->zlev) return 0;
    sl_mdl_zlev *z = t->zlev;
    for (int kp = 1; kp < 64 && kp < n_leaves; kp++) {
        const sl_mdl_cnodef *q = &t->cnodesf[kp - 1];
        if (kp < 16) { z->t03[kp] = q->t; z->o03[kp] = q->off; }
        else if (kp < 32) { z->t4[kp & 15] = q->t; z->o4[kp & 15] = q->off; }
        else { z->t5[kp & 31] = q->t; z->o5[kp & 31] = q->off; }
    }
    if (depth <= 6)
        for (int j = 0; j < n_leaves; j++) z->leaf[(n_leaves + j) & 63] = t->cvalf[j];
    return 0;
}

#ifdef SL_MDL_HAVE_AVX2

#define AVX2 __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))

/* ---- AVX2: one walk, two producers ---------------------------------------
 * The first VL levels of the complete tree are evaluated node by node for
 * a vector of rows: for each of the 2^d nodes of level d, one contiguous
 * load of its column and one "in" test; each lane then picks its own node's
 * result by a tree of blends on the bits of kp (= level-order index + 1,
 * so a level's nodes are kp = 2^d .. 2^(d+1) - 1 and the low d bits are
 * the node within the level), and kp' = 2 kp + 1 + (in ? -1 : 0). The rest
 * are the scalar walk's steps (model_int.h, sl_mdl_cstep_*) from where the
 * vector left each row. What differs between the producers is a policy of
 * small functions, suffix _x (XGBoost: floats, eight rows a vector, 32-bit
 * kp) and _s (Spark: doubles, four rows, 64-bit kp, so a blend's selector
 * is the lane's own sign bit):
 *   in_S(q, xb)      the "in" mask of node q for the vector's rows
 *   sel_S(kp, b)     bit b of kp in each lane's sign bit
 *   blend_S(a, b, m) a, or b where m
 *   next_S(kp, in)   2 kp + 1 + (in ? -1 : 0)
 *   store_S(kp, k)   kp - 1 (the level-order index) as int32_t k[LANES_S]
 *
 * VL: vector levels; the rest are scalar steps. Level d costs 2^d tests in
 * the vector against one step per row in scalar, so it pays only for the
 * shallow levels: 5 measured best for XGBoost depth 6 (against 3, 4 and
 * 6), 4 for the Spark model's doubles (against 2 and 3). */
#ifndef VLEVELS
#define VLEVELS 5
#endif
#ifndef VLEVELS_SPARK
#define VLEVELS_SPARK 4
#endif

/* XGBoost: in = v <= t, ordered (false for NaN); the node reads the
 * negated column for s = -1 (sl_mdl_cnodef), so no multiply. */
#define LANES_x 8
typedef __m256 vec_x;
typedef __m256i idx_x;
INLINE AVX2 vec_x in_x(const sl_mdl_cnodef *q, const float *xb)
{
    return _mm256_cmp_ps(_mm256_loadu_ps(xb + q->off), _mm256_set1_ps(q->t), _CMP_LE_OQ);
}
INLINE AVX2 vec_x sel_x(idx_x kp, int b) { return _mm256_castsi256_ps(_mm256_slli_epi32(kp, 31 - b)); }
INLINE AVX2 vec_x blend_x(vec_x a, vec_x b, vec_x m) { return _mm256_blendv_ps(a, b, m); }
INLINE AVX2 idx_x one_x(void) { return _mm256_set1_epi32(1); }
INLINE AVX2 idx_x next_x(idx_x kp, vec_x in)
{
    return _mm256_add_epi32(_mm256_add_epi32(kp, kp), _mm256_add_epi32(_mm256_castps_si256(in), one_x()));
}
INLINE AVX2 void store_x(idx_x kp, int32_t *k)
{
    _mm256_storeu_si256((__m256i *)k, _mm256_sub_epi32(kp, one_x()));
}

/* Spark: in = max(lo - v, v - hi) <= 0, where vmaxpd returns its second
 * operand when either is NaN, exactly as the scalar (a > b ? a : b). */
#define LANES_s 4
typedef __m256d vec_s;
typedef __m256i idx_s;
INLINE AVX2 vec_s in_s(const sl_mdl_cnode *q, const double *xb)
{
    __m256d v = _mm256_loadu_pd(xb + q->off);
    __m256d a = _mm256_sub_pd(_mm256_set1_pd(q->lo), v), b = _mm256_sub_pd(v, _mm256_set1_pd(q->hi));
    return _mm256_cmp_pd(_mm256_max_pd(a, b), _mm256_setzero_pd(), _CMP_LE_OQ);
}
INLINE AVX2 vec_s sel_s(idx_s kp, int b) { return _mm256_castsi256_pd(_mm256_slli_epi64(kp, 63 - b)); }
INLINE AVX2 vec_s blend_s(vec_s a, vec_s b, vec_s m) { return _mm256_blendv_pd(a, b, m); }
INLINE AVX2 idx_s one_s(void) { return _mm256_set1_epi64x(1); }
INLINE AVX2 idx_s next_s(idx_s kp, vec_s in)
{
    return _mm256_add_epi64(_mm256_add_epi64(kp, kp), _mm256_add_epi64(_mm256_castpd_si256(in), one_s()));
}
INLINE AVX2 void store_s(idx_s kp, int32_t *k)
{
    int64_t k64[4];
    _mm256_storeu_si256((__m256i *)k64, _mm256_sub_epi64(kp, one_s()));
    for (int r = 0; r < 4; r++) k[r] = (int32_t)k64[r];
}

/* walk_S(nd, x, i, leaf, depth): rows [i, i + LANES_S) of block x down
 * complete tree nd (depth a constant after inlining), leaf positions into
 * leaf; cwalk_S_d: every whole vector of rows of [0, n). */
#define DEFINE_AVX2_WALK(S, NODE, T, VL, STEP)                                              \
    INLINE AVX2 void walk_##S(const NODE *nd, const T *x, int i, int32_t *leaf,          \
                              const int depth)                                           \
    {                                                                                    \
        const int vl = depth < VL ? depth : VL;                                          \
        const T *xb = x + i;                                                             \
        idx_##S kp = one_##S();                                                          \
        _Pragma("GCC unroll 8")                                                          \
        for (int d = 0; d < vl; d++) {                                                   \
            const int first = (1 << d) - 1, nn = 1 << d;                                 \
            vec_##S c[1 << (VL - 1)];                                                    \
            _Pragma("GCC unroll 16")                                                     \
            for (int j = 0; j < nn; j++) c[j] = in_##S(&nd[first + j], xb);              \
            _Pragma("GCC unroll 8")                                                      \
            for (int b = 0, w = 1; w < nn; b++, w *= 2) {                                \
                vec_##S m = sel_##S(kp, b);                                              \
                _Pragma("GCC unroll 8")                                                  \
                for (int j = 0; j < nn; j += 2 * w) c[j] = blend_##S(c[j], c[j + w], m); \
            }                                                                            \
            kp = next_##S(kp, c[0]);                                                     \
        }                                                                                \
        int32_t k[LANES_##S];                                                            \
        store_##S(kp, k);                                                                \
        _Pragma("GCC unroll 8")                                                          \
        for (int d = vl; d < depth; d++)                                                 \
            _Pragma("GCC unroll 8")                                                      \
            for (int r = 0; r < LANES_##S; r++) k[r] = STEP(nd, xb + r, k[r]);         \
        const int32_t first_leaf = (1 << depth) - 1;                                     \
        _Pragma("GCC unroll 8")                                                          \
        for (int r = 0; r < LANES_##S; r++) leaf[i + r] = k[r] - first_leaf;             \
    }                                                                                    \
    INLINE AVX2 int cwalk_##S##_d(const NODE *nd, const T *x, int n, int32_t *leaf,      \
                                  const int depth)                                       \
    {                                                                                    \
        int i = 0;                                                                       \
        for (; i + 8 <= n; i += 8)                                                       \
            for (int r = 0; r < 8; r += LANES_##S) walk_##S(nd, x, i + r, leaf, depth);  \
        return i;                                                                        \
    }

DEFINE_AVX2_WALK(x, sl_mdl_cnodef, float, VLEVELS, sl_mdl_cstep_xgb)
DEFINE_AVX2_WALK(s, sl_mdl_cnode, double, VLEVELS_SPARK, sl_mdl_cstep_spark)

/* The depths 1-8 as constants, so the walks unroll completely. */
#define DEPTH_SWITCH(F, t, nd, x, n, leaf)                \
    switch ((t)->depth) {                                 \
    case 1: return F(nd, x, n, leaf, 1);                  \
    case 2: return F(nd, x, n, leaf, 2);                  \
    case 3: return F(nd, x, n, leaf, 3);                  \
    case 4: return F(nd, x, n, leaf, 4);                  \
    case 5: return F(nd, x, n, leaf, 5);                  \
    case 6: return F(nd, x, n, leaf, 6);                  \
    case 7: return F(nd, x, n, leaf, 7);                  \
    case 8: return F(nd, x, n, leaf, 8);                  \
    default: return F(nd, x, n, leaf, (t)->depth);        \
    }

AVX2 int sl_mdl_cwalk_xgb_avx2(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf)
{
    DEPTH_SWITCH(cwalk_x_d, t, t->cnodesf, x, n, leaf)
}

AVX2 int sl_mdl_cwalk_spark_avx2(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    DEPTH_SWITCH(cwalk_s_d, t, t->cnodes, x, n, leaf)
}

/* ---- AVX-512: XGBoost, sixteen rows a vector, leaves into the margin ----
 * A lane's node kp (level-order index + 1) picks its split from registers
 * holding the tree's first six levels (sl_mdl_zlev) by a permute, and its
 * value from the block: for levels 1-3 each of the level's 2^d columns is
 * loaded whole and the lane's own picked by a tree of blends on the bits of
 * kp (as the AVX2 walk does); below that by a gather (row + the node's
 * column offset). The step is the scalar walk's exactly, out = !(v <= t)
 * (NLE_UQ: true for NaN), kp' = 2 kp + out. Levels 6 and deeper (trees of
 * depth 7 or more) gather their splits from cnodesf. The leaf's value is
 * picked the same way (four registers of 64 leaves, or a gather from
 * cvalf) and added to the row's margin, trees in the caller's order: the
 * same float additions as the scalar path, so the same bits.
 *
 * A step waits on the one before (gather, compare, next index), so ZG
 * groups of sixteen rows go down together and their chains overlap.
 * Measured on bench/model_bench.c's 100x6 model (a scratch copy of its
 * XGBoost half: 1M rows through sl_model_score, best of 7, CPU time, one
 * run each, load 3.5-4.8; rows/s): ZG 1 / 2 / 4 / 8 / 16 with gathers from
 * level 1 2.42M / 3.45M / 4.69M / 4.82M / 4.90M; then blends instead of
 * gathers for levels 1 / 1-2 / 1-3 (ZBLEND 1 / 2 / 3, ZG 16) 4.85M /
 * 5.73M / 5.72M; ZBLEND 3 with ZG 4 / 8 / 16 6.29M / 7.07M / 5.97M; level
 * 4 by blends too (ZBLEND 4, ZG 8) 6.67M / 6.85M against 6.73M / 6.71M
 * for ZBLEND 3 in the same runs, so not kept. */
#define AVX512 __attribute__((target("avx512f")))
#ifndef ZBLEND
#define ZBLEND 3
#endif
#ifndef ZG
#define ZG 8
#endif
#if ZBLEND > 3 || ZBLEND < 0
#error "ZBLEND: levels 1 to 3 at most (their nodes are t03 / o03)"
#endif

INLINE AVX512 __m512i zstep(__m512i kp, __m512 v, __m512 t)
{
    __mmask16 out = _mm512_cmp_ps_mask(v, t, _CMP_NLE_UQ);
    __m512i k2 = _mm512_add_epi32(kp, kp);
    return _mm512_mask_add_epi32(k2, out, k2, _mm512_set1_epi32(1));
}

/* Level d's values (d = 1, 2, 3) for one group: the columns of its nodes
 * kp = 2^d .. 2^(d+1) - 1 loaded whole from xg, each lane's picked by a
 * tree of blends on the low d bits of its kp. */
INLINE AVX512 __m512 zcol(const sl_mdl_zlev *z, const float *xg, int kp)
{
    return _mm512_loadu_ps(xg + z->o03[kp]);
}
INLINE AVX512 __m512 zsel(__m512i kp, int bit, __m512 a, __m512 b)
{
    return _mm512_mask_blend_ps(_mm512_test_epi32_mask(kp, _mm512_set1_epi32(1 << bit)), a, b);
}
INLINE AVX512 __m512 zpick4(const sl_mdl_zlev *z, const float *xg, __m512i kp, int k0)
{
    return zsel(kp, 1, zsel(kp, 0, zcol(z, xg, k0), zcol(z, xg, k0 + 1)),
                zsel(kp, 0, zcol(z, xg, k0 + 2), zcol(z, xg, k0 + 3)));
}
INLINE AVX512 __m512 zblend(const sl_mdl_zlev *z, const float *xg, __m512i kp, const int d)
{
    if (d == 1) return zsel(kp, 0, zcol(z, xg, 2), zcol(z, xg, 3));
    if (d == 2) return zpick4(z, xg, kp, 4);
    return zsel(kp, 2, zpick4(z, xg, kp, 8), zpick4(z, xg, kp, 12));
}

/* G groups of sixteen rows from row i of block x through tree tr (depth
 * `depth`, a constant after inlining), their leaf values into margin. */
INLINE AVX512 void zgroups(const sl_mdl_tree *tr, const float *x, float *margin, int i,
                           const int G, const int depth)
{
    const sl_mdl_zlev *z = tr->zlev;
    const int vl = depth < 6 ? depth : 6;
    const __m512 t03 = _mm512_loadu_ps(z->t03), t4 = _mm512_loadu_ps(z->t4);
    const __m512 t5a = _mm512_loadu_ps(z->t5), t5b = _mm512_loadu_ps(z->t5 + 16);
    const __m512i o4 = _mm512_loadu_si512(z->o4);
    const __m512i o5a = _mm512_loadu_si512(z->o5), o5b = _mm512_loadu_si512(z->o5 + 16);
    const __m512 l0 = _mm512_loadu_ps(z->leaf), l1 = _mm512_loadu_ps(z->leaf + 16);
    const __m512 l2 = _mm512_loadu_ps(z->leaf + 32), l3 = _mm512_loadu_ps(z->leaf + 48);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i one = _mm512_set1_epi32(1);
    __m512i kp[ZG];
#pragma GCC unroll 16
    for (int g = 0; g < G; g++)
        kp[g] = zstep(one, _mm512_loadu_ps(x + i + 16 * g + z->o03[1]), _mm512_set1_ps(z->t03[1]));
#pragma GCC unroll 8
    for (int d = 1; d < vl; d++)
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            const float *xg = x + i + 16 * g;
            __m512 v, t;
            if (d <= ZBLEND) {
                v = zblend(z, xg, kp[g], d);
                t = _mm512_permutexvar_ps(kp[g], t03);
            } else {
                __m512i o;
                if (d < 4) {
                    t = _mm512_permutexvar_ps(kp[g], t03);
                    o = _mm512_permutexvar_epi32(kp[g], _mm512_loadu_si512(z->o03));
                } else if (d == 4) {
                    t = _mm512_permutexvar_ps(kp[g], t4);
                    o = _mm512_permutexvar_epi32(kp[g], o4);
                } else {
                    t = _mm512_permutex2var_ps(t5a, kp[g], t5b);
                    o = _mm512_permutex2var_epi32(o5a, kp[g], o5b);
                }
                v = _mm512_i32gather_ps(_mm512_add_epi32(o, lanes), xg, 4);
            }
            kp[g] = zstep(kp[g], v, t);
        }
    const float *nt = &tr->cnodesf[0].t;
    const int32_t *no = &tr->cnodesf[0].off;
#pragma GCC unroll 8
    for (int d = vl; d < depth; d++)
#pragma GCC unroll 16
        for (int g = 0; g < G; g++) {
            __m512i k = _mm512_sub_epi32(kp[g], one);
            __m512 t = _mm512_i32gather_ps(k, nt, 8);
            __m512i o = _mm512_i32gather_epi32(k, no, 8);
            __m512 v = _mm512_i32gather_ps(_mm512_add_epi32(o, lanes), x + i + 16 * g, 4);
            kp[g] = zstep(kp[g], v, t);
        }
#pragma GCC unroll 16
    for (int g = 0; g < G; g++) {
        __m512 val;
        if (depth <= 6) {
            __m512 lo = _mm512_permutex2var_ps(l0, kp[g], l1);
            __m512 hi = _mm512_permutex2var_ps(l2, kp[g], l3);
            val = _mm512_mask_blend_ps(_mm512_test_epi32_mask(kp[g], _mm512_set1_epi32(32)), lo, hi);
        } else {
            val = _mm512_i32gather_ps(_mm512_sub_epi32(kp[g], _mm512_set1_epi32(1 << depth)),
                                      tr->cvalf, 4);
        }
        float *mg = margin + i + 16 * g;
        _mm512_storeu_ps(mg, _mm512_add_ps(_mm512_loadu_ps(mg), val));
    }
}

INLINE AVX512 int zsum_d(const sl_mdl_tree *tr, const float *x, int n, float *margin,
                         const int depth)
{
    int i = 0;
    for (; i + 16 * ZG <= n; i += 16 * ZG) zgroups(tr, x, margin, i, ZG, depth);
    for (; i + 16 <= n; i += 16) zgroups(tr, x, margin, i, 1, depth);
    return i;
}

AVX512 int sl_mdl_csum_xgb_avx512(const sl_mdl_tree *t, const float *x, int n, float *margin)
{
    DEPTH_SWITCH(zsum_d, t, t, x, n, margin)
}

#else

int sl_mdl_cwalk_spark_avx2(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    (void)t; (void)x; (void)n; (void)leaf;
    return 0;
}

int sl_mdl_cwalk_xgb_avx2(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf)
{
    (void)t; (void)x; (void)n; (void)leaf;
    return 0;
}

int sl_mdl_csum_xgb_avx512(const sl_mdl_tree *t, const float *x, int n, float *margin)
{
    (void)t; (void)x; (void)n; (void)margin;
    return 0;
}

#endif
