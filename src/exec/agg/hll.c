/* HyperLogLog++ with Spark's layout and estimator (see hll.h for the
 * algorithm and why it must match Spark to the unit).  Only the p = 9 row of
 * the HLL++ bias-correction data is needed, since p is fixed by Spark's
 * default relative error; it is the published data of Heule, Nunkesser and
 * Hall, "HyperLogLog in Practice" (EDBT 2013), appendix, as Spark ships it. */
#include "exec/agg/hll.h"
#include "core/xxhash64.h"

#include <math.h>
#include <string.h>

#define REG_BITS 6
#define REG_MASK ((uint64_t)((1 << REG_BITS) - 1))
#define REGS_PER_WORD 10
#define IDX_SHIFT (64 - SL_HLL_P)
#define W_PADDING (1ULL << (SL_HLL_P - 1))
/* Spark's THRESHOLDS[p - 4] for p = 9: below it linear counting is used. */
#define LC_THRESHOLD 400.0
#define KNN 6

/* Raw estimates E (sorted) and the bias measured at each, p = 9. */
static const double raw_estimate_p9[] = {
    369, 374.8294, 381.2452, 387.6698, 394.1464, 400.2024, 406.8782, 413.6598, 420.462,
    427.2826, 433.7102, 440.7416, 447.9366, 455.1046, 462.285, 469.0668, 476.306, 483.8448,
    491.301, 498.9886, 506.2422, 513.8138, 521.7074, 529.7428, 537.8402, 545.1664, 553.3534,
    561.594, 569.6886, 577.7876, 585.65, 594.228, 602.8036, 611.1666, 620.0818, 628.0824,
    637.2574, 646.302, 655.1644, 664.0056, 672.3802, 681.7192, 690.5234, 700.2084, 708.831,
    718.485, 728.1112, 737.4764, 746.76, 756.3368, 766.5538, 775.5058, 785.2646, 795.5902,
    804.3818, 814.8998, 824.9532, 835.2062, 845.2798, 854.4728, 864.9582, 875.3292, 886.171,
    896.781, 906.5716, 916.7048, 927.5322, 937.875, 949.3972, 958.3464, 969.7274, 980.2834,
    992.1444, 1003.4264, 1013.0166, 1024.018, 1035.0438, 1046.34, 1057.6856, 1068.9836,
    1079.0312, 1091.677, 1102.3188, 1113.4846, 1124.4424, 1135.739, 1147.1488, 1158.9202,
    1169.406, 1181.5342, 1193.2834, 1203.8954, 1216.3286, 1226.2146, 1239.6684, 1251.9946,
    1262.123, 1275.4338, 1285.7378, 1296.076, 1308.9692, 1320.4964, 1333.0998, 1343.9864,
    1357.7754, 1368.3208, 1380.4838, 1392.7388, 1406.0758, 1416.9098, 1428.9728, 1440.9228,
    1453.9292, 1462.617, 1476.05, 1490.2996, 1500.6128, 1513.7392, 1524.5174, 1536.6322,
    1548.2584, 1562.3766, 1572.423, 1587.1232, 1596.5164, 1610.5938, 1622.5972, 1633.1222,
    1647.7674, 1658.5044, 1671.57, 1683.7044, 1695.4142, 1708.7102, 1720.6094, 1732.6522,
    1747.841, 1756.4072, 1769.9786, 1782.3276, 1797.5216, 1808.3186, 1819.0694, 1834.354,
    1844.575, 1856.2808, 1871.1288, 1880.7852, 1893.9622, 1906.3418, 1920.6548, 1932.9302,
    1945.8584, 1955.473, 1968.8248, 1980.6446, 1995.9598, 2008.349, 2019.8556, 2033.0334,
    2044.0206, 2059.3956, 2069.9174, 2082.6084, 2093.7036, 2106.6108, 2118.9124, 2132.301,
    2144.7628, 2159.8422, 2171.0212, 2183.101, 2193.5112, 2208.052, 2221.3194, 2233.3282,
    2247.295, 2257.7222, 2273.342, 2286.5638, 2299.6786, 2310.8114, 2322.3312, 2335.516,
    2349.874, 2363.5968, 2373.865, 2387.1918, 2401.8328, 2414.8496, 2424.544, 2436.7592,
    2447.1682, 2464.1958, 2474.3438, 2489.0006, 2497.4526, 2513.6586, 2527.19, 2540.7028,
    2553.768,
};

