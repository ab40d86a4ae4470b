/* Models in the stream: the library-internal face of src/model/ to the SQL
 * layer (CREATE MODEL, predict(), predict_proba()).
 *
 * A model is loaded once, at plan time, from a path whose kind is detected:
 *   - a Spark ML PipelineModel directory (metadata/part-00000 with
 *     "class":"org.apache.spark.ml.PipelineModel") of StringIndexerModel,
 *     OneHotEncoderModel, VectorAssembler and one predictor stage
 *     (GBT/RandomForest/DecisionTree classification or regression,
 *     LogisticRegressionModel);
 *   - a single Spark predictor directory (its inputs are then the feature
 *     vector's slots, named "<featuresCol>_<i>", all DOUBLE);
 *   - an XGBoost JSON model file (save_model("x.json")); inputs are its
 *     feature_names, or "f0", "f1", … when it has none, all DOUBLE;
 *   - a sluice model bundle directory (features.json + model.json, written by
 *     sl_model_train_xgb).
 * Every load error (missing file, corrupt JSON, unknown stage class,
 * unsupported objective) is SL_ERR_MODEL (SL_ERR_NOMEM on OOM) with a
 * message naming the file and the problem.
 *
 * A loaded model is immutable: scoring allocates its own scratch, so one
 * sl_model may score from several threads at once.
 *
 * How the SQL layer uses it:
 *   CREATE MODEL m FROM 'path'      sl_model_load at plan time; keep the
 *                                   sl_model in the catalog, sl_model_free
 *                                   when the engine goes.
 *   predict(m, *)                   for each input i, bind the query column
 *                                   named sl_model_input_get(m, i)->name
 *                                   (sl_model_input_find is case-insensitive);
 *                                   a missing column or one for which
 *                                   sl_model_input_accepts is false is a plan
 *                                   error (SL_ERR_BIND / SL_ERR_TYPE).
 *   predict(m, c1, c2, …)           columns in input order.
 *   predict / predict_proba         per batch: sl_model_score(m, cols, n,
 *                                   &pred, &prob1, err) — one call gives both
 *                                   DOUBLE columns; predict_proba on a
 *                                   regressor is a plan error
 *                                   (sl_model_is_classifier).
 *   CREATE MODEL m WITH (type = 'xgboost', label = 'y', …) AS SELECT …
 *                                   run the bounded query, then
 *                                   sl_model_train_xgb(dir, names, cols, …,
 *                                   options) with the WITH list as key/value
 *                                   pairs (type and label are ignored there),
 *                                   then sl_model_load(dir). */
#ifndef SL_MODEL_MODEL_H
#define SL_MODEL_MODEL_H

#include "sluice.h"
#include "core/column.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct sl_model sl_model;

/* One input the model needs, in the order sl_model_score takes columns. */
typedef struct sl_model_input {
    const char *name;  /* the pipeline's input column name (borrowed) */
    sl_type type;      /* SL_TYPE_STRING for string-indexed inputs, else
                        * SL_TYPE_DOUBLE; see sl_model_input_accepts */
} sl_model_input;

/* Loads the model at path. On success *out_model is owned by the caller,
 * freed with sl_model_free. */
sl_status sl_model_load(const char *path, sl_model **out_model, sl_error *err);
void sl_model_free(sl_model *m);

int sl_model_num_inputs(const sl_model *m);
/* Borrowed, valid while m lives; i in [0, sl_model_num_inputs). */
const sl_model_input *sl_model_input_get(const sl_model *m, int i);
/* Index of the input named `name` (case-insensitive), or -1. */
int sl_model_input_find(const sl_model *m, const char *name);
/* Whether a column of type t can feed input i: DOUBLE inputs take BOOLEAN,
 * INT, BIGINT, DOUBLE (and SL_TYPE_NULL); STRING inputs take STRING and the
 * numeric types too, which are turned to text as Spark's cast does
 * (3 -> "3", 3.0 -> "3.0"), as StringIndexer does with numeric columns. */
bool sl_model_input_accepts(const sl_model *m, int i, sl_type t);

/* True for classifiers (prediction is a class index). */
bool sl_model_is_classifier(const sl_model *m);
/* Number of classes for classifiers (2 for binary), 0 for regressors. */
int sl_model_num_classes(const sl_model *m);
/* A one-line description for EXPLAIN: "Spark PipelineModel: StringIndexer ->
 * ... -> GBTClassificationModel (20 trees)". Borrowed. */
const char *sl_model_describe(const sl_model *m);

/* Scores n_rows rows. inputs[i] feeds input i (sl_model_num_inputs columns,
 * each with at least n_rows rows, of a type sl_model_input_accepts); they
 * are borrowed. NULLs: a NULL numeric feature is NaN (VectorAssembler
 * handleInvalid=keep / XGBoost missing); a NULL string goes where the
 * StringIndexer's handleInvalid sends it.
 *
 * *out_pred (if out_pred is not NULL) receives a new DOUBLE column of n_rows
 * owned by the caller: Spark's `prediction` (the class index as a double for
 * classifiers, the value for regressors; for XGBoost classifiers the argmax
 * class, for binary objectives prob > 0.5). *out_prob1 (if not NULL) receives
 * the probability of class 1, for classifiers (for regressors: NULLs).
 * A row is NULL in both when a StringIndexer with handleInvalid='skip' would
 * have dropped it. handleInvalid='error' on an unseen label fails the call
 * with SL_ERR_MODEL naming the column and value. */
sl_status sl_model_score(const sl_model *m, sl_col *const *inputs, int64_t n_rows,
                         sl_col **out_pred, sl_col **out_prob1, sl_error *err);

/* Lower level, for tests and benchmarks: writes n_rows * sl_model_num_outputs
 * doubles to out (row-major): for classifiers the class probabilities, for
 * regressors the prediction. Skipped rows are NaN. */
int sl_model_num_outputs(const sl_model *m);
sl_status sl_model_score_raw(const sl_model *m, sl_col *const *inputs, int64_t n_rows,
                             double *out, sl_error *err);

/* ---- training (libxgboost) --------------------------------------------- */

/* Trains an XGBoost booster on feature columns + a label column and writes a
 * model bundle directory at dir (created if absent; its files replaced):
 *   features.json  {"format":"sluice-model-bundle","version":1,
 *                   "label":…, "objective":…,
 *                   "features":[{"name":…,"type":"DOUBLE"|"STRING",
 *                                "labels":[…]}]}   (labels: STRING only;
 *                   a string feature is encoded as its index in labels,
 *                   unseen strings as len(labels), NULL as missing)
 *   model.json     the booster's own JSON (XGBoosterSaveModel)
 * which sl_model_load reads back. names[i]/cols[i] are the features (types:
 * numeric, BOOLEAN or STRING), label a numeric column; all borrowed.
 * Options (NULL-terminated key/value pairs, keys case-insensitive):
 * objective (binary:logistic), num_round or n_estimators (100), max_depth
 * (6), eta or learning_rate (0.3), seed (0), nthread (1), and any other
 * XGBoost parameter passed through as text. Rows with a NULL label are
 * skipped. */
sl_status sl_model_train_xgb(const char *dir, const char *const *names,
                             sl_col *const *cols, int n_features, const sl_col *label,
                             int64_t n_rows, const char *const *options, sl_error *err);

#endif
