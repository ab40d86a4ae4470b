/* Parquet internals shared by the parquet*.c files and nowhere else: the
 * Thrift compact protocol (parquet_thrift.c), the file metadata structures as
 * this implementation keeps them, value and level encodings
 * (parquet_encoding.c) and page compression (parquet_compress.c).
 *
 * Readers work on a bounded cursor: every read checks the bytes left and a
 * failed read sets a sticky error flag instead of returning garbage, so the
 * parsers can be written straight-line and check once at the end. */
#ifndef SL_FORMAT_PARQUET_INT_H
#define SL_FORMAT_PARQUET_INT_H

#include "format/parquet.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/status.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Physical types. */
enum { PQ_BOOLEAN = 0, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE,
       PQ_BYTE_ARRAY, PQ_FIXED };
/* Repetition. */
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
/* Encodings. */
enum { PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICT = 2, PQ_ENC_RLE = 3,
       PQ_ENC_BIT_PACKED = 4, PQ_ENC_DELTA_BINARY = 5,
       PQ_ENC_DELTA_LENGTH = 6, PQ_ENC_DELTA_BYTE_ARRAY = 7,
       PQ_ENC_RLE_DICT = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9 };
/* Page types. */
enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICT = 2, PQ_PAGE_DATA_V2 = 3 };
/* Converted types used here. */
enum { PQ_CT_UTF8 = 0, PQ_CT_MAP = 1, PQ_CT_MAP_KV = 2, PQ_CT_LIST = 3,
       PQ_CT_ENUM = 4, PQ_CT_DECIMAL = 5, PQ_CT_DATE = 6,
       PQ_CT_TIME_MILLIS = 7, PQ_CT_TIME_MICROS = 8,
       PQ_CT_TIMESTAMP_MILLIS = 9, PQ_CT_TIMESTAMP_MICROS = 10,
       PQ_CT_UINT8 = 11, PQ_CT_UINT16 = 12, PQ_CT_UINT32 = 13,
       PQ_CT_UINT64 = 14, PQ_CT_INT8 = 15, PQ_CT_INT16 = 16,
       PQ_CT_INT32 = 17, PQ_CT_INT64 = 18, PQ_CT_JSON = 19 };
/* Logical types, as the union field id of LogicalType (0 = none). */
enum { PQ_LT_NONE = 0, PQ_LT_STRING = 1, PQ_LT_MAP = 2, PQ_LT_LIST = 3,
       PQ_LT_ENUM = 4, PQ_LT_DECIMAL = 5, PQ_LT_DATE = 6, PQ_LT_TIME = 7,
       PQ_LT_TIMESTAMP = 8, PQ_LT_INTEGER = 10, PQ_LT_UNKNOWN = 11,
       PQ_LT_JSON = 12, PQ_LT_BSON = 13, PQ_LT_UUID = 14, PQ_LT_FLOAT16 = 15 };
/* Time units for TIME/TIMESTAMP. */
enum { PQ_UNIT_MILLIS = 1, PQ_UNIT_MICROS = 2, PQ_UNIT_NANOS = 3 };

/* Thrift compact type ids. */
enum { TC_STOP = 0, TC_TRUE = 1, TC_FALSE = 2, TC_BYTE = 3, TC_I16 = 4,
       TC_I32 = 5, TC_I64 = 6, TC_DOUBLE = 7, TC_BINARY = 8, TC_LIST = 9,
       TC_SET = 10, TC_MAP = 11, TC_STRUCT = 12 };

/* ---- Thrift compact: writing ------------------------------------------- */

#define TW_MAX_DEPTH 16
typedef struct tw {
    sl_buf *out;
    int depth;
    int16_t last[TW_MAX_DEPTH];   /* last field id per open struct */
} tw;

void tw_init(tw *t, sl_buf *out);
void tw_varint(tw *t, uint64_t v);
void tw_field(tw *t, int id, int type);
void tw_i32(tw *t, int id, int32_t v);
void tw_i64(tw *t, int id, int64_t v);
void tw_bool(tw *t, int id, bool v);
void tw_binary(tw *t, int id, const void *p, size_t n);
void tw_string(tw *t, int id, const char *s);
/* A list field header; then write elements (tw_elem_* or nested structs). */
void tw_list(tw *t, int id, int elem_type, size_t n);
void tw_list_header(tw *t, int elem_type, size_t n);
void tw_elem_i32(tw *t, int32_t v);
void tw_elem_string(tw *t, const char *s);
/* A struct value: as a field (id > 0) or a list element (id == 0). */
void tw_struct_begin(tw *t, int id);
void tw_struct_end(tw *t);
void tw_stop(tw *t);

/* ---- Thrift compact: reading ------------------------------------------- */

typedef struct tr {
    const uint8_t *p, *end;
    int bad;                      /* sticky: a read ran off the end or overflowed */
    int depth;
    int16_t last[TW_MAX_DEPTH + 16];
} tr;

void tr_init(tr *t, const uint8_t *p, size_t n);
uint64_t tr_varint(tr *t);
int64_t tr_zigzag(tr *t);
/* Next field of the current struct: returns 0 at STOP (or error), else 1
 * with *type and *id set. Call tr_struct_begin/_end around the loop. */
int tr_field(tr *t, int *type, int *id);
void tr_struct_begin(tr *t);
void tr_struct_end(tr *t);
/* Value readers for a field whose type was just read. */
int32_t tr_i32(tr *t, int type);
int64_t tr_i64(tr *t, int type);
bool tr_bool(tr *t, int type);
/* Binary/string: pointer into the buffer (not NUL-terminated). */
const uint8_t *tr_binary(tr *t, size_t *len);
/* List header: element type and count (bounded by bytes left). */
size_t tr_list(tr *t, int *elem_type);
void tr_skip(tr *t, int type);

