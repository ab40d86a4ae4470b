#!/usr/bin/env bash
# predict() through the engine (issue 8): rows/s on one core (taskset -c 0)
# of `SELECT predict(m, *) FROM t` over a CSV table into the blackhole sink,
# for the reference Spark model (LTFS rows, replicated) and for an XGBoost
# model of 100 trees of depth 6 on 20 features (trained here by
# python3-xgboost). Times are the sluice process's CPU time (user + sys,
# /usr/bin/time), best of 3 — the machine is shared, and wall time there
# measures the other tenants. Three queries per model:
#   fixed  the same script over a one-row copy of the table (start-up,
#          CREATE MODEL, planning);
#   scan   the table read without predict (SELECT of one column);
#   query  SELECT predict(m, *).
# query_rows_per_sec_per_core = rows / (query - fixed): the whole query,
# CSV parsing included; predict_rows_per_sec_per_core = rows / (query -
# scan): predict's own cost. bench/model.sh prints the library's figures
# (sl_model_score on whole columns) next to these.
# Usage: bench/model_engine.sh [copies of the sample] (BUILD defaults to build/).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
copies=${1:-60}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PIN=(taskset -c 0)
command -v taskset >/dev/null || PIN=()

# CPU seconds (user + sys) of one run of a script, best of 3; a run that
# does not finish its batch is an error, not a figure.
best_cpu() {
    local best="" t
    for _ in 1 2 3; do
        /usr/bin/time -f '%U %S' -o "$tmp/time" "${PIN[@]}" "$BUILD/sluice" run "$1" > "$tmp/out" 2>&1 || {
            echo "bench/model_engine.sh: $1 failed:" >&2; tail -5 "$tmp/out" >&2; exit 1; }
        grep -q ' rows in, ' "$tmp/out" || { echo "bench/model_engine.sh: $1 ran no batch" >&2; exit 1; }
        t=$(awk '{printf "%.3f", $1 + $2}' "$tmp/time")
        if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
    done
    echo "$best"
}

# report <label> <rows> <sql fixed> <sql scan> <sql query>
report() {
    local fixed scan query
    fixed=$(best_cpu "$3")
    scan=$(best_cpu "$4")
    query=$(best_cpu "$5")
    awk -v l="$1" -v n="$2" -v f="$fixed" -v s="$scan" -v q="$query" 'BEGIN {
        w = q - f; if (w < 0.001) w = 0.001
        d = q - s; if (d < 0.001) d = 0.001
        printf "%s rows=%d cpu_s: fixed=%.3f scan=%.3f query=%.3f query_rows_per_sec_per_core=%.0f predict_rows_per_sec_per_core=%.0f\n",
               l, n, f, s, q, n / w, n / d }'
}

MODEL="$ROOT/../shared/reference/spark_pipeline_model/topup_pipeline_model"
LTFS="$ROOT/../shared/reference/ltfs_sample"
if [ -d "$MODEL" ] && [ -d "$LTFS" ]; then
    /usr/bin/python3 "$ROOT/tests/model/spark_rows.py" "$LTFS" "$tmp/rows.csv" 20000
    { head -1 "$tmp/rows.csv"; for _ in $(seq "$copies"); do tail -n +2 "$tmp/rows.csv"; done; } > "$tmp/spark.csv"
    n=$(( $(wc -l < "$tmp/spark.csv") - 1 ))
    head -2 "$tmp/rows.csv" > "$tmp/spark1.csv"
    for sel in fixed base pred; do
        if [ $sel = base ]; then what='"State"'; else what='predict(m, *) AS prediction'; fi
        csv=$tmp/spark.csv; [ $sel = fixed ] && csv=$tmp/spark1.csv
        cat > "$tmp/spark_$sel.sql" <<EOF
CREATE TABLE r ("LoanStatus" STRING, "BranchID" STRING, "Area" STRING, "Tenure" STRING,
  "ManufacturerID" STRING, "City" STRING, "State" STRING, "AssetCost" DOUBLE,
  "DisbursalAmount" DOUBLE, "EMI" DOUBLE, "MonthlyIncome" DOUBLE, "SELF-INDICATOR_sum" DOUBLE,
  "ACCT-TYPE_dist" DOUBLE, "DISBURSED-AMT/HIGH CREDIT_sum" DOUBLE, "CURRENT-BAL_sum" DOUBLE)
WITH (connector = 'file', path = '$csv', format = 'csv');
CREATE MODEL m FROM '$MODEL';
CREATE SINK o WITH (connector = 'blackhole') AS SELECT $what FROM r;
EOF
    done
    report engine_spark_reference_model "$n" "$tmp/spark_fixed.sql" "$tmp/spark_base.sql" "$tmp/spark_pred.sql"
else
    echo "reference model absent: Spark figure left out"
fi

if /usr/bin/python3 -c 'import xgboost, numpy' 2>/dev/null; then
    /usr/bin/python3 - "$tmp" "$copies" <<'EOF'
import sys, numpy as np, xgboost as xgb
out, copies = sys.argv[1], int(sys.argv[2])
rng = np.random.default_rng(42)
nf = 20
X = rng.uniform(-1, 1, size=(50000, nf))
X[rng.random(X.shape) < 0.05] = np.nan
w = np.array([1.0 if j % 3 == 0 else -0.5 if j % 3 == 1 else 0.2 for j in range(nf)])
s = np.nan_to_num(X) @ w + (np.nan_to_num(X[:, :3]) ** 2).sum(axis=1)
y = (s + 0.3 * (rng.random(len(s)) - 0.5) > 0).astype(int)
names = ["f%d" % j for j in range(nf)]
b = xgb.train({"objective": "binary:logistic", "max_depth": 6, "nthread": 1, "seed": 1},
              xgb.DMatrix(X, label=y, feature_names=names), 100)
b.save_model(out + "/xgb.json")
Xs = rng.uniform(-1, 1, size=(15000, nf))
Xs[rng.random(Xs.shape) < 0.05] = np.nan
lines = [",".join("" if np.isnan(v) else "%.6f" % v for v in r) for r in Xs]
with open(out + "/xgb.csv", "w") as f:
    f.write(",".join(names) + "\n")
    for _ in range(copies):
        f.write("\n".join(lines) + "\n")
EOF
    n=$(( $(wc -l < "$tmp/xgb.csv") - 1 ))
    cols=$(for j in $(seq 0 19); do printf 'f%d DOUBLE, ' "$j"; done)
    head -2 "$tmp/xgb.csv" > "$tmp/xgb1.csv"
    for sel in fixed base pred; do
        if [ $sel = base ]; then what='f0'; else what='predict(m, *) AS prediction'; fi
        csv=$tmp/xgb.csv; [ $sel = fixed ] && csv=$tmp/xgb1.csv
        cat > "$tmp/xgb_$sel.sql" <<EOF
CREATE TABLE t (${cols%, }) WITH (connector = 'file', path = '$csv', format = 'csv');
CREATE MODEL m FROM '$tmp/xgb.json';
CREATE SINK o WITH (connector = 'blackhole') AS SELECT $what FROM t;
EOF
    done
    report engine_xgboost_100x6 "$n" "$tmp/xgb_fixed.sql" "$tmp/xgb_base.sql" "$tmp/xgb_pred.sql"
else
    echo "python3-xgboost absent: XGBoost figure left out"
fi
