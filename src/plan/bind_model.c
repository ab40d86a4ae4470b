/* Binding predict(model, …) and predict_proba(model, …) (see bind_model.h):
 * the model comes from the catalog (CREATE MODEL loaded it at plan time),
 * its inputs are matched to the query's columns by name or taken from the
 * argument list in order, and each is checked against what the model can
 * take (sl_model_input_accepts) so that every mismatch is a plan error
 * naming the model, the feature and what the query has — before any data
 * is read.  The result is an SL_EX_MODEL node that exec/eval_model.c
 * scores a batch at a time. */
#include "plan/bind_model.h"
#include "model/model.h"
#include "core/status.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define OOM_IF(p) do { if (!(p)) return sl_err_oom(sl_bind_err); } while (0)

bool sl_bind_is_model_call(const char *name)
{
    return !strcasecmp(name, "predict") || !strcasecmp(name, "predict_proba");
}

static const char *type_word(sl_type t)
{
    return t == SL_TYPE_STRING ? "STRING (category)" : "DOUBLE";
}

/* "a, b, c, …" of the model's inputs, at most ~300 bytes, into buf. */
static void input_list(const sl_model *m, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = 0;
    int n = sl_model_num_inputs(m);
    for (int i = 0; i < n && len + 8 < cap; i++) {
        if (len > 300) { snprintf(buf + len, cap - len, ", … (%d in all)", n); return; }
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", sl_model_input_get(m, i)->name);
    }
}

/* The "(columns: …)" tail of the binder's unknown-column message, so a
 * missing feature names what the query does have. */
static const char *columns_tail(const char *msg, char *buf, size_t cap)
{
    const char *p = strstr(msg, "(columns: ");
    buf[0] = 0;
    if (!p) return buf;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n >= cap) n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

/* Binds input i of the model as the query column of the same name (the
 * `*` form).  The binder's own message for an unknown column is replaced by
 * one about the model; an ambiguous name keeps the binder's message. */
static sl_status bind_by_name(sl_catalog *cat, sl_arena *arena, const sl_ast_expr *fn_ast,
                              const sl_ast_expr *star, const char *model_name, const sl_model *m,
                              int i, sl_bind_arg_fn bind, void *binder, const void *scope,
                              sl_expr **out)
{
    const sl_model_input *in = sl_model_input_get(m, i);
    sl_ast_expr *col = sl_arena_alloc(arena, sizeof *col);
    OOM_IF(col);
    col->kind = SL_AST_COLUMN;
    col->line = star->line;
    col->col = star->col;
    col->qual = star->qual;
    col->name = in->name;
    col->text = in->name;
    sl_error *saved = sl_bind_err, scratch = {0};
    sl_bind_err = &scratch;
    sl_status st = bind(binder, scope, col, out);
    sl_bind_err = saved;
    if (!st) return SL_OK;
    if (st != SL_ERR_BIND || strstr(scratch.msg, "ambiguous")) {
        /* not about a missing name: pass the binder's message on */
        if (saved) *saved = scratch;
        return st;
    }
    char cols[700];
    return sl_bind_error(cat, SL_ERR_BIND, fn_ast->line, fn_ast->col,
                         "%s(%s, %s%s*): model %s needs a column named \"%s\" (feature %d of %d, %s), "
                         "which the query does not have %s",
                         fn_ast->name, model_name, star->qual ? star->qual : "", star->qual ? "." : "",
                         model_name, in->name, i + 1, sl_model_num_inputs(m), type_word(in->type),
                         columns_tail(scratch.msg, cols, sizeof cols));
}

