/* The Parquet writer: sluice batches in, a flat Parquet file out (the
 * parquet sink and `format = 'parquet'` file output sit on top of it).
 *
 * Appended batches are not copied: the writer keeps a reference to each and
 * the row range it contributes to the current row group, and encodes the
 * whole row group when it is cut (by rows or estimated bytes) or at close.
 * Each column chunk is encoded in two passes over those rows: the first
 * gathers statistics and builds a dictionary (abandoned, and the chunk
 * written PLAIN, once the dictionary's values pass dict_max_bytes), the
 * second writes data pages v1 of page_rows rows each: RLE definition levels,
 * then PLAIN values or RLE_DICTIONARY indices, compressed with the codec.
 * Every column is OPTIONAL, since every sluice column is nullable. */
#include "format/parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef struct seg {
    sl_batch *b;
    int64_t start, n;
} seg;

typedef struct chunk_meta {
    int phys;
    int64_t num_values;
    int64_t uncompressed, compressed;
    int64_t data_off, dict_off;   /* dict_off -1 when none */
    bool dict;
    int64_t null_count;
    bool has_minmax;
    uint8_t *min, *max;           /* PLAIN bytes of the value, heap */
    size_t min_len, max_len;
} chunk_meta;

typedef struct rg_meta {
    int64_t num_rows, total_bytes, file_offset, compressed;
    chunk_meta *cols;
} rg_meta;

struct sl_pq_writer {
    FILE *fp;
    char *path;
    sl_schema *schema;
    sl_pq_write_opts o;
    int64_t offset;            /* bytes in the file */
    seg *segs;
    size_t n_segs, cap_segs;
    int64_t rg_rows;
    int64_t rg_bytes;          /* estimate of the buffered rows' size */
    rg_meta *rgs;
    size_t n_rg, cap_rg;
    int64_t rows;              /* rows in flushed row groups (old + new) */
    uint8_t *old_rgs;          /* reopen: raw RowGroup structs, back to back */
    size_t old_rgs_len;
    int n_old_rgs;
    sl_buf page, comp, hdr;    /* scratch */
};

void sl_pq_write_opts_init(sl_pq_write_opts *o)
{
    o->codec = SL_PQ_SNAPPY;
    o->row_group_rows = 1000000;
    o->row_group_bytes = 64 << 20;
    o->page_rows = 65536;
    o->dictionary = true;
    o->dict_max_bytes = 1 << 20;
    o->zstd_level = 3;
}

int sl_pq_codec_parse(const char *name)
{
    if (!strcasecmp(name, "snappy")) return SL_PQ_SNAPPY;
    if (!strcasecmp(name, "zstd")) return SL_PQ_ZSTD;
    if (!strcasecmp(name, "gzip")) return SL_PQ_GZIP;
    if (!strcasecmp(name, "none") || !strcasecmp(name, "uncompressed")) return SL_PQ_UNCOMPRESSED;
    return -1;
}

sl_status sl_pq_write_opts_from(const sl_options *opts, sl_pq_write_opts *o, sl_error *err)
{
    const char *c = sl_options_get(opts, "compression");
    if (c) {
        int codec = sl_pq_codec_parse(c);
        if (codec < 0)
            return sl_err(err, SL_ERR_CONFIG,
                          "option 'compression': '%s' is not one of snappy, zstd, gzip, none", c);
        o->codec = (sl_pq_codec)codec;
    }
    sl_status st;
    if ((st = sl_options_get_i64(opts, "parquet.rowGroupRows", o->row_group_rows, &o->row_group_rows, err)) ||
        (st = sl_options_get_i64(opts, "parquet.rowGroupBytes", o->row_group_bytes, &o->row_group_bytes, err)) ||
        (st = sl_options_get_i64(opts, "parquet.pageRows", o->page_rows, &o->page_rows, err)) ||
        (st = sl_options_get_bool(opts, "parquet.dictionary", o->dictionary, &o->dictionary, err)) ||
        (st = sl_options_get_i64(opts, "parquet.dictionaryMaxBytes", o->dict_max_bytes, &o->dict_max_bytes, err)))
        return st;
    if (o->row_group_rows < 1 || o->page_rows < 1 || o->row_group_bytes < 1)
        return sl_err(err, SL_ERR_CONFIG, "parquet row group and page sizes must be positive");
    return SL_OK;
}

