#!/usr/bin/env bash
# Model scoring benchmark (issue 8): rows/s per core for the reference Spark
# pipeline and for a 100-tree depth-6 XGBoost model against libxgboost's
# XGBoosterPredictFromDense in the same run. Usage: bench/model.sh [rows]
# (BUILD defaults to build/; the library must be built). SLUICE_MODEL_SIMD=0
# in the environment gives the scalar tree walk's figures, SLUICE_MODEL_SIMD=avx2
# the AVX2 walks' on a CPU with AVX-512 (src/model/tree_simd.c).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
rows=${1:-1000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O2 -g -I"$ROOT/include" -I"$ROOT/src" -o "$tmp/model_bench" \
   "$ROOT/bench/model_bench.c" "$BUILD/libsluice.a" $libs
MODEL="$ROOT/../shared/reference/spark_pipeline_model/topup_pipeline_model"
LTFS="$ROOT/../shared/reference/ltfs_sample"
if [ -d "$MODEL" ] && [ -d "$LTFS" ]; then
    /usr/bin/python3 "$ROOT/tests/model/spark_rows.py" "$LTFS" "$tmp/rows.csv" 20000
    taskset -c 0 "$tmp/model_bench" "$MODEL" "$tmp/rows.csv" "$rows"
else
    echo "reference model absent: XGBoost figures only"
    taskset -c 0 "$tmp/model_bench" - - "$rows" 2>/dev/null || "$tmp/model_bench" "$rows"
fi
# The same models scored by predict() through the engine (SQL over a CSV
# table, one core): see bench/model_engine.sh.
BUILD="$BUILD" "$ROOT/bench/model_engine.sh"
