/* Late rows: what a stateful operator does with the input rows it drops
 * because they are behind its watermark.  Spark only counts them
 * (numRowsDroppedByWatermark); sluice also hands them to the query's
 * 'late.sink' when one is configured (the driver sets sl_exec_ctx.late,
 * driver/late_sink.c writes them out), so late data is never lost
 * silently. */
#ifndef SL_EXEC_LATE_H
#define SL_EXEC_LATE_H

#include "exec/op.h"

/* Rows sel[0..n) of b, which arrived on `port` of op, are late: passes
 * them (gathered, in input order) to x->late, if set.  The caller counts
 * them in op->state.rows_dropped_late. */
sl_status sl_op_late_rows(sl_op *op, int port, const sl_batch *b, const int32_t *sel, int64_t n,
                          sl_exec_ctx *x, sl_error *err);

#endif
