/* The Parquet readers: a flat reader of top-level primitive columns into
 * sluice batches (the file source, bounded tables, tests), and a nested
 * reader that materialises a whole small file as a JSON document (saved
 * Spark models, whose data columns are structs, lists and maps).
 *
 * Both sit on one column-chunk decoder: it walks a chunk's pages (dictionary,
 * data v1 and v2, index pages skipped), decompresses them and produces the
 * chunk's repetition levels, definition levels and non-null values.  The
 * flat reader turns levels + values into a column; the nested reader
 * re-assembles records from the levels of every leaf (Dremel's algorithm, in
 * full generality).  Files are mapped read-only; every offset and size read
 * from the file is checked against the mapped length before use. */
#include "format/parquet_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* A page may announce at most this many values: bounds the memory a lying
 * header can make the reader allocate. */
#define PQ_MAX_PAGE_VALUES (1 << 26)
#define PQ_MAX_DEPTH 64

typedef struct pq_node {
    const pq_selem *e;
    int parent;
    int *kids;
    int n_kids;
    int pos;                /* index among the parent's children */
    int def, rep;           /* max levels at this node */
    int leaf;               /* column index, -1 for groups */
    sl_type flat;           /* sluice type of a leaf (SL_TYPE_NULL: unsupported) */
} pq_node;

struct sl_pq_file {
    const uint8_t *data;
    size_t len;
    void *map;
    size_t map_len;
    pq_meta m;
    pq_node *nodes;
    int *kidbuf;
    int n_leaves;
    int *leaf_node;         /* leaf column -> node */
    sl_schema *flat;        /* top-level primitive columns */
    int *flat_leaf;         /* flat column -> leaf column */
    /* flat reading position */
    int rg;
    int64_t rg_pos;
    sl_batch *rg_batch;     /* the current row group, decoded */
};

typedef struct chunk {
    int16_t *rep, *def;     /* NULL when the max level is 0 */
    size_t n;               /* levels (= values including nulls) */
    pq_vals vals;           /* non-null values */
} chunk;

static void chunk_fini(chunk *ch)
{
    sl_free(ch->rep);
    sl_free(ch->def);
    pq_vals_fini(&ch->vals);
}

static int elem_width(const pq_selem *e)
{
    switch (e->type) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: case PQ_FLOAT: return 4;
    case PQ_INT64: case PQ_DOUBLE: return 8;
    case PQ_INT96: return 12;
    case PQ_FIXED: return e->type_length;
    default: return 0;
    }
}

/* ---- schema ------------------------------------------------------------- */

static bool is_decimal(const pq_selem *e)
{
    return e->logical == PQ_LT_DECIMAL || e->converted == PQ_CT_DECIMAL;
}

static sl_type map_type(const pq_selem *e)
{
    if (is_decimal(e) && e->type != PQ_BOOLEAN && e->type != PQ_FLOAT && e->type != PQ_DOUBLE &&
        e->type != PQ_INT96)
        return SL_TYPE_DOUBLE;
    switch (e->type) {
    case PQ_BOOLEAN: return SL_TYPE_BOOLEAN;
    case PQ_INT32:
        if (e->logical == PQ_LT_DATE || e->converted == PQ_CT_DATE) return SL_TYPE_DATE;
        if ((e->logical == PQ_LT_INTEGER && !e->lt_signed && e->lt_bits == 32) ||
            e->converted == PQ_CT_UINT32)
            return SL_TYPE_BIGINT;
        return SL_TYPE_INT;
    case PQ_INT64:
        if (e->logical == PQ_LT_TIMESTAMP || e->converted == PQ_CT_TIMESTAMP_MICROS ||
            e->converted == PQ_CT_TIMESTAMP_MILLIS)
            return SL_TYPE_TIMESTAMP;
        return SL_TYPE_BIGINT;
    case PQ_INT96: return SL_TYPE_TIMESTAMP;
    case PQ_FLOAT: case PQ_DOUBLE: return SL_TYPE_DOUBLE;
    case PQ_BYTE_ARRAY: case PQ_FIXED: return SL_TYPE_STRING;
    default: return SL_TYPE_NULL;
    }
}

static int ts_unit(const pq_selem *e)
{
    if (e->logical == PQ_LT_TIMESTAMP && e->lt_unit) return e->lt_unit;
    if (e->converted == PQ_CT_TIMESTAMP_MILLIS) return PQ_UNIT_MILLIS;
    return PQ_UNIT_MICROS;
}

static int build_node(sl_pq_file *f, int i, int parent, int depth, int *kpos, sl_error *err)
{
    pq_node *nd = &f->nodes[i];
    const pq_selem *e = &f->m.schema[i];
    nd->e = e;
    nd->parent = parent;
    nd->leaf = -1;
    if (depth > PQ_MAX_DEPTH) { sl_err(err, SL_ERR_FORMAT, "parquet: schema nested too deeply"); return -1; }
    if (parent >= 0) {
        const pq_node *p = &f->nodes[parent];
        if (e->repetition < 0 || e->repetition > 2) {
            sl_err(err, SL_ERR_FORMAT, "parquet: bad repetition type in schema");
            return -1;
        }
        nd->def = p->def + (e->repetition != PQ_REQUIRED);
        nd->rep = p->rep + (e->repetition == PQ_REPEATED);
    }
    int next = i + 1;
    if (e->num_children > 0 || parent < 0) {
        int k = e->num_children > 0 ? e->num_children : 0;
        if (k > f->m.n_schema - *kpos) {
            sl_err(err, SL_ERR_FORMAT, "parquet: schema children overrun the element list");
            return -1;
        }
        nd->kids = f->kidbuf + *kpos;
        nd->n_kids = k;
        *kpos += k;
        for (int j = 0; j < k; j++) {
            if (next >= f->m.n_schema) {
                sl_err(err, SL_ERR_FORMAT, "parquet: schema children overrun the element list");
                return -1;
            }
            nd->kids[j] = next;
            f->nodes[next].pos = j;
            next = build_node(f, next, i, depth + 1, kpos, err);
            if (next < 0) return -1;
        }
        if (parent >= 0 && k == 0) {
            sl_err(err, SL_ERR_FORMAT, "parquet: group without children");
            return -1;
        }
    } else {
        if (e->type < 0 || e->type > PQ_FIXED || (e->type == PQ_FIXED && e->type_length <= 0)) {
            sl_err(err, SL_ERR_FORMAT, "parquet: column %s has no valid physical type", e->name);
            return -1;
        }
        nd->leaf = f->n_leaves++;
        nd->flat = map_type(e);
    }
    return next;
}

