/* Parquet value and level encodings: the RLE / bit-packed hybrid (levels,
 * dictionary indices, booleans), the deprecated MSB-first BIT_PACKED levels,
 * PLAIN, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT.  Decoders append to a pq_vals and check every length
 * against the bytes they were given; the writer only needs the hybrid
 * encoder (PLAIN is written directly by parquet_write.c). */
#include "format/parquet_int.h"

#include <string.h>

/* ---- value vectors ------------------------------------------------------ */

void pq_vals_init(pq_vals *v, int type, int width)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    v->width = width;
}

void pq_vals_fini(pq_vals *v)
{
    sl_free(v->fixed);
    sl_free(v->off);
    sl_free(v->bytes);
    int t = v->type, w = v->width;
    pq_vals_init(v, t, w);
}

void pq_vals_clear(pq_vals *v)
{
    v->n = 0;
    v->bytes_len = 0;
    if (v->off) v->off[0] = 0;
}

static int reserve(pq_vals *v, size_t n, size_t bytes);

int pq_vals_reserve(pq_vals *v, size_t n, size_t bytes)
{
    int rc = reserve(v, n, bytes);
    if (rc) v->oom = 1;
    return rc;
}

static int reserve(pq_vals *v, size_t n, size_t bytes)
{
    size_t need = v->n + n;
    if (need > v->cap) {
        size_t ncap = v->cap ? v->cap : 64;
        while (ncap < need) ncap *= 2;
        if (v->type == PQ_BYTE_ARRAY) {
            uint32_t *no = sl_realloc(v->off, (ncap + 1) * sizeof *no);
            if (!no) return -1;
            if (!v->off) no[0] = 0;
            v->off = no;
        } else {
            uint8_t *nf = sl_realloc(v->fixed, ncap * (size_t)v->width);
            if (!nf) return -1;
            v->fixed = nf;
        }
        v->cap = ncap;
    }
    if (v->type == PQ_BYTE_ARRAY) {
        if (!v->off) {   /* cap was already enough but no offsets yet */
            v->off = sl_calloc(v->cap + 1, sizeof *v->off);
            if (!v->off) return -1;
        }
        size_t bneed = v->bytes_len + bytes;
        if (bneed > UINT32_MAX) return -1;
        if (bneed > v->bytes_cap) {
            size_t nb = v->bytes_cap ? v->bytes_cap : 256;
            while (nb < bneed) nb *= 2;
            uint8_t *nbp = sl_realloc(v->bytes, nb);
            if (!nbp) return -1;
            v->bytes = nbp;
            v->bytes_cap = nb;
        }
    }
    return 0;
}

/* Appends a byte array value (room reserved by the caller). */
static void push_ba(pq_vals *v, const uint8_t *p, size_t n)
{
    if (n) memcpy(v->bytes + v->bytes_len, p, n);
    v->bytes_len += n;
    v->n++;
    v->off[v->n] = (uint32_t)v->bytes_len;
}

int pq_vals_push_from(pq_vals *v, const pq_vals *src, size_t i)
{
    if (v->type == PQ_BYTE_ARRAY) {
        size_t n = src->off[i + 1] - src->off[i];
        if (pq_vals_reserve(v, 1, n)) return -1;
        push_ba(v, src->bytes + src->off[i], n);
    } else {
        if (pq_vals_reserve(v, 1, 0)) return -1;
        memcpy(v->fixed + v->n * (size_t)v->width, src->fixed + i * (size_t)src->width,
               (size_t)v->width);
        v->n++;
    }
    return 0;
}

/* ---- bit helpers -------------------------------------------------------- */

int pq_bit_width(uint32_t max)
{
    int w = 0;
    while (max) { w++; max >>= 1; }
    return w;
}

/* Value number i of width bw (<= 64) packed LSB-first in p[0..len). The
 * caller has checked that the bits are inside the buffer. */
