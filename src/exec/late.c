/* Late rows of stateful operators (late.h). */
#include "exec/late.h"
#include "core/status.h"

sl_status sl_op_late_rows(sl_op *op, int port, const sl_batch *b, const int32_t *sel, int64_t n,
                          sl_exec_ctx *x, sl_error *err)
{
    if (!x->late || n <= 0) return SL_OK;
    sl_batch *rows = sl_batch_gather(b, sel, n);
    if (!rows) return sl_err_oom(err);
    sl_status st = x->late(x->late_ctx, op, port, rows, err);
    sl_batch_unref(rows);
    return st;
}