/* ---- metadata ----------------------------------------------------------- */

typedef struct pq_stats {
    const uint8_t *min, *max;    /* borrowed from the footer; NULL if absent */
    size_t min_len, max_len;
    int64_t null_count;          /* -1 if absent */
} pq_stats;

typedef struct pq_selem {
    char *name;
    int type;                    /* physical, -1 for groups */
    int type_length;
    int repetition;
    int num_children;
    int converted;               /* -1 if absent */
    int scale, precision;
    int logical;                 /* PQ_LT_* */
    int lt_unit;                 /* TIME/TIMESTAMP unit */
    bool lt_utc;
    int lt_bits; bool lt_signed; /* INTEGER */
} pq_selem;

typedef struct pq_colmeta {
    int type;
    int codec;
    int64_t num_values;
    int64_t total_compressed;
    int64_t data_page_offset;
    int64_t dict_page_offset;    /* -1 if absent */
    char **path; int n_path;
    pq_stats stats;
} pq_colmeta;

typedef struct pq_rowgroup {
    int64_t num_rows;
    int n_cols;
    pq_colmeta *cols;
    const uint8_t *raw; size_t raw_len;   /* the RowGroup struct's bytes */
} pq_rowgroup;

typedef struct pq_meta {
    int n_schema;
    pq_selem *schema;
    int64_t num_rows;
    int n_rg;
    pq_rowgroup *rgs;
    char *created_by;
    const uint8_t *schema_raw; size_t schema_raw_len;  /* the list's bytes */
} pq_meta;

/* Parses FileMetaData (buf must outlive meta: stats and raw spans point
 * into it). */
sl_status pq_meta_parse(const uint8_t *buf, size_t len, pq_meta *meta, sl_error *err);
void pq_meta_fini(pq_meta *meta);

typedef struct pq_page_header {
    int type;
    int32_t uncompressed, compressed;
    int32_t num_values;
    int encoding;
    int def_encoding, rep_encoding;
    /* v2 */
    int32_t num_nulls, num_rows;
    int32_t def_len, rep_len;
    bool is_compressed;
} pq_page_header;

/* Parses a PageHeader; *used gets its size in bytes. */
sl_status pq_page_header_parse(const uint8_t *buf, size_t len, pq_page_header *h,
                               size_t *used, sl_error *err);

/* Writes the schema list elements (root + one OPTIONAL leaf per field). */
void pq_write_schema(tw *t, const sl_schema *s);

/* ---- encodings ---------------------------------------------------------- */

/* The RLE / bit-packed hybrid: decodes n values of bit width bw (0..32)
 * into out. Returns 0 or -1 when the data runs short or is malformed. */
int pq_rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n);
/* Encodes n values of width bw, appended to out (no length prefix). */
void pq_rle_encode(sl_buf *out, const uint32_t *v, size_t n, int bw);
int pq_bit_width(uint32_t max);
/* Deprecated BIT_PACKED levels: MSB-first bit packing. */
int pq_bitpacked_msb_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n);

/* DELTA_BINARY_PACKED: decodes up to cap values; *n_out gets the count, *used
 * the bytes consumed. 32-bit columns are decoded in 64 bits and narrowed. */
int pq_delta_decode(const uint8_t *p, size_t len, int64_t *out, size_t cap,
                    size_t *n_out, size_t *used);
/* The total value count a DELTA_BINARY_PACKED header announces, or -1. */
int64_t pq_delta_count(const uint8_t *p, size_t len);

/* Decoded values of one physical type: fixed width in `fixed` (BOOLEAN one
 * byte each, INT96 12 bytes, FIXED type_length), byte arrays as offsets +
 * bytes. */
typedef struct pq_vals {
    int type;
    int width;              /* bytes per fixed value */
    size_t n, cap;
    uint8_t *fixed;
    uint32_t *off;          /* BYTE_ARRAY: n + 1 offsets into bytes */
    uint8_t *bytes;
    size_t bytes_len, bytes_cap;
    int oom;                /* sticky: a decode failed for want of memory */
} pq_vals;

void pq_vals_init(pq_vals *v, int type, int width);
void pq_vals_fini(pq_vals *v);
void pq_vals_clear(pq_vals *v);
int pq_vals_reserve(pq_vals *v, size_t n, size_t bytes);
/* Appends value i of src (same type) to v. */
int pq_vals_push_from(pq_vals *v, const pq_vals *src, size_t i);

/* Decodes n values of encoding enc from p[0..len) appended to v. For
 * dictionary encodings `dict` gives the values. Returns 0 or -1; on -1,
 * v->oom tells an allocation failure from malformed data. */
int pq_decode_values(int enc, const uint8_t *p, size_t len, size_t n,
                     const pq_vals *dict, pq_vals *v);

/* ---- compression -------------------------------------------------------- */

/* Compresses src into out (appended). Returns 0 or -1. */
int pq_compress(int codec, int level, const void *src, size_t n, sl_buf *out);
/* Decompresses exactly out_len bytes into out. Returns 0 or -1 with a
 * message in err. */
sl_status pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *out,
                        size_t out_len, sl_error *err);
/* Before out_len bytes are allocated for a page: refuses a claimed size the
 * n compressed bytes cannot hold (exact for uncompressed and Snappy pages
 * and zstd frames that record their size; deflate's and zstd's largest
 * ratios otherwise), so a small file cannot make the reader reserve
 * gigabytes. */
sl_status pq_decompress_check(int codec, const uint8_t *src, size_t n, size_t out_len,
                              sl_error *err);

/* INT96 (nanos of day, Julian day) to µs since the epoch. */
int64_t pq_int96_to_us(const uint8_t *p);

#endif
