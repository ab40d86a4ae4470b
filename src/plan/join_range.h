/* What a join's condition says about event time, for state eviction
 * (join_range.c): which joins can run, and when the join operator
 * (exec/op_join.c) may forget a kept row. */
#ifndef SL_PLAN_JOIN_RANGE_H
#define SL_PLAN_JOIN_RANGE_H

#include "plan/plan.h"

#define SL_JOIN_MAX_BOUNDS 8

/* A kept row of a side can never match again once
 *     min over bounds of (row[col] + off)  <  the join's input watermark. */
typedef struct sl_join_bound {
    int col;            /* column of the side's own schema */
    int64_t off;
} sl_join_bound;

typedef struct sl_join_side_range {
    int n_bounds;
    sl_join_bound bounds[SL_JOIN_MAX_BOUNDS];
    /* An event-time column of the side (-1: none): rows with
     * row[late_col] < watermark + late_lag are late. */
    int late_col;
    int64_t late_lag;
} sl_join_side_range;

/* Analyses join plan p (its residual condition and its children's event
 * time). */
void sl_join_range_analyse(const sl_plan *p, sl_join_side_range out[2]);

/* True when column `col` of plan p carries event time: every row p emits
 * from now on has col >= (p's input watermark) + *lag, or is late. */
bool sl_plan_col_evtime(const sl_plan *p, int col, int64_t *lag);

/* True when output column `col` of stream-stream join p (a TIMESTAMP column
 * the condition relates to both sides' event time, such as an auction's
 * `expires` in  B.dateTime BETWEEN A.dateTime AND A.expires) is bounded
 * from below by event time: every row p emits from now on has
 * col >= (p's input watermark) + *lag. The condition's range conjuncts and
 * timestamp equality keys are chained (x <= y + a, y <= z + b give
 * x <= z + a + b) from each side's event-time column to `col`; a row comes
 * out when its later side arrives, and that side's row was not late. */
bool sl_join_col_bounded(const sl_plan *p, int col, int64_t *lag);

/* Refuses, with Spark's reason, the joins that cannot run as streams: an
 * outer or semi join whose preserved side's rows could never expire, anti
 * joins, and outer joins that preserve a static side against a stream. */
sl_status sl_plan_check_join(const sl_plan *p, sl_error *err);

#endif