static uint64_t unpack_at(const uint8_t *p, size_t len, uint64_t bitpos, int bw)
{
    if (bw == 0) return 0;
    size_t byte = (size_t)(bitpos >> 3);
    int shift = (int)(bitpos & 7);
    if (bw <= 56 && byte + 8 <= len) {
        uint64_t w;
        memcpy(&w, p + byte, 8);   /* little-endian hosts */
        w >>= shift;
        return bw == 64 ? w : w & ((UINT64_C(1) << bw) - 1);
    }
    uint64_t v = 0;
    int got = 0;
    while (got < bw) {
        uint64_t b = byte < len ? p[byte] : 0;
        b >>= shift;
        v |= b << got;
        got += 8 - shift;
        shift = 0;
        byte++;
    }
    return bw == 64 ? v : v & ((UINT64_C(1) << bw) - 1);
}

static int read_uvarint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    const uint8_t *p = *pp;
    for (int shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) { *pp = p; *out = v; return 0; }
    }
    return -1;
}

static int read_zigzag(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    if (read_uvarint(pp, end, &u)) return -1;
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 0;
}

/* ---- RLE / bit-packed hybrid -------------------------------------------- */

int pq_rle_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    if (bw < 0 || bw > 32) return -1;
    const uint8_t *end = p + len;
    size_t i = 0;
    size_t vbytes = (size_t)(bw + 7) / 8;
    while (i < n) {
        uint64_t h;
        if (read_uvarint(&p, end, &h)) return -1;
        if (h & 1) {
            uint64_t groups = h >> 1;
            if (groups > (uint64_t)SIZE_MAX / 64) return -1;
            size_t count = (size_t)groups * 8;
            size_t take = count < n - i ? count : n - i;
            size_t need = (take * (size_t)bw + 7) / 8;
            size_t avail = (size_t)(end - p);
            if (need > avail) return -1;
            for (size_t k = 0; k < take; k++)
                out[i + k] = (uint32_t)unpack_at(p, avail, (uint64_t)k * (uint64_t)bw, bw);
            i += take;
            size_t full = (size_t)groups * (size_t)bw;
            p += full <= avail ? full : avail;
        } else {
            uint64_t run = h >> 1;
            if ((size_t)(end - p) < vbytes) return -1;
            uint32_t val = 0;
            for (size_t k = 0; k < vbytes; k++) val |= (uint32_t)p[k] << (8 * k);
            p += vbytes;
            if (bw < 32 && (val >> bw)) return -1;
            size_t take = run < (uint64_t)(n - i) ? (size_t)run : n - i;
            for (size_t k = 0; k < take; k++) out[i + k] = val;
            i += take;
        }
    }
    return 0;
}

int pq_bitpacked_msb_decode(const uint8_t *p, size_t len, int bw, uint32_t *out, size_t n)
{
    if (bw < 0 || bw > 32) return -1;
    if (((uint64_t)n * (uint64_t)bw + 7) / 8 > len) return -1;
    uint64_t bit = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = 0;
        for (int k = 0; k < bw; k++, bit++)
            v = v << 1 | ((p[bit >> 3] >> (7 - (bit & 7))) & 1);
        out[i] = v;
    }
    return 0;
}

static void emit_bitpacked(sl_buf *out, const uint32_t *v, size_t n, int bw)
{
    /* n is a multiple of 8 except for the very last run of the data */
    size_t groups = (n + 7) / 8;
    sl_buf_put_varint(out, (uint64_t)groups << 1 | 1);
    size_t nbytes = groups * (size_t)bw;
    if (sl_buf_reserve(out, nbytes)) return;
    uint8_t *d = (uint8_t *)out->data + out->len;
    memset(d, 0, nbytes);
    uint64_t bit = 0;
    for (size_t i = 0; i < n; i++, bit += (uint64_t)bw)
        for (int k = 0; k < bw; k++)
            if ((v[i] >> k) & 1) d[(bit + (uint64_t)k) >> 3] |= (uint8_t)(1u << ((bit + (uint64_t)k) & 7));
    out->len += nbytes;
    out->data[out->len] = 0;
}

static void emit_rle(sl_buf *out, uint32_t val, size_t run, int bw)
{
    sl_buf_put_varint(out, (uint64_t)run << 1);
    uint8_t b[4];
    size_t vb = (size_t)(bw + 7) / 8;
    for (size_t k = 0; k < vb; k++) b[k] = (uint8_t)(val >> (8 * k));
    sl_buf_append(out, b, vb);
}

