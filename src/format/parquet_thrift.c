/* The Thrift compact protocol and the Parquet metadata structures built on
 * it: footer (FileMetaData) and page headers are parsed here for the reader,
 * and the writer's structures are emitted with the tw_* calls.
 *
 * Only the fields sluice uses are kept; every other field is skipped by
 * type, so files from newer writers still parse.  Parsing never trusts a
 * length or count from the file without bounding it by the bytes left
 * (a list of n elements needs at least n bytes), and nesting is capped so a
 * crafted footer cannot exhaust the stack. */
#include "format/parquet_int.h"

#include <string.h>

/* ---- writing ------------------------------------------------------------ */

void tw_init(tw *t, sl_buf *out)
{
    memset(t, 0, sizeof *t);
    t->out = out;
}

void tw_varint(tw *t, uint64_t v)
{
    uint8_t b[10];
    int n = 0;
    while (v >= 0x80) { b[n++] = (uint8_t)(v | 0x80); v >>= 7; }
    b[n++] = (uint8_t)v;
    sl_buf_append(t->out, b, (size_t)n);
}

static uint64_t zigzag64(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

void tw_field(tw *t, int id, int type)
{
    int delta = id - t->last[t->depth];
    if (delta > 0 && delta <= 15) {
        uint8_t b = (uint8_t)(delta << 4 | type);
        sl_buf_append(t->out, &b, 1);
    } else {
        uint8_t b = (uint8_t)type;
        sl_buf_append(t->out, &b, 1);
        tw_varint(t, zigzag64(id));
    }
    t->last[t->depth] = (int16_t)id;
}

void tw_i32(tw *t, int id, int32_t v) { tw_field(t, id, TC_I32); tw_varint(t, zigzag64(v)); }
void tw_i64(tw *t, int id, int64_t v) { tw_field(t, id, TC_I64); tw_varint(t, zigzag64(v)); }
void tw_bool(tw *t, int id, bool v) { tw_field(t, id, v ? TC_TRUE : TC_FALSE); }

void tw_binary(tw *t, int id, const void *p, size_t n)
{
    tw_field(t, id, TC_BINARY);
    tw_varint(t, n);
    sl_buf_append(t->out, p, n);
}

void tw_string(tw *t, int id, const char *s) { tw_binary(t, id, s, strlen(s)); }

void tw_list_header(tw *t, int elem_type, size_t n)
{
    if (n < 15) {
        uint8_t b = (uint8_t)(n << 4 | (size_t)elem_type);
        sl_buf_append(t->out, &b, 1);
    } else {
        uint8_t b = (uint8_t)(0xf0 | elem_type);
        sl_buf_append(t->out, &b, 1);
        tw_varint(t, n);
    }
}

void tw_list(tw *t, int id, int elem_type, size_t n)
{
    tw_field(t, id, TC_LIST);
    tw_list_header(t, elem_type, n);
}

void tw_elem_i32(tw *t, int32_t v) { tw_varint(t, zigzag64(v)); }

void tw_elem_string(tw *t, const char *s)
{
    size_t n = strlen(s);
    tw_varint(t, n);
    sl_buf_append(t->out, s, n);
}

void tw_struct_begin(tw *t, int id)
{
    if (id > 0) tw_field(t, id, TC_STRUCT);
    if (t->depth + 1 < TW_MAX_DEPTH) t->depth++;
    t->last[t->depth] = 0;
}

void tw_stop(tw *t)
{
    uint8_t b = 0;
    sl_buf_append(t->out, &b, 1);
}

void tw_struct_end(tw *t)
{
    tw_stop(t);
    if (t->depth > 0) t->depth--;
}

/* ---- reading ------------------------------------------------------------ */

/* Marks the input malformed, unless an earlier failure is already recorded:
 * an allocation failure (bad = 2) must not become "malformed" when the
 * parse goes on past it. */
static void tr_fail(tr *t)
{
    if (!t->bad) t->bad = 1;
}

void tr_init(tr *t, const uint8_t *p, size_t n)
{
    memset(t, 0, sizeof *t);
    t->p = p;
    t->end = p + n;
}

uint64_t tr_varint(tr *t)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (t->p >= t->end) { tr_fail(t); return 0; }
        uint8_t b = *t->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return v;
    }
    tr_fail(t);
    return 0;
}