static sl_status build_schema(sl_pq_file *f, sl_error *err)
{
    int n = f->m.n_schema;
    f->nodes = sl_calloc((size_t)n, sizeof *f->nodes);
    f->kidbuf = sl_calloc((size_t)n, sizeof *f->kidbuf);
    if (!f->nodes || !f->kidbuf) return sl_err_oom(err);
    int kpos = 0;
    int next = build_node(f, 0, -1, 0, &kpos, err);
    if (next < 0) return SL_ERR_FORMAT;
    if (next != n) return sl_err(err, SL_ERR_FORMAT, "parquet: schema has stray elements");
    f->leaf_node = sl_calloc((size_t)(f->n_leaves ? f->n_leaves : 1), sizeof *f->leaf_node);
    if (!f->leaf_node) return sl_err_oom(err);
    int n_flat = 0;
    for (int i = 0; i < n; i++)
        if (f->nodes[i].leaf >= 0) {
            f->leaf_node[f->nodes[i].leaf] = i;
            if (f->nodes[i].parent == 0 && f->nodes[i].rep == 0) n_flat++;
        }
    f->flat = sl_schema_new(n_flat);
    f->flat_leaf = sl_calloc((size_t)(n_flat ? n_flat : 1), sizeof *f->flat_leaf);
    if (!f->flat || !f->flat_leaf) return sl_err_oom(err);
    int k = 0;
    for (int i = 0; i < n; i++) {
        const pq_node *nd = &f->nodes[i];
        if (nd->leaf < 0 || nd->parent != 0 || nd->rep != 0) continue;
        if (sl_schema_set(f->flat, k, nd->e->name, nd->flat)) return sl_err_oom(err);
        f->flat_leaf[k++] = nd->leaf;
    }
    for (int r = 0; r < f->m.n_rg; r++) {
        const pq_rowgroup *rg = &f->m.rgs[r];
        if (rg->n_cols != f->n_leaves)
            return sl_err(err, SL_ERR_FORMAT, "parquet: row group %d has %d columns, schema %d",
                          r, rg->n_cols, f->n_leaves);
        if (rg->num_rows < 0)
            return sl_err(err, SL_ERR_FORMAT, "parquet: row group %d has a negative row count", r);
        for (int c = 0; c < rg->n_cols; c++) {
            const pq_selem *e = f->nodes[f->leaf_node[c]].e;
            if (rg->cols[c].type != e->type)
                return sl_err(err, SL_ERR_FORMAT, "parquet: column %s: chunk type differs from schema",
                              e->name);
        }
    }
    return SL_OK;
}

/* ---- open --------------------------------------------------------------- */

static sl_status parse_file(sl_pq_file *f, sl_error *err)
{
    if (f->len < 12 || memcmp(f->data, "PAR1", 4) || memcmp(f->data + f->len - 4, "PAR1", 4))
        return sl_err(err, SL_ERR_FORMAT, "parquet: not a Parquet file (bad magic or truncated)");
    uint32_t flen;
    memcpy(&flen, f->data + f->len - 8, 4);
    if ((size_t)flen > f->len - 12)
        return sl_err(err, SL_ERR_FORMAT, "parquet: footer length %u exceeds the file", flen);
    sl_status st = pq_meta_parse(f->data + f->len - 8 - flen, flen, &f->m, err);
    if (st) return st;
    return build_schema(f, err);
}

sl_status sl_pq_open_mem(const uint8_t *data, size_t len, sl_pq_file **out, sl_error *err)
{
    *out = NULL;
    sl_pq_file *f = sl_calloc(1, sizeof *f);
    if (!f) return sl_err_oom(err);
    f->data = data;
    f->len = len;
    sl_status st = parse_file(f, err);
    if (st) { sl_pq_close(f); return st; }
    *out = f;
    return SL_OK;
}

sl_status sl_pq_open(const char *path, int64_t len, sl_pq_file **out, sl_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        sl_status st = sl_err(err, SL_ERR_IO, "parquet: cannot open %s: %s", path, strerror(errno));
        if (err) err->retriable = errno != ENOENT;
        return st;
    }
    struct stat sb;
    if (fstat(fd, &sb)) {
        close(fd);
        return sl_err(err, SL_ERR_IO, "parquet: cannot stat %s: %s", path, strerror(errno));
    }
    if (len < 0) len = sb.st_size;
    if (len > sb.st_size) {
        close(fd);
        return sl_err(err, SL_ERR_FORMAT, "parquet: %s is shorter (%lld bytes) than its committed length %lld",
                      path, (long long)sb.st_size, (long long)len);
    }
    if (len < 12) {
        close(fd);
        return sl_err(err, SL_ERR_FORMAT, "parquet: %s: not a Parquet file (%lld bytes)", path, (long long)len);
    }
    void *map = mmap(NULL, (size_t)len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) return sl_err(err, SL_ERR_IO, "parquet: cannot map %s: %s", path, strerror(errno));
    sl_pq_file *f = sl_calloc(1, sizeof *f);
    if (!f) { munmap(map, (size_t)len); return sl_err_oom(err); }
    f->map = map;
    f->map_len = (size_t)len;
    f->data = map;
    f->len = (size_t)len;
    sl_status st = parse_file(f, err);
    if (st) {
        sl_err_prefix(err, "%s", path);
        sl_pq_close(f);
        return st;
    }
    *out = f;
    return SL_OK;
}

