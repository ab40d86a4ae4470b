/* Grouping keys as bytes (groupkey.h): the encoding stateful operators
 * hash and keep per group. */
#include "exec/groupkey.h"

#include <string.h>

void sl_exec_key_encode(sl_buf *kb, sl_col *const *keys, int n_keys, int64_t i)
{
    sl_buf_reset(kb);
    for (int k = 0; k < n_keys; k++) {
        const sl_col *c = keys[k];
        if (sl_col_is_null(c, i)) { sl_buf_putc(kb, 0); continue; }
        sl_buf_putc(kb, 1);
        switch (c->type) {
        case SL_TYPE_BOOLEAN: sl_buf_putc(kb, (char)sl_col_bool(c, i)); break;
        case SL_TYPE_INT: case SL_TYPE_DATE: sl_buf_append(kb, &sl_col_i32(c)[i], 4); break;
        case SL_TYPE_DOUBLE: {
            double d = sl_col_f64(c)[i];
            if (d == 0) d = 0;
            sl_buf_append(kb, &d, 8);
            break;
        }
        case SL_TYPE_STRING: {
            size_t n;
            const char *s = sl_col_str(c, i, &n);
            uint32_t len = (uint32_t)n;
            sl_buf_append(kb, &len, 4);
            sl_buf_append(kb, s, n);
            break;
        }
        default: sl_buf_append(kb, &sl_col_i64(c)[i], 8); break;
        }
    }
}

int sl_exec_key_decode(const uint8_t *p, sl_col *const *cols, int n_keys)
{
    for (int k = 0; k < n_keys; k++) {
        sl_col *c = cols[k];
        if (!*p++) { if (sl_col_append_null(c)) return -1; continue; }
        int r = 0;
        switch (c->type) {
        case SL_TYPE_BOOLEAN: r = sl_col_append_bool(c, *p != 0); p += 1; break;
        case SL_TYPE_INT: case SL_TYPE_DATE: { int32_t v; memcpy(&v, p, 4); p += 4; r = sl_col_append_i32(c, v); break; }
        case SL_TYPE_DOUBLE: { double v; memcpy(&v, p, 8); p += 8; r = sl_col_append_f64(c, v); break; }
        case SL_TYPE_STRING: {
            uint32_t len;
            memcpy(&len, p, 4);
            p += 4;
            r = sl_col_append_str(c, (const char *)p, len);
            p += len;
            break;
        }
        default: { int64_t v; memcpy(&v, p, 8); p += 8; r = sl_col_append_i64(c, v); break; }
        }
        if (r) return -1;
    }
    return 0;
}
