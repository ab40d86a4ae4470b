/* CREATE MODEL (model_stmt.c), called by the statement executor
 * (engine.c). */
#ifndef SL_DRIVER_MODEL_STMT_H
#define SL_DRIVER_MODEL_STMT_H

#include "driver/engine_int.h"

/* CREATE MODEL name FROM 'path': loads the model (model/model.h) and adds
 * it to the catalog.  CREATE MODEL name WITH (type = 'xgboost', label =
 * 'col', [path = 'dir'], …) AS SELECT …: runs the bounded query to its end,
 * trains an XGBoost bundle on its rows (every column but the label is a
 * feature), writes it to `path` (else a new directory, see docs/MODELS.md)
 * and loads it.  Errors carry the statement's line and column. */
sl_status sl_driver_model_create(sl_engine *eng, const sl_ast_stmt *st, sl_error *err);

#endif