static int phys_of(sl_type t)
{
    switch (t) {
    case SL_TYPE_BOOLEAN: return PQ_BOOLEAN;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: return PQ_INT64;
    case SL_TYPE_DOUBLE: return PQ_DOUBLE;
    case SL_TYPE_STRING: return PQ_BYTE_ARRAY;
    default: return PQ_INT32;
    }
}

static sl_schema *schema_copy(const sl_schema *s)
{
    sl_schema *c = sl_schema_new(s->n);
    if (!c) return NULL;
    for (int i = 0; i < s->n; i++)
        if (sl_schema_set(c, i, s->fields[i].name, s->fields[i].type)) {
            sl_schema_free(c);
            return NULL;
        }
    return c;
}

static void writer_free(sl_pq_writer *w)
{
    if (!w) return;
    if (w->fp) fclose(w->fp);
    for (size_t i = 0; i < w->n_segs; i++) sl_batch_unref(w->segs[i].b);
    sl_free(w->segs);
    for (size_t r = 0; r < w->n_rg; r++) {
        if (!w->rgs[r].cols) continue;
        for (int c = 0; c < w->schema->n; c++) {
            sl_free(w->rgs[r].cols[c].min);
            sl_free(w->rgs[r].cols[c].max);
        }
        sl_free(w->rgs[r].cols);
    }
    sl_free(w->rgs);
    sl_free(w->old_rgs);
    sl_schema_free(w->schema);
    sl_free(w->path);
    sl_buf_fini(&w->page);
    sl_buf_fini(&w->comp);
    sl_buf_fini(&w->hdr);
    sl_free(w);
}

static sl_status io_err(sl_error *err, const char *what, const char *path)
{
    sl_status st = sl_err(err, SL_ERR_IO, "parquet: %s %s: %s", what, path, strerror(errno));
    if (err) err->retriable = 1;
    return st;
}

static sl_status put(sl_pq_writer *w, const void *p, size_t n, sl_error *err)
{
    if (n && fwrite(p, 1, n, w->fp) != n) return io_err(err, "cannot write", w->path);
    w->offset += (int64_t)n;
    return SL_OK;
}

static sl_status writer_new(const char *path, const sl_schema *schema,
                            const sl_pq_write_opts *opts, sl_pq_writer **out, sl_error *err)
{
    sl_pq_writer *w = sl_calloc(1, sizeof *w);
    if (!w) return sl_err_oom(err);
    if (opts) w->o = *opts;
    else sl_pq_write_opts_init(&w->o);
    if (w->o.page_rows < 1) w->o.page_rows = 65536;
    if (w->o.row_group_rows < 1) w->o.row_group_rows = 1000000;
    w->path = sl_strdup(path);
    w->schema = schema_copy(schema);
    if (!w->path || !w->schema) { writer_free(w); return sl_err_oom(err); }
    *out = w;
    return SL_OK;
}

sl_status sl_pq_writer_open(const char *path, const sl_schema *schema,
                            const sl_pq_write_opts *opts, sl_pq_writer **out, sl_error *err)
{
    *out = NULL;
    sl_pq_writer *w;
    sl_status st = writer_new(path, schema, opts, &w, err);
    if (st) return st;
    w->fp = fopen(path, "wb");
    if (!w->fp) { st = io_err(err, "cannot create", path); writer_free(w); return st; }
    setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
    if ((st = put(w, "PAR1", 4, err))) { writer_free(w); return st; }
    *out = w;
    return SL_OK;
}

