/* Which declared columns of a source a query reads (plan.h,
 * sl_plan_source_columns): the sink writes every output column, and each
 * node asks its inputs for what it needs to make the columns asked of it.
 * A source told so (sl_source.used) may skip the others — the Nexmark
 * generator then makes no `extra` padding for q2, q3, q5 … (Spark's column
 * pruning into a scan, which its file sources do). */
#include "plan/plan.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>

static void mark(const sl_expr *e, bool *need, int n)
{
    if (!e) return;
    if (e->kind == SL_EX_COL && e->col >= 0 && e->col < n) need[e->col] = true;
    for (int i = 0; i < e->n_args; i++) mark(e->args[i], need, n);
}

static int req(const sl_plan *p, const bool *need, int src_id, bool *used)
{
    if (p->kind == SL_PLAN_SCAN) {
        if (p->src->id != src_id) return 0;
        for (int c = 0; c < p->schema->n; c++) used[c] |= need[c];
        if (p->src->wm_col >= 0) used[p->src->wm_col] = true; /* the watermark reads it */
        return 0;
    }
    int n0 = p->child[0] ? p->child[0]->schema->n : 0;
    int n1 = p->child[1] ? p->child[1]->schema->n : 0;
    bool *in = sl_calloc((size_t)(n0 + n1 + 1), sizeof *in);
    if (!in) return -1;
    int nout = p->schema->n;
    switch (p->kind) {
    case SL_PLAN_WATERMARK:
    case SL_PLAN_FILTER:
    case SL_PLAN_DEDUP:
        for (int c = 0; c < nout && c < n0; c++) in[c] = need[c];
        if (p->kind == SL_PLAN_WATERMARK && p->wm_col >= 0) in[p->wm_col] = true;
        if (p->kind == SL_PLAN_FILTER) mark(p->pred, in, n0);
        if (p->kind == SL_PLAN_DEDUP) {
            for (int k = 0; k < p->n_keys; k++) mark(p->keys[k], in, n0);
            if (p->dedup_evtime >= 0) in[p->dedup_evtime] = true;
        }
        break;
    case SL_PLAN_PROJECT:
        for (int c = 0; c < p->n_exprs; c++)
            if (need[c]) mark(p->exprs[c], in, n0);
        break;
    case SL_PLAN_AGG:
        for (int k = 0; k < p->n_keys; k++) mark(p->keys[k], in, n0);
        for (int k = 0; k < p->n_aggs; k++) mark(p->aggs[k].arg, in, n0);
        mark(p->win_time, in, n0);
        break;
    case SL_PLAN_OVER:
        for (int c = 0; c < n0 && c < nout; c++) in[c] = need[c];
        for (int k = 0; k < p->n_keys; k++) mark(p->keys[k], in, n0);
        for (int k = 0; k < p->n_order; k++) mark(p->order[k], in, n0);
        for (int k = 0; k < p->n_aggs; k++) mark(p->aggs[k].arg, in, n0);
        break;
    case SL_PLAN_JOIN:
        /* output = left ++ right (left only for semi and anti joins) */
        for (int c = 0; c < nout && c < n0 + n1; c++) in[c] = need[c];
        for (int k = 0; k < p->n_join_keys; k++) {
            mark(p->lkeys[k], in, n0);
            mark(p->rkeys[k], in + n0, n1);
        }
        mark(p->residual, in, n0 + n1);
        break;
    case SL_PLAN_SCAN:
        break;
    }
    int rc = 0;
    if (p->child[0]) rc = req(p->child[0], in, src_id, used);
    if (!rc && p->child[1]) rc = req(p->child[1], in + n0, src_id, used);
    sl_free(in);
    return rc;
}

int sl_plan_source_columns(const sl_plan *p, int src_id, bool *used)
{
    int n = p->schema->n;
    bool *all = sl_malloc(sizeof *all * (size_t)(n ? n : 1));
    if (!all) return -1;
    for (int c = 0; c < n; c++) all[c] = true;
    int rc = req(p, all, src_id, used);
    sl_free(all);
    return rc;
}
