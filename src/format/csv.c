/* CSV records straight into columns.  A record is one line (the source
 * splits lines; a quoted field cannot span lines).  With header = true the
 * first record of each file (sl_format_begin_file) names the fields and maps
 * them to schema columns case-insensitively; otherwise fields map by
 * position to the columns the source does not fill.  Fields are split in
 * place — spans into the record, unquoted into a scratch buffer only when a
 * quoted field holds escapes — then converted with the shared text rules of
 * format.c.  A field count that differs from the header's (or the schema's)
 * makes the record malformed; PERMISSIVE still keeps the fields it has, as
 * Spark 3 does.  The writers render rows as Spark's CSV sink. */
#include "format/format_int.h"

#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static int opt_char(const sl_options *opts, const char *name, char dflt, char *out,
                    sl_error *err)
{
    const char *v = sl_options_get(opts, name);
    if (!v) { *out = dflt; return 0; }
    if (!strcmp(v, "\\t")) { *out = '\t'; return 0; }
    if (strlen(v) != 1) {
        sl_err(err, SL_ERR_CONFIG, "option '%s': '%s' is not a single character", name, v);
        return -1;
    }
    *out = v[0];
    return 0;
}

static int grow_fields(sl_format *f, int need)
{
    if (need <= f->cap_fld) return 0;
    int cap = f->cap_fld ? f->cap_fld * 2 : 16;
    while (cap < need) cap *= 2;
    const char **p = sl_realloc(f->fld_p, (size_t)cap * sizeof *p);
    if (!p) return -1;
    f->fld_p = p;
    size_t *l = sl_realloc(f->fld_len, (size_t)cap * sizeof *l);
    if (!l) return -1;
    f->fld_len = l;
    uint8_t *q = sl_realloc(f->fld_quoted, (size_t)cap);
    if (!q) return -1;
    f->fld_quoted = q;
    f->cap_fld = cap;
    return 0;
}

/* Recomputes which data columns no field maps to (they get NULL). */
static void note_mapped(sl_format *f)
{
    for (int c = 0; c < f->schema->n; c++) f->mapped[c] = false;
    for (int i = 0; i < f->n_field_col; i++)
        if (f->field_col[i] >= 0) f->mapped[f->field_col[i]] = true;
}

static int set_field_map(sl_format *f, int n)
{
    if (n > f->cap_field_col) {
        int *m = sl_realloc(f->field_col, (size_t)n * sizeof *m);
        if (!m) return -1;
        f->field_col = m;
        f->cap_field_col = n;
    }
    f->n_field_col = n;
    return 0;
}

static bool data_col(const sl_format *f, int c)
{
    return !f->skip[c] && c != f->corrupt_col;
}

int sl_format_csv_init(sl_format *f, const sl_options *opts, sl_error *err)
{
    if (opt_char(opts, "sep", ',', &f->sep, err)) return -1;
    if (opts && sl_options_get(opts, "delimiter") && !sl_options_get(opts, "sep") &&
        opt_char(opts, "delimiter", ',', &f->sep, err))
        return -1;
    if (opt_char(opts, "quote", '"', &f->quote, err)) return -1;
    if (opt_char(opts, "escape", '\\', &f->esc, err)) return -1;
    if (sl_options_get_bool(opts, "header", true, &f->header, err)) return -1;
    f->null_value = sl_strdup(sl_options_get_or(opts, "nullValue", ""));
    f->mapped = sl_calloc((size_t)f->schema->n + 1, sizeof *f->mapped);
    if (!f->null_value || !f->mapped) { sl_err_oom(err); return -1; }
    f->null_value_len = strlen(f->null_value);
    f->expect_header = f->header;
    /* Without a header, fields map by position to the data columns. */
    int n = 0;
    for (int c = 0; c < f->schema->n; c++) n += data_col(f, c);
    if (set_field_map(f, n ? n : 1)) { sl_err_oom(err); return -1; }
    f->n_field_col = n;
    for (int c = 0, k = 0; c < f->schema->n; c++)
        if (data_col(f, c)) f->field_col[k++] = c;
    note_mapped(f);
    return 0;
}

