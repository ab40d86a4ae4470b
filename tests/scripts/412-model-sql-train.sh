#!/usr/bin/env bash
# Training through SQL (the reference's Part 2A): CREATE MODEL … WITH (type
# = 'xgboost', label = 'label', path = …) AS SELECT over CREATE TABLEs of
# `sluice gen topup` data (the features built as examples/topup/train.sql
# builds them: casts, digit stripping, per-ID bureau aggregates, a join)
# trained on three quarters of the customers; predict_proba on the held-out
# quarter gives AUC > 0.6 (computed here from the labels); the bundle
# written to `path` loads back with CREATE MODEL … FROM and scores the same.
set -eu
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$SLUICE" gen topup --customers 4000 --seed 11 --out "$tmp/data" --quiet
common() { # the tables and the feature view, as train.sql has them
cat <<'EOF'
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
FROM bureau GROUP BY "ID";
CREATE VIEW features AS
SELECT CAST(c."ID" AS INT) AS id,
       CAST(c."AssetCost" AS INT) AS "AssetCost",
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
EOF
}
{ common; cat <<'EOF'
CREATE MODEL topup WITH (type = 'xgboost', label = 'label', path = '${MODEL}',
                         num_round = '40', max_depth = '4', seed = '1') AS
SELECT "AssetCost", "DisbursalAmount", "EMI", "MonthlyIncome", "SELF-INDICATOR_sum",
       "ACCT-TYPE_dist", "DISBURSED-AMT/HIGH CREDIT_sum", "CURRENT-BAL_sum", "LoanStatus",
       "BranchID", "Area", "Tenure", "ManufacturerID", "City", "State", label
FROM features WHERE id % 4 <> 0;
CREATE SINK held_out WITH (connector = 'file', path = '${OUT}', format = 'csv') AS
SELECT id, label, predict_proba(topup, *) AS p, predict(topup, *) AS c FROM features WHERE id % 4 = 0;
EOF
} > "$tmp/train.sql"
{ common; cat <<'EOF'
CREATE MODEL again FROM '${MODEL}';
CREATE SINK held_out WITH (connector = 'file', path = '${OUT}', format = 'csv') AS
SELECT id, label, predict_proba(again, *) AS p, predict(again, *) AS c FROM features WHERE id % 4 = 0;
EOF
} > "$tmp/load.sql"
"$SLUICE" run "$tmp/train.sql" --var DATA="$tmp/data" --var MODEL="$tmp/bundle" --var OUT="$tmp/out1" --quiet
"$SLUICE" run "$tmp/load.sql" --var DATA="$tmp/data" --var MODEL="$tmp/bundle" --var OUT="$tmp/out2" --quiet
# The bundle has the 15 features and not the label.
grep -q '"name":"AssetCost"' "$tmp/bundle/features.json" && ! grep -q '"name":"label"' "$tmp/bundle/features.json" \
    || { echo "features.json:"; cat "$tmp/bundle/features.json"; exit 1; }
[ "$(grep -o '"name":' "$tmp/bundle/features.json" | wc -l)" = 15 ] || { echo "not 15 features"; exit 1; }
cmp <(tail -n +2 "$tmp"/out1/part-*.csv | sort) <(tail -n +2 "$tmp"/out2/part-*.csv | sort) \
    || { echo "the trained model and the bundle loaded FROM its path score differently"; exit 1; }
# AUC on the held-out quarter (Mann-Whitney: ties count half).
tail -n +2 "$tmp"/out1/part-*.csv | awk -F, '
    { n++; if ($4 != ($3 > 0.5 ? 1 : 0)) badc++; lab[n] = $2; p[n] = $3; if ($2 == 1) pos++; else neg++ }
    END {
        # rank by p with an insertion-free counting pass: O(n^2) is fine for 1000 rows
        for (i = 1; i <= n; i++) if (lab[i] == 1) for (j = 1; j <= n; j++) if (lab[j] == 0) {
            if (p[i] > p[j]) s += 1; else if (p[i] == p[j]) s += 0.5 }
        auc = s / (pos * neg)
        printf "held-out rows %d (positives %d), AUC %.3f, predict/proba disagreements %d\n", n, pos, auc, badc
        exit !(n > 500 && pos > 50 && auc > 0.6 && badc == 0) }'
