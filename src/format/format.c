/* Record formats, the common part: sl_format_new reads the options shared by
 * JSON and CSV (mode, corrupt-record column, timestamp format), dispatches
 * each record to json.c or csv.c, and implements what both need — converting
 * a field's text to its column's type with Spark's rules, and undoing the
 * rows of a record that turns out malformed so that DROPMALFORMED and
 * FAILFAST leave the batch as it was.  Sources call it once per line or
 * message, between the source's read and the batch handed to the plan. */
#include "format/format_int.h"

#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <string.h>
#include <strings.h>

static sl_status parse_mode(const char *s, sl_parse_mode *out, sl_error *err)
{
    if (!s || !strcasecmp(s, "PERMISSIVE")) *out = SL_MODE_PERMISSIVE;
    else if (!strcasecmp(s, "DROPMALFORMED")) *out = SL_MODE_DROPMALFORMED;
    else if (!strcasecmp(s, "FAILFAST")) *out = SL_MODE_FAILFAST;
    else
        return sl_err(err, SL_ERR_CONFIG,
                      "option 'mode': '%s' is not PERMISSIVE, DROPMALFORMED or FAILFAST", s);
    return SL_OK;
}

sl_status sl_format_new(const char *format, const sl_schema *schema,
                        const bool *skip, const sl_options *opts,
                        sl_format **out, sl_error *err)
{
    *out = NULL;
    int is_csv;
    if (!strcasecmp(format, "json")) is_csv = 0;
    else if (!strcasecmp(format, "csv")) is_csv = 1;
    else return sl_err(err, SL_ERR_CONFIG, "unknown format '%s' (expected json or csv)", format);
    sl_options empty;
    sl_options_init(&empty);
    if (!opts) opts = &empty;
    sl_parse_mode mode = SL_MODE_PERMISSIVE;
    sl_status st = parse_mode(sl_options_get(opts, "mode"), &mode, err);
    if (st) return st;

    int64_t max_record, max_chars;
    if ((st = sl_options_get_i64(opts, "maxRecordBytes", SL_FORMAT_MAX_RECORD, &max_record, err)) ||
        (st = sl_options_get_i64(opts, "maxCharsPerColumn", -1, &max_chars, err)))
        return st;
    if (max_record < 1 || max_record > INT32_MAX)
        return sl_err(err, SL_ERR_CONFIG, "option 'maxRecordBytes' must be between 1 and %d", INT32_MAX);
    if (max_chars < -1 || max_chars == 0)
        return sl_err(err, SL_ERR_CONFIG, "option 'maxCharsPerColumn' must be positive (or -1: no limit)");

    sl_format *f = sl_calloc(1, sizeof *f);
    if (!f) return sl_err_oom(err);
    f->is_csv = is_csv;
    f->mode = mode;
    f->max_record = max_record;
    f->max_chars = max_chars;
    f->corrupt_col = -1;
    sl_buf_init(&f->scratch);
    int n = schema->n;
    f->schema = sl_schema_new(n);
    f->skip = sl_calloc((size_t)n + 1, sizeof *f->skip);
    f->save_len = sl_calloc((size_t)n + 1, sizeof *f->save_len);
    f->save_nulls = sl_calloc((size_t)n + 1, sizeof *f->save_nulls);
    f->save_chars = sl_calloc((size_t)n + 1, sizeof *f->save_chars);
    f->slots = sl_calloc((size_t)n + 1, sizeof *f->slots);
    f->hint_rows = sl_calloc((size_t)n + 1, sizeof *f->hint_rows);
    f->hint_chars = sl_calloc((size_t)n + 1, sizeof *f->hint_chars);
    f->name_len = sl_calloc((size_t)n + 1, sizeof *f->name_len);
    if (!f->schema || !f->skip || !f->save_len || !f->save_nulls || !f->save_chars || !f->slots ||
        !f->name_len || !f->hint_rows || !f->hint_chars)
        goto oom;
    for (int i = 0; i < n; i++) {
        if (sl_schema_set(f->schema, i, schema->fields[i].name, schema->fields[i].type)) goto oom;
        f->name_len[i] = (uint32_t)strlen(schema->fields[i].name);
        f->skip[i] = skip ? skip[i] : false;
    }
    for (int k = 0; k < SL_JSON_KEY_HINTS; k++) f->key_hint[k] = -1;
    const char *cname = sl_options_get_or(opts, "columnNameOfCorruptRecord", "_corrupt_record");
    for (int i = 0; i < n; i++)
        if (!f->skip[i] && !strcmp(schema->fields[i].name, cname)) {
            if (schema->fields[i].type != SL_TYPE_STRING) {
                sl_format_free(f);
                return sl_err(err, SL_ERR_CONFIG,
                              "the corrupt-record column '%s' must be STRING", cname);
            }
            f->corrupt_col = i;
        }
    const char *tf = sl_options_get(opts, "timestampFormat");
    const char *df = sl_options_get(opts, "dateFormat");
    if (tf && !(f->ts_fmt = sl_strdup(tf))) goto oom;
    if (df && !(f->date_fmt = sl_strdup(df))) goto oom;
    if (is_csv && sl_format_csv_init(f, opts, err)) {
        st = err ? err->code : SL_ERR_CONFIG;
        sl_format_free(f);
        return st;
    }
    *out = f;
    return SL_OK;
oom:
    sl_format_free(f);
    return sl_err_oom(err);
}

