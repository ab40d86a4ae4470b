/* CAST between column types with Spark's non-ANSI rules: what does not
 * convert becomes NULL rather than an error.  Numeric narrowing follows the
 * JVM, as Spark does when ANSI mode is off: DOUBLE to INT/BIGINT truncates
 * toward zero and saturates at the type's bounds (NaN gives 0), BIGINT to
 * INT keeps the low 32 bits.  Timestamps convert to and from numbers as
 * seconds since the epoch.  Each cast is one loop over the column writing
 * a sized output directly; only casts to STRING append (into one growing
 * character buffer, never one allocation per row). */
#include "exec/func.h"

#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int sl_cast_allowed(sl_type from, sl_type to)
{
    if (from == to || from == SL_TYPE_NULL) return 1;
    if (from == SL_TYPE_STRING || to == SL_TYPE_STRING) return 1;
    bool fnum = sl_type_is_numeric(from) || from == SL_TYPE_BOOLEAN;
    bool tnum = sl_type_is_numeric(to) || to == SL_TYPE_BOOLEAN;
    if (fnum && tnum) return 1;
    if (from == SL_TYPE_TIMESTAMP && (tnum || to == SL_TYPE_DATE)) return 1;
    if (to == SL_TYPE_TIMESTAMP && (fnum || from == SL_TYPE_DATE)) return 1;
    /* Spark allows DATE to numbers and BOOLEAN; the value is always NULL. */
    if (from == SL_TYPE_DATE && tnum) return 1;
    return 0;
}

/* A sized output column with the input's NULLs. */
static sl_col *new_like(const sl_col *in, sl_type to)
{
    sl_col *out = sl_col_new_sized(to, in->len, 0);
    if (!out) return NULL;
    if (in->validity && in->null_count) {
        size_t nb = ((size_t)out->cap + 7) / 8;
        out->validity = sl_calloc(1, nb);
        if (!out->validity) { sl_col_unref(out); return NULL; }
        memcpy(out->validity, in->validity, ((size_t)in->len + 7) / 8);
        out->null_count = in->null_count;
    }
    return out;
}

