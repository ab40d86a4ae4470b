#!/usr/bin/env bash
# Parquet write and read throughput on the reference's prediction schema
# (ID STRING, window_start/window_end/ts TIMESTAMP, prediction DOUBLE,
# Top-up_Month STRING), sluice against DuckDB on the same rows in the same
# run, both snappy.  Data come from fixed seeds; the clock covers writing
# (from in-memory columns) and reading back every column.
#   bench/parquet.sh [ROWS]      (default 10,000,000)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROWS=${1:-10000000}
BUILD=${BUILD:-$ROOT/build}
[ -x "$BUILD/pqtool" ] || make -C "$ROOT" -s "$BUILD/pqtool" >/dev/null
[ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] || (cd "$ROOT/tests/oracle" && npm install --silent)
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
echo "parquet bench: $ROWS rows of the prediction schema, snappy, $(nproc) CPUs"
"$BUILD/pqtool" bench "$T/sluice.parquet" "$ROWS" snappy
node "$ROOT/tests/oracle/parquet_oracle.js" bench "$T/duck.parquet" "$ROWS"
# cross-check: each reads the other's file
"$BUILD/pqtool" dump "$T/duck.parquet" | tail -n +2 | wc -l | awk -v n="$ROWS" '{ if ($1 != n) { print "sluice read " $1 " rows of DuckDB file"; exit 1 } }'
echo "cross-read: ok"
