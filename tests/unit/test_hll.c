/* approx_count_distinct (HyperLogLog++ as Spark computes it).
 *
 * Oracles: Spark's documented example (1,1,2,2,3 -> 3); the linear-counting
 * formula evaluated independently from the hashes (round(m ln(m/V)) with V
 * the registers no hash lands in); the HLL++ table's own structure (each
 * raw estimate minus its bias is the integer cardinality it was measured at);
 * Spark's own suite's criteria (error within 3 standard errors, buffers from
 * merged halves equal to the buffer of the whole in any order); true counts
 * known by construction. */
#include "test.h"
#include "exec/agg/hll.h"
#include "core/xxhash64.h"
#include "core/mem.h"
#include "exec/agg/agg.h"

#include <math.h>
#include <stdlib.h>

typedef struct { uint64_t w[SL_HLL_WORDS]; } hll_state;

static void add_int(hll_state *s, int32_t v) { sl_hll_add_hash(s, sl_xxh64_int(v, 42)); }

TEST(hll_state_size)
{
    CHECK_INT(sl_hll_state_bytes(), 52 * 8);
    /* p from Spark's formula for the default relativeSD 0.05. */
    CHECK_INT((int)ceil(2.0 * log(1.106 / 0.05) / log(2.0)), SL_HLL_P);
}

TEST(hll_empty_and_spark_doc_example)
{
    hll_state s;
    sl_hll_init(&s);
    CHECK_INT(sl_hll_estimate(&s), 0);
    int vals[] = {1, 1, 2, 2, 3};
    for (int i = 0; i < 5; i++) add_int(&s, vals[i]);
    CHECK_INT(sl_hll_estimate(&s), 3);
}

TEST(hll_bias_table_integrity)
{
    double raw, bias, prev = 0;
    int n = 0, bad = 0;
    long prev_card = 0;
    while (sl_hll_table_get(n, &raw, &bias)) {
        double card = raw - bias;
        long c = lround(card);
        if (fabs(card - (double)c) > 1e-6) bad++;   /* a mistyped digit */
        if (raw <= prev) bad++;                      /* must be sorted */
        if (c <= prev_card) bad++;                   /* cardinalities rise */
        prev = raw;
        prev_card = c;
        n++;
    }
    CHECK_INT(bad, 0);
    CHECK_INT(n, 201);
    CHECK(sl_hll_table_get(0, &raw, &bias) && raw == 369 && bias == 368);
}

/* Estimate with linear counting computed from the hashes alone. */
static int64_t linear_counting_oracle(const uint64_t *h, int n)
{
    char used[SL_HLL_M] = {0};
    for (int i = 0; i < n; i++) used[h[i] >> (64 - SL_HLL_P)] = 1;
    int v = 0;
    for (int i = 0; i < SL_HLL_M; i++) v += !used[i];
    double e = SL_HLL_M * log((double)SL_HLL_M / v);
    return (int64_t)floor(e + 0.5);
}

TEST(hll_small_counts_are_linear_counting)
{
    /* Up to ~330 distinct values m ln(m/V) stays under Spark's threshold
     * of 400 for p = 9, so the result is exactly the linear count. */
    uint64_t *h = malloc(350 * sizeof *h);
    REQUIRE(h);
    for (int n = 1; n <= 300; n++) {
        hll_state s;
        sl_hll_init(&s);
        for (int i = 0; i < n; i++) {
            h[i] = sl_xxh64_int(i * 7919 + 13, 42);
            sl_hll_add_hash(&s, h[i]);
        }
        int64_t est = sl_hll_estimate(&s);
        CHECK_INT(est, linear_counting_oracle(h, n));
        if (n <= 10) CHECK_INT(est, n);
        CHECK(llabs(est - n) <= (n + 9) / 10);
    }
    free(h);
}

