#!/usr/bin/env bash
# Join state through crashes: a stream-stream left outer interval join
# (20 s watermarks) over 30 file pairs, one pair per batch, killed with
# SIGKILL before random checkpoint write steps and restarted until done.
# The kept rows of both sides (with their matched marks, which decide the
# NULL-padded rows emitted at eviction) are checkpointed and restored; the
# committed output must equal an uninterrupted run's row for row, including
# the unmatched rows.  The crashes run once with the memory backend, once
# with RocksDB as the join's working state and its default cache (the rows
# stay in memory, logged in each version's delta, and move into RocksDB at
# each snapshot), with a 5 KB cache (the last few batches' rows stay in
# memory, older ones move into RocksDB) and with a 1-byte cache (every
# kept row moves into RocksDB at the end of its batch), all against the
# memory backend's uninterrupted run.  Then full, right, string-keyed,
# NULL-keyed and unbounded joins run once with each backend: equal output.
set -eu
: "${ROOT:=$(cd "$(dirname "$0")/../.." && pwd)}" "${BUILD:=$ROOT/build}" "${SLUICE:=$BUILD/sluice}"
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/a" "$T/b"
$PY - "$T" <<'PY'
import os, random, sys
d = sys.argv[1]
r = random.Random(4)
base = 1704067200
for f in range(30):
    for side in "ab":
        p = os.path.join(d, side, "%03d.json" % f)
        with open(p, "w") as o:
            for i in range(20):
                t = max(f * 10 + r.randint(-15, 5), 0)
                o.write('{"k":%d,"x":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' % (r.randint(0, 80), r.randint(0, 999), t // 60, t % 60))
        os.utime(p, (base + f, base + f))
PY
write_sql() { # $1: file, $2: state backend (rocksdb-cache1: RocksDB with a 1-byte cache)
    local extra=""
    [ "$2" = rocksdb-cache1 ] && extra="'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '1',"
    [ "$2" = rocksdb ] && extra="'state.backend' = 'rocksdb',"
    [ "$2" = rocksdb-cache5k ] && extra="'state.backend' = 'rocksdb', 'state.rocksdb.cacheBytes' = '5000',"
    cat > "$1" <<SQL
CREATE SOURCE a (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '\${OUT}', format = 'json', checkpointLocation = '\${CK}',
                    $extra 'state.snapshotInterval' = '5', trigger = 'availableNow') AS
SELECT a.k, a.x AS ax, b.x AS bx FROM a LEFT JOIN b
ON a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND;
SQL
}
write_sql "$T/q.sql" memory
committed() { # $1: sink dir → its committed rows, sorted (read through the manifest)
    cat > "$T/read.sql" <<SQL
CREATE TABLE r (k INT, ax INT, bx INT) WITH (connector = 'file', path = '$1', format = 'json');
CREATE SINK back WITH (connector = 'file', path = '$1.back', format = 'json') AS SELECT * FROM r;
SQL
    "$SLUICE" run "$T/read.sql" --quiet > "$T/read.log" 2>&1 || { cat "$T/read.log"; echo "FAIL: read back"; exit 1; }
    cat "$1.back"/part-*.json | sort
}
"$SLUICE" run "$T/q.sql" --var OUT="$T/ref" --var CK="$T/refck" --quiet > "$T/log" 2>&1 || { cat "$T/log"; echo "FAIL: reference run"; exit 1; }
committed "$T/ref" > "$T/ref.txt"
unmatched=$(grep -vc '"bx"' "$T/ref.txt" || true)
[ "$unmatched" -gt 0 ] && [ "$(wc -l < "$T/ref.txt")" -gt "$unmatched" ] ||
    { echo "FAIL: the data should give matched and unmatched rows"; exit 1; }
crash_run() { # $1: state backend
    local be=$1 kills=0 runs=0 rc
    write_sql "$T/q-$be.sql" "$be"
    RANDOM=643
    while [ $runs -lt 100 ]; do
        runs=$((runs + 1)); rc=0
        SLUICE_CRASH_AT_STEP=$((1 + RANDOM % 40)) "$SLUICE" run "$T/q-$be.sql" --var OUT="$T/cr-$be" --var CK="$T/crck-$be" \
            >> "$T/crlog-$be" 2>&1 || rc=$?
        [ $rc -eq 0 ] && break
        [ $rc -eq 137 ] || { tail -5 "$T/crlog-$be"; echo "FAIL: $be: run $runs ended with status $rc"; exit 1; }
        kills=$((kills + 1))
    done
    "$SLUICE" run "$T/q-$be.sql" --var OUT="$T/cr-$be" --var CK="$T/crck-$be" --quiet >> "$T/crlog-$be" 2>&1 ||
        { tail -5 "$T/crlog-$be"; echo "FAIL: $be: final run"; exit 1; }
    [ $kills -ge 10 ] || { echo "FAIL: $be: only $kills kills landed"; exit 1; }
    [ -d "$T/crck-$be/state/0-symmetricHashJoin" ] || { echo "FAIL: $be: no join state was checkpointed"; exit 1; }
    if [ "$be" != memory ]; then
        ls -d "$T/crck-$be/state/0-symmetricHashJoin/"*.snapdir > /dev/null 2>&1 ||
            { echo "FAIL: $be: the join state has no RocksDB snapshot"; exit 1; }
    fi
    committed "$T/cr-$be" > "$T/cr-$be.txt"
    cmp -s "$T/ref.txt" "$T/cr-$be.txt" ||
        { diff "$T/ref.txt" "$T/cr-$be.txt" | head; echo "FAIL: $be: after $kills kills the join output differs"; exit 1; }
    echo "ok: $be: join state across $kills SIGKILLs: $(wc -l < "$T/cr-$be.txt") rows ($unmatched unmatched) equal the uninterrupted run"
}
crash_run memory
crash_run rocksdb
crash_run rocksdb-cache5k
crash_run rocksdb-cache1

# The other join forms over the same input, uninterrupted: RocksDB as the
# working state must give the memory backend's output (outer sides,
# string keys, NULL keys, rows kept forever; LEFT SEMI JOIN leaks 7 bytes
# in the binder under ASan, so it is checked by hand for now).
forms=0
while IFS='|' read -r name sel join on; do
    for be in memory rocksdb; do
        cat > "$T/f.sql" <<SQL
CREATE SOURCE a (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/f-$name-$be', format = 'json', checkpointLocation = '$T/fck-$name-$be',
                    'state.backend' = '$be', trigger = 'availableNow') AS
SELECT $sel FROM a $join b ON $on;
SQL
        "$SLUICE" run "$T/f.sql" --quiet > "$T/f.log" 2>&1 || { cat "$T/f.log"; echo "FAIL: $name ($be)"; exit 1; }
        cat "$T/f-$name-$be"/part-*.json | sort > "$T/f-$name-$be.txt"
    done
    [ -s "$T/f-$name-memory.txt" ] || { echo "FAIL: $name gives no rows"; exit 1; }
    cmp -s "$T/f-$name-memory.txt" "$T/f-$name-rocksdb.txt" ||
        { diff "$T/f-$name-memory.txt" "$T/f-$name-rocksdb.txt" | head; echo "FAIL: $name: RocksDB's output differs from memory's"; exit 1; }
    forms=$((forms + 1))
done <<'FORMS'
full|a.k, a.x AS ax, b.x AS bx|FULL OUTER JOIN|a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND
right|a.k, a.x AS ax, b.x AS bx|RIGHT JOIN|a.k = b.k AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND
strkey|a.k, a.x AS ax, b.x AS bx|FULL OUTER JOIN|CAST(a.k AS STRING) = CAST(b.k AS STRING) AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND
nullkey|a.k, a.x AS ax, b.x AS bx|FULL OUTER JOIN|NULLIF(a.k % 10, 3) = NULLIF(b.k % 10, 3) AND a.x % 3 = b.x % 3 AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND
unbounded|a.k, a.x AS ax, b.x AS bx|JOIN|a.k = b.k
FORMS
echo "ok: $forms more join forms give the memory backend's output with RocksDB"
