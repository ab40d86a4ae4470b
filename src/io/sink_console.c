/* The console sink: Spark's exact layout — a "Batch: N" banner between
 * dashed lines, then the rows as a +---+ table (Dataset.show), cells
 * right-aligned and cut to 20 characters unless truncate = false, at most
 * numRows rows (default 20) with Spark's "only showing top N rows" note.
 * Rows are gathered between begin and commit and printed at commit.
 * Delivery is at-least-once: a batch replayed after a crash prints again. */
#include "io/connector.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"
#include "core/textconv.h"

#include <stdio.h>
#include <string.h>

typedef struct console {
    bool truncate;
    int64_t num_rows;
    int64_t batch_id;
    int64_t total;            /* rows this batch, shown or not */
    sl_batch **kept;          /* up to num_rows rows */
    int n_kept;
    size_t kept_cap;
    int64_t kept_rows;
    FILE *out;
} console;

static sl_status con_open(sl_sink *snk, sl_error *err)
{
    console *c = sl_calloc(1, sizeof *c);
    if (!c) return sl_err_oom(err);
    snk->impl = c;
    c->out = stdout;
    sl_status st = sl_options_get_bool(&snk->opts, "truncate", true, &c->truncate, err);
    if (!st) st = sl_options_get_i64(&snk->opts, "numRows", 20, &c->num_rows, err);
    return st;
}

static void drop_kept(console *c)
{
    for (int i = 0; i < c->n_kept; i++) sl_batch_unref(c->kept[i]);
    c->n_kept = 0;
    c->kept_rows = 0;
    c->total = 0;
}

static sl_status con_begin(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    console *c = snk->impl;
    drop_kept(c);
    c->batch_id = batch_id;
    return SL_OK;
}

static sl_status con_write(sl_sink *snk, sl_batch *b, sl_error *err)
{
    console *c = snk->impl;
    c->total += b->n_rows;
    if (c->kept_rows >= c->num_rows) return SL_OK;
    if (sl_grow((void **)&c->kept, &c->kept_cap, (size_t)c->n_kept + 1, sizeof *c->kept)) return sl_err_oom(err);
    c->kept[c->n_kept++] = sl_batch_ref(b);
    c->kept_rows += b->n_rows;
    return SL_OK;
}

/* Spark's rendering of one cell. */
static void cell_text(const sl_col *col, int64_t i, sl_buf *out)
{
    char t[SL_TEXT_MAX];
    if (sl_col_is_null(col, i)) { sl_buf_puts(out, "null"); return; }
    switch (col->type) {
    case SL_TYPE_BOOLEAN: sl_buf_puts(out, sl_col_bool(col, i) ? "true" : "false"); break;
    case SL_TYPE_INT: sl_buf_printf(out, "%d", sl_col_i32(col)[i]); break;
    case SL_TYPE_BIGINT: sl_buf_printf(out, "%lld", (long long)sl_col_i64(col)[i]); break;
    case SL_TYPE_DOUBLE: sl_f64_to_text(sl_col_f64(col)[i], t); sl_buf_puts(out, t); break;
    case SL_TYPE_TIMESTAMP: sl_timestamp_to_text(sl_col_i64(col)[i], t); sl_buf_puts(out, t); break;
    case SL_TYPE_DATE: sl_date_to_text(sl_col_i32(col)[i], t); sl_buf_puts(out, t); break;
    case SL_TYPE_STRING: {
        size_t n;
        const char *s = sl_col_str(col, i, &n);
        sl_buf_append(out, s, n);
        break;
    }
    default: sl_buf_puts(out, "null"); break;
    }
}

/* Display width in characters (UTF-8 code points). */
static size_t text_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

/* Byte length of the first `chars` characters. */
static size_t prefix_bytes(const char *s, size_t n, size_t chars)
{
    size_t i = 0, c = 0;
    while (i < n) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) { if (c == chars) break; c++; }
        i++;
    }
    return i;
}

