/* Logical plans: what a query computes, with its streaming properties.
 *
 * The binder (binder.c) turns a SELECT into a tree of these nodes over
 * sources; the planner's streaming rules (rules.c) check the output mode and
 * stateful operators as Spark's UnsupportedOperationChecker does; exec/
 * builds operators from the tree.  Every node owns its output schema; the
 * per-column `evtime` flag marks event-time columns (those carrying a
 * watermark), which is how watermarks are followed through projections,
 * windows and joins. Nodes live in the query's arena. */
#ifndef SL_PLAN_PLAN_H
#define SL_PLAN_PLAN_H

#include "core/column.h"
#include "core/options.h"
#include "plan/expr.h"
#include "sql/ast.h"

#include <stdbool.h>

struct sl_model;

/* A source or table declared in the script. */
typedef struct sl_source_def {
    const char *name;
    sl_schema *schema;          /* declared columns */
    sl_options opts;
    bool bounded;               /* CREATE TABLE */
    int wm_col;                 /* -1 when no watermark */
    int64_t wm_delay_us;
    int id;                     /* index in the catalog */
} sl_source_def;

typedef enum sl_plan_kind {
    SL_PLAN_SCAN, SL_PLAN_FILTER, SL_PLAN_PROJECT, SL_PLAN_AGG, SL_PLAN_JOIN,
    SL_PLAN_WATERMARK, SL_PLAN_DEDUP, SL_PLAN_OVER
} sl_plan_kind;

/* The window functions of OVER (…) (SL_PLAN_OVER). */
typedef enum sl_over_fn {
    SL_OVER_AVG, SL_OVER_SUM, SL_OVER_COUNT, SL_OVER_MIN, SL_OVER_MAX, SL_OVER_ROW_NUMBER
} sl_over_fn;

typedef struct sl_agg_call {
    const struct sl_agg_def *def;
    sl_expr *arg;                /* NULL for count(*) */
    bool distinct;
    sl_type type;                /* result type */
} sl_agg_call;

typedef enum sl_window_kind { SL_WIN_NONE, SL_WIN_TUMBLE, SL_WIN_SLIDE, SL_WIN_SESSION } sl_window_kind;

typedef struct sl_plan sl_plan;
struct sl_plan {
    sl_plan_kind kind;
    sl_schema *schema;           /* output columns */
    bool *evtime;                /* per output column: carries a watermark */
    bool streaming;              /* unbounded input somewhere below */
    sl_plan *child[2];
    int line, col;               /* where in the SQL, for messages */

    /* SCAN */
    sl_source_def *src;
    /* FILTER */
    sl_expr *pred;
    /* PROJECT */
    int n_exprs;
    sl_expr **exprs;
    /* AGG: output = keys…, [window_start, window_end], aggs… */
    int n_keys;
    sl_expr **keys;
    int n_aggs;
    sl_agg_call *aggs;
    sl_window_kind win;
    sl_expr *win_time;           /* event-time argument of window() */
    int64_t win_size_us, win_slide_us, win_gap_us;
    int win_pos;                 /* output index of window_start (end = +1) */
    bool per_batch;              /* GROUP BY BATCH */
    /* without a window: 1 + the key that is an event-time column, which
     * closes groups as a window's end does (a group keyed on ts is done
     * once the watermark passes ts, Spark's rule); 0 when none */
    int evkey1;
    /* JOIN */
    sl_join_type join_type;
    int n_join_keys;
    sl_expr **lkeys, **rkeys;    /* over the left / right child */
    sl_expr *residual;           /* over left ++ right, NULL when none */
    /* WATERMARK (on a view): event-time column and delay */
    int wm_col;
    int64_t wm_delay_us;
    /* DEDUP (DEDUPLICATE BY keys [WITHIN WATERMARK]): n_keys/keys over the
     * child; dedup_evtime: the child's event-time column (-1: none), and
     * for WITHIN WATERMARK the delay a key is remembered past it */
    /* OVER (window functions, exec/op_over.c): output = the child's
     * columns, then one per function. n_keys/keys: PARTITION BY over the
     * child; order/order_desc: ORDER BY (order[0] the child's event time
     * on a stream); n_aggs/aggs: each function's argument and result type
     * (def unused), over_fn its kind; over_preceding: the ROWS frame's
     * start (-1: UNBOUNDED PRECEDING), which ends at the current row */
    int n_order;
    sl_expr **order;
    bool *order_desc;
    sl_over_fn *over_fn;
    int64_t over_preceding;
    /* On a stream, OVER whose first ORDER BY key is not ascending event
     * time (over_unordered) runs only as a top-N: row_number() functions
     * alone, filtered by `rn <= N` above (the binder sets over_topn = N),
     * keeping N rows per partition and emitting changed ranks in update
     * mode (exec/op_over.c). */
    bool over_unordered;
    int64_t over_topn;
    int dedup_evtime;
    int dedup_key_evtime;        /* the key that is dedup_evtime, or -1 */
    bool dedup_within;
    int64_t dedup_delay_us;
};

/* A bound query: the plan of one SELECT plus the arena it lives in. */
typedef struct sl_catalog sl_catalog;

sl_status sl_bind_select(sl_catalog *cat, const sl_ast_select *sel, sl_arena *arena,
                         sl_plan **out, sl_error *err);
/* Streaming checks for a sink's query in an output mode ("append", …). */
sl_status sl_plan_check_mode(const sl_plan *p, const char *mode, sl_error *err);
/* The output mode Spark would default to. */
const char *sl_plan_default_mode(const sl_plan *p);
/* Appends a readable tree (explain). */
void sl_plan_render(const sl_plan *p, struct sl_buf *out, int indent);
/* ORs into used[] (one entry per declared column of the source whose
 * catalog id is src_id) the columns plan p reads of it, every output
 * column being written (colprune.c); -1 when out of memory. */
int sl_plan_source_columns(const sl_plan *p, int src_id, bool *used);
/* True when the plan has a stateful operator (aggregation, join of streams). */
bool sl_plan_has_agg(const sl_plan *p);

#endif