sl_status sl_pq_writer_reopen(const char *path, int64_t committed_len,
                              const sl_schema *schema, const sl_pq_write_opts *opts,
                              sl_pq_writer **out, sl_error *err)
{
    *out = NULL;
    sl_pq_writer *w;
    sl_status st = writer_new(path, schema, opts, &w, err);
    if (st) return st;
    uint8_t *foot = NULL;
    pq_meta m;
    memset(&m, 0, sizeof m);
    sl_buf want;
    sl_buf_init(&want);
    w->fp = fopen(path, "r+b");
    if (!w->fp) { st = io_err(err, "cannot reopen", path); goto fail; }
    uint8_t tail[8];
    if (committed_len < 12 || fseeko(w->fp, committed_len - 8, SEEK_SET) ||
        fread(tail, 1, 8, w->fp) != 8 || memcmp(tail + 4, "PAR1", 4)) {
        st = sl_err(err, SL_ERR_FORMAT, "parquet: %s: no complete file in its first %lld bytes",
                    path, (long long)committed_len);
        goto fail;
    }
    uint32_t flen;
    memcpy(&flen, tail, 4);
    if ((int64_t)flen > committed_len - 12) {
        st = sl_err(err, SL_ERR_FORMAT, "parquet: %s: bad footer length", path);
        goto fail;
    }
    foot = sl_malloc(flen ? flen : 1);
    if (!foot) { st = sl_err_oom(err); goto fail; }
    if (fseeko(w->fp, committed_len - 8 - flen, SEEK_SET) || fread(foot, 1, flen, w->fp) != flen) {
        st = io_err(err, "cannot read", path);
        goto fail;
    }
    if ((st = pq_meta_parse(foot, flen, &m, err))) goto fail;
    /* the old file must have exactly the schema this writer would write */
    tw t;
    tw_init(&t, &want);
    pq_write_schema(&t, schema);
    if (want.oom) { st = sl_err_oom(err); goto fail; }
    if (want.len < 1 || m.schema_raw_len != want.len - 1 ||
        memcmp(m.schema_raw, want.data + 1, m.schema_raw_len) != 0) {
        st = sl_err(err, SL_ERR_FORMAT, "parquet: %s was written for another schema", path);
        goto fail;
    }
    size_t total = 0;
    for (int i = 0; i < m.n_rg; i++) total += m.rgs[i].raw_len;
    w->old_rgs = sl_malloc(total ? total : 1);
    if (!w->old_rgs) { st = sl_err_oom(err); goto fail; }
    for (int i = 0; i < m.n_rg; i++) {
        memcpy(w->old_rgs + w->old_rgs_len, m.rgs[i].raw, m.rgs[i].raw_len);
        w->old_rgs_len += m.rgs[i].raw_len;
    }
    w->n_old_rgs = m.n_rg;
    w->rows = m.num_rows;
    /* cut off whatever a crashed attempt left after the committed bytes */
    fflush(w->fp);
    if (ftruncate(fileno(w->fp), committed_len) || fseeko(w->fp, committed_len, SEEK_SET)) {
        st = io_err(err, "cannot truncate", path);
        goto fail;
    }
    setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
    w->offset = committed_len;
    pq_meta_fini(&m);
    sl_free(foot);
    sl_buf_fini(&want);
    *out = w;
    return SL_OK;
fail:
    pq_meta_fini(&m);
    sl_free(foot);
    sl_buf_fini(&want);
    writer_free(w);
    return st;
}

int64_t sl_pq_writer_rows(const sl_pq_writer *w) { return w->rows + w->rg_rows; }
int64_t sl_pq_writer_bytes(const sl_pq_writer *w) { return w->offset + w->rg_bytes / 2; }

/* ---- dictionary --------------------------------------------------------- */

typedef struct dict {
    uint32_t *slots;      /* entry index + 1, 0 = empty */
    size_t n_slots;
    size_t n;             /* entries */
    size_t cap;
    uint64_t *fixed;      /* fixed-width values (raw bits) */
    const char **strs;    /* string values (borrowed from the columns) */
    uint32_t *lens;
    size_t bytes;         /* PLAIN size of the entries */
} dict;

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15) ^ n;
    while (n >= 8) {
        uint64_t k;
        memcpy(&k, s, 8);
        h = mix64(h ^ k);
        s += 8;
        n -= 8;
    }
    uint64_t k = 0;
    memcpy(&k, s, n);
    return mix64(h ^ k);
}

static void dict_fini(dict *d)
{
    sl_free(d->slots);
    sl_free(d->fixed);
    sl_free(d->strs);
    sl_free(d->lens);
    memset(d, 0, sizeof *d);
}

static int dict_rehash(dict *d, bool is_str)
{
    size_t ns = d->n_slots ? d->n_slots * 2 : 1024;
    uint32_t *slots = sl_calloc(ns, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < d->n; i++) {
        uint64_t h = is_str ? hash_bytes(d->strs[i], d->lens[i]) : mix64(d->fixed[i]);
        size_t s = (size_t)h & (ns - 1);
        while (slots[s]) s = (s + 1) & (ns - 1);
        slots[s] = (uint32_t)i + 1;
    }
    sl_free(d->slots);
    d->slots = slots;
    d->n_slots = ns;
    return 0;
}