void sl_pq_close(sl_pq_file *f)
{
    if (!f) return;
    sl_batch_unref(f->rg_batch);
    pq_meta_fini(&f->m);
    sl_free(f->nodes);
    sl_free(f->kidbuf);
    sl_free(f->leaf_node);
    sl_schema_free(f->flat);
    sl_free(f->flat_leaf);
    if (f->map) munmap(f->map, f->map_len);
    sl_free(f);
}

const sl_schema *sl_pq_schema(const sl_pq_file *f) { return f->flat; }
int64_t sl_pq_num_rows(const sl_pq_file *f) { return f->m.num_rows; }
int sl_pq_num_row_groups(const sl_pq_file *f) { return f->m.n_rg; }
const char *sl_pq_created_by(const sl_pq_file *f) { return f->m.created_by ? f->m.created_by : ""; }

/* ---- column chunks ------------------------------------------------------ */

/* Decodes n levels of max value `max` into out (int16). */
static int decode_levels(int enc, const uint8_t *p, size_t len, int max, int16_t *out, size_t n,
                         size_t *used, bool prefixed)
{
    int bw = pq_bit_width((uint32_t)max);
    uint32_t *tmp = sl_malloc((n ? n : 1) * sizeof *tmp);
    if (!tmp) return -2;
    int rc = -1;
    if (enc == PQ_ENC_BIT_PACKED && prefixed) {
        size_t need = (n * (size_t)bw + 7) / 8;
        if (need <= len && !pq_bitpacked_msb_decode(p, len, bw, tmp, n)) { *used = need; rc = 0; }
    } else if (enc == PQ_ENC_RLE || !prefixed) {
        size_t body = len, skip = 0;
        if (prefixed) {
            uint32_t l;
            if (len < 4) goto out;
            memcpy(&l, p, 4);
            if (l > len - 4) goto out;
            body = l;
            skip = 4;
        }
        if (!pq_rle_decode(p + skip, body, bw, tmp, n)) { *used = skip + body; rc = 0; }
    }
    if (rc == 0)
        for (size_t i = 0; i < n; i++) {
            if (tmp[i] > (uint32_t)max) { rc = -1; break; }
            out[i] = (int16_t)tmp[i];
        }
out:
    sl_free(tmp);
    return rc;
}

static int grow_levels(int16_t **p, size_t *cap, size_t need)
{
    if (need <= *cap) return 0;
    size_t nc = *cap ? *cap : 1024;
    while (nc < need) nc *= 2;
    int16_t *np = sl_realloc(*p, nc * sizeof *np);
    if (!np) return -1;
    *p = np;
    *cap = nc;
    return 0;
}

