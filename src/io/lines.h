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
    /* 'maxRecordBytes' (default 16 MB), read in every mode: raw mode
     * applies it here (formats apply their own), and sources stop
     * buffering a line once it is longer (sl_lines_add_oversized). */
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
/* A record over ln->max_record bytes that the source did not keep whole:
 * `head` holds its first head_len bytes (at least the first kilobyte, or
 * max_record bytes if less: what PERMISSIVE puts in the corrupt-record
 * column), len is its full length.  Handled per 'mode' exactly as
 * sl_lines_add handles an oversized record it is given whole. */
sl_status sl_lines_add_oversized(sl_lines *ln, const char *head, size_t head_len, size_t len,
                                 sl_error *err);
/* Emits what is buffered and folds the format's counters into src->stats. */
sl_status sl_lines_flush(sl_lines *ln, sl_error *err);

#endif