static const double bias_p9[] = {
    368, 361.8294, 355.2452, 348.6698, 342.1464, 336.2024, 329.8782, 323.6598, 317.462,
    311.2826, 305.7102, 299.7416, 293.9366, 288.1046, 282.285, 277.0668, 271.306, 265.8448,
    260.301, 254.9886, 250.2422, 244.8138, 239.7074, 234.7428, 229.8402, 225.1664, 220.3534,
    215.594, 210.6886, 205.7876, 201.65, 197.228, 192.8036, 188.1666, 184.0818, 180.0824,
    176.2574, 172.302, 168.1644, 164.0056, 160.3802, 156.7192, 152.5234, 149.2084, 145.831,
    142.485, 139.1112, 135.4764, 131.76, 129.3368, 126.5538, 122.5058, 119.2646, 116.5902,
    113.3818, 110.8998, 107.9532, 105.2062, 102.2798, 99.4728, 96.9582, 94.3292, 92.171,
    89.7809999999999, 87.5716, 84.7048, 82.5322, 79.875, 78.3972, 75.3464, 73.7274, 71.2834,
    70.1444, 68.4263999999999, 66.0166, 64.018, 62.0437999999999, 60.3399999999999, 58.6856,
    57.9836, 55.0311999999999, 54.6769999999999, 52.3188, 51.4846, 49.4423999999999, 47.739,
    46.1487999999999, 44.9202, 43.4059999999999, 42.5342000000001, 41.2834, 38.8954000000001,
    38.3286000000001, 36.2146, 36.6684, 35.9946, 33.123, 33.4338, 31.7378000000001, 29.076,
    28.9692, 27.4964, 27.0998, 25.9864, 26.7754, 24.3208, 23.4838, 22.7388000000001,
    24.0758000000001, 21.9097999999999, 20.9728, 19.9228000000001, 19.9292, 16.617, 17.05,
    18.2996000000001, 15.6128000000001, 15.7392, 14.5174, 13.6322, 12.2583999999999,
    13.3766000000001, 11.423, 13.1232, 9.51639999999998, 10.5938000000001, 9.59719999999993,
    8.12220000000002, 9.76739999999995, 7.50440000000003, 7.56999999999994, 6.70440000000008,
    6.41419999999994, 6.71019999999999, 5.60940000000005, 4.65219999999999, 6.84099999999989,
    3.4072000000001, 3.97859999999991, 3.32760000000007, 5.52160000000003, 3.31860000000006,
    2.06940000000009, 4.35400000000004, 1.57500000000005, 0.280799999999999, 2.12879999999996,
    -0.214799999999968, -0.0378000000000611, -0.658200000000079, 0.654800000000023,
    -0.0697999999999865, 0.858400000000074, -2.52700000000004, -2.1751999999999,
    -3.35539999999992, -1.04019999999991, -0.651000000000067, -2.14439999999991,
    -1.96659999999997, -3.97939999999994, -0.604400000000169, -3.08260000000018,
    -3.39159999999993, -5.29640000000018, -5.38920000000007, -5.08759999999984,
    -4.69900000000007, -5.23720000000003, -3.15779999999995, -4.97879999999986,
    -4.89899999999989, -7.48880000000008, -5.94799999999987, -5.68060000000014,
    -6.67180000000008, -4.70499999999993, -7.27779999999984, -4.6579999999999,
    -4.4362000000001, -4.32139999999981, -5.18859999999995, -6.66879999999992,
    -6.48399999999992, -5.1260000000002, -4.4032000000002, -6.13500000000022,
    -5.80819999999994, -4.16719999999987, -4.15039999999999, -7.45600000000013,
    -7.24080000000004, -9.83179999999993, -5.80420000000004, -8.6561999999999,
    -6.99940000000015, -10.5473999999999, -7.34139999999979, -6.80999999999995,
    -6.29719999999998, -6.23199999999997,
};

#define N_EST ((int)(sizeof raw_estimate_p9 / sizeof raw_estimate_p9[0]))
_Static_assert(sizeof raw_estimate_p9 == sizeof bias_p9, "HLL++ tables differ in length");

int sl_hll_table_get(int i, double *out_raw, double *out_bias)
{
    if (i < 0 || i >= N_EST) return 0;
    *out_raw = raw_estimate_p9[i];
    *out_bias = bias_p9[i];
    return 1;
}

size_t sl_hll_state_bytes(void) { return SL_HLL_WORDS * sizeof(uint64_t); }

