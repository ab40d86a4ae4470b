/* Date and time kernels: to_timestamp, to_date, from_unixtime,
 * unix_timestamp, current_timestamp, date_format and the field extractors
 * (year … second).  Timestamps are int64 microseconds UTC; the session time
 * zone is UTC, so field extraction is plain civil-calendar arithmetic from
 * textconv.  current_timestamp() and the no-argument unix_timestamp() return
 * the batch's time from the evaluation context, the same for every row, as
 * Spark fixes it per micro-batch. */
#include "exec/fn_int.h"

#include "core/textconv.h"

#include <string.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/* The format argument (a literal) as a NUL-terminated pattern, or NULL when
 * absent or NULL. */
static const char *fmt_arg(sl_col *const *args, int n_args, int idx, int64_t n_rows,
                           char *buf, size_t cap)
{
    if (n_args <= idx || n_rows == 0 || sl_col_is_null(args[idx], 0)) return NULL;
    size_t l;
    const char *s = sl_col_str(args[idx], 0, &l);
    if (l >= cap) l = cap - 1;
    memcpy(buf, s, l);
    buf[l] = 0;
    return buf;
}

/* Parses string row i with an optional pattern into microseconds. */
static bool parse_ts(const sl_col *c, int64_t i, const char *fmt, int64_t *us)
{
    size_t l;
    const char *s = sl_col_str(c, i, &l);
    return fmt ? sl_text_to_timestamp_fmt(s, l, fmt, us) : sl_text_to_timestamp(s, l, us);
}

static sl_status k_to_timestamp(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                const sl_eval_ctx *ctx, void **state, sl_col **out,
                                sl_error *err)
{
    if (args[0]->type == SL_TYPE_TIMESTAMP) { *out = sl_col_ref(args[0]); return SL_OK; }
    char fb[256];
    const char *fmt = fmt_arg(args, n_args, 1, n_rows, fb, sizeof fb);
    sl_col *o = sl_fn_new_result(SL_TYPE_TIMESTAMP, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    int64_t *d = sl_col_i64(o);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(args[0], i)) continue;
        bool ok;
        if (args[0]->type == SL_TYPE_DATE) {
            d[i] = (int64_t)sl_col_i32(args[0])[i] * US_PER_DAY;
            ok = true;
        } else {
            ok = parse_ts(args[0], i, fmt, &d[i]);
        }
        if (!ok && sl_col_set_null(o, i)) { sl_col_unref(o); return sl_err_oom(err); }
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
}

static sl_status k_to_date(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                           const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    if (args[0]->type == SL_TYPE_DATE) { *out = sl_col_ref(args[0]); return SL_OK; }
    char fb[256];
    const char *fmt = fmt_arg(args, n_args, 1, n_rows, fb, sizeof fb);
    sl_col *o = sl_fn_new_result(SL_TYPE_DATE, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    int32_t *d = sl_col_i32(o);
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(args[0], i)) continue;
        bool ok = true;
        if (args[0]->type == SL_TYPE_TIMESTAMP) {
            d[i] = (int32_t)floor_div(sl_col_i64(args[0])[i], US_PER_DAY);
        } else if (fmt) {
            int64_t us;
            if ((ok = parse_ts(args[0], i, fmt, &us))) d[i] = (int32_t)floor_div(us, US_PER_DAY);
        } else {
            size_t l;
            const char *s = sl_col_str(args[0], i, &l);
            ok = sl_text_to_date(s, l, &d[i]);
        }
        if (!ok && sl_col_set_null(o, i)) { sl_col_unref(o); return sl_err_oom(err); }
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
}

static sl_status format_col(const sl_col *ts_us, bool seconds, const char *fmt, int64_t n_rows,
                            sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new(SL_TYPE_STRING);
    if (!o || sl_col_reserve(o, n_rows, (size_t)n_rows * 20)) goto oom;
    char buf[256];
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(ts_us, i)) {
            if (sl_col_append_null(o)) goto oom;
            continue;
        }
        int64_t v = sl_col_i64(ts_us)[i];
        if (seconds) v = v > INT64_MAX / US_PER_SEC ? INT64_MAX
                       : v < INT64_MIN / US_PER_SEC ? INT64_MIN : v * US_PER_SEC;
        size_t n = sl_timestamp_format(v, fmt, buf, sizeof buf);
        if (sl_col_append_str(o, buf, n)) goto oom;
    }
    *out = o;
    return SL_OK;
