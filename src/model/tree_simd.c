/* AVX2 tree walks: eight rows of a block go down one complete tree
 * (model_int.h, sl_mdl_cnode) together in one vector register, a level per
 * step.  The node each lane is at is a vector of level-order indices; its
 * split comes from the tree's SoA arrays (thr, offs) by a gather, or, for
 * the first four levels, by an in-register permute of the level's nodes; the
 * lane's feature value by a gather from the block; the compare and
 * j -> 2j + 1 + out are vector operations.  The rule is exactly the scalar
 * walk's (tree_score.c, CSTEP_XGB): in = s * v <= t on floats, s = +-1, with
 * the sign applied as an XOR of the sign bit (the same bits as v * s, NaN
 * included) and an ordered compare (false for NaN), so scores are
 * bit-identical to the scalar walk, which stays as the fallback on CPUs
 * without AVX2 and for the rows after the last whole eight.
 *
 * The functions are compiled for AVX2 by target attributes and run only
 * after a runtime check (sl_mdl_simd_enabled), so the binary still runs on
 * any x86-64. SLUICE_MODEL_SIMD=0 in the environment turns them off. */
#include "model/model_int.h"

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

/* -1: not decided yet; 0 off; 1 on. */
static _Atomic int simd_mode = -1;

static bool cpu_has_avx2(void)
{
#ifdef SL_MDL_HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

static int simd_detect(void)
{
    const char *env = getenv("SLUICE_MODEL_SIMD");
    if (env && strcmp(env, "0") == 0) return 0;
    return cpu_has_avx2() ? 1 : 0;
}

bool sl_mdl_simd_enabled(void)
{
    int m = atomic_load_explicit(&simd_mode, memory_order_relaxed);
    if (m < 0) {
        m = simd_detect();
        atomic_store_explicit(&simd_mode, m, memory_order_relaxed);
    }
    return m == 1;
}

bool sl_mdl_simd_set(int on)
{
    int m = on == 0 ? 0 : on > 0 ? (cpu_has_avx2() ? 1 : 0) : simd_detect();
    atomic_store_explicit(&simd_mode, m, memory_order_relaxed);
    return m == 1;
}

#ifdef SL_MDL_HAVE_AVX2

#define AVX2 __attribute__((target("avx2")))
#define INLINE static inline __attribute__((always_inline))

/* Levels walked in vectors; the rest are scalar steps (5 measured best
 * for depth-6 trees against 3, 4 and 6). Level d has 2^d
 * nodes, so its vector cost grows as 2^d while a scalar step costs the
 * same at every level. */
#ifndef VLEVELS
#define VLEVELS 5
#endif

/* The "in" results of the 2^d nodes of one level for the eight rows, each
 * lane then picking its own node's: c[j] for j = the low d bits of kp
 * (kp = level-order index + 1, so a level's nodes are kp = 2^d .. 2^(d+1)
 * - 1), by a tree of blends on those bits. */
INLINE AVX2 __m256 pick(__m256 *c, int n, __m256i kp)
{
#pragma GCC unroll 8
    for (int b = 0, w = 1; w < n; b++, w *= 2) {
        __m256 sel = _mm256_castsi256_ps(_mm256_slli_epi32(kp, 31 - b));
#pragma GCC unroll 8
        for (int j = 0; j < n; j += 2 * w) c[j] = _mm256_blendv_ps(c[j], c[j + w], sel);
    }
    return c[0];
}

/* Eight rows [i, i + 8) of complete tree nd (depth `depth`, a constant
 * after inlining) from block x, leaf positions into leaf. */
INLINE AVX2 void walk8(const sl_mdl_cnodef *nd, const float *x, int i, int32_t *leaf,
                       const int depth)
{
    const int vl = depth < VLEVELS ? depth : VLEVELS;
    const float *xb = x + i;
    __m256i kp = _mm256_set1_epi32(1);
    const __m256i one = _mm256_set1_epi32(1);
#pragma GCC unroll 8
    for (int d = 0; d < vl; d++) {
        const int first = (1 << d) - 1, n = 1 << d;
        __m256 c[1 << (VLEVELS - 1)];
#pragma GCC unroll 16
        for (int j = 0; j < n; j++) {
            const sl_mdl_cnodef *q = &nd[first + j];
            c[j] = _mm256_cmp_ps(_mm256_loadu_ps(xb + q->off), _mm256_set1_ps(q->t), _CMP_LE_OQ);
        }
        __m256i in = _mm256_castps_si256(pick(c, n, kp));
        /* kp' = 2 kp + out = 2 kp + 1 + (in ? -1 : 0) */
        kp = _mm256_add_epi32(_mm256_add_epi32(kp, kp), _mm256_add_epi32(in, one));
    }
    int32_t k[8];
    _mm256_storeu_si256((__m256i *)k, _mm256_sub_epi32(kp, one));
    /* The deeper levels: scalar steps, eight independent rows. */
#pragma GCC unroll 8
    for (int d = vl; d < depth; d++)
#pragma GCC unroll 8
        for (int r = 0; r < 8; r++) {
            const sl_mdl_cnodef *q = &nd[k[r]];
            k[r] = 2 * k[r] + 1 + !(xb[r + q->off] <= q->t);
        }
    const int32_t first_leaf = (1 << depth) - 1;
#pragma GCC unroll 8
    for (int r = 0; r < 8; r++) leaf[i + r] = k[r] - first_leaf;
}

INLINE AVX2 int walk_d(const sl_mdl_cnodef *nd, const float *x, int n, int32_t *leaf,
                       const int depth)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) walk8(nd, x, i, leaf, depth);
    return i;
}