/* Java's (long) of a double: truncation, saturation, NaN -> 0. */
static int64_t d2l(double d)
{
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static int32_t d2i(double d)
{
    if (d != d) return 0;
    if (d >= 2147483647.0) return INT32_MAX;
    if (d <= -2147483648.0) return INT32_MIN;
    return (int32_t)d;
}

/* Reads row i of a numeric-like column as double / int64. */
static double get_f64(const sl_col *in, int64_t i)
{
    switch (in->type) {
    case SL_TYPE_BOOLEAN: return sl_col_bool(in, i) ? 1.0 : 0.0;
    case SL_TYPE_INT: return sl_col_i32(in)[i];
    case SL_TYPE_BIGINT: return (double)sl_col_i64(in)[i];
    case SL_TYPE_DOUBLE: return sl_col_f64(in)[i];
    case SL_TYPE_TIMESTAMP: return (double)sl_col_i64(in)[i] / 1e6;
    default: return 0;
    }
}

static int64_t get_i64(const sl_col *in, int64_t i)
{
    switch (in->type) {
    case SL_TYPE_BOOLEAN: return sl_col_bool(in, i);
    case SL_TYPE_INT: return sl_col_i32(in)[i];
    case SL_TYPE_BIGINT: return sl_col_i64(in)[i];
    case SL_TYPE_DOUBLE: return d2l(sl_col_f64(in)[i]);
    case SL_TYPE_TIMESTAMP: return floor_div(sl_col_i64(in)[i], US_PER_SEC);
    default: return 0;
    }
}

static sl_status to_string(const sl_col *in, sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new(SL_TYPE_STRING);
    if (!o || sl_col_reserve(o, in->len, (size_t)in->len * 12)) goto oom;
    char tmp[SL_TEXT_MAX];
    for (int64_t i = 0; i < in->len; i++) {
        if (sl_col_is_null(in, i)) {
            if (sl_col_append_null(o)) goto oom;
            continue;
        }
        size_t n = 0;
        switch (in->type) {
        case SL_TYPE_BOOLEAN: n = (size_t)sprintf(tmp, "%s", sl_col_bool(in, i) ? "true" : "false"); break;
        case SL_TYPE_INT: n = (size_t)sprintf(tmp, "%d", sl_col_i32(in)[i]); break;
        case SL_TYPE_BIGINT: n = (size_t)sprintf(tmp, "%lld", (long long)sl_col_i64(in)[i]); break;
        case SL_TYPE_DOUBLE: n = sl_f64_to_text(sl_col_f64(in)[i], tmp); break;
        case SL_TYPE_TIMESTAMP: n = sl_timestamp_to_text(sl_col_i64(in)[i], tmp); break;
        case SL_TYPE_DATE: n = sl_date_to_text(sl_col_i32(in)[i], tmp); break;
        default: break;
        }
        if (sl_col_append_str(o, tmp, n)) goto oom;
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

static sl_status from_string(const sl_col *in, sl_type to, sl_col **out, sl_error *err)
{
    sl_col *o = new_like(in, to);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < in->len; i++) {
        if (sl_col_is_null(in, i)) continue;
        size_t n;
        const char *s = sl_col_str(in, i, &n);
        bool ok = false;
        switch (to) {
        case SL_TYPE_BOOLEAN: {
            bool b;
            if ((ok = sl_text_to_bool(s, n, &b)) && b) sl_bit_set(o->data, i);
            break;
        }
        case SL_TYPE_INT: ok = sl_text_to_i32(s, n, &sl_col_i32(o)[i]); break;
        case SL_TYPE_BIGINT: ok = sl_text_to_i64(s, n, &sl_col_i64(o)[i]); break;
        case SL_TYPE_DOUBLE: ok = sl_text_to_f64(s, n, &sl_col_f64(o)[i]); break;
        case SL_TYPE_TIMESTAMP: ok = sl_text_to_timestamp(s, n, &sl_col_i64(o)[i]); break;
        case SL_TYPE_DATE: ok = sl_text_to_date(s, n, &sl_col_i32(o)[i]); break;
        default: break;
        }
        if (!ok && sl_col_set_null(o, i)) { sl_col_unref(o); return sl_err_oom(err); }
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
}

sl_status sl_cast_col(sl_col *in, sl_type to, sl_col **out, sl_error *err)
{
    *out = NULL;
    if (in->type == to) { *out = sl_col_ref(in); return SL_OK; }
    if (!sl_cast_allowed(in->type, to))
        return sl_err(err, SL_ERR_TYPE, "cannot cast %s to %s", sl_type_name(in->type),
                      sl_type_name(to));
    if (in->type == SL_TYPE_NULL || to == SL_TYPE_NULL || in->type == SL_TYPE_DATE) {
        /* DATE to a number is NULL in Spark; only DATE -> TIMESTAMP/STRING
         * carry a value. */
        if (in->type == SL_TYPE_DATE && (to == SL_TYPE_TIMESTAMP || to == SL_TYPE_STRING))
            goto go;
        sl_col *o = sl_col_new_nulls(to, in->len);
        if (!o) return sl_err_oom(err);
        *out = o;
        return SL_OK;
    }
go:
    if (to == SL_TYPE_STRING) return to_string(in, out, err);
    if (in->type == SL_TYPE_STRING) return from_string(in, to, out, err);

    sl_col *o = new_like(in, to);
    if (!o) return sl_err_oom(err);
    int64_t n = in->len;
    switch (to) {
    case SL_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++)
            if (!sl_col_is_null(in, i)) {
                bool b = in->type == SL_TYPE_DOUBLE ? sl_col_f64(in)[i] != 0 : get_i64(in, i) != 0;
                if (in->type == SL_TYPE_TIMESTAMP) b = sl_col_i64(in)[i] != 0;
                if (b) sl_bit_set(o->data, i);
            }
        break;
    case SL_TYPE_INT: {
        int32_t *d = sl_col_i32(o);
        if (in->type == SL_TYPE_DOUBLE) {
            const double *s = sl_col_f64(in);
            for (int64_t i = 0; i < n; i++) d[i] = d2i(s[i]);
        } else {
            for (int64_t i = 0; i < n; i++) d[i] = (int32_t)(uint32_t)(uint64_t)get_i64(in, i);
        }
        break;
    }
    case SL_TYPE_BIGINT: {
        int64_t *d = sl_col_i64(o);
        if (in->type == SL_TYPE_INT) {
            const int32_t *s = sl_col_i32(in);
            for (int64_t i = 0; i < n; i++) d[i] = s[i];
        } else {
            for (int64_t i = 0; i < n; i++) d[i] = get_i64(in, i);
        }
        break;
    }
    case SL_TYPE_DOUBLE: {
        double *d = sl_col_f64(o);
        if (in->type == SL_TYPE_INT) {
            const int32_t *s = sl_col_i32(in);
            for (int64_t i = 0; i < n; i++) d[i] = s[i];
        } else {
            for (int64_t i = 0; i < n; i++) d[i] = get_f64(in, i);
        }
        break;
    }
    case SL_TYPE_TIMESTAMP: {
        int64_t *d = sl_col_i64(o);
        for (int64_t i = 0; i < n; i++) {
            if (sl_col_is_null(in, i)) continue;
            if (in->type == SL_TYPE_DATE) {
                d[i] = (int64_t)sl_col_i32(in)[i] * US_PER_DAY;
            } else if (in->type == SL_TYPE_DOUBLE) {
                double v = sl_col_f64(in)[i] * 1e6;
                if (v != v || v >= 9.2233720368547758e18 || v <= -9.2233720368547758e18) {
                    if (sl_col_set_null(o, i)) goto oom;
                } else {
                    d[i] = (int64_t)v;
                }
            } else {
                /* seconds -> microseconds, saturating as Java's TimeUnit */
                int64_t s = get_i64(in, i);
                d[i] = s > INT64_MAX / US_PER_SEC ? INT64_MAX
                       : s < INT64_MIN / US_PER_SEC ? INT64_MIN : s * US_PER_SEC;
            }
        }
        break;
    }
    case SL_TYPE_DATE: {
        int32_t *d = sl_col_i32(o);
        const int64_t *s = sl_col_i64(in);
        for (int64_t i = 0; i < n; i++) d[i] = (int32_t)floor_div(s[i], US_PER_DAY);
        break;
    }
    default:
        break;
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}