static sl_status read_chunk(const sl_pq_file *f, int rgi, int leaf, chunk *ch, sl_error *err)
{
    const pq_node *nd = &f->nodes[f->leaf_node[leaf]];
    const pq_selem *e = nd->e;
    const pq_colmeta *cm = &f->m.rgs[rgi].cols[leaf];
    memset(ch, 0, sizeof *ch);
    pq_vals_init(&ch->vals, e->type, elem_width(e));
    pq_vals dict;
    pq_vals_init(&dict, e->type, elem_width(e));
    bool have_dict = false;
    uint8_t *buf = NULL, *vbuf = NULL;
    size_t cap_rep = 0, cap_def = 0;
    sl_status st = SL_OK;

    int64_t start = cm->data_page_offset;
    if (cm->dict_page_offset > 0 && cm->dict_page_offset < start) start = cm->dict_page_offset;
    int64_t flen = (int64_t)f->len - 8;
    if (start < 4 || start >= flen || cm->total_compressed < 0 ||
        cm->num_values < 0 || cm->num_values > INT32_MAX) {
        st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: chunk offsets outside the file", e->name);
        goto out;
    }
    int64_t end = cm->total_compressed > flen - start ? flen : start + cm->total_compressed;
    size_t total = (size_t)cm->num_values;
    int64_t pos = start;
    while (ch->n < total) {
        if (pos >= end) {
            st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: chunk ends after %zu of %zu values",
                        e->name, ch->n, total);
            goto out;
        }
        pq_page_header h;
        size_t hl;
        if ((st = pq_page_header_parse(f->data + pos, (size_t)(end - pos), &h, &hl, err))) {
            sl_err_prefix(err, "column %s", e->name);
            goto out;
        }
        pos += (int64_t)hl;
        if (h.compressed > end - pos) {
            st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: page runs past its chunk", e->name);
            goto out;
        }
        const uint8_t *body = f->data + pos;
        pos += h.compressed;
        if (h.type == PQ_PAGE_INDEX) continue;
        if (h.type != PQ_PAGE_DICT && h.type != PQ_PAGE_DATA && h.type != PQ_PAGE_DATA_V2) continue;
        if (h.num_values > PQ_MAX_PAGE_VALUES) {
            st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: page of %d values", e->name, h.num_values);
            goto out;
        }
        size_t n = (size_t)h.num_values;
        sl_free(buf);
        buf = NULL;
        const uint8_t *p;
        size_t plen;
        if (h.type == PQ_PAGE_DATA_V2) {
            /* levels are never compressed in v2; the values may be */
            size_t lv = (size_t)h.rep_len + (size_t)h.def_len;
            if (lv > (size_t)h.compressed || lv > (size_t)h.uncompressed) {
                st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: v2 level sizes exceed the page", e->name);
                goto out;
            }
            if ((st = pq_decompress_check(h.is_compressed ? cm->codec : SL_PQ_UNCOMPRESSED, body + lv,
                                          (size_t)h.compressed - lv, (size_t)h.uncompressed - lv, err))) {
                sl_err_prefix(err, "column %s", e->name);
                goto out;
            }
            buf = sl_malloc((size_t)h.uncompressed + 1);
            if (!buf) { st = sl_err_oom(err); goto out; }
            memcpy(buf, body, lv);
            if (h.is_compressed && cm->codec != SL_PQ_UNCOMPRESSED)
                st = pq_decompress(cm->codec, body + lv, (size_t)h.compressed - lv, buf + lv,
                                   (size_t)h.uncompressed - lv, err);
            else if (h.compressed != h.uncompressed)
                st = sl_err(err, SL_ERR_FORMAT, "parquet: page sizes disagree");
            else memcpy(buf + lv, body + lv, (size_t)h.compressed - lv);
        } else {
            if ((st = pq_decompress_check(cm->codec, body, (size_t)h.compressed, (size_t)h.uncompressed, err))) {
                sl_err_prefix(err, "column %s", e->name);
                goto out;
            }
            buf = sl_malloc((size_t)h.uncompressed + 1);
            if (!buf) { st = sl_err_oom(err); goto out; }
            st = pq_decompress(cm->codec, body, (size_t)h.compressed, buf, (size_t)h.uncompressed, err);
        }
        if (st) { sl_err_prefix(err, "column %s", e->name); goto out; }
        p = buf;
        plen = (size_t)h.uncompressed;

        if (h.type == PQ_PAGE_DICT) {
            pq_vals_clear(&dict);
            if (pq_decode_values(PQ_ENC_PLAIN, p, plen, n, NULL, &dict)) {
                st = dict.oom ? sl_err_oom(err) : sl_err(err, SL_ERR_FORMAT, "parquet: column %s: bad dictionary page", e->name);
                goto out;
            }
            have_dict = true;
            continue;
        }
        if (n > total - ch->n) {
            st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: pages hold more values than the chunk",
                        e->name);
            goto out;
        }
        size_t used;
        int rc;
        if (nd->rep > 0) {
            if (grow_levels(&ch->rep, &cap_rep, ch->n + n)) { st = sl_err_oom(err); goto out; }
            if (h.type == PQ_PAGE_DATA_V2)
                rc = decode_levels(PQ_ENC_RLE, p, (size_t)h.rep_len, nd->rep, ch->rep + ch->n, n, &used, false);
            else rc = decode_levels(h.rep_encoding, p, plen, nd->rep, ch->rep + ch->n, n, &used, true);
            if (rc) { st = rc == -2 ? sl_err_oom(err) : sl_err(err, SL_ERR_FORMAT, "parquet: column %s: bad repetition levels", e->name); goto out; }
            if (h.type == PQ_PAGE_DATA_V2) used = (size_t)h.rep_len;
            p += used;
            plen -= used;
        } else if (h.type == PQ_PAGE_DATA_V2) {
            p += h.rep_len;
            plen -= (size_t)h.rep_len;
        }
        size_t nonnull = n;
        if (nd->def > 0) {
            if (grow_levels(&ch->def, &cap_def, ch->n + n)) { st = sl_err_oom(err); goto out; }
            if (h.type == PQ_PAGE_DATA_V2)
                rc = decode_levels(PQ_ENC_RLE, p, (size_t)h.def_len, nd->def, ch->def + ch->n, n, &used, false);
            else rc = decode_levels(h.def_encoding, p, plen, nd->def, ch->def + ch->n, n, &used, true);
            if (rc) { st = rc == -2 ? sl_err_oom(err) : sl_err(err, SL_ERR_FORMAT, "parquet: column %s: bad definition levels", e->name); goto out; }
            if (h.type == PQ_PAGE_DATA_V2) used = (size_t)h.def_len;
            p += used;
            plen -= used;
            nonnull = 0;
            for (size_t i = 0; i < n; i++) nonnull += ch->def[ch->n + i] == nd->def;
        } else if (h.type == PQ_PAGE_DATA_V2) {
            p += h.def_len;
            plen -= (size_t)h.def_len;
        }
        int enc = h.encoding;
        if ((enc == PQ_ENC_PLAIN_DICT || enc == PQ_ENC_RLE_DICT) && !have_dict) {
            st = sl_err(err, SL_ERR_FORMAT, "parquet: column %s: dictionary page missing", e->name);
            goto out;
        }
        if (pq_decode_values(enc, p, plen, nonnull, &dict, &ch->vals)) {
            st = ch->vals.oom ? sl_err_oom(err) : sl_err(err, SL_ERR_FORMAT, "parquet: column %s: cannot decode values (encoding %d)",
                        e->name, enc);
            goto out;
        }
        ch->n += n;
    }
out:
    sl_free(buf);
    sl_free(vbuf);
    pq_vals_fini(&dict);
    if (st) chunk_fini(ch);
    return st;
}

/* ---- values ------------------------------------------------------------- */

static double pow10i(int k)
{
    double p = 1;
    for (int i = 0; i < k && i < 400; i++) p *= 10;
    return p;
}

/* Big-endian two's complement bytes as a double. */
static double be_to_double(const uint8_t *p, size_t n)
{
    if (n == 0) return 0;
    bool neg = p[0] & 0x80;
    double v = 0;
    for (size_t i = 0; i < n; i++) v = v * 256 + (neg ? (uint8_t)~p[i] : p[i]);
    return neg ? -(v + 1) : v;
}

static int64_t ival(const pq_vals *v, size_t i)
{
    if (v->type == PQ_INT32) { int32_t x; memcpy(&x, v->fixed + i * 4, 4); return x; }
    int64_t x;
    memcpy(&x, v->fixed + i * 8, 8);
    return x;
}

/* The value as a double for DECIMAL columns. */
static double decimal_val(const pq_selem *e, const pq_vals *v, size_t i)
{
    double u;
    if (e->type == PQ_INT32 || e->type == PQ_INT64) u = (double)ival(v, i);
    else if (e->type == PQ_BYTE_ARRAY) u = be_to_double(v->bytes + v->off[i], v->off[i + 1] - v->off[i]);
    else u = be_to_double(v->fixed + i * (size_t)v->width, (size_t)v->width);
    return u / pow10i(e->scale);
}

