/* min(x) and max(x) over every type; strings keep a heap copy of the
 * current extreme (replaced only when a new extreme arrives). NULL for a
 * group with no non-NULL input. Doubles order NaN above everything, as
 * Spark does. */
#include "exec/agg/agg.h"
#include "core/mem.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

typedef struct mm_state {
    int8_t has;
    union { int64_t i; double d; struct { char *p; size_t len; } s; } v;
} mm_state;

static int resolve(sl_type arg, sl_type *out)
{
    *out = arg == SL_TYPE_NULL ? SL_TYPE_STRING : arg;
    return 0;
}

/* Fixed-width values need only the flag and 8 bytes of the union. */
static size_t state_size(sl_type arg)
{
    return arg == SL_TYPE_STRING ? sizeof(mm_state) : offsetof(mm_state, v) + sizeof(int64_t);
}
static void init(void *st, sl_type arg) { memset(st, 0, state_size(arg)); }

static int dcmp(double a, double b)
{
    if (isnan(a)) return isnan(b) ? 0 : 1;
    if (isnan(b)) return -1;
    return (a > b) - (a < b);
}

static int scmp(const char *a, size_t la, const char *b, size_t lb)
{
    int c = memcmp(a, b, la < lb ? la : lb);
    return c ? c : (la > lb) - (la < lb);
}

/* The fixed-width cases, one loop per type and direction (the per-row
 * test of the type and the sign cost more than the update itself). */
#define MM_LOOP(T, field, load, better)                                    \
    for (int64_t i = 0; i < n; i++) {                                      \
        if (valid && !sl_bit_get(valid, i)) continue;                      \
        mm_state *s = (mm_state *)(rows[i] + off);                         \
        T v = load;                                                        \
        if (!s->has || (better)) s->v.field = v;                           \
        s->has = 1;                                                        \
    }

/* sign: -1 for min (replace when smaller), +1 for max */
static int update_sign(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n, int sign)
{
    const uint8_t *valid = arg->validity;
    switch (arg->type) {
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: {
        const int64_t *x = sl_col_i64(arg);
        if (sign < 0) MM_LOOP(int64_t, i, x[i], v < s->v.i)
        else MM_LOOP(int64_t, i, x[i], v > s->v.i)
        return 0;
    }
    case SL_TYPE_INT: case SL_TYPE_DATE: {
        const int32_t *x = sl_col_i32(arg);
        if (sign < 0) MM_LOOP(int64_t, i, x[i], v < s->v.i)
        else MM_LOOP(int64_t, i, x[i], v > s->v.i)
        return 0;
    }
    case SL_TYPE_DOUBLE: {
        const double *x = sl_col_f64(arg);
        if (sign < 0) MM_LOOP(double, d, x[i], dcmp(v, s->v.d) < 0)
        else MM_LOOP(double, d, x[i], dcmp(v, s->v.d) > 0)
        return 0;
    }
    default:
        break;
    }
    for (int64_t i = 0; i < n; i++) {
        if (sl_col_is_null(arg, i)) continue;
        mm_state *s = (mm_state *)(rows[i] + off);
        switch (arg->type) {
        case SL_TYPE_BOOLEAN: {
            int64_t v = sl_col_bool(arg, i);
            if (!s->has || (sign < 0 ? v < s->v.i : v > s->v.i)) s->v.i = v;
            break;
        }
        case SL_TYPE_STRING: {
            size_t len;
            const char *v = sl_col_str(arg, i, &len);
            if (!s->has || scmp(v, len, s->v.s.p, s->v.s.len) * sign > 0) {
                char *c = sl_malloc(len + 1);
                if (!c) return -1;
                memcpy(c, v, len);
                sl_free(s->v.s.p);
                s->v.s.p = c;
                s->v.s.len = len;
            }
            break;
        }
        default:
            continue;
        }
        s->has = 1;
    }
    return 0;
}
#undef MM_LOOP

static int update_min(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n) { return update_sign(rows, off, arg, n, -1); }
static int update_max(uint8_t *const *rows, size_t off, const sl_col *arg, int64_t n) { return update_sign(rows, off, arg, n, 1); }

