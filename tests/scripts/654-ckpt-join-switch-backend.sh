#!/usr/bin/env bash
# 'state.backend' may change across a restart of a stream-stream join
# (docs/CHECKPOINTS.md, compatibility table): a left outer interval join
# over 24 file pairs is stopped (SLUICE_CRASH_AT_STEP) every few batches and
# restarted against the same checkpoint with the backend changed every time
# — memory → RocksDB (the memory checkpoint's rows written into an empty
# store, the next version a snapshot) → memory (the RocksDB records read
# back) → RocksDB with a 1-byte cache … — and once in another order.
# Each output, the NULL-padded unmatched rows included, must equal an
# uninterrupted memory run's row for row, which must equal a Python left
# join of the input (no row is late; the unmatched rows still kept at the
# end are not out yet).
set -eu
. "$(dirname "$0")/lib.sh"
need_python
mkdir -p "$T/gen/a" "$T/gen/b"
$PY - "$T/gen" <<'PY'
import os, random, sys
d = sys.argv[1]
r = random.Random(654)
base = 1704067200
for f in range(24):
    for side in "ab":
        p = os.path.join(d, side, "%03d.json" % f)
        with open(p, "w") as o:
            for i in range(20):
                t = f * 10 + r.randint(0, 9)
                o.write('{"k":%d,"x":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' % (r.randint(0, 40), r.randint(0, 999), t // 60, t % 60))
        os.utime(p, (base + f, base + f))
PY
run() { # $1: name, $2: backend (rocksdb-cache1: a 1-byte cache), $3: SLUICE_CRASH_AT_STEP or empty
    local be=$2 extra=
    [ "$be" = rocksdb-cache1 ] && be=rocksdb extra="'state.rocksdb.cacheBytes' = '1',"
    mkdir -p "$T/$1"
    cat > "$T/$1/q.sql" <<SQL
CREATE SOURCE a (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/gen/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/gen/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/$1/out', format = 'json', checkpointLocation = '$T/$1/ck',
                    'state.backend' = '$be', $extra 'state.snapshotInterval' = '4', trigger = 'availableNow') AS
SELECT a.k AS ak, a.x AS ax, b.x AS bx FROM a LEFT JOIN b
ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND;
SQL
    local rc=0
    if [ -n "$3" ]; then
        ( (SLUICE_CRASH_AT_STEP=$3 exec "$SLUICE" run "$T/$1/q.sql") >> "$T/$1/log" 2>&1 ) 2>/dev/null || rc=$?
        [ $rc -eq 137 ] || { tail -5 "$T/$1/log"; fail "$1: the $2 run was not stopped at step $3 (status $rc)"; }
    else
        "$SLUICE" run "$T/$1/q.sql" >> "$T/$1/log" 2>&1 || { tail -5 "$T/$1/log"; fail "$1: the $2 run failed"; }
    fi
}
rows() { # $1: name → $T/$1.rows, the committed output (read through the sink's manifest)
    cat > "$T/$1/read.sql" <<SQL
CREATE TABLE r (ak INT, ax INT, bx INT) WITH (connector = 'file', path = '$T/$1/out', format = 'json');
CREATE SINK back WITH (connector = 'file', path = '$T/$1/back', format = 'json') AS SELECT * FROM r;
SQL
    "$SLUICE" run "$T/$1/read.sql" --quiet > "$T/$1/read.log" 2>&1 || { cat "$T/$1/read.log"; fail "read back"; }
    cat "$T/$1"/back/part-*.json | sort > "$T/$1.rows"
}
run ref memory ""
rows ref
$PY - "$T/gen" "$T/ref.rows" <<'PY' || exit 1
import calendar, json, os, sys, time
d = sys.argv[1]
def secs(s): return calendar.timegm(time.strptime(s[:19], "%Y-%m-%d %H:%M:%S"))
def load(side): return [json.loads(l) for f in sorted(os.listdir(os.path.join(d, side))) for l in open(os.path.join(d, side, f))]
A, B = load("a"), load("b")
# the last watermark (the slower stream's max event time - 20 s) evicts a
# left row once it passes the row's bound (ts + 5 s): an unmatched row
# comes out NULL-padded then; the ones still kept at the end do not
wm = min(max(secs(r["ts"]) for r in A), max(secs(r["ts"]) for r in B)) - 20
want = []
for a in A:
    m = [b for b in B if a["k"] == b["k"] and abs(secs(a["ts"]) - secs(b["ts"])) <= 5]
    want += [(a["k"], a["x"], b["x"]) for b in m] or ([(a["k"], a["x"], None)] if secs(a["ts"]) + 5 < wm else [])
got = [(r["ak"], r["ax"], r.get("bx")) for r in map(json.loads, open(sys.argv[2]))]
if sorted(got, key=repr) != sorted(want, key=repr):
    print("FAIL: the uninterrupted run (%d rows) differs from Python's left join (%d rows)" % (len(got), len(want)))
    sys.exit(1)
print("uninterrupted run: %d rows (%d unmatched) equal Python's left join" % (len(got), sum(1 for w in want if w[2] is None)))
PY
# each run is stopped by SLUICE_CRASH_AT_STEP a few batches on (every
# batch writes offsets, state, commit and a manifest: ~20 steps)
for order in "memory rocksdb memory rocksdb-cache1 memory rocksdb" "rocksdb memory rocksdb-cache1 memory rocksdb-cache1 memory"; do
    name=sw-${order// /-}
    for be in $order; do run "$name" $be 70; done
    run "$name" memory ""
    rows "$name"
    cmp -s "$T/ref.rows" "$T/$name.rows" ||
        { diff "$T/ref.rows" "$T/$name.rows" | head; fail "$order: the output differs from the uninterrupted run"; }
    n=$(grep -c 'resuming from checkpoint' "$T/$name/log")
    [ "$n" -eq 6 ] || fail "$order: $n restarts, not 6"
    echo "ok: $order, then memory to the end, stopped every few batches: output equals the uninterrupted run"
done