void sl_format_free(sl_format *f)
{
    if (!f) return;
    if (f->is_csv) sl_format_csv_fini(f);
    sl_schema_free(f->schema);
    sl_free(f->skip);
    sl_free(f->save_len);
    sl_free(f->save_nulls);
    sl_free(f->save_chars);
    sl_free(f->slots);
    sl_free(f->name_len);
    sl_free(f->hint_rows);
    sl_free(f->hint_chars);
    sl_free(f->ts_fmt);
    sl_free(f->date_fmt);
    sl_buf_fini(&f->scratch);
    sl_free(f);
}

sl_status sl_format_parse(sl_format *f, const char *rec, size_t len,
                          sl_batch *out, int64_t *out_rows, sl_error *err)
{
    int64_t rows = 0;
    sl_status st = f->is_csv ? sl_format_csv_parse(f, rec, len, out, &rows, err)
                             : sl_format_json_parse(f, rec, len, out, &rows, err);
    f->stats.rows += rows;
    if (out_rows) *out_rows = rows;
    return st;
}

sl_status sl_format_parse_oversized(sl_format *f, const char *head, size_t len,
                                    sl_batch *out, int64_t *out_rows, sl_error *err)
{
    int64_t rows = 0;
    f->stats.records++;
    sl_format_save(f, out);
    sl_status st = sl_format_oversize(f, head, len, out, &rows, err);
    f->stats.rows += rows;
    if (out_rows) *out_rows = rows;
    return st;
}

void sl_format_begin_file(sl_format *f)
{
    if (f->is_csv && f->header) f->expect_header = true;
}

const sl_format_stats *sl_format_get_stats(const sl_format *f)
{
    return &f->stats;
}

/* ---- shared by json.c and csv.c ------------------------------------------ */

/* Tracks the largest size each column reached, and sizes a fresh batch
 * like the last one. */
static void size_hints(sl_format *f, sl_batch *out)
{
    for (int i = 0; i < out->n_cols; i++) {
        sl_col *col = out->cols[i];
        if (col->len > f->hint_rows[i]) {
            f->hint_rows[i] = col->len;
            f->hint_chars[i] = col->chars_len;
        } else if (col->len == 0 && (int64_t)col->cap < f->hint_rows[i] && !f->skip[i]) {
            /* A fresh batch: size it like the last one (capped; failure
             * only means the appends grow it instead). */
            int64_t rows = f->hint_rows[i] < (1 << 20) ? f->hint_rows[i] : (1 << 20);
            size_t chars = f->hint_chars[i] < ((size_t)1 << 28) ? f->hint_chars[i] : ((size_t)1 << 28);
            (void)sl_col_reserve(col, rows + 1, chars + 64);
        }
    }
}

void sl_format_save(sl_format *f, sl_batch *out)
{
    /* The sizes matter only at a batch's start and while it grows past the
     * largest batch so far: the first column stands for the others. */
    if (out->n_cols && (out->cols[0]->len == 0 || out->cols[0]->len > f->hint_rows[0])) size_hints(f, out);
    for (int i = 0; i < out->n_cols; i++) {
        sl_col *col = out->cols[i];
        f->save_len[i] = col->len;
        f->save_nulls[i] = col->null_count;
        f->save_chars[i] = col->chars_len;
    }
}

void sl_format_rollback(sl_format *f, sl_batch *out)
{
    for (int i = 0; i < out->n_cols; i++) {
        if (f->skip[i]) continue;
        sl_col *col = out->cols[i];
        col->len = f->save_len[i];
        col->null_count = f->save_nulls[i];
        col->chars_len = f->save_chars[i];
    }
}

static sl_status append_null_row(sl_format *f, const char *rec, size_t len, sl_batch *out)
{
    for (int i = 0; i < out->n_cols; i++) {
        if (f->skip[i]) continue;
        int rc = i == f->corrupt_col ? sl_col_append_str(out->cols[i], rec, len)
                                     : sl_col_append_null(out->cols[i]);
        if (rc) {
            sl_format_rollback(f, out);
            return SL_ERR_NOMEM;
        }
    }
    return SL_OK;
}

