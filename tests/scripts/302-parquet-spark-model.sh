#!/usr/bin/env bash
# sluice's nested reader on the Spark model's Parquet files in
# ../shared/reference (snappy, nested structs and arrays as Spark 3.3 writes
# them) returns the records DuckDB reads from the same files.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}"
PQ=$BUILD/pqtool ORACLE=$ROOT/tests/oracle/parquet_oracle.js
MODEL=$ROOT/../shared/reference/spark_pipeline_model
[ -d "$MODEL" ] || { echo "skip: $MODEL is absent"; exit 77; }
[ -x "$PQ" ] || { echo "skip: $PQ not built"; exit 77; }
command -v node >/dev/null || { echo "skip: node not installed"; exit 77; }
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1) ||
    { echo "skip: @duckdb/node-api not installable"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
n=0
while IFS= read -r f; do
    node "$ORACLE" tojson "$f" > "$T/exp.json"
    "$PQ" records "$f" > "$T/got.json"
    node "$ORACLE" jsoncmp "$T/exp.json" "$T/got.json" || { echo "FAIL: $f"; exit 1; }
    n=$((n + 1))
done < <(find "$MODEL" -name '*.parquet' | sort)
[ "$n" -gt 0 ] || { echo "FAIL: no parquet files under $MODEL"; exit 1; }
echo "ok: $n Spark model files read as DuckDB reads them"