static int finalize(const void *st, sl_type arg, sl_col *out)
{
    const mm_state *s = st;
    if (!s->has) return sl_col_append_null(out);
    switch (out->type) {
    case SL_TYPE_BOOLEAN: return sl_col_append_bool(out, s->v.i != 0);
    case SL_TYPE_INT: case SL_TYPE_DATE: return sl_col_append_i32(out, (int32_t)s->v.i);
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: return sl_col_append_i64(out, s->v.i);
    case SL_TYPE_DOUBLE: return sl_col_append_f64(out, s->v.d);
    case SL_TYPE_STRING: return sl_col_append_str(out, s->v.s.p, s->v.s.len);
    default: return sl_col_append_null(out);
    }
}

static void save(const void *st, sl_type arg, sl_buf *out)
{
    const mm_state *s = st;
    sl_buf_append(out, &s->has, 1);
    if (!s->has) return;
    if (arg == SL_TYPE_STRING) {
        uint32_t len = (uint32_t)s->v.s.len;
        sl_buf_append(out, &len, 4);
        sl_buf_append(out, s->v.s.p, len);
    } else {
        sl_buf_append(out, &s->v, 8);
    }
}

static int load(void *st, sl_type arg, const uint8_t **p, const uint8_t *end)
{
    mm_state *s = st;
    if (end - *p < 1) return -1;
    s->has = (int8_t)*(*p)++;
    if (!s->has) return 0;
    if (arg == SL_TYPE_STRING) {
        uint32_t len;
        if (end - *p < 4) return -1;
        memcpy(&len, *p, 4);
        *p += 4;
        if ((size_t)(end - *p) < len) return -1;
        s->v.s.p = sl_malloc(len + 1);
        if (!s->v.s.p) return -1;
        memcpy(s->v.s.p, *p, len);
        s->v.s.len = len;
        *p += len;
    } else {
        if (end - *p < 8) return -1;
        memcpy(&s->v, *p, 8);
        *p += 8;
    }
    return 0;
}

/* Folds src's extreme into dst, as update would fold src's input value. */
static int merge_sign(void *dst, const void *src, sl_type arg, int sign)
{
    mm_state *d = dst;
    const mm_state *s = src;
    if (!s->has) return 0;
    switch (arg) {
    case SL_TYPE_DOUBLE:
        if (!d->has || dcmp(s->v.d, d->v.d) * sign > 0) d->v.d = s->v.d;
        break;
    case SL_TYPE_STRING:
        if (!d->has || scmp(s->v.s.p, s->v.s.len, d->v.s.p, d->v.s.len) * sign > 0) {
            char *c = sl_malloc(s->v.s.len + 1);
            if (!c) return -1;
            memcpy(c, s->v.s.p, s->v.s.len);
            sl_free(d->v.s.p);
            d->v.s.p = c;
            d->v.s.len = s->v.s.len;
        }
        break;
    default:
        if (!d->has || (sign < 0 ? s->v.i < d->v.i : s->v.i > d->v.i)) d->v.i = s->v.i;
        break;
    }
    d->has = 1;
    return 0;
}

static int merge_min(void *dst, const void *src, sl_type arg) { return merge_sign(dst, src, arg, -1); }
static int merge_max(void *dst, const void *src, sl_type arg) { return merge_sign(dst, src, arg, 1); }

static void destroy(void *st, sl_type arg)
{
    mm_state *s = st;
    if (arg == SL_TYPE_STRING && s->has) sl_free(s->v.s.p);
}

const sl_agg_def sl_agg_min = {
    .name = "min", .resolve = resolve, .state_size = state_size, .init = init,
    .update = update_min, .finalize = finalize, .save = save, .load = load, .merge = merge_min,
    .destroy = destroy};
const sl_agg_def sl_agg_max = {
    .name = "max", .resolve = resolve, .state_size = state_size, .init = init,
    .update = update_max, .finalize = finalize, .save = save, .load = load, .merge = merge_max,
    .destroy = destroy};
