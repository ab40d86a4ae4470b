/* count(*) and count(x): BIGINT, never NULL. */
#include "exec/agg/agg.h"

#include <string.h>

static int resolve(sl_type arg, sl_type *out) { *out = SL_TYPE_BIGINT; return 0; }
static size_t state_size(sl_type arg) { return sizeof(int64_t); }
static void init(void *st, sl_type arg) { memset(st, 0, sizeof(int64_t)); }

static int update_star(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    for (int64_t i = 0; i < n; i++) (*(int64_t *)(rows[i] + off))++;
    return 0;
}

static int update(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    if (!arg->validity) return update_star(rows, off, arg, n);
    for (int64_t i = 0; i < n; i++) *(int64_t *)(rows[i] + off) += sl_bit_get(arg->validity, i);
    return 0;
}

static int finalize(const void *st, sl_type arg, sl_col *out) { return sl_col_append_i64(out, *(const int64_t *)st); }

static void save(const void *st, sl_type arg, sl_buf *out) { sl_buf_append(out, st, sizeof(int64_t)); }

static int merge(void *dst, const void *src, sl_type arg)
{
    *(int64_t *)dst += *(const int64_t *)src;
    return 0;
}

static int load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    if (end - *p < 8) return -1;
    memcpy(st, *p, 8);
    *p += 8;
    return 0;
}

const sl_agg_def sl_agg_count_star = {
    .name = "count", .takes_star = true, .resolve = resolve, .state_size = state_size,
    .init = init, .update = update_star, .finalize = finalize, .save = save, .load = load,
    .merge = merge};

const sl_agg_def sl_agg_count = {
    .name = "count", .resolve = resolve, .state_size = state_size,
    .init = init, .update = update, .finalize = finalize, .save = save, .load = load,
    .merge = merge};
