-- The top-up model, trained by sluice (the reference's Part 2A) on the
-- generated customer.csv and bureau.csv (`sluice gen topup --out DIR`).
-- Variables (sluice run --var NAME=VALUE):
--   DATA    the directory holding customer.csv and bureau.csv
--   MODEL   where the model bundle is written (a directory); pipeline.sql
--           loads it from there with CREATE MODEL … FROM '${MODEL}'
-- To score with the reference's own Spark PipelineModel instead, skip this
-- script and run pipeline.sql with
--   --var MODEL=../shared/reference/spark_pipeline_model/topup_pipeline_model
-- (make demo: MODEL=… make demo).
--
-- The features are the reference pipeline's (its VectorAssembler's inputs):
-- AssetCost, DisbursalAmount, EMI, MonthlyIncome, SELF-INDICATOR_sum,
-- ACCT-TYPE_dist, DISBURSED-AMT/HIGH CREDIT_sum, CURRENT-BAL_sum and the
-- categories LoanStatus, BranchID, Area, Tenure, ManufacturerID, City,
-- State; the label is 1 for every Top-up Month bucket except
-- 'No Top-up Service'. The bureau features are built as the stream builds
-- them (the same casts, digit stripping and approx_count_distinct), per ID
-- over all of the customer's bureau rows — in the stream all of a
-- customer's bureau rows arrive in one message, so in one 30-second window.

CREATE TABLE customer (
  "ID" STRING, "Frequency" STRING, "InstlmentMode" STRING, "LoanStatus" STRING,
  "PaymentMode" STRING, "BranchID" STRING, "Area" STRING, "Tenure" STRING,
  "AssetCost" STRING, "AmountFinance" STRING, "DisbursalAmount" STRING, "EMI" STRING,
  "DisbursalDate" STRING, "MaturityDAte" STRING, "AuthDate" STRING, "AssetID" STRING,
  "ManufacturerID" STRING, "SupplierID" STRING, "LTV" STRING, "SEX" STRING,
  "AGE" STRING, "MonthlyIncome" STRING, "City" STRING, "State" STRING,
  "ZiPCODE" STRING, "Top-up Month" STRING
) WITH (connector = 'file', path = '${DATA}/customer.csv', format = 'csv');

CREATE TABLE bureau (
  "ID" STRING, "SELF-INDICATOR" STRING, "MATCH-TYPE" STRING, "ACCT-TYPE" STRING,
  "CONTRIBUTOR-TYPE" STRING, "DATE-REPORTED" STRING, "OWNERSHIP-IND" STRING,
  "ACCOUNT-STATUS" STRING, "DISBURSED-DT" STRING, "CLOSE-DT" STRING,
  "LAST-PAYMENT-DATE" STRING, "CREDIT-LIMIT/SANC AMT" STRING,
  "DISBURSED-AMT/HIGH CREDIT" STRING, "INSTALLMENT-AMT" STRING, "CURRENT-BAL" STRING,
  "INSTALLMENT-FREQUENCY" STRING, "OVERDUE-AMT" STRING, "WRITE-OFF-AMT" STRING,
  "ASSET_CLASS" STRING, "REPORTED DATE - HIST" STRING, "DPD - HIST" STRING,
  "CUR BAL - HIST" STRING, "AMT OVERDUE - HIST" STRING, "AMT PAID - HIST" STRING,
  "TENURE" STRING
) WITH (connector = 'file', path = '${DATA}/bureau.csv', format = 'csv');

CREATE VIEW bureau_groups AS
SELECT "ID",
       sum(CAST(CASE WHEN "SELF-INDICATOR" = 'TRUE' THEN '1'
                     WHEN "SELF-INDICATOR" = 'FALSE' THEN '0'
                     ELSE "SELF-INDICATOR" END AS INT)) AS "SELF-INDICATOR_sum",
       approx_count_distinct("ACCT-TYPE") AS "ACCT-TYPE_dist",
       sum(CAST(regexp_replace("DISBURSED-AMT/HIGH CREDIT", '[^0-9]', '') AS INT)) AS "DISBURSED-AMT/HIGH CREDIT_sum",
       sum(CAST(regexp_replace("CURRENT-BAL", '[^0-9]', '') AS INT)) AS "CURRENT-BAL_sum"
FROM bureau
GROUP BY "ID";

CREATE VIEW training_rows AS
SELECT CAST(c."AssetCost" AS INT) AS "AssetCost",
       CAST(c."DisbursalAmount" AS DOUBLE) AS "DisbursalAmount",
       CAST(c."EMI" AS DOUBLE) AS "EMI",
       CAST(c."MonthlyIncome" AS DOUBLE) AS "MonthlyIncome",
       b."SELF-INDICATOR_sum", b."ACCT-TYPE_dist",
       b."DISBURSED-AMT/HIGH CREDIT_sum", b."CURRENT-BAL_sum",
       c."LoanStatus", c."BranchID", c."Area",
       CAST(CAST(c."Tenure" AS INT) AS STRING) AS "Tenure",
       c."ManufacturerID", c."City", c."State",
       CASE WHEN c."Top-up Month" = 'No Top-up Service' THEN 0 ELSE 1 END AS label
FROM customer c JOIN bureau_groups b ON c."ID" = b."ID";

CREATE MODEL topup_model
WITH (type = 'xgboost', label = 'label', path = '${MODEL}', seed = '42') AS
SELECT * FROM training_rows;

-- What the model was trained on: customers per label (1 = any top-up
-- bucket), printed once.
CREATE SINK training_summary
WITH (connector = 'console', 'output.mode' = 'complete') AS
SELECT label, count(*) AS customers FROM training_rows GROUP BY label;
