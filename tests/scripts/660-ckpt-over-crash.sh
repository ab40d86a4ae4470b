#!/usr/bin/env bash
# Crash harness for the checkpointed OVER operator (issue 6): two sinks over
# one file source (24 JSON files, one per batch, rows out of order, some
# late, NULL arguments), each with its own checkpoint —
#   framed:  avg/sum/count/min/max OVER (PARTITION BY seller ORDER BY ts, id
#            ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) and row_number()
#            (state: held rows, per-partition rings and counters);
#   running: the same functions over UNBOUNDED PRECEDING (running sums).
# The uninterrupted run must equal an independent Python model (rows held
# until the watermark passes them, late rows dropped, the frame over the
# partition's earlier rows). Then, with the memory backend and with RocksDB,
# the query is killed with SIGKILL many times — a third at a random instant,
# two thirds by SLUICE_CRASH_AT_STEP just before a random step of a checkpoint or
# manifest write — and restarted (30 runs at most, then one runs to the end); every batch's
# committed file must equal the uninterrupted run's byte for byte, and the
# committed output read back through the sinks' manifests row for row.
set -eu
. "$(dirname "$0")/lib.sh"
NFILES=24

$PY - "$T/in" $NFILES <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
r = random.Random(660)
base = 1704067200  # 2024-01-01 00:00:00 UTC
i = 0
for f in range(n):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for _ in range(30):
            # event time drifts ~20 s a file, out of order by up to 35 s (some rows late)
            t = max(0, f * 20 + r.randint(-35, 15))
            price = "null" if r.random() < 0.1 else str(r.randint(-50, 100))
            amt = "null" if r.random() < 0.1 else repr(round(r.uniform(-10, 10), 3))
            o.write('{"seller":"s%d","id":%d,"price":%s,"amt":%s,"ts":"2024-01-01 %02d:%02d:%02d","note":"%s"}\n'
                    % (r.randint(1, 5), i, price, amt, t // 3600, t // 60 % 60, t % 60, "x" * r.randint(0, 30)))
            i += 1
    os.utime(p, (base + f, base + f))  # one file per batch, in this order
PY

W="PARTITION BY seller ORDER BY ts, id" U="ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
write_sql() { # $1: dir of the run, $2: state backend
    cat > "$1/q.sql" <<SQL
CREATE SOURCE s (seller STRING, id BIGINT, price INT, amt DOUBLE, ts TIMESTAMP, note STRING,
                 WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE SINK framed WITH (connector = 'file', path = '$1/framed', format = 'json',
                         checkpointLocation = '$1/ck-framed', 'state.snapshotInterval' = '4',
                         'minBatchesToRetain' = '5', 'state.backend' = '$2', trigger = 'availableNow') AS
SELECT seller, id, ts, price, note,
       avg(amt) OVER ($W ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS a,
       sum(price) OVER ($W ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS s,
       count(price) OVER ($W ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS c,
       min(price) OVER ($W ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS lo,
       max(amt) OVER ($W ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS hi,
       row_number() OVER ($W) AS rn
FROM s;
CREATE SINK running WITH (connector = 'file', path = '$1/running', format = 'json',
                          checkpointLocation = '$1/ck-running', 'state.snapshotInterval' = '4',
                          'minBatchesToRetain' = '5', 'state.backend' = '$2', trigger = 'availableNow') AS
SELECT seller, id, ts, price, note,
       avg(amt) OVER ($W $U) AS a, sum(price) OVER ($W $U) AS s, count(*) OVER ($W $U) AS c,
       min(amt) OVER ($W $U) AS lo, max(price) OVER ($W $U) AS hi
FROM s;
SQL
    # Reads a sink directory back through its manifest (committed files only).
    cat > "$1/read.sql" <<SQL
CREATE TABLE f (seller STRING, id BIGINT, ts TIMESTAMP, price INT, note STRING, a DOUBLE, s BIGINT, c BIGINT,
                lo INT, hi DOUBLE, rn BIGINT)
WITH (connector = 'file', path = '$1/framed', format = 'json');
CREATE TABLE r (seller STRING, id BIGINT, ts TIMESTAMP, price INT, note STRING, a DOUBLE, s BIGINT, c BIGINT,
                lo DOUBLE, hi INT)
WITH (connector = 'file', path = '$1/running', format = 'json');
CREATE SINK fb WITH (connector = 'file', path = '$1/back-framed', format = 'json') AS SELECT * FROM f;
CREATE SINK rb WITH (connector = 'file', path = '$1/back-running', format = 'json') AS SELECT * FROM r;
SQL
}

read_back() { # $1: dir → $1/rows-{framed,running}.txt, sorted
    "$SLUICE" run "$1/read.sql" --quiet > "$1/read.log" 2>&1 || { cat "$1/read.log"; echo "FAIL: read back"; exit 1; }
    for s in framed running; do cat "$1/back-$s"/part-*.json 2>/dev/null | sort > "$1/rows-$s.txt"; done
}

# 1. the uninterrupted run, and the model of it
mkdir -p "$T/ref"; write_sql "$T/ref" memory
t0=$(date +%s%N)
"$SLUICE" run "$T/ref/q.sql" --quiet > "$T/ref/log" 2>&1 || { cat "$T/ref/log"; echo "FAIL: reference run"; exit 1; }
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 )); [ $dur_ms -ge 20 ] || dur_ms=20
read_back "$T/ref"
$PY - "$T/in" "$T/ref" <<'PY' || { echo "FAIL: the uninterrupted run differs from the model"; exit 1; }
import json, os, sys, calendar, time
d, ref = sys.argv[1], sys.argv[2]
def secs(s): return calendar.timegm(time.strptime(s[:19].replace("T", " "), "%Y-%m-%d %H:%M:%S"))
kept, wm, maxts = [], None, None
for f in sorted(os.listdir(d)):
    rows = [json.loads(l) for l in open(os.path.join(d, f))]
    for r in rows:
        r["t"] = secs(r["ts"])
        if wm is None or r["t"] >= wm: kept.append(r)   # else late: dropped
    for r in rows: maxts = r["t"] if maxts is None else max(maxts, r["t"])
    wm = maxts - 20                                      # the next batch's watermark
parts = {}
for r in sorted(kept, key=lambda r: (r["t"], r["id"])): parts.setdefault(r["seller"], []).append(r)
def agg(vals, fn):
    nn = [v for v in vals if v is not None]
    if fn == "count": return len(nn)
    if not nn: return None
    return {"sum": sum, "min": min, "max": max}[fn](nn) if fn != "avg" else round(sum(nn) / len(nn), 9)
want = {"framed": [], "running": []}
for rs in parts.values():
    for i, r in enumerate(rs):
        if r["t"] >= wm: break                           # still held at the end
        fr, run = rs[max(0, i - 3):i + 1], rs[:i + 1]
        want["framed"].append((r["seller"], r["id"], agg([x["amt"] for x in fr], "avg"), agg([x["price"] for x in fr], "sum"),
                               agg([x["price"] for x in fr], "count"), agg([x["price"] for x in fr], "min"),
                               agg([x["amt"] for x in fr], "max"), i + 1))
        want["running"].append((r["seller"], r["id"], agg([x["amt"] for x in run], "avg"), agg([x["price"] for x in run], "sum"),
                                len(run), agg([x["amt"] for x in run], "min"), agg([x["price"] for x in run], "max")))
for s in ("framed", "running"):
    got = []
    for r in map(json.loads, open(os.path.join(ref, "rows-%s.txt" % s))):
        a = None if r.get("a") is None else round(r["a"], 9)
        if s == "framed": got.append((r["seller"], r["id"], a, r.get("s"), r["c"], r.get("lo"), r.get("hi"), r["rn"]))
        else: got.append((r["seller"], r["id"], a, r.get("s"), r["c"], r.get("lo"), r.get("hi")))
    if sorted(got, key=repr) != sorted(want[s], key=repr):
        print("%s: model %d rows, sluice %d" % (s, len(want[s]), len(got)))
        for w in want[s]:
            if w not in got: print("  missing", w); break
        for g in got:
            if g not in want[s]: print("  extra", g); break
        sys.exit(1)
print("uninterrupted run: %d framed and %d running rows equal the model's" % (len(want["framed"]), len(want["running"])))
PY

# 2. killed and restarted, with each state backend
for backend in ${BACKENDS:-memory rocksdb}; do
C=$T/crash-$backend; mkdir -p "$C"; write_sql "$C" "$backend"
RANDOM=660
crash_restart "$C" 30 3 30 $dur_ms
[ $KILLS -ge 10 ] || fail "$backend: only $KILLS kills landed; the harness did not test recovery"
read_back "$C"
for s in framed running; do
    for f in "$T/ref/$s"/part-*.json; do
        cmp -s "$f" "$C/$s/${f##*/}" || { echo "FAIL ($backend): $s batch file ${f##*/} differs from the uninterrupted run's"
                                          diff "$f" "$C/$s/${f##*/}" | head -10; exit 1; }
    done
    [ "$(ls "$C/$s" | grep -c '^part-')" -eq "$(ls "$T/ref/$s" | grep -c '^part-')" ] ||
        { echo "FAIL ($backend): $s has other batch files than the uninterrupted run"; exit 1; }
    cmp -s "$T/ref/rows-$s.txt" "$C/rows-$s.txt" ||
        { echo "FAIL ($backend): $s's committed output differs from the uninterrupted run"
          diff "$T/ref/rows-$s.txt" "$C/rows-$s.txt" | head -10; exit 1; }
done
[ "$RERUNS" -ge 1 ] || fail "$backend: no restart re-ran a batch cut short ($RESUMES resumes)"
echo "ok ($backend): $KILLS SIGKILLs over $RUNS runs ($RESUMES resumes, $RERUNS re-runs of a batch cut short), every batch equals the uninterrupted run ($(wc -l < "$C/rows-framed.txt") framed, $(wc -l < "$C/rows-running.txt") running rows, exactly once)"
done
