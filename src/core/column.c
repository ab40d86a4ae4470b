/* Columns, schemas and batches (see column.h for the layout). */
#include "core/column.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

size_t sl_type_width(sl_type t)
{
    switch (t) {
    case SL_TYPE_INT: case SL_TYPE_DATE: return 4;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: case SL_TYPE_DOUBLE: return 8;
    case SL_TYPE_STRING: return 4; /* offsets */
    default: return 0;
    }
}

bool sl_type_is_numeric(sl_type t)
{
    return t == SL_TYPE_INT || t == SL_TYPE_BIGINT || t == SL_TYPE_DOUBLE;
}

bool sl_type_is_integral(sl_type t)
{
    return t == SL_TYPE_INT || t == SL_TYPE_BIGINT;
}

SL_EXPORT const char *sl_type_name(sl_type t)
{
    switch (t) {
    case SL_TYPE_NULL: return "NULL";
    case SL_TYPE_BOOLEAN: return "BOOLEAN";
    case SL_TYPE_INT: return "INT";
    case SL_TYPE_BIGINT: return "BIGINT";
    case SL_TYPE_DOUBLE: return "DOUBLE";
    case SL_TYPE_STRING: return "STRING";
    case SL_TYPE_TIMESTAMP: return "TIMESTAMP";
    case SL_TYPE_DATE: return "DATE";
    }
    return "?";
}

static size_t bitmap_bytes(size_t rows) { return (rows + 7) / 8; }

/* Bytes of the value array for `rows` rows (STRING: rows + 1 offsets). */
static size_t data_bytes(sl_type t, size_t rows)
{
    if (t == SL_TYPE_BOOLEAN || t == SL_TYPE_NULL) return bitmap_bytes(rows);
    if (t == SL_TYPE_STRING) return (rows + 1) * 4;
    return rows * sl_type_width(t);
}

sl_col *sl_col_new(sl_type type)
{
    sl_col *col = sl_calloc(1, sizeof *col);
    if (!col) return NULL;
    col->refs = 1;
    col->type = type;
    if (type == SL_TYPE_STRING) {
        col->data = sl_calloc(1, 4 * 8);
        if (!col->data) { sl_free(col); return NULL; }
        col->cap = 7;
    }
    return col;
}

/* Grows data (and validity if present) to hold `rows` rows. */
static int col_grow_rows(sl_col *col, size_t rows)
{
    if (rows <= col->cap) return 0;
    size_t ncap = col->cap ? col->cap * 2 : 64;
    while (ncap < rows) ncap *= 2;
    size_t old_db = col->data ? data_bytes(col->type, col->cap) : 0;
    size_t new_db = data_bytes(col->type, ncap);
    void *nd = sl_realloc(col->data, new_db);
    if (!nd) return -1;
    memset((char *)nd + old_db, 0, new_db - old_db);
    col->data = nd;
    if (col->validity) {
        size_t ob = bitmap_bytes(col->cap), nb = bitmap_bytes(ncap);
        uint8_t *nv = sl_realloc(col->validity, nb);
        if (!nv) return -1; /* data grew; harmless */
        memset(nv + ob, 0, nb - ob);
        col->validity = nv;
    }
    col->cap = ncap;
    return 0;
}

static int col_grow_chars(sl_col *col, size_t need)
{
    if (need <= col->chars_cap) return 0;
    size_t ncap = col->chars_cap ? col->chars_cap * 2 : 256;
    while (ncap < need) ncap *= 2;
    char *nc = sl_realloc(col->chars, ncap);
    if (!nc) return -1;
    col->chars = nc;
    col->chars_cap = ncap;
    return 0;
}

int sl_col_reserve(sl_col *col, int64_t n, size_t chars_bytes)
{
    if (col_grow_rows(col, (size_t)(col->len + n))) return -1;
    if (col->type == SL_TYPE_STRING && col_grow_chars(col, col->chars_len + chars_bytes))
        return -1;
    return 0;
}