AVX2 int sl_mdl_cwalk_xgb_avx2(const sl_mdl_tree *t, const float *x, int n, int32_t *leaf)
{
    const sl_mdl_cnodef *nd = t->cnodesf;
    switch (t->depth) {
    case 1: return walk_d(nd, x, n, leaf, 1);
    case 2: return walk_d(nd, x, n, leaf, 2);
    case 3: return walk_d(nd, x, n, leaf, 3);
    case 4: return walk_d(nd, x, n, leaf, 4);
    case 5: return walk_d(nd, x, n, leaf, 5);
    case 6: return walk_d(nd, x, n, leaf, 6);
    case 7: return walk_d(nd, x, n, leaf, 7);
    case 8: return walk_d(nd, x, n, leaf, 8);
    default: return walk_d(nd, x, n, leaf, t->depth);
    }
}

/* ---- Spark (doubles, four rows a vector) --------------------------------
 * The same plan on doubles: in = max(lo - v, v - hi) <= 0, where vmaxpd
 * returns its second operand when either is NaN, exactly as the scalar
 * (a > b ? a : b) does (tree_score.c, CSTEP_SPARK). The lane index kp is
 * 64-bit so a blend's selector is the lane's own sign bit. */
#ifndef VLEVELS_SPARK
#define VLEVELS_SPARK 4
#endif

INLINE AVX2 __m256d pick_pd(__m256d *c, int n, __m256i kp)
{
#pragma GCC unroll 8
    for (int b = 0, w = 1; w < n; b++, w *= 2) {
        __m256d sel = _mm256_castsi256_pd(_mm256_slli_epi64(kp, 63 - b));
#pragma GCC unroll 8
        for (int j = 0; j < n; j += 2 * w) c[j] = _mm256_blendv_pd(c[j], c[j + w], sel);
    }
    return c[0];
}

INLINE AVX2 void walk4_spark(const sl_mdl_cnode *nd, const double *x, int i, int32_t *leaf,
                             const int depth)
{
    const int vl = depth < VLEVELS_SPARK ? depth : VLEVELS_SPARK;
    const double *xb = x + i;
    const __m256i one = _mm256_set1_epi64x(1);
    const __m256d zero = _mm256_setzero_pd();
    __m256i kp = one;
#pragma GCC unroll 8
    for (int d = 0; d < vl; d++) {
        const int first = (1 << d) - 1, n = 1 << d;
        __m256d c[1 << (VLEVELS_SPARK - 1)];
#pragma GCC unroll 16
        for (int j = 0; j < n; j++) {
            const sl_mdl_cnode *q = &nd[first + j];
            __m256d v = _mm256_loadu_pd(xb + q->off);
            __m256d a = _mm256_sub_pd(_mm256_set1_pd(q->lo), v);
            __m256d b = _mm256_sub_pd(v, _mm256_set1_pd(q->hi));
            c[j] = _mm256_cmp_pd(_mm256_max_pd(a, b), zero, _CMP_LE_OQ);
        }
        __m256i in = _mm256_castpd_si256(pick_pd(c, n, kp));
        kp = _mm256_add_epi64(_mm256_add_epi64(kp, kp), _mm256_add_epi64(in, one));
    }
    int64_t k64[4];
    _mm256_storeu_si256((__m256i *)k64, _mm256_sub_epi64(kp, one));
    int32_t k[4] = { (int32_t)k64[0], (int32_t)k64[1], (int32_t)k64[2], (int32_t)k64[3] };
#pragma GCC unroll 8
    for (int d = vl; d < depth; d++)
#pragma GCC unroll 4
        for (int r = 0; r < 4; r++) {
            const sl_mdl_cnode *q = &nd[k[r]];
            double v = xb[r + q->off], a = q->lo - v, b = v - q->hi;
            double m = a > b ? a : b;
            k[r] = 2 * k[r] + 1 + !(m <= 0.0);
        }
    const int32_t first_leaf = (1 << depth) - 1;
#pragma GCC unroll 4
    for (int r = 0; r < 4; r++) leaf[i + r] = k[r] - first_leaf;
}

INLINE AVX2 int walk_spark_d(const sl_mdl_cnode *nd, const double *x, int n, int32_t *leaf,
                             const int depth)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) {
        walk4_spark(nd, x, i, leaf, depth);
        walk4_spark(nd, x, i + 4, leaf, depth);
    }
    return i;
}

AVX2 int sl_mdl_cwalk_spark_avx2(const sl_mdl_tree *t, const double *x, int n, int32_t *leaf)
{
    const sl_mdl_cnode *nd = t->cnodes;
    switch (t->depth) {
    case 1: return walk_spark_d(nd, x, n, leaf, 1);
    case 2: return walk_spark_d(nd, x, n, leaf, 2);
    case 3: return walk_spark_d(nd, x, n, leaf, 3);
    case 4: return walk_spark_d(nd, x, n, leaf, 4);
    case 5: return walk_spark_d(nd, x, n, leaf, 5);
    case 6: return walk_spark_d(nd, x, n, leaf, 6);
    case 7: return walk_spark_d(nd, x, n, leaf, 7);
    case 8: return walk_spark_d(nd, x, n, leaf, 8);
    default: return walk_spark_d(nd, x, n, leaf, t->depth);
    }
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

#endif