static int64_t ts_val(const pq_selem *e, const pq_vals *v, size_t i)
{
    if (e->type == PQ_INT96) return pq_int96_to_us(v->fixed + i * 12);
    int64_t x = ival(v, i);
    int unit = ts_unit(e);
    if (unit == PQ_UNIT_MILLIS) return x * 1000;
    if (unit == PQ_UNIT_NANOS) return x >= 0 ? x / 1000 : -((-x + 999) / 1000);
    return x;
}

static bool is_uuid(const pq_selem *e) { return e->logical == PQ_LT_UUID && e->type == PQ_FIXED && e->type_length == 16; }

/* Writes the text of a byte-array-like value (UUID formatted) to out
 * (at least 37 bytes); returns pointer and length. */
static const char *str_val(const pq_selem *e, const pq_vals *v, size_t i, char *tmp, size_t *len)
{
    if (v->type == PQ_BYTE_ARRAY) {
        *len = v->off[i + 1] - v->off[i];
        return (const char *)v->bytes + v->off[i];
    }
    const uint8_t *p = v->fixed + i * (size_t)v->width;
    if (is_uuid(e)) {
        static const char hx[] = "0123456789abcdef";
        size_t k = 0;
        for (int b = 0; b < 16; b++) {
            if (b == 4 || b == 6 || b == 8 || b == 10) tmp[k++] = '-';
            tmp[k++] = hx[p[b] >> 4];
            tmp[k++] = hx[p[b] & 15];
        }
        *len = k;
        return tmp;
    }
    *len = (size_t)v->width;
    return (const char *)p;
}

/* Builds a column of `rows` rows from a flat chunk. */
static sl_col *chunk_to_col(const pq_node *nd, const chunk *ch, size_t rows)
{
    const pq_selem *e = nd->e;
    sl_type t = nd->flat;
    size_t chars = t == SL_TYPE_STRING ? (ch->vals.type == PQ_BYTE_ARRAY ? ch->vals.bytes_len
                                                                         : ch->vals.n * 40 + 1)
                                       : 0;
    sl_col *col = t == SL_TYPE_NULL ? sl_col_new_nulls(SL_TYPE_INT, (int64_t)rows)
                                    : sl_col_new_sized(t, (int64_t)rows, chars ? chars : 1);
    if (!col || t == SL_TYPE_NULL) return col;
    const pq_vals *v = &ch->vals;
    size_t vi = 0;
    char tmp[40];
    int32_t *off = t == SL_TYPE_STRING ? sl_col_offsets(col) : NULL;
    if (off) off[0] = 0;
    for (size_t r = 0; r < rows; r++) {
        bool null = ch->def && ch->def[r] < nd->def;
        if (null) {
            if (sl_col_set_null(col, (int64_t)r)) { sl_col_unref(col); return NULL; }
            if (off) off[r + 1] = off[r];
            continue;
        }
        switch (t) {
        case SL_TYPE_BOOLEAN:
            if (v->fixed[vi]) sl_bit_set(col->data, (int64_t)r);
            break;
        case SL_TYPE_INT:
            sl_col_i32(col)[r] = (int32_t)ival(v, vi);
            break;
        case SL_TYPE_DATE:
            sl_col_i32(col)[r] = (int32_t)ival(v, vi);
            break;
        case SL_TYPE_BIGINT:
            sl_col_i64(col)[r] = e->type == PQ_INT32 ? (int64_t)(uint32_t)ival(v, vi) : ival(v, vi);
            break;
        case SL_TYPE_TIMESTAMP:
            sl_col_i64(col)[r] = ts_val(e, v, vi);
            break;
        case SL_TYPE_DOUBLE:
            if (is_decimal(e) && e->type != PQ_FLOAT && e->type != PQ_DOUBLE) sl_col_f64(col)[r] = decimal_val(e, v, vi);
            else if (e->type == PQ_FLOAT) { float x; memcpy(&x, v->fixed + vi * 4, 4); sl_col_f64(col)[r] = x; }
            else memcpy(&sl_col_f64(col)[r], v->fixed + vi * 8, 8);
            break;
        case SL_TYPE_STRING: {
            size_t len;
            const char *s = str_val(e, v, vi, tmp, &len);
            if ((size_t)off[r] + len > col->chars_cap) { sl_col_unref(col); return NULL; }
            memcpy(col->chars + off[r], s, len);
            off[r + 1] = off[r] + (int32_t)len;
            break;
        }
        default: break;
        }
        vi++;
    }
    if (off) col->chars_len = (size_t)off[rows];
    sl_col_finish_nulls(col);
    return col;
}

static sl_status load_rowgroup(sl_pq_file *f, int rgi, sl_error *err)
{
    const pq_rowgroup *rg = &f->m.rgs[rgi];
    sl_batch *b = sl_batch_new(f->flat->n);
    if (!b) return sl_err_oom(err);
    size_t rows = (size_t)rg->num_rows;
    for (int c = 0; c < f->flat->n; c++) {
        int leaf = f->flat_leaf[c];
        chunk ch;
        sl_status st = read_chunk(f, rgi, leaf, &ch, err);
        if (st) { sl_batch_unref(b); return st; }
        const pq_node *nd = &f->nodes[f->leaf_node[leaf]];
        size_t nonnull = 0;
        if (ch.def) for (size_t i = 0; i < ch.n; i++) nonnull += ch.def[i] == nd->def;
        else nonnull = ch.n;
        if (ch.n != rows || nonnull != ch.vals.n) {
            chunk_fini(&ch);
            sl_batch_unref(b);
            return sl_err(err, SL_ERR_FORMAT, "parquet: column %s: %zu values for %zu rows",
                          nd->e->name, ch.n, rows);
        }
        b->cols[c] = chunk_to_col(nd, &ch, rows);
        chunk_fini(&ch);
        if (!b->cols[c]) { sl_batch_unref(b); return sl_err_oom(err); }
    }
    b->n_rows = (int64_t)rows;
    sl_batch_unref(f->rg_batch);
    f->rg_batch = b;
    f->rg_pos = 0;
    return SL_OK;
}

