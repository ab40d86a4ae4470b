/* Columns and batches: the unit of data every operator exchanges.
 *
 * A column holds one type's values for a run of rows in the Arrow C data
 * interface layout: a validity bitmap (bit i set = row i is not NULL; the
 * bitmap may be absent when the column has no NULLs), then the values —
 * BOOLEAN as a bitmap, INT/DATE as int32, BIGINT/TIMESTAMP as int64, DOUBLE as
 * double, STRING as int32 offsets (len + 1 of them) plus the bytes.
 *
 * Columns are reference-counted and immutable once built: a projection that
 * passes a column through takes a reference instead of copying.  A column is
 * built either by appending (sl_col_append_*, which grow the buffers) or by
 * allocating `n` rows up front (sl_col_new_sized) and writing the arrays
 * directly, which is what vectorised kernels do.
 *
 * A batch is a reference-counted set of columns with the same row count.  It
 * carries no names: the plan's schema (sl_schema) says what each column is. */
#ifndef SL_CORE_COLUMN_H
#define SL_CORE_COLUMN_H

#include "sluice.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most rows a source or operator puts in one batch: big enough to
 * amortise per-batch work, small enough to stay in cache-friendly sizes. */
#define SL_BATCH_ROWS 16384

typedef struct sl_col {
    int refs;
    sl_type type;
    int64_t len;          /* rows */
    int64_t null_count;
    uint8_t *validity;    /* NULL when null_count == 0 */
    void *data;           /* values; for STRING the int32 offsets */
    char *chars;          /* STRING bytes */
    size_t cap;           /* rows allocated in data/validity */
    size_t chars_len, chars_cap;
} sl_col;

/* Width in bytes of one value of a fixed-width type (0 for BOOLEAN/STRING). */
size_t sl_type_width(sl_type t);
bool sl_type_is_numeric(sl_type t);   /* INT, BIGINT, DOUBLE */
bool sl_type_is_integral(sl_type t);  /* INT, BIGINT */

/* An empty column (len 0) to append to. NULL on OOM. */
sl_col *sl_col_new(sl_type type);
/* A column of n rows, all valid, values uninitialised (zeroed for BOOLEAN);
 * for STRING, offsets are all 0 and `chars_bytes` bytes are reserved. */
sl_col *sl_col_new_sized(sl_type type, int64_t n, size_t chars_bytes);
/* Like sl_col_new_sized for a fixed-width type, but the values are NOT
 * zeroed, and a large column may get the warm buffer of one freed before
 * (column.c says when): for a column whose every value the caller writes. */
sl_col *sl_col_new_reused(sl_type type, int64_t n);
/* A column of n NULLs of the given type. */
sl_col *sl_col_new_nulls(sl_type type, int64_t n);
sl_col *sl_col_ref(sl_col *col);
void sl_col_unref(sl_col *col);

/* Appends. Each returns 0, or -1 on OOM (the column is unchanged). */
int sl_col_append_null(sl_col *col);
int sl_col_append_bool(sl_col *col, bool v);
int sl_col_append_i32(sl_col *col, int32_t v);   /* INT, DATE */
int sl_col_append_i64(sl_col *col, int64_t v);   /* BIGINT, TIMESTAMP */
int sl_col_append_f64(sl_col *col, double v);
int sl_col_append_str(sl_col *col, const char *s, size_t n);
/* Appends row `row` of src (same type), NULL included. */
int sl_col_append_from(sl_col *col, const sl_col *src, int64_t row);
/* Reserves room for n more rows (and chars bytes for strings). */
int sl_col_reserve(sl_col *col, int64_t n, size_t chars_bytes);

/* Marks row i NULL in a column built with sl_col_new_sized (allocates the
 * bitmap on first use). Returns -1 on OOM. */
int sl_col_set_null(sl_col *col, int64_t i);
/* Recounts null_count from the bitmap and drops an all-valid bitmap. */
void sl_col_finish_nulls(sl_col *col);

