#!/usr/bin/env bash
# Nexmark correctness: runs the windowed and join queries (q3, q4, q5, q6,
# q7, q8), q15, q18 and q19 over EVENTS events with their blackhole sink swapped for a CSV
# file sink, writes the same events with `sluice gen nexmark`, and has
# DuckDB evaluate Flink's definitions of the queries over them in one batch
# (bench/nexmark/check.js); prints one line per query, exits 1 if any
# result differs, 77 if DuckDB (node + @duckdb/node-api) is not available.
#
#   bench/nexmark/check.sh EVENTS WORKDIR [qN …]
#
# Used by tests/scripts/720-nexmark-duckdb.sh (200k events) and by
# bench/nexmark/run.sh (the benchmark's event count). WORKDIR receives
# events/ and out/; the caller removes it.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
SLUICE=${SLUICE:-$ROOT/build/sluice}
DIR=$ROOT/bench/nexmark
EVENTS=${1:?usage: check.sh EVENTS WORKDIR [qN …]}
WORK=${2:?usage: check.sh EVENTS WORKDIR [qN …]}
shift 2
QUERIES=${*:-q3 q4 q5 q6 q7 q8 q15 q18 q19}
BATCH=${NEXMARK_BATCH:-100000}

command -v node >/dev/null || { echo "skipped: node is not installed"; exit 77; }
if [ ! -d "$ROOT/tests/oracle/node_modules/@duckdb/node-api" ]; then
    (cd "$ROOT/tests/oracle" && npm install --silent --no-audit --no-fund >/dev/null 2>&1) ||
        { echo "skipped: @duckdb/node-api is not installable"; exit 77; }
fi

mkdir -p "$WORK/out"
if [ "$(cat "$WORK/events/.count" 2>/dev/null)" != "$EVENTS" ]; then
    rm -rf "$WORK/events"
    "$SLUICE" gen nexmark --events "$EVENTS" --out "$WORK/events" >/dev/null 2>&1 || { echo "FAIL: sluice gen nexmark"; exit 1; }
    echo "$EVENTS" > "$WORK/events/.count"
fi

for q in $QUERIES; do
    rm -rf "$WORK/out/$q"
    # The same SQL as the benchmark; only the sink differs.
    sed -e "s#connector = 'blackhole'#connector = 'file', path = '$WORK/out/$q', format = 'csv'#" \
        "$DIR/$q.sql" > "$WORK/$q.sql"
    grep -q "connector = 'file'" "$WORK/$q.sql" || { echo "FAIL: $q.sql has no blackhole sink to replace"; exit 1; }
    if ! "$SLUICE" run "$WORK/$q.sql" --var EVENTS="$EVENTS" --var BATCH="$BATCH" --quiet 2> "$WORK/$q.err"; then
        echo "FAIL: $q: sluice run failed: $(tail -1 "$WORK/$q.err")"
        exit 1
    fi
done

NODE_PATH=$ROOT/tests/oracle/node_modules node "$DIR/check.js" "$WORK/events" "$WORK/out" $QUERIES