oom:
    sl_col_unref(o);
    return sl_err_oom(err);
}

static sl_status k_from_unixtime(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                 const sl_eval_ctx *ctx, void **state, sl_col **out,
                                 sl_error *err)
{
    char fb[256];
    const char *fmt = fmt_arg(args, n_args, 1, n_rows, fb, sizeof fb);
    if (n_args > 1 && !fmt) {
        sl_col *o = sl_col_new_nulls(SL_TYPE_STRING, n_rows);
        if (!o) return sl_err_oom(err);
        *out = o;
        return SL_OK;
    }
    return format_col(args[0], true, fmt ? fmt : "yyyy-MM-dd HH:mm:ss", n_rows, out, err);
}

static sl_status k_date_format(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                               const sl_eval_ctx *ctx, void **state, sl_col **out,
                               sl_error *err)
{
    char fb[256];
    const char *fmt = fmt_arg(args, n_args, 1, n_rows, fb, sizeof fb);
    if (!fmt) {
        sl_col *o = sl_col_new_nulls(SL_TYPE_STRING, n_rows);
        if (!o) return sl_err_oom(err);
        *out = o;
        return SL_OK;
    }
    return format_col(args[0], false, fmt, n_rows, out, err);
}

static sl_status k_unix_timestamp(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                                  const sl_eval_ctx *ctx, void **state, sl_col **out,
                                  sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_BIGINT, n_rows, args, n_args > 0 ? 1 : 0);
    if (!o) return sl_err_oom(err);
    int64_t *d = sl_col_i64(o);
    if (n_args == 0) {
        int64_t now = floor_div(ctx ? ctx->batch_ts_us : 0, US_PER_SEC);
        for (int64_t i = 0; i < n_rows; i++) d[i] = now;
        *out = o;
        return SL_OK;
    }
    char fb[256];
    const char *fmt = fmt_arg(args, n_args, 1, n_rows, fb, sizeof fb);
    if (!fmt) fmt = "yyyy-MM-dd HH:mm:ss";
    for (int64_t i = 0; i < n_rows; i++) {
        if (sl_col_is_null(args[0], i)) continue;
        int64_t us = 0;
        bool ok = true;
        switch (args[0]->type) {
        case SL_TYPE_TIMESTAMP: us = sl_col_i64(args[0])[i]; break;
        case SL_TYPE_DATE: us = (int64_t)sl_col_i32(args[0])[i] * US_PER_DAY; break;
        default: ok = parse_ts(args[0], i, fmt, &us); break;
        }
        if (ok) d[i] = floor_div(us, US_PER_SEC);
        else if (sl_col_set_null(o, i)) { sl_col_unref(o); return sl_err_oom(err); }
    }
    sl_col_finish_nulls(o);
    *out = o;
    return SL_OK;
}

static sl_status k_current_timestamp(sl_col *const *args, int n_args, int64_t n_rows,
                                     sl_type ret, const sl_eval_ctx *ctx, void **state,
                                     sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new_sized(SL_TYPE_TIMESTAMP, n_rows, 0);
    if (!o) return sl_err_oom(err);
    int64_t now = ctx ? ctx->batch_ts_us : 0;
    for (int64_t i = 0; i < n_rows; i++) sl_col_i64(o)[i] = now;
    *out = o;
    return SL_OK;
}

/* batch_id(): the id of the micro-batch being run (Spark's foreachBatch
 * batchId), the same for every row of the batch. */
static sl_status k_batch_id(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,
                            const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err)
{
    sl_col *o = sl_col_new_sized(SL_TYPE_BIGINT, n_rows, 0);
    if (!o) return sl_err_oom(err);
    for (int64_t i = 0; i < n_rows; i++) sl_col_i64(o)[i] = ctx ? ctx->batch_id : 0;
    *out = o;
    return SL_OK;
}

