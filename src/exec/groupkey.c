/* Grouping keys as bytes (groupkey.h): the encoding stateful operators
 * hash and keep per group. */
#include "exec/groupkey.h"

#include <string.h>

void sl_exec_key_encode(sl_buf *kb, sl_col *const *keys, int n_keys, int64_t i)
{
    sl_buf_reset(kb);
    size_t bound = sl_exec_key_bound(keys, n_keys, i);
    if (sl_buf_reserve(kb, bound + 1)) return;
    kb->len = sl_exec_key_encode_to((uint8_t *)kb->data, keys, n_keys, i);
    kb->data[kb->len] = 0;
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