/* Index of the value, inserting it; -1 on OOM. */
static int64_t dict_put(dict *d, bool is_str, uint64_t fv, const char *s, size_t len, size_t width)
{
    if ((d->n + 1) * 2 > d->n_slots && dict_rehash(d, is_str)) return -1;
    uint64_t h = is_str ? hash_bytes(s, len) : mix64(fv);
    size_t slot = (size_t)h & (d->n_slots - 1);
    while (d->slots[slot]) {
        size_t e = d->slots[slot] - 1;
        if (is_str ? (d->lens[e] == len && memcmp(d->strs[e], s, len) == 0) : d->fixed[e] == fv)
            return (int64_t)e;
        slot = (slot + 1) & (d->n_slots - 1);
    }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 256;
        if (is_str) {
            const char **ns = sl_realloc(d->strs, nc * sizeof *ns);
            if (!ns) return -1;
            d->strs = ns;
            uint32_t *nl = sl_realloc(d->lens, nc * sizeof *nl);
            if (!nl) return -1;
            d->lens = nl;
        } else {
            uint64_t *nf = sl_realloc(d->fixed, nc * sizeof *nf);
            if (!nf) return -1;
            d->fixed = nf;
        }
        d->cap = nc;
    }
    if (is_str) { d->strs[d->n] = s; d->lens[d->n] = (uint32_t)len; d->bytes += 4 + len; }
    else { d->fixed[d->n] = fv; d->bytes += width; }
    d->slots[slot] = (uint32_t)d->n + 1;
    return (int64_t)d->n++;
}

/* ---- statistics --------------------------------------------------------- */

typedef struct stats {
    bool any;
    int64_t nulls;
    int64_t imin, imax;
    double dmin, dmax;
    bool dany;
    const char *smin, *smax;
    size_t smin_len, smax_len;
} stats;

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    if (c) return c;
    return al < bl ? -1 : al > bl;
}

/* Raw 64-bit pattern of a fixed-width value for hashing. */
static uint64_t fixed_bits(const sl_col *col, int64_t i)
{
    uint64_t v = 0;
    switch (col->type) {
    case SL_TYPE_INT: case SL_TYPE_DATE: v = (uint32_t)sl_col_i32(col)[i]; break;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: v = (uint64_t)sl_col_i64(col)[i]; break;
    case SL_TYPE_DOUBLE: memcpy(&v, &sl_col_f64(col)[i], 8); break;
    default: break;
    }
    return v;
}

static void stats_add(stats *s, const sl_col *col, int64_t i)
{
    switch (col->type) {
    case SL_TYPE_BOOLEAN: case SL_TYPE_INT: case SL_TYPE_DATE:
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: {
        int64_t v = col->type == SL_TYPE_BOOLEAN ? sl_col_bool(col, i)
                    : (col->type == SL_TYPE_INT || col->type == SL_TYPE_DATE) ? sl_col_i32(col)[i]
                    : sl_col_i64(col)[i];
        if (!s->any || v < s->imin) s->imin = v;
        if (!s->any || v > s->imax) s->imax = v;
        s->any = true;
        break;
    }
    case SL_TYPE_DOUBLE: {
        double v = sl_col_f64(col)[i];
        if (v != v) break;   /* NaN is left out of min/max */
        if (!s->any || v < s->dmin) s->dmin = v;
        if (!s->any || v > s->dmax) s->dmax = v;
        s->any = true;
        break;
    }
    case SL_TYPE_STRING: {
        size_t n;
        const char *p = sl_col_str(col, i, &n);
        if (!s->any || bytes_cmp(p, n, s->smin, s->smin_len) < 0) { s->smin = p; s->smin_len = n; }
        if (!s->any || bytes_cmp(p, n, s->smax, s->smax_len) > 0) { s->smax = p; s->smax_len = n; }
        s->any = true;
        break;
    }
    default: break;
    }
}

static int stats_store(const stats *s, sl_type t, chunk_meta *cm)
{
    cm->has_minmax = s->any;
    if (!s->any) return 0;
    uint8_t a[8], b[8];
    const void *mn = a, *mx = b;
    size_t len = 0, mxlen = 0;
    switch (t) {
    case SL_TYPE_BOOLEAN: a[0] = (uint8_t)s->imin; b[0] = (uint8_t)s->imax; len = mxlen = 1; break;
    case SL_TYPE_INT: case SL_TYPE_DATE: {
        int32_t x = (int32_t)s->imin, y = (int32_t)s->imax;
        memcpy(a, &x, 4); memcpy(b, &y, 4); len = mxlen = 4;
        break;
    }
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP:
        memcpy(a, &s->imin, 8); memcpy(b, &s->imax, 8); len = mxlen = 8;
        break;
    case SL_TYPE_DOUBLE: {
        /* the spec asks for -0.0 as a zero min and +0.0 as a zero max */
        double x = s->dmin == 0 ? -0.0 : s->dmin, y = s->dmax == 0 ? 0.0 : s->dmax;
        memcpy(a, &x, 8); memcpy(b, &y, 8); len = mxlen = 8;
        break;
    }
    case SL_TYPE_STRING:
        mn = s->smin; len = s->smin_len; mx = s->smax; mxlen = s->smax_len;
        break;
    default: cm->has_minmax = false; return 0;
    }
    cm->min = sl_malloc(len ? len : 1);
    cm->max = sl_malloc(mxlen ? mxlen : 1);
    if (!cm->min || !cm->max) return -1;
    if (len) memcpy(cm->min, mn, len);
    if (mxlen) memcpy(cm->max, mx, mxlen);
    cm->min_len = len;
    cm->max_len = mxlen;
    return 0;
}

