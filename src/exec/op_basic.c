/* The stateless operators — scan, watermark, filter, projection, the root
 * that delivers to a sink — and the builder that turns a plan into an
 * operator tree. */
#include "exec/op.h"
#include "exec/op_over.h"
#include "core/mem.h"
#include "core/status.h"

#include <string.h>

sl_status sl_op_emit(sl_op *op, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    if (!op->parent || b->n_rows == 0) return SL_OK;
    return op->parent->ops->push(op->parent, op->port, b, x, err);
}

sl_status sl_op_finish(sl_op *op, sl_exec_ctx *x, sl_error *err)
{
    if (++op->n_finished < op->n_inputs) return SL_OK;
    op->n_finished = 0;
    sl_status st = op->ops->finish ? op->ops->finish(op, x, err) : SL_OK;
    /* Checked after the operator evicted what the watermark allows, so the
     * limit bounds the state a batch leaves behind: failing cleanly here
     * beats being killed for memory later. */
    if (!st && op->stateful && x->state_max_bytes > 0 && op->state.mem_bytes > x->state_max_bytes)
        return sl_err(err, SL_ERR_STATE,
                      "the state of stateful operator %s is %lld bytes after batch %lld, over the "
                      "limit 'state.maxBytes' = %lld",
                      op->ops->name, (long long)op->state.mem_bytes, (long long)x->ev.batch_id,
                      (long long)x->state_max_bytes);
    if (st || !op->parent) return st;
    return sl_op_finish(op->parent, x, err);
}

/* ---- scan and watermark: pass through, tracking max event time --------- */

typedef struct evtime_op {
    sl_op base;
    int wm_col;           /* -1: no tracking */
} evtime_op;

static sl_status evtime_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    evtime_op *e = (evtime_op *)op;
    if (e->wm_col >= 0) {
        const sl_col *c = b->cols[e->wm_col];
        const int64_t *v = sl_col_i64(c);
        int64_t m = op->evtime_max;
        for (int64_t i = 0; i < b->n_rows; i++)
            if (!sl_col_is_null(c, i) && v[i] > m) m = v[i];
        op->evtime_max = m;
    }
    return sl_op_emit(op, b, x, err);
}

static void plain_free(sl_op *op) { sl_free(op); }

static const sl_op_ops evtime_ops = {"scan", evtime_push, NULL, plain_free};

/* ---- filter ------------------------------------------------------------ */

static sl_status filter_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    int32_t *sel = sl_malloc(sizeof *sel * (size_t)(b->n_rows ? b->n_rows : 1));
    if (!sel) return sl_err_oom(err);
    int64_t n;
    sl_status st = sl_expr_select(op->plan->pred, b, &x->ev, sel, &n, err);
    if (!st) {
        if (n == b->n_rows) {
            st = sl_op_emit(op, b, x, err);
        } else if (n > 0) {
            sl_batch *out = sl_batch_gather(b, sel, n);
            st = out ? sl_op_emit(op, out, x, err) : sl_err_oom(err);
            sl_batch_unref(out);
        }
    }
    sl_free(sel);
    return st;
}

static const sl_op_ops filter_ops = {"filter", filter_push, NULL, plain_free};

/* ---- projection ---------------------------------------------------------- */

static sl_status project_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    const sl_plan *p = op->plan;
    sl_batch *out = sl_batch_new(p->n_exprs);
    if (!out) return sl_err_oom(err);
    out->n_rows = b->n_rows;
    sl_status st = SL_OK;
    for (int i = 0; i < p->n_exprs && !st; i++)
        st = sl_expr_eval(p->exprs[i], b, &x->ev, &out->cols[i], err);
    if (!st) st = sl_op_emit(op, out, x, err);
    sl_batch_unref(out);
    return st;
}

static const sl_op_ops project_ops = {"project", project_push, NULL, plain_free};

/* ---- root -------------------------------------------------------------- */

typedef struct root_op {
    sl_op base;
    sl_deliver_fn deliver;
    void *ctx;
} root_op;

static sl_status root_push(sl_op *op, int port, sl_batch *b, sl_exec_ctx *x, sl_error *err)
{
    root_op *r = (root_op *)op;
    return r->deliver(r->ctx, b, err);
}

static const sl_op_ops root_ops = {"sink", root_push, NULL, plain_free};

/* ---- builder ----------------------------------------------------------- */

typedef struct builder {
    sl_op_tree *t;
    size_t scans_cap, stateful_cap, wm_cap;
} builder;