/* ---- reuse of large value buffers (sl_col_new_reused) ---------------------
 * A fresh buffer of megabytes costs a page fault per 4 KB page at its first
 * write (malloc maps such sizes anew, or trims them off the heap when they
 * are freed); for a column written once, as a model's scores are, that was
 * a third of scoring the reference model (docs/MODELS.md). Once
 * sl_col_new_reused has been called, sl_col_unref keeps value buffers of
 * REUSE_MIN bytes or more (REUSE_SLOTS of them, REUSE_TOTAL bytes in all)
 * for the next sl_col_new_reused to take. Process-wide, under a mutex. */
#define REUSE_MIN ((size_t)1 << 20)
#define REUSE_SLOTS 4
#define REUSE_TOTAL ((size_t)32 << 20)
static pthread_mutex_t reuse_mu = PTHREAD_MUTEX_INITIALIZER;
static void *reuse_buf[REUSE_SLOTS];
static size_t reuse_bytes[REUSE_SLOTS], reuse_total;
static _Atomic bool reuse_on;

/* Keeps buf (bytes long) for reuse; false when there is no room. */
static bool reuse_keep(void *buf, size_t bytes)
{
    if (bytes < REUSE_MIN || !atomic_load_explicit(&reuse_on, memory_order_relaxed)) return false;
    bool kept = false;
    pthread_mutex_lock(&reuse_mu);
    for (int i = 0; i < REUSE_SLOTS && !kept; i++)
        if (!reuse_buf[i] && reuse_total + bytes <= REUSE_TOTAL) {
            reuse_buf[i] = buf;
            reuse_bytes[i] = bytes;
            reuse_total += bytes;
            kept = true;
        }
    pthread_mutex_unlock(&reuse_mu);
    return kept;
}

/* A kept buffer of at least `bytes` (the smallest), or NULL. */
static void *reuse_take(size_t bytes)
{
    pthread_mutex_lock(&reuse_mu);
    int best = -1;
    for (int i = 0; i < REUSE_SLOTS; i++)
        if (reuse_buf[i] && reuse_bytes[i] >= bytes && (best < 0 || reuse_bytes[i] < reuse_bytes[best]))
            best = i;
    void *buf = NULL;
    if (best >= 0) {
        buf = reuse_buf[best];
        reuse_buf[best] = NULL;
        reuse_total -= reuse_bytes[best];
    }
    pthread_mutex_unlock(&reuse_mu);
    return buf;
}

sl_col *sl_col_new_reused(sl_type type, int64_t n)
{
    size_t cap = n > 0 ? (size_t)n : 1, bytes = data_bytes(type, cap);
    if (bytes < REUSE_MIN || type == SL_TYPE_STRING) return sl_col_new_sized(type, n, 0);
    atomic_store_explicit(&reuse_on, true, memory_order_relaxed);
    sl_col *col = sl_calloc(1, sizeof *col);
    if (!col) return NULL;
    col->refs = 1;
    col->type = type;
    col->data = reuse_take(bytes);
    if (!col->data) col->data = sl_malloc(bytes);
    if (!col->data) { sl_free(col); return NULL; }
    col->cap = cap;
    col->len = n;
    return col;
}

sl_col *sl_col_new_sized(sl_type type, int64_t n, size_t chars_bytes)
{
    sl_col *col = sl_calloc(1, sizeof *col);
    if (!col) return NULL;
    col->refs = 1;
    col->type = type;
    size_t cap = n > 0 ? (size_t)n : 1;
    col->data = sl_calloc(1, data_bytes(type, cap));
    if (!col->data) { sl_free(col); return NULL; }
    col->cap = cap;
    col->len = n;
    if (type == SL_TYPE_STRING && chars_bytes) {
        col->chars = sl_malloc(chars_bytes);
        if (!col->chars) { sl_col_unref(col); return NULL; }
        col->chars_cap = chars_bytes;
    }
    return col;
}

static int ensure_validity(sl_col *col)
{
    if (col->validity) return 0;
    size_t nb = bitmap_bytes(col->cap ? col->cap : 1);
    col->validity = sl_malloc(nb);
    if (!col->validity) return -1;
    memset(col->validity, 0xff, nb);
    return 0;
}

