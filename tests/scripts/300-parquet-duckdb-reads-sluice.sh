#!/usr/bin/env bash
# DuckDB reads every file sluice's Parquet writer produces — every type,
# NULLs, each compression, dictionary and plain (and the dictionary's
# fallback to plain), several row groups and pages — and returns the rows
# and types sluice's seeded generator produced (printed by the generator,
# not read back through sluice).
set -eu
. "$(dirname "$0")/lib.sh"
need_duckdb
PQ=$BUILD/pqtool ORACLE=$ROOT/tests/oracle/parquet_oracle.js
[ -x "$PQ" ] || { echo "skip: $PQ not built"; exit 77; }
run() { # name rows codec dict rg_rows seed [dict_max]
    local n=$1; shift
    "$PQ" gen "$T/$n.parquet" "$@" > "$T/$n.exp"
    node "$ORACLE" read "$T/$n.parquet" > "$T/$n.duck"
    node "$ORACLE" cmp "$T/$n.exp" "$T/$n.duck" || { echo "FAIL: $n"; exit 1; }
}
run snappy_dict 5000 snappy 1 1500 1
run zstd_dict 5000 zstd 1 2000 2
run gzip_dict 3000 gzip 1 700 3
run none_dict 3000 none 1 1000 4
run snappy_plain 4000 snappy 0 1000 5
run zstd_plain 2000 zstd 0 5000 6
run fallback 4000 snappy 1 2000 7 300     # dictionary abandoned past 300 bytes
run one_row 1 snappy 1 10 8
run empty 0 snappy 1 10 9
echo "ok: DuckDB read every sluice-written file identically"
