#!/usr/bin/env bash
# The reference Spark PipelineModel loaded with CREATE MODEL … FROM and
# scored through SQL (predict(m, *) and predict_proba(m, *), features bound
# by name from a CSV table of real LTFS rows plus unseen labels and NULLs)
# gives the same prediction and probability as the model library scoring
# the same file (tests/model/score_tool.c), and — when DuckDB for node is
# installed — as the independent tree walker tests/oracle/model_oracle.js.
set -eu
MODEL="$ROOT/../shared/reference/spark_pipeline_model/topup_pipeline_model"
LTFS="$ROOT/../shared/reference/ltfs_sample"
[ -d "$MODEL" ] && [ -d "$LTFS" ] || { echo "skipped: reference model or LTFS sample absent under $ROOT/../shared/reference"; exit 77; }
/usr/bin/python3 -c 'import csv' 2>/dev/null || { echo "skipped: no /usr/bin/python3"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$ROOT/tests/model/build_tool.sh" "$tmp/st"
/usr/bin/python3 "$ROOT/tests/model/spark_rows.py" "$LTFS" "$tmp/rows.csv" 400
awk 'NR == 1 { print "rid," $0; next } { print NR - 2 "," $0 }' "$tmp/rows.csv" > "$tmp/table.csv"
# The bureau amounts are DOUBLE: the sample writes some as 2.00E+05, which a
# BIGINT column would read as NULL (Spark's cast rules).
cat > "$tmp/q.sql" <<'EOF'
CREATE TABLE r (rid INT, "LoanStatus" STRING, "BranchID" STRING, "Area" STRING, "Tenure" STRING,
  "ManufacturerID" STRING, "City" STRING, "State" STRING, "AssetCost" DOUBLE,
  "DisbursalAmount" DOUBLE, "EMI" DOUBLE, "MonthlyIncome" DOUBLE, "SELF-INDICATOR_sum" BIGINT,
  "ACCT-TYPE_dist" BIGINT, "DISBURSED-AMT/HIGH CREDIT_sum" DOUBLE, "CURRENT-BAL_sum" DOUBLE)
WITH (connector = 'file', path = '${DIR}/table.csv', format = 'csv');
CREATE MODEL topup FROM '${MODEL}';
CREATE SINK out WITH (connector = 'file', path = '${DIR}/out', format = 'csv') AS
SELECT rid, predict(topup, *) AS prediction, predict_proba(topup, *) AS prob FROM r;
EOF
"$SLUICE" run "$tmp/q.sql" --var DIR="$tmp" --var MODEL="$MODEL" --quiet
# rows in rid order, "prediction,prob" like score_tool's output
tail -n +2 "$tmp"/out/part-*.csv | sort -t, -k1,1n | cut -d, -f2- > "$tmp/sql.out"
"$tmp/st" predict "$MODEL" "$tmp/rows.csv" > "$tmp/lib.out"
fail=0
compare() { # $1 label, $2 reference file
    paste -d, "$2" "$tmp/sql.out" | awk -F, -v what="$1" '
        { n++; if ($1 + 0 != $3 + 0) bad++; d = $2 - $4; if (d < 0) d = -d; if (d > m) m = d; cls[$3 + 0]++ }
        END { printf "vs %s: %d rows, %d prediction mismatches, max |dP| %.3g, class 0: %d, class 1: %d\n",
                     what, n, bad, m, cls[0], cls[1];
              exit (n < 400 || bad > 0 || m > 1e-12 || cls[0] == 0 || cls[1] == 0) }' || fail=1
}
[ "$(wc -l < "$tmp/sql.out")" = "$(wc -l < "$tmp/lib.out")" ] || { echo "row counts differ"; exit 1; }
compare "model library" "$tmp/lib.out"
if [ -d "$ROOT/tests/oracle/node_modules/@duckdb" ]; then
    (cd "$ROOT/tests/oracle" && node model_oracle.js "$MODEL" "$tmp/rows.csv") > "$tmp/oracle.out"
    compare "DuckDB + tree walk oracle" "$tmp/oracle.out"
else
    echo "(DuckDB for node not installed: oracle comparison left out)"
fi
exit $fail