/* ---- pages -------------------------------------------------------------- */

static void put_plain(sl_buf *b, const sl_col *col, int64_t i)
{
    switch (col->type) {
    case SL_TYPE_INT: case SL_TYPE_DATE: sl_buf_append(b, &sl_col_i32(col)[i], 4); break;
    case SL_TYPE_BIGINT: case SL_TYPE_TIMESTAMP: sl_buf_append(b, &sl_col_i64(col)[i], 8); break;
    case SL_TYPE_DOUBLE: sl_buf_append(b, &sl_col_f64(col)[i], 8); break;
    case SL_TYPE_STRING: {
        size_t n;
        const char *p = sl_col_str(col, i, &n);
        uint32_t l = (uint32_t)n;
        sl_buf_append(b, &l, 4);
        sl_buf_append(b, p, n);
        break;
    }
    default: { int32_t z = 0; sl_buf_append(b, &z, 4); break; }  /* NULL type */
    }
}

/* Compresses w->page and writes header + body. */
static sl_status write_page(sl_pq_writer *w, int type, int32_t num_values, int enc,
                            chunk_meta *cm, sl_error *err)
{
    sl_buf_reset(&w->comp);
    if (w->page.oom || pq_compress(w->o.codec, w->o.zstd_level, w->page.data ? w->page.data : "",
                                   w->page.len, &w->comp))
        return w->page.oom || w->comp.oom ? sl_err_oom(err)
                                          : sl_err(err, SL_ERR_INTERNAL, "parquet: compression failed");
    if (w->page.len > INT32_MAX || w->comp.len > INT32_MAX)
        return sl_err(err, SL_ERR_FORMAT, "parquet: page larger than 2 GiB");
    sl_buf_reset(&w->hdr);
    tw t;
    tw_init(&t, &w->hdr);
    tw_struct_begin(&t, 0);
    tw_i32(&t, 1, type);
    tw_i32(&t, 2, (int32_t)w->page.len);
    tw_i32(&t, 3, (int32_t)w->comp.len);
    if (type == PQ_PAGE_DATA) {
        tw_struct_begin(&t, 5);
        tw_i32(&t, 1, num_values);
        tw_i32(&t, 2, enc);
        tw_i32(&t, 3, PQ_ENC_RLE);
        tw_i32(&t, 4, PQ_ENC_RLE);
        tw_struct_end(&t);
    } else {
        tw_struct_begin(&t, 7);
        tw_i32(&t, 1, num_values);
        tw_i32(&t, 2, enc);
        tw_struct_end(&t);
    }
    tw_struct_end(&t);
    if (w->hdr.oom) return sl_err_oom(err);
    sl_status st;
    if ((st = put(w, w->hdr.data, w->hdr.len, err)) || (st = put(w, w->comp.data, w->comp.len, err)))
        return st;
    cm->uncompressed += (int64_t)(w->hdr.len + w->page.len);
    cm->compressed += (int64_t)(w->hdr.len + w->comp.len);
    return SL_OK;
}

