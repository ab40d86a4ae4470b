#!/usr/bin/env bash
# Crash harness for the checkpointed top-N operator (issue 6): two update-mode
# sinks over one file source (24 JSON files, one per batch), each with its
# own checkpoint —
#   top3:   row_number() OVER (PARTITION BY seller ORDER BY price DESC, amt)
#           <= 3 (Nexmark q19's shape: NULL prices last, NULL amounts first,
#           ties in arrival order);
#   latest: row_number() OVER (PARTITION BY seller, g ORDER BY ts DESC) <= 1
#           over a view (q18's shape: the latest row of 35 partitions).
# The uninterrupted run's last row for each (partition, rank) must equal an
# independent Python model's top N. Then, with the memory backend and with
# RocksDB, the query is killed with SIGKILL many times — a third at a random
# instant, two thirds by SLUICE_CRASH_AT_STEP just before a random step of a
# checkpoint or manifest write — and restarted (30 runs at most, then one runs to the end);
# every batch's committed file (the upserts that batch emitted) must equal
# the uninterrupted run's byte for byte, and the committed output read back
# through the sinks' manifests row for row.
set -eu
. "$(dirname "$0")/lib.sh"
NFILES=24

$PY - "$T/in" $NFILES <<'PY'
import os, random, sys
d, n = sys.argv[1], int(sys.argv[2])
os.makedirs(d)
r = random.Random(661)
base = 1704067200  # 2024-01-01 00:00:00 UTC
i = 0
for f in range(n):
    p = os.path.join(d, "%03d.json" % f)
    with open(p, "w") as o:
        for _ in range(30):
            t = max(0, f * 20 + r.randint(-35, 15))
            price = "null" if r.random() < 0.05 else str(r.randint(0, 400))   # ties are common
            amt = "null" if r.random() < 0.3 else str(r.randint(0, 3))
            o.write('{"seller":"s%d","id":%d,"price":%s,"amt":%s,"ts":"2024-01-01 %02d:%02d:%02d","note":"%s"}\n'
                    % (r.randint(1, 5), i, price, amt, t // 3600, t // 60 % 60, t % 60, "y" * r.randint(0, 30)))
            i += 1
    os.utime(p, (base + f, base + f))  # one file per batch, in this order
PY

write_sql() { # $1: dir of the run, $2: state backend
    cat > "$1/q.sql" <<SQL
CREATE SOURCE s (seller STRING, id BIGINT, price INT, amt DOUBLE, ts TIMESTAMP, note STRING,
                 WATERMARK FOR ts AS ts - INTERVAL '20' SECOND)
WITH (connector = 'file', path = '$T/in', format = 'json', maxFilesPerTrigger = '1');
CREATE VIEW grouped AS SELECT seller, id % 7 AS g, id, ts FROM s;
CREATE SINK top3 WITH (connector = 'file', path = '$1/top3', format = 'json', 'output.mode' = 'update',
                       checkpointLocation = '$1/ck-top3', 'state.snapshotInterval' = '4',
                       'minBatchesToRetain' = '5', 'state.backend' = '$2', trigger = 'availableNow') AS
SELECT * FROM (
    SELECT seller, id, price, amt, note, row_number() OVER (PARTITION BY seller ORDER BY price DESC, amt) AS rn
    FROM s)
WHERE rn <= 3;
CREATE SINK latest WITH (connector = 'file', path = '$1/latest', format = 'json', 'output.mode' = 'update',
                         checkpointLocation = '$1/ck-latest', 'state.snapshotInterval' = '4',
                         'minBatchesToRetain' = '5', 'state.backend' = '$2', trigger = 'availableNow') AS
SELECT seller, g, id, ts FROM (
    SELECT *, row_number() OVER (PARTITION BY seller, g ORDER BY ts DESC) AS rn FROM grouped)
WHERE rn <= 1;
SQL
    # Reads a sink directory back through its manifest (committed files only).
    cat > "$1/read.sql" <<SQL
CREATE TABLE a (seller STRING, id BIGINT, price INT, amt DOUBLE, note STRING, rn BIGINT)
WITH (connector = 'file', path = '$1/top3', format = 'json');
CREATE TABLE b (seller STRING, g BIGINT, id BIGINT, ts TIMESTAMP)
WITH (connector = 'file', path = '$1/latest', format = 'json');
CREATE SINK ab WITH (connector = 'file', path = '$1/back-top3', format = 'json') AS SELECT * FROM a;
CREATE SINK bb WITH (connector = 'file', path = '$1/back-latest', format = 'json') AS SELECT * FROM b;
SQL
}

read_back() { # $1: dir → $1/rows-{top3,latest}.txt, sorted
    "$SLUICE" run "$1/read.sql" --quiet > "$1/read.log" 2>&1 || { cat "$1/read.log"; echo "FAIL: read back"; exit 1; }
    for s in top3 latest; do cat "$1/back-$s"/part-*.json 2>/dev/null | sort > "$1/rows-$s.txt"; done
}

# 1. the uninterrupted run, and the model of its final top N
mkdir -p "$T/ref"; write_sql "$T/ref" memory
t0=$(date +%s%N)
"$SLUICE" run "$T/ref/q.sql" --quiet > "$T/ref/log" 2>&1 || { cat "$T/ref/log"; echo "FAIL: reference run"; exit 1; }
dur_ms=$(( ($(date +%s%N) - t0) / 1000000 )); [ $dur_ms -ge 20 ] || dur_ms=20
read_back "$T/ref"
$PY - "$T/in" "$T/ref" <<'PY' || { echo "FAIL: the uninterrupted run differs from the model"; exit 1; }
import json, os, sys
d, ref = sys.argv[1], sys.argv[2]
rows = [json.loads(l) for f in sorted(os.listdir(d)) for l in open(os.path.join(d, f))]
def last_upserts(sink, key):          # the last row emitted for each upsert key, batch files in order
    out = {}
    for f in sorted(x for x in os.listdir(os.path.join(ref, sink)) if x.startswith("part-")):
        for r in map(json.loads, open(os.path.join(ref, sink, f))): out[key(r)] = r
    return out
# top3: price DESC (NULLs last), amt ASC (NULLs first), then arrival
want, parts = {}, {}
for a, r in enumerate(rows): parts.setdefault(r["seller"], []).append((a, r))
for p, rs in parts.items():
    rs.sort(key=lambda x: (x[1]["price"] is None, -(x[1]["price"] or 0), x[1]["amt"] is not None, x[1]["amt"] or 0, x[0]))
    for k, (_, r) in enumerate(rs[:3]): want[(p, k + 1)] = r["id"]
got = {k: r["id"] for k, r in last_upserts("top3", lambda r: (r["seller"], r["rn"])).items()}
if got != want: print("top3: model", sorted(want.items())[:12], "\n      sluice", sorted(got.items())[:12]); sys.exit(1)
# latest: ts DESC, then arrival
want2 = {}
for r in rows:
    k = (r["seller"], r["id"] % 7)
    if k not in want2 or r["ts"] > want2[k][1]: want2[k] = (r["id"], r["ts"])
got2 = {k: r["id"] for k, r in last_upserts("latest", lambda r: (r["seller"], r["g"])).items()}
if got2 != {k: v[0] for k, v in want2.items()}: print("latest differs:", len(got2), len(want2)); sys.exit(1)
print("uninterrupted run: the last upserts are the model's top 3 of %d sellers and latest rows of %d groups" % (len(parts), len(want2)))
PY

# 2. killed and restarted, with each state backend
for backend in ${BACKENDS:-memory rocksdb}; do
C=$T/crash-$backend; mkdir -p "$C"; write_sql "$C" "$backend"
RANDOM=661
crash_restart "$C" 30 3 30 $dur_ms
[ $KILLS -ge 10 ] || fail "$backend: only $KILLS kills landed; the harness did not test recovery"
read_back "$C"
for s in top3 latest; do
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
echo "ok ($backend): $KILLS SIGKILLs over $RUNS runs ($RESUMES resumes, $RERUNS re-runs of a batch cut short), every batch's upserts equal the uninterrupted run's ($(wc -l < "$C/rows-top3.txt") top3, $(wc -l < "$C/rows-latest.txt") latest rows, exactly once)"
done