sl_status sl_pq_read_batch(sl_pq_file *f, int64_t max_rows, sl_batch **out, sl_error *err)
{
    *out = NULL;
    if (max_rows < 1) max_rows = 16384;
    while (!f->rg_batch || f->rg_pos >= f->rg_batch->n_rows) {
        if (f->rg_batch) { sl_batch_unref(f->rg_batch); f->rg_batch = NULL; f->rg++; }
        if (f->rg >= f->m.n_rg) return SL_OK;
        sl_status st = load_rowgroup(f, f->rg, err);
        if (st) return st;
    }
    int64_t n = f->rg_batch->n_rows - f->rg_pos;
    if (n > max_rows) n = max_rows;
    if (f->rg_pos == 0 && n == f->rg_batch->n_rows) {
        *out = sl_batch_ref(f->rg_batch);
        f->rg_pos = n;
        return SL_OK;
    }
    sl_batch *b = sl_batch_new(f->flat->n);
    if (!b) return sl_err_oom(err);
    for (int c = 0; c < f->flat->n; c++) {
        b->cols[c] = sl_col_slice(f->rg_batch->cols[c], f->rg_pos, n);
        if (!b->cols[c]) { sl_batch_unref(b); return sl_err_oom(err); }
    }
    b->n_rows = n;
    f->rg_pos += n;
    *out = b;
    return SL_OK;
}

bool sl_pq_nested_column(const sl_pq_file *f, const char *name)
{
    const pq_node *root = &f->nodes[0];
    for (int j = 0; j < root->n_kids; j++) {
        const pq_node *nd = &f->nodes[root->kids[j]];
        if (nd->e->name && !strcasecmp(nd->e->name, name) && (nd->leaf < 0 || nd->rep > 0)) return true;
    }
    return false;
}

sl_status sl_pq_skip_rows(sl_pq_file *f, int64_t n, sl_error *err)
{
    if (n <= 0) return SL_OK;
    if (f->rg_batch) {
        int64_t left = f->rg_batch->n_rows - f->rg_pos;
        if (n < left) { f->rg_pos += n; return SL_OK; }
        n -= left;
        sl_batch_unref(f->rg_batch);
        f->rg_batch = NULL;
        f->rg++;
    }
    /* whole row groups are passed over without decoding them */
    while (n > 0 && f->rg < f->m.n_rg) {
        int64_t rows = f->m.rgs[f->rg].num_rows;
        if (n >= rows) { n -= rows; f->rg++; continue; }
        sl_status st = load_rowgroup(f, f->rg, err);
        if (st) return st;
        f->rg_pos = n;
        n = 0;
    }
    return SL_OK;
}

/* ---- nested records ----------------------------------------------------- */

enum { RN_GROUP = 1, RN_LIST, RN_VALUE };

typedef struct rnode rnode;
struct rnode {
    int kind;
    size_t n, cap;
    rnode **kids;        /* group: one per schema child; list: items */
    sl_jval *val;        /* RN_VALUE */
};

typedef struct asm_ctx {
    sl_pq_file *f;
    sl_arena scratch;
    sl_jdoc *doc;
    rnode **recs;
    size_t n_recs, cap_recs;
    const char **names;  /* schema names, copied into the document */
} asm_ctx;

static rnode *rn_new(asm_ctx *a, int kind, size_t n_kids)
{
    rnode *r = sl_arena_alloc(&a->scratch, sizeof *r);
    if (!r) return NULL;
    r->kind = kind;
    if (n_kids) {
        r->kids = sl_arena_alloc(&a->scratch, n_kids * sizeof *r->kids);
        if (!r->kids) return NULL;
        r->n = r->cap = n_kids;
    }
    return r;
}

static int rn_push(asm_ctx *a, rnode *list, rnode *item)
{
    if (list->n == list->cap) {
        size_t nc = list->cap ? list->cap * 2 : 4;
        rnode **nk = sl_arena_alloc(&a->scratch, nc * sizeof *nk);
        if (!nk) return -1;
        if (list->n) memcpy(nk, list->kids, list->n * sizeof *nk);
        list->kids = nk;
        list->cap = nc;
    }
    list->kids[list->n++] = item;
    return 0;
}

static sl_jval *jv(asm_ctx *a, sl_jtype t)
{
    sl_jval *v = sl_arena_alloc(&a->doc->arena, sizeof *v);
    if (v) v->type = t;
    return v;
}

static sl_jval *jv_int(asm_ctx *a, int64_t x)
{
    sl_jval *v = jv(a, SL_JNUM);
    if (v) { v->is_int = true; v->i = x; v->num = (double)x; }
    return v;
}

static sl_jval *jv_num(asm_ctx *a, double x)
{
    sl_jval *v = jv(a, SL_JNUM);
    if (v) {
        v->num = x;
        if (isfinite(x) && x == floor(x) && fabs(x) < 9e15) { v->is_int = true; v->i = (int64_t)x; }
    }
    return v;
}

