/* Inside the format subsystem: the parser object shared by format.c (options,
 * mode handling, row rollback, text-to-column conversion) and the two record
 * parsers json.c and csv.c.  Nothing outside src/format includes this. */
#ifndef SL_FORMAT_FORMAT_INT_H
#define SL_FORMAT_FORMAT_INT_H

#include "format/format.h"

#include <stdint.h>
#include <string.h>

/* What the JSON scanner found for one schema column in the current object:
 * a span of the record, not yet converted. */
enum {
    SL_JV_NONE = 0,  /* key absent: NULL */
    SL_JV_NULL,
    SL_JV_STR,       /* span is the string body, without quotes */
    SL_JV_STR_ESC,   /* string body holding escapes */
    SL_JV_NUM,
    SL_JV_TRUE,
    SL_JV_FALSE,
    SL_JV_RAW,       /* a nested object or array: its JSON text */
    SL_JV_NUM_D      /* a number already converted for a DOUBLE column (d) */
};

typedef struct sl_json_slot {
    const char *p;
    uint32_t len;
    uint8_t kind;
    double d;
} sl_json_slot;

#define SL_JSON_KEY_HINTS 64
#define SL_FORMAT_MAX_RECORD (16 * 1024 * 1024)

struct sl_format {
    int is_csv;
    sl_schema *schema;
    bool *skip;          /* schema->n flags: columns the source fills */
    sl_parse_mode mode;
    int corrupt_col;     /* index of the corrupt-record column or -1 */
    char *ts_fmt;        /* timestampFormat, or NULL for Spark's default */
    char *date_fmt;      /* dateFormat, or NULL */
    sl_format_stats stats;
    sl_buf scratch;      /* unescaped strings, reused */
    /* Limits (issue 11): a record longer than max_record bytes
     * ('maxRecordBytes', default SL_FORMAT_MAX_RECORD) or a string field
     * longer than max_chars ('maxCharsPerColumn', -1: only the record's
     * bound) makes the record malformed, handled per mode. */
    int64_t max_record, max_chars;

    /* row rollback: column lengths at the start of the current record */
    int64_t *save_len, *save_nulls;
    size_t *save_chars;
    /* Largest length each column reached in a batch so far: a fresh batch
     * is reserved to that size at once instead of growing by doubling. */
    int64_t *hint_rows;
    size_t *hint_chars;

    /* JSON */
    sl_json_slot *slots;
    uint32_t *name_len;  /* strlen of each schema name, for key matching */
    int key_hint[SL_JSON_KEY_HINTS];  /* column last seen for the k-th key */

    /* CSV */
    char sep, quote, esc;
    char *null_value;
    size_t null_value_len;
    bool *mapped;        /* schema column has a field in the current map */
    bool header, expect_header;
    int *field_col;      /* field position -> schema column, or -1 */
    int n_field_col, cap_field_col;
    const char **fld_p;  /* field spans of the current record */
    size_t *fld_len;
    uint8_t *fld_quoted; /* 1: quoted, 2: quoted with escapes to undo */
    int cap_fld;
};

/* Appends without the call when the column has room: the per-field cost
 * of the readers' hot loops (json.c, csv.c, format.c).  Same effect as
 * sl_col_append_*, which they fall back to when the buffers must grow. */
static inline int sl_fmt_app_f64(sl_col *col, double v)
{
    if ((size_t)col->len >= col->cap) return sl_col_append_f64(col, v);
    ((double *)col->data)[col->len] = v;
    if (col->validity) sl_bit_set(col->validity, col->len);
    col->len++;
    return 0;
}

static inline int sl_fmt_app_i32(sl_col *col, int32_t v)
{
    if ((size_t)col->len >= col->cap) return sl_col_append_i32(col, v);
    ((int32_t *)col->data)[col->len] = v;
    if (col->validity) sl_bit_set(col->validity, col->len);
    col->len++;
    return 0;
}

static inline int sl_fmt_app_i64(sl_col *col, int64_t v)
{
    if ((size_t)col->len >= col->cap) return sl_col_append_i64(col, v);
    ((int64_t *)col->data)[col->len] = v;
    if (col->validity) sl_bit_set(col->validity, col->len);
    col->len++;
    return 0;
}

static inline int sl_fmt_app_str(sl_col *col, const char *p, size_t n)
{
    if ((size_t)col->len >= col->cap || col->chars_len + n > col->chars_cap)
        return sl_col_append_str(col, p, n);
    /* An empty string into a column with no character buffer yet: chars
     * is NULL, and memcpy must not see it even for 0 bytes (UBSan). */
    if (n) memcpy(col->chars + col->chars_len, p, n);
    col->chars_len += n;
    ((int32_t *)col->data)[col->len + 1] = (int32_t)col->chars_len;
    if (col->validity) sl_bit_set(col->validity, col->len);
    col->len++;
    return 0;
}

/* A record over max_record bytes: malformed per mode, without copying it
 * whole into the corrupt-record column (only its first kilobyte, or
 * max_record bytes if less). */
sl_status sl_format_oversize(sl_format *f, const char *rec, size_t len,
                             sl_batch *out, int64_t *rows, sl_error *err);

/* Remembers every column's length so a malformed record can be undone. */
void sl_format_save(sl_format *f, sl_batch *out);
/* Drops rows appended since sl_format_save. */
void sl_format_rollback(sl_format *f, sl_batch *out);
/* Handles a malformed record per mode after rolling back what it appended:
 * PERMISSIVE appends one row of NULLs with the raw text in the corrupt
 * column, DROPMALFORMED appends nothing, FAILFAST returns SL_ERR_FORMAT.
 * Adds the rows appended to *rows. */
sl_status sl_format_malformed(sl_format *f, const char *rec, size_t len,
                              sl_batch *out, int64_t *rows, sl_error *err);
/* After a record whose fields were appended with some conversion failures:
 * keeps the row (PERMISSIVE, setting the corrupt column) or rolls back. */
sl_status sl_format_partial(sl_format *f, const char *rec, size_t len,
                            sl_batch *out, int64_t *rows, sl_error *err);
/* Appends text s (unquoted, unescaped) converted to column c's type.
 * Returns 0, 1 when the text does not convert (a NULL was appended), or -1
 * on OOM. */
int sl_format_append_text(sl_format *f, int c, sl_col *col, const char *s, size_t n);
/* Appends NULL to the corrupt column (if any) for a good row. */
int sl_format_corrupt_ok(sl_format *f, sl_batch *out);

sl_status sl_format_json_parse(sl_format *f, const char *rec, size_t len,
                               sl_batch *out, int64_t *out_rows, sl_error *err);
sl_status sl_format_csv_parse(sl_format *f, const char *rec, size_t len,
                              sl_batch *out, int64_t *out_rows, sl_error *err);
int sl_format_csv_init(sl_format *f, const sl_options *opts, sl_error *err);
void sl_format_csv_fini(sl_format *f);

#endif
