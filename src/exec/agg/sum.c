/* sum(x) and avg(x), as Spark types them: sum of INT/BIGINT is BIGINT
 * (wrapping on overflow, non-ANSI), of DOUBLE is DOUBLE; avg is DOUBLE.
 * Both are NULL for a group with no non-NULL input. */
#include "exec/agg/agg.h"

#include <string.h>

typedef struct sum_state {
    int64_t n;       /* non-NULL inputs seen */
    union { int64_t i; double d; } v;
} sum_state;

static int resolve_sum(sl_type arg, sl_type *out)
{
    if (arg == SL_TYPE_INT || arg == SL_TYPE_BIGINT) { *out = SL_TYPE_BIGINT; return 0; }
    if (arg == SL_TYPE_DOUBLE || arg == SL_TYPE_STRING || arg == SL_TYPE_NULL) { *out = SL_TYPE_DOUBLE; return 0; }
    return -1;
}

static int resolve_avg(sl_type arg, sl_type *out)
{
    sl_type t;
    if (resolve_sum(arg, &t)) return -1;
    *out = SL_TYPE_DOUBLE;
    return 0;
}

static size_t state_size(sl_type arg) { return sizeof(sum_state); }
static void init(void *st, sl_type arg) { memset(st, 0, sizeof(sum_state)); }

static int update(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n)
{
    switch (arg->type) {
    case SL_TYPE_INT: {
        const int32_t *x = sl_col_i32(arg);
        for (int64_t i = 0; i < n; i++) {
            if (sl_col_is_null(arg, i)) continue;
            sum_state *s = (sum_state *)(rows[i] + off);
            s->n++;
            s->v.i = (int64_t)((uint64_t)s->v.i + (uint64_t)(int64_t)x[i]);
        }
        break;
    }
    case SL_TYPE_BIGINT: {
        const int64_t *x = sl_col_i64(arg);
        for (int64_t i = 0; i < n; i++) {
            if (sl_col_is_null(arg, i)) continue;
            sum_state *s = (sum_state *)(rows[i] + off);
            s->n++;
            s->v.i = (int64_t)((uint64_t)s->v.i + (uint64_t)x[i]);
        }
        break;
    }
    case SL_TYPE_DOUBLE: {
        const double *x = sl_col_f64(arg);
        for (int64_t i = 0; i < n; i++) {
            if (sl_col_is_null(arg, i)) continue;
            sum_state *s = (sum_state *)(rows[i] + off);
            s->n++;
            s->v.d += x[i];
        }
        break;
    }
    default:
        break; /* NULL-typed argument: nothing to add */
    }
    return 0;
}

static int finalize_sum(const void *st, sl_type arg, sl_col *out)
{
    const sum_state *s = st;
    if (!s->n) return sl_col_append_null(out);
    if (out->type == SL_TYPE_BIGINT) return sl_col_append_i64(out, s->v.i);
    return sl_col_append_f64(out, s->v.d);
}

static int finalize_avg(const void *st, sl_type arg, sl_col *out)
{
    const sum_state *s = st;
    if (!s->n) return sl_col_append_null(out);
    double total = arg == SL_TYPE_DOUBLE ? s->v.d : (double)s->v.i;
    return sl_col_append_f64(out, total / (double)s->n);
}

static void save(const void *st, sl_type arg, sl_buf *out) { sl_buf_append(out, st, sizeof(sum_state)); }

static int merge(void *dst, const void *src, sl_type arg)
{
    sum_state *d = dst;
    const sum_state *s = src;
    if (arg == SL_TYPE_DOUBLE) d->v.d += s->v.d;
    else d->v.i = (int64_t)((uint64_t)d->v.i + (uint64_t)s->v.i);
    d->n += s->n;
    return 0;
}

static int load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    if ((size_t)(end - *p) < sizeof(sum_state)) return -1;
    memcpy(st, *p, sizeof(sum_state));
    *p += sizeof(sum_state);
    return 0;
}

const sl_agg_def sl_agg_sum = {
    .name = "sum", .resolve = resolve_sum, .state_size = state_size, .init = init,
    .update = update, .finalize = finalize_sum, .save = save, .load = load, .merge = merge};

const sl_agg_def sl_agg_avg = {
    .name = "avg", .resolve = resolve_avg, .state_size = state_size, .init = init,
    .update = update, .finalize = finalize_avg, .save = save, .load = load, .merge = merge};