int64_t tr_zigzag(tr *t)
{
    uint64_t v = tr_varint(t);
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

void tr_struct_begin(tr *t)
{
    if (t->depth + 1 >= (int)(sizeof t->last / sizeof t->last[0])) { tr_fail(t); return; }
    t->depth++;
    t->last[t->depth] = 0;
}

void tr_struct_end(tr *t)
{
    if (t->depth > 0) t->depth--;
}

int tr_field(tr *t, int *type, int *id)
{
    if (t->bad || t->p >= t->end) { tr_fail(t); return 0; }
    uint8_t b = *t->p++;
    if (b == 0) return 0;
    *type = b & 0x0f;
    int delta = b >> 4;
    if (delta) *id = t->last[t->depth] + delta;
    else *id = (int)(int16_t)tr_zigzag(t);
    t->last[t->depth] = (int16_t)*id;
    return !t->bad;
}

int32_t tr_i32(tr *t, int type)
{
    if (type != TC_I32 && type != TC_I16 && type != TC_BYTE) { tr_skip(t, type); tr_fail(t); return 0; }
    if (type == TC_BYTE) {
        if (t->p >= t->end) { tr_fail(t); return 0; }
        return (int8_t)*t->p++;
    }
    return (int32_t)tr_zigzag(t);
}

int64_t tr_i64(tr *t, int type)
{
    if (type == TC_I32 || type == TC_I16 || type == TC_BYTE) return tr_i32(t, type);
    if (type != TC_I64) { tr_skip(t, type); tr_fail(t); return 0; }
    return tr_zigzag(t);
}

bool tr_bool(tr *t, int type)
{
    if (type == TC_TRUE) return true;
    if (type == TC_FALSE) return false;
    tr_skip(t, type);
    tr_fail(t);
    return false;
}

const uint8_t *tr_binary(tr *t, size_t *len)
{
    uint64_t n = tr_varint(t);
    if (t->bad || n > (uint64_t)(t->end - t->p)) { tr_fail(t); *len = 0; return t->p; }
    const uint8_t *p = t->p;
    t->p += n;
    *len = (size_t)n;
    return p;
}

size_t tr_list(tr *t, int *elem_type)
{
    if (t->p >= t->end) { tr_fail(t); *elem_type = 0; return 0; }
    uint8_t b = *t->p++;
    *elem_type = b & 0x0f;
    uint64_t n = b >> 4;
    if (n == 15) n = tr_varint(t);
    /* every element takes at least one byte */
    if (t->bad || n > (uint64_t)(t->end - t->p)) { tr_fail(t); return 0; }
    return (size_t)n;
}

void tr_skip(tr *t, int type)
{
    if (t->bad) return;
    size_t len;
    switch (type) {
    case TC_TRUE: case TC_FALSE: return;
    case TC_BYTE:
        if (t->p >= t->end) tr_fail(t); else t->p++;
        return;
    case TC_I16: case TC_I32: case TC_I64: tr_varint(t); return;
    case TC_DOUBLE:
        if (t->end - t->p < 8) tr_fail(t); else t->p += 8;
        return;
    case TC_BINARY: tr_binary(t, &len); return;
    case TC_LIST: case TC_SET: {
        int et;
        size_t n = tr_list(t, &et);
        for (size_t i = 0; i < n && !t->bad; i++) {
            if (et == TC_TRUE || et == TC_FALSE) {  /* one byte per bool in lists */
                if (t->p >= t->end) tr_fail(t); else t->p++;
            } else tr_skip(t, et);
        }
        return;
    }
    case TC_MAP: {
        uint64_t n = tr_varint(t);
        if (n == 0 || t->bad) return;
        if (t->p >= t->end || n > (uint64_t)(t->end - t->p)) { tr_fail(t); return; }
        uint8_t kv = *t->p++;
        for (uint64_t i = 0; i < n && !t->bad; i++) {
            tr_skip(t, kv >> 4);
            tr_skip(t, kv & 15);
        }
        return;
    }
    case TC_STRUCT: {
        int ft, fid;
        tr_struct_begin(t);
        while (tr_field(t, &ft, &fid)) tr_skip(t, ft);
        tr_struct_end(t);
        return;
    }
    default: tr_fail(t); return;
    }
}

/* ---- FileMetaData ------------------------------------------------------- */

static char *dup_bin(tr *t)
{
    size_t n;
    const uint8_t *p = tr_binary(t, &n);
    if (t->bad) return NULL;
    char *s = sl_strndup((const char *)p, n);
    if (!s) t->bad = 2;   /* 2 = out of memory */
    return s;
}

static void parse_time_unit(tr *t, int *unit)
{
    int ft, fid;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        if (ft == TC_STRUCT && fid >= 1 && fid <= 3) *unit = fid;
        tr_skip(t, ft);
    }
    tr_struct_end(t);
}