void sl_hll_init(void *state) { memset(state, 0, sl_hll_state_bytes()); }

void sl_hll_add_hash(void *state, uint64_t x)
{
    uint64_t *w = state;
    unsigned idx = (unsigned)(x >> IDX_SHIFT);
    uint64_t pw = (uint64_t)__builtin_clzll((x << SL_HLL_P) | W_PADDING) + 1;
    unsigned word = idx / REGS_PER_WORD;
    unsigned shift = REG_BITS * (idx - word * REGS_PER_WORD);
    uint64_t mask = REG_MASK << shift;
    if (pw > ((w[word] & mask) >> shift)) w[word] = (w[word] & ~mask) | (pw << shift);
}

void sl_hll_merge(void *dst, const void *src)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (int i = 0; i < SL_HLL_WORDS; i++) {
        uint64_t a = d[i], b = s[i], out = 0;
        for (int r = 0; r < REGS_PER_WORD; r++) {
            uint64_t mask = REG_MASK << (REG_BITS * r);
            uint64_t ra = a & mask, rb = b & mask;
            out |= ra > rb ? ra : rb;
        }
        d[i] = out;
    }
}

/* java.util.Arrays.binarySearch(double[], key): the index of key, or
 * -(insertion point) - 1.  Reproduced step for step so ties and misses land
 * on the index Spark's search lands on. */
static int java_binary_search(const double *a, int n, double key)
{
    int lo = 0, hi = n - 1;
    while (lo <= hi) {
        int mid = (int)((unsigned)(lo + hi) >> 1);
        double v = a[mid];
        if (v < key) lo = mid + 1;
        else if (v > key) hi = mid - 1;
        else return mid;   /* the table holds no NaN or -0.0 */
    }
    return -(lo + 1);
}

static double estimate_bias(double e)
{
    int ix = java_binary_search(raw_estimate_p9, N_EST, e);
    int nearest = ix < 0 ? -(ix + 1) : ix;
    int lo = nearest - KNN + 1 > 0 ? nearest - KNN + 1 : 0;
    int hi = lo + KNN < N_EST ? lo + KNN : N_EST;
    /* Slide the window while its exclusive end is nearer than its start. */
    while (hi < N_EST) {
        double dh = e - raw_estimate_p9[hi], dl = e - raw_estimate_p9[lo];
        if (!(dh * dh < dl * dl)) break;
        lo++;
        hi++;
    }
    double sum = 0.0;
    for (int i = lo; i < hi; i++) sum += bias_p9[i];
    return sum / (hi - lo);
}

/* Java's Math.round for the non-negative values an estimate takes: the
 * nearest integer, halves rounded up. */
static int64_t java_round(double v)
{
    double f = floor(v);
    return (int64_t)f + (v - f >= 0.5 ? 1 : 0);
}

/* Spark's estimator from z_inverse = sum(2^-register) and v = the number of
 * zero registers. */
static int64_t estimate_from(double z_inverse, double v)
{
    const double m = SL_HLL_M;
    const double alpha_m2 = (0.7213 / (1.0 + 1.079 / m)) * m * m;
    double e = alpha_m2 / z_inverse;
    double e_corrected = e < 5.0 * m ? e - estimate_bias(e) : e;
    double est;
    if (v > 0) {
        double h = m * log(m / v);
        est = (h <= LC_THRESHOLD || e <= 2.5 * m) ? h : e_corrected;
    } else {
        est = e_corrected;
    }
    return java_round(est);
}

int64_t sl_hll_estimate_ordered(const void *state)
{
    const uint64_t *w = state;
    double z_inverse = 0.0, v = 0.0;
    int idx = 0;
    /* Summed in register order, as Spark does: floating-point addition is
     * not associative and the result must match to the last bit. */
    for (int i = 0; i < SL_HLL_WORDS; i++) {
        uint64_t word = w[i];
        for (int r = 0; r < REGS_PER_WORD && idx < SL_HLL_M; r++, idx++) {
            uint64_t reg = (word >> (REG_BITS * r)) & REG_MASK;
            z_inverse += 1.0 / (double)(1ULL << reg);
            if (reg == 0) v += 1.0;
        }
    }
    return estimate_from(z_inverse, v);
}