static void check_rel_error(int64_t est, int64_t truth, double bound, int *sl_test_failed)
{
    double err = fabs((double)est / (double)truth - 1.0);
    if (err >= bound) {
        fprintf(stderr, "  n=%lld estimate=%lld error=%.4f bound %.4f\n", (long long)truth,
                (long long)est, err, bound);
        *sl_test_failed = 1;
    }
}

TEST(hll_relative_error_large)
{
    /* Spark's suite accepts 3 standard errors (3 * 1.04 / sqrt(512) = 13.8%);
     * the issue asks for 5%, so check both over several value families. */
    const double three_se = 3.0 * 1.04 / sqrt((double)SL_HLL_M);
    int64_t ns[] = {1000, 3000, 10000, 100000, 1000000};
    double worst = 0, sum = 0;
    for (int k = 0; k < 5; k++) {
        hll_state a, b, c;
        sl_hll_init(&a);
        sl_hll_init(&b);
        sl_hll_init(&c);
        for (int64_t i = 0; i < ns[k]; i++) {
            sl_hll_add_hash(&a, sl_xxh64_int((int32_t)i, 42));
            sl_hll_add_hash(&b, sl_xxh64_long(i * 1000003 + 7, 42));
            char buf[32];
            int len = snprintf(buf, sizeof buf, "user-%lld", (long long)i);
            sl_hll_add_hash(&c, sl_xxh64(buf, (size_t)len, 42));
        }
        int64_t ests[3] = {sl_hll_estimate(&a), sl_hll_estimate(&b), sl_hll_estimate(&c)};
        for (int j = 0; j < 3; j++) {
            check_rel_error(ests[j], ns[k], three_se, sl_test_failed);
            double err = fabs((double)ests[j] / ns[k] - 1.0);
            if (err > worst) worst = err;
            sum += err;
        }
    }
    /* The standard error at p = 9 is 1.04 / sqrt(512) = 4.6%, so a single
     * estimate beyond 5% is expected now and then (Spark's too); the issue's
     * 5% is held as the mean absolute error over the 15 estimates. */
    fprintf(stderr, "  (relative error: worst %.4f, mean %.4f)\n", worst, sum / 15);
    CHECK(worst < three_se);
    CHECK(sum / 15 < 0.05);
}

TEST(hll_duplicates_do_not_count)
{
    /* Spark's "deterministic cardinality" case: each value added 10 times. */
    hll_state a, b;
    sl_hll_init(&a);
    sl_hll_init(&b);
    for (int i = 0; i < 50000; i++) add_int(&a, i / 10);
    for (int i = 0; i < 5000; i++) add_int(&b, i);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
}

TEST(hll_merge_equals_whole)
{
    hll_state lo, hi, whole;
    sl_hll_init(&lo);
    sl_hll_init(&hi);
    sl_hll_init(&whole);
    for (int i = 0; i < 500000; i++) add_int(&lo, i);
    for (int i = 500000; i < 1000000; i++) add_int(&hi, i);
    for (int i = 999999; i >= 0; i--) add_int(&whole, i);
    sl_hll_merge(&lo, &hi);
    CHECK(memcmp(&lo, &whole, sizeof lo) == 0);
    CHECK_INT(sl_hll_estimate(&lo), sl_hll_estimate(&whole));
    /* The 4 spare bits of each word and the unused tail stay zero. */
    int stray = 0;
    for (int i = 0; i < SL_HLL_WORDS; i++) stray += (lo.w[i] >> 60) != 0;
    stray += (lo.w[SL_HLL_WORDS - 1] >> (6 * (SL_HLL_M % 10))) != 0;
    CHECK_INT(stray, 0);
}