static void parse_logical(tr *t, pq_selem *e)
{
    int ft, fid;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        if (ft != TC_STRUCT) { tr_skip(t, ft); continue; }
        e->logical = fid;
        if (fid == PQ_LT_TIMESTAMP || fid == PQ_LT_TIME) {
            int f2, id2;
            tr_struct_begin(t);
            while (tr_field(t, &f2, &id2)) {
                if (id2 == 1) e->lt_utc = tr_bool(t, f2);
                else if (id2 == 2 && f2 == TC_STRUCT) parse_time_unit(t, &e->lt_unit);
                else tr_skip(t, f2);
            }
            tr_struct_end(t);
        } else if (fid == PQ_LT_INTEGER) {
            int f2, id2;
            tr_struct_begin(t);
            while (tr_field(t, &f2, &id2)) {
                if (id2 == 1) e->lt_bits = tr_i32(t, f2);
                else if (id2 == 2) e->lt_signed = tr_bool(t, f2);
                else tr_skip(t, f2);
            }
            tr_struct_end(t);
        } else if (fid == PQ_LT_DECIMAL) {
            int f2, id2;
            tr_struct_begin(t);
            while (tr_field(t, &f2, &id2)) {
                if (id2 == 1) e->scale = tr_i32(t, f2);
                else if (id2 == 2) e->precision = tr_i32(t, f2);
                else tr_skip(t, f2);
            }
            tr_struct_end(t);
        } else tr_skip(t, ft);
    }
    tr_struct_end(t);
}

static void parse_selem(tr *t, pq_selem *e)
{
    int ft, fid;
    e->type = -1;
    e->converted = -1;
    e->repetition = PQ_REQUIRED;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        switch (fid) {
        case 1: e->type = tr_i32(t, ft); break;
        case 2: e->type_length = tr_i32(t, ft); break;
        case 3: e->repetition = tr_i32(t, ft); break;
        case 4:
            if (ft != TC_BINARY) { tr_fail(t); break; }
            sl_free(e->name);
            e->name = dup_bin(t);
            break;
        case 5: e->num_children = tr_i32(t, ft); break;
        case 6: e->converted = tr_i32(t, ft); break;
        case 7: e->scale = tr_i32(t, ft); break;
        case 8: e->precision = tr_i32(t, ft); break;
        case 10:
            if (ft == TC_STRUCT) parse_logical(t, e); else tr_skip(t, ft);
            break;
        default: tr_skip(t, ft);
        }
    }
    tr_struct_end(t);
}