sl_col *sl_col_new_nulls(sl_type type, int64_t n)
{
    sl_col *col = sl_col_new_sized(type, n, 0);
    if (!col) return NULL;
    col->validity = sl_calloc(1, bitmap_bytes(col->cap));
    if (!col->validity) { sl_col_unref(col); return NULL; }
    col->null_count = n;
    return col;
}

sl_col *sl_col_ref(sl_col *col)
{
    if (col) col->refs++;
    return col;
}

void sl_col_unref(sl_col *col)
{
    if (!col || --col->refs > 0) return;
    sl_free(col->validity);
    if (!col->data || !reuse_keep(col->data, data_bytes(col->type, col->cap))) sl_free(col->data);
    sl_free(col->chars);
    sl_free(col);
}

int sl_col_set_null(sl_col *col, int64_t i)
{
    if (ensure_validity(col)) return -1;
    if (sl_bit_get(col->validity, i)) {
        sl_bit_clear(col->validity, i);
        col->null_count++;
    }
    return 0;
}

void sl_col_finish_nulls(sl_col *col)
{
    if (!col->validity) { col->null_count = 0; return; }
    int64_t nulls = 0;
    for (int64_t i = 0; i < col->len; i++)
        nulls += !sl_bit_get(col->validity, i);
    col->null_count = nulls;
    if (nulls == 0) { sl_free(col->validity); col->validity = NULL; }
}

/* Makes room for one more row; marks it valid in an existing bitmap. */
static int col_push(sl_col *col)
{
    if (col_grow_rows(col, (size_t)col->len + 1)) return -1;
    if (col->validity) sl_bit_set(col->validity, col->len);
    return 0;
}

int sl_col_append_null(sl_col *col)
{
    if (col_grow_rows(col, (size_t)col->len + 1)) return -1;
    if (ensure_validity(col)) return -1;
    sl_bit_clear(col->validity, col->len);
    if (col->type == SL_TYPE_STRING) {
        int32_t *o = col->data;
        o[col->len + 1] = o[col->len];
    } else if (col->type == SL_TYPE_BOOLEAN) {
        sl_bit_clear(col->data, col->len);
    } else if (sl_type_width(col->type)) {
        memset((char *)col->data + col->len * sl_type_width(col->type), 0,
               sl_type_width(col->type));
    }
    col->len++;
    col->null_count++;
    return 0;
}

int sl_col_append_bool(sl_col *col, bool v)
{
    if (col_push(col)) return -1;
    if (v) sl_bit_set(col->data, col->len);
    else sl_bit_clear(col->data, col->len);
    col->len++;
    return 0;
}

int sl_col_append_i32(sl_col *col, int32_t v)
{
    if (col_push(col)) return -1;
    ((int32_t *)col->data)[col->len++] = v;
    return 0;
}

int sl_col_append_i64(sl_col *col, int64_t v)
{
    if (col_push(col)) return -1;
    ((int64_t *)col->data)[col->len++] = v;
    return 0;
}

int sl_col_append_f64(sl_col *col, double v)
{
    if (col_push(col)) return -1;
    ((double *)col->data)[col->len++] = v;
    return 0;
}

int sl_col_append_str(sl_col *col, const char *s, size_t n)
{
    if (col_grow_chars(col, col->chars_len + n)) return -1;
    if (col_push(col)) return -1;
    if (n) memcpy(col->chars + col->chars_len, s, n);
    col->chars_len += n;
    int32_t *o = col->data;
    o[col->len + 1] = (int32_t)col->chars_len;
    col->len++;
    return 0;
}

int sl_col_append_from(sl_col *col, const sl_col *src, int64_t row)
{
    if (sl_col_is_null(src, row)) return sl_col_append_null(col);
    switch (src->type) {
    case SL_TYPE_BOOLEAN: return sl_col_append_bool(col, sl_col_bool(src, row));
    case SL_TYPE_INT: case SL_TYPE_DATE: return sl_col_append_i32(col, sl_col_i32(src)[row]);
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: return sl_col_append_i64(col, sl_col_i64(src)[row]);
    case SL_TYPE_DOUBLE: return sl_col_append_f64(col, sl_col_f64(src)[row]);
    case SL_TYPE_STRING: {
        size_t n;
        const char *s = sl_col_str(src, row, &n);
        return sl_col_append_str(col, s, n);
    }
    case SL_TYPE_NULL: return sl_col_append_null(col);
    }
    return -1;
}

