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
 * Measured on the 100x6 bench model (one run each, load about 4; rows/s
 * through sl_model_score): ZG 1 / 2 / 4 / 8 / 16 with gathers from level 1
 * 2.42M / 3.45M / 4.69M / 4.82M / 4.90M; then, blends instead of gathers
 * for levels 1 / 1-2 / 1-3 (ZBLEND 1 / 2 / 3, ZG 16) 4.85M / 5.73M / 5.72M;
 * ZBLEND 3 with ZG 4 / 8 / 16 6.29M / 7.07M / 5.97M. */
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
    switch (t->depth) {
    case 1: return zsum_d(t, x, n, margin, 1);
    case 2: return zsum_d(t, x, n, margin, 2);
    case 3: return zsum_d(t, x, n, margin, 3);
    case 4: return zsum_d(t, x, n, margin, 4);
    case 5: return zsum_d(t, x, n, margin, 5);
    case 6: return zsum_d(t, x, n, margin, 6);
    case 7: return zsum_d(t, x, n, margin, 7);
    case 8: return zsum_d(t, x, n, margin, 8);
    default: return zsum_d(t, x, n, margin, t->depth);
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

int sl_mdl_csum_xgb_avx512(const sl_mdl_tree *t, const float *x, int n, float *margin)
{
    (void)t; (void)x; (void)n; (void)margin;
    return 0;
}

#endif
