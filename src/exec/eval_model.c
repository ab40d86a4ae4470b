/* Model scoring inside expressions: the evaluator's side of predict() and
 * predict_proba() (SL_EX_MODEL nodes, bound by plan/bind_model.c).  The
 * model's input expressions are evaluated over the whole batch and handed
 * to sl_model_score in one call, so a batch is scored a column block at a
 * time inside src/model/ rather than row by row here.  The model itself is
 * the catalog's, immutable while the engine lives, so nothing is kept per
 * expression.  predict and predict_proba of the same model in one SELECT
 * each score the batch (one sl_model_score call each): sharing the call
 * would need a per-batch cache keyed by model and inputs, not worth it
 * until a query shows the cost. */
#include "plan/expr.h"
#include "model/model.h"
#include "core/mem.h"
#include "core/status.h"

sl_status sl_expr_eval_model(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx,
                             sl_col **out, sl_error *err)
{
    const sl_model *m = e->fn_state;
    int64_t n = b->n_rows;
    *out = NULL;
    if (n == 0) {
        *out = sl_col_new_sized(SL_TYPE_DOUBLE, 0, 0);
        return *out ? SL_OK : sl_err_oom(err);
    }
    /* Wide models (hundreds of XGBoost features) do not fit a stack array. */
    sl_col **cols = sl_calloc((size_t)(e->n_args ? e->n_args : 1), sizeof *cols);
    if (!cols) return sl_err_oom(err);
    sl_status st = SL_OK;
    int k;
    for (k = 0; k < e->n_args; k++)
        if ((st = sl_expr_eval(e->args[k], b, ctx, &cols[k], err))) break;
    if (!st) {
        if (e->op) st = sl_model_score(m, cols, n, NULL, out, err);
        else st = sl_model_score(m, cols, n, out, NULL, err);
        if (st && st != SL_ERR_NOMEM)
            sl_err_prefix(err, "%s(%s)", e->op ? "predict_proba" : "predict", e->lit_str);
    }
    for (int i = 0; i < k; i++) sl_col_unref(cols[i]);
    sl_free(cols);
    return st;
}
