/* Checkpointing a stream-stream join's state: op_join_state.c saves and
 * restores the rows each side keeps, through two small accessors that
 * op_join.c provides (so the join's insides stay in one file). */
#ifndef SL_EXEC_OP_JOIN_STATE_H
#define SL_EXEC_OP_JOIN_STATE_H

#include "exec/op.h"
#include "core/buf.h"

/* Visits every kept, live row of both sides (side 0 = left), with whether
 * it has matched (outer joins emit unmatched rows at eviction). */
typedef sl_status (*sl_join_row_fn)(void *ctx, int side, const sl_batch *b, int64_t row,
                                    bool matched, sl_error *err);
sl_status sl_op_join_rows_each(sl_op *op, sl_join_row_fn fn, void *ctx, sl_error *err);
/* Keeps the rows of b (the side's input schema) on `side` as if they had
 * arrived, without probing; matched[i] marks rows that already matched
 * (may be NULL). */
sl_status sl_op_join_rows_add(sl_op *op, int side, sl_batch *b, const bool *matched, sl_error *err);

/* A row's values as the records store them (per column a NULL flag, then
 * the value: fixed width, or a 4-byte length and a string's bytes), and
 * back: appends the row at p..end to the builder b, -1 when the bytes do
 * not fit b's schema. */
void sl_join_row_encode(sl_buf *k, const sl_batch *b, int64_t r);
int sl_join_row_decode(sl_batch *b, const uint8_t *p, const uint8_t *end);

/* 'state.backend' = 'rocksdb': the kept rows live in the store of st
 * (op_join.c, "RocksDB as the working state"). */
sl_status sl_op_join_attach(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes,
                            sl_error *err);

/* The save of a join whose rows live in RocksDB (op_join_work.c): before
 * a snapshot, the rows kept in memory move into the store. */
sl_status sl_op_join_work_save(sl_op *op, struct sl_opstate *out, sl_error *err);

/* The join's checkpoint callbacks (set by sl_op_join_new on stream-stream
 * joins).  Its load is not used: the driver restores a join with
 * sl_op_join_restore, which rebuilds the kept rows in whole batches. */
extern const sl_op_ckpt_ops sl_op_join_ckpt;
struct sl_opstate;
sl_status sl_op_join_restore(sl_op *op, struct sl_opstate *in, int64_t version, sl_error *err);

#endif
