/* Linear predictors (Spark LogisticRegressionModel, binary): margin =
 * coefficients . features + intercept over the compacted slots. */
#include "model/model_int.h"

#include <math.h>

void sl_mdl_linear_predict(const sl_model *m, const double *x, int n, double *out)
{
    const sl_mdl_linear *l = &m->lin;
    double mg[SL_MDL_BLOCK];
    for (int i = 0; i < n; i++) mg[i] = l->intercept;
    /* Spark's dot product order: feature by feature. */
    for (int k = 0; k < m->n_slots; k++) {
        const double *xc = x + (size_t)k * SL_MDL_BLOCK;
        double c = l->coef[k];
        for (int i = 0; i < n; i++) mg[i] += c * xc[i];
    }
    for (int i = 0; i < n; i++) {
        double p = 1.0 / (1.0 + exp(-mg[i]));
        out[2 * i] = 1.0 - p;
        out[2 * i + 1] = p;
    }
}
