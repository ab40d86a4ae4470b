#!/usr/bin/env bash
# Event-time benchmark (issue 3): bench/evtime.sh [events] (default 10M).
# sluice (bench/evtime_bench.c, the library through its public API, one
# core): out-of-order events over 100k keys, 5 s watermark, 10 s tumbling
# windows, count and sum per key, append mode; CPU time, input rows/s per
# core, peak RSS.  Reference, same run, same rows: DuckDB with one thread
# (bench/evtime_duckdb.js) generating the rows and aggregating them in one
# batch query, and aggregating them from a table.  The closed windows'
# totals must agree.  Needs build/libsluice.a.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
N=${1:-10000000}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/include" -o "$tmp/evtime_bench" "$ROOT/bench/evtime_bench.c" "$BUILD/libsluice.a" $libs
pin=""; command -v taskset >/dev/null && pin="taskset -c 0"

echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
echo "event time: $N out-of-order events (jitter 0-3 s, watermark 5 s), 100k keys, 10 s tumbling window, count + sum, append mode, 1 core:"
$pin "$tmp/evtime_bench" "$N" > "$tmp/sluice.out"
read -r _ cpu wall rss batches late < <(grep '^sluice ' "$tmp/sluice.out")
read -r _ rows cnt sum < <(grep '^result ' "$tmp/sluice.out")
awk -v n="$N" -v c="$cpu" -v w="$wall" -v r="$rss" -v b="$batches" -v l="$late" 'BEGIN {
    printf "  sluice stream (rate source -> window aggregate -> callback)  %7.2f s CPU (%.2f s wall) %11.0f rows/s/core  peak RSS %d MB  %d batches, %d late\n",
           c, w, n / c, r, b, l }'
rc=0
if command -v node >/dev/null &&
    { [ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] ||
        (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1); } &&
    $pin node "$ROOT/bench/evtime_duckdb.js" "$N" > "$tmp/duck.out"; then
    while read -r name dcpu drows dcnt dsum; do
        label="DuckDB 1 thread, generate + GROUP BY (ref)"
        [ "$name" = agg ] && label="DuckDB 1 thread, GROUP BY of a table (ref)"
        awk -v n="$N" -v c="$dcpu" -v l="$label" -v s="$cpu" \
            'BEGIN { printf "  %-61s %7.2f s CPU %11.0f rows/s/core  (sluice/DuckDB time %.2fx)\n", l, c, n / c, s / c }'
        if [ "$drows $dcnt $dsum" != "$rows $cnt $sum" ]; then
            echo "  MISMATCH ($name): DuckDB closed windows/count/sum $drows $dcnt $dsum, sluice $rows $cnt $sum"; rc=1
        fi
    done < "$tmp/duck.out"
    [ $rc = 0 ] && echo "  check: the same $rows closed windows ($cnt events, sum $sum) in sluice and DuckDB"
else
    echo "  DuckDB reference not available (node / @duckdb/node-api)"
fi
exit $rc