void pq_rle_encode(sl_buf *out, const uint32_t *v, size_t n, int bw)
{
    size_t lit = 0;       /* start of pending literals */
    size_t i = 0;
    while (i < n) {
        size_t j = i + 1;
        while (j < n && v[j] == v[i]) j++;
        size_t run = j - i;
        /* Literals must be whole groups of 8 before a repeated run may
         * start, so borrow from the run to fill the last group. */
        size_t pending = i - lit;
        size_t fill = (8 - pending % 8) % 8;
        if (run >= 8 + fill) {
            if (pending + fill) emit_bitpacked(out, v + lit, pending + fill, bw);
            emit_rle(out, v[i], run - fill, bw);
            lit = j;
        }
        i = j;
    }
    if (lit < n) emit_bitpacked(out, v + lit, n - lit, bw);
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------ */

int64_t pq_delta_count(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t bs, mb, total;
    if (read_uvarint(&p, end, &bs) || read_uvarint(&p, end, &mb) ||
        read_uvarint(&p, end, &total) || total > INT32_MAX)
        return -1;
    return (int64_t)total;
}

int pq_delta_decode(const uint8_t *p0, size_t len, int64_t *out, size_t cap,
                    size_t *n_out, size_t *used)
{
    const uint8_t *p = p0, *end = p0 + len;
    uint64_t bs, mb, total;
    int64_t first;
    if (read_uvarint(&p, end, &bs) || read_uvarint(&p, end, &mb) ||
        read_uvarint(&p, end, &total) || read_zigzag(&p, end, &first))
        return -1;
    if (bs == 0 || mb == 0 || bs % mb || (bs / mb) % 8 || bs > (1u << 20) || total > cap)
        return -1;
    size_t per_mb = (size_t)(bs / mb);
    size_t count = 0;
    uint64_t prev = (uint64_t)first;
    if (total > 0) out[count++] = first;
    while (count < total) {
        int64_t min_delta;
        if (read_zigzag(&p, end, &min_delta)) return -1;
        if ((uint64_t)(end - p) < mb) return -1;
        const uint8_t *widths = p;
        p += mb;
        for (uint64_t k = 0; k < mb && count < total; k++) {
            int w = widths[k];
            if (w > 64) return -1;
            size_t nbytes = per_mb * (size_t)w / 8;
            if ((size_t)(end - p) < nbytes) return -1;
            for (size_t j = 0; j < per_mb && count < total; j++) {
                uint64_t d = unpack_at(p, nbytes, (uint64_t)j * (uint64_t)w, w);
                prev = prev + (uint64_t)min_delta + d;
                out[count++] = (int64_t)prev;
            }
            p += nbytes;
        }
    }
    *n_out = count;
    *used = (size_t)(p - p0);
    return 0;
}

/* Decodes a whole DELTA_BINARY_PACKED run into a new array. */
static int delta_all(const uint8_t *p, size_t len, int64_t **out, size_t *n, size_t *used)
{
    int64_t total = pq_delta_count(p, len);
    if (total < 0) return -1;
    *out = sl_malloc((size_t)(total ? total : 1) * sizeof **out);
    if (!*out) return -2;
    if (pq_delta_decode(p, len, *out, (size_t)total, n, used)) {
        sl_free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

/* ---- decoding values ---------------------------------------------------- */

static int decode_plain(const uint8_t *p, size_t len, size_t n, pq_vals *v)
{
    if (v->type == PQ_BOOLEAN) {
        if ((n + 7) / 8 > len || pq_vals_reserve(v, n, 0)) return -1;
        for (size_t i = 0; i < n; i++) v->fixed[v->n + i] = (p[i >> 3] >> (i & 7)) & 1;
        v->n += n;
        return 0;
    }
    if (v->type == PQ_BYTE_ARRAY) {
        /* first pass: bound and total size */
        const uint8_t *q = p, *end = p + len;
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            if (end - q < 4) return -1;
            uint32_t l;
            memcpy(&l, q, 4);
            q += 4;
            if ((size_t)(end - q) < l) return -1;
            q += l;
            total += l;
        }
        if (pq_vals_reserve(v, n, total)) return -1;
        q = p;
        for (size_t i = 0; i < n; i++) {
            uint32_t l;
            memcpy(&l, q, 4);
            push_ba(v, q + 4, l);
            q += 4 + l;
        }
        return 0;
    }
    size_t w = (size_t)v->width;
    if (w == 0 || n > len / w || pq_vals_reserve(v, n, 0)) return -1;
    memcpy(v->fixed + v->n * w, p, n * w);
    v->n += n;
    return 0;
}

static int decode_dict(const uint8_t *p, size_t len, size_t n, const pq_vals *dict, pq_vals *v)
{
    if (!dict || len < 1) return -1;
    int bw = p[0];
    uint32_t *idx = sl_malloc((n ? n : 1) * sizeof *idx);
    if (!idx) { v->oom = 1; return -1; }
    int rc = -1;
    if (pq_rle_decode(p + 1, len - 1, bw, idx, n)) goto out;
    if (v->type == PQ_BYTE_ARRAY) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            if (idx[i] >= dict->n) goto out;
            total += dict->off[idx[i] + 1] - dict->off[idx[i]];
        }
        if (pq_vals_reserve(v, n, total)) goto out;
        for (size_t i = 0; i < n; i++)
            push_ba(v, dict->bytes + dict->off[idx[i]], dict->off[idx[i] + 1] - dict->off[idx[i]]);
    } else {
        size_t w = (size_t)v->width;
        if (pq_vals_reserve(v, n, 0)) goto out;
        for (size_t i = 0; i < n; i++) {
            if (idx[i] >= dict->n) goto out;
            memcpy(v->fixed + (v->n + i) * w, dict->fixed + (size_t)idx[i] * w, w);
        }
        v->n += n;
    }
    rc = 0;
out:
    sl_free(idx);
    return rc;
}

