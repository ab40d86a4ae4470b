/* count(DISTINCT x) exactly, and approx_count_distinct(x) with Spark's
 * HyperLogLog++ (hll.c).
 *
 * The exact variant keeps, per group, an open-addressing set of 64-bit
 * value identities: the value's bits for fixed-width types (exact) and
 * Spark's 64-bit xxhash for strings (a collision needs ~4e9 distinct strings
 * in one group to become likely; documented in docs/SEMANTICS.md). */
#include "exec/agg/agg.h"
#include "exec/agg/hll.h"
#include "core/mem.h"

#include <string.h>

typedef struct dset {
    uint64_t *slots;     /* 0 = empty; value identities are stored +1-mixed */
    uint32_t n, cap;
    uint8_t has_zero;    /* identity 0 is kept out of band */
} dset;

static int resolve_count(sl_type arg, sl_type *out) { *out = SL_TYPE_BIGINT; return 0; }
static size_t dset_size(sl_type arg) { return sizeof(dset); }
static void dset_init(void *st, sl_type arg) { memset(st, 0, sizeof(dset)); }

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33; x *= 0xff51afd7ed558ccdULL; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ULL; x ^= x >> 33;
    return x;
}

static int dset_add(dset *s, uint64_t id)
{
    if (id == 0) { s->has_zero = 1; return 0; }
    if ((s->n + 1) * 4 > s->cap * 3) {
        uint32_t ncap = s->cap ? s->cap * 2 : 8;
        uint64_t *ns = sl_calloc(ncap, sizeof *ns);
        if (!ns) return -1;
        for (uint32_t i = 0; i < s->cap; i++) {
            uint64_t v = s->slots[i];
            if (!v) continue;
            uint32_t h = (uint32_t)mix(v) & (ncap - 1);
            while (ns[h]) h = (h + 1) & (ncap - 1);
            ns[h] = v;
        }
        sl_free(s->slots);
        s->slots = ns;
        s->cap = ncap;
    }
    uint32_t h = (uint32_t)mix(id) & (s->cap - 1);
    while (s->slots[h]) {
        if (s->slots[h] == id) return 0;
        h = (h + 1) & (s->cap - 1);
    }
    s->slots[h] = id;
    s->n++;
    return 0;
}

static int dset_update(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    uint64_t *hashes = NULL;
    if (arg->type == SL_TYPE_STRING) {
        hashes = sl_malloc(sizeof *hashes * (size_t)(n ? n : 1));
        if (!hashes) return -1;
        sl_xxh64_spark_col(arg, hashes);
    }
    for (int64_t i = 0; i < n; i++) {
        if (sl_col_is_null(arg, i)) continue;
        uint64_t id;
        switch (arg->type) {
        case SL_TYPE_BOOLEAN: id = sl_col_bool(arg, i); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: id = (uint64_t)(int64_t)sl_col_i32(arg)[i]; break;
        case SL_TYPE_DOUBLE: {
            double d = sl_col_f64(arg)[i];
            if (d == 0) d = 0; /* -0.0 and 0.0 are one value */
            memcpy(&id, &d, 8);
            break;
        }
        case SL_TYPE_STRING: id = hashes[i]; break;
        default: id = (uint64_t)sl_col_i64(arg)[i]; break;
        }
        if (dset_add((dset *)(rows[i] + off), id)) { sl_free(hashes); return -1; }
    }
    sl_free(hashes);
    return 0;
}

static int dset_finalize(const void *st, sl_type arg, sl_col *out)
{
    const dset *s = st;
    return sl_col_append_i64(out, (int64_t)s->n + s->has_zero);
}

static void dset_save(const void *st, sl_type arg, sl_buf *out)
{
    const dset *s = st;
    uint32_t n = s->n + s->has_zero;
    sl_buf_append(out, &n, 4);
    if (s->has_zero) { uint64_t z = 0; sl_buf_append(out, &z, 8); }
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slots[i]) sl_buf_append(out, &s->slots[i], 8);
}

static int dset_load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    uint32_t n;
    if (end - *p < 4) return -1;
    memcpy(&n, *p, 4);
    *p += 4;
    if ((size_t)(end - *p) / 8 < n) return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t id;
        memcpy(&id, *p, 8);
        *p += 8;
        if (dset_add(st, id)) return -1;
    }
    return 0;
}

static int dset_merge(void *dst, const void *src, sl_type arg)
{
    const dset *s = src;
    dset *d = dst;
    if (s->has_zero) d->has_zero = 1;
    for (uint32_t i = 0; i < s->cap; i++)
        if (s->slots[i] && dset_add(d, s->slots[i])) return -1;
    return 0;
}

static void dset_destroy(void *st, sl_type arg)
{
    dset *s = st;
    sl_free(s->slots);
    s->slots = NULL;
}

const sl_agg_def sl_agg_count_distinct = {
    .name = "count", .distinct = true, .resolve = resolve_count, .state_size = dset_size,
    .init = dset_init, .update = dset_update, .finalize = dset_finalize, .save = dset_save,
    .load = dset_load, .merge = dset_merge, .destroy = dset_destroy};

/* ---- approx_count_distinct -------------------------------------------- */

/* A group's sketch is held small while few registers are set: up to
 * SMALL_REGS (index, rank) pairs inline, sorted by index, and Spark's dense
 * 416-byte register file (hll.h) only once a group sets more.  A window of a
 * few rows per group (the top-up pipeline's 18 sketches per customer and
 * 30 seconds, ~8 rows each) then takes 64 bytes a sketch instead of 416.
 * Estimates, saved bytes and merges are those of the dense sketch with the
 * same registers: the two forms are one state. */
