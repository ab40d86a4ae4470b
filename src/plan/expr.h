/* Bound expressions: typed trees over the columns of one input schema, as
 * the binder makes them from the AST and the evaluator (exec/eval.c) runs
 * them a column at a time.  Nodes live in the query's arena. */
#ifndef SL_PLAN_EXPR_H
#define SL_PLAN_EXPR_H

#include "core/column.h"
#include "exec/func.h"

#include <stdbool.h>

typedef enum sl_expr_kind {
    SL_EX_COL,      /* col: index in the input batch */
    SL_EX_LIT,      /* lit_* by type; lit_null */
    SL_EX_FUNC,     /* fn(args) */
    SL_EX_CAST,     /* args[0] cast to type */
    SL_EX_ARITH,    /* op SL_OP_ADD…MOD; args[0], args[1] of type `type` */
    SL_EX_NEG,
    SL_EX_CMP,      /* op SL_OP_EQ…NULLSAFE_EQ; args of one type */
    SL_EX_AND, SL_EX_OR, SL_EX_NOT,
    SL_EX_IS_NULL,  /* negated: IS NOT NULL */
    SL_EX_CASE,     /* args: when0, then0, when1, then1, …, [else] (has_else) */
    SL_EX_IN,       /* args[0] IN (args[1..]); negated */
    SL_EX_WINDOW,   /* a window bound computed by the aggregate (not evaluated) */
    SL_EX_MODEL     /* predict()/predict_proba() (plan/bind_model.c): args are the
                     * model's inputs in order; fn_state the sl_model (borrowed
                     * from the catalog), lit_str its name, op 1 for
                     * predict_proba; evaluated by exec/eval_model.c */
} sl_expr_kind;

typedef struct sl_expr sl_expr;
struct sl_expr {
    sl_expr_kind kind;
    sl_type type;
    int op;
    int col;
    bool lit_null;
    bool lit_bool;
    int64_t lit_i64;     /* INT, BIGINT, TIMESTAMP, DATE */
    double lit_f64;
    const char *lit_str;
    size_t lit_len;
    const sl_func_def *fn;
    void *fn_state;      /* per-expression kernel state (compiled regex) */
    bool negated, has_else;
    int n_args;
    sl_expr **args;
};

/* Evaluates e over b; *out is a new reference the caller unrefs. */
sl_status sl_expr_eval(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx,
                       sl_col **out, sl_error *err);
/* Evaluates a BOOLEAN predicate into a selection vector of the rows where it
 * is TRUE (NULL counts as false). sel must hold b->n_rows entries. */
sl_status sl_expr_select(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx,
                         int32_t *sel, int64_t *out_n, sl_error *err);
/* Scores an SL_EX_MODEL node over b, one sl_model_score call per batch
 * (exec/eval_model.c); *out is a new DOUBLE column. */
sl_status sl_expr_eval_model(sl_expr *e, sl_batch *b, const sl_eval_ctx *ctx,
                             sl_col **out, sl_error *err);
/* Frees kernel state held in the tree (the nodes are arena memory). */
void sl_expr_release(sl_expr *e);
/* Appends a readable rendering of e (for explain) with input names. */
struct sl_buf;
void sl_expr_render(const sl_expr *e, const sl_schema *in, struct sl_buf *out);
/* True when e is a constant (literals and deterministic functions of them). */
bool sl_expr_is_const(const sl_expr *e);

#endif
