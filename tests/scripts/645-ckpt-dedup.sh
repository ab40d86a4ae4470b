#!/usr/bin/env bash
# Deduplication state through crashes: DEDUPLICATE BY k WITHIN WATERMARK
# (10 s watermark) over 30 files, one per batch, with duplicates inside and
# across batches, keys that expire and come back, and late rows, written to
# a 'late.sink'.  First the uninterrupted run is checked against a model of
# Spark's dropDuplicatesWithinWatermark written here (watermark = max event
# time of the earlier batches − 10 s; a row behind it is late; a key is
# remembered until the watermark passes its first event time + 10 s); then
# the run is killed with SIGKILL before random checkpoint write steps and
# restarted until done: its committed output and late rows must equal the
# uninterrupted run's, row for row (remembered keys restored, not
# forgotten: a restart with empty state would let duplicates through).
# All of it with the memory backend, then with RocksDB as the working state
# and a 1-byte cache (every key looked up in RocksDB, expiry read from it).
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/in"
$PY - "$T" <<'PY'
import json, os, random, sys
d = sys.argv[1]
r = random.Random(645)
base = 1704067200
DELAY = 10
seen, wm, mx = {}, None, None      # the model: key -> expiry; watermark; max event time
out, late, v = [], [], 0
for f in range(30):
    rows = []
    for i in range(25):
        k = "k%d" % r.randint(0, 40)
        if r.random() < 0.1:
            t = f * 4 - r.randint(15, 40)      # likely late
        else:
            t = f * 4 + r.randint(-6, 3)
        t = max(t, 0)
        rows.append((k, v, t))
        v += 1
    p = os.path.join(d, "in", "%03d.json" % f)
    with open(p, "w") as o:
        for k, x, t in rows:
            o.write('{"k":"%s","v":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' % (k, x, t // 60, t % 60))
    os.utime(p, (base + f, base + f))
    for k, x, t in rows:
        if wm is not None and t < wm:
            late.append(x)
        elif k not in seen:
            seen[k] = t + DELAY
            out.append(x)
    if wm is not None:
        seen = {k: e for k, e in seen.items() if e >= wm}
    bmax = max(t for _, _, t in rows)
    mx = bmax if mx is None else max(mx, bmax)
    wm = mx - DELAY
with open(os.path.join(d, "model_out.txt"), "w") as o:
    o.write("".join("%d\n" % x for x in sorted(out)))
with open(os.path.join(d, "model_late.txt"), "w") as o:
    o.write("".join("%d\n" % x for x in sorted(late)))
PY
cat > "$T/q.sql" <<SQL
CREATE SOURCE s (k STRING, v INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '10' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '\${OUT}', format = 'json', checkpointLocation = '\${CK}',
                    'late.sink' = '\${OUT}.late', 'state.snapshotInterval' = '5', 'state.backend' = '\${BACKEND}',
                    'state.rocksdb.cacheBytes' = '\${CACHE}', trigger = 'availableNow') AS
SELECT k, v, ts FROM s DEDUPLICATE BY k WITHIN WATERMARK;
SQL
committed() { # $1: sink dir → the v of its committed rows, sorted (read through the manifest)
    cat > "$T/read.sql" <<SQL
CREATE TABLE r (k STRING, v INT, ts TIMESTAMP) WITH (connector = 'file', path = '$1', format = 'json');
CREATE SINK back WITH (connector = 'file', path = '$1.back', format = 'json') AS SELECT v FROM r;
SQL
    rm -rf "$1.back"
    "$SLUICE" run "$T/read.sql" --quiet > "$T/read.log" 2>&1 || { cat "$T/read.log"; echo "FAIL: read back $1"; exit 1; }
    cat "$1.back"/part-*.json | sed 's/[^0-9]//g' | sort -n
}
# the memory backend, then RocksDB with a 1-byte cache (every key looked up
# in and written to RocksDB, the expiry read from it in expiry order)
for BE in memory rocksdb; do
V="--var BACKEND=$BE --var CACHE=1"
rm -rf "$T/ref" "$T/ref.late" "$T/refck" "$T/cr" "$T/cr.late" "$T/crck" "$T/crlog"
"$SLUICE" run "$T/q.sql" $V --var OUT="$T/ref" --var CK="$T/refck" --quiet > "$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: reference run"; exit 1; }
committed "$T/ref" > "$T/ref.txt"
committed "$T/ref.late" > "$T/ref_late.txt"
nl=$(wc -l < "$T/ref_late.txt") no=$(wc -l < "$T/ref.txt")
[ "$nl" -gt 0 ] && [ "$no" -gt 0 ] && [ $((nl + no)) -lt 750 ] ||
    { echo "FAIL: the data should give kept, duplicate and late rows ($no kept, $nl late)"; exit 1; }
cmp -s "$T/model_out.txt" "$T/ref.txt" || { diff "$T/model_out.txt" "$T/ref.txt" | head; echo "FAIL: kept rows differ from the model"; exit 1; }
cmp -s "$T/model_late.txt" "$T/ref_late.txt" || { diff "$T/model_late.txt" "$T/ref_late.txt" | head; echo "FAIL: late rows differ from the model"; exit 1; }
kills=0 runs=0
RANDOM=645
while [ $runs -lt 100 ]; do
    runs=$((runs + 1)); rc=0
    # (the braces keep bash's "Killed" notice off the output)
    { SLUICE_CRASH_AT_STEP=$((1 + RANDOM % 40)) "$SLUICE" run "$T/q.sql" $V --var OUT="$T/cr" --var CK="$T/crck" \
        >> "$T/crlog" 2>&1 || rc=$?; } 2>/dev/null
    [ $rc -eq 0 ] && break
    [ $rc -eq 137 ] || { tail -5 "$T/crlog"; echo "FAIL: run $runs ended with status $rc"; exit 1; }
    kills=$((kills + 1))
done
"$SLUICE" run "$T/q.sql" $V --var OUT="$T/cr" --var CK="$T/crck" --quiet >> "$T/crlog" 2>&1 || { tail -5 "$T/crlog"; echo "FAIL: final run"; exit 1; }
[ $kills -ge 10 ] || { echo "FAIL: only $kills kills landed"; exit 1; }
[ -d "$T/crck/state/0-dedupe" ] || { echo "FAIL: no deduplication state was checkpointed"; exit 1; }
committed "$T/cr" > "$T/cr.txt"
committed "$T/cr.late" > "$T/cr_late.txt"
cmp -s "$T/ref.txt" "$T/cr.txt" || { diff "$T/ref.txt" "$T/cr.txt" | head; echo "FAIL: after $kills kills the output differs"; exit 1; }
cmp -s "$T/ref_late.txt" "$T/cr_late.txt" || { diff "$T/ref_late.txt" "$T/cr_late.txt" | head; echo "FAIL: after $kills kills the late rows differ"; exit 1; }
echo "ok ($BE): deduplication state across $kills SIGKILLs: $no rows kept, $nl late rows, both equal the model and the uninterrupted run"
done
