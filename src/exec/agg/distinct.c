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

static size_t hll_size(sl_type arg) { return sl_hll_state_bytes(); }
static void hll_init(void *st, sl_type arg) { sl_hll_init(st); }

static int hll_update(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    if (arg->type == SL_TYPE_NULL) return 0;
    uint64_t *h = sl_malloc(sizeof *h * (size_t)(n ? n : 1));
    if (!h) return -1;
    sl_xxh64_spark_col(arg, h);
    for (int64_t i = 0; i < n; i++)
        if (!sl_col_is_null(arg, i)) sl_hll_add_hash(rows[i] + off, h[i]);
    sl_free(h);
    return 0;
}

static int hll_finalize(const void *st, sl_type arg, sl_col *out) { return sl_col_append_i64(out, sl_hll_estimate(st)); }
static void hll_save(const void *st, sl_type arg, sl_buf *out) { sl_hll_save(st, out); }

static int hll_merge(void *dst, const void *src, sl_type arg)
{
    sl_hll_merge(dst, src);
    return 0;
}

static int hll_load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    return sl_hll_load(st, p, end);
}

const sl_agg_def sl_agg_approx_distinct = {
    .name = "approx_count_distinct", .resolve = resolve_count, .state_size = hll_size,
    .init = hll_init, .update = hll_update, .finalize = hll_finalize, .save = hll_save,
    .load = hll_load, .merge = hll_merge};
