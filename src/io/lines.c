/* Text records into batches (see lines.h): the step between a source's
 * line or message framing and the format parsers, and in text mode the
 * place where an oversized record is refused per the source's mode. */
#include "io/lines.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>
#include <strings.h>

sl_status sl_lines_init(sl_lines *ln, sl_source *src, sl_error *err)
{
    memset(ln, 0, sizeof *ln);
    ln->src = src;
    ln->value_col = -1;
    const char *fmt = sl_options_get_or(&src->opts, "format", "text");
    sl_status st = sl_options_get_i64(&src->opts, "maxRecordBytes", 16 * 1024 * 1024,
                                      &ln->max_record, err);
    if (st) return st;
    if (ln->max_record < 1 || ln->max_record > INT32_MAX)
        return sl_err(err, SL_ERR_CONFIG, "option 'maxRecordBytes' must be between 1 and %d",
                      INT32_MAX);
    if (!strcasecmp(fmt, "text") || !strcasecmp(fmt, "raw")) {
        const char *mode = sl_options_get_or(&src->opts, "mode", "PERMISSIVE");
        if (!strcasecmp(mode, "PERMISSIVE")) ln->mode = SL_MODE_PERMISSIVE;
        else if (!strcasecmp(mode, "DROPMALFORMED")) ln->mode = SL_MODE_DROPMALFORMED;
        else if (!strcasecmp(mode, "FAILFAST")) ln->mode = SL_MODE_FAILFAST;
        else
            return sl_err(err, SL_ERR_CONFIG,
                          "option 'mode': '%s' is not PERMISSIVE, DROPMALFORMED or FAILFAST", mode);
        ln->value_col = sl_schema_find(src->schema, "value");
        if (ln->value_col < 0 || src->schema->fields[ln->value_col].type != SL_TYPE_STRING)
            return sl_err(err, SL_ERR_CONFIG,
                          "without a format, declare a column `value STRING` for the raw text "
                          "(or set format = 'json' or 'csv' to parse it into the declared columns)");
        return SL_OK;
    }
    return sl_format_new(fmt, src->schema, NULL, &src->opts, &ln->fmt, err);
}

void sl_lines_fini(sl_lines *ln)
{
    sl_format_free(ln->fmt);
    sl_batch_unref(ln->cur);
    sl_batch_unref(ln->spare);
    ln->fmt = NULL;
    ln->cur = NULL;
    ln->spare = NULL;
}

void sl_lines_start(sl_lines *ln, sl_emit_fn emit, void *ctx)
{
    ln->emit = emit;
    ln->ctx = ctx;
}

static sl_status flush_batch(sl_lines *ln, sl_error *err)
{
    if (!ln->cur) return SL_OK;
    sl_batch *b = ln->cur;
    ln->cur = NULL;
    sl_status st = SL_OK;
    if (sl_batch_seal(b)) st = sl_err(err, SL_ERR_INTERNAL, "source %s: ragged batch", ln->src->name);
    if (!st && b->n_rows) {
        ln->src->stats.rows += b->n_rows;
        st = ln->emit(ln->ctx, b, err);
    }
    /* When the plan kept nothing of it, the batch's buffers take the next
     * rows: no allocation, and no fresh pages to fault in, per batch. */
    if (!ln->spare && sl_batch_recycle(b)) ln->spare = b;
    else sl_batch_unref(b);
    return st;
}

/* The batch the next record goes into. */
static sl_status begin_record(sl_lines *ln, size_t len, sl_error *err)
{
    if (!ln->cur) {
        ln->cur = ln->spare;
        ln->spare = NULL;
    }
    if (!ln->cur && !(ln->cur = sl_batch_new_builder(ln->src->schema))) return sl_err_oom(err);
    ln->src->stats.bytes += (int64_t)len + 1;
    return SL_OK;
}

static sl_status end_record(sl_lines *ln, sl_error *err)
{
    if (ln->cur->cols[0]->len >= SL_BATCH_ROWS) return flush_batch(ln, err);
    return SL_OK;
}

/* Raw mode: one row whose `value` is the record, or NULL when `rec` is
 * NULL (a record over the limit, already counted). */
static sl_status raw_row(sl_lines *ln, const char *rec, size_t len, sl_error *err)
{
    for (int i = 0; i < ln->cur->n_cols; i++) {
        int r = i == ln->value_col && rec ? sl_col_append_str(ln->cur->cols[i], rec, len)
                                          : sl_col_append_null(ln->cur->cols[i]);
        if (r) return sl_err_oom(err);
    }
    return SL_OK;
}

/* Raw mode, a record over the limit: counted, then per mode a NULL value
 * (PERMISSIVE), nothing (DROPMALFORMED) or an error (FAILFAST). */
static sl_status raw_oversized(sl_lines *ln, size_t len, sl_error *err)
{
    ln->src->stats.malformed++;
    if (ln->mode != SL_MODE_PERMISSIVE) ln->src->stats.dropped++;
    if (ln->mode == SL_MODE_FAILFAST)
        return sl_err(err, SL_ERR_FORMAT,
                      "source %s: a record of %zu bytes is over the limit maxRecordBytes = %lld "
                      "(FAILFAST)", ln->src->name, len, (long long)ln->max_record);
    if (ln->mode == SL_MODE_DROPMALFORMED) return SL_OK;
    return raw_row(ln, NULL, 0, err);
}

sl_status sl_lines_add(sl_lines *ln, const char *rec, size_t len, sl_error *err)
{
    sl_status st = begin_record(ln, len, err);
    if (st) return st;
    if (ln->fmt) {
        int64_t rows;
        st = sl_format_parse(ln->fmt, rec, len, ln->cur, &rows, err);
    } else if ((int64_t)len > ln->max_record) {
        st = raw_oversized(ln, len, err);
    } else {
        st = raw_row(ln, rec, len, err);
    }
    return st ? st : end_record(ln, err);
}

sl_status sl_lines_add_oversized(sl_lines *ln, const char *head, size_t head_len, size_t len,
                                 sl_error *err)
{
    (void)head_len; /* the format keeps at most min(1 KB, max_record) <= head_len bytes */
    sl_status st = begin_record(ln, len, err);
    if (st) return st;
    if (ln->fmt) {
        int64_t rows;
        st = sl_format_parse_oversized(ln->fmt, head, len, ln->cur, &rows, err);
    } else {
        st = raw_oversized(ln, len, err);
    }
    return st ? st : end_record(ln, err);
}

sl_status sl_lines_flush(sl_lines *ln, sl_error *err)
{
    sl_status st = flush_batch(ln, err);
    if (ln->fmt) {
        const sl_format_stats *fs = sl_format_get_stats(ln->fmt);
        ln->src->stats.malformed = fs->malformed;
        ln->src->stats.dropped = fs->dropped;
    }
    return st;
}