static void parse_stats(tr *t, pq_stats *s)
{
    int ft, fid;
    const uint8_t *omin = NULL, *omax = NULL;
    size_t omin_len = 0, omax_len = 0;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        if ((fid == 1 || fid == 2 || fid == 5 || fid == 6) && ft == TC_BINARY) {
            size_t n;
            const uint8_t *p = tr_binary(t, &n);
            if (fid == 1) { omax = p; omax_len = n; }
            else if (fid == 2) { omin = p; omin_len = n; }
            else if (fid == 5) { s->max = p; s->max_len = n; }
            else { s->min = p; s->min_len = n; }
        } else if (fid == 3) s->null_count = tr_i64(t, ft);
        else tr_skip(t, ft);
    }
    tr_struct_end(t);
    if (!s->min && omin) { s->min = omin; s->min_len = omin_len; }
    if (!s->max && omax) { s->max = omax; s->max_len = omax_len; }
}

static void parse_colmeta(tr *t, pq_colmeta *c)
{
    int ft, fid;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        switch (fid) {
        case 1: c->type = tr_i32(t, ft); break;
        case 3: {
            if (ft != TC_LIST) { tr_skip(t, ft); tr_fail(t); break; }
            int et;
            size_t n = tr_list(t, &et);
            if (t->bad) break;
            if (et != TC_BINARY || c->path) { tr_fail(t); break; }
            c->path = sl_calloc(n ? n : 1, sizeof *c->path);
            if (!c->path) { t->bad = 2; break; }
            for (size_t i = 0; i < n && !t->bad; i++) {
                c->path[i] = dup_bin(t);
                c->n_path = (int)i + 1;
            }
            break;
        }
        case 4: c->codec = tr_i32(t, ft); break;
        case 5: c->num_values = tr_i64(t, ft); break;
        case 7: c->total_compressed = tr_i64(t, ft); break;
        case 9: c->data_page_offset = tr_i64(t, ft); break;
        case 11: c->dict_page_offset = tr_i64(t, ft); break;
        case 12:
            if (ft == TC_STRUCT) parse_stats(t, &c->stats); else tr_skip(t, ft);
            break;
        default: tr_skip(t, ft);
        }
    }
    tr_struct_end(t);
}

static void parse_colchunk(tr *t, pq_colmeta *c)
{
    int ft, fid;
    int seen = 0;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        if (fid == 3 && ft == TC_STRUCT) { parse_colmeta(t, c); seen = 1; }
        else tr_skip(t, ft);
    }
    tr_struct_end(t);
    if (!seen && !t->bad) t->bad = 3;   /* no inline metadata */
}

static void parse_rowgroup(tr *t, pq_rowgroup *rg)
{
    int ft, fid;
    rg->raw = t->p;
    tr_struct_begin(t);
    while (tr_field(t, &ft, &fid)) {
        if (fid == 1 && ft == TC_LIST) {
            int et;
            size_t n = tr_list(t, &et);
            if (t->bad) break;
            if (et != TC_STRUCT || rg->cols) { tr_fail(t); break; }
            rg->cols = sl_calloc(n ? n : 1, sizeof *rg->cols);
            if (!rg->cols) { t->bad = 2; break; }
            for (size_t i = 0; i < n && !t->bad; i++) {
                rg->cols[i].dict_page_offset = -1;
                rg->cols[i].stats.null_count = -1;
                rg->n_cols = (int)i + 1;
                parse_colchunk(t, &rg->cols[i]);
            }
        } else if (fid == 3) rg->num_rows = tr_i64(t, ft);
        else tr_skip(t, ft);
    }
    tr_struct_end(t);
    rg->raw_len = (size_t)(t->p - rg->raw);
}

