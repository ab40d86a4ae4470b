#!/usr/bin/env bash
# sluice reads what DuckDB writes: flat files of many types (INT8/16, UINT32,
# FLOAT, DECIMAL on INT32/INT64/FIXED, TIMESTAMP with and without UTC, DATE)
# with NULLs, each compression, Parquet v1 (dictionary, plain) and v2
# (data page v2, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
# BYTE_STREAM_SPLIT) — compared with DuckDB's own rows of the source table;
# and nested files (lists, structs, maps, lists of structs, lists of lists)
# through the records reader, compared with DuckDB's JSON of the table.
set -eu
. "$(dirname "$0")/lib.sh"
need_duckdb
PQ=$BUILD/pqtool ORACLE=$ROOT/tests/oracle/parquet_oracle.js
[ -x "$PQ" ] || { echo "skip: $PQ not built"; exit 77; }
for v in V1 V2; do
    for c in snappy zstd gzip uncompressed; do
        f=$T/flat_$c$v
        node "$ORACLE" write "$f.parquet" "$c" "$v" 5000 > "$f.exp"
        "$PQ" dump "$f.parquet" > "$f.got"
        node "$ORACLE" cmp "$f.exp" "$f.got" || { echo "FAIL: flat $c $v"; exit 1; }
    done
done
for c in snappy zstd gzip uncompressed; do
    f=$T/nested_$c
    node "$ORACLE" nested "$f.parquet" "$c" > "$f.exp"
    "$PQ" records "$f.parquet" > "$f.got"
    node "$ORACLE" jsoncmp "$f.exp" "$f.got" || { echo "FAIL: nested $c"; exit 1; }
done
echo "ok: sluice read every DuckDB-written file identically"