#define SMALL_REGS 27
_Static_assert(SL_HLL_SPARSE_FITS(SMALL_REGS), "a small sketch saves sparse");
#define RANK_OF(pair) ((unsigned)(pair) >> SL_HLL_P)
#define IDX_OF(pair) ((unsigned)(pair) & (SL_HLL_M - 1))

typedef struct hll_small {
    uint64_t *dense;             /* NULL while the pairs hold every register set */
    uint16_t n;
    uint16_t pairs[SMALL_REGS];  /* index | rank << SL_HLL_P, ascending index */
} hll_small;

static size_t hll_size(sl_type arg) { return sizeof(hll_small); }
static void hll_init(void *st, sl_type arg)
{
    hll_small *s = st;
    s->dense = NULL;
    s->n = 0;
}

static void dense_set_max(uint64_t *w, unsigned idx, unsigned rank)
{
    unsigned word = idx / 10, shift = 6 * (idx % 10);
    uint64_t mask = 63ULL << shift;
    if (rank > ((w[word] & mask) >> shift)) w[word] = (w[word] & ~mask) | ((uint64_t)rank << shift);
}

/* Register idx := max(register idx, rank). Returns -1 on OOM. */
static int small_set_max(hll_small *s, unsigned idx, unsigned rank)
{
    if (s->dense) {
        dense_set_max(s->dense, idx, rank);
        return 0;
    }
    unsigned i = 0;
    while (i < s->n && IDX_OF(s->pairs[i]) < idx) i++;
    if (i < s->n && IDX_OF(s->pairs[i]) == idx) {
        if (rank > RANK_OF(s->pairs[i])) s->pairs[i] = (uint16_t)(idx | rank << SL_HLL_P);
        return 0;
    }
    if (s->n < SMALL_REGS) {
        memmove(s->pairs + i + 1, s->pairs + i, (s->n - i) * sizeof s->pairs[0]);
        s->pairs[i] = (uint16_t)(idx | rank << SL_HLL_P);
        s->n++;
        return 0;
    }
    uint64_t *w = sl_malloc(sl_hll_state_bytes());
    if (!w) return -1;
    sl_hll_init(w);
    for (unsigned k = 0; k < s->n; k++) dense_set_max(w, IDX_OF(s->pairs[k]), RANK_OF(s->pairs[k]));
    dense_set_max(w, idx, rank);
    s->dense = w;
    s->n = 0;
    return 0;
}

/* The dense register file of a small state (into buf) or its own. */
static const void *as_dense(const hll_small *s, uint64_t *buf)
{
    if (s->dense) return s->dense;
    sl_hll_init(buf);
    for (unsigned k = 0; k < s->n; k++) dense_set_max(buf, IDX_OF(s->pairs[k]), RANK_OF(s->pairs[k]));
    return buf;
}

static int hll_update(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    if (arg->type == SL_TYPE_NULL) return 0;
    uint64_t *h = sl_malloc(sizeof *h * (size_t)(n ? n : 1));
    if (!h) return -1;
    sl_xxh64_spark_col(arg, h);
    for (int64_t i = 0; i < n; i++) {
        if (sl_col_is_null(arg, i)) continue;
        hll_small *s = (hll_small *)(rows[i] + off);
        if (s->dense) {
            sl_hll_add_hash(s->dense, h[i]);
            continue;
        }
        /* sl_hll_add_hash's index and rank */
        unsigned idx = (unsigned)(h[i] >> (64 - SL_HLL_P));
        unsigned rank = (unsigned)__builtin_clzll((h[i] << SL_HLL_P) | (1ULL << (SL_HLL_P - 1))) + 1;
        if (small_set_max(s, idx, rank)) { sl_free(h); return -1; }
    }
    sl_free(h);
    return 0;
}

static int hll_finalize(const void *st, sl_type arg, sl_col *out)
{
    const hll_small *s = st;
    return sl_col_append_i64(out, s->dense ? sl_hll_estimate(s->dense)
                                           : sl_hll_estimate_pairs(s->pairs, s->n));
}

static void hll_save(const void *st, sl_type arg, sl_buf *out)
{
    const hll_small *s = st;
    if (s->dense) sl_hll_save(s->dense, out);
    else sl_hll_save_pairs(s->pairs, s->n, out);   /* SMALL_REGS always fits */
}

static int hll_merge(void *dst, const void *src, sl_type arg)
{
    const hll_small *s = src;
    hll_small *d = dst;
    if (!s->dense) {
        for (unsigned k = 0; k < s->n; k++)
            if (small_set_max(d, IDX_OF(s->pairs[k]), RANK_OF(s->pairs[k]))) return -1;
        return 0;
    }
    if (!d->dense) {
        uint64_t *w = sl_malloc(sl_hll_state_bytes());
        if (!w) return -1;
        as_dense(d, w);
        d->dense = w;
        d->n = 0;
    }
    sl_hll_merge(d->dense, s->dense);
    return 0;
}

static int hll_load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    uint64_t buf[SL_HLL_WORDS];
    hll_small *s = st;
    hll_init(s, arg);
    if (sl_hll_load(buf, p, end)) return -1;
    for (unsigned i = 0; i < SL_HLL_M; i++) {
        unsigned rank = (unsigned)(buf[i / 10] >> (6 * (i % 10))) & 63;
        if (rank && small_set_max(s, i, rank)) return -1;
    }
    return 0;
}

static void hll_destroy(void *st, sl_type arg)
{
    hll_small *s = st;
    sl_free(s->dense);
    s->dense = NULL;
}

const sl_agg_def sl_agg_approx_distinct = {
    .name = "approx_count_distinct", .resolve = resolve_count, .state_size = hll_size,
    .init = hll_init, .update = hll_update, .finalize = hll_finalize, .save = hll_save,
    .load = hll_load, .merge = hll_merge, .destroy = hll_destroy};