static inline bool sl_bit_get(const uint8_t *bits, int64_t i)
{
    return (bits[i >> 3] >> (i & 7)) & 1;
}
static inline void sl_bit_set(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}
static inline void sl_bit_clear(uint8_t *bits, int64_t i)
{
    bits[i >> 3] &= (uint8_t)~(1u << (i & 7));
}
static inline bool sl_col_is_null(const sl_col *col, int64_t i)
{
    return col->validity && !sl_bit_get(col->validity, i);
}
static inline int32_t *sl_col_i32(const sl_col *col) { return (int32_t *)col->data; }
static inline int64_t *sl_col_i64(const sl_col *col) { return (int64_t *)col->data; }
static inline double *sl_col_f64(const sl_col *col) { return (double *)col->data; }
static inline int32_t *sl_col_offsets(const sl_col *col) { return (int32_t *)col->data; }
static inline bool sl_col_bool(const sl_col *col, int64_t i)
{
    return sl_bit_get((const uint8_t *)col->data, i);
}
/* String value of row i (not NUL-terminated). */
static inline const char *sl_col_str(const sl_col *col, int64_t i, size_t *out_len)
{
    const int32_t *o = (const int32_t *)col->data;
    *out_len = (size_t)(o[i + 1] - o[i]);
    return col->chars + o[i];
}

/* A new column holding rows sel[0..n) of src, in that order. */
sl_col *sl_col_gather(const sl_col *src, const int32_t *sel, int64_t n);
/* A new column holding rows [start, start+n) of src. */
sl_col *sl_col_slice(const sl_col *src, int64_t start, int64_t n);
/* Appends all rows of src (same type) to col. */
int sl_col_append_col(sl_col *col, const sl_col *src);

/* ---- schema ------------------------------------------------------------- */

typedef struct sl_field {
    char *name;
    sl_type type;
} sl_field;

typedef struct sl_schema {
    int n;
    sl_field *fields;
} sl_schema;

/* Heap-owned schema; names are copied. */
sl_schema *sl_schema_new(int n);
int sl_schema_set(sl_schema *s, int i, const char *name, sl_type type);
/* Keeps the first n fields (frees the names of the rest). */
void sl_schema_truncate(sl_schema *s, int n);
void sl_schema_free(sl_schema *s);
/* Index of the field whose name equals `name` (case-insensitive, as Spark's
 * default resolution), or -1. */
int sl_schema_find(const sl_schema *s, const char *name);

/* ---- batch ------------------------------------------------------------- */

struct sl_batch {
    int refs;
    int n_cols;
    int64_t n_rows;
    sl_col **cols;
};

/* A batch of n_cols empty slots; fill cols[i] (ownership moves in) and set
 * n_rows. */
sl_batch *sl_batch_new(int n_cols);
sl_batch *sl_batch_ref(sl_batch *b);
void sl_batch_unref(sl_batch *b);
/* An empty batch (0 rows) with empty columns of the schema's types. */
sl_batch *sl_batch_new_empty(const sl_schema *s);
/* A batch of builder columns of the schema's types, ready for appends. */
sl_batch *sl_batch_new_builder(const sl_schema *s);
/* When the caller holds the only reference to b and to each of its columns,
 * empties every column (0 rows, no NULLs) keeping its buffers, so the
 * batch can be filled again without allocating, and returns true; else
 * leaves b alone and returns false.  For builders that emit batch after
 * batch of the same schema (io/lines.c). */
bool sl_batch_recycle(sl_batch *b);
/* Sets n_rows from the columns after appending (checks they agree). */
int sl_batch_seal(sl_batch *b);
/* A new batch holding rows sel[0..n) of b. */
sl_batch *sl_batch_gather(const sl_batch *b, const int32_t *sel, int64_t n);
/* Concatenates batches with the same column types into one. */
sl_batch *sl_batch_concat(sl_batch *const *bs, int n, const sl_schema *s);

#endif
