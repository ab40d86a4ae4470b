/* Training through libxgboost's C API (stub until wired). */
#include "model/model_int.h"
#include "core/status.h"

sl_status sl_model_train_xgb(const char *dir, const char *const *names,
                             sl_col *const *cols, int n_features, const sl_col *label,
                             int64_t n_rows, const char *const *options, sl_error *err)
{
    return sl_err(err, SL_ERR_MODEL, "training is not available yet");
}
