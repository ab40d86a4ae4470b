/* predict() and predict_proba() in the binder (bind_model.c): the one entry
 * the binder calls for these names, so the model-specific rules — the
 * model looked up in the catalog, features bound by name from the query's
 * columns, their types checked against the model's inputs — live beside the
 * model library's face (model/model.h) rather than inside binder.c. */
#ifndef SL_PLAN_BIND_MODEL_H
#define SL_PLAN_BIND_MODEL_H

#include "plan/catalog.h"

#include <stdbool.h>

/* True for the names bound here: predict, predict_proba (any case). */
bool sl_bind_is_model_call(const char *name);

/* Binds one argument expression in the caller's scope (the binder's
 * bind_expr, behind opaque binder/scope pointers). */
typedef sl_status (*sl_bind_arg_fn)(void *binder, const void *scope, const sl_ast_expr *ast,
                                    sl_expr **out);

/* Binds predict(m, *), predict(m, t.*), predict(m, e1, …, eN) and the same
 * for predict_proba into an SL_EX_MODEL node of type DOUBLE in `arena`.
 * With *, each model input is bound as the query column of that name
 * (case-insensitive, as any column reference); otherwise the N expressions
 * feed the model's N inputs in order.  Errors (positioned, with a caret,
 * through sl_bind_error): an unknown model or a first argument that is not
 * a model name (SL_ERR_BIND), a feature the query lacks (SL_ERR_BIND), a
 * column whose type cannot feed its feature (SL_ERR_TYPE), the wrong number
 * of arguments (SL_ERR_BIND), predict_proba of a regressor (SL_ERR_PLAN). */
sl_status sl_bind_predict(sl_catalog *cat, sl_arena *arena, const sl_ast_expr *ast,
                          sl_bind_arg_fn bind, void *binder, const void *scope, sl_expr **out);

#endif
