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
        const sl_mdl_feat *f = &m->slots[k];
        if (f->source < 0) continue;   /* constant 0 */
        const double *xc = x + (size_t)f->source * SL_MDL_BLOCK;
        double c = l->coef[k], oh = f->onehot;
        if (f->onehot >= 0)
            for (int i = 0; i < n; i++) mg[i] += c * (xc[i] == oh ? 1.0 : 0.0);
        else
            for (int i = 0; i < n; i++) mg[i] += c * xc[i];
    }
    for (int i = 0; i < n; i++) {
        double p = 1.0 / (1.0 + exp(-mg[i]));
        out[2 * i] = 1.0 - p;
        out[2 * i + 1] = p;
    }
}