static int decode_delta_len(const uint8_t *p, size_t len, size_t n, pq_vals *v,
                            const int64_t *prefix, size_t *used_out)
{
    int64_t *lens;
    size_t nl, used;
    int drc = delta_all(p, len, &lens, &nl, &used);
    if (drc) { if (drc == -2) v->oom = 1; return -1; }
    int rc = -1;
    if (nl < n) goto out;
    const uint8_t *q = p + used, *end = p + len;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (lens[i] < 0 || (uint64_t)lens[i] > (uint64_t)(end - q) - total) goto out;
        total += (size_t)lens[i];
    }
    if (!prefix) {
        if (v->type == PQ_BYTE_ARRAY) {
            if (pq_vals_reserve(v, n, total)) goto out;
            for (size_t i = 0; i < n; i++) { push_ba(v, q, (size_t)lens[i]); q += lens[i]; }
        } else {
            if (pq_vals_reserve(v, n, 0)) goto out;
            for (size_t i = 0; i < n; i++) {
                if ((size_t)lens[i] != (size_t)v->width) goto out;
                memcpy(v->fixed + v->n * (size_t)v->width, q, (size_t)v->width);
                v->n++;
                q += lens[i];
            }
        }
    } else {
        /* DELTA_BYTE_ARRAY: value i = first prefix[i] bytes of value i-1 +
         * suffix i.  Built in a scratch buffer, then appended. */
        uint8_t *prev = NULL, *cur = NULL;
        size_t prev_len = 0;
        rc = -1;
        for (size_t i = 0; i < n; i++) {
            if (prefix[i] < 0 || (size_t)prefix[i] > prev_len) { sl_free(prev); goto out; }
            size_t cl = (size_t)prefix[i] + (size_t)lens[i];
            cur = sl_malloc(cl ? cl : 1);
            if (!cur) { v->oom = 1; sl_free(prev); goto out; }
            if (prefix[i]) memcpy(cur, prev, (size_t)prefix[i]);
            if (lens[i]) memcpy(cur + prefix[i], q, (size_t)lens[i]);
            q += lens[i];
            int bad;
            if (v->type == PQ_BYTE_ARRAY) {
                bad = pq_vals_reserve(v, 1, cl);
                if (!bad) push_ba(v, cur, cl);
            } else {
                bad = cl != (size_t)v->width || pq_vals_reserve(v, 1, 0);
                if (!bad) { memcpy(v->fixed + v->n * cl, cur, cl); v->n++; }
            }
            sl_free(prev);
            prev = cur;
            prev_len = cl;
            if (bad) { sl_free(prev); goto out; }
        }
        sl_free(prev);
    }
    if (used_out) *used_out = (size_t)(q - p);
    rc = 0;
