/* Spark ML model directories (PipelineModel and single predictors): reads
 * the stage list and dispatches each stage to spark_stages.c. */
#include "model/model_int.h"
#include "core/status.h"

sl_status sl_mdl_load_spark(sl_model *m, const char *dir, bool pipeline, sl_error *err)
{
    return sl_err(err, SL_ERR_MODEL, "%s: Spark models are not supported yet", dir);
}
