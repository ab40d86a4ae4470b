#!/usr/bin/env bash
# Crash harness for session windows (issue 6), as 640 for tumbling windows:
# GROUP BY session_window(ts, '5 seconds'), k with a watermark, append mode
# (count/sum/min/max), 40 JSON files one per batch to a JSON file sink with
# a checkpoint, killed with SIGKILL many times — half the time at a random
# instant, half the time by SLUICE_CRASH_AT_STEP just before a random step
# of a checkpoint or manifest write — and restarted until one run reaches
# the end; with the memory backend, RocksDB as the sessions' working state,
# RocksDB with a 1-byte cache (every key's sessions read from RocksDB in
# every batch), and switching backend at every restart (a checkpoint of
# either restores into the other).  The committed output must equal an uninterrupted run's row
# for row, and that run an independent Python model (session_model.py).
set -eu
. "$(dirname "$0")/lib.sh"
need_python
NFILES=40
mkdir -p "$T/in"
$PY - "$T/in" $NFILES <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(652)
base = 1704067200  # 2024-01-01 00:00:00 UTC
for f in range(n):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for i in range(30):
            # event time drifts forward ~20 s per file, out of order by up to 40 s
            t = max(0, f * 20 + r.randint(-40, 15))
            o.write('{"k":"%s","v":%d,"ts":"2024-01-01 %02d:%02d:%02d"}\n'
                    % (r.choice("abcdefghijklmnopqrstuvwxyz"), r.randint(-50, 100), t // 3600, t // 60 % 60, t % 60))
    os.utime(p, (base + f, base + f))  # one file per batch, in this order
PY

write_sql() { # $1: dir of the run, $2: state backend (default memory; rocksdb-cache1: a 1-byte cache)
    local be=${2:-memory} extra=
    [ "$be" = rocksdb-cache1 ] && be=rocksdb extra="'state.rocksdb.cacheBytes' = '1',"
    cat > "$1/q.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '30' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$1/out', format = 'json',
                    checkpointLocation = '$1/ck', 'state.snapshotInterval' = '4',
                    'minBatchesToRetain' = '5', 'state.backend' = '$be', $extra trigger = 'availableNow') AS
SELECT k, window_start, window_end, count(*) AS n, sum(v) AS total, min(v) AS lo, max(v) AS hi
FROM s GROUP BY session_window(ts, '5 seconds'), k;
SQL
    # Reads a sink directory back through its manifest (committed files only).
    cat > "$1/read.sql" <<SQL
CREATE TABLE r (k STRING, window_start TIMESTAMP, window_end TIMESTAMP, n BIGINT, total BIGINT,
                lo INT, hi INT)
WITH (connector = 'file', path = '$1/out', format = 'json');
CREATE SINK back WITH (connector = 'file', path = '$1/back', format = 'json') AS SELECT * FROM r;
SQL
}

read_back() { # $1: dir → $1/rows.txt, sorted
    "$SLUICE" run "$1/read.sql" --quiet > "$1/read.log" 2>&1 || { cat "$1/read.log"; echo "FAIL: read back"; exit 1; }
    cat "$1"/back/part-*.json 2>/dev/null | sort > "$1/rows.txt"
}

# 1. the uninterrupted run
mkdir -p "$T/ref"; write_sql "$T/ref"
t0=$(date +%s%N)
"$SLUICE" run "$T/ref/q.sql" --quiet > "$T/ref/log" 2>&1 || { cat "$T/ref/log"; echo "FAIL: reference run"; exit 1; }
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 )); [ $dur_ms -ge 20 ] || dur_ms=20
read_back "$T/ref"
[ -s "$T/ref/rows.txt" ] || { echo "FAIL: the reference run wrote nothing"; exit 1; }

# 2. the independent model of the same run
$PY "$ROOT/tests/scripts/session_model.py" "$T/in" 5 30 "$T/ref/rows.txt" ||
    fail "the uninterrupted run differs from the model"

# 3. the crashed and restarted run, with each state backend
# (rocksdb keeps the groups in RocksDB with a cache in memory; with a 1-byte
# cache every group of every batch is read from and written to RocksDB)
# switching: each restart changes 'state.backend' (memory → rocksdb → 1-byte cache → memory …)
before_run() { [ $backend = switching ] || return 0; local bs=(memory rocksdb rocksdb-cache1); write_sql "$C" "${bs[$1 % 3]}"; }
for backend in memory rocksdb rocksdb-cache1 switching; do
C=$T/crash-$backend; mkdir -p "$C"; [ $backend = switching ] || write_sql "$C" "$backend"
RANDOM=640
crash_restart "$C" 80 2 40 $dur_ms
[ $KILLS -ge 10 ] || fail "$backend: only $KILLS kills landed; the harness did not test recovery"
read_back "$C"
if ! cmp -s "$T/ref/rows.txt" "$C/rows.txt"; then
    echo "FAIL ($backend): after $KILLS kills the output differs from the uninterrupted run"
    diff "$T/ref/rows.txt" "$C/rows.txt" | head -20
    exit 1
fi
[ "$RERUNS" -ge 1 ] || fail "$backend: no restart re-ran a batch cut short ($RESUMES resumes): the harness missed that path"
echo "ok ($backend): $KILLS SIGKILLs over $RUNS runs ($RESUMES resumes, $RERUNS re-runs of a batch cut short), output equals the uninterrupted run ($(wc -l < "$C/rows.txt") sessions, exactly once)"
done