TEST(hll_columns_nulls_and_types)
{
    sl_col *col = sl_col_new(SL_TYPE_STRING);
    REQUIRE(col);
    const char *names[] = {"ann", "bob", "ann", NULL, "cy", NULL, "bob"};
    for (int i = 0; i < 7; i++) {
        if (names[i]) CHECK(sl_col_append_str(col, names[i], strlen(names[i])) == 0);
        else CHECK(sl_col_append_null(col) == 0);
    }
    hll_state s;
    sl_hll_init(&s);
    sl_hll_add_col(&s, col);
    CHECK_INT(sl_hll_estimate(&s), 3);

    uint64_t hashes[7];
    sl_xxh64_spark_col(col, hashes);
    CHECK(hashes[0] == sl_xxh64("ann", 3, 42));
    CHECK(hashes[0] == hashes[2]);

    /* Grouped: rows alternate between two groups. */
    unsigned char states[2 * sizeof(hll_state)];
    sl_hll_init(states);
    sl_hll_init(states + sizeof(hll_state));
    int32_t groups[7] = {0, 1, 0, 1, 1, 0, 1};
    sl_hll_add_col_grouped(states, groups, col, hashes);
    CHECK_INT(sl_hll_estimate(states), 1);                    /* ann, ann, NULL */
    CHECK_INT(sl_hll_estimate(states + sizeof(hll_state)), 2); /* bob, NULL, cy, bob */
    sl_col_unref(col);

    /* All-NULL and NULL-typed columns estimate 0. */
    sl_col *nulls = sl_col_new_nulls(SL_TYPE_BIGINT, 5);
    REQUIRE(nulls);
    sl_hll_init(&s);
    sl_hll_add_col(&s, nulls);
    CHECK_INT(sl_hll_estimate(&s), 0);
    sl_col_unref(nulls);

    /* DOUBLE: -0.0 == 0.0 and NaNs are one value, as in Spark. */
    sl_col *d = sl_col_new(SL_TYPE_DOUBLE);
    REQUIRE(d);
    double dv[] = {0.0, -0.0, __builtin_nan(""), -__builtin_nan(""), 1.5};
    for (int i = 0; i < 5; i++) CHECK(sl_col_append_f64(d, dv[i]) == 0);
    sl_hll_init(&s);
    sl_hll_add_col(&s, d);
    CHECK_INT(sl_hll_estimate(&s), 3);
    sl_col_unref(d);

    /* BOOLEAN, DATE, TIMESTAMP go through Spark's int/long rules. */
    sl_col *b = sl_col_new(SL_TYPE_BOOLEAN);
    sl_col *dt = sl_col_new(SL_TYPE_DATE);
    sl_col *ts = sl_col_new(SL_TYPE_TIMESTAMP);
    REQUIRE(b && dt && ts);
    for (int i = 0; i < 4; i++) {
        CHECK(sl_col_append_bool(b, i & 1) == 0);
        CHECK(sl_col_append_i32(dt, 19000 + i) == 0);
        CHECK(sl_col_append_i64(ts, 1700000000000000LL + i) == 0);
    }
    uint64_t hb[4], hd[4], ht[4];
    sl_xxh64_spark_col(b, hb);
    sl_xxh64_spark_col(dt, hd);
    sl_xxh64_spark_col(ts, ht);
    CHECK(hb[1] == sl_xxh64_int(1, 42) && hb[0] == sl_xxh64_int(0, 42));
    CHECK(hd[3] == sl_xxh64_int(19003, 42));
    CHECK(ht[2] == sl_xxh64_long(1700000000000002LL, 42));
    sl_hll_init(&s);
    sl_hll_add_col(&s, b);
    CHECK_INT(sl_hll_estimate(&s), 2);
    sl_col_unref(b);
    sl_col_unref(dt);
    sl_col_unref(ts);
}

/* Sets register idx of s to rank (as sl_hll_add_hash lays registers out). */
static void set_reg(hll_state *s, unsigned idx, unsigned rank)
{
    unsigned word = idx / 10, shift = 6 * (idx % 10);
    s->w[word] = (s->w[word] & ~(63ULL << shift)) | ((uint64_t)rank << shift);
}