sl_status pq_meta_parse(const uint8_t *buf, size_t len, pq_meta *m, sl_error *err)
{
    memset(m, 0, sizeof *m);
    tr t;
    tr_init(&t, buf, len);
    int ft, fid;
    tr_struct_begin(&t);
    while (tr_field(&t, &ft, &fid)) {
        if (fid == 2 && ft == TC_LIST) {
            const uint8_t *start = t.p;
            int et;
            size_t n = tr_list(&t, &et);
            if (t.bad) break;
            if (et != TC_STRUCT || m->schema) { tr_fail(&t); break; }
            m->schema = sl_calloc(n ? n : 1, sizeof *m->schema);
            if (!m->schema) { t.bad = 2; break; }
            for (size_t i = 0; i < n && !t.bad; i++) {
                m->n_schema = (int)i + 1;
                parse_selem(&t, &m->schema[i]);
            }
            m->schema_raw = start;
            m->schema_raw_len = (size_t)(t.p - start);
        } else if (fid == 3) {
            m->num_rows = tr_i64(&t, ft);
        } else if (fid == 4 && ft == TC_LIST) {
            int et;
            size_t n = tr_list(&t, &et);
            if (t.bad) break;
            if (et != TC_STRUCT || m->rgs) { tr_fail(&t); break; }
            m->rgs = sl_calloc(n ? n : 1, sizeof *m->rgs);
            if (!m->rgs) { t.bad = 2; break; }
            for (size_t i = 0; i < n && !t.bad; i++) {
                m->n_rg = (int)i + 1;
                parse_rowgroup(&t, &m->rgs[i]);
            }
        } else if (fid == 6 && ft == TC_BINARY) {
            sl_free(m->created_by);
            m->created_by = dup_bin(&t);
        } else tr_skip(&t, ft);
    }
    tr_struct_end(&t);
    if (t.bad == 2) { pq_meta_fini(m); return sl_err_oom(err); }
    if (t.bad == 3) {
        pq_meta_fini(m);
        return sl_err(err, SL_ERR_FORMAT, "parquet: column chunk without inline metadata");
    }
    if (t.bad) {
        pq_meta_fini(m);
        return sl_err(err, SL_ERR_FORMAT, "parquet: malformed file metadata");
    }
    if (m->n_schema < 1) {
        pq_meta_fini(m);
        return sl_err(err, SL_ERR_FORMAT, "parquet: file metadata has no schema");
    }
    for (int i = 0; i < m->n_schema; i++)
        if (!m->schema[i].name) {
            pq_meta_fini(m);
            return sl_err(err, SL_ERR_FORMAT, "parquet: schema element without a name");
        }
    return SL_OK;
}

void pq_meta_fini(pq_meta *m)
{
    for (int i = 0; i < m->n_schema; i++) sl_free(m->schema[i].name);
    sl_free(m->schema);
    for (int r = 0; r < m->n_rg; r++) {
        pq_rowgroup *rg = &m->rgs[r];
        for (int c = 0; c < rg->n_cols; c++) {
            for (int k = 0; k < rg->cols[c].n_path; k++) sl_free(rg->cols[c].path[k]);
            sl_free(rg->cols[c].path);
        }
        sl_free(rg->cols);
    }
    sl_free(m->rgs);
    sl_free(m->created_by);
    memset(m, 0, sizeof *m);
}

/* ---- PageHeader --------------------------------------------------------- */

