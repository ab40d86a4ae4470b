/* Record formats: text records in, columns out (and rows back to text).
 *
 * A parser is made for a declared schema and fills the builder columns of a
 * batch, appending one row per record — or, for JSON, one row per element
 * when the record is a top-level array of objects.  Columns listed in `skip`
 * are not touched (a source fills them itself: Kafka's offset, …).
 *
 * Malformed records follow Spark's `mode` option:
 *   PERMISSIVE (default)  one row of NULLs (fields that did parse are kept),
 *                         raw text in the corrupt-record column if declared
 *                         (option columnNameOfCorruptRecord, default
 *                         `_corrupt_record`);
 *   DROPMALFORMED         no row;
 *   FAILFAST              SL_ERR_FORMAT naming the record.
 * A value of the wrong type for its column (e.g. "abc" for an INT) makes the
 * record malformed, as Spark's JSON reader does; a JSON string holding a
 * number is cast to a declared numeric type.  Every malformed record is
 * counted in sl_format_stats. */
#ifndef SL_FORMAT_FORMAT_H
#define SL_FORMAT_FORMAT_H

#include "core/buf.h"
#include "core/column.h"
#include "core/options.h"

#include <stdbool.h>

typedef enum sl_parse_mode {
    SL_MODE_PERMISSIVE = 0,
    SL_MODE_DROPMALFORMED,
    SL_MODE_FAILFAST
} sl_parse_mode;

typedef struct sl_format_stats {
    int64_t records;    /* records seen */
    int64_t rows;       /* rows appended */
    int64_t malformed;  /* records that were malformed (any mode) */
    int64_t dropped;    /* malformed records that produced no row */
} sl_format_stats;

typedef struct sl_format sl_format;

/* Creates a parser for format "json" or "csv" over `schema`. skip may be NULL
 * or an array of schema->n flags. Options read: mode,
 * columnNameOfCorruptRecord, timestampFormat, and for CSV header (default
 * true), sep (default ','), quote ('"'), escape ('\\'), nullValue (''). The
 * schema and skip array are copied. */
sl_status sl_format_new(const char *format, const sl_schema *schema,
                        const bool *skip, const sl_options *opts,
                        sl_format **out, sl_error *err);
void sl_format_free(sl_format *f);

/* Parses one record (a line or a message, without its newline) and appends
 * its row(s) to `out`, a batch of builder columns of the schema.
 * *out_rows gets the number of rows appended. */
sl_status sl_format_parse(sl_format *f, const char *rec, size_t len,
                          sl_batch *out, int64_t *out_rows, sl_error *err);

/* A record of `len` bytes, over the limit 'maxRecordBytes', of which the
 * caller kept only the start: `head` holds at least its first kilobyte (or
 * maxRecordBytes bytes if less).  Counted and handled per mode as
 * sl_format_parse handles an oversized record given whole. */
sl_status sl_format_parse_oversized(sl_format *f, const char *head, size_t len,
                                    sl_batch *out, int64_t *out_rows, sl_error *err);

/* Tells a CSV parser that the next record starts a new file, so a header
 * line is expected (no-op for JSON). */
void sl_format_begin_file(sl_format *f);

const sl_format_stats *sl_format_get_stats(const sl_format *f);

/* Writers: append row `row` of b (named by schema) to out, without a
 * trailing newline. JSON: an object with Spark's value rendering (timestamps
 * as "2022-10-13T21:58:18.000Z", NULL fields omitted as Spark does). CSV:
 * fields quoted when needed. */
void sl_format_json_row(const sl_batch *b, const sl_schema *schema, int64_t row,
                        sl_buf *out);
void sl_format_csv_row(const sl_batch *b, const sl_schema *schema, int64_t row,
                       char sep, sl_buf *out);
void sl_format_csv_header(const sl_schema *schema, char sep, sl_buf *out);

#endif
