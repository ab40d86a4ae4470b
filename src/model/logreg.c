/* Linear predictors (Spark LogisticRegressionModel, binary): margin =
 * coefficients . features + intercept over the compacted slots. */
#include "model/model_int.h"

#include <math.h>

void sl_mdl_linear_predict(const sl_model *m, const double *x, int stride, int n, double *out)
{
    const sl_mdl_linear *l = &m->lin;
    for (int i = 0; i < n; i++) {
        const double *xr = x + (size_t)i * stride;
        double mg = l->intercept;
        for (int k = 0; k < m->n_slots; k++) mg += l->coef[k] * xr[k];
        double p = 1.0 / (1.0 + exp(-mg));
        out[2 * i] = 1.0 - p;
        out[2 * i + 1] = p;
    }
}
