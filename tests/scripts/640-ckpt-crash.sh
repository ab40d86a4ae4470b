#!/usr/bin/env bash
# Crash harness for exactly-once recovery (issue 6).  A windowed
# aggregation with a watermark (append mode, count/sum/min/max/avg) reads 40
# JSON files one per batch and writes a JSON file sink, with a checkpoint.
# It is killed with SIGKILL many times — half the time at a random instant,
# half the time by SLUICE_CRASH_AT_STEP just before a random step (open,
# write, fsync, rename, dirsync) of a checkpoint or manifest write — and
# restarted each time until one run reaches the end; once with the memory
# state backend, once with RocksDB and once with RocksDB and a 1-byte cache.  The committed output
# (read back through the sink's manifest) must equal, row for row, both an
# uninterrupted run's and what an independent Python model of Spark's
# append-mode semantics computes from the files and batch boundaries:
# nothing lost, nothing duplicated.
set -eu
. "$(dirname "$0")/lib.sh"
NFILES=40

mkdir -p "$T/in"
$PY - "$T/in" $NFILES <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
r = random.Random(6)
base = 1704067200  # 2024-01-01 00:00:00 UTC
for f in range(n):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for i in range(30):
            # event time drifts forward ~20 s per file, out of order by up to 40 s
            t = max(0, f * 20 + r.randint(-40, 15))
            o.write('{"k":"%s","v":%d,"ts":"2024-01-01 %02d:%02d:%02d"}\n'
                    % (r.choice("abcd"), r.randint(-50, 100), t // 3600, t // 60 % 60, t % 60))
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
SELECT k, window_start, window_end, count(*) AS n, sum(v) AS total, min(v) AS lo, max(v) AS hi, avg(v) AS mean
FROM s GROUP BY k, window(ts, '1 minute');
SQL
    # Reads a sink directory back through its manifest (committed files only).
    cat > "$1/read.sql" <<SQL
CREATE TABLE r (k STRING, window_start TIMESTAMP, window_end TIMESTAMP, n BIGINT, total BIGINT,
                lo INT, hi INT, mean DOUBLE)
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
$PY - "$T/in" "$T/ref/rows.txt" <<'PY' || { echo "FAIL: the uninterrupted run differs from the model"; exit 1; }
import json, os, sys, calendar, time
d = sys.argv[1]
def secs(s): return calendar.timegm(time.strptime(s[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S"))
batches = [[json.loads(l) for l in open(os.path.join(d, f))] for f in sorted(os.listdir(d))]
wm, maxts, state, out = None, None, {}, []
def finish():
    for key in sorted(state):
        if wm is not None and key[1] + 60 <= wm:
            out.append((key, state.pop(key)))
for b in batches + [[]]:          # the files, then the no-data batch the last watermark triggers
    for r in b:
        t = secs(r["ts"])
        ws = t - t % 60
        if wm is not None and ws + 60 <= wm: continue       # late: dropped
        st = state.setdefault((r["k"], ws), [])
        st.append(r["v"])
    finish()
    for r in b:
        t = secs(r["ts"]); maxts = t if maxts is None else max(maxts, t)
    if maxts is not None and (wm is None or maxts - 30 > wm): wm = maxts - 30
want = sorted((k, ws, len(v), sum(v), min(v), max(v), round(sum(v) / len(v), 9)) for (k, ws), v in out)
got = sorted((r["k"], secs(r["window_start"]), r["n"], r["total"], r["lo"], r["hi"], round(r["mean"], 9))
             for r in map(json.loads, open(sys.argv[2])))
if got != want:
    print("model:", len(want), "windows; sluice:", len(got))
    for w in want:
        if w not in got: print("  missing", w)
    for g in got:
        if g not in want: print("  extra", g)
    sys.exit(1)
print("uninterrupted run: %d windows equal the model's" % len(got))
PY

# 3. the crashed and restarted run, with each state backend
# (rocksdb keeps the groups in RocksDB with a cache in memory; with a 1-byte
# cache every group of every batch is read from and written to RocksDB)
for backend in memory rocksdb rocksdb-cache1; do
C=$T/crash-$backend; mkdir -p "$C"; write_sql "$C" "$backend"
RANDOM=640
crash_restart "$C" 80 2 40 $dur_ms
[ $KILLS -ge 10 ] || fail "only $KILLS kills landed; the harness did not test recovery"
read_back "$C"
if ! cmp -s "$T/ref/rows.txt" "$C/rows.txt"; then
    echo "FAIL ($backend): after $KILLS kills the output differs from the uninterrupted run"
    diff "$T/ref/rows.txt" "$C/rows.txt" | head -20
    exit 1
fi
[ "$RERUNS" -ge 1 ] || fail "no restart re-ran a batch cut short ($RESUMES resumes): the harness missed that path"
echo "ok ($backend): $KILLS SIGKILLs over $RUNS runs ($RESUMES resumes, $RERUNS re-runs of a batch cut short), output equals the uninterrupted run ($(wc -l < "$C/rows.txt") windows, exactly once)"
done
