-- The top-up prediction service (the reference notebook's Part 2, Step 2),
-- step for step as SQL. Variables (sluice run --var NAME=VALUE):
--   KAFKA   the brokers, e.g. 127.0.0.1:9092
--   MODEL   the model: a directory written by train.sql, or the reference's
--           Spark PipelineModel (../shared/reference/spark_pipeline_model/
--           topup_pipeline_model)
--   OUT     the output directory: OUT/top_up_predictions (Parquet) and
--           OUT/checkpoint/… (the queries' checkpoints)
-- The reference's cell numbers are given as [n].

-- [5]-[8] Ingest the topics customer_data and bureau_data from the earliest
-- offset. Each message is a JSON array of records (the producer's batches);
-- format = 'json' parses the value against the schema and explodes the
-- array into rows — Spark's from_json(value, ArrayType(StructType(…))) and
-- explode(). Every field is a STRING except ts (TIMESTAMP; the producer
-- sends epoch seconds, which Spark's JSON reader takes as seconds).
-- Beyond the reference: a backlog is read 128 messages (about 2,500
-- customers) a batch, so that the window and join state stay small and the
-- watermark evicts them batch after batch; 'even' takes the same number of
-- messages from every partition, which with a round-robin producer (as
-- `sluice produce`) is exactly the next 128 messages in send order, so no
-- row falls behind the 5-second watermark.  Both topics carry one message
-- per producer batch, so both sources read the same customers.
CREATE SOURCE customer_ingest (
  "ID" STRING, "Frequency" STRING, "InstlmentMode" STRING, "LoanStatus" STRING,
  "PaymentMode" STRING, "BranchID" STRING, "Area" STRING, "Tenure" STRING,
  "AssetCost" STRING, "AmountFinance" STRING, "DisbursalAmount" STRING, "EMI" STRING,
  "DisbursalDate" STRING, "MaturityDAte" STRING, "AuthDate" STRING, "AssetID" STRING,
  "ManufacturerID" STRING, "SupplierID" STRING, "LTV" STRING, "SEX" STRING,
  "AGE" STRING, "MonthlyIncome" STRING, "City" STRING, "State" STRING,
  "ZiPCODE" STRING, "Top-up Month" STRING, ts TIMESTAMP
) WITH (connector = 'kafka', 'kafka.bootstrap.servers' = '${KAFKA}',
        subscribe = 'customer_data', startingOffsets = 'earliest', format = 'json',
        maxOffsetsPerTrigger = '128', 'maxOffsetsPerTrigger.split' = 'even');

CREATE SOURCE bureau_ingest (
  "ID" STRING, "SELF-INDICATOR" STRING, "MATCH-TYPE" STRING, "ACCT-TYPE" STRING,
  "CONTRIBUTOR-TYPE" STRING, "DATE-REPORTED" STRING, "OWNERSHIP-IND" STRING,
  "ACCOUNT-STATUS" STRING, "DISBURSED-DT" STRING, "CLOSE-DT" STRING,
  "LAST-PAYMENT-DATE" STRING, "CREDIT-LIMIT/SANC AMT" STRING,
  "DISBURSED-AMT/HIGH CREDIT" STRING, "INSTALLMENT-AMT" STRING, "CURRENT-BAL" STRING,
  "INSTALLMENT-FREQUENCY" STRING, "OVERDUE-AMT" STRING, "WRITE-OFF-AMT" STRING,
  "ASSET_CLASS" STRING, "REPORTED DATE - HIST" STRING, "DPD - HIST" STRING,
  "CUR BAL - HIST" STRING, "AMT OVERDUE - HIST" STRING, "AMT PAID - HIST" STRING,
  "TENURE" STRING, ts TIMESTAMP
) WITH (connector = 'kafka', 'kafka.bootstrap.servers' = '${KAFKA}',
        subscribe = 'bureau_data', startingOffsets = 'earliest', format = 'json',
        maxOffsetsPerTrigger = '128', 'maxOffsetsPerTrigger.split' = 'even');

-- [11] + [21] The customer columns with the reference's casts (it names
-- some of them in another case — MaturityDate, Sex, Age, ZipCode — which
-- resolves case-insensitively, as in Spark), and a 5-second watermark on ts.
CREATE VIEW customer_df (WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) AS
SELECT "ID", "Frequency", "InstlmentMode", "LoanStatus", "PaymentMode", "BranchID", "Area",
       CAST("Tenure" AS INT) AS "Tenure",
       CAST("AssetCost" AS INT) AS "AssetCost",
       CAST("AmountFinance" AS DOUBLE) AS "AmountFinance",
       CAST("DisbursalAmount" AS DOUBLE) AS "DisbursalAmount",
       CAST("EMI" AS DOUBLE) AS "EMI",
       CAST("DisbursalDate" AS TIMESTAMP) AS "DisbursalDate",
       CAST("MaturityDate" AS TIMESTAMP) AS "MaturityDate",
       CAST("AuthDate" AS TIMESTAMP) AS "AuthDate",
       "AssetID", "ManufacturerID", "SupplierID",
       CAST("LTV" AS DOUBLE) AS "LTV",
       "Sex" AS "Sex",
       CAST("Age" AS INT) AS "Age",
       CAST("MonthlyIncome" AS DOUBLE) AS "MonthlyIncome",
       "City", "State", "ZipCode" AS "ZipCode", "Top-up Month", ts
FROM customer_ingest;

-- [14]-[26] The bureau columns with the reference's casts; the four amounts
-- written with separators ("1,92,746", "10,709/Monthly") keep their digits
-- only, then become INT (the reference's udf_num: ''.join(isdigit) — an
-- empty or NULL text becomes NULL after the cast, as there);
-- SELF-INDICATOR TRUE/FALSE becomes 1/0; a 5-second watermark on ts.
CREATE VIEW bureau_df (WATERMARK FOR ts AS ts - INTERVAL '5' SECOND) AS
SELECT "ID",
       CAST(CASE WHEN "SELF-INDICATOR" = 'TRUE' THEN '1'
                 WHEN "SELF-INDICATOR" = 'FALSE' THEN '0'
                 ELSE "SELF-INDICATOR" END AS INT) AS "SELF-INDICATOR",
       "MATCH-TYPE", "ACCT-TYPE", "CONTRIBUTOR-TYPE",
       CAST("DATE-REPORTED" AS TIMESTAMP) AS "DATE-REPORTED",
       "OWNERSHIP-IND", "ACCOUNT-STATUS",
       CAST("DISBURSED-DT" AS TIMESTAMP) AS "DISBURSED-DT",
       CAST("CLOSE-DT" AS TIMESTAMP) AS "CLOSE-DT",
       CAST("LAST-PAYMENT-DATE" AS TIMESTAMP) AS "LAST-PAYMENT-DATE",
       "CREDIT-LIMIT/SANC AMT",
       CAST(regexp_replace("DISBURSED-AMT/HIGH CREDIT", '[^0-9]', '') AS INT) AS "DISBURSED-AMT/HIGH CREDIT",
       CAST(regexp_replace("INSTALLMENT-AMT", '[^0-9]', '') AS INT) AS "INSTALLMENT-AMT",
       CAST(regexp_replace("CURRENT-BAL", '[^0-9]', '') AS INT) AS "CURRENT-BAL",
       "INSTALLMENT-FREQUENCY",
       CAST(regexp_replace("OVERDUE-AMT", '[^0-9]', '') AS INT) AS "OVERDUE-AMT",
       CAST("WRITE-OFF-AMT" AS INT) AS "WRITE-OFF-AMT",
       "ASSET_CLASS", "REPORTED DATE - HIST", "DPD - HIST", "CUR BAL - HIST",
       "AMT OVERDUE - HIST", "AMT PAID - HIST", "TENURE", ts
FROM bureau_ingest;

-- [27]-[30] Per ID and 30-second window of ts: <col>_sum of the numeric
-- columns, <col>_dist = approx_count_distinct of the others (Spark
-- streaming has no exact distinct count), then the window's bounds as
-- window_start / window_end.
CREATE VIEW bureau_groups AS
SELECT "ID",
       sum("SELF-INDICATOR") AS "SELF-INDICATOR_sum",
       sum("DISBURSED-AMT/HIGH CREDIT") AS "DISBURSED-AMT/HIGH CREDIT_sum",
       sum("INSTALLMENT-AMT") AS "INSTALLMENT-AMT_sum",
       sum("CURRENT-BAL") AS "CURRENT-BAL_sum",
       sum("OVERDUE-AMT") AS "OVERDUE-AMT_sum",
       sum("WRITE-OFF-AMT") AS "WRITE-OFF-AMT_sum",
       approx_count_distinct("MATCH-TYPE") AS "MATCH-TYPE_dist",
       approx_count_distinct("ACCT-TYPE") AS "ACCT-TYPE_dist",
       approx_count_distinct("CONTRIBUTOR-TYPE") AS "CONTRIBUTOR-TYPE_dist",
       approx_count_distinct("DATE-REPORTED") AS "DATE-REPORTED_dist",
       approx_count_distinct("OWNERSHIP-IND") AS "OWNERSHIP-IND_dist",
       approx_count_distinct("ACCOUNT-STATUS") AS "ACCOUNT-STATUS_dist",
       approx_count_distinct("DISBURSED-DT") AS "DISBURSED-DT_dist",
       approx_count_distinct("CLOSE-DT") AS "CLOSE-DT_dist",
       approx_count_distinct("LAST-PAYMENT-DATE") AS "LAST-PAYMENT-DATE_dist",
       approx_count_distinct("CREDIT-LIMIT/SANC AMT") AS "CREDIT-LIMIT/SANC AMT_dist",
       approx_count_distinct("INSTALLMENT-FREQUENCY") AS "INSTALLMENT-FREQUENCY_dist",
       approx_count_distinct("ASSET_CLASS") AS "ASSET_CLASS_dist",
       approx_count_distinct("REPORTED DATE - HIST") AS "REPORTED DATE - HIST_dist",
       approx_count_distinct("DPD - HIST") AS "DPD - HIST_dist",
       approx_count_distinct("CUR BAL - HIST") AS "CUR BAL - HIST_dist",
       approx_count_distinct("AMT OVERDUE - HIST") AS "AMT OVERDUE - HIST_dist",
       approx_count_distinct("AMT PAID - HIST") AS "AMT PAID - HIST_dist",
       approx_count_distinct("TENURE") AS "TENURE_dist",
       window_start, window_end
FROM bureau_df
GROUP BY window(ts, '30 seconds'), "ID";

-- [31]-[32] The windowed bureau groups joined with the customers on ID,
-- keeping the customer rows whose ts lies inside the window (an interval
-- join: its state is evicted by the watermark).
CREATE VIEW cust_bureau_df AS
SELECT bu.*, cust."Frequency", cust."InstlmentMode", cust."LoanStatus", cust."PaymentMode",
       cust."BranchID", cust."Area", cust."Tenure", cust."AssetCost", cust."AmountFinance",
       cust."DisbursalAmount", cust."EMI", cust."DisbursalDate", cust."MaturityDate",
       cust."AuthDate", cust."AssetID", cust."ManufacturerID", cust."SupplierID", cust."LTV",
       cust."Sex", cust."Age", cust."MonthlyIncome", cust."City", cust."State", cust."ZipCode",
       cust."Top-up Month", cust.ts
FROM bureau_groups bu
JOIN customer_df cust
  ON cust."ID" = bu."ID" AND cust.ts BETWEEN bu.window_start AND bu.window_end;

-- [35]-[37] The model: its inputs are bound by name (AssetCost, …,
-- SELF-INDICATOR_sum, ACCT-TYPE_dist, …, State); NULL features are kept
-- (the reference sets the VectorAssembler's handleInvalid to 'keep').
CREATE MODEL topup_model FROM '${MODEL}';

CREATE VIEW gb_pred AS
SELECT *, predict(topup_model, *) AS prediction FROM cust_bureau_df;

-- [85] The predictions to Parquet, append mode, with a checkpoint.
CREATE SINK top_up_predictions
WITH (connector = 'parquet', path = '${OUT}/top_up_predictions',
      checkpointLocation = '${OUT}/checkpoint/top_up_predictions',
      'output.mode' = 'append') AS
SELECT "ID", window_start, window_end, ts, prediction, "Top-up Month" AS "Top-up_Month"
FROM gb_pred;

-- [37]-[38] The reference's foreachBatch step: per micro-batch, the count of
-- predicted top-up customers (prediction = 1) per State, published to the
-- topic Statewide_customer_count as one message whose value is the JSON
-- array [{"State": …, "target_customers": …}, …] and whose key is the
-- batch's max(window_end). A batch without target customers sends nothing.
-- Each batch is one Kafka transaction, so a batch replayed after a crash is
-- not published twice (exactly once for read_committed consumers; the
-- reference's plain producer would repeat it).
CREATE SINK statewide_customer_count
WITH (connector = 'kafka', 'kafka.bootstrap.servers' = '${KAFKA}',
      topic = 'Statewide_customer_count', format = 'json-array',
      'kafka.transactional' = 'true',
      checkpointLocation = '${OUT}/checkpoint/statewide_customer_count',
      'output.mode' = 'append') AS
SELECT CAST(max(window_end) AS STRING) AS key, "State", count(*) AS target_customers
FROM gb_pred
WHERE prediction = 1.0
GROUP BY BATCH, "State";
