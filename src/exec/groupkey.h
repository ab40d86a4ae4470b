/* Grouping keys as bytes: how a stateful operator turns the GROUP BY values
 * of one input row into a byte string it can hash, compare and keep, and
 * back into output columns.  Per key a NULL flag byte, then the value:
 * fixed-width types as their bytes (-0.0 folded into 0.0 and every NaN
 * into one, as Spark normalises — sl_exec_row_encode_to keeps them as
 * they are, for whole rows kept to be output again), strings as a 4-byte length and the bytes.  Used by the
 * session-window aggregation (op_session.c) and the hash aggregation
 * (op_agg.c, which encodes a block of rows at a time with the inline
 * sl_exec_key_encode_to). */
#ifndef SL_EXEC_GROUPKEY_H
#define SL_EXEC_GROUPKEY_H

#include "core/buf.h"
#include "core/column.h"

#include <stdbool.h>
#include <string.h>

/* The most bytes row i's key can take (a bound for sl_exec_key_encode_to). */
static inline size_t sl_exec_key_bound(sl_col *const *keys, int n_keys, int64_t i)
{
    size_t n = 0;
    for (int k = 0; k < n_keys; k++) {
        const sl_col *c = keys[k];
        if (c->type == SL_TYPE_STRING) {
            const int32_t *o = sl_col_offsets(c);
            n += 5 + (size_t)(o[i + 1] - o[i]);
        } else {
            n += 9;
        }
    }
    return n;
}

/* The encoder of both forms below: exact keeps doubles bit for bit. */
static inline size_t sl_exec_encode_to_(uint8_t *o, sl_col *const *keys, int n_keys, int64_t i, bool exact)
{
    uint8_t *start = o;
    for (int k = 0; k < n_keys; k++) {
        const sl_col *c = keys[k];
        if (sl_col_is_null(c, i)) { *o++ = 0; continue; }
        *o++ = 1;
        switch (c->type) {
        case SL_TYPE_BOOLEAN: *o++ = (uint8_t)sl_col_bool(c, i); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: memcpy(o, &sl_col_i32(c)[i], 4); o += 4; break;
        case SL_TYPE_DOUBLE: {
            double d = sl_col_f64(c)[i];
            uint64_t bits;
            if (d == 0 && !exact) d = 0; /* -0.0 groups with 0.0, as Spark normalises */
            memcpy(&bits, &d, 8);
            if (d != d && !exact) bits = 0x7ff8000000000000ULL; /* every NaN one group (sqrt(-1) is -NaN on x86) */
            memcpy(o, &bits, 8);
            o += 8;
            break;
        }
        case SL_TYPE_STRING: {
            size_t n;
            const char *s = sl_col_str(c, i, &n);
            uint32_t len = (uint32_t)n;
            memcpy(o, &len, 4);
            if (n) memcpy(o + 4, s, n);
            o += 4 + n;
            break;
        }
        default: memcpy(o, &sl_col_i64(c)[i], 8); o += 8; break;
        }
    }
    return (size_t)(o - start);
}

/* Encodes row i of keys[0..n_keys) at o, which has room for
 * sl_exec_key_bound bytes; returns the bytes written. */
static inline size_t sl_exec_key_encode_to(uint8_t *o, sl_col *const *keys, int n_keys, int64_t i)
{
    return sl_exec_encode_to_(o, keys, n_keys, i, false);
}

/* The same for a row kept to be output again (held rows, top-N rows, join
 * rows): doubles bit for bit, so -0.0 stays -0.0 and a NaN keeps its bits.
 * sl_exec_key_decode reads either form. */
static inline size_t sl_exec_row_encode_to(uint8_t *o, sl_col *const *cols, int n, int64_t i)
{
    return sl_exec_encode_to_(o, cols, n, i, true);
}

/* Encodes row i of keys[0..n_keys) into kb (reset first).  OOM shows as
 * kb->oom. */
void sl_exec_key_encode(sl_buf *kb, sl_col *const *keys, int n_keys, int64_t i);
/* Appends the values of an encoded key to cols[0..n_keys); -1 on OOM. */
int sl_exec_key_decode(const uint8_t *p, sl_col *const *cols, int n_keys);

#endif
