#!/usr/bin/env bash
# predict() through the engine (issue 8): rows/s on one core (taskset -c 0)
# of `SELECT predict(m, *) FROM t` over a CSV table into the blackhole sink,
# for the reference Spark model (LTFS rows, replicated) and for an XGBoost
# model of 100 trees of depth 6 on 20 features (trained here by
# python3-xgboost). The engine's batch time (its progress line, without
# start-up and model loading) is taken best of 3 for the query with
# predict() and for the same query without it (reading and parsing the
# CSV); predict's own rate is rows / (difference). bench/model.sh prints
# the library's figures (sl_model_score on whole columns) next to these.
# Usage: bench/model_engine.sh [copies of the sample] (BUILD defaults to build/).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
copies=${1:-60}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
PIN=(taskset -c 0)
command -v taskset >/dev/null || PIN=()

# Sum of the batch times (ms) of one run, best of 3.
best_ms() {
    local best="" ms
    for _ in 1 2 3; do
        ms=$("${PIN[@]}" "$BUILD/sluice" run "$1" 2>&1 | grep -o ' [0-9]* ms, watermark' | awk '{s += $1} END {print s + 0}')
        if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
    done
    echo "$best"
}

# report <label> <rows> <sql without predict> <sql with predict>
report() {
    local base pred
    base=$(best_ms "$3")
    pred=$(best_ms "$4")
    awk -v l="$1" -v n="$2" -v b="$base" -v p="$pred" 'BEGIN {
        d = p - b; if (d < 1) d = 1
        printf "%s rows=%d query_ms=%d scan_only_ms=%d query_rows_per_sec_per_core=%.0f predict_rows_per_sec_per_core=%.0f\n",
               l, n, p, b, n / (p / 1000), n / (d / 1000) }'
}

MODEL="$ROOT/../shared/reference/spark_pipeline_model/topup_pipeline_model"
LTFS="$ROOT/../shared/reference/ltfs_sample"
if [ -d "$MODEL" ] && [ -d "$LTFS" ]; then
    /usr/bin/python3 "$ROOT/tests/model/spark_rows.py" "$LTFS" "$tmp/rows.csv" 20000
    { head -1 "$tmp/rows.csv"; for _ in $(seq "$copies"); do tail -n +2 "$tmp/rows.csv"; done; } > "$tmp/spark.csv"
    n=$(( $(wc -l < "$tmp/spark.csv") - 1 ))
    for sel in base pred; do
        if [ $sel = base ]; then what='"State"'; else what='predict(m, *) AS prediction'; fi
        cat > "$tmp/spark_$sel.sql" <<EOF
CREATE TABLE r ("LoanStatus" STRING, "BranchID" STRING, "Area" STRING, "Tenure" STRING,
  "ManufacturerID" STRING, "City" STRING, "State" STRING, "AssetCost" DOUBLE,
  "DisbursalAmount" DOUBLE, "EMI" DOUBLE, "MonthlyIncome" DOUBLE, "SELF-INDICATOR_sum" DOUBLE,
  "ACCT-TYPE_dist" DOUBLE, "DISBURSED-AMT/HIGH CREDIT_sum" DOUBLE, "CURRENT-BAL_sum" DOUBLE)
WITH (connector = 'file', path = '$tmp/spark.csv', format = 'csv');
CREATE MODEL m FROM '$MODEL';
CREATE SINK o WITH (connector = 'blackhole') AS SELECT $what FROM r;
EOF
    done
    report engine_spark_reference_model "$n" "$tmp/spark_base.sql" "$tmp/spark_pred.sql"
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
    for sel in base pred; do
        if [ $sel = base ]; then what='f0'; else what='predict(m, *) AS prediction'; fi
        cat > "$tmp/xgb_$sel.sql" <<EOF
CREATE TABLE t (${cols%, }) WITH (connector = 'file', path = '$tmp/xgb.csv', format = 'csv');
CREATE MODEL m FROM '$tmp/xgb.json';
CREATE SINK o WITH (connector = 'blackhole') AS SELECT $what FROM t;
EOF
    done
    report engine_xgboost_100x6 "$n" "$tmp/xgb_base.sql" "$tmp/xgb_pred.sql"
else
    echo "python3-xgboost absent: XGBoost figure left out"
fi
