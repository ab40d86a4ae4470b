#!/usr/bin/env bash
# NaN and -0.0 in join keys, as Spark ("NaN Semantics" in the Spark SQL
# reference: NaN = NaN, NaN is a normal value in join keys; SPARK-26021:
# join keys normalise every NaN to one and -0.0 to 0.0).  A stream-stream
# inner interval join on a DOUBLE key whose left side makes NaN with
# CAST('NaN' AS DOUBLE) and 0.0, the right side -NaN (another bit pattern)
# and -0.0: with the memory backend, with RocksDB as the join's working
# state (its stored keys are bytes), and as a batch join of the same files
# read as tables, the output must equal a Python join of the input on
# normalised keys, row for row — which includes the NaN and zero keys'
# pairs (checked to be there).
set -eu
. "$(dirname "$0")/lib.sh"
need_python
mkdir -p "$T/a" "$T/b"
$PY - "$T" <<'PY'
import os, random, sys
d = sys.argv[1]
r = random.Random(653)
base = 1704067200
for f in range(12):
    for side in "ab":
        p = os.path.join(d, side, "%03d.json" % f)
        with open(p, "w") as o:
            for i in range(15):
                t = f * 10 + r.randint(0, 9)
                o.write('{"k":%d,"x":%d,"ts":"2024-01-01 00:%02d:%02d"}\n' % (r.randint(0, 14), r.randint(0, 999), t // 60, t % 60))
        os.utime(p, (base + f, base + f))
PY
LKEY="CASE WHEN a.k % 5 = 0 THEN CAST('NaN' AS DOUBLE) WHEN a.k % 5 = 1 THEN CAST('0' AS DOUBLE) ELSE CAST(a.k AS DOUBLE) END"
RKEY="CASE WHEN b.k % 5 = 0 THEN -CAST('NaN' AS DOUBLE) WHEN b.k % 5 = 1 THEN CAST('-0' AS DOUBLE) ELSE CAST(b.k AS DOUBLE) END"
ON="$LKEY = $RKEY AND b.ts BETWEEN a.ts - INTERVAL '5' SECOND AND a.ts + INTERVAL '5' SECOND"
for be in memory rocksdb table; do
    if [ $be = table ]; then
        cat > "$T/q.sql" <<SQL
CREATE TABLE a (k INT, x INT, ts TIMESTAMP) WITH (connector = 'file', path = '$T/a', format = 'json');
CREATE TABLE b (k INT, x INT, ts TIMESTAMP) WITH (connector = 'file', path = '$T/b', format = 'json');
CREATE SINK o WITH (connector = 'file', path = '$T/out-$be', format = 'json') AS
SELECT a.k AS ak, a.x AS ax, b.k AS bk, b.x AS bx FROM a JOIN b ON $ON;
SQL
    else
        cat > "$T/q.sql" <<SQL
CREATE SOURCE a (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/a', format = 'json', maxFilesPerTrigger = '1');
CREATE SOURCE b (k INT, x INT, ts TIMESTAMP, WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/b', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK o WITH (connector = 'file', path = '$T/out-$be', format = 'json', checkpointLocation = '$T/ck-$be',
                    'state.backend' = '$be', trigger = 'availableNow') AS
SELECT a.k AS ak, a.x AS ax, b.k AS bk, b.x AS bx FROM a JOIN b ON $ON;
SQL
    fi
    "$SLUICE" run "$T/q.sql" --quiet > "$T/$be.log" 2>&1 || { cat "$T/$be.log"; fail "the $be run failed"; }
    cat "$T/out-$be"/part-*.json | sort > "$T/$be.rows"
    $PY - "$T" "$T/$be.rows" $be <<'PY' || exit 1
import calendar, json, os, sys, time
d, rows, be = sys.argv[1], sys.argv[2], sys.argv[3]
def secs(s): return calendar.timegm(time.strptime(s[:19], "%Y-%m-%d %H:%M:%S"))
def load(side): return [json.loads(l) for f in sorted(os.listdir(os.path.join(d, side))) for l in open(os.path.join(d, side, f))]
def key(k): return "nan" if k % 5 == 0 else 0.0 if k % 5 == 1 else float(k)  # Spark's normalised key
A, B = load("a"), load("b")
want = sorted((a["k"], a["x"], b["k"], b["x"]) for a in A for b in B
              if key(a["k"]) == key(b["k"]) and abs(secs(a["ts"]) - secs(b["ts"])) <= 5)
got = sorted((r["ak"], r["ax"], r["bk"], r["bx"]) for r in map(json.loads, open(rows)))
nan = sum(1 for w in want if w[0] % 5 == 0)
zero = sum(1 for w in want if w[0] % 5 == 1)
if not nan or not zero:
    print("FAIL: the input gives no NaN- or zero-keyed pairs"); sys.exit(1)
if got != want:
    print("FAIL (%s): %d pairs, Python %d; missing %s; extra %s" % (be, len(got), len(want),
          [w for w in want if w not in got][:5], [g for g in got if g not in want][:5]))
    sys.exit(1)
print("ok (%s): %d pairs equal Python's join on normalised keys (%d NaN = NaN, %d 0.0 = -0.0)" % (be, len(got), nan, zero))
PY
done
