/* sluice model bundles: features.json (feature names, types, string
 * encoders) next to model.json (an XGBoost booster), as written by
 * train_xgb.c. */
#include "model/model_int.h"
#include "core/status.h"

sl_status sl_mdl_load_bundle(sl_model *m, const char *dir, sl_error *err)
{
    return sl_err(err, SL_ERR_MODEL, "%s: bundles are not supported yet", dir);
}