int sl_col_append_col(sl_col *col, const sl_col *src)
{
    if (sl_col_reserve(col, src->len, src->type == SL_TYPE_STRING ? src->chars_len : 0))
        return -1;
    /* Fixed-width columns without NULLs on either side copy in one go. */
    size_t w = sl_type_width(src->type);
    if (w && src->type != SL_TYPE_STRING && !src->validity && !col->validity) {
        memcpy((char *)col->data + col->len * w, src->data, (size_t)src->len * w);
        col->len += src->len;
        return 0;
    }
    for (int64_t i = 0; i < src->len; i++)
        if (sl_col_append_from(col, src, i)) return -1;
    return 0;
}

sl_col *sl_col_gather(const sl_col *src, const int32_t *sel, int64_t n)
{
    size_t chars = 0;
    if (src->type == SL_TYPE_STRING) {
        const int32_t *o = src->data;
        for (int64_t i = 0; i < n; i++) chars += (size_t)(o[sel[i] + 1] - o[sel[i]]);
    }
    sl_col *out = sl_col_new_sized(src->type, n, chars);
    if (!out) return NULL;
    if (src->validity) {
        out->validity = sl_malloc(bitmap_bytes(out->cap));
        if (!out->validity) { sl_col_unref(out); return NULL; }
        memset(out->validity, 0xff, bitmap_bytes(out->cap));
        int64_t nulls = 0;
        for (int64_t i = 0; i < n; i++)
            if (!sl_bit_get(src->validity, sel[i])) { sl_bit_clear(out->validity, i); nulls++; }
        out->null_count = nulls;
        if (!nulls) { sl_free(out->validity); out->validity = NULL; }
    }
    switch (src->type) {
    case SL_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++)
            if (sl_bit_get(src->data, sel[i])) sl_bit_set(out->data, i);
        break;
    case SL_TYPE_INT: case SL_TYPE_DATE: {
        const int32_t *s = src->data; int32_t *d = out->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: case SL_TYPE_DOUBLE: {
        const int64_t *s = src->data; int64_t *d = out->data;
        for (int64_t i = 0; i < n; i++) d[i] = s[sel[i]];
        break;
    }
    case SL_TYPE_STRING: {
        const int32_t *so = src->data; int32_t *d = out->data;
        size_t pos = 0;
        d[0] = 0;
        for (int64_t i = 0; i < n; i++) {
            size_t len = (size_t)(so[sel[i] + 1] - so[sel[i]]);
            if (len) memcpy(out->chars + pos, src->chars + so[sel[i]], len);
            pos += len;
            d[i + 1] = (int32_t)pos;
        }
        out->chars_len = pos;
        break;
    }
    case SL_TYPE_NULL: break;
    }
    return out;
}

sl_col *sl_col_slice(const sl_col *src, int64_t start, int64_t n)
{
    int32_t *sel = sl_malloc((size_t)(n > 0 ? n : 1) * sizeof *sel);
    if (!sel) return NULL;
    for (int64_t i = 0; i < n; i++) sel[i] = (int32_t)(start + i);
    sl_col *out = sl_col_gather(src, sel, n);
    sl_free(sel);
    return out;
}

/* ---- schema ------------------------------------------------------------- */

sl_schema *sl_schema_new(int n)
{
    sl_schema *s = sl_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->fields = sl_calloc((size_t)(n > 0 ? n : 1), sizeof *s->fields);
    if (!s->fields) { sl_free(s); return NULL; }
    s->n = n;
    return s;
}

int sl_schema_set(sl_schema *s, int i, const char *name, sl_type type)
{
    char *d = sl_strdup(name);
    if (!d) return -1;
    sl_free(s->fields[i].name);
    s->fields[i].name = d;
    s->fields[i].type = type;
    return 0;
}

