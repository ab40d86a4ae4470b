/* Math and conditional kernels: abs, round (HALF_UP on the decimal value
 * Spark sees, so round(2.675, 2) is 2.68 as in Spark, not 2.67 as binary
 * arithmetic would give), floor, ceil, sqrt, exp, ln/log, pow, and the
 * NULL-aware selectors coalesce, greatest, least and nullif, which resolve
 * to the common type of their arguments.  Errors in the domain (ln of a
 * non-positive number) give NULL as Spark does; nothing here fails except
 * allocation. */
#include "exec/fn_int.h"

#include "core/textconv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KERNEL(name)                                                                     \
    static sl_status name(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,  \
                          const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)

/* ---- abs, floor, ceil --------------------------------------------------- */

KERNEL(k_abs)
{
    sl_col *o = sl_fn_new_result(ret, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        switch (ret) {
        case SL_TYPE_INT: {
            int32_t v = sl_col_i32(args[0])[i];
            /* Java: abs(Integer.MIN_VALUE) stays negative */
            sl_col_i32(o)[i] = v < 0 ? (int32_t)(0u - (uint32_t)v) : v;
            break;
        }
        case SL_TYPE_BIGINT: {
            int64_t v = sl_col_i64(args[0])[i];
            sl_col_i64(o)[i] = v < 0 ? (int64_t)(0ull - (uint64_t)v) : v;
            break;
        }
        default:
            sl_col_f64(o)[i] = fabs(sl_col_f64(args[0])[i]);
        }
    }
    *out = o;
    return SL_OK;
}

static int64_t d2l(double d)
{
    if (d != d) return 0;
    if (d >= 9223372036854775807.0) return INT64_MAX;
    if (d <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)d;
}

static sl_status floor_ceil(sl_col *const *args, int64_t n_rows, bool up, sl_col **out,
                            sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_BIGINT, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    int64_t *d = sl_col_i64(o);
    for (int64_t i = 0; i < n_rows; i++) {
        switch (args[0]->type) {
        case SL_TYPE_INT: d[i] = sl_col_i32(args[0])[i]; break;
        case SL_TYPE_BIGINT: d[i] = sl_col_i64(args[0])[i]; break;
        default: {
            double v = sl_col_f64(args[0])[i];
            d[i] = d2l(up ? ceil(v) : floor(v));
        }
        }
    }
    *out = o;
    return SL_OK;
}

KERNEL(k_floor) { return floor_ceil(args, n_rows, false, out, err); }
KERNEL(k_ceil) { return floor_ceil(args, n_rows, true, out, err); }

/* ---- round -------------------------------------------------------------- */

/* HALF_UP rounding of the shortest decimal form of x to d places (what
 * Scala's BigDecimal(x).setScale(d, HALF_UP) computes). */
static double round_half_up(double x, int d)
{
    if (!isfinite(x) || x == 0) return x;
    char tmp[40], dg[24];
    int e = 0, nd = 0;
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, fabs(x));
        if (strtod(tmp, NULL) == fabs(x) || prec == 17) {
            char *p = tmp;
            for (; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9') dg[nd++] = *p;
            e = atoi(p + 1);
            break;
        }
    }
    /* value = 0.dg × 10^(e+1); keep k digits */
    int k = e + 1 + d;
    if (k >= nd) return x;
    if (k < 0) return x < 0 ? -0.0 : 0.0;
    uint64_t q = 0;
    for (int j = 0; j < k; j++) q = q * 10 + (uint64_t)(dg[j] - '0');
    if (dg[k] >= '5') q++;
    snprintf(tmp, sizeof tmp, "%llue%d", (unsigned long long)q, -d);
    double r = strtod(tmp, NULL);
    return x < 0 ? -r : r;
}

static int64_t round_int(int64_t v, int d)
{
    if (d >= 0) return v;
    if (d < -18) return 0;
    int64_t p = 1;
    for (int j = 0; j < -d; j++) p *= 10;
    int64_t q = v / p, r = v % p;
    if (r < 0 ? -r * 2 >= p : r * 2 >= p) q += v < 0 ? -1 : 1;
    return q * p;
}

KERNEL(k_round)
{
    sl_col *o = sl_fn_new_result(ret, n_rows, args, n_args);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(o, i)) continue;
        int d = n_args > 1 ? sl_col_i32(args[1])[i] : 0;
        switch (ret) {
        case SL_TYPE_INT: sl_col_i32(o)[i] = (int32_t)round_int(sl_col_i32(args[0])[i], d); break;
        case SL_TYPE_BIGINT: sl_col_i64(o)[i] = round_int(sl_col_i64(args[0])[i], d); break;
        default: sl_col_f64(o)[i] = round_half_up(sl_col_f64(args[0])[i], d);
        }
    }
    *out = o;
    return SL_OK;
}

/* ---- double -> double ----------------------------------------------------- */

typedef enum { M_SQRT, M_EXP, M_LN, M_LOG, M_POW } mop;

