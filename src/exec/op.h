/* Physical operators: push-based, one micro-batch at a time.
 *
 * The driver pushes each source's batches into the scan operators of every
 * query reading that source; an operator transforms a batch and pushes the
 * result to its parent.  When a micro-batch's input is exhausted the driver
 * calls sl_op_finish on the scans; an operator finishes once all its inputs
 * have, which is when stateful operators emit (aggregates by output mode,
 * joins their outer rows) and evict state behind the watermark.
 *
 * Operators never block and never look at the clock: time comes in through
 * sl_exec_ctx (batch timestamp, watermark), which is what makes streaming
 * scenarios testable without sleeping. */
#ifndef SL_EXEC_OP_H
#define SL_EXEC_OP_H

#include "plan/plan.h"

#define SL_NO_WATERMARK INT64_MIN
#define SL_NO_LAG INT64_MAX

typedef enum sl_out_mode { SL_OUT_APPEND, SL_OUT_UPDATE, SL_OUT_COMPLETE } sl_out_mode;

struct sl_op;
/* Receives input rows a stateful operator dropped as late ('late.sink',
 * exec/late.h); `rows` is borrowed for the call. */
typedef sl_status (*sl_late_fn)(void *ctx, struct sl_op *op, int port, sl_batch *rows, sl_error *err);

typedef struct sl_exec_ctx {
    sl_eval_ctx ev;             /* batch id, batch timestamp */
    int64_t watermark_us;       /* the query's watermark for this batch */
    sl_out_mode mode;
    sl_late_fn late;            /* NULL: late rows are only counted */
    void *late_ctx;
    /* 'state.maxBytes': a stateful operator whose state (state.mem_bytes)
     * is larger once it finished a batch fails the query; 0: no limit. */
    int64_t state_max_bytes;
} sl_exec_ctx;

/* Counters of a stateful operator, as Spark's stateOperators progress. */
typedef struct sl_op_state_stats {
    int64_t rows_total, rows_updated, rows_removed, rows_dropped_late;
    int64_t mem_bytes;
} sl_op_state_stats;

typedef struct sl_op sl_op;
struct sl_opstate;
typedef struct sl_op_ops {
    const char *name;
    sl_status (*push)(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err);
    sl_status (*finish)(sl_op *op, sl_exec_ctx *x, sl_error *err);
    void (*free)(sl_op *op);
} sl_op_ops;

/* Checkpoints (set in sl_op.ckpt by stateful operators that support them):
 * save writes the operator's whole state between batches as key/value
 * records with sl_opstate_put (state/opstate.h); load gives one such record
 * back to a freshly built operator before the first batch of a restart. */
typedef struct sl_op_ckpt_ops {
    sl_status (*save)(sl_op *op, struct sl_opstate *out, sl_error *err);
    sl_status (*load)(sl_op *op, const void *key, size_t key_len, const void *val,
                      size_t val_len, sl_error *err);
    /* Optional: keeps the operator's working state in the RocksDB store of
     * `st` instead of memory, with a cache of about cache_bytes: restores
     * the store to `version` (sl_opstate_restore_working) and uses it from
     * then on (sl_opstate_work).  Called, instead of any load, when the
     * state backend is RocksDB. */
    sl_status (*attach)(sl_op *op, struct sl_opstate *st, int64_t version, int64_t cache_bytes,
                        sl_error *err);
} sl_op_ckpt_ops;

struct sl_op {
    const sl_op_ops *ops;
    const sl_op_ckpt_ops *ckpt;  /* NULL: the state cannot be checkpointed */
    const sl_plan *plan;
    sl_op *parent;
    int port;                    /* which input of the parent this is */
    int n_inputs, n_finished;
    bool stateful;
    sl_op_state_stats state;
    sl_op *child[2];             /* inputs, NULL for a scan */
    /* Watermarks of a stateful operator for the running batch, set by
     * sl_op_tree_set_watermark: wm_in evicts state and closes windows;
     * wm_late[port] drops late input rows on that port. out_lag is how far
     * the watermark of the operator's output lags wm_in (0 for an
     * aggregation; a join's range condition may add to it; SL_NO_LAG when
     * its output has no watermark). */
    int64_t wm_in, wm_late[2], wm_prev_in;
    int64_t out_lag;
    /* Event time seen in this batch on the output's event-time column, for
     * the watermark (max) and progress (min/max). */
    int64_t evtime_max;
};

/* Hands a batch to op's parent. */
sl_status sl_op_emit(sl_op *op, sl_batch *b, sl_exec_ctx *x, sl_error *err);
/* Tells op that one of its inputs is done with this micro-batch. */
sl_status sl_op_finish(sl_op *op, sl_exec_ctx *x, sl_error *err);
void sl_op_free_tree(sl_op *op);

/* A query's operator tree, built from a plan. The root pushes into
 * `deliver` (the driver's sink writer). Scans are listed so the driver can
 * feed them; stateful operators so it can report and checkpoint them. */
typedef sl_status (*sl_deliver_fn)(void *ctx, sl_batch *b, sl_error *err);

typedef struct sl_op_tree {
    sl_op *root;
    int n_scans, n_stateful;
    sl_op **scans;               /* each with plan->kind == SL_PLAN_SCAN */
    sl_op **stateful;
    /* Watermark operators (sources or views with WATERMARK): the driver
     * reads their evtime_max after each batch. */
    int n_wm;
    sl_op **wm;
} sl_op_tree;

sl_status sl_op_tree_build(const sl_plan *plan, sl_deliver_fn deliver, void *deliver_ctx,
                           sl_op_tree *out, sl_error *err);
void sl_op_tree_fini(sl_op_tree *t);
/* Resets per-batch counters before a micro-batch. */
void sl_op_tree_begin_batch(sl_op_tree *t);
/* Propagates the query's (global) watermark of the batch about to run to
 * every stateful operator, Spark 3.4+ style: an operator's input watermark
 * is the minimum of its inputs' output watermarks; an aggregation's output
 * watermark is its input's, a join's lags by its range condition. Late rows
 * entering an operator fed by another stateful operator are judged by the
 * previous batch's watermark (the upstream operator emits rows that the
 * current one has just closed). See docs/SEMANTICS.md. */
void sl_op_tree_set_watermark(sl_op_tree *t, int64_t wm);

/* Constructors (one file each). */
sl_status sl_op_agg_new(const sl_plan *p, sl_op **out, sl_error *err);
sl_status sl_op_join_new(const sl_plan *p, sl_op **out, sl_error *err);
sl_status sl_op_dedup_new(const sl_plan *p, sl_op **out, sl_error *err);

#endif