void sl_format_csv_fini(sl_format *f)
{
    sl_free(f->null_value);
    sl_free(f->mapped);
    sl_free(f->field_col);
    sl_free(f->fld_p);
    sl_free(f->fld_len);
    sl_free(f->fld_quoted);
}

/* Splits a record into field spans. Returns the field count, -1 when a
 * quote is unterminated or followed by text, -2 on OOM. */
static int split(sl_format *f, const char *rec, size_t len)
{
    int nf = 0;
    size_t i = 0;
    char sep = f->sep, q = f->quote, esc = f->esc;
    for (;;) {
        if (grow_fields(f, nf + 1)) return -2;
        if (i < len && rec[i] == q) {
            size_t start = ++i;
            uint8_t kind = 1;
            for (;;) {
                if (i >= len) return -1;
                if (rec[i] == q) {
                    if (i + 1 < len && rec[i + 1] == q) { kind = 2; i += 2; continue; }
                    break;
                }
                if (rec[i] == esc && esc != q && i + 1 < len &&
                    (rec[i + 1] == q || rec[i + 1] == esc)) {
                    kind = 2;
                    i += 2;
                    continue;
                }
                i++;
            }
            f->fld_p[nf] = rec + start;
            f->fld_len[nf] = i - start;
            f->fld_quoted[nf] = kind;
            nf++;
            i++; /* closing quote */
            if (i == len || (i + 1 == len && rec[i] == '\r')) return nf; /* CR of a CRLF line */
            if (rec[i] != sep) return -1;
            i++;
            continue;
        }
        /* fields are short: a byte loop beats a memchr call */
        size_t end = i;
        while (end < len && rec[end] != sep) end++;
        const char *e = end < len ? rec + end : NULL;
        /* A CR left by a CRLF file is not part of the last field. */
        size_t fe = (!e && end > i && rec[end - 1] == '\r') ? end - 1 : end;
        f->fld_p[nf] = rec + i;
        f->fld_len[nf] = fe - i;
        f->fld_quoted[nf] = 0;
        nf++;
        if (!e) return nf;
        i = end + 1;
    }
}

/* split for a record without the quote character, 16 bytes at a time:
 * the separators' positions come from one SSE2 compare per block.
 * Returns the field count, -2 on OOM, or -3 when a quote character turns
 * up (then split, which handles quoting, takes the record). */
static int split_plain(sl_format *f, const char *rec, size_t len)
{
    int nf = 0;
    size_t start = 0;
    const char sep = f->sep, q = f->quote;
#ifdef __SSE2__
    const __m128i vsep = _mm_set1_epi8(sep), vq = _mm_set1_epi8(q);
    size_t base = 0;
    for (; base + 16 <= len; base += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(rec + base));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(v, vq))) return -3;
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vsep));
        while (m) {
            size_t pos = base + (size_t)__builtin_ctz(m);
            m &= m - 1;
            if (nf + 1 > f->cap_fld && grow_fields(f, nf + 1)) return -2;
            f->fld_p[nf] = rec + start;
            f->fld_len[nf] = pos - start;
            f->fld_quoted[nf] = 0;
            nf++;
            start = pos + 1;
        }
    }
    for (size_t i = base; i < len; i++) {
#else
    for (size_t i = 0; i < len; i++) {
#endif
        if (rec[i] == q) return -3;
        if (rec[i] != sep) continue;
        if (nf + 1 > f->cap_fld && grow_fields(f, nf + 1)) return -2;
        f->fld_p[nf] = rec + start;
        f->fld_len[nf] = i - start;
        f->fld_quoted[nf] = 0;
        nf++;
        start = i + 1;
    }
    /* the last field; a CR left by a CRLF file is not part of it */
    size_t end = len;
    if (end > start && rec[end - 1] == '\r') end--;
    if (nf + 1 > f->cap_fld && grow_fields(f, nf + 1)) return -2;
    f->fld_p[nf] = rec + start;
    f->fld_len[nf] = end - start;
    f->fld_quoted[nf] = 0;
    return nf + 1;
}

