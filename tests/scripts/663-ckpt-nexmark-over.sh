#!/usr/bin/env bash
# Nexmark q6 and q19 (bench/nexmark/q6.sql, q19.sql) with a checkpoint, killed
# and restarted (issue 6). q6 is a chain of three stateful operators — an
# interval join of auctions and bids, the per-auction MAX closed at the
# auction's expiry, then AVG OVER each seller's last 11 closed auctions
# (ROWS BETWEEN 10 PRECEDING AND CURRENT ROW) in append mode; q19 is the top
# 10 bids of each auction (row_number() <= 10, update mode). Each query runs
# from the nexmark source (20,000 events, 1,000 a batch, 1,000 events per
# second of event time so that auctions close) into a file sink: once
# uninterrupted, then with the memory backend and with RocksDB killed with
# SIGKILL — two thirds of the runs just before a random checkpoint or
# manifest step (SLUICE_CRASH_AT_STEP), a third at a random instant — and
# restarted (15 runs at most, then one runs to the end). Every batch's
# committed file must equal the uninterrupted run's byte for byte. (The
# uninterrupted results equal DuckDB's in 720-nexmark-duckdb.sh.)
set -eu
. "$(dirname "$0")/lib.sh"
VARS="--var EVENTS=20000 --var BATCH=1000 --var RATE=1000"

write_sql() { # $1: query (q6, q19), $2: dir of the run, $3: state backend
    mkdir -p "$2"
    sed "s|connector = 'blackhole'|connector = 'file', path = '$2/out', format = 'json', checkpointLocation = '$2/ck', 'state.snapshotInterval' = '4', 'minBatchesToRetain' = '5', 'state.backend' = '$3'|; s|maxEventsPerTrigger = '\${BATCH}'|maxEventsPerTrigger = '\${BATCH}', 'events.per.second' = '\${RATE}'|" \
        "$ROOT/bench/nexmark/$1.sql" > "$2/q.sql"
    grep -q "checkpointLocation = '$2/ck'" "$2/q.sql" && grep -q "events.per.second" "$2/q.sql" ||
        { echo "FAIL: could not rewrite bench/nexmark/$1.sql's sink and sources"; exit 1; }
}

for q in q6 q19; do
    R=$T/$q-ref; write_sql $q "$R" memory
    t0=$(date +%s%N)
    "$SLUICE" run "$R/q.sql" $VARS --quiet > "$R/log" 2>&1 || { cat "$R/log"; echo "FAIL: $q reference run"; exit 1; }
    dur_ms=$(( ($(date +%s%N) - t0) / 1000000 )); [ $dur_ms -ge 20 ] || dur_ms=20
    nrows=$(cat "$R"/out/part-*.json | wc -l)
    [ "$nrows" -ge 300 ] || { echo "FAIL: $q's uninterrupted run wrote only $nrows rows"; exit 1; }
    for backend in ${BACKENDS:-memory rocksdb}; do
        C=$T/$q-$backend; write_sql $q "$C" $backend
        RANDOM=663
        crash_restart "$C" 15 3 30 $dur_ms $VARS
        [ $KILLS -ge 8 ] || fail "$q, $backend: only $KILLS kills landed; the harness did not test recovery"
        for f in "$R"/out/part-*.json; do
            cmp -s "$f" "$C/out/${f##*/}" || { echo "FAIL ($q, $backend): batch file ${f##*/} differs from the uninterrupted run's"
                                              diff "$f" "$C/out/${f##*/}" | head -10; exit 1; }
        done
        [ "$(ls "$C/out" | grep -c '^part-')" -eq "$(ls "$R/out" | grep -c '^part-')" ] ||
            { echo "FAIL ($q, $backend): other batch files than the uninterrupted run's"; exit 1; }
        [ "$RERUNS" -ge 1 ] || fail "$q, $backend: no restart re-ran a batch cut short"
        echo "ok ($q, $backend): $KILLS SIGKILLs over $RUNS runs ($RERUNS re-runs of a batch cut short), every batch equals the uninterrupted run ($nrows rows)"
    done
done