static sl_op *op_alloc(size_t size, const sl_op_ops *ops, const sl_plan *p)
{
    sl_op *op = sl_calloc(1, size);
    if (!op) return NULL;
    op->ops = ops;
    op->plan = p;
    op->n_inputs = 1;
    op->evtime_max = SL_NO_WATERMARK;
    return op;
}

static int list_push(sl_op ***arr, int *n, size_t *cap, sl_op *op)
{
    if (sl_grow((void **)arr, cap, (size_t)*n + 1, sizeof **arr)) return -1;
    (*arr)[(*n)++] = op;
    return 0;
}

static sl_status build(builder *bd, const sl_plan *p, sl_op *parent, int port, sl_error *err)
{
    sl_op *op = NULL;
    sl_status st = SL_OK;
    switch (p->kind) {
    case SL_PLAN_SCAN:
    case SL_PLAN_WATERMARK:
        op = op_alloc(sizeof(evtime_op), &evtime_ops, p);
        if (!op) return sl_err_oom(err);
        ((evtime_op *)op)->wm_col = p->kind == SL_PLAN_SCAN ? p->src->wm_col : p->wm_col;
        op->n_inputs = p->kind == SL_PLAN_SCAN ? 1 : 1;
        break;
    case SL_PLAN_FILTER:
        op = op_alloc(sizeof(sl_op), &filter_ops, p);
        break;
    case SL_PLAN_PROJECT:
        op = op_alloc(sizeof(sl_op), &project_ops, p);
        break;
    case SL_PLAN_AGG:
        if ((st = sl_op_agg_new(p, &op, err))) return st;
        break;
    case SL_PLAN_JOIN:
        if ((st = sl_op_join_new(p, &op, err))) return st;
        break;
    case SL_PLAN_DEDUP:
        if ((st = sl_op_dedup_new(p, &op, err))) return st;
        break;
    case SL_PLAN_OVER:
        if ((st = sl_op_over_new(p, &op, err))) return st;
        break;
    }
    if (!op) return sl_err_oom(err);
    op->parent = parent;
    op->port = port;
    parent->child[port] = op;
    op->wm_in = op->wm_prev_in = op->wm_late[0] = op->wm_late[1] = SL_NO_WATERMARK;
    /* Link first so a failure below frees this op with the tree. */
    int fail = 0;
    if (p->kind == SL_PLAN_SCAN) fail = list_push(&bd->t->scans, &bd->t->n_scans, &bd->scans_cap, op);
    if (!fail && op->stateful) fail = list_push(&bd->t->stateful, &bd->t->n_stateful, &bd->stateful_cap, op);
    if (!fail && ((p->kind == SL_PLAN_SCAN && p->src->wm_col >= 0) || p->kind == SL_PLAN_WATERMARK))
        fail = list_push(&bd->t->wm, &bd->t->n_wm, &bd->wm_cap, op);
    if (fail) return sl_err_oom(err); /* linked above: freed with the tree */
    for (int i = 0; i < 2 && !st; i++)
        if (p->child[i]) st = build(bd, p->child[i], op, i, err);
    return st;
}

sl_status sl_op_tree_build(const sl_plan *plan, sl_deliver_fn deliver, void *deliver_ctx,
                           sl_op_tree *out, sl_error *err)
{
    memset(out, 0, sizeof *out);
    root_op *r = (root_op *)op_alloc(sizeof(root_op), &root_ops, plan);
    if (!r) return sl_err_oom(err);
    r->deliver = deliver;
    r->ctx = deliver_ctx;
    out->root = &r->base;
    builder bd = {.t = out};
    sl_status st = build(&bd, plan, out->root, 0, err);
    if (st) sl_op_tree_fini(out);
    return st;
}

/* Every operator hangs from exactly one parent's child slot, so a walk down
 * from the root frees each once, including operators a failed build left
 * without a scan below them. */
static void free_subtree(sl_op *op)
{
    if (!op) return;
    for (int i = 0; i < 2; i++) free_subtree(op->child[i]);
    op->ops->free(op);
}

void sl_op_tree_fini(sl_op_tree *t)
{
    free_subtree(t->root);
    sl_free(t->scans);
    sl_free(t->stateful);
    sl_free(t->wm);
    memset(t, 0, sizeof *t);
}

void sl_op_tree_begin_batch(sl_op_tree *t)
{
    for (int i = 0; i < t->n_stateful; i++) {
        t->stateful[i]->state.rows_updated = 0;
        t->stateful[i]->state.rows_removed = 0;
        t->stateful[i]->state.rows_dropped_late = 0;
    }
}