/* The text of a quoted field with its escapes undone, in f->scratch. */
static int unquote(sl_format *f, const char *s, size_t n)
{
    sl_buf_reset(&f->scratch);
    if (sl_buf_reserve(&f->scratch, n + 1)) return -1;
    char *o = f->scratch.data;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if ((s[i] == f->quote || s[i] == f->esc) && i + 1 < n &&
            (s[i + 1] == f->quote || s[i + 1] == f->esc))
            i++;
        o[k++] = s[i];
    }
    f->scratch.len = k;
    return 0;
}

static int read_header(sl_format *f, int nf)
{
    if (set_field_map(f, nf ? nf : 1)) return -1;
    f->n_field_col = nf;
    for (int i = 0; i < nf; i++) {
        const char *p = f->fld_p[i];
        size_t n = f->fld_len[i];
        if (f->fld_quoted[i] == 2) {
            if (unquote(f, p, n)) return -1;
            p = f->scratch.data;
            n = f->scratch.len;
        }
        int col = -1;
        for (int c = 0; c < f->schema->n; c++) {
            const char *name = f->schema->fields[c].name;
            if (data_col(f, c) && strlen(name) == n && !strncasecmp(name, p, n)) {
                col = c;
                break;
            }
        }
        f->field_col[i] = col;
    }
    note_mapped(f);
    return 0;
}

sl_status sl_format_csv_parse(sl_format *f, const char *rec, size_t len,
                              sl_batch *out, int64_t *out_rows, sl_error *err)
{
    *out_rows = 0;
    /* A UTF-8 byte-order mark (spreadsheet exports start with one) is not
     * part of the first field. */
    if (len >= 3 && !memcmp(rec, "\xef\xbb\xbf", 3)) {
        rec += 3;
        len -= 3;
    }
    if (len == 0 || (len == 1 && rec[0] == '\r')) return SL_OK; /* blank line */
    if ((int64_t)len > f->max_record) { /* checked before splitting it at all */
        f->stats.records++;
        sl_format_save(f, out);
        return sl_format_oversize(f, rec, len, out, out_rows, err);
    }
    int nf = split_plain(f, rec, len);
    if (nf == -3) nf = split(f, rec, len);
    if (nf == -2) return sl_err_oom(err);
    if (f->expect_header) {
        if (nf < 0) {
            f->stats.records++;
            f->stats.malformed++;
            return f->mode == SL_MODE_FAILFAST
                       ? sl_err(err, SL_ERR_FORMAT, "malformed CSV header: %.*s",
                                len > 200 ? 200 : (int)len, rec)
                       : SL_OK;
        }
        f->expect_header = false;
        return read_header(f, nf) ? sl_err_oom(err) : SL_OK;
    }
    f->stats.records++;
    sl_format_save(f, out);
    if (nf < 0) return sl_format_malformed(f, rec, len, out, out_rows, err);

    /* Spark 3: a record with fewer or more fields than the header (or the
     * schema, without one) is malformed, but PERMISSIVE keeps what it can
     * read — missing trailing fields are NULL, extra ones dropped. */
    int bad = nf != f->n_field_col;
    int n_use = nf < f->n_field_col ? nf : f->n_field_col;
    int n = f->schema->n;
    /* Columns no field maps to get NULL. */
    for (int c = 0; c < n; c++)
        if (!f->mapped[c] && data_col(f, c) && sl_col_append_null(out->cols[c])) goto oom;
    for (int i = n_use; i < f->n_field_col; i++)
        if (f->field_col[i] >= 0 && sl_col_append_null(out->cols[f->field_col[i]])) goto oom;
    for (int i = 0; i < n_use; i++) {
        int c = f->field_col[i];
        if (c < 0) continue;
        sl_col *col = out->cols[c];
        const char *p = f->fld_p[i];
        size_t fl = f->fld_len[i];
        int rc;
        if (!f->fld_quoted[i] && f->null_value_len == fl && !memcmp(p, f->null_value, fl)) {
            rc = sl_col_append_null(col);
        } else if (!f->fld_quoted[i] && fl == 0) {
            rc = sl_col_append_null(col); /* an empty non-string field is NULL */
        } else {
            if (f->fld_quoted[i] == 2) {
                if (unquote(f, p, fl)) goto oom;
                p = f->scratch.data;
                fl = f->scratch.len;
            }
            if (f->max_chars >= 0 && (int64_t)fl > f->max_chars && col->type == SL_TYPE_STRING)
                rc = sl_col_append_null(col) ? -1 : 1; /* over maxCharsPerColumn */
            else
                rc = sl_format_append_text(f, c, col, p, fl);
        }
        if (rc < 0) goto oom;
        bad |= rc;
    }
    if (bad) return sl_format_partial(f, rec, len, out, out_rows, err);
    if (sl_format_corrupt_ok(f, out)) goto oom;
    *out_rows = 1;
    return SL_OK;
oom:
    sl_format_rollback(f, out);
    return sl_err_oom(err);
}

