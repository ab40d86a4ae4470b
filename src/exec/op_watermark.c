/* Watermark propagation through a query's operators (op.h,
 * sl_op_tree_set_watermark).
 *
 * The driver computes one watermark per query and batch from its sources'
 * event times (the "global" watermark of Spark).  Every operator that
 * declares event time — a scan of a source with WATERMARK, a view with
 * one — outputs that watermark; stateless operators pass their input's on;
 * a stateful operator takes the minimum over its inputs as its own input
 * watermark and outputs it minus its out_lag.  So in aggregation → join →
 * aggregation each operator evicts as soon as what reaches it allows, and
 * no further. */
#include "exec/op.h"

static bool has_stateful_below(const sl_op *op)
{
    for (int i = 0; i < 2; i++) {
        const sl_op *c = op->child[i];
        if (c && (c->stateful || has_stateful_below(c))) return true;
    }
    return false;
}

/* Returns op's output watermark (SL_NO_WATERMARK: none). */
static int64_t propagate(sl_op *op, int64_t wm)
{
    if (!op->child[0] && !op->child[1]) {
        bool declares = op->plan->kind == SL_PLAN_SCAN && op->plan->src->wm_col >= 0;
        return declares ? wm : SL_NO_WATERMARK;
    }
    int64_t in[2] = {SL_NO_WATERMARK, SL_NO_WATERMARK}, w = SL_NO_WATERMARK;
    for (int i = 0; i < 2; i++) {
        if (!op->child[i]) continue;
        in[i] = propagate(op->child[i], wm);
        if (in[i] != SL_NO_WATERMARK && (w == SL_NO_WATERMARK || in[i] < w)) w = in[i];
    }
    if (op->plan->kind == SL_PLAN_WATERMARK) w = wm;
    if (!op->stateful) return w;
    op->wm_prev_in = op->wm_in;
    op->wm_in = w;
    for (int i = 0; i < 2; i++) {
        /* rows from a stateful input were emitted under this batch's
         * watermark: judge them by the one before */
        bool from_state = op->child[i] && (op->child[i]->stateful || has_stateful_below(op->child[i]));
        op->wm_late[i] = from_state ? op->wm_prev_in : w;
    }
    if (w == SL_NO_WATERMARK || op->out_lag == SL_NO_LAG) return SL_NO_WATERMARK;
    return w - op->out_lag;
}

void sl_op_tree_set_watermark(sl_op_tree *t, int64_t wm)
{
    if (t->root && t->root->child[0]) propagate(t->root->child[0], wm);
}