static sl_jval *value_json(asm_ctx *a, const pq_selem *e, const pq_vals *v, size_t i)
{
    if (is_decimal(e) && e->type != PQ_FLOAT && e->type != PQ_DOUBLE && e->type != PQ_BOOLEAN)
        return jv_num(a, decimal_val(e, v, i));
    switch (e->type) {
    case PQ_BOOLEAN: {
        sl_jval *j = jv(a, SL_JBOOL);
        if (j) j->b = v->fixed[i] != 0;
        return j;
    }
    case PQ_INT32: {
        int64_t x = ival(v, i);
        if ((e->logical == PQ_LT_INTEGER && !e->lt_signed) || e->converted == PQ_CT_UINT32 ||
            e->converted == PQ_CT_UINT16 || e->converted == PQ_CT_UINT8)
            x = (uint32_t)x;
        return jv_int(a, x);
    }
    case PQ_INT64:
        if (map_type(e) == SL_TYPE_TIMESTAMP) return jv_int(a, ts_val(e, v, i));
        return jv_int(a, ival(v, i));
    case PQ_INT96: return jv_int(a, ts_val(e, v, i));
    case PQ_FLOAT: { float x; memcpy(&x, v->fixed + i * 4, 4); return jv_num(a, x); }
    case PQ_DOUBLE: { double x; memcpy(&x, v->fixed + i * 8, 8); return jv_num(a, x); }
    default: {
        char tmp[40];
        size_t len;
        const char *s = str_val(e, v, i, tmp, &len);
        sl_jval *j = jv(a, SL_JSTR);
        if (!j) return NULL;
        /* an empty value may have no bytes behind it (s NULL): copy from "" */
        j->str = sl_arena_strndup(&a->doc->arena, len ? s : "", len);
        j->str_len = len;
        return j->str ? j : NULL;
    }
    }
}

/* Places every (rep, def, value) of one leaf into the record trees. */
static sl_status assemble_leaf(asm_ctx *a, int leaf, const chunk *ch, size_t rec_base, sl_error *err)
{
    sl_pq_file *f = a->f;
    int ni = f->leaf_node[leaf];
    const pq_node *nd = &f->nodes[ni];
    int path[PQ_MAX_DEPTH + 2];
    int depth = 0;
    for (int i = ni; i > 0; i = f->nodes[i].parent) path[depth++] = i;
    /* path[depth-1] is the top-level field, path[0] the leaf */
    size_t idx[PQ_MAX_DEPTH + 2];
    memset(idx, 0, sizeof idx);
    int64_t rec = (int64_t)rec_base - 1;
    size_t vi = 0;
    for (size_t t = 0; t < ch->n; t++) {
        int r = ch->rep ? ch->rep[t] : 0;
        int d = ch->def ? ch->def[t] : 0;
        if (r == 0) {
            rec++;
            if ((size_t)rec == a->n_recs) {
                if (a->n_recs == a->cap_recs &&
                    sl_grow((void **)&a->recs, &a->cap_recs, a->n_recs + 1, sizeof *a->recs))
                    return sl_err_oom(err);
                a->recs[a->n_recs] = rn_new(a, RN_GROUP, (size_t)f->nodes[0].n_kids);
                if (!a->recs[a->n_recs]) return sl_err_oom(err);
                a->n_recs++;
            }
        } else if (rec < (int64_t)rec_base) {
            return sl_err(err, SL_ERR_FORMAT, "parquet: column %s starts with a repeated value", nd->e->name);
        } else if (r > nd->rep) {
            return sl_err(err, SL_ERR_FORMAT, "parquet: column %s: repetition level out of range", nd->e->name);
        }
        for (int k = r + 1; k <= nd->rep; k++) idx[k] = 0;
        if (r > 0) idx[r]++;
        sl_jval *val = NULL;
        if (d == nd->def) {
            if (vi >= ch->vals.n) return sl_err(err, SL_ERR_FORMAT, "parquet: column %s: too few values", nd->e->name);
            val = value_json(a, nd->e, &ch->vals, vi++);
            if (!val) return sl_err_oom(err);
        }
        rnode *cur = a->recs[rec];
        for (int k = depth - 1; k >= 0; k--) {
            const pq_node *p = &f->nodes[path[k]];
            if (cur->kind != RN_GROUP || (size_t)p->pos >= cur->n)
                return sl_err(err, SL_ERR_FORMAT, "parquet: inconsistent nesting in column %s", nd->e->name);
            rnode **slot = &cur->kids[p->pos];
            bool is_leaf = p->leaf >= 0;
            if (p->e->repetition == PQ_REPEATED) {
                if (!*slot) { *slot = rn_new(a, RN_LIST, 0); if (!*slot) return sl_err_oom(err); }
                rnode *list = *slot;
                if (list->kind != RN_LIST)
                    return sl_err(err, SL_ERR_FORMAT, "parquet: inconsistent nesting in column %s", nd->e->name);
                if (d < p->def) break;   /* empty list */
                size_t ei = idx[p->rep];
                if (ei == list->n) {
                    rnode *item = rn_new(a, is_leaf ? RN_VALUE : RN_GROUP, is_leaf ? 0 : (size_t)p->n_kids);
                    if (!item || rn_push(a, list, item)) return sl_err_oom(err);
                } else if (ei > list->n)
                    return sl_err(err, SL_ERR_FORMAT, "parquet: column %s: repetition levels skip an element", nd->e->name);
                rnode *item = list->kids[ei];
                if (is_leaf) { item->val = val; break; }
                cur = item;
            } else {
                if (d < p->def) break;   /* null here */
                if (is_leaf) {
                    rnode *item = rn_new(a, RN_VALUE, 0);
                    if (!item) return sl_err_oom(err);
                    item->val = val;
                    *slot = item;
                    break;
                }
                if (!*slot) { *slot = rn_new(a, RN_GROUP, (size_t)p->n_kids); if (!*slot) return sl_err_oom(err); }
                cur = *slot;
            }
        }
    }
    return SL_OK;
}

static bool is_list(const pq_selem *e) { return e->logical == PQ_LT_LIST || e->converted == PQ_CT_LIST; }

static sl_jval *to_json(asm_ctx *a, int ni, const rnode *rn, bool as_elem, int depth);

static sl_jval *list_json(asm_ctx *a, const rnode *list, int elem_ni, int inner_ni, int depth)
{
    sl_jval *arr = jv(a, SL_JARR);
    if (!arr) return NULL;
    size_t n = list ? list->n : 0;
    arr->n = n;
    arr->items = sl_arena_alloc(&a->doc->arena, (n ? n : 1) * sizeof *arr->items);
    if (!arr->items) return NULL;
    for (size_t i = 0; i < n; i++) {
        const rnode *item = list->kids[i];
        if (inner_ni >= 0)   /* 3-level list: the element is the repeated group's only child */
            arr->items[i] = to_json(a, inner_ni, item && item->kind == RN_GROUP && item->n ? item->kids[0] : NULL,
                                    false, depth + 1);
        else arr->items[i] = to_json(a, elem_ni, item, true, depth + 1);
        if (!arr->items[i]) return NULL;
    }
    return arr;
}