/* ---- writers ------------------------------------------------------------ */

static void put_field(sl_buf *out, const char *s, size_t n, char sep)
{
    bool need = n == 0;
    for (size_t i = 0; i < n && !need; i++)
        need = s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (n && (s[0] == ' ' || s[n - 1] == ' ')) need = true;
    if (!need) { sl_buf_append(out, s, n); return; }
    sl_buf_putc(out, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            sl_buf_append(out, s + run, i + 1 - run);
            sl_buf_putc(out, '"');
            run = i + 1;
        }
    sl_buf_append(out, s + run, n - run);
    sl_buf_putc(out, '"');
}

void sl_format_csv_header(const sl_schema *schema, char sep, sl_buf *out)
{
    for (int c = 0; c < schema->n; c++) {
        if (c) sl_buf_putc(out, sep);
        put_field(out, schema->fields[c].name, strlen(schema->fields[c].name), sep);
    }
}

void sl_format_csv_row(const sl_batch *b, const sl_schema *schema, int64_t row,
                       char sep, sl_buf *out)
{
    char tmp[SL_TEXT_MAX];
    for (int c = 0; c < schema->n && c < b->n_cols; c++) {
        if (c) sl_buf_putc(out, sep);
        const sl_col *col = b->cols[c];
        if (col->type == SL_TYPE_NULL || sl_col_is_null(col, row)) continue;
        size_t n = 0;
        switch (col->type) {
        case SL_TYPE_BOOLEAN: sl_buf_puts(out, sl_col_bool(col, row) ? "true" : "false"); break;
        case SL_TYPE_INT: sl_buf_append(out, tmp, sl_i64_to_text(sl_col_i32(col)[row], tmp)); break;
        case SL_TYPE_BIGINT: sl_buf_append(out, tmp, sl_i64_to_text(sl_col_i64(col)[row], tmp)); break;
        case SL_TYPE_DOUBLE:
            n = sl_f64_to_text(sl_col_f64(col)[row], tmp);
            sl_buf_append(out, tmp, n);
            break;
        case SL_TYPE_STRING: {
            const char *s = sl_col_str(col, row, &n);
            put_field(out, s, n, sep);
            break;
        }
        case SL_TYPE_TIMESTAMP:
            n = sl_timestamp_to_iso(sl_col_i64(col)[row], tmp);
            sl_buf_append(out, tmp, n);
            break;
        case SL_TYPE_DATE:
            n = sl_date_to_text(sl_col_i32(col)[row], tmp);
            sl_buf_append(out, tmp, n);
            break;
        default:
            break;
        }
    }
}
