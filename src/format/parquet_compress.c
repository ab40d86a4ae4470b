/* Page compression for Parquet: snappy (libsnappy's C API, Spark's default),
 * gzip (zlib, gzip framing as Parquet specifies) and zstd (libzstd).  The
 * reader always knows a page's uncompressed size from its header and
 * insists on getting exactly that many bytes, so a lying header is an
 * error rather than a short or overflowing buffer. */
#include "format/parquet_int.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

int pq_compress(int codec, int level, const void *src, size_t n, sl_buf *out)
{
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
        sl_buf_append(out, src, n);
        return out->oom ? -1 : 0;
    case SL_PQ_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        if (sl_buf_reserve(out, cap)) return -1;
        size_t got = cap;
        if (snappy_compress(src, n, out->data + out->len, &got) != SNAPPY_OK) return -1;
        out->len += got;
        return 0;
    }
    case SL_PQ_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        if (sl_buf_reserve(out, cap)) return -1;
        size_t got = ZSTD_compress(out->data + out->len, cap, src, n, level ? level : 3);
        if (ZSTD_isError(got)) return -1;
        out->len += got;
        return 0;
    }
    case SL_PQ_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY) != Z_OK)
            return -1;
        size_t cap = deflateBound(&zs, (uLong)n) + 32;
        if (sl_buf_reserve(out, cap)) { deflateEnd(&zs); return -1; }
        zs.next_in = (Bytef *)src;
        zs.avail_in = (uInt)n;
        zs.next_out = (Bytef *)out->data + out->len;
        zs.avail_out = (uInt)cap;
        int rc = deflate(&zs, Z_FINISH);
        size_t got = cap - zs.avail_out;
        deflateEnd(&zs);
        if (rc != Z_STREAM_END) return -1;
        out->len += got;
        return 0;
    }
    default:
        return -1;
    }
}

sl_status pq_decompress_check(int codec, const uint8_t *src, size_t n, size_t out_len,
                              sl_error *err)
{
    size_t most = out_len; /* the largest size n bytes can decompress to */
    switch (codec) {
    case SL_PQ_UNCOMPRESSED: most = n; break;
    case SL_PQ_SNAPPY:
        if (snappy_uncompressed_length((const char *)src, n, &most) != SNAPPY_OK)
            return sl_err(err, SL_ERR_FORMAT, "parquet: bad snappy page");
        break;
    /* A zstd block is at least 4 bytes (3-byte header, 1 RLE byte) for at
     * most 128 KB; deflate expands at most 1032:1.  (A zstd frame's own
     * content size is not used: a page may hold several frames.) */
    case SL_PQ_ZSTD: most = n > SIZE_MAX / 32768 ? SIZE_MAX : n * 32768 + (1 << 17); break;
    case SL_PQ_GZIP: most = n > SIZE_MAX / 1032 ? SIZE_MAX : n * 1032 + 1024; break;
    default: return SL_OK; /* pq_decompress refuses it */
    }
    bool exact = codec == SL_PQ_UNCOMPRESSED || codec == SL_PQ_SNAPPY;
    if (exact ? out_len != most : out_len > most)
        return sl_err(err, SL_ERR_FORMAT,
                      "parquet: page claims %zu bytes uncompressed, but its %zu stored bytes %s %zu",
                      out_len, n, exact ? "hold" : "hold at most", most);
    return SL_OK;
}

sl_status pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *out,
                        size_t out_len, sl_error *err)
{
    switch (codec) {
    case SL_PQ_UNCOMPRESSED:
        if (n != out_len)
            return sl_err(err, SL_ERR_FORMAT, "parquet: page sizes disagree (%zu vs %zu)", n, out_len);
        memcpy(out, src, n);
        return SL_OK;
    case SL_PQ_SNAPPY: {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK || ulen != out_len)
            return sl_err(err, SL_ERR_FORMAT, "parquet: bad snappy page");
        size_t got = out_len;
        if (snappy_uncompress((const char *)src, n, (char *)out, &got) != SNAPPY_OK || got != out_len)
            return sl_err(err, SL_ERR_FORMAT, "parquet: bad snappy page");
        return SL_OK;
    }
    case SL_PQ_ZSTD: {
        size_t got = ZSTD_decompress(out, out_len, src, n);
        if (ZSTD_isError(got) || got != out_len)
            return sl_err(err, SL_ERR_FORMAT, "parquet: bad zstd page");
        return SL_OK;
    }
    case SL_PQ_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof zs);
        if (inflateInit2(&zs, 15 + 32) != Z_OK) return sl_err_oom(err);
        zs.next_in = (Bytef *)src;
        zs.avail_in = (uInt)n;
        zs.next_out = out;
        zs.avail_out = (uInt)out_len;
        int rc = inflate(&zs, Z_FINISH);
        size_t got = out_len - zs.avail_out;
        inflateEnd(&zs);
        if ((rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && got == out_len)) || got != out_len)
            return sl_err(err, SL_ERR_FORMAT, "parquet: bad gzip page");
        return SL_OK;
    }
    default:
        return sl_err(err, SL_ERR_FORMAT, "parquet: unsupported compression codec %d", codec);
    }
}