static sl_status write_chunk(sl_pq_writer *w, int c, chunk_meta *cm, sl_error *err)
{
    sl_type type = w->schema->fields[c].type;
    bool is_str = type == SL_TYPE_STRING;
    size_t width = sl_type_width(type);
    cm->phys = phys_of(type);
    cm->dict_off = -1;
    cm->num_values = w->rg_rows;
    bool use_dict = w->o.dictionary && type != SL_TYPE_BOOLEAN && type != SL_TYPE_NULL;
    dict d;
    memset(&d, 0, sizeof d);
    stats s;
    memset(&s, 0, sizeof s);
    uint32_t *idx = NULL;
    uint32_t *levels = NULL;
    size_t n_idx = 0;
    sl_status st = SL_OK;

    if (use_dict) {
        idx = sl_malloc((size_t)(w->rg_rows ? w->rg_rows : 1) * sizeof *idx);
        if (!idx) { st = sl_err_oom(err); goto out; }
    }
    /* pass 1: statistics and dictionary */
    for (size_t k = 0; k < w->n_segs; k++) {
        const sl_col *col = w->segs[k].b->cols[c];
        int64_t end = w->segs[k].start + w->segs[k].n;
        for (int64_t i = w->segs[k].start; i < end; i++) {
            if (type == SL_TYPE_NULL || sl_col_is_null(col, i)) { s.nulls++; continue; }
            stats_add(&s, col, i);
            if (!use_dict) continue;
            int64_t e;
            if (is_str) {
                size_t n;
                const char *p = sl_col_str(col, i, &n);
                e = dict_put(&d, true, 0, p, n, 0);
            } else e = dict_put(&d, false, fixed_bits(col, i), NULL, 0, width);
            if (e < 0) { st = sl_err_oom(err); goto out; }
            idx[n_idx++] = (uint32_t)e;
            if ((int64_t)d.bytes > w->o.dict_max_bytes) {
                use_dict = false;   /* too many distinct values: PLAIN */
                dict_fini(&d);
            }
        }
    }
    cm->null_count = s.nulls;
    if (stats_store(&s, type, cm)) { st = sl_err_oom(err); goto out; }

    if (use_dict) {
        cm->dict = true;
        cm->dict_off = w->offset;
        sl_buf_reset(&w->page);
        for (size_t e = 0; e < d.n; e++) {
            if (is_str) {
                uint32_t l = d.lens[e];
                sl_buf_append(&w->page, &l, 4);
                sl_buf_append(&w->page, d.strs[e], l);
            } else sl_buf_append(&w->page, &d.fixed[e], width);
        }
        if ((st = write_page(w, PQ_PAGE_DICT, (int32_t)d.n, PQ_ENC_PLAIN, cm, err))) goto out;
    }
    cm->data_off = w->offset;

    /* pass 2: data pages */
    levels = sl_malloc((size_t)w->o.page_rows * sizeof *levels);
    if (!levels) { st = sl_err_oom(err); goto out; }
    int bw = use_dict ? pq_bit_width(d.n ? (uint32_t)(d.n - 1) : 0) : 0;
    size_t si = 0;
    int64_t so = 0, left = w->rg_rows;
    size_t idx_pos = 0;
    sl_buf vals;
    sl_buf_init(&vals);
    while (left > 0) {
        int64_t page_n = left < w->o.page_rows ? left : w->o.page_rows;
        size_t nv = 0, idx_start = idx_pos;
        sl_buf_reset(&vals);
        uint8_t boolbits = 0;
        int nbits = 0;
        for (int64_t r = 0; r < page_n;) {
            const seg *sg = &w->segs[si];
            const sl_col *col = sg->b->cols[c];
            int64_t take = sg->n - so;
            if (take > page_n - r) take = page_n - r;
            for (int64_t j = 0; j < take; j++) {
                int64_t i = sg->start + so + j;
                bool null = type == SL_TYPE_NULL || sl_col_is_null(col, i);
                levels[r + j] = !null;
                if (null) continue;
                nv++;
                if (use_dict) { idx_pos++; continue; }
                if (type == SL_TYPE_BOOLEAN) {
                    if (sl_col_bool(col, i)) boolbits |= (uint8_t)(1u << nbits);
                    if (++nbits == 8) { sl_buf_putc(&vals, (char)boolbits); boolbits = 0; nbits = 0; }
                } else put_plain(&vals, col, i);
            }
            r += take;
            so += take;
            if (so == sg->n) { si++; so = 0; }
        }
        if (nbits) sl_buf_putc(&vals, (char)boolbits);
        sl_buf_reset(&w->page);
        /* v1 definition levels: 4-byte length, then the hybrid run */
        uint32_t zero = 0;
        sl_buf_append(&w->page, &zero, 4);
        size_t lstart = w->page.len;
        pq_rle_encode(&w->page, levels, (size_t)page_n, 1);
        if (w->page.oom) { sl_buf_fini(&vals); st = sl_err_oom(err); goto out; }
        uint32_t llen = (uint32_t)(w->page.len - lstart);
        memcpy(w->page.data + lstart - 4, &llen, 4);
        if (use_dict) {
            sl_buf_putc(&w->page, (char)bw);
            pq_rle_encode(&w->page, idx + idx_start, nv, bw);
        } else {
            sl_buf_append(&w->page, vals.data ? vals.data : "", vals.len);
        }
        if (vals.oom) { sl_buf_fini(&vals); st = sl_err_oom(err); goto out; }
        if ((st = write_page(w, PQ_PAGE_DATA, (int32_t)page_n,
                             use_dict ? PQ_ENC_RLE_DICT : PQ_ENC_PLAIN, cm, err))) {
            sl_buf_fini(&vals);
            goto out;
        }
        left -= page_n;
    }
    sl_buf_fini(&vals);
out:
    sl_free(levels);
    sl_free(idx);
    dict_fini(&d);
    return st;
}

