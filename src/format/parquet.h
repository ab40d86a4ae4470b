/* Parquet: sluice's own reader and writer, the face of src/format/parquet*
 * to the rest of the library (the sink, the file source, bounded tables and
 * the Spark model loader).
 *
 * No Parquet or Arrow C library is packaged in Debian, so this is a small,
 * self-contained implementation of the format (Thrift compact protocol
 * included): the writer produces flat files of sluice's column types that
 * Spark, DuckDB and pyarrow read; the readers accept what those tools write —
 * flat files into batches, and any nesting (structs, lists, maps) into a JSON
 * document for the small files of saved models.  Every reader check is made
 * against the file's real size, so truncated or lying files give
 * SL_ERR_FORMAT, never a crash (fuzz/parquet_fuzz.c keeps it that way).
 *
 * Ownership follows STYLE.md: _open/_new return objects the caller frees
 * with the matching _close/_free (which accept NULL); batches returned are
 * owned by the caller (one reference). */
#ifndef SL_FORMAT_PARQUET_H
#define SL_FORMAT_PARQUET_H

#include "core/column.h"
#include "core/jdoc.h"
#include "core/options.h"

#include <stdbool.h>
#include <stdint.h>

/* Page compression codecs (the values are Parquet's CompressionCodec ids). */
typedef enum sl_pq_codec {
    SL_PQ_UNCOMPRESSED = 0,
    SL_PQ_SNAPPY = 1,
    SL_PQ_GZIP = 2,
    SL_PQ_ZSTD = 6
} sl_pq_codec;

typedef struct sl_pq_write_opts {
    sl_pq_codec codec;        /* default SNAPPY, as Spark */
    int64_t row_group_rows;   /* a row group is cut at this many rows (1M) */
    int64_t row_group_bytes;  /* … or this many buffered bytes (64 MiB) */
    int64_t page_rows;        /* rows per data page (64K) */
    bool dictionary;          /* try dictionary encoding (default true) */
    int64_t dict_max_bytes;   /* fall back to PLAIN above this (1 MiB) */
    int zstd_level;           /* default 3 */
} sl_pq_write_opts;

void sl_pq_write_opts_init(sl_pq_write_opts *o);
/* Reads `compression` (snappy|zstd|gzip|none|uncompressed),
 * `parquet.rowGroupRows`, `parquet.rowGroupBytes`, `parquet.pageRows`,
 * `parquet.dictionary` and `parquet.dictionaryMaxBytes` from opts on top of
 * the defaults. */
sl_status sl_pq_write_opts_from(const sl_options *opts, sl_pq_write_opts *o,
                                sl_error *err);
/* "snappy" etc. to a codec; -1 when unknown. */
int sl_pq_codec_parse(const char *name);

/* ---- writer ------------------------------------------------------------ */

typedef struct sl_pq_writer sl_pq_writer;

/* Creates (truncates) `path` and writes the header. Every column is written
 * OPTIONAL (sluice columns are nullable). schema and opts are copied. */
sl_status sl_pq_writer_open(const char *path, const sl_schema *schema,
                            const sl_pq_write_opts *opts,
                            sl_pq_writer **out, sl_error *err);
/* Reopens a complete Parquet file whose first `committed_len` bytes hold a
 * file this writer wrote for the same schema, to add row groups after it:
 * bytes past committed_len are cut off, the old footer stays in place as
 * dead bytes, and close writes a new footer listing the old row groups and
 * the new ones.  A reader given only committed_len bytes still sees the old
 * file, which is what the sink's exactly-once commit relies on. */
sl_status sl_pq_writer_reopen(const char *path, int64_t committed_len,
                              const sl_schema *schema,
                              const sl_pq_write_opts *opts,
                              sl_pq_writer **out, sl_error *err);
/* Appends the rows of b (columns of the writer's schema, borrowed). Row
 * groups are cut by the size options. */
sl_status sl_pq_writer_append(sl_pq_writer *w, const sl_batch *b, sl_error *err);
/* Rows and bytes so far (bytes: written to the file plus buffered). */
int64_t sl_pq_writer_rows(const sl_pq_writer *w);
int64_t sl_pq_writer_bytes(const sl_pq_writer *w);
/* Flushes the last row group, writes the footer, fsyncs when `sync`, closes
 * and frees w (also on error). out_bytes/out_rows may be NULL. */
sl_status sl_pq_writer_close(sl_pq_writer *w, bool sync, int64_t *out_bytes,
                             int64_t *out_rows, sl_error *err);
/* Frees w without writing a footer (the file is left incomplete). */
void sl_pq_writer_abort(sl_pq_writer *w);

/* ---- flat reader -------------------------------------------------------- */

typedef struct sl_pq_file sl_pq_file;

/* Opens a file (mapped read-only) and parses its footer.  len < 0 reads the
 * whole file; len >= 0 reads only its first len bytes (a sink manifest's
 * committed length). */
sl_status sl_pq_open(const char *path, int64_t len, sl_pq_file **out, sl_error *err);
/* Opens a file held in memory (borrowed: must outlive the sl_pq_file). */
sl_status sl_pq_open_mem(const uint8_t *data, size_t len, sl_pq_file **out,
                         sl_error *err);
