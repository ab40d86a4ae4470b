/* Turning text records (lines, messages) into batches of a source's
 * declared columns: through a format (json, csv) when the source has one,
 * else as raw text into the column named `value`.  Shared by the socket and
 * file sources; batches go out through `emit` at SL_BATCH_ROWS rows. */
#ifndef SL_IO_LINES_H
#define SL_IO_LINES_H

#include "format/format.h"
#include "io/connector.h"

typedef struct sl_lines {
    sl_source *src;
    sl_format *fmt;         /* NULL: raw */
    int value_col;          /* raw mode: index of `value` */
    sl_batch *cur;
    sl_batch *spare;        /* an emitted batch nobody kept, to fill again */
    sl_emit_fn emit;
    void *ctx;
    /* Raw mode's limit (formats apply their own): a record over
     * 'maxRecordBytes' (default 16 MB) is handled per 'mode'. */
    int64_t max_record;
    sl_parse_mode mode;
} sl_lines;

/* Sets up parsing for src (option `format`: json | csv | text, default
 * text). Errors name the option or the missing `value` column. In text
 * mode a record over 'maxRecordBytes' is, per 'mode', a NULL value
 * (PERMISSIVE), dropped (DROPMALFORMED), both counted in src->stats, or an
 * SL_ERR_FORMAT error (FAILFAST); json and csv do the same in the format. */
sl_status sl_lines_init(sl_lines *ln, sl_source *src, sl_error *err);
void sl_lines_fini(sl_lines *ln);
/* Starts a read: batches go to emit(ctx, …). */
void sl_lines_start(sl_lines *ln, sl_emit_fn emit, void *ctx);
sl_status sl_lines_add(sl_lines *ln, const char *rec, size_t len, sl_error *err);
/* Emits what is buffered and folds the format's counters into src->stats. */
sl_status sl_lines_flush(sl_lines *ln, sl_error *err);

#endif