sl_status pq_page_header_parse(const uint8_t *buf, size_t len, pq_page_header *h,
                               size_t *used, sl_error *err)
{
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    tr t;
    tr_init(&t, buf, len);
    int ft, fid, f2, id2;
    tr_struct_begin(&t);
    while (tr_field(&t, &ft, &fid)) {
        switch (fid) {
        case 1: h->type = tr_i32(&t, ft); break;
        case 2: h->uncompressed = tr_i32(&t, ft); break;
        case 3: h->compressed = tr_i32(&t, ft); break;
        case 5: case 7:   /* DataPageHeader, DictionaryPageHeader */
            if (ft != TC_STRUCT) { tr_skip(&t, ft); break; }
            tr_struct_begin(&t);
            while (tr_field(&t, &f2, &id2)) {
                if (id2 == 1) h->num_values = tr_i32(&t, f2);
                else if (id2 == 2) h->encoding = tr_i32(&t, f2);
                else if (id2 == 3 && fid == 5) h->def_encoding = tr_i32(&t, f2);
                else if (id2 == 4 && fid == 5) h->rep_encoding = tr_i32(&t, f2);
                else tr_skip(&t, f2);
            }
            tr_struct_end(&t);
            break;
        case 8:           /* DataPageHeaderV2 */
            if (ft != TC_STRUCT) { tr_skip(&t, ft); break; }
            tr_struct_begin(&t);
            while (tr_field(&t, &f2, &id2)) {
                switch (id2) {
                case 1: h->num_values = tr_i32(&t, f2); break;
                case 2: h->num_nulls = tr_i32(&t, f2); break;
                case 3: h->num_rows = tr_i32(&t, f2); break;
                case 4: h->encoding = tr_i32(&t, f2); break;
                case 5: h->def_len = tr_i32(&t, f2); break;
                case 6: h->rep_len = tr_i32(&t, f2); break;
                case 7: h->is_compressed = tr_bool(&t, f2); break;
                default: tr_skip(&t, f2);
                }
            }
            tr_struct_end(&t);
            break;
        default: tr_skip(&t, ft);
        }
    }
    tr_struct_end(&t);
    if (t.bad || h->type < 0 || h->compressed < 0 || h->uncompressed < 0 ||
        h->num_values < 0 || h->def_len < 0 || h->rep_len < 0)
        return sl_err(err, SL_ERR_FORMAT, "parquet: malformed page header");
    *used = (size_t)(t.p - buf);
    return SL_OK;
}

/* ---- writer schema ------------------------------------------------------ */

void pq_write_schema(tw *t, const sl_schema *s)
{
    tw_list(t, 2, TC_STRUCT, (size_t)s->n + 1);
    tw_struct_begin(t, 0);
    tw_string(t, 4, "schema");
    tw_i32(t, 5, s->n);
    tw_struct_end(t);
    for (int i = 0; i < s->n; i++) {
        int phys = PQ_INT32, ct = -1, lt = 0;
        switch (s->fields[i].type) {
        case SL_TYPE_BOOLEAN: phys = PQ_BOOLEAN; break;
        case SL_TYPE_INT: phys = PQ_INT32; break;
        case SL_TYPE_BIGINT: phys = PQ_INT64; break;
        case SL_TYPE_DOUBLE: phys = PQ_DOUBLE; break;
        case SL_TYPE_STRING: phys = PQ_BYTE_ARRAY; ct = PQ_CT_UTF8; lt = PQ_LT_STRING; break;
        case SL_TYPE_TIMESTAMP:
            phys = PQ_INT64; ct = PQ_CT_TIMESTAMP_MICROS; lt = PQ_LT_TIMESTAMP; break;
        case SL_TYPE_DATE: phys = PQ_INT32; ct = PQ_CT_DATE; lt = PQ_LT_DATE; break;
        default: phys = PQ_INT32; break;  /* NULL type: an all-null INT32 */
        }
        tw_struct_begin(t, 0);
        tw_i32(t, 1, phys);
        tw_i32(t, 3, PQ_OPTIONAL);
        tw_string(t, 4, s->fields[i].name);
        if (ct >= 0) tw_i32(t, 6, ct);
        if (lt) {
            tw_struct_begin(t, 10);
            tw_struct_begin(t, lt);
            if (lt == PQ_LT_TIMESTAMP) {
                tw_bool(t, 1, true);
                tw_struct_begin(t, 2);
                tw_struct_begin(t, PQ_UNIT_MICROS);
                tw_struct_end(t);
                tw_struct_end(t);
            }
            tw_struct_end(t);
            tw_struct_end(t);
        }
        tw_struct_end(t);
    }
}