/* The fast path: while no register exceeds EXACT_RANK, every term 2^-reg is
 * a multiple of 2^-EXACT_RANK and every partial sum (at most 512 = 2^9) fits
 * in 9 + EXACT_RANK <= 53 bits, so Spark's ordered double sum makes no
 * rounding at all and equals this integer sum scaled by 2^-EXACT_RANK, bit
 * for bit.  Words of ten empty registers (nearly all of them in a sketch of
 * a few values) are one addition.  A register above EXACT_RANK (a
 * probability of 2^-43 a value) takes the ordered sum. */
#define EXACT_RANK 43

int64_t sl_hll_estimate(const void *state)
{
    const uint64_t *w = state;
    uint64_t z = 0;
    unsigned v = 0;
    for (int i = 0; i < SL_HLL_WORDS; i++) {
        uint64_t word = w[i];
        unsigned regs = SL_HLL_M - i * REGS_PER_WORD < REGS_PER_WORD
                            ? (unsigned)(SL_HLL_M - i * REGS_PER_WORD) : REGS_PER_WORD;
        if (!word) {
            z += (uint64_t)regs << EXACT_RANK;
            v += regs;
            continue;
        }
        for (unsigned r = 0; r < regs; r++) {
            unsigned reg = (unsigned)((word >> (REG_BITS * r)) & REG_MASK);
            if (reg > EXACT_RANK) return sl_hll_estimate_ordered(state);
            z += 1ULL << (EXACT_RANK - reg);
            v += reg == 0;
        }
    }
    return estimate_from(ldexp((double)z, -EXACT_RANK), (double)v);
}

int64_t sl_hll_estimate_pairs(const uint16_t *pairs, unsigned n)
{
    uint64_t z = (uint64_t)(SL_HLL_M - n) << EXACT_RANK;
    for (unsigned k = 0; k < n; k++) {
        unsigned reg = pairs[k] >> SL_HLL_P;
        if (reg > EXACT_RANK) {
            uint64_t w[SL_HLL_WORDS];
            sl_hll_init(w);
            for (unsigned j = 0; j < n; j++) {
                unsigned idx = pairs[j] & (SL_HLL_M - 1), r = pairs[j] >> SL_HLL_P;
                w[idx / REGS_PER_WORD] |= (uint64_t)r << (REG_BITS * (idx % REGS_PER_WORD));
            }
            return sl_hll_estimate_ordered(w);
        }
        z += 1ULL << (EXACT_RANK - reg);
    }
    return estimate_from(ldexp((double)z, -EXACT_RANK), (double)(SL_HLL_M - n));
}

/* The checkpoint form (see hll.h): a sketch with few registers set is saved
 * as its list of (index, rank) pairs.  A dense state's first byte holds
 * register 0's rank in its low 6 bits, which is at most 64 - p + 1 = 56, so a
 * first byte of 0xFF can only begin the sparse form. */
#define SPARSE_TAG 0xFF
#define MAX_RANK (64 - SL_HLL_P + 1)

void sl_hll_save_pairs(const uint16_t *pairs, unsigned n, sl_buf *out)
{
    uint8_t buf[3 + 2 * SL_HLL_M];
    buf[0] = SPARSE_TAG;
    buf[1] = (uint8_t)(n & 0xFF);
    buf[2] = (uint8_t)(n >> 8);
    for (unsigned k = 0; k < n; k++) {
        buf[3 + 2 * k] = (uint8_t)(pairs[k] & 0xFF);
        buf[4 + 2 * k] = (uint8_t)(pairs[k] >> 8);
    }
    sl_buf_append(out, buf, 3 + 2 * (size_t)n);
}

void sl_hll_save(const void *state, sl_buf *out)
{
    const uint64_t *w = state;
    uint16_t pairs[SL_HLL_M];
    unsigned n = 0;
    for (int i = 0; i < SL_HLL_WORDS; i++) {
        uint64_t word = w[i];
        for (unsigned r = 0; word; r++, word >>= REG_BITS) {
            unsigned reg = (unsigned)(word & REG_MASK);
            if (reg) pairs[n++] = (uint16_t)((unsigned)(i * REGS_PER_WORD + r) | reg << SL_HLL_P);
        }
    }
    if (SL_HLL_SPARSE_FITS(n)) sl_hll_save_pairs(pairs, n, out);
    else sl_buf_append(out, state, sl_hll_state_bytes());
}