static sl_status dmath(sl_col *const *args, int n_args, int64_t n_rows, mop op, sl_col **out,
                       sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_DOUBLE, n_rows, args, n_args);
    if (!o) return sl_err_oom(err);
    double *d = sl_col_f64(o);
    const double *a = sl_col_f64(args[0]);
    const double *b = n_args > 1 ? sl_col_f64(args[1]) : NULL;
    for (int64_t i = 0; i < n_rows; i++) {
        switch (op) {
        case M_SQRT: d[i] = sqrt(a[i]); break;
        case M_EXP: d[i] = exp(a[i]); break;
        case M_POW: d[i] = pow(a[i], b[i]); break;
        case M_LN:
        case M_LOG: {
            /* log(x) is ln; log(base, x) divides; Spark gives NULL for
             * non-positive input */
            double x = b ? b[i] : a[i];
            double base = b ? a[i] : M_E;
            if (sl_col_is_null(o, i)) break;
            if (x <= 0 || base <= 0) {
                if (sl_col_set_null(o, i)) { sl_col_unref(o); return sl_err_oom(err); }
                break;
            }
            d[i] = b ? log(x) / log(base) : log(x);
        }
        }
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
}

KERNEL(k_sqrt) { return dmath(args, n_args, n_rows, M_SQRT, out, err); }
KERNEL(k_exp) { return dmath(args, n_args, n_rows, M_EXP, out, err); }
KERNEL(k_ln) { return dmath(args, n_args, n_rows, M_LN, out, err); }
KERNEL(k_log) { return dmath(args, n_args, n_rows, M_LOG, out, err); }
KERNEL(k_pow) { return dmath(args, n_args, n_rows, M_POW, out, err); }

/* ---- selectors ------------------------------------------------------------ */

/* Compares row i of two columns of the same type. NaN sorts above every
 * number, as in Spark. */
static int cmp_row(const sl_col *a, const sl_col *b, int64_t i)
{
    switch (a->type) {
    case SL_TYPE_BOOLEAN: return (int)sl_col_bool(a, i) - (int)sl_col_bool(b, i);
    case SL_TYPE_INT: case SL_TYPE_DATE: {
        int32_t x = sl_col_i32(a)[i], y = sl_col_i32(b)[i];
        return (x > y) - (x < y);
    }
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: {
        int64_t x = sl_col_i64(a)[i], y = sl_col_i64(b)[i];
        return (x > y) - (x < y);
    }
    case SL_TYPE_DOUBLE: {
        double x = sl_col_f64(a)[i], y = sl_col_f64(b)[i];
        if (x != x) return y != y ? 0 : 1;
        if (y != y) return -1;
        return (x > y) - (x < y);
    }
    case SL_TYPE_STRING: {
        size_t la, lb;
        const char *sa = sl_col_str(a, i, &la), *sb = sl_col_str(b, i, &lb);
        int c = memcmp(sa, sb, la < lb ? la : lb);
        return c ? c : (la > lb) - (la < lb);
    }
    default: return 0;
    }
}

typedef enum { S_COALESCE, S_GREATEST, S_LEAST, S_NULLIF } sel;