static sl_status flush_rowgroup(sl_pq_writer *w, sl_error *err)
{
    if (w->rg_rows == 0) return SL_OK;
    if (w->n_rg == w->cap_rg &&
        sl_grow((void **)&w->rgs, &w->cap_rg, w->n_rg + 1, sizeof *w->rgs))
        return sl_err_oom(err);
    rg_meta *rg = &w->rgs[w->n_rg];
    memset(rg, 0, sizeof *rg);
    rg->cols = sl_calloc((size_t)(w->schema->n ? w->schema->n : 1), sizeof *rg->cols);
    if (!rg->cols) return sl_err_oom(err);
    w->n_rg++;
    rg->num_rows = w->rg_rows;
    rg->file_offset = w->offset;
    for (int c = 0; c < w->schema->n; c++) {
        sl_status st = write_chunk(w, c, &rg->cols[c], err);
        if (st) return st;
        rg->total_bytes += rg->cols[c].uncompressed;
        rg->compressed += rg->cols[c].compressed;
    }
    for (size_t i = 0; i < w->n_segs; i++) sl_batch_unref(w->segs[i].b);
    w->n_segs = 0;
    w->rows += w->rg_rows;
    w->rg_rows = 0;
    w->rg_bytes = 0;
    return SL_OK;
}

static int64_t row_bytes_estimate(const sl_batch *b, int64_t start, int64_t n)
{
    int64_t est = 0;
    for (int c = 0; c < b->n_cols; c++) {
        const sl_col *col = b->cols[c];
        if (col->type == SL_TYPE_STRING) {
            const int32_t *o = sl_col_offsets(col);
            est += (int64_t)(o[start + n] - o[start]) + 4 * n;
        } else est += n * (int64_t)(sl_type_width(col->type) ? sl_type_width(col->type) : 1);
    }
    return est;
}

sl_status sl_pq_writer_append(sl_pq_writer *w, const sl_batch *b, sl_error *err)
{
    if (b->n_cols != w->schema->n)
        return sl_err(err, SL_ERR_INTERNAL, "parquet: batch has %d columns, schema %d",
                      b->n_cols, w->schema->n);
    for (int c = 0; c < b->n_cols; c++)
        if (b->cols[c]->type != w->schema->fields[c].type && w->schema->fields[c].type != SL_TYPE_NULL)
            return sl_err(err, SL_ERR_INTERNAL, "parquet: column %s has type %s, schema %s",
                          w->schema->fields[c].name, sl_type_name(b->cols[c]->type),
                          sl_type_name(w->schema->fields[c].type));
    int64_t pos = 0;
    while (pos < b->n_rows) {
        int64_t take = b->n_rows - pos;
        if (take > w->o.row_group_rows - w->rg_rows) take = w->o.row_group_rows - w->rg_rows;
        if (w->n_segs == w->cap_segs &&
            sl_grow((void **)&w->segs, &w->cap_segs, w->n_segs + 1, sizeof *w->segs))
            return sl_err_oom(err);
        w->segs[w->n_segs].b = sl_batch_ref((sl_batch *)b);
        w->segs[w->n_segs].start = pos;
        w->segs[w->n_segs].n = take;
        w->n_segs++;
        w->rg_rows += take;
        w->rg_bytes += row_bytes_estimate(b, pos, take);
        pos += take;
        if (w->rg_rows >= w->o.row_group_rows || w->rg_bytes >= w->o.row_group_bytes) {
            sl_status st = flush_rowgroup(w, err);
            if (st) return st;
        }
    }
    return SL_OK;
}

/* ---- footer ------------------------------------------------------------- */