sl_status sl_bind_predict(sl_catalog *cat, sl_arena *arena, const sl_ast_expr *ast,
                          sl_bind_arg_fn bind, void *binder, const void *scope, sl_expr **out)
{
    bool proba = !strcasecmp(ast->name, "predict_proba");
    const char *fname = proba ? "predict_proba" : "predict";
    if (ast->star_arg || ast->n_args < 1 || ast->args[0]->kind != SL_AST_COLUMN || ast->args[0]->qual)
        return sl_bind_error(cat, SL_ERR_BIND, ast->line, ast->col,
                             "%s() takes a model's name first: %s(model, *) or %s(model, column, …)", fname,
                             fname, fname);
    const sl_ast_expr *name_ast = ast->args[0];
    const sl_model_def *def = sl_catalog_model(cat, name_ast->name);
    if (!def) {
        char known[400] = "";
        size_t len = 0;
        for (int i = 0; i < cat->n_models && len < 300; i++)
            len += (size_t)snprintf(known + len, sizeof known - len, "%s%s", i ? ", " : "", cat->models[i]->name);
        return sl_bind_error(cat, SL_ERR_BIND, name_ast->line, name_ast->col,
                             "unknown model %s in %s() (%s%s)", name_ast->name, fname,
                             cat->n_models ? "models: " : "no model is defined: CREATE MODEL name FROM 'path' loads one",
                             known);
    }
    const sl_model *m = def->model;
    if (proba && !sl_model_is_classifier(m))
        return sl_bind_error(cat, SL_ERR_PLAN, ast->line, ast->col,
                             "predict_proba(%s, …): model %s is a regressor (%s); it has no class "
                             "probabilities, use predict()",
                             def->name, def->name, sl_model_describe(m));
    int n_in = sl_model_num_inputs(m);
    bool star = ast->n_args == 2 && ast->args[1]->kind == SL_AST_STAR;
    if (!star && ast->n_args - 1 != n_in) {
        char list[400];
        input_list(m, list, sizeof list);
        return sl_bind_error(cat, SL_ERR_BIND, ast->line, ast->col,
                             "%s(%s, …): model %s takes %d feature%s (%s), got %d argument%s; "
                             "%s(%s, *) binds them by name",
                             fname, def->name, def->name, n_in, n_in == 1 ? "" : "s", list, ast->n_args - 1,
                             ast->n_args - 1 == 1 ? "" : "s", fname, def->name);
    }
    sl_expr *e = sl_arena_alloc(arena, sizeof *e);
    OOM_IF(e);
    e->kind = SL_EX_MODEL;
    e->type = SL_TYPE_DOUBLE;
    e->op = proba;
    e->fn_state = (void *)m;   /* borrowed: the catalog outlives every query */
    e->lit_str = def->name;
    e->n_args = n_in;
    OOM_IF(e->args = sl_arena_alloc(arena, sizeof *e->args * (size_t)(n_in ? n_in : 1)));
    for (int i = 0; i < n_in; i++) {
        const sl_model_input *in = sl_model_input_get(m, i);
        const sl_ast_expr *at = star ? ast->args[1] : ast->args[i + 1];
        sl_expr *x = NULL;
        sl_status st = star ? bind_by_name(cat, arena, ast, ast->args[1], def->name, m, i, bind, binder, scope, &x)
                            : bind(binder, scope, at, &x);
        if (st) return st;
        if (x->type == SL_TYPE_NULL) {
            /* an untyped NULL literal: a missing value of the input's type */
            x->type = in->type;
        } else if (!sl_model_input_accepts(m, i, x->type)) {
            bool want_num = in->type != SL_TYPE_STRING;
            return sl_bind_error(cat, SL_ERR_TYPE, at->line, at->col,
                                 "%s(%s, …): feature \"%s\" of model %s is %s, but %s%s%s is %s; "
                                 "CAST it to %s",
                                 fname, def->name, in->name, def->name, type_word(in->type),
                                 star ? "column " : "argument ", star ? in->name : "",
                                 star ? "" : (at->text ? at->text : "?"), sl_type_name(x->type),
                                 want_num ? "DOUBLE" : "STRING");
        }
        e->args[i] = x;
    }
    *out = e;
    return SL_OK;
}