static sl_status select_rows(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                             sel how, sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new(ret);
    size_t chars = 0;
    if (ret == SL_TYPE_STRING)
        for (int a = 0; a < n_args; a++) chars += args[a]->chars_len / (size_t)n_args + 1;
    if (!o || sl_col_reserve(o, n_rows, chars)) goto oom;
    for (int64_t i = 0; i < n_rows; i++) {
        int pick = -1;
        switch (how) {
        case S_COALESCE:
            for (int a = 0; a < n_args && pick < 0; a++)
                if (!sl_col_is_null(args[a], i) && args[a]->type != SL_TYPE_NULL) pick = a;
            break;
        case S_GREATEST:
        case S_LEAST:
            for (int a = 0; a < n_args; a++) {
                if (sl_col_is_null(args[a], i) || args[a]->type == SL_TYPE_NULL) continue;
                if (pick < 0) { pick = a; continue; }
                int c = cmp_row(args[a], args[pick], i);
                if (how == S_GREATEST ? c > 0 : c < 0) pick = a;
            }
            break;
        case S_NULLIF:
            if (sl_col_is_null(args[0], i)) break;
            pick = 0;
            if (!sl_col_is_null(args[1], i) && args[1]->type != SL_TYPE_NULL &&
                cmp_row(args[0], args[1], i) == 0)
                pick = -1;
            break;
        }
        if (pick < 0 ? sl_col_append_null(o) : sl_col_append_from(o, args[pick], i)) goto oom;
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

KERNEL(k_coalesce) { return select_rows(args, n_args, n_rows, ret, S_COALESCE, out, err); }
KERNEL(k_greatest) { return select_rows(args, n_args, n_rows, ret, S_GREATEST, out, err); }
KERNEL(k_least) { return select_rows(args, n_args, n_rows, ret, S_LEAST, out, err); }
KERNEL(k_nullif) { return select_rows(args, n_args, n_rows, ret, S_NULLIF, out, err); }

/* ---- resolvers ---------------------------------------------------------- */

#define RESOLVER(name)                                                                    \
    static int name(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,     \
                    char *why, size_t why_len)

/* A numeric argument: numbers keep their type, STRING and NULL become DOUBLE
 * (Spark's implicit cast), anything else is a type error. */
static int numeric_arg(const sl_type *args, int i, sl_type *want, const char *fname, char *why,
                       size_t why_len)
{
    sl_type t = args[i];
    if (sl_type_is_numeric(t)) { want[i] = t; return 0; }
    if (t == SL_TYPE_STRING || t == SL_TYPE_NULL) { want[i] = SL_TYPE_DOUBLE; return 0; }
    snprintf(why, why_len, "%s() takes a number as argument %d, not %s", fname, i + 1,
             sl_type_name(t));
    return -1;
}

RESOLVER(r_abs)
{
    if (numeric_arg(args, 0, want, "abs", why, why_len)) return -1;
    *out_ret = want[0];
    return 0;
}

RESOLVER(r_floor_ceil)
{
    if (numeric_arg(args, 0, want, "floor/ceil", why, why_len)) return -1;
    *out_ret = SL_TYPE_BIGINT;
    return 0;
}

RESOLVER(r_round)
{
    if (numeric_arg(args, 0, want, "round", why, why_len)) return -1;
    if (n_args > 1) {
        if (!sl_type_is_integral(args[1]) && args[1] != SL_TYPE_NULL) {
            snprintf(why, why_len, "round() takes an integer scale, not %s", sl_type_name(args[1]));
            return -1;
        }
        want[1] = SL_TYPE_INT;
    }
    *out_ret = want[0];
    return 0;
}

RESOLVER(r_double)
{
    for (int i = 0; i < n_args; i++) {
        if (numeric_arg(args, i, want, "this function", why, why_len)) return -1;
        want[i] = SL_TYPE_DOUBLE;
    }
    *out_ret = SL_TYPE_DOUBLE;
    return 0;
}

static int common(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                  const char *fname, char *why, size_t why_len)
{
    sl_type t;
    if (sl_fn_common_type(args, n_args, &t, fname, why, why_len)) return -1;
    for (int i = 0; i < n_args; i++) want[i] = t;
    *out_ret = t;
    return 0;
}

/* coalesce widens as Spark's findWiderCommonType: beyond the numeric and
 * date/time rules, a STRING with numbers, dates or timestamps (not
 * BOOLEAN) makes everything STRING (stringPromotion): coalesce(s, 0) is a
 * STRING. greatest and least do not promote strings, as in Spark. */
RESOLVER(r_coalesce)
{
    bool has_str = false, has_bool = false;
    for (int i = 0; i < n_args; i++) {
        has_str |= args[i] == SL_TYPE_STRING;
        has_bool |= args[i] == SL_TYPE_BOOLEAN;
    }
    if (has_str && !has_bool) {
        for (int i = 0; i < n_args; i++) want[i] = SL_TYPE_STRING;
        *out_ret = SL_TYPE_STRING;
        return 0;
    }
    return common(args, n_args, want, out_ret, "coalesce", why, why_len);
}
RESOLVER(r_greatest) { return common(args, n_args, want, out_ret, "greatest", why, why_len); }
RESOLVER(r_least) { return common(args, n_args, want, out_ret, "least", why, why_len); }
RESOLVER(r_nullif) { return common(args, n_args, want, out_ret, "nullif", why, why_len); }

const sl_func_def sl_fn_math_defs[] = {
    {"abs", 1, 1, 0, r_abs, k_abs, NULL},
    {"round", 1, 2, SL_FN_CONST_ARG1, r_round, k_round, NULL},
    {"floor", 1, 1, 0, r_floor_ceil, k_floor, NULL},
    {"ceil", 1, 1, 0, r_floor_ceil, k_ceil, NULL},
    {"ceiling", 1, 1, 0, r_floor_ceil, k_ceil, NULL},
    {"sqrt", 1, 1, 0, r_double, k_sqrt, NULL},
    {"exp", 1, 1, 0, r_double, k_exp, NULL},
    {"ln", 1, 1, 0, r_double, k_ln, NULL},
    {"log", 1, 2, 0, r_double, k_log, NULL},
    {"pow", 2, 2, 0, r_double, k_pow, NULL},
    {"power", 2, 2, 0, r_double, k_pow, NULL},
    {"coalesce", 1, -1, 0, r_coalesce, k_coalesce, NULL},
    {"greatest", 2, -1, 0, r_greatest, k_greatest, NULL},
    {"least", 2, -1, 0, r_least, k_least, NULL},
    {"nullif", 2, 2, 0, r_nullif, k_nullif, NULL},
};
const int sl_fn_math_count = sizeof sl_fn_math_defs / sizeof sl_fn_math_defs[0];