static int r_batch_id(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret, char *why, size_t why_len)
{
    *out_ret = SL_TYPE_BIGINT;
    return 0;
}

typedef enum { F_YEAR, F_MONTH, F_DAY, F_HOUR, F_MINUTE, F_SECOND } field;

static sl_status extract(sl_col *const *args, int64_t n_rows, field f, sl_col **out,
                         sl_error *err)
{
    sl_col *o = sl_fn_new_result(SL_TYPE_INT, n_rows, args, 1);
    if (!o) return sl_err_oom(err);
    const int64_t *s = sl_col_i64(args[0]);
    int32_t *d = sl_col_i32(o);
    for (int64_t i = 0; i < n_rows; i++) {
        int64_t us = s[i];
        int64_t days = floor_div(us, US_PER_DAY);
        int64_t sod = floor_div(us - days * US_PER_DAY, US_PER_SEC);
        switch (f) {
        case F_HOUR: d[i] = (int32_t)(sod / 3600); break;
        case F_MINUTE: d[i] = (int32_t)(sod / 60 % 60); break;
        case F_SECOND: d[i] = (int32_t)(sod % 60); break;
        default: {
            int64_t y;
            unsigned m, dd;
            sl_civil_from_days(days, &y, &m, &dd);
            d[i] = (int32_t)(f == F_YEAR ? y : f == F_MONTH ? (int64_t)m : (int64_t)dd);
        }
        }
    }
    *out = o;
    return SL_OK;
}

#define EXTRACT_KERNEL(fname, F)                                                          \
    static sl_status fname(sl_col *const *args, int n_args, int64_t n_rows, sl_type ret,  \
                           const sl_eval_ctx *ctx, void **state, sl_col **out, sl_error *err) \
    {                                                                                     \
        return extract(args, n_rows, F, out, err);                                        \
    }
EXTRACT_KERNEL(k_year, F_YEAR)
EXTRACT_KERNEL(k_month, F_MONTH)
EXTRACT_KERNEL(k_day, F_DAY)
EXTRACT_KERNEL(k_hour, F_HOUR)
EXTRACT_KERNEL(k_minute, F_MINUTE)
EXTRACT_KERNEL(k_second, F_SECOND)

/* ---- resolvers ---------------------------------------------------------- */

static bool timelike(sl_type t)
{
    return t == SL_TYPE_STRING || t == SL_TYPE_TIMESTAMP || t == SL_TYPE_DATE || t == SL_TYPE_NULL;
}

static int want_fmt(const sl_type *args, int n_args, sl_type *want, const char *fname,
                    char *why, size_t why_len)
{
    if (n_args > 1) {
        if (args[1] != SL_TYPE_STRING && args[1] != SL_TYPE_NULL) {
            snprintf(why, why_len, "%s() takes a format STRING as argument 2, not %s", fname,
                     sl_type_name(args[1]));
            return -1;
        }
        want[1] = SL_TYPE_STRING;
    }
    return 0;
}