static sl_status con_commit(sl_sink *snk, int64_t batch_id, sl_error *err)
{
    console *c = snk->impl;
    const sl_schema *s = snk->schema;
    int nc = s->n;
    int64_t shown = c->total < c->num_rows ? c->total : c->num_rows;
    /* cells[r][col] as (offset, len) into one text buffer */
    sl_buf text;
    sl_buf_init(&text);
    size_t *off = sl_calloc((size_t)((shown + 1) * nc + 1), sizeof *off);
    size_t *len = sl_calloc((size_t)((shown + 1) * nc + 1), sizeof *len);
    size_t *width = sl_calloc((size_t)(nc + 1), sizeof *width);
    if (!off || !len || !width) { sl_free(off); sl_free(len); sl_free(width); return sl_err_oom(err); }
    for (int j = 0; j < nc; j++) {
        off[j] = text.len;
        sl_buf_puts(&text, s->fields[j].name);
        len[j] = text.len - off[j];
    }
    int64_t r = 1;
    for (int k = 0; k < c->n_kept && r <= shown; k++)
        for (int64_t i = 0; i < c->kept[k]->n_rows && r <= shown; i++, r++)
            for (int j = 0; j < nc; j++) {
                size_t at = (size_t)(r * nc + j);
                off[at] = text.len;
                cell_text(c->kept[k]->cols[j], i, &text);
                len[at] = text.len - off[at];
            }
    if (text.oom) { sl_buf_fini(&text); sl_free(off); sl_free(len); sl_free(width); return sl_err_oom(err); }
    for (int64_t rr = 0; rr <= shown; rr++)
        for (int j = 0; j < nc; j++) {
            size_t at = (size_t)(rr * nc + j);
            size_t w = text_width(text.data + off[at], len[at]);
            if (c->truncate && w > 20) w = 20;
            if (w < 3) w = 3;
            if (w > width[j]) width[j] = w;
        }
    sl_buf o;
    sl_buf_init(&o);
    sl_buf_printf(&o, "-------------------------------------------\nBatch: %lld\n"
                      "-------------------------------------------\n", (long long)batch_id);
    sl_buf sep;
    sl_buf_init(&sep);
    sl_buf_putc(&sep, '+');
    for (int j = 0; j < nc; j++) {
        for (size_t k = 0; k < width[j]; k++) sl_buf_putc(&sep, '-');
        sl_buf_putc(&sep, '+');
    }
    sl_buf_putc(&sep, '\n');
    sl_buf_append(&o, sep.data, sep.len);
    for (int64_t rr = 0; rr <= shown; rr++) {
        sl_buf_putc(&o, '|');
        for (int j = 0; j < nc; j++) {
            size_t at = (size_t)(rr * nc + j);
            const char *t = text.data + off[at];
            size_t n = len[at], w = text_width(t, n);
            if (c->truncate && w > 20) {
                /* Spark: the first 17 characters and "..." */
                n = prefix_bytes(t, n, 17);
                w = 20;
                size_t pad = width[j] - w;
                for (size_t k = 0; k < pad; k++) sl_buf_putc(&o, ' ');
                sl_buf_append(&o, t, n);
                sl_buf_puts(&o, "...");
            } else if (c->truncate) {
                for (size_t k = w; k < width[j]; k++) sl_buf_putc(&o, ' ');
                sl_buf_append(&o, t, n);
            } else {
                sl_buf_append(&o, t, n);
                for (size_t k = w; k < width[j]; k++) sl_buf_putc(&o, ' ');
            }
            sl_buf_putc(&o, '|');
        }
        sl_buf_putc(&o, '\n');
        if (rr == 0) sl_buf_append(&o, sep.data, sep.len);
    }
    if (shown > 0) sl_buf_append(&o, sep.data, sep.len);
    if (c->total > shown)
        sl_buf_printf(&o, "only showing top %lld row%s\n", (long long)shown, shown == 1 ? "" : "s");
    sl_buf_putc(&o, '\n');
    sl_status st = SL_OK;
    if (o.oom) st = sl_err_oom(err);
    else if (fwrite(o.data, 1, o.len, c->out) != o.len || fflush(c->out))
        st = sl_err(err, SL_ERR_IO, "console: cannot write to standard output");
    sl_buf_fini(&o);
    sl_buf_fini(&sep);
    sl_buf_fini(&text);
    sl_free(off);
    sl_free(len);
    sl_free(width);
    drop_kept(c);
    return st;
}

static void con_close(sl_sink *snk)
{
    console *c = snk->impl;
    if (!c) return;
    drop_kept(c);
    sl_free(c->kept);
    sl_free(c);
}

static const char *con_at_least_once(const sl_sink *snk)
{
    (void)snk;
    return "the console sink is at-least-once: a re-run batch may have been printed before";
}

const sl_sink_ops sl_console_sink_ops = {
    .connector = "console", .open = con_open, .begin = con_begin, .write = con_write,
    .commit = con_commit, .close = con_close, .at_least_once = con_at_least_once};