void sl_pq_close(sl_pq_file *f);

/* The top-level primitive columns, mapped to sluice types (borrowed):
 * BOOLEAN; INT32 → INT (DATE → DATE, UINT32 → BIGINT, DECIMAL → DOUBLE);
 * INT64 → BIGINT (TIMESTAMP millis/micros/nanos → TIMESTAMP µs, DECIMAL →
 * DOUBLE); INT96 → TIMESTAMP; FLOAT, DOUBLE → DOUBLE; BYTE_ARRAY → STRING
 * (DECIMAL → DOUBLE); FIXED_LEN_BYTE_ARRAY → STRING (DECIMAL → DOUBLE, UUID
 * as text).  Nested (group or repeated) columns are left out of the flat
 * schema; sl_pq_read_records reads them. */
const sl_schema *sl_pq_schema(const sl_pq_file *f);
int64_t sl_pq_num_rows(const sl_pq_file *f);
int sl_pq_num_row_groups(const sl_pq_file *f);
/* "created_by" of the footer, or "" (borrowed). */
const char *sl_pq_created_by(const sl_pq_file *f);

/* Reads the next at most max_rows rows (all flat columns) into a new batch
 * the caller owns; *out is NULL at the end of the file. */
sl_status sl_pq_read_batch(sl_pq_file *f, int64_t max_rows, sl_batch **out,
                           sl_error *err);

/* True when the file has a top-level column `name` (case-insensitive) that
 * the flat schema leaves out: a group (struct, list, map) or a repeated
 * field. */
bool sl_pq_nested_column(const sl_pq_file *f, const char *name);

/* Skips the next n rows without returning them; whole row groups are not
 * decoded (a file source resuming inside a file the parquet sink appended
 * to).  Skipping past the end leaves the file at its end. */
sl_status sl_pq_skip_rows(sl_pq_file *f, int64_t n, sl_error *err);

/* ---- nested reader ------------------------------------------------------ */

/* Reads a whole file (meant for small ones: saved models) as a JSON
 * document whose root is an array of row objects.  Groups become objects;
 * LIST-annotated groups (3-level and the legacy 2-level forms) become arrays;
 * MAP / MAP_KEY_VALUE groups become arrays of {"key": …, "value": …} objects
 * (always, whatever the key type, so key order and non-string keys survive);
 * an un-annotated repeated field becomes an array.  Primitives: integers as
 * exact numbers, FLOAT/DOUBLE as numbers, BOOLEAN as booleans, BYTE_ARRAY as
 * strings, DECIMAL as numbers, DATE as days and TIMESTAMP/INT96 as µs since
 * the epoch (numbers); NULLs as null.  The caller frees *out with
 * sl_jdoc_free. */
sl_status sl_pq_read_records(const char *path, sl_jdoc **out, sl_error *err);
sl_status sl_pq_read_records_mem(const uint8_t *data, size_t len, sl_jdoc **out,
                                 sl_error *err);

/* ---- sink directories --------------------------------------------------- */

typedef struct sl_pq_committed {
    char *path;      /* full path (dir/…/part-….parquet), heap */
    int64_t length;  /* committed bytes: open with sl_pq_open(path, length) */
    int64_t rows;
} sl_pq_committed;

/* Lists the files a `connector = 'parquet'` sink committed under dir, from
 * its manifests (dir/_sluice_metadata/<batch id>): each file once, with the
 * length recorded by the latest batch that committed it.  *out (array of
 * *out_n, heap) is freed with sl_pq_committed_free.  A directory without
 * manifests gives 0 files. */
sl_status sl_parquet_sink_committed_files(const char *dir, sl_pq_committed **out,
                                          int *out_n, sl_error *err);
void sl_pq_committed_free(sl_pq_committed *files, int n);
/* The same as of batch `upto`: what batches <= upto committed. */
sl_status sl_parquet_sink_committed_upto(const char *dir, int64_t upto, sl_pq_committed **out,
                                         int *out_n, sl_error *err);
/* The files one batch's manifest lists, with their lengths and rows as of
 * that batch (a reader that holds the state as of an earlier batch applies
 * the manifests after it instead of reloading them all). */
sl_status sl_parquet_sink_batch_files(const char *dir, int64_t batch, sl_pq_committed **out,
                                      int *out_n, sl_error *err);

typedef enum sl_pq_dir_kind {
    SL_PQ_DIR_PLAIN = 0,     /* no _sluice_metadata: files as listed */
    SL_PQ_DIR_SINK,          /* a parquet sink's directory (JSON manifests) */
    SL_PQ_DIR_FILE_SINK,     /* a json/csv file sink's (state/manifest.h) */
    SL_PQ_DIR_SINK_EMPTY     /* a sink's (either), nothing committed yet */
} sl_pq_dir_kind;

/* What wrote dir, and for a parquet sink's directory the ids of the batches
 * it committed, ascending (*out_ids heap, NULL when none). */
sl_status sl_parquet_sink_batches(const char *dir, int64_t **out_ids, size_t *out_n,
                                  sl_pq_dir_kind *out_kind, sl_error *err);

#endif