sl_status sl_format_malformed(sl_format *f, const char *rec, size_t len,
                              sl_batch *out, int64_t *rows, sl_error *err)
{
    sl_format_rollback(f, out);
    f->stats.malformed++;
    switch (f->mode) {
    case SL_MODE_PERMISSIVE:
        if (append_null_row(f, rec, len, out)) return sl_err_oom(err);
        *rows = 1;
        return SL_OK;
    case SL_MODE_DROPMALFORMED:
        f->stats.dropped++;
        *rows = 0;
        return SL_OK;
    case SL_MODE_FAILFAST:
    default:
        *rows = 0;
        f->stats.dropped++;
        return sl_err(err, SL_ERR_FORMAT,
                      "malformed record in FAILFAST mode (record %lld): %.*s%s",
                      (long long)f->stats.records, len > 200 ? 200 : (int)len, rec,
                      len > 200 ? "…" : "");
    }
}

sl_status sl_format_oversize(sl_format *f, const char *rec, size_t len,
                             sl_batch *out, int64_t *rows, sl_error *err)
{
    if (f->mode == SL_MODE_FAILFAST) {
        f->stats.malformed++;
        f->stats.dropped++;
        *rows = 0;
        return sl_err(err, SL_ERR_FORMAT,
                      "record %lld is %zu bytes, over the limit maxRecordBytes = %lld (FAILFAST)",
                      (long long)f->stats.records, len, (long long)f->max_record);
    }
    size_t keep = len > 1024 ? 1024 : len;
    if ((int64_t)keep > f->max_record) keep = (size_t)f->max_record;
    return sl_format_malformed(f, rec, keep, out, rows, err);
}

sl_status sl_format_partial(sl_format *f, const char *rec, size_t len,
                            sl_batch *out, int64_t *rows, sl_error *err)
{
    if (f->mode != SL_MODE_PERMISSIVE) return sl_format_malformed(f, rec, len, out, rows, err);
    f->stats.malformed++;
    if (f->corrupt_col >= 0 && sl_col_append_str(out->cols[f->corrupt_col], rec, len)) {
        sl_format_rollback(f, out);
        return sl_err_oom(err);
    }
    *rows = 1;
    return SL_OK;
}

int sl_format_corrupt_ok(sl_format *f, sl_batch *out)
{
    return f->corrupt_col >= 0 ? sl_col_append_null(out->cols[f->corrupt_col]) : 0;
}

int sl_format_append_text(sl_format *f, int c, sl_col *col, const char *s, size_t n)
{
    switch (col->type) {
    case SL_TYPE_STRING:
        return sl_fmt_app_str(col, s, n);
    case SL_TYPE_INT: {
        int32_t v;
        if (sl_text_to_i32(s, n, &v)) return sl_fmt_app_i32(col, v);
        break;
    }
    case SL_TYPE_BIGINT: {
        int64_t v;
        if (sl_text_to_i64(s, n, &v)) return sl_fmt_app_i64(col, v);
        break;
    }
    case SL_TYPE_DOUBLE: {
        double v;
        if (sl_text_to_f64(s, n, &v)) return sl_fmt_app_f64(col, v);
        break;
    }
    case SL_TYPE_BOOLEAN: {
        bool v;
        /* Spark's readers take only true/false for a boolean field. */
        if ((n == 4 && !strncasecmp(s, "true", 4)) || (n == 5 && !strncasecmp(s, "false", 5))) {
            v = n == 4;
            return sl_col_append_bool(col, v);
        }
        break;
    }
    case SL_TYPE_TIMESTAMP: {
        int64_t v;
        bool ok;
        if (f->ts_fmt) {
            ok = sl_text_to_timestamp_fmt(s, n, f->ts_fmt, &v);
            /* Spark falls back to its default parser when the pattern fails. */
            if (!ok) ok = sl_text_to_timestamp(s, n, &v);
        } else {
            ok = sl_text_to_timestamp(s, n, &v);
        }
        if (ok) return sl_fmt_app_i64(col, v);
        break;
    }
    case SL_TYPE_DATE: {
        int32_t v;
        bool ok = false;
        if (f->date_fmt) {
            int64_t us;
            if (sl_text_to_timestamp_fmt(s, n, f->date_fmt, &us)) {
                int64_t d = us / 86400000000LL - (us % 86400000000LL < 0);
                v = (int32_t)d;
                ok = true;
            }
        }
        if (!ok) ok = sl_text_to_date(s, n, &v);
        if (ok) return sl_col_append_i32(col, v);
        break;
    }
    default:
        break;
    }
    return sl_col_append_null(col) ? -1 : 1;
}