TEST(hll_fast_estimate_equals_ordered_sum)
{
    /* The integer fast path against Spark's register-order double sum:
     * sketches of 0..100,000 values, random register files (ranks up to 56,
     * past the fast path's 43, which then takes the ordered sum) and
     * sketches with one register at each rank. */
    hll_state s;
    sl_hll_init(&s);
    int mismatches = 0, n = 0;
    for (int i = 0; i < 100000; i++) {
        add_int(&s, i);
        if (i < 2000 || i % 97 == 0) {
            n++;
            mismatches += sl_hll_estimate(&s) != sl_hll_estimate_ordered(&s);
        }
    }
    srand(7);
    for (int t = 0; t < 2000; t++) {
        sl_hll_init(&s);
        int set = rand() % 513, top = t % 2 ? 56 : 12;
        for (int k = 0; k < set; k++) set_reg(&s, (unsigned)(rand() % 512), 1 + (unsigned)(rand() % top));
        n++;
        mismatches += sl_hll_estimate(&s) != sl_hll_estimate_ordered(&s);
    }
    for (unsigned rank = 1; rank <= 56; rank++) {
        sl_hll_init(&s);
        set_reg(&s, 511, rank);
        set_reg(&s, 0, rank);
        n++;
        mismatches += sl_hll_estimate(&s) != sl_hll_estimate_ordered(&s);
        uint16_t pairs[2] = {(uint16_t)(rank << SL_HLL_P), (uint16_t)(511 | rank << SL_HLL_P)};
        mismatches += sl_hll_estimate_pairs(pairs, 2) != sl_hll_estimate_ordered(&s);
    }
    CHECK_INT(mismatches, 0);
    CHECK(n > 3000);
}

TEST(hll_save_load_sparse_and_dense)
{
    /* Sketches of 0, 1, 8, 300 and 5,000 values survive save + load byte
     * for byte; the small ones are saved sparse (3 + 2 bytes a register set,
     * not 416), the large one dense; a dense record (as checkpoints were
     * written before the sparse form) loads too; malformed records fail. */
    int sizes[] = {0, 1, 8, 300, 5000};
    for (int c = 0; c < 5; c++) {
        hll_state s, back;
        sl_hll_init(&s);
        for (int i = 0; i < sizes[c]; i++) add_int(&s, i * 7 + c);
        sl_buf b;
        sl_buf_init(&b);
        sl_hll_save(&s, &b);
        REQUIRE(!b.oom);
        int set = 0;
        for (unsigned i = 0; i < 512; i++) set += ((s.w[i / 10] >> (6 * (i % 10))) & 63) != 0;
        if (3 + 2 * set < 416) CHECK_INT((int)b.len, 3 + 2 * set);
        else CHECK_INT((int)b.len, 416);
        const uint8_t *p = (const uint8_t *)b.data, *bend = (const uint8_t *)b.data + b.len;
        memset(&back, 0xAB, sizeof back);
        CHECK_INT(sl_hll_load(&back, &p, bend), 0);
        CHECK(p == bend);
        CHECK(memcmp(&s, &back, sizeof s) == 0);
        if (b.len > 3) {   /* a truncated record is refused */
            p = (const uint8_t *)b.data;
            CHECK_INT(sl_hll_load(&back, &p, bend - 1), -1);
        }
        sl_buf_fini(&b);
        /* The dense form of the same sketch. */
        p = (const uint8_t *)&s;
        memset(&back, 0, sizeof back);
        CHECK_INT(sl_hll_load(&back, &p, (const uint8_t *)&s + sizeof s), 0);
        CHECK(memcmp(&s, &back, sizeof s) == 0);
    }
    /* A rank of 0 or above 56 is no register a hash can set. */
    uint8_t bad[5] = {0xFF, 1, 0, 5, 0};   /* index 5, rank 0 */
    const uint8_t *p = bad;
    hll_state back;
    CHECK_INT(sl_hll_load(&back, &p, bad + 5), -1);
    bad[3] = 5;
    bad[4] = (uint8_t)((57 << 9) >> 8);
    p = bad;
    CHECK_INT(sl_hll_load(&back, &p, bad + 5), -1);
}

