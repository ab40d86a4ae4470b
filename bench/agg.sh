#!/usr/bin/env bash
# Aggregation benchmark (issue 2, benchmark b): bench/agg.sh [rows [files]]
# (default 10M rows in 10 CSV files, 4000 keys; fixed seed).
#  1. Pipeline: `sluice run` reads the CSV files (one file a micro-batch),
#     aggregates (count, sum, avg, min, max) and writes CSV files — GROUP BY k
#     in complete mode, and GROUP BY a 10-minute window and k in append mode
#     with a 10 s watermark. Rows/s per core = rows / (user + system CPU
#     time of the process), and its peak RSS, from /usr/bin/time.
#     Reference: DuckDB (node @duckdb/node-api, threads = 1) running the same
#     queries over the same files in the same run; the answers must agree.
#  2. Engine alone (bench/agg_bench.c): the rate source → the same
#     aggregates → a callback, against a plain C hash aggregation.
# Needs build/sluice and build/libsluice.a (make bench builds them).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
ROWS=${1:-10000000} FILES=${2:-10}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
libs=$(sed -n 's/^LIBS *:= *//p' "$ROOT/Makefile")
cc -std=c11 -D_GNU_SOURCE -O2 -I"$ROOT/include" -o "$tmp/agg_bench" "$ROOT/bench/agg_bench.c" "$BUILD/libsluice.a" $libs

echo "machine: $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores"
"$tmp/agg_bench" gen "$tmp/in" "$ROWS" "$FILES"
mb=$(du -sm "$tmp/in" | cut -f1)
echo "pipeline: $ROWS CSV rows ($mb MB, $FILES files, one a micro-batch), 4000 keys, file source -> aggregate -> file sink:"

src="CREATE SOURCE ev (k STRING, v BIGINT, x DOUBLE, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$tmp/in', format = 'csv', maxFilesPerTrigger = '1');"
cat > "$tmp/plain.sql" <<SQL
SET 'trigger' = 'availableNow';
$src
CREATE SINK g WITH (connector = 'file', path = '$tmp/out/plain', format = 'csv', 'output.mode' = 'complete') AS
SELECT k, count(*) AS n, sum(v) AS s, avg(x) AS a, min(x) AS mn, max(v) AS mx FROM ev GROUP BY k;
SQL
cat > "$tmp/windowed.sql" <<SQL
SET 'trigger' = 'availableNow';
$src
CREATE SINK g WITH (connector = 'file', path = '$tmp/out/windowed', format = 'csv', 'output.mode' = 'append') AS
SELECT k, window.start AS window_start, count(*) AS n, sum(v) AS s, avg(x) AS a, min(x) AS mn, max(v) AS mx
FROM ev GROUP BY window(ts, '10 minutes'), k;
SQL

# The input once through the page cache before anything is timed.
cat "$tmp"/in/*.csv >/dev/null
mkdir -p "$tmp/out"
declare -A cpu rss
for q in plain windowed; do
    /usr/bin/time -f '%U %S %M' -o "$tmp/$q.time" "$BUILD/sluice" run "$tmp/$q.sql" --quiet
    read -r u s m < "$tmp/$q.time"
    cpu[$q]=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
    rss[$q]=$((m / 1024))
done

duck=""
if command -v node >/dev/null &&
    { [ -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ] ||
        (cd "$ROOT/tests/oracle" && npm install --silent >/dev/null 2>&1); }; then
    duck=$(node "$ROOT/bench/agg_duckdb.js" run "$tmp/in" "$tmp/out") || duck=""
fi
rc=0
for q in plain windowed; do
    label="GROUP BY k (complete)"; [ $q = windowed ] && label="GROUP BY window 10 min, k (append)"
    line=$(awk -v n="$ROWS" -v c="${cpu[$q]}" -v r="${rss[$q]}" -v l="$label" \
        'BEGIN { printf "  %-36s sluice %7.2f s CPU %11.0f rows/s/core  peak RSS %5d MB", l, c, n / c, r }')
    d=$(awk -v q=$q '$1 == q { print $2 }' <<<"$duck")
    if [ -n "$d" ]; then
        line+=$(awk -v n="$ROWS" -v c="${cpu[$q]}" -v d="$d" \
            'BEGIN { printf " | DuckDB 1 thread (ref) %6.2f s %11.0f rows/s | sluice/DuckDB time %.2fx", d, n / d, c / d }')
    else
        line+=" | DuckDB reference not available"
    fi
    echo "$line"
done
if [ -n "$duck" ]; then
    while read -r q groups missing extra differ; do
        echo "  check $q: DuckDB $groups groups; sluice misses $missing, adds $extra, differs in $differ"
        [ "$missing" = 0 ] && [ "$extra" = 0 ] && [ "$differ" = 0 ] && [ "$groups" -gt 0 ] || rc=1
    done < <(node "$ROOT/bench/agg_duckdb.js" compare "$tmp/out")
fi
"$tmp/agg_bench" engine "$ROWS" 1000000 || rc=1
exit $rc