void sl_schema_truncate(sl_schema *s, int n)
{
    for (int i = n; i < s->n; i++) {
        sl_free(s->fields[i].name);
        s->fields[i].name = NULL;
    }
    if (n < s->n) s->n = n;
}

void sl_schema_free(sl_schema *s)
{
    if (!s) return;
    for (int i = 0; i < s->n; i++) sl_free(s->fields[i].name);
    sl_free(s->fields);
    sl_free(s);
}

int sl_schema_find(const sl_schema *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (s->fields[i].name && strcasecmp(s->fields[i].name, name) == 0) return i;
    return -1;
}

/* ---- batch ------------------------------------------------------------- */

sl_batch *sl_batch_new(int n_cols)
{
    sl_batch *b = sl_calloc(1, sizeof *b);
    if (!b) return NULL;
    b->cols = sl_calloc((size_t)(n_cols > 0 ? n_cols : 1), sizeof *b->cols);
    if (!b->cols) { sl_free(b); return NULL; }
    b->refs = 1;
    b->n_cols = n_cols;
    return b;
}

sl_batch *sl_batch_ref(sl_batch *b)
{
    if (b) b->refs++;
    return b;
}

void sl_batch_unref(sl_batch *b)
{
    if (!b || --b->refs > 0) return;
    for (int i = 0; i < b->n_cols; i++) sl_col_unref(b->cols[i]);
    sl_free(b->cols);
    sl_free(b);
}

sl_batch *sl_batch_new_builder(const sl_schema *s)
{
    sl_batch *b = sl_batch_new(s->n);
    if (!b) return NULL;
    for (int i = 0; i < s->n; i++) {
        b->cols[i] = sl_col_new(s->fields[i].type);
        if (!b->cols[i]) { sl_batch_unref(b); return NULL; }
    }
    return b;
}

sl_batch *sl_batch_new_empty(const sl_schema *s) { return sl_batch_new_builder(s); }

bool sl_batch_recycle(sl_batch *b)
{
    if (b->refs != 1) return false;
    for (int i = 0; i < b->n_cols; i++)
        if (b->cols[i]->refs != 1) return false;
    for (int i = 0; i < b->n_cols; i++) {
        sl_col *col = b->cols[i];
        col->len = 0;
        col->null_count = 0;
        col->chars_len = 0;
        sl_free(col->validity); /* appends recreate it at the first NULL */
        col->validity = NULL;
        if (col->type == SL_TYPE_STRING && col->data) ((int32_t *)col->data)[0] = 0;
    }
    b->n_rows = 0;
    return true;
}

int sl_batch_seal(sl_batch *b)
{
    int64_t n = b->n_cols ? b->cols[0]->len : b->n_rows;
    for (int i = 1; i < b->n_cols; i++)
        if (b->cols[i]->len != n) return -1;
    b->n_rows = n;
    return 0;
}

sl_batch *sl_batch_gather(const sl_batch *b, const int32_t *sel, int64_t n)
{
    sl_batch *out = sl_batch_new(b->n_cols);
    if (!out) return NULL;
    for (int i = 0; i < b->n_cols; i++) {
        out->cols[i] = sl_col_gather(b->cols[i], sel, n);
        if (!out->cols[i]) { sl_batch_unref(out); return NULL; }
    }
    out->n_rows = n;
    return out;
}

sl_batch *sl_batch_concat(sl_batch *const *bs, int n, const sl_schema *s)
{
    sl_batch *out = sl_batch_new_builder(s);
    if (!out) return NULL;
    for (int k = 0; k < n; k++)
        for (int i = 0; i < s->n; i++)
            if (sl_col_append_col(out->cols[i], bs[k]->cols[i])) {
                sl_batch_unref(out);
                return NULL;
            }
    sl_batch_seal(out);
    return out;
}

SL_EXPORT int64_t sl_batch_num_rows(const sl_batch *b) { return b ? b->n_rows : 0; }
SL_EXPORT int sl_batch_num_columns(const sl_batch *b) { return b ? b->n_cols : 0; }