/* The aggregate's state (held as sorted pairs while at most 27 registers are
 * set, dense past that) against a plain dense sketch of the same values:
 * equal estimates and saved bytes at every size across the switch, after a
 * save + load, and after merging two states of either form. */
TEST(hll_aggregate_small_state_equals_dense)
{
    const sl_agg_def *def = sl_agg_find("approx_count_distinct", false, false);
    REQUIRE(def && def->destroy);
    size_t sz = def->state_size(SL_TYPE_INT);
    CHECK(sz < sl_hll_state_bytes() / 4);
    int sizes[] = {0, 1, 2, 8, 20, 26, 27, 28, 29, 35, 60, 400};
    for (int c = 0; c < 12; c++)
        for (int mc = 0; mc < 12; mc += 3) {
            int n = sizes[c], m = sizes[mc];
            uint8_t *a = sl_malloc(sz), *b = sl_malloc(sz), *l = sl_malloc(sz);
            REQUIRE(a && b && l);
            def->init(a, SL_TYPE_INT);
            def->init(b, SL_TYPE_INT);
            sl_col *ca = sl_col_new(SL_TYPE_INT), *cb = sl_col_new(SL_TYPE_INT);
            REQUIRE(ca && cb);
            hll_state whole;
            sl_hll_init(&whole);
            for (int i = 0; i < n; i++) { sl_col_append_i32(ca, i * 13 + c); add_int(&whole, i * 13 + c); }
            for (int i = 0; i < m; i++) { sl_col_append_i32(cb, 5000 + i); add_int(&whole, 5000 + i); }
            sl_col_append_null(ca);
            uint8_t *ra[512], *rb[512];
            for (int i = 0; i <= n; i++) ra[i] = a;
            for (int i = 0; i < m; i++) rb[i] = b;
            CHECK_INT(def->update(ra, 0, ca, n + 1), 0);
            CHECK_INT(def->update(rb, 0, cb, m), 0);
            CHECK_INT(def->merge(a, b, SL_TYPE_INT), 0);
            sl_col *out = sl_col_new(SL_TYPE_BIGINT);
            REQUIRE(out);
            CHECK_INT(def->finalize(a, SL_TYPE_INT, out), 0);
            CHECK_INT(sl_col_i64(out)[0], sl_hll_estimate(&whole));
            sl_buf sa, sw;
            sl_buf_init(&sa);
            sl_buf_init(&sw);
            def->save(a, SL_TYPE_INT, &sa);
            sl_hll_save(&whole, &sw);
            CHECK(sa.len == sw.len && memcmp(sa.data, sw.data, sa.len) == 0);
            const uint8_t *p = (const uint8_t *)sa.data;
            CHECK_INT(def->load(l, SL_TYPE_INT, &p, p + sa.len), 0);
            CHECK_INT(def->finalize(l, SL_TYPE_INT, out), 0);
            CHECK_INT(sl_col_i64(out)[1], sl_hll_estimate(&whole));
            sl_buf_reset(&sa);
            def->save(l, SL_TYPE_INT, &sa);
            CHECK(sa.len == sw.len && memcmp(sa.data, sw.data, sa.len) == 0);
            sl_buf_fini(&sa);
            sl_buf_fini(&sw);
            def->destroy(a, SL_TYPE_INT);
            def->destroy(b, SL_TYPE_INT);
            def->destroy(l, SL_TYPE_INT);
            sl_free(a);
            sl_free(b);
            sl_free(l);
            sl_col_unref(ca);
            sl_col_unref(cb);
            sl_col_unref(out);
        }
}