int sl_hll_load(void *state, const uint8_t **p, const uint8_t *end)
{
    size_t dense = sl_hll_state_bytes();
    if (end - *p < 1) return -1;
    if (**p != SPARSE_TAG) {
        if ((size_t)(end - *p) < dense) return -1;
        memcpy(state, *p, dense);
        *p += dense;
        return 0;
    }
    if (end - *p < 3) return -1;
    unsigned n = (unsigned)(*p)[1] | (unsigned)(*p)[2] << 8;
    if (n > SL_HLL_M || (size_t)(end - *p - 3) < 2 * (size_t)n) return -1;
    const uint8_t *q = *p + 3;
    uint64_t *w = state;
    sl_hll_init(state);
    for (unsigned k = 0; k < n; k++) {
        unsigned pair = (unsigned)q[2 * k] | (unsigned)q[2 * k + 1] << 8;
        unsigned idx = pair & (SL_HLL_M - 1), reg = pair >> SL_HLL_P;
        if (reg == 0 || reg > MAX_RANK) return -1;
        unsigned word = idx / REGS_PER_WORD, shift = REG_BITS * (idx % REGS_PER_WORD);
        w[word] = (w[word] & ~(REG_MASK << shift)) | ((uint64_t)reg << shift);
    }
    *p = q + 2 * n;
    return 0;
}

void sl_xxh64_spark_col(const sl_col *col, uint64_t *out)
{
    const uint64_t seed = SL_XXH64_SPARK_SEED;
    int64_t n = col->len;
    switch (col->type) {
    case SL_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++) out[i] = sl_xxh64_spark_bool(sl_col_bool(col, i), seed);
        break;
    case SL_TYPE_INT:
    case SL_TYPE_DATE: {
        const int32_t *v = sl_col_i32(col);
        for (int64_t i = 0; i < n; i++) out[i] = sl_xxh64_int(v[i], seed);
        break;
    }
    case SL_TYPE_BIGINT:
    case SL_TYPE_TIMESTAMP: {
        const int64_t *v = sl_col_i64(col);
        for (int64_t i = 0; i < n; i++) out[i] = sl_xxh64_long(v[i], seed);
        break;
    }
    case SL_TYPE_DOUBLE: {
        const double *v = sl_col_f64(col);
        for (int64_t i = 0; i < n; i++) out[i] = sl_xxh64_spark_double(v[i], seed);
        break;
    }
    case SL_TYPE_STRING: {
        const int32_t *o = sl_col_offsets(col);
        for (int64_t i = 0; i < n; i++)
            out[i] = sl_xxh64(col->chars + o[i], (size_t)(o[i + 1] - o[i]), seed);
        break;
    }
    case SL_TYPE_NULL:
    default:
        break;
    }
}

/* Hash of one row (not NULL) with Spark's rule for the column's type. */
static uint64_t row_hash(const sl_col *col, int64_t i)
{
    const uint64_t seed = SL_XXH64_SPARK_SEED;
    switch (col->type) {
    case SL_TYPE_BOOLEAN: return sl_xxh64_spark_bool(sl_col_bool(col, i), seed);
    case SL_TYPE_INT:
    case SL_TYPE_DATE: return sl_xxh64_int(sl_col_i32(col)[i], seed);
    case SL_TYPE_BIGINT:
    case SL_TYPE_TIMESTAMP: return sl_xxh64_long(sl_col_i64(col)[i], seed);
    case SL_TYPE_DOUBLE: return sl_xxh64_spark_double(sl_col_f64(col)[i], seed);
    case SL_TYPE_STRING: {
        size_t len;
        const char *s = sl_col_str(col, i, &len);
        return sl_xxh64(s, len, seed);
    }
    default: return 0;
    }
}

void sl_hll_add_col(void *state, const sl_col *col)
{
    if (col->type == SL_TYPE_NULL) return;
    for (int64_t i = 0; i < col->len; i++)
        if (!sl_col_is_null(col, i)) sl_hll_add_hash(state, row_hash(col, i));
}

void sl_hll_add_col_grouped(void *states, const int32_t *group_of_row,
                            const sl_col *col, uint64_t *hashes)
{
    if (col->type == SL_TYPE_NULL) return;
    const size_t sz = sl_hll_state_bytes();
    unsigned char *base = states;
    if (hashes) sl_xxh64_spark_col(col, hashes);
    for (int64_t i = 0; i < col->len; i++) {
        if (sl_col_is_null(col, i)) continue;
        uint64_t h = hashes ? hashes[i] : row_hash(col, i);
        sl_hll_add_hash(base + (size_t)group_of_row[i] * sz, h);
    }
}