out:
    sl_free(lens);
    return rc;
}

int pq_decode_values(int enc, const uint8_t *p, size_t len, size_t n,
                     const pq_vals *dict, pq_vals *v)
{
    if (n == 0) return 0;
    switch (enc) {
    case PQ_ENC_PLAIN:
        return decode_plain(p, len, n, v);
    case PQ_ENC_PLAIN_DICT:
    case PQ_ENC_RLE_DICT:
        return decode_dict(p, len, n, dict, v);
    case PQ_ENC_RLE: {
        if (v->type != PQ_BOOLEAN || len < 4) return -1;
        uint32_t l;
        memcpy(&l, p, 4);
        if (l > len - 4) return -1;
        uint32_t *tmp = sl_malloc(n * sizeof *tmp);
        if (!tmp) { v->oom = 1; return -1; }
        int rc = pq_rle_decode(p + 4, l, 1, tmp, n);
        if (!rc && !(rc = pq_vals_reserve(v, n, 0))) {
            for (size_t i = 0; i < n; i++) v->fixed[v->n + i] = (uint8_t)tmp[i];
            v->n += n;
        }
        sl_free(tmp);
        return rc;
    }
    case PQ_ENC_DELTA_BINARY: {
        if (v->type != PQ_INT32 && v->type != PQ_INT64) return -1;
        int64_t *tmp;
        size_t got, used;
        int drc = delta_all(p, len, &tmp, &got, &used);
        if (drc) { if (drc == -2) v->oom = 1; return -1; }
        int rc = -1;
        if (got >= n && !pq_vals_reserve(v, n, 0)) {
            for (size_t i = 0; i < n; i++) {
                if (v->type == PQ_INT32) {
                    int32_t x = (int32_t)(uint32_t)(uint64_t)tmp[i];
                    memcpy(v->fixed + (v->n + i) * 4, &x, 4);
                } else memcpy(v->fixed + (v->n + i) * 8, &tmp[i], 8);
            }
            v->n += n;
            rc = 0;
        }
        sl_free(tmp);
        return rc;
    }
    case PQ_ENC_DELTA_LENGTH:
        if (v->type != PQ_BYTE_ARRAY) return -1;
        return decode_delta_len(p, len, n, v, NULL, NULL);
    case PQ_ENC_DELTA_BYTE_ARRAY: {
        if (v->type != PQ_BYTE_ARRAY && v->type != PQ_FIXED) return -1;
        int64_t *pre;
        size_t np, used;
        int drc = delta_all(p, len, &pre, &np, &used);
        if (drc) { if (drc == -2) v->oom = 1; return -1; }
        int rc = np < n ? -1 : decode_delta_len(p + used, len - used, n, v, pre, NULL);
        sl_free(pre);
        return rc;
    }
    case PQ_ENC_BYTE_STREAM_SPLIT: {
        if (v->type == PQ_BYTE_ARRAY || v->type == PQ_BOOLEAN || v->type == PQ_INT96) return -1;
        size_t w = (size_t)v->width;
        if (w == 0 || n > len / w || pq_vals_reserve(v, n, 0)) return -1;
        /* the page holds exactly the values; the stream stride is its count */
        size_t stride = len / w;
        if (stride < n) return -1;
        uint8_t *d = v->fixed + v->n * w;
        for (size_t i = 0; i < n; i++)
            for (size_t b = 0; b < w; b++) d[i * w + b] = p[b * stride + i];
        v->n += n;
        return 0;
    }
    default:
        return -1;
    }
}

int64_t pq_int96_to_us(const uint8_t *p)
{
    int64_t nanos;
    int32_t jd;
    memcpy(&nanos, p, 8);
    memcpy(&jd, p + 8, 4);
    return ((int64_t)jd - 2440588) * INT64_C(86400000000) + nanos / 1000;
}