static void write_rowgroup_meta(tw *t, const sl_pq_writer *w, const rg_meta *rg)
{
    tw_struct_begin(t, 0);
    tw_list(t, 1, TC_STRUCT, (size_t)w->schema->n);
    for (int c = 0; c < w->schema->n; c++) {
        const chunk_meta *cm = &rg->cols[c];
        tw_struct_begin(t, 0);
        tw_i64(t, 2, cm->dict_off >= 0 ? cm->dict_off : cm->data_off);
        tw_struct_begin(t, 3);
        tw_i32(t, 1, cm->phys);
        if (cm->dict) {
            tw_list(t, 2, TC_I32, 3);
            tw_elem_i32(t, PQ_ENC_PLAIN);
            tw_elem_i32(t, PQ_ENC_RLE);
            tw_elem_i32(t, PQ_ENC_RLE_DICT);
        } else {
            tw_list(t, 2, TC_I32, 2);
            tw_elem_i32(t, PQ_ENC_PLAIN);
            tw_elem_i32(t, PQ_ENC_RLE);
        }
        tw_list(t, 3, TC_BINARY, 1);
        tw_elem_string(t, w->schema->fields[c].name);
        tw_i32(t, 4, w->o.codec);
        tw_i64(t, 5, cm->num_values);
        tw_i64(t, 6, cm->uncompressed);
        tw_i64(t, 7, cm->compressed);
        tw_i64(t, 9, cm->data_off);
        if (cm->dict_off >= 0) tw_i64(t, 11, cm->dict_off);
        tw_struct_begin(t, 12);
        tw_i64(t, 3, cm->null_count);
        if (cm->has_minmax) {
            tw_binary(t, 5, cm->max, cm->max_len);
            tw_binary(t, 6, cm->min, cm->min_len);
        }
        tw_struct_end(t);
        tw_struct_end(t);   /* ColumnMetaData */
        tw_struct_end(t);   /* ColumnChunk */
    }
    tw_i64(t, 2, rg->total_bytes);
    tw_i64(t, 3, rg->num_rows);
    tw_i64(t, 5, rg->file_offset);
    tw_i64(t, 6, rg->compressed);
    tw_struct_end(t);
}

static sl_status write_footer(sl_pq_writer *w, sl_error *err)
{
    sl_buf foot;
    sl_buf_init(&foot);
    tw t;
    tw_init(&t, &foot);
    tw_struct_begin(&t, 0);
    tw_i32(&t, 1, 1);
    pq_write_schema(&t, w->schema);
    tw_i64(&t, 3, w->rows);
    tw_list(&t, 4, TC_STRUCT, (size_t)w->n_old_rgs + w->n_rg);
    sl_buf_append(&foot, w->old_rgs, w->old_rgs_len);
    for (size_t r = 0; r < w->n_rg; r++) write_rowgroup_meta(&t, w, &w->rgs[r]);
    tw_string(&t, 6, "sluice version " SLUICE_VERSION_STR);
    tw_list(&t, 7, TC_STRUCT, (size_t)w->schema->n);
    for (int c = 0; c < w->schema->n; c++) {
        tw_struct_begin(&t, 0);
        tw_struct_begin(&t, 1);   /* TYPE_ORDER */
        tw_struct_end(&t);
        tw_struct_end(&t);
    }
    tw_struct_end(&t);
    if (foot.oom) { sl_buf_fini(&foot); return sl_err_oom(err); }
    uint32_t flen = (uint32_t)foot.len;
    sl_status st;
    if (!(st = put(w, foot.data, foot.len, err)) && !(st = put(w, &flen, 4, err)))
        st = put(w, "PAR1", 4, err);
    sl_buf_fini(&foot);
    return st;
}

sl_status sl_pq_writer_close(sl_pq_writer *w, bool sync, int64_t *out_bytes,
                             int64_t *out_rows, sl_error *err)
{
    if (!w) return SL_OK;
    sl_status st = flush_rowgroup(w, err);
    if (!st) st = write_footer(w, err);
    if (!st && fflush(w->fp)) st = io_err(err, "cannot write", w->path);
    if (!st && sync && fsync(fileno(w->fp))) st = io_err(err, "cannot fsync", w->path);
    if (!st) {
        if (out_bytes) *out_bytes = w->offset;
        if (out_rows) *out_rows = w->rows;
    }
    if (w->fp && fclose(w->fp) && !st) st = io_err(err, "cannot close", w->path);
    w->fp = NULL;
    writer_free(w);
    return st;
}

void sl_pq_writer_abort(sl_pq_writer *w) { writer_free(w); }
