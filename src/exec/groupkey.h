/* Grouping keys as bytes: how a stateful operator turns the GROUP BY values
 * of one input row into a byte string it can hash, compare and keep, and
 * back into output columns.  Per key a NULL flag byte, then the value:
 * fixed-width types as their bytes (-0.0 folded into 0.0, as Spark
 * normalises), strings as a 4-byte length and the bytes.  Used by the
 * session-window aggregation (op_session.c); op_agg.c has its own copy of
 * the same layout. */
#ifndef SL_EXEC_GROUPKEY_H
#define SL_EXEC_GROUPKEY_H

#include "core/buf.h"
#include "core/column.h"

/* Encodes row i of keys[0..n_keys) into kb (reset first).  OOM shows as
 * kb->oom. */
void sl_exec_key_encode(sl_buf *kb, sl_col *const *keys, int n_keys, int64_t i);
/* Appends the values of an encoded key to cols[0..n_keys); -1 on OOM. */
int sl_exec_key_decode(const uint8_t *p, sl_col *const *cols, int n_keys);

#endif