static sl_jval *to_json(asm_ctx *a, int ni, const rnode *rn, bool as_elem, int depth)
{
    const pq_node *nd = &a->f->nodes[ni];
    const pq_selem *e = nd->e;
    if (depth > 3 * PQ_MAX_DEPTH) return jv(a, SL_JNULL);
    if (e->repetition == PQ_REPEATED && !as_elem) return list_json(a, rn, ni, -1, depth);
    if (!rn) return jv(a, SL_JNULL);
    if (nd->leaf >= 0) return rn->val ? rn->val : jv(a, SL_JNULL);
    if (rn->kind != RN_GROUP) return jv(a, SL_JNULL);
    if ((is_list(e) || e->converted == PQ_CT_MAP || e->converted == PQ_CT_MAP_KV ||
         e->logical == PQ_LT_MAP) &&
        nd->n_kids == 1 && a->f->nodes[nd->kids[0]].e->repetition == PQ_REPEATED) {
        int rep = nd->kids[0];
        const pq_node *rp = &a->f->nodes[rep];
        int inner = -1;
        /* the backward-compatibility rules of the LIST spec */
        if (is_list(e) && rp->leaf < 0 && rp->n_kids == 1 && strcmp(rp->e->name, "array") != 0) {
            size_t nl = strlen(e->name);
            bool tuple = strncmp(rp->e->name, e->name, nl) == 0 && strcmp(rp->e->name + nl, "_tuple") == 0;
            if (!tuple) inner = rp->kids[0];
        }
        return list_json(a, rn->kids[0], rep, inner, depth);
    }
    sl_jval *obj = jv(a, SL_JOBJ);
    if (!obj) return NULL;
    obj->n = (size_t)nd->n_kids;
    obj->items = sl_arena_alloc(&a->doc->arena, (obj->n ? obj->n : 1) * sizeof *obj->items);
    obj->keys = sl_arena_alloc(&a->doc->arena, (obj->n ? obj->n : 1) * sizeof *obj->keys);
    if (!obj->items || !obj->keys) return NULL;
    for (int k = 0; k < nd->n_kids; k++) {
        obj->keys[k] = a->names[nd->kids[k]];
        obj->items[k] = to_json(a, nd->kids[k], (size_t)k < rn->n ? rn->kids[k] : NULL, false, depth + 1);
        if (!obj->items[k]) return NULL;
    }
    return obj;
}

static sl_status records_from(sl_pq_file *f, sl_jdoc **out, sl_error *err)
{
    asm_ctx a;
    memset(&a, 0, sizeof a);
    a.f = f;
    sl_arena_init(&a.scratch);
    a.doc = sl_jdoc_new();
    sl_status st = SL_OK;
    if (!a.doc) { st = sl_err_oom(err); goto out; }
    for (int r = 0; r < f->m.n_rg && !st; r++) {
        size_t base = a.n_recs;
        size_t rows = (size_t)f->m.rgs[r].num_rows;
        for (int leaf = 0; leaf < f->n_leaves && !st; leaf++) {
            chunk ch;
            if ((st = read_chunk(f, r, leaf, &ch, err))) break;
            st = assemble_leaf(&a, leaf, &ch, base, err);
            chunk_fini(&ch);
        }
        if (!st && a.n_recs - base != rows && f->n_leaves > 0)
            st = sl_err(err, SL_ERR_FORMAT, "parquet: row group %d holds %zu records, footer says %zu",
                        r, a.n_recs - base, rows);
    }
    if (st) goto out;
    /* node 0 is the root: a row is an object of its children */
    sl_jval *root = jv(&a, SL_JARR);
    if (!root) { st = sl_err_oom(err); goto out; }
    root->n = a.n_recs;
    root->items = sl_arena_alloc(&a.doc->arena, (a.n_recs ? a.n_recs : 1) * sizeof *root->items);
    if (!root->items) { st = sl_err_oom(err); goto out; }
    /* keys must outlive the file: copy each schema name into the document once */
    a.names = sl_arena_alloc(&a.doc->arena, (size_t)f->m.n_schema * sizeof *a.names);
    if (!a.names) { st = sl_err_oom(err); goto out; }
    for (int i = 0; i < f->m.n_schema; i++)
        if (!(a.names[i] = sl_arena_strdup(&a.doc->arena, f->m.schema[i].name))) {
            st = sl_err_oom(err);
            goto out;
        }
    for (size_t i = 0; i < a.n_recs; i++) {
        root->items[i] = to_json(&a, 0, a.recs[i], true, 0);
        if (!root->items[i]) { st = sl_err_oom(err); goto out; }
    }
    a.doc->root = root;
    *out = a.doc;
    a.doc = NULL;
out:
    sl_jdoc_free(a.doc);
    sl_arena_fini(&a.scratch);
    sl_free(a.recs);
    return st;
}

sl_status sl_pq_read_records_mem(const uint8_t *data, size_t len, sl_jdoc **out, sl_error *err)
{
    *out = NULL;
    sl_pq_file *f;
    sl_status st = sl_pq_open_mem(data, len, &f, err);
    if (st) return st;
    st = records_from(f, out, err);
    sl_pq_close(f);
    return st;
}

sl_status sl_pq_read_records(const char *path, sl_jdoc **out, sl_error *err)
{
    *out = NULL;
    sl_pq_file *f;
    sl_status st = sl_pq_open(path, -1, &f, err);
    if (st) return st;
    st = records_from(f, out, err);
    if (st) sl_err_prefix(err, "%s", path);
    sl_pq_close(f);
    return st;
}