static int r_to_timestamp(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                          char *why, size_t why_len)
{
    if (!timelike(args[0]) && !sl_type_is_numeric(args[0])) {
        snprintf(why, why_len, "to_timestamp() takes a STRING, DATE or TIMESTAMP, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    /* numbers are seconds since the epoch: the cast does it */
    want[0] = args[0] == SL_TYPE_NULL ? SL_TYPE_STRING
              : sl_type_is_numeric(args[0]) ? SL_TYPE_TIMESTAMP : args[0];
    *out_ret = SL_TYPE_TIMESTAMP;
    return want_fmt(args, n_args, want, "to_timestamp", why, why_len);
}

static int r_to_date(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                     char *why, size_t why_len)
{
    if (!timelike(args[0])) {
        snprintf(why, why_len, "to_date() takes a STRING, DATE or TIMESTAMP, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    want[0] = args[0] == SL_TYPE_NULL ? SL_TYPE_STRING : args[0];
    *out_ret = SL_TYPE_DATE;
    return want_fmt(args, n_args, want, "to_date", why, why_len);
}

static int r_from_unixtime(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                           char *why, size_t why_len)
{
    if (args[0] != SL_TYPE_NULL && !sl_type_is_numeric(args[0]) && args[0] != SL_TYPE_STRING) {
        snprintf(why, why_len, "from_unixtime() takes seconds as a number, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    want[0] = SL_TYPE_BIGINT;
    *out_ret = SL_TYPE_STRING;
    return want_fmt(args, n_args, want, "from_unixtime", why, why_len);
}

static int r_unix_timestamp(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                            char *why, size_t why_len)
{
    *out_ret = SL_TYPE_BIGINT;
    if (n_args == 0) return 0;
    if (!timelike(args[0])) {
        snprintf(why, why_len, "unix_timestamp() takes a STRING, DATE or TIMESTAMP, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    want[0] = args[0] == SL_TYPE_NULL ? SL_TYPE_STRING : args[0];
    return want_fmt(args, n_args, want, "unix_timestamp", why, why_len);
}

static int r_current_timestamp(const sl_type *args, int n_args, sl_type *want,
                               sl_type *out_ret, char *why, size_t why_len)
{
    *out_ret = SL_TYPE_TIMESTAMP;
    return 0;
}

static int r_date_format(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                         char *why, size_t why_len)
{
    if (!timelike(args[0])) {
        snprintf(why, why_len, "date_format() takes a TIMESTAMP, DATE or STRING, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    want[0] = SL_TYPE_TIMESTAMP;
    *out_ret = SL_TYPE_STRING;
    return want_fmt(args, n_args, want, "date_format", why, why_len);
}

static int r_field(const sl_type *args, int n_args, sl_type *want, sl_type *out_ret,
                   char *why, size_t why_len)
{
    if (!timelike(args[0])) {
        snprintf(why, why_len, "this function takes a TIMESTAMP, DATE or STRING, not %s",
                 sl_type_name(args[0]));
        return -1;
    }
    want[0] = SL_TYPE_TIMESTAMP;
    *out_ret = SL_TYPE_INT;
    return 0;
}

const sl_func_def sl_fn_time_defs[] = {
    {"to_timestamp", 1, 2, SL_FN_CONST_ARG1, r_to_timestamp, k_to_timestamp, NULL},
    {"to_date", 1, 2, SL_FN_CONST_ARG1, r_to_date, k_to_date, NULL},
    {"from_unixtime", 1, 2, SL_FN_CONST_ARG1, r_from_unixtime, k_from_unixtime, NULL},
    {"unix_timestamp", 0, 2, SL_FN_CONST_ARG1 | SL_FN_NONDETERMINISTIC, r_unix_timestamp,
     k_unix_timestamp, NULL},
    {"current_timestamp", 0, 0, SL_FN_NONDETERMINISTIC, r_current_timestamp,
     k_current_timestamp, NULL},
    {"now", 0, 0, SL_FN_NONDETERMINISTIC, r_current_timestamp, k_current_timestamp, NULL},
    {"batch_id", 0, 0, SL_FN_NONDETERMINISTIC, r_batch_id, k_batch_id, NULL},
    {"date_format", 2, 2, SL_FN_CONST_ARG1, r_date_format, k_date_format, NULL},
    {"year", 1, 1, 0, r_field, k_year, NULL},
    {"month", 1, 1, 0, r_field, k_month, NULL},
    {"dayofmonth", 1, 1, 0, r_field, k_day, NULL},
    {"day", 1, 1, 0, r_field, k_day, NULL},
    {"hour", 1, 1, 0, r_field, k_hour, NULL},
    {"minute", 1, 1, 0, r_field, k_minute, NULL},
    {"second", 1, 1, 0, r_field, k_second, NULL},
};
const int sl_fn_time_count = sizeof sl_fn_time_defs / sizeof sl_fn_time_defs[0];
