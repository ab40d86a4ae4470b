#!/usr/bin/env bash
# The parquet sink, driven batch by batch with every third batch crashing
# before its commit and replayed: DuckDB reads the directory (files rolled
# across batches by reopening them, Hive partitions with escaped and NULL
# values) and finds exactly the generator's rows, each once.
set -eu
. "$(dirname "$0")/lib.sh"
need_duckdb
PQ=$BUILD/pqtool ORACLE=$ROOT/tests/oracle/parquet_oracle.js
[ -x "$PQ" ] || { echo "skip: $PQ not built"; exit 77; }
"$PQ" sink "$T/flat" 7 300 700 > "$T/flat.exp"
n=$(find "$T/flat" -name '*.parquet' | wc -l)
[ "$n" -eq 3 ] || { echo "FAIL: expected 3 rolled files for 2100 rows at 700 per file, found $n"; exit 1; }
node "$ORACLE" readdir "$T/flat" seq > "$T/flat.duck"
node "$ORACLE" cmp "$T/flat.exp" "$T/flat.duck" || { echo "FAIL: unpartitioned sink"; exit 1; }
"$PQ" sink "$T/part" 7 300 250 part > "$T/part.exp"
[ -d "$T/part/part=b%2Fc" ] && [ -d "$T/part/part=__HIVE_DEFAULT_PARTITION__" ] || { echo "FAIL: partition directories"; ls "$T/part"; exit 1; }
node "$ORACLE" readdir "$T/part" seq > "$T/part.duck"
node "$ORACLE" cmp "$T/part.exp" "$T/part.duck" || { echo "FAIL: partitioned sink"; exit 1; }
[ -f "$T/part/_sluice_metadata/6" ] || { echo "FAIL: no manifest for batch 6"; exit 1; }
echo "ok: sink output read by DuckDB, exactly once"
